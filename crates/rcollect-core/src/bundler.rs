//! Bundler output (Vite/Rolldown, esbuild, trunk): files a bundler already
//! named by their content are taken as they are. Neither hashed again nor
//! rewritten, they keep the bundler's name (the page and the bundler's own
//! preload lists name them so) and are served as immutable, with variants,
//! SRI, history and `clean` like any hashed file.
//!
//! Which files: every file a bundler manifest names — a Vite manifest
//! (`.vite/manifest.json` in a source dir, found without configuration, or
//! `[bundler] manifests`) or an esbuild metafile (`[bundler] metafiles`) —
//! and every file whose name matches a [`Scheme`] of `[bundler]
//! hashed_names` (presets `vite`, `esbuild`, `trunk`, or a regular
//! expression with a group named `hash`). In a Vite output dir, the `vite`
//! scheme also applies to the files its manifest does not list (source
//! maps, workers).
//!
//! Each such file gets a *family*: its name with the hash replaced by
//! `[hash]` (`assets/shared-[hash].js`), the same in every build. Deltas are
//! made against the previous versions of the same family, and the
//! `Use-As-Dictionary` pattern is the family with `:hash` for the hash.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Config;
use crate::error::{ConfigError, Error, Result};
use crate::find::Found;
use crate::manifest::{Bundle, HashedBy};

/// A naming scheme of a bundler: where a file name (the last path segment)
/// holds the content hash. The presets are matched by hand; any other
/// scheme is a regular expression (`regex-lite` syntax: no Unicode
/// classes) with a group named `hash`.
#[derive(Debug, Clone)]
pub struct Scheme {
    name: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Preset(&'static Preset),
    Custom(regex_lite::Regex),
}

/// A preset: `-`, then `min..=max` bytes of `class` (the hash; as many as
/// fit, as a greedy regular expression would take), then `_bg` if
/// `wasm_suffix` and present, then `.` and at least one more byte.
#[derive(Debug)]
struct Preset {
    class: fn(u8) -> bool,
    min: usize,
    max: usize,
    wasm_suffix: bool,
}

/// Vite/Rolldown `[name]-[hash]`: 8 characters of base64url (`-` and `_`
/// included), before the first extension.
static VITE: Preset = Preset {
    class: |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
    min: 8,
    max: 8,
    wasm_suffix: false,
};
/// esbuild `[name]-[hash]`: 8 characters of RFC 4648 base32 (uppercase).
static ESBUILD: Preset = Preset {
    class: |b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b),
    min: 8,
    max: 8,
    wasm_suffix: false,
};
/// trunk `<name>-<hash>` (`_bg` before the extension of the wasm): 1 to 16
/// lowercase hex digits.
static TRUNK: Preset = Preset {
    class: |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
    min: 1,
    max: 16,
    wasm_suffix: true,
};

impl Preset {
    /// The byte range of the hash in `file`: the leftmost `-` that starts
    /// a match.
    fn find(&self, file: &[u8]) -> Option<(usize, usize)> {
        let extension = |rest: &[u8]| rest.len() >= 2 && rest.first() == Some(&b'.');
        for (dash, _) in file.iter().enumerate().filter(|(_, b)| **b == b'-') {
            let start = dash + 1;
            for len in (self.min..=self.max).rev() {
                let end = start + len;
                let Some(hash) = file.get(start..end) else {
                    continue;
                };
                if !hash.iter().all(|b| (self.class)(*b)) {
                    continue;
                }
                let rest = file.get(end..).unwrap_or_default();
                let wasm = self.wasm_suffix && rest.strip_prefix(b"_bg").is_some_and(extension);
                if wasm || extension(rest) {
                    return Some((start, end));
                }
            }
        }
        None
    }
}

impl Scheme {
    /// A preset (`vite`, `esbuild`, `trunk`) or a regular expression with
    /// a group named `hash`.
    ///
    /// ```
    /// use rcollect_core::bundler::Scheme;
    /// let vite = Scheme::parse("vite").unwrap();
    /// assert_eq!(
    ///     vite.family("assets/shared-utils-Dz4e8K-7.js").as_deref(),
    ///     Some("assets/shared-utils-[hash].js")
    /// );
    /// let own = Scheme::parse(r"\.(?P<hash>[0-9a-f]{10})\.js$").unwrap();
    /// assert_eq!(own.family("app.0123456789.js").as_deref(), Some("app.[hash].js"));
    /// assert!(Scheme::parse("(no hash group)").is_err());
    /// ```
    ///
    /// # Errors
    /// Not a preset, and not a regular expression with a `hash` group.
    pub fn parse(spec: &str) -> std::result::Result<Scheme, String> {
        let matcher = match spec {
            "vite" | "rolldown" => Matcher::Preset(&VITE),
            "esbuild" => Matcher::Preset(&ESBUILD),
            "trunk" => Matcher::Preset(&TRUNK),
            other => {
                let regex = regex_lite::Regex::new(other).map_err(|e| e.to_string())?;
                if !regex.capture_names().any(|n| n == Some("hash")) {
                    return Err("has no group named `hash`".into());
                }
                Matcher::Custom(regex)
            }
        };
        Ok(Scheme {
            name: spec.to_string(),
            matcher,
        })
    }

    /// The scheme's name (the preset or the expression).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The family of `name` (a `/`-separated path): its last segment with
    /// the hash replaced by `[hash]`; `None` when the name does not match.
    pub fn family(&self, name: &str) -> Option<String> {
        let (dir, file) = match name.rsplit_once('/') {
            Some((d, f)) => (Some(d), f),
            None => (None, name),
        };
        let (start, end) = match &self.matcher {
            Matcher::Preset(p) => p.find(file.as_bytes())?,
            Matcher::Custom(regex) => {
                let hash = regex.captures(file)?.name("hash")?;
                (hash.start(), hash.end())
            }
        };
        let (before, after) = (file.get(..start)?, file.get(end..)?);
        // A name before the hash, not only its separator.
        if before.trim_end_matches(['-', '_', '.']).is_empty() || start == end {
            return None;
        }
        let family = format!("{before}[hash]{after}");
        Some(match dir {
            Some(d) => format!("{d}/{family}"),
            None => family,
        })
    }
}

/// What the bundlers' output in the source dirs is, by logical path.
#[derive(Debug, Clone, Default)]
pub struct Bundled {
    /// Files already hashed by a bundler, by logical path.
    pub hashed: HashMap<String, HashedBy>,
    /// The entries and chunks of Vite manifests, by their manifest key
    /// (`src/main.ts`), with logical paths.
    pub bundles: BTreeMap<String, Bundle>,
    /// What each bundler file loads with it (static imports, its CSS and
    /// assets), by logical path, from the bundler manifests.
    pub references: BTreeMap<String, BTreeSet<String>>,
}

impl Bundled {
    /// The schemes of the files found, to tell a newer release's names.
    pub fn is_empty(&self) -> bool {
        self.hashed.is_empty()
    }
}

/// Finds the bundler output among `found` (see the module docs).
///
/// # Errors
/// A configured scheme does not compile, or a bundler manifest or metafile
/// cannot be read or parsed (the error names it).
pub fn detect(config: &Config, found: &Found) -> Result<Bundled> {
    let mut out = Bundled::default();
    let by_path: HashMap<PathBuf, &str> = found
        .assets
        .iter()
        .map(|a| (crate::paths::normalize(&a.source), a.logical.as_str()))
        .collect();
    let schemes = config
        .bundler
        .hashed_names
        .iter()
        .map(|s| {
            Scheme::parse(s).map_err(|m| {
                Error::from(ConfigError::value(
                    "bundler.hashed_names",
                    format!("'{s}' {m}"),
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let vite = preset("vite")?;
    // Vite manifests: in a source dir's `.vite/`, and configured ones.
    let mut manifests: Vec<PathBuf> = config
        .dirs
        .iter()
        .map(|d| d.path.join(".vite").join("manifest.json"))
        .filter(|p| p.is_file())
        .collect();
    manifests.extend(config.bundler.manifests.iter().cloned());
    for path in &manifests {
        let out_dir = match path.parent() {
            Some(p) if p.file_name().is_some_and(|n| n == ".vite") => p.parent(),
            other => other,
        }
        .unwrap_or(Path::new(""));
        vite_manifest(path, out_dir, &by_path, &vite, &mut out)?;
        // Unlisted files in the output dir named like Vite's (maps, workers).
        let out_dir = crate::paths::normalize(out_dir);
        for a in &found.assets {
            if crate::paths::normalize(&a.source).starts_with(&out_dir) {
                mark(&mut out, &a.logical, &vite);
            }
        }
    }
    for path in &config.bundler.metafiles {
        esbuild_metafile(path, &by_path, &mut out)?;
    }
    for scheme in &schemes {
        for a in &found.assets {
            mark(&mut out, &a.logical, scheme);
        }
    }
    Ok(out)
}

/// A preset scheme (they always compile).
fn preset(name: &'static str) -> Result<Scheme> {
    Scheme::parse(name).map_err(|_| Error::Internal {
        path: PathBuf::from(name),
        message: "a preset naming scheme does not compile",
    })
}

/// Marks `logical` as hashed by `scheme`, if its name matches and it is not
/// marked yet.
fn mark(out: &mut Bundled, logical: &str, scheme: &Scheme) -> bool {
    if out.hashed.contains_key(logical) {
        return true;
    }
    match scheme.family(logical) {
        Some(family) => {
            out.hashed.insert(
                logical.to_string(),
                HashedBy {
                    scheme: scheme.name().to_string(),
                    family,
                },
            );
            true
        }
        None => false,
    }
}

/// One entry of a Vite manifest.
#[derive(Debug, Deserialize)]
struct ViteChunk {
    file: String,
    #[serde(default)]
    css: Vec<String>,
    #[serde(default)]
    assets: Vec<String>,
    #[serde(default)]
    imports: Vec<String>,
    #[serde(default, rename = "dynamicImports")]
    dynamic_imports: Vec<String>,
    #[serde(default, rename = "isEntry")]
    is_entry: bool,
    #[serde(default, rename = "isDynamicEntry")]
    is_dynamic_entry: bool,
}

fn vite_manifest(
    path: &Path,
    out_dir: &Path,
    by_path: &HashMap<PathBuf, &str>,
    vite: &Scheme,
    out: &mut Bundled,
) -> Result<()> {
    let bytes = crate::manifest::read(path, crate::manifest::MAX_MANIFEST_BYTES)?
        .ok_or_else(|| Error::io(path, std::io::ErrorKind::NotFound.into()))?;
    let chunks: BTreeMap<String, ViteChunk> =
        serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path: path.to_path_buf(),
            message: format!("not a Vite manifest: {e}"),
        })?;
    // A manifest file name, as the logical path of the collected file.
    let logical = |name: &str| -> Option<String> {
        let abs = crate::paths::normalize(&crate::paths::path_in(out_dir, name));
        by_path.get(&abs).map(|l| l.to_string())
    };
    for (key, chunk) in &chunks {
        let Some(file) = logical(&chunk.file) else {
            tracing::warn!(
                "{}: '{}' of '{key}' is not among the collected files",
                crate::paths::shown(path),
                chunk.file
            );
            continue;
        };
        let named: Vec<String> = chunk
            .css
            .iter()
            .chain(&chunk.assets)
            .filter_map(|n| logical(n))
            .collect();
        for l in std::iter::once(&file).chain(&named) {
            if !mark(out, l, vite) {
                // Listed by the manifest but not named like Vite's: still
                // its own name, with itself as the family.
                out.hashed.insert(
                    l.clone(),
                    HashedBy {
                        scheme: "vite".into(),
                        family: l.clone(),
                    },
                );
            }
        }
        let file_of = |k: &String| chunks.get(k).and_then(|c| logical(&c.file));
        let bundle = Bundle {
            file: file.clone(),
            css: chunk.css.iter().filter_map(|n| logical(n)).collect(),
            assets: chunk.assets.iter().filter_map(|n| logical(n)).collect(),
            imports: chunk.imports.iter().filter_map(file_of).collect(),
            dynamic_imports: chunk.dynamic_imports.iter().filter_map(file_of).collect(),
            entry: chunk.is_entry,
            dynamic_entry: chunk.is_dynamic_entry,
        };
        let refs = out.references.entry(file.clone()).or_default();
        refs.extend(bundle.imports.iter().cloned());
        refs.extend(bundle.css.iter().cloned());
        refs.extend(bundle.assets.iter().cloned());
        out.bundles.insert(key.clone(), bundle);
    }
    Ok(())
}

/// The entries and chunks of the Vite manifest of a source dir
/// (`<dir>/.vite/manifest.json`), with logical paths (the dir's prefix plus
/// the file names), for dev mode, which serves a dir as it is. Empty when
/// the dir has no Vite manifest.
///
/// # Errors
/// The manifest cannot be read or is not a Vite manifest.
pub fn vite_bundles(dir: &crate::config::SourceDir) -> Result<BTreeMap<String, Bundle>> {
    let path = dir.path.join(".vite").join("manifest.json");
    let Some(bytes) = crate::manifest::read(&path, crate::manifest::MAX_MANIFEST_BYTES)? else {
        return Ok(BTreeMap::new());
    };
    let chunks: BTreeMap<String, ViteChunk> =
        serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
            path: path.clone(),
            message: format!("not a Vite manifest: {e}"),
        })?;
    let logical = |name: &str| {
        if dir.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", dir.prefix)
        }
    };
    let file_of = |k: &String| chunks.get(k).map(|c| logical(&c.file));
    Ok(chunks
        .iter()
        .map(|(key, c)| {
            let bundle = Bundle {
                file: logical(&c.file),
                css: c.css.iter().map(|n| logical(n)).collect(),
                assets: c.assets.iter().map(|n| logical(n)).collect(),
                imports: c.imports.iter().filter_map(file_of).collect(),
                dynamic_imports: c.dynamic_imports.iter().filter_map(file_of).collect(),
                entry: c.is_entry,
                dynamic_entry: c.is_dynamic_entry,
            };
            (key.clone(), bundle)
        })
        .collect())
}

/// What a page needs to load the bundler entry `key` of `bundles`: the
/// entry's file, then the files of the chunks it imports statically,
/// transitively, nearest first (modulepreload), and the stylesheets of all
/// of them (`dynamicImports` load later, with their own). `None` when
/// `key` is not in `bundles`.
///
/// ```
/// use rcollect_core::manifest::Bundle;
/// use std::collections::BTreeMap;
/// let b = |file: &str, css: &[&str], imports: &[&str]| Bundle {
///     file: file.into(),
///     css: css.iter().map(|s| s.to_string()).collect(),
///     imports: imports.iter().map(|s| s.to_string()).collect(),
///     ..Bundle::default()
/// };
/// let bundles = BTreeMap::from([
///     ("src/main.ts".to_string(), b("main-1.js", &["main-1.css"], &["util-2.js"])),
///     ("_util-2.js".to_string(), b("util-2.js", &["util-2.css"], &["base-3.js"])),
///     ("_base-3.js".to_string(), b("base-3.js", &[], &[])),
/// ]);
/// let e = rcollect_core::bundler::entry_files(&bundles, "src/main.ts").unwrap();
/// assert_eq!(e.file, "main-1.js");
/// assert_eq!(e.preload, ["util-2.js", "base-3.js"]);
/// assert_eq!(e.css, ["main-1.css", "util-2.css"]);
/// ```
pub fn entry_files(bundles: &BTreeMap<String, Bundle>, key: &str) -> Option<EntryFiles> {
    let entry = bundles.get(key)?;
    let by_file: HashMap<&str, &Bundle> = bundles.values().map(|b| (b.file.as_str(), b)).collect();
    let mut out = EntryFiles {
        file: entry.file.clone(),
        css: entry.css.clone(),
        preload: Vec::new(),
    };
    let mut seen: BTreeSet<&str> = BTreeSet::from([entry.file.as_str()]);
    let mut queue: std::collections::VecDeque<&str> =
        entry.imports.iter().map(String::as_str).collect();
    while let Some(file) = queue.pop_front() {
        if !seen.insert(file) {
            continue;
        }
        out.preload.push(file.to_string());
        if let Some(b) = by_file.get(file) {
            for css in &b.css {
                if !out.css.contains(css) {
                    out.css.push(css.clone());
                }
            }
            queue.extend(b.imports.iter().map(String::as_str));
        }
    }
    Some(out)
}

/// What [`entry_files`] gives: names as in the bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFiles {
    /// The entry's own file (`<script type="module">`).
    pub file: String,
    /// Every stylesheet the entry and its static imports need, in order.
    pub css: Vec<String>,
    /// The chunks it imports statically, transitively, nearest first.
    pub preload: Vec<String>,
}

/// The parts of an esbuild metafile used here.
#[derive(Debug, Deserialize)]
struct Metafile {
    outputs: BTreeMap<String, MetaOutput>,
}

#[derive(Debug, Deserialize)]
struct MetaOutput {
    #[serde(default)]
    imports: Vec<MetaImport>,
    #[serde(default, rename = "cssBundle")]
    css_bundle: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MetaImport {
    path: String,
    kind: String,
}

fn esbuild_metafile(
    path: &Path,
    by_path: &HashMap<PathBuf, &str>,
    out: &mut Bundled,
) -> Result<()> {
    let bytes = crate::manifest::read(path, crate::manifest::MAX_MANIFEST_BYTES)?
        .ok_or_else(|| Error::io(path, std::io::ErrorKind::NotFound.into()))?;
    let meta: Metafile = serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
        path: path.to_path_buf(),
        message: format!("not an esbuild metafile: {e}"),
    })?;
    // Output paths are relative to where esbuild ran: the metafile's dir
    // or one of its ancestors; the first under which the file exists.
    let bases: Vec<&Path> = path.ancestors().skip(1).collect();
    let logical = |name: &str| -> Option<String> {
        bases.iter().find_map(|b| {
            let abs = crate::paths::normalize(&crate::paths::path_in(b, name));
            by_path.get(&abs).map(|l| l.to_string())
        })
    };
    let esbuild = preset("esbuild")?;
    for (name, output) in &meta.outputs {
        let Some(file) = logical(name) else {
            continue; // not collected (written elsewhere, or ignored)
        };
        if !mark(out, &file, &esbuild) {
            out.hashed.insert(
                file.clone(),
                HashedBy {
                    scheme: "esbuild".into(),
                    family: file.clone(),
                },
            );
        }
        let statics = output
            .imports
            .iter()
            .filter(|i| i.kind != "dynamic-import")
            .filter_map(|i| logical(&i.path));
        let css = output.css_bundle.iter().filter_map(|c| logical(c));
        let refs: BTreeSet<String> = statics.chain(css).filter(|t| *t != file).collect();
        if !refs.is_empty() {
            out.references.entry(file).or_default().extend(refs);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_name_the_hash_and_leave_other_names_alone() {
        let vite = Scheme::parse("vite").expect("vite");
        for (name, family) in [
            ("assets/main-D2fcVDzT.js", "assets/main-[hash].js"),
            ("assets/lazy-b-Di4-IM_D.js", "assets/lazy-b-[hash].js"),
            ("assets/main-D2fcVDzT.js.map", "assets/main-[hash].js.map"),
            ("assets/data-Db-31cNy.txt", "assets/data-[hash].txt"),
        ] {
            assert_eq!(vite.family(name).as_deref(), Some(family), "{name}");
        }
        assert_eq!(vite.family("css/app.css"), None);
        assert_eq!(vite.family("-D2fcVDzT.js"), None, "nothing before the hash");
        let esbuild = Scheme::parse("esbuild").expect("esbuild");
        assert_eq!(
            esbuild.family("chunks/chunk-LCZJDBP2.js").as_deref(),
            Some("chunks/chunk-[hash].js")
        );
        assert_eq!(esbuild.family("main-D2fcVDzT.js"), None, "not base32");
        let trunk = Scheme::parse("trunk").expect("trunk");
        assert_eq!(
            trunk.family("app-7a1c0e9f3b2d4e5f_bg.wasm").as_deref(),
            Some("app-[hash]_bg.wasm")
        );
        assert_eq!(
            trunk.family("index-9d2c.css").as_deref(),
            Some("index-[hash].css")
        );
        assert!(Scheme::parse("[").is_err());
        assert!(Scheme::parse("app-[a-f0-9]+.js").is_err(), "no hash group");
    }

    /// The hand-written presets find the hash exactly where the regular
    /// expressions they replace did, on names built from the bytes that
    /// matter (class members, separators, `_bg`, dots).
    #[test]
    fn presets_agree_with_their_former_regular_expressions() {
        let former = [
            ("vite", r"-(?P<hash>[A-Za-z0-9_-]{8})\.[^/]+$"),
            ("esbuild", r"-(?P<hash>[A-Z2-7]{8})\.[^/]+$"),
            ("trunk", r"-(?P<hash>[0-9a-f]{1,16})(?:_bg)?\.[^/]+$"),
        ]
        .map(|(preset, regex)| {
            let regex = regex_lite::Regex::new(regex).expect("former expression");
            match Scheme::parse(preset).expect(preset).matcher {
                Matcher::Preset(p) => (preset, regex, p),
                Matcher::Custom(_) => panic!("{preset} is a preset"),
            }
        });
        let pieces = [
            "a", "f", "Z", "Q", "2", "7", "9", "-", "_", ".", "_bg", "js", "é", "D2fcVDzT",
            "LCZJDBP2", "7a1c0e9f", "-", ".",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        let mut checked = 0;
        for _ in 0..100_000 {
            let parts = 1 + next(9);
            let name: String = (0..parts).map(|_| pieces[next(pieces.len())]).collect();
            for (preset, regex, p) in &former {
                let want = regex
                    .captures(&name)
                    .and_then(|c| c.name("hash"))
                    .map(|m| (m.start(), m.end()));
                let got = p.find(name.as_bytes());
                assert_eq!(got, want, "{preset} on {name:?}");
                checked += usize::from(want.is_some());
            }
        }
        assert!(
            checked > 1_000,
            "only {checked} names matched: the test names are too rare"
        );
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn config(dirs: &[(&str, &Path)]) -> Config {
        let mut config = Config::new("/nonexistent-root", "/static/");
        for (prefix, path) in dirs {
            config.dirs.push(crate::config::SourceDir {
                prefix: prefix.to_string(),
                path: path.to_path_buf(),
            });
        }
        config
    }

    #[test]
    fn a_vite_manifest_marks_its_files_and_becomes_the_graph() {
        let t = tempfile::tempdir().expect("tempdir");
        let dist = t.path().join("dist");
        for f in [
            "assets/main-AbCd1234.js",
            "assets/main-EfGh5678.css",
            "assets/shared-IjKl9012.js",
            "assets/lazy-MnOp3456.js",
            "assets/logo.svg",
            "assets/worker-QrSt7890.js",
            "robots.txt",
        ] {
            write(&dist.join(f), "x");
        }
        write(
            &dist.join(".vite/manifest.json"),
            r#"{
              "src/main.ts": {"file": "assets/main-AbCd1234.js", "isEntry": true,
                "css": ["assets/main-EfGh5678.css"], "assets": ["assets/logo.svg"],
                "imports": ["_shared-IjKl9012.js"], "dynamicImports": ["src/lazy.ts"]},
              "_shared-IjKl9012.js": {"file": "assets/shared-IjKl9012.js"},
              "src/lazy.ts": {"file": "assets/lazy-MnOp3456.js", "isDynamicEntry": true,
                "imports": ["_shared-IjKl9012.js"]},
              "src/gone.ts": {"file": "assets/gone-UvWx1234.js"}
            }"#,
        );
        let config = config(&[("app", &dist)]);
        let found = crate::find::find(&config).expect("find");
        let b = detect(&config, &found).expect("detect");
        let family = |l: &str| b.hashed.get(l).map(|h| h.family.as_str());
        assert_eq!(
            family("app/assets/main-AbCd1234.js"),
            Some("app/assets/main-[hash].js")
        );
        assert_eq!(
            family("app/assets/main-EfGh5678.css"),
            Some("app/assets/main-[hash].css")
        );
        // Named by the manifest but not like Vite's: its own family.
        assert_eq!(family("app/assets/logo.svg"), Some("app/assets/logo.svg"));
        // In Vite's output dir, named like Vite's, not in the manifest.
        assert_eq!(
            family("app/assets/worker-QrSt7890.js"),
            Some("app/assets/worker-[hash].js")
        );
        assert_eq!(
            family("app/robots.txt"),
            None,
            "public/ copies are ours to hash"
        );
        assert!(
            !found.assets.iter().any(|a| a.logical.contains(".vite")),
            "the manifest itself is not collected"
        );
        let main = b.bundles.get("src/main.ts").expect("entry");
        assert!(main.entry);
        assert_eq!(main.imports, ["app/assets/shared-IjKl9012.js"]);
        assert_eq!(main.dynamic_imports, ["app/assets/lazy-MnOp3456.js"]);
        assert!(b.bundles.get("src/lazy.ts").expect("lazy").dynamic_entry);
        assert!(
            !b.bundles.contains_key("src/gone.ts"),
            "a file not collected"
        );
        let refs = b
            .references
            .get("app/assets/main-AbCd1234.js")
            .expect("refs");
        assert!(refs.contains("app/assets/shared-IjKl9012.js"));
        assert!(refs.contains("app/assets/main-EfGh5678.css"));
        assert!(
            !refs.contains("app/assets/lazy-MnOp3456.js"),
            "dynamic: loaded later"
        );
        let e = entry_files(&b.bundles, "src/main.ts").expect("entry files");
        assert_eq!(e.preload, ["app/assets/shared-IjKl9012.js"]);
    }

    #[test]
    fn an_esbuild_metafile_marks_its_outputs_with_their_static_imports() {
        let t = tempfile::tempdir().expect("tempdir");
        let out = t.path().join("dist/esbuild");
        for f in [
            "main-ABCD2345.js",
            "main-EFGH6789.css",
            "chunks/chunk-IJKL2345.js",
            "chunks/lazy-MNOP6789.js",
        ] {
            write(&out.join(f), "x");
        }
        let meta = t.path().join("dist/meta.json");
        write(
            &meta,
            r#"{"inputs": {}, "outputs": {
              "dist/esbuild/main-ABCD2345.js": {"cssBundle": "dist/esbuild/main-EFGH6789.css",
                "imports": [{"path": "dist/esbuild/chunks/chunk-IJKL2345.js", "kind": "import-statement"},
                            {"path": "dist/esbuild/chunks/lazy-MNOP6789.js", "kind": "dynamic-import"}]},
              "dist/esbuild/main-EFGH6789.css": {},
              "dist/esbuild/chunks/chunk-IJKL2345.js": {},
              "dist/esbuild/chunks/lazy-MNOP6789.js": {}
            }}"#,
        );
        let mut config = config(&[("", &out)]);
        config.bundler.metafiles.push(meta);
        let found = crate::find::find(&config).expect("find");
        let b = detect(&config, &found).expect("detect");
        assert_eq!(b.hashed.len(), 4);
        assert_eq!(
            b.hashed
                .get("chunks/chunk-IJKL2345.js")
                .map(|h| h.family.as_str()),
            Some("chunks/chunk-[hash].js")
        );
        let refs = b.references.get("main-ABCD2345.js").expect("refs");
        assert_eq!(
            refs.iter().map(String::as_str).collect::<Vec<_>>(),
            ["chunks/chunk-IJKL2345.js", "main-EFGH6789.css"]
        );
    }

    #[test]
    fn a_broken_bundler_manifest_or_scheme_is_an_error_naming_it() {
        let t = tempfile::tempdir().expect("tempdir");
        let dist = t.path().join("dist");
        write(&dist.join("a-AbCd1234.js"), "x");
        write(
            &dist.join(".vite/manifest.json"),
            "{\n  \"src/a.ts\": {\"file\": 3}\n}",
        );
        let config = config(&[("", &dist)]);
        let found = crate::find::find(&config).expect("find");
        let err = detect(&config, &found)
            .expect_err("a broken manifest")
            .to_string();
        assert!(err.contains("manifest.json"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        let mut config = config.clone();
        std::fs::remove_file(dist.join(".vite/manifest.json")).expect("rm");
        config.bundler.hashed_names.push("([a-z]+).js".into());
        let err = detect(&config, &found)
            .expect_err("no hash group")
            .to_string();
        assert!(err.contains("bundler.hashed_names"), "{err}");
    }
}
