//! Planning a collect: find the sources, scan and resolve their references,
//! order them by the reference graph and compute every file's final bytes,
//! hash and name. Nothing is written; [`crate::collect`] does that.
//!
//! Hashes cover what a file references: dependencies are hashed first and a
//! file's references are rewritten to their hashed names before the file
//! itself is hashed, so a changed image renames the CSS that uses it.
//!
//! Cycles (a CSS file importing one that imports it back, or mutually
//! importing JS modules) resolve deterministically: the members' contents
//! (with references outside the cycle already rewritten) are hashed together,
//! sorted by logical path; each member's name hash is SHA-256 of that cycle
//! hash and its logical path. Names inside the cycle are then filled in. A
//! change to any member renames every member. For these files, and only for
//! them, the name hash is not the hash of the final bytes; the manifest's
//! `sha256` always is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;

use crate::config::{Config, MissingReferences};
use crate::error::{Error, Result};
use crate::find::Found;
use crate::graph::Graph;
use crate::hash::Digests;
use crate::scan::{RefKind, Syntax};
use crate::statcache::{Entry, Output, RACY_MARGIN, RawRef, StatCache};

mod naming;
mod references;

use naming::{PlannedWith, Single, plan_cycle};
use references::scan_asset;

/// Where a planned file's final bytes come from.
#[derive(Debug, Clone)]
pub enum Content {
    /// Scanned (and possibly rewritten) bytes, held in memory.
    Memory(Arc<Vec<u8>>),
    /// A file whose bytes are the final bytes: an opaque source file, or
    /// (with [`PlanOptions::reuse_root`]) the hashed file already in
    /// STATIC_ROOT. Copied from this path, checked against the digests;
    /// the variants are compressed from the written hashed file.
    Source(PathBuf),
}

/// One file as it will be collected.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Logical path.
    pub logical: String,
    /// Hashed path.
    pub hashed: String,
    /// The source file.
    pub source: PathBuf,
    /// The final bytes.
    pub content: Content,
    /// Digests of the final bytes.
    pub digests: Digests,
    /// Newest mtime of the file and everything it references (Unix seconds).
    pub modified: u64,
    /// True if at least one reference was rewritten (or, with
    /// `[sourcemaps] mode = "hidden"`, a source-map comment removed).
    pub rewritten: bool,
    /// Set for a file a bundler already hashed ([`crate::bundler`]): its
    /// hashed name is its logical path, its bytes are its source's.
    pub hashed_by: Option<crate::manifest::HashedBy>,
}

impl Planned {
    /// The name that identifies versions of this file across releases:
    /// the bundler's family, else the logical path.
    pub fn family(&self) -> &str {
        self.hashed_by
            .as_ref()
            .map_or(self.logical.as_str(), |h| h.family.as_str())
    }
}

/// A reference that names no collected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenReference {
    /// The referencing source file.
    pub source: PathBuf,
    /// Its logical path.
    pub logical: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters) where the reference starts.
    pub col: u32,
    /// The reference as written.
    pub target: String,
    /// What it resolved to.
    pub resolved: String,
}

impl BrokenReference {
    /// False for a reference from an HTML page, which is left as written
    /// with a warning whatever `missing_references` says: pages kept among
    /// static files (a vendored package's demos and docs) often link files
    /// that were never shipped, and a page is not loaded by other assets.
    pub fn is_fatal(&self) -> bool {
        Syntax::of(&self.logical) != Some(Syntax::Html)
    }

    /// The error for this reference.
    pub fn to_error(&self) -> Error {
        Error::MissingReference {
            source_path: self.source.clone(),
            line: self.line,
            target: self.target.clone(),
            resolved: self.resolved.clone(),
        }
    }
}

/// The outcome of planning.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// What the finders found (winners and shadowed files).
    pub found: Found,
    /// One entry per winning asset, sorted by logical path.
    pub files: Vec<Planned>,
    /// References to missing files (left as written; only non-empty when
    /// `missing_references = "warn"`, with [`PlanOptions::keep_going`], or
    /// for HTML pages, see [`BrokenReference::is_fatal`]).
    pub broken: Vec<BrokenReference>,
    /// Broken references found but not kept in `broken` (a file keeps at
    /// most [`MAX_BROKEN_PER_FILE`]).
    pub broken_omitted: usize,
    /// Groups of files that reference each other in a cycle.
    pub cycles: Vec<Vec<String>>,
    /// What each file loads with it, by logical path: static JS imports,
    /// CSS `@import`s and `url()`s, the scripts, stylesheets and images of
    /// an HTML page (not source maps, not dynamic `import()`, not icons),
    /// for preloading.
    pub references: BTreeMap<String, Vec<String>>,
    /// The entries and chunks of bundler manifests, with logical paths.
    pub bundles: BTreeMap<String, crate::manifest::Bundle>,
    /// The import map's bare specifiers (`[js.imports]`, prefixes
    /// expanded), each to a logical path.
    pub imports: BTreeMap<String, String>,
}

/// How JS module specifiers are linked in this plan.
struct Linking<'a> {
    /// `[js] linking = "importmap"`: specifiers are left as written.
    importmap: bool,
    /// Bare specifiers → logical paths.
    bare: &'a BTreeMap<String, String>,
}

/// Planning knobs.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Report broken references in [`Plan::broken`] instead of failing, whatever
    /// the config says (for `rcollect check --references`).
    pub keep_going: bool,
    /// A STATIC_ROOT whose existing hashed files stand in for the final bytes:
    /// when `root/<hashed>` exists with the right size, the planned content
    /// points at it instead of holding the bytes in memory (a hashed name is
    /// its content), so an up-to-date collect holds almost nothing.
    pub reuse_root: Option<PathBuf>,
}

/// A resolved reference inside a scanned file.
struct Edge {
    span: std::ops::Range<usize>,
    kind: RefKind,
    target: usize,
    name_start: usize,
    path_end: usize,
}

/// At most this many broken references are kept per file (a large file that
/// is not really CSS can hold millions); the others are only counted.
pub const MAX_BROKEN_PER_FILE: usize = 100;

/// At most this many broken references are listed in the error of a failed
/// plan, followed by the count of the others.
pub const MAX_LISTED: usize = 20;

/// A scanned file, its broken references (at most [`MAX_BROKEN_PER_FILE`])
/// and the count of those not kept (`None` for files not scanned).
type ScanResult = Result<Option<(Scanned, Vec<BrokenReference>, usize)>>;

struct Scanned {
    /// The source bytes when `loaded`; empty when `digests` is set.
    bytes: Vec<u8>,
    /// Whether `bytes` holds the source (false when the stat cache told
    /// what the file holds: it is read only if its final bytes are needed).
    loaded: bool,
    /// Digests of the source bytes.
    source: Digests,
    /// The references as the bytes hold them (kept in the stat cache).
    raw: Vec<RawRef>,
    /// The final bytes a previous run made of this source (stat cache).
    output: Option<Output>,
    edges: Vec<Edge>,
    /// References left as written (JS module specifiers with
    /// `linking = "importmap"`, bare specifiers of `[js.imports]`): in the
    /// reference graph for preloading, not rewritten, not hashed first.
    links: Vec<(RefKind, usize)>,
    /// Source-map comments to remove (`[sourcemaps] mode = "hidden"`).
    strip: Vec<std::ops::Range<usize>>,
    /// For a file without local references (its final bytes are its source
    /// bytes): the digests, computed while the bytes were at hand, which are
    /// then dropped; the file is copied from its source like an opaque one.
    digests: Option<Digests>,
}

/// Plans a collect of `config`'s source dirs.
pub fn plan(config: &Config, options: PlanOptions) -> Result<Plan> {
    let found = crate::find::find(config)?;
    plan_found(config, found, options)
}

/// Plans from an existing walk result.
pub fn plan_found(config: &Config, found: Found, options: PlanOptions) -> Result<Plan> {
    plan_known(config, found, options, None).map(|(plan, _)| plan)
}

/// What a previous run learnt about the sources ([`crate::statcache`]),
/// and when this run started (before the walk).
pub(crate) struct Known {
    pub(crate) cache: StatCache,
    pub(crate) started: SystemTime,
}

/// What a run learnt about the sources.
#[derive(Debug, Default)]
pub(crate) struct Learnt {
    /// The stat cache entries of the sources that had settled when the run
    /// started.
    pub(crate) entries: Vec<(PathBuf, Entry)>,
    /// How many sources the stat cache knew (unchanged stamps).
    pub(crate) known: usize,
    /// False when `entries` are the ones the stat cache held (nothing to
    /// write).
    pub(crate) changed: bool,
}

/// [`plan_found`] that takes what `known` says about unchanged sources
/// instead of reading them, and returns what this run learnt (nothing
/// without `known`).
pub(crate) fn plan_known(
    config: &Config,
    found: Found,
    options: PlanOptions,
    known: Option<Known>,
) -> Result<(Plan, Learnt)> {
    let (mut cache, started) = match known {
        Some(k) => (k.cache, Some(k.started)),
        None => (StatCache::default(), None),
    };
    let bundled = crate::bundler::detect(config, &found)?;
    let assets = &found.assets;
    let index: HashMap<&str, usize> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.logical.as_str(), i))
        .collect();
    let logical_paths: Vec<&str> = assets.iter().map(|a| a.logical.as_str()).collect();
    let bare = crate::importmap::bare_imports(&config.js.imports, &logical_paths)?;
    let linking = Linking {
        importmap: config.js.linking == crate::config::Linking::Importmap,
        bare: &bare,
    };

    // 1. Read and scan CSS/JS/HTML (unless the stat cache knows them);
    // resolve references to asset indices. Files a bundler hashed are
    // taken as they are: never scanned nor rewritten (their references
    // come from the bundler's manifest).
    let cached: Vec<Option<Entry>> = assets
        .iter()
        .map(|a| cache.take(&a.source, &a.stamp))
        .collect();
    let leftover = !cache.is_empty();
    drop(cache);
    let hits: Vec<bool> = cached.iter().map(Option::is_some).collect();
    let known_count = hits.iter().filter(|h| **h).count();
    let mut changed = leftover || known_count < assets.len();
    let known: Vec<Option<Digests>> = cached
        .iter()
        .map(|c| c.as_ref().map(|e| e.source))
        .collect();
    let scanned: Vec<ScanResult> = assets
        .par_iter()
        .zip(cached)
        .map(|(a, c)| {
            if bundled.hashed.contains_key(&a.logical) {
                Ok(None)
            } else {
                scan_asset(config, &linking, a, &index, c)
            }
        })
        .collect();
    let mut files_scanned: Vec<Option<Scanned>> = Vec::with_capacity(assets.len());
    let mut broken = Vec::new();
    let mut broken_omitted = 0;
    let mut errors = Vec::new();
    for r in scanned {
        match r {
            Ok(Some((s, b, omitted))) => {
                files_scanned.push(Some(s));
                broken.extend(b);
                broken_omitted += omitted;
            }
            Ok(None) => files_scanned.push(None),
            Err(e) => {
                errors.push(e);
                files_scanned.push(None);
            }
        }
    }
    if !errors.is_empty() {
        return Err(many(errors));
    }
    // An HTML page's missing files never fail a collect (see
    // `BrokenReference::is_fatal`); CSS and JS ones do unless told otherwise.
    let fatal: Vec<&BrokenReference> = broken.iter().filter(|b| b.is_fatal()).collect();
    if !fatal.is_empty()
        && !options.keep_going
        && config.missing_references == MissingReferences::Error
    {
        let total = fatal.len() + broken_omitted;
        let mut listed: Vec<Error> = fatal
            .iter()
            .take(MAX_LISTED)
            .map(|b| b.to_error())
            .collect();
        if total > MAX_LISTED {
            listed.push(Error::MoreMissingReferences {
                count: total - MAX_LISTED,
            });
        }
        return Err(many(listed));
    }
    for b in &broken {
        tracing::warn!(
            "{}:{}: reference to missing file '{}' left as written",
            crate::paths::shown(&b.source),
            b.line,
            crate::paths::escape_controls(&b.target, false)
        );
    }
    if broken_omitted > 0 {
        tracing::warn!("{broken_omitted} more references to missing files not listed");
    }

    // 2. The graph and its order, and what each file loads with it.
    let mut references: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (a, s) in assets.iter().zip(&files_scanned) {
        let Some(s) = s else { continue };
        let mut targets: Vec<String> = s
            .edges
            .iter()
            .map(|e| (e.kind, e.target))
            .chain(s.links.iter().copied())
            .filter(|(kind, _)| {
                matches!(
                    kind,
                    RefKind::CssUrl | RefKind::CssImport | RefKind::JsImport | RefKind::HtmlLoad
                )
            })
            .filter_map(|(_, target)| assets.get(target))
            .map(|t| t.logical.clone())
            .filter(|t| *t != a.logical)
            .collect();
        targets.sort();
        targets.dedup();
        if !targets.is_empty() {
            references.insert(a.logical.clone(), targets);
        }
    }
    for (from, targets) in &bundled.references {
        let entry = references.entry(from.clone()).or_default();
        entry.extend(targets.iter().filter(|t| *t != from).cloned());
        entry.sort();
        entry.dedup();
    }
    let mut graph = Graph::new(assets.len());
    for (i, s) in files_scanned.iter().enumerate() {
        if let Some(s) = s {
            for e in &s.edges {
                graph.add_edge(i, e.target);
            }
        }
    }
    let order = graph.order();

    // 3. Hash level by level; each level in parallel.
    let mut results: Vec<Option<Planned>> = vec![None; assets.len()];
    let mut learnt: Vec<(PathBuf, Entry)> = Vec::new();
    let mut cycles = Vec::new();
    let reuse_root = options.reuse_root.as_deref();
    let single = Single {
        assets,
        bundled: &bundled,
        known: &known,
        reuse_root,
    };
    for level in &order.levels {
        let done: Vec<Result<Vec<PlannedWith>>> = level
            .par_iter()
            .map(|comp| {
                if comp.len() == 1 && !graph.has_self_edge(comp[0]) {
                    let i = comp[0];
                    single.plan(&files_scanned, &results, i).map(|p| vec![p])
                } else {
                    plan_cycle(assets, &files_scanned, &results, comp)
                        .map(|v| v.into_iter().map(|p| (p, None)).collect())
                }
                .map(|planned| {
                    planned
                        .into_iter()
                        .map(|(p, o)| (reuse(p, reuse_root), o))
                        .collect()
                })
            })
            .collect();
        for (comp, r) in level.iter().zip(done) {
            if comp.len() > 1 || graph.has_self_edge(comp[0]) {
                cycles.push(comp.iter().map(|&i| assets[i].logical.clone()).collect());
            }
            match r {
                Ok(planned) => {
                    for (&i, (p, output)) in comp.iter().zip(planned) {
                        // A file's source bytes are only needed for its own
                        // final bytes; what was learnt about it is kept.
                        let s = files_scanned.get_mut(i).and_then(Option::take);
                        let was = s.as_ref().and_then(|s| s.output.as_ref()).map(|o| o.inputs);
                        if was != output.as_ref().map(|o| o.inputs)
                            || !hits.get(i).copied().unwrap_or(false)
                        {
                            changed = true;
                        }
                        if let (Some(started), Some(a)) = (started, assets.get(i))
                            && a.stamp.settled_before(started, RACY_MARGIN)
                        {
                            learnt.push((
                                a.source.clone(),
                                Entry {
                                    stamp: a.stamp,
                                    source: s.as_ref().map_or(p.digests, |s| s.source),
                                    refs: s.map(|s| s.raw),
                                    output,
                                },
                            ));
                        }
                        results[i] = Some(p);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(many(errors));
        }
    }
    let files: Vec<Planned> = results.into_iter().flatten().collect();
    refuse_taken_names(&files, linking.importmap)?;
    let plan = Plan {
        found,
        files,
        broken,
        broken_omitted,
        cycles,
        references,
        bundles: bundled.bundles,
        imports: bare,
    };
    Ok((
        plan,
        Learnt {
            entries: learnt,
            known: known_count,
            changed,
        },
    ))
}

/// Refuses source files whose logical path is a name rcollect writes for
/// something else: the manifest, a manifest version, the lock file, a temp
/// name, or another file's hashed name or one of its variants. Collecting
/// them would overwrite that output (with `keep_unhashed`) or make its URL
/// ambiguous, and leave a manifest that disagrees with the disk.
fn refuse_taken_names(files: &[Planned], importmap: bool) -> Result<()> {
    let mut outputs: HashMap<String, &Planned> = HashMap::new();
    for p in files {
        if p.hashed != p.logical {
            outputs.insert(p.hashed.clone(), p);
            for e in crate::manifest::Encoding::ALL {
                outputs.insert(format!("{}{}", p.hashed, e.suffix()), p);
            }
        }
    }
    let mut errors = Vec::new();
    for p in files {
        let top_level = !p.logical.contains('/');
        let reserved = if top_level && p.logical == crate::manifest::MANIFEST_NAME {
            Some("the manifest".to_string())
        } else if top_level && crate::history::is_history_name(&p.logical) {
            Some("a previous manifest version".to_string())
        } else if top_level && p.logical == crate::write::LOCK_NAME {
            Some("the lock file".to_string())
        } else if top_level && p.logical == crate::statcache::STAT_CACHE_NAME {
            Some("the stat cache".to_string())
        } else if top_level && p.logical == crate::importmap::IMPORTMAP_NAME && importmap {
            Some("the import map (`[js] linking = \"importmap\"`)".to_string())
        } else if p.logical.ends_with(crate::write::TEMP_SUFFIX) {
            Some("a temp file name".to_string())
        } else if crate::delta::is_delta_name(&p.logical) {
            Some("a dictionary-compressed delta name (.dcb, .dcz)".to_string())
        } else {
            outputs
                .get(&p.logical)
                .filter(|owner| owner.logical != p.logical)
                .map(|owner| {
                    format!(
                        "the collected name of '{}' ({})",
                        owner.logical,
                        owner.source.display()
                    )
                })
        };
        if let Some(what) = reserved {
            errors.push(Error::NameTaken {
                source_path: p.source.clone(),
                name: p.logical.clone(),
                what,
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(many(errors))
    }
}

/// Points `p`'s content at an existing hashed file in `root`, dropping the bytes.
fn reuse(mut p: Planned, root: Option<&Path>) -> Planned {
    if let (Some(root), Content::Memory(_)) = (root, &p.content) {
        let existing = root.join(&p.hashed);
        if std::fs::metadata(&existing).is_ok_and(|m| m.is_file() && m.len() == p.digests.size) {
            p.content = Content::Source(existing);
        }
    }
    p
}

fn many(mut errors: Vec<Error>) -> Error {
    if errors.len() == 1 {
        errors.remove(0)
    } else {
        Error::Many(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::references::{Columns, column};
    use super::*;
    use crate::config::SourceDir;
    use crate::hash::{hashed_name, name_hash};

    /// A config over `dir/assets` with `files` written into it.
    fn project(dir: &std::path::Path, files: &[(&str, &str)]) -> Config {
        for (name, text) in files {
            let p = dir.join("assets").join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        let mut config = Config::new(dir.join("out"), "/static/");
        config.cache_dir = None;
        config.dirs.push(SourceDir {
            prefix: String::new(),
            path: dir.join("assets"),
        });
        config
    }

    #[test]
    fn a_source_named_like_the_stat_cache_is_refused() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut config = project(t.path(), &[(".rcollect.stat", "{}"), ("a.css", "a{}")]);
        config.default_ignore = false;
        let err = plan(&config, PlanOptions::default()).expect_err("refused");
        assert!(err.to_string().contains("the stat cache"), "{err}");
    }

    #[test]
    fn columns_counted_in_one_pass_are_the_columns() {
        let texts: [&[u8]; 4] = [
            b"ab\ncd url(x) \xc3\xa9 url(y)\r\nz \xe2\x82 q",
            "é€😀 a\rb\n\n".as_bytes(),
            b"\xff\xfe\xc3 x",
            b"",
        ];
        for text in texts {
            let mut c = Columns::new(text);
            for at in 0..=text.len() {
                assert_eq!(c.of(at), column(text, at), "{text:?} at {at}");
            }
            // Going back starts over.
            assert_eq!(c.of(1), column(text, 1));
        }
    }

    fn by_logical(plan: &Plan) -> HashMap<&str, &Planned> {
        plan.files.iter().map(|p| (p.logical.as_str(), p)).collect()
    }

    fn text(p: &Planned) -> String {
        match &p.content {
            Content::Memory(b) => String::from_utf8(b.to_vec()).expect("utf8"),
            Content::Source(path) => std::fs::read_to_string(path).expect("read"),
        }
    }

    #[test]
    fn a_cycle_is_hashed_as_one_and_each_member_names_the_others_final_name() {
        let t = tempfile::tempdir().expect("tempdir");
        let files = [
            (
                "a.css",
                "@import \"b.css\";\n.a { background: url(img.svg) }\n",
            ),
            ("b.css", "@import \"a.css\";\n.b {}\n"),
            ("img.svg", "<svg/>"),
        ];
        let config = project(t.path(), &files);
        let first = plan(&config, PlanOptions::default()).expect("plan");
        assert_eq!(first.cycles.len(), 1, "{:?}", first.cycles);
        let f = by_logical(&first);
        let (a, b, img) = (f["a.css"], f["b.css"], f["img.svg"]);
        // Each member's bytes name the other's hashed name, and the image's.
        assert!(
            text(a).contains(&format!("\"{}\"", b.hashed)),
            "{}",
            text(a)
        );
        assert!(
            text(b).contains(&format!("\"{}\"", a.hashed)),
            "{}",
            text(b)
        );
        assert!(text(a).contains(&img.hashed));
        // Names are the content hash: the same input gives the same names.
        let again = plan_found(
            &config,
            crate::find::find(&config).expect("find"),
            PlanOptions::default(),
        )
        .expect("plan");
        let g = by_logical(&again);
        assert_eq!(g["a.css"].hashed, a.hashed);
        assert_eq!(g["b.css"].hashed, b.hashed);
        // A change outside the cycle that it references renames both
        // members; a change in one member renames both too.
        std::fs::write(t.path().join("assets/img.svg"), "<svg></svg>").expect("write");
        let p2 = plan(&config, PlanOptions::default()).expect("plan");
        let h = by_logical(&p2);
        assert_ne!(h["a.css"].hashed, a.hashed);
        assert_ne!(h["b.css"].hashed, b.hashed);
        std::fs::write(
            t.path().join("assets/b.css"),
            "@import \"a.css\";\n.b { x: 1 }\n",
        )
        .expect("write");
        let p3 = plan(&config, PlanOptions::default()).expect("plan");
        let k = by_logical(&p3);
        assert_ne!(k["a.css"].hashed, h["a.css"].hashed);
        assert_ne!(k["b.css"].hashed, h["b.css"].hashed);
        // The digests are those of the final bytes.
        for p in &p3.files {
            assert_eq!(Digests::of(text(p).as_bytes()), p.digests, "{}", p.logical);
        }
    }

    #[test]
    fn a_file_that_references_itself_is_a_cycle_of_one() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(
            t.path(),
            &[("self.css", ".a { background: url(self.css) }")],
        );
        let planned = plan(&config, PlanOptions::default()).expect("plan");
        assert_eq!(planned.cycles, vec![vec!["self.css".to_string()]]);
        let p = &planned.files[0];
        assert!(text(p).contains(&p.hashed), "{}", text(p));
    }

    /// A JS file and a stylesheet linking their maps, a string that only
    /// looks like a link, and the maps.
    const WITH_MAPS: [(&str, &str); 4] = [
        (
            "app.js",
            "const s = \"//# sourceMappingURL=app.js.map\";\nf();\n//# sourceMappingURL=app.js.map\n",
        ),
        ("app.js.map", "{\"version\":3,\"mappings\":\"\"}"),
        (
            "app.css",
            "a { color: red }\n/*# sourceMappingURL=app.css.map */\n",
        ),
        ("app.css.map", "{\"version\":3}"),
    ];

    #[test]
    fn public_source_maps_are_linked_by_their_hashed_names() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path(), &WITH_MAPS);
        let planned = plan(&config, PlanOptions::default()).expect("plan");
        let f = by_logical(&planned);
        let js = text(f["app.js"]);
        assert!(
            js.ends_with(&format!(
                "f();\n//# sourceMappingURL={}\n",
                f["app.js.map"].hashed
            )),
            "{js}"
        );
        assert!(text(f["app.css"]).contains(&f["app.css.map"].hashed));
    }

    #[test]
    fn hidden_source_maps_lose_their_comment_before_hashing_and_are_still_collected() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut config = project(t.path(), &WITH_MAPS);
        config.sourcemaps.mode = crate::config::SourceMapMode::Hidden;
        let planned = plan(&config, PlanOptions::default()).expect("plan");
        let f = by_logical(&planned);
        // The comment only: the string that looks like one stays.
        assert_eq!(
            text(f["app.js"]),
            "const s = \"//# sourceMappingURL=app.js.map\";\nf();\n\n"
        );
        assert_eq!(text(f["app.css"]), "a { color: red }\n\n");
        for name in ["app.js", "app.css"] {
            let p = f[name];
            assert!(p.rewritten, "{name}");
            // Digests (and so the name and SRI) are of the stripped bytes.
            assert_eq!(Digests::of(text(p).as_bytes()), p.digests, "{name}");
            assert_eq!(
                p.hashed,
                hashed_name(name, &name_hash(&p.digests.sha256)),
                "{name}"
            );
        }
        // The maps are collected all the same, hashed, for an error tracker.
        for name in ["app.js.map", "app.css.map"] {
            assert_ne!(f[name].hashed, name);
        }
        // A link to a map that does not exist is not a broken reference
        // once it is removed.
        std::fs::remove_file(t.path().join("assets/app.js.map")).expect("rm");
        let planned = plan(&config, PlanOptions::default()).expect("no map, no link");
        assert!(planned.broken.is_empty());
        assert!(!by_logical(&planned)["app.js"].hashed.is_empty());
    }

    #[test]
    fn hidden_mode_leaves_a_bundlers_hashed_files_as_they_are() {
        let t = tempfile::tempdir().expect("tempdir");
        let js = "f();\n//# sourceMappingURL=app-Dz4e8K-7.js.map\n";
        let mut config = project(
            t.path(),
            &[
                ("app-Dz4e8K-7.js", js),
                ("app-Dz4e8K-7.js.map", "{\"version\":3}"),
            ],
        );
        config.bundler.hashed_names = vec!["vite".into()];
        config.sourcemaps.mode = crate::config::SourceMapMode::Hidden;
        let planned = plan(&config, PlanOptions::default()).expect("plan");
        let f = by_logical(&planned);
        let p = f["app-Dz4e8K-7.js"];
        assert!(p.hashed_by.is_some());
        assert_eq!(text(p), js);
        assert!(!p.rewritten);
    }

    #[test]
    fn a_missing_reference_fails_naming_file_and_line_unless_kept_going() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(
            t.path(),
            &[("app.css", "\n\n.a { background: url(gone.png) }\n")],
        );
        let e = plan(&config, PlanOptions::default()).expect_err("missing");
        let text = e.to_string();
        assert!(
            text.contains("app.css:3") && text.contains("gone.png"),
            "{text}"
        );
        let kept = plan(
            &config,
            PlanOptions {
                keep_going: true,
                ..PlanOptions::default()
            },
        )
        .expect("keep going");
        assert_eq!(kept.broken.len(), 1);
        assert_eq!((kept.broken[0].line, kept.broken[0].col), (3, 22));
    }
}
