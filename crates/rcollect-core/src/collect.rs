//! The collect run, orchestration only: read what STATIC_ROOT holds (once),
//! plan, write the hashed files, precompress ([`crate::compress`]: variants,
//! deltas), write the manifest, then the unhashed copies and the sweep.
//!
//! Safety rules:
//! * every file is written to a temp name in its final directory and renamed;
//! * a hashed file that already exists is never rewritten (its name is its
//!   content), and its variants are reused;
//! * the manifest is written last, atomically, and only if it changed;
//! * nothing the previous manifest names is deleted, unless `clear`;
//! * unhashed copies (mutable by nature) are updated after the manifest, as
//!   hard links to the hashed files where the filesystem allows it.
//!
//! So a run that fails or is killed at any point leaves the previous manifest
//! and every file it names intact.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;

use crate::checks::{self, Finding, Level};
use crate::compress::variants::Variants;
use crate::compress::{Cache, Jobs};
use crate::config::Config;
use crate::content_type::content_type;
use crate::error::{ConfigError, Error, Result};
use crate::find::Shadowed;
use crate::manifest::{Delta, Encoding, FileMeta, MANIFEST_NAME, Manifest};
use crate::paths::with_suffix;
use crate::plan::{self, BrokenReference, Content, PlanOptions, Planned};
use crate::progress::{Phase, Progress};
use crate::statcache::StatCache;
use crate::write::{copy_verified, file_len, link_or_copy, lock, write_atomic};

/// Knobs of one collect run.
#[derive(Clone, Default)]
pub struct Options {
    /// Compute and report everything, write nothing.
    pub dry_run: bool,
    /// Afterwards, delete every file in STATIC_ROOT this run did not produce.
    pub clear: bool,
    /// Before reusing what STATIC_ROOT already holds, check it: every
    /// hashed file against its SHA-256, every variant and delta by decoding
    /// it ([`crate::compress::verify`]); anything that is not what the
    /// manifest records is written again. Repairs a root that
    /// `rcollect check --manifest` finds damaged; costs a read of every
    /// output.
    pub verify: bool,
    /// Receives progress events (the CLI draws a bar from them).
    pub progress: Option<Arc<dyn Progress>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("dry_run", &self.dry_run)
            .field("clear", &self.clear)
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Files whose hashed output was written (new content).
    pub collected: usize,
    /// Files whose hashed output already existed.
    pub unchanged: usize,
    /// Source files the stat cache knew (same stamp as when a previous
    /// run read them): not read, hashed nor scanned again, unless a file
    /// they reference changed.
    pub known: usize,
    /// Files whose references were rewritten.
    pub post_processed: usize,
    /// Variants produced by running a compressor.
    pub compressed: usize,
    /// Variants restored from the compression cache.
    pub from_cache: usize,
    /// Variants reused from STATIC_ROOT.
    pub reused: usize,
    /// Outputs already in STATIC_ROOT that `verify` found damaged and
    /// wrote again: hashed files and variants (damaged deltas are encoded
    /// again and counted in `deltas`, or removed for previous versions).
    pub repaired: usize,
    /// Dictionary-compressed deltas (RFC 9842) written this run (encoded, or
    /// from the compression cache).
    pub deltas: usize,
    /// Variants compressed (or found in the cache) this run but not kept:
    /// they saved less than `[compress] min_saving`.
    pub dropped: usize,
    /// The hashed names written (in a dry run: that would be written), in
    /// plan order.
    pub written: Vec<String>,
    /// Files hidden by a file with the same logical path in an earlier dir.
    pub shadowed: Vec<Shadowed>,
    /// Files deleted by `clear`.
    pub deleted: usize,
    /// Whether the manifest was (or, in a dry run, would be) written.
    pub manifest_changed: bool,
    /// The manifest's path.
    pub manifest_path: PathBuf,
    /// The history name the replaced manifest was kept under, if one was.
    pub history: Option<String>,
    /// Configuration warnings.
    pub findings: Vec<Finding>,
    /// References left as written (`missing_references = "warn"`).
    pub broken: Vec<BrokenReference>,
    /// Groups of files that reference each other in a cycle.
    pub cycles: Vec<Vec<String>>,
    /// Total files in the manifest.
    pub total: usize,
    /// Bytes of the files in the manifest.
    pub bytes: u64,
    /// What those files weigh as a browser that accepts `br` gets them:
    /// the brotli variant where one was kept, the file otherwise.
    pub br_bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// True for a dry run.
    pub dry_run: bool,
}

/// Runs a collect.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rcollect_core::{collect, config::SourceDir, Config};
/// let t = tempfile::tempdir()?;
/// std::fs::create_dir_all(t.path().join("assets/img"))?;
/// std::fs::write(t.path().join("assets/img/a.svg"), "<svg/>")?;
/// std::fs::write(t.path().join("assets/app.css"), "b{background:url(img/a.svg)}")?;
/// let mut config = Config::new(t.path().join("out"), "/static/");
/// config.cache_dir = None;
/// config.dirs.push(SourceDir { prefix: String::new(), path: t.path().join("assets") });
/// let summary = collect::collect(&config, &collect::Options::default())?;
/// assert_eq!(summary.collected, 2);
/// let manifest = rcollect_core::Manifest::load(&config.static_root, config.manifest_max_size)?
///     .expect("manifest");
/// let css = std::fs::read_to_string(config.static_root.join(&manifest.paths["app.css"]))?;
/// assert!(css.contains(manifest.paths["img/a.svg"].trim_start_matches("img/")));
/// # Ok(()) }
/// ```
pub fn collect(config: &Config, options: &Options) -> Result<Summary> {
    collect_started(config, options, SystemTime::now())
}

/// [`collect`] that takes `started` as the time the run started (what
/// decides which sources had settled for the stat cache).
fn collect_started(config: &Config, options: &Options, started: SystemTime) -> Result<Summary> {
    let start = Instant::now();
    let findings = refuse_config_errors(config)?;
    let root = &config.static_root;
    // What earlier runs learnt about the sources (`clear` and `verify`
    // start from nothing), then the walk: its stamps are taken after
    // `started`, which decides which entries are kept for the next run.
    let stat_key = crate::statcache::config_key(config);
    let cache = if options.clear || options.verify {
        StatCache::default()
    } else {
        StatCache::load(root, &stat_key)
    };
    let recorded_manifest = cache.manifest;
    let found = crate::find::find(config)?;
    let (plan, learnt) = plan::plan_known(
        config,
        found,
        PlanOptions {
            // A damaged hashed file must not stand in for the final bytes.
            reuse_root: (!options.verify).then(|| root.clone()),
            ..PlanOptions::default()
        },
        Some(plan::Known { cache, started }),
    )?;
    if plan.files.is_empty() && !config.allow_empty {
        return Err(Error::NothingToCollect {
            dirs: config.dirs.iter().map(|d| d.path.clone()).collect(),
        });
    }
    let mut summary = Summary::new(config, options, &plan, findings);
    summary.known = learnt.known;
    let _lock = if options.dry_run {
        None
    } else {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        Some(lock(root)?)
    };
    // The older manifest versions are read only when something changed:
    // the live manifest is the one the run that wrote the stat cache left,
    // and it records these very files.
    let before = Before::read(root, config.manifest_max_size, |live| {
        !options.verify
            && recorded_manifest.is_some()
            && recorded_manifest == manifest_stamp(root)
            && records_exactly(live, &plan.files)
    })?;
    let cache = config.cache_dir.as_ref().map(Cache::new);
    let encodings = enabled_encodings(config);
    let jobs = Jobs {
        root,
        previous: &before.live,
        versions: &before.versions,
        cache: cache.as_ref(),
        encodings: &encodings,
        min_saving: config.compress.min_saving,
        verify: options.verify,
        dry_run: options.dry_run,
    };
    let progress = options.progress.as_deref();

    // 1. Hashed files, and the variants that need no compressor.
    if !options.dry_run {
        make_dirs(root, &plan.files, config.keep_unhashed)?;
    }
    let mut outcomes = write_all(&jobs, &plan.files, progress, &mut summary)?;
    // 2. Compression of what is left.
    let mut variants: Vec<Variants> = outcomes
        .iter_mut()
        .map(|o| std::mem::take(&mut o.variants))
        .collect();
    let compressed = jobs.compress_pending(&plan.files, &mut variants, progress)?;
    summary.compressed = compressed.compressed;
    summary.dropped += compressed.dropped;
    if options.verify && !options.dry_run {
        summary.repaired += jobs.repair_history(&plan.files)?;
    }
    // 3. Deltas against the previous versions still in STATIC_ROOT.
    let deltas = if config.compress.deltas > 0 && !options.dry_run {
        if before.history_skipped {
            jobs.recorded_deltas(&plan.files)
        } else {
            let (deltas, made) =
                jobs.make_deltas(&plan.files, &variants, config.compress.deltas)?;
            summary.deltas = made;
            deltas
        }
    } else {
        vec![BTreeMap::new(); plan.files.len()]
    };
    let outputs: Vec<Outputs> = variants
        .into_iter()
        .zip(deltas)
        .map(|(v, deltas)| Outputs {
            variants: v.kept,
            deltas,
        })
        .collect();
    // 4. The manifest, last, and only if it changed.
    let manifest = write_manifest(config, &plan, &outputs, &encodings, &before, &mut summary)?;
    for meta in manifest.files.values() {
        summary.bytes += meta.size;
        summary.br_bytes += meta
            .variants
            .get(&Encoding::Br)
            .copied()
            .unwrap_or(meta.size);
    }
    // 5. Unhashed copies, then cleanup.
    if config.keep_unhashed && !options.dry_run {
        plan.files
            .par_iter()
            .zip(outputs.par_iter())
            .try_for_each(|(p, o)| write_unhashed(root, p, o, &encodings, &manifest))?;
    }
    summary.deleted = crate::clean::sweep(root, &manifest, options.clear, options.dry_run)?;
    // Last, what this run learnt about the sources, for the next one (when
    // it is not what the cache says already).
    let manifest_now = manifest_stamp(root);
    if !options.dry_run
        && (learnt.changed || manifest_now != recorded_manifest)
        && let Err(e) = crate::statcache::save(root, &stat_key, manifest_now, learnt.entries)
    {
        tracing::warn!("{e}; the next collect reads every source again");
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// What STATIC_ROOT holds before the run, read once: the live manifest
/// (its bytes, to compare and keep in the history) and the readable
/// manifest versions, newest first (the live one first).
struct Before {
    live: Manifest,
    live_bytes: Option<Vec<u8>>,
    versions: Vec<(String, Manifest)>,
    /// The older versions were not read (`versions` holds the live one).
    history_skipped: bool,
}

/// The stamp of the live manifest, if there is one.
fn manifest_stamp(root: &Path) -> Option<crate::stamp::Stamp> {
    std::fs::metadata(root.join(MANIFEST_NAME))
        .ok()
        .map(|m| crate::stamp::Stamp::of(&m))
}

/// Whether `live` maps exactly the logical paths of `files` to their hashed
/// names, with their sizes and SHA-256s.
fn records_exactly(live: &Manifest, files: &[Planned]) -> bool {
    live.paths.len() == files.len()
        && files.iter().all(|p| {
            live.paths.get(&p.logical) == Some(&p.hashed)
                && live
                    .files
                    .get(&p.hashed)
                    .is_some_and(|m| m.size == p.digests.size && m.sha256 == p.digests.sha256_hex())
        })
}

impl Before {
    /// An unreadable live manifest is replaced (with a warning); an
    /// unreadable history version is left alone (no deltas against it).
    /// The history is not read when `skip_history` says so of the live
    /// manifest.
    fn read(
        root: &Path,
        max_bytes: u64,
        skip_history: impl FnOnce(&Manifest) -> bool,
    ) -> Result<Before> {
        let path = root.join(MANIFEST_NAME);
        let (live, live_bytes) = match crate::manifest::read(&path, max_bytes).and_then(|b| {
            Ok((
                b.as_deref()
                    .map(|b| Manifest::from_slice(&path, b))
                    .transpose()?,
                b,
            ))
        }) {
            Ok((m, bytes)) => (m, bytes),
            Err(e) => {
                tracing::warn!("{e}; it will be replaced");
                (None, None)
            }
        };
        let history_skipped = live.as_ref().is_some_and(skip_history);
        let history = if history_skipped {
            Vec::new()
        } else {
            crate::history::load_history(root, max_bytes)?
        };
        let mut versions = Vec::with_capacity(history.len() + 1);
        if let Some(m) = &live {
            versions.push((MANIFEST_NAME.to_string(), m.clone()));
        }
        for v in history {
            match v.manifest {
                Ok(m) => versions.push((v.name, m)),
                Err(e) => tracing::warn!("{e}; no deltas against the files it names"),
            }
        }
        Ok(Before {
            live: live.unwrap_or_default(),
            live_bytes,
            versions,
            history_skipped,
        })
    }
}

impl Summary {
    fn new(config: &Config, options: &Options, plan: &plan::Plan, findings: Vec<Finding>) -> Self {
        let mut findings = findings;
        for f in checks::check_sources(config, &plan.found) {
            f.log();
            findings.push(f);
        }
        Summary {
            shadowed: plan.found.shadowed.clone(),
            broken: plan.broken.clone(),
            cycles: plan.cycles.clone(),
            findings,
            manifest_path: config.static_root.join(MANIFEST_NAME),
            dry_run: options.dry_run,
            total: plan.files.len(),
            ..Summary::default()
        }
    }
}

/// Runs the configuration checks: errors refuse the collect (as one
/// configuration error listing them all), warnings are logged and returned.
fn refuse_config_errors(config: &Config) -> Result<Vec<Finding>> {
    let findings = checks::run(config);
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .map(Finding::with_hint)
        .collect();
    if !errors.is_empty() {
        return Err(ConfigError {
            file: config.config_file.clone(),
            line: None,
            key: None,
            message: format!("the configuration has errors:\n{}", errors.join("\n")),
        }
        .into());
    }
    for f in &findings {
        f.log();
    }
    Ok(findings)
}

/// The encodings `[compress]` turns on, in [`Encoding::ALL`] order.
fn enabled_encodings(config: &Config) -> Vec<Encoding> {
    Encoding::ALL
        .into_iter()
        .filter(|e| match e {
            Encoding::Br => config.compress.brotli,
            Encoding::Gzip => config.compress.gzip,
            Encoding::Zstd => config.compress.zstd,
        })
        .collect()
}

/// Per file: whether its hashed file was written, and the variants that
/// need no compressor (the rest pending).
#[derive(Debug, Default)]
struct Outcome {
    written: bool,
    variants: Variants,
}

/// Per file, what the manifest records beside it.
#[derive(Debug, Default)]
struct Outputs {
    variants: BTreeMap<Encoding, u64>,
    deltas: BTreeMap<String, Delta>,
}

/// Writes every hashed file (in parallel) and places the variants that
/// need no compressor; counts what was done in `summary`.
fn write_all(
    jobs: &Jobs<'_>,
    files: &[Planned],
    progress: Option<&dyn Progress>,
    summary: &mut Summary,
) -> Result<Vec<Outcome>> {
    if let Some(p) = progress {
        p.begin(Phase::Write, files.len() as u64);
    }
    let outcomes: Vec<Result<Outcome>> = files
        .par_iter()
        .map(|p| {
            let r = write_file(jobs, p);
            if let Some(pr) = progress {
                pr.advance(1);
            }
            r
        })
        .collect();
    if let Some(p) = progress {
        p.end();
    }
    let outcomes = outcomes.into_iter().collect::<Result<Vec<_>>>()?;
    for (p, o) in files.iter().zip(&outcomes) {
        if o.written {
            summary.collected += 1;
            summary.written.push(p.hashed.clone());
        } else {
            summary.unchanged += 1;
        }
        if p.rewritten {
            summary.post_processed += 1;
        }
        summary.reused += o.variants.reused;
        summary.repaired += o.variants.repaired;
        summary.from_cache += o.variants.from_cache;
        summary.dropped += o.variants.dropped;
    }
    Ok(outcomes)
}

/// Writes `p`'s hashed file unless it is there (with `verify`: with the
/// right bytes), then finds its variants that need no compressor.
fn write_file(jobs: &Jobs<'_>, p: &Planned) -> Result<Outcome> {
    let target = jobs.root.join(&p.hashed);
    let present = file_len(&target) == Some(p.digests.size);
    let damaged = present && jobs.verify && !holds(&target, &p.digests);
    let written = !present || damaged;
    if written && !jobs.dry_run {
        match &p.content {
            Content::Memory(bytes) => write_atomic(&target, bytes, false)?,
            Content::Source(src) => copy_verified(src, &target, &p.digests)?,
        }
    }
    let mut variants = jobs.reuse_variants(p)?;
    variants.repaired += usize::from(damaged);
    Ok(Outcome { written, variants })
}

/// Whether the file at `path` has exactly these digests (`verify`).
fn holds(path: &Path, digests: &crate::hash::Digests) -> bool {
    let ok = crate::hash::Digests::of_file(path).is_ok_and(|d| d == *digests);
    if !ok {
        tracing::warn!(
            "{}: not the bytes its name promises; writing it again",
            crate::paths::shown(path)
        );
    }
    ok
}

/// Builds the manifest and writes it (after keeping the one it replaces in
/// the history) when it changed, unless this is a dry run.
fn write_manifest(
    config: &Config,
    plan: &plan::Plan,
    outputs: &[Outputs],
    encodings: &[Encoding],
    before: &Before,
    summary: &mut Summary,
) -> Result<Manifest> {
    let mut manifest = build_manifest(config, &plan.files, outputs);
    for (from, targets) in &plan.references {
        let Some(hashed) = manifest.paths.get(from) else {
            continue;
        };
        let targets: Vec<String> = targets
            .iter()
            .filter_map(|t| manifest.paths.get(t).cloned())
            .collect();
        if !targets.is_empty() {
            manifest.references.insert(hashed.clone(), targets);
        }
    }
    let hashed = |l: &String| manifest.paths.get(l).cloned();
    let bundles = plan
        .bundles
        .iter()
        .filter_map(|(key, b)| {
            Some((
                key.clone(),
                crate::manifest::Bundle {
                    file: hashed(&b.file)?,
                    css: b.css.iter().filter_map(hashed).collect(),
                    assets: b.assets.iter().filter_map(hashed).collect(),
                    imports: b.imports.iter().filter_map(hashed).collect(),
                    dynamic_imports: b.dynamic_imports.iter().filter_map(hashed).collect(),
                    entry: b.entry,
                    dynamic_entry: b.dynamic_entry,
                },
            ))
        })
        .collect();
    manifest.bundles = bundles;
    manifest.linking = config.js.linking;
    manifest.imports = plan.imports.clone();
    manifest.sourcemaps = config.sourcemaps.mode;
    if !encodings.is_empty() {
        manifest.compress = Some(crate::manifest::CompressSettings {
            encodings: encodings.to_vec(),
            min_saving: config.compress.min_saving,
        });
    }
    let bytes = manifest.to_json();
    summary.manifest_changed = before.live_bytes.as_deref() != Some(&bytes[..]);
    if summary.manifest_changed && !summary.dry_run {
        // The version being replaced joins the history first, so that old
        // hashed URLs stay known (rolling deploys, `rcollect clean --keep`).
        if let Some(live) = &before.live_bytes {
            summary.history = crate::history::keep_live(&config.static_root, live)?;
        }
        write_atomic(&summary.manifest_path, &bytes, true)?;
    }
    // The import map for other servers, after the manifest it is made of.
    if manifest.linking == crate::config::Linking::Importmap && !summary.dry_run {
        let url = crate::url::StaticUrl::parse(&config.static_url).map_err(|e| {
            Error::from(crate::error::ConfigError::value(
                "static_url",
                format!("'{}' {e}", config.static_url),
            ))
        })?;
        crate::importmap::ImportMap::of(&manifest, &url).write(&config.static_root)?;
    }
    Ok(manifest)
}

fn build_manifest(config: &Config, files: &[Planned], outputs: &[Outputs]) -> Manifest {
    let mut m = Manifest::new();
    m.keep_unhashed = config.keep_unhashed;
    for (p, o) in files.iter().zip(outputs) {
        m.paths.insert(p.logical.clone(), p.hashed.clone());
        m.files.insert(
            p.hashed.clone(),
            FileMeta {
                size: p.digests.size,
                content_type: content_type(&p.logical),
                sha256: p.digests.sha256_hex(),
                integrity: p.digests.integrity(),
                modified: p.modified,
                variants: o.variants.clone(),
                deltas: o.deltas.clone(),
                hashed_by: p.hashed_by.clone(),
            },
        );
    }
    m.update_hash();
    m
}

/// Creates the directories every output lives in (each once).
fn make_dirs(root: &Path, files: &[Planned], unhashed: bool) -> Result<()> {
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for p in files {
        let names =
            std::iter::once(p.hashed.as_str()).chain(unhashed.then_some(p.logical.as_str()));
        for name in names {
            if let Some((dir, _)) = name.rsplit_once('/') {
                dirs.insert(dir);
            }
        }
    }
    for d in dirs {
        let path = root.join(d);
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

fn write_unhashed(
    root: &Path,
    p: &Planned,
    o: &Outputs,
    encodings: &[Encoding],
    manifest: &Manifest,
) -> Result<()> {
    if p.logical == p.hashed {
        return Ok(());
    }
    let hashed = root.join(&p.hashed);
    let plain = root.join(&p.logical);
    link_or_copy(&hashed, &plain)?;
    for enc in Encoding::ALL {
        if manifest
            .paths
            .contains_key(&format!("{}{}", p.logical, enc.suffix()))
        {
            // A source file has that name (a shipped `lib.js.gz`): it is an
            // asset of its own, written under its name; it wins.
            continue;
        }
        let vplain = with_suffix(&plain, enc.suffix());
        if o.variants.contains_key(&enc) {
            link_or_copy(&with_suffix(&hashed, enc.suffix()), &vplain)?;
        } else if encodings.contains(&enc) || vplain.exists() {
            // A stale variant of an older version would be served by
            // gzip_static/brotli_static for the new file: remove it.
            match std::fs::remove_file(&vplain) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&vplain, e)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SourceDir;

    fn project(dir: &Path) -> Config {
        let assets = dir.join("assets");
        std::fs::create_dir_all(assets.join("js")).expect("mkdir");
        std::fs::write(
            assets.join("js/app.js"),
            format!("import \"./util.js\";\n{}", "console.log(1);\n".repeat(200)),
        )
        .expect("write");
        std::fs::write(
            assets.join("js/util.js"),
            "export const x = 1;\n".repeat(100),
        )
        .expect("write");
        let mut config = Config::new(dir.join("out"), "/static/");
        config.cache_dir = Some(dir.join("cache"));
        config.dirs.push(SourceDir {
            prefix: String::new(),
            path: assets,
        });
        config
    }

    #[test]
    fn a_second_run_reuses_everything_and_reads_the_manifest_it_wrote() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        let first = collect(&config, &Options::default()).expect("collect");
        assert_eq!((first.collected, first.unchanged), (2, 0));
        assert!(first.compressed > 0 && first.manifest_changed);
        let again = collect(&config, &Options::default()).expect("collect");
        assert_eq!(
            (again.collected, again.unchanged, again.compressed),
            (0, 2, 0)
        );
        assert_eq!(again.reused, first.compressed);
        assert!(!again.manifest_changed && again.history.is_none());
        // The graph: app.js loads util.js.
        let m = Manifest::load(&config.static_root, config.manifest_max_size)
            .expect("load")
            .expect("manifest");
        let app = &m.paths["js/app.js"];
        assert_eq!(m.references[app], vec![m.paths["js/util.js"].clone()]);
    }

    #[test]
    fn a_change_keeps_the_replaced_manifest_and_makes_a_delta() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        collect(&config, &Options::default()).expect("collect");
        let util = t.path().join("assets/js/util.js");
        let mut text = std::fs::read_to_string(&util).expect("read");
        text.push_str("export const y = 2;\n");
        std::fs::write(&util, text).expect("write");
        let s = collect(&config, &Options::default()).expect("collect");
        // util.js and (through its import) app.js are new.
        assert_eq!(s.collected, 2, "{:?}", s.written);
        assert!(s.history.is_some() && s.deltas > 0, "{s:?}");
        let releases =
            crate::history::Releases::load(&config.static_root, config.manifest_max_size)
                .expect("releases");
        assert_eq!(releases.manifests().count(), 2);
        assert_eq!(releases.unreadable().count(), 0);
    }

    #[test]
    fn incompressible_data_of_an_unknown_type_is_sampled_not_compressed() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        // 512 KiB of xorshift noise, and as much repetitive text.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let noise: Vec<u8> = (0..512 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect();
        let assets = t.path().join("assets");
        std::fs::write(assets.join("blob.bin"), &noise).expect("write");
        std::fs::write(assets.join("big.txt"), "lorem ipsum ".repeat(45_000)).expect("write");
        let s = collect(&config, &Options::default()).expect("collect");
        let m = Manifest::load(&config.static_root, config.manifest_max_size)
            .expect("load")
            .expect("manifest");
        let (_, blob) = m.meta("blob.bin").expect("blob");
        assert!(blob.variants.is_empty(), "{blob:?}");
        let (_, big) = m.meta("big.txt").expect("big");
        assert!(big.variants.contains_key(&Encoding::Br), "{big:?}");
        // Never compressed: no cache entry was written for it.
        let sha = &blob.sha256;
        let cached = walkdir::WalkDir::new(t.path().join("cache"))
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(sha.as_str()));
        assert!(!cached, "the noise was compressed");
        assert!(s.dropped >= 2, "{s:?}");
        // And not tried again.
        let again = collect(&config, &Options::default()).expect("collect");
        assert_eq!(again.compressed, 0);
    }

    /// A run whose start is an hour ahead: every source has settled, so
    /// the stat cache keeps them all (a test need not wait out the margin).
    fn settled_run(config: &Config, options: &Options) -> Summary {
        let later = SystemTime::now() + Duration::from_secs(3600);
        collect_started(config, options, later).expect("collect")
    }

    fn set_mtime(path: &Path, t: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(t))
            .expect("set_modified");
    }

    /// Every file under `dir` with its bytes, but the stat cache, the lock
    /// and the manifest versions (named for when they were replaced).
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter(|e| {
                let name = e.file_name().to_string_lossy();
                name != crate::statcache::STAT_CACHE_NAME
                    && name != crate::write::LOCK_NAME
                    && !crate::history::is_history_name(&name)
            })
            .map(|e| {
                let key = e
                    .path()
                    .strip_prefix(dir)
                    .expect("under")
                    .display()
                    .to_string();
                (key, std::fs::read(e.path()).expect("read"))
            })
            .collect()
    }

    #[test]
    fn a_settled_source_is_taken_from_the_stat_cache_and_a_change_is_seen() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        let first = settled_run(&config, &Options::default());
        assert_eq!(first.known, 0);
        let again = settled_run(&config, &Options::default());
        assert_eq!((again.known, again.collected), (2, 0), "{again:?}");
        assert!(!again.manifest_changed);
        // Same size, and the mtime put back: the change time still differs.
        let util = t.path().join("assets/js/util.js");
        let mtime = std::fs::metadata(&util)
            .and_then(|m| m.modified())
            .expect("mtime");
        let text = std::fs::read_to_string(&util).expect("read");
        std::fs::write(&util, text.replacen("x = 1", "x = 2", 1)).expect("write");
        set_mtime(&util, mtime);
        let changed = settled_run(&config, &Options::default());
        assert_eq!(changed.known, 1, "app.js is known, util.js is not");
        // util.js, and app.js that imports it, are new.
        assert_eq!(changed.collected, 2, "{changed:?}");
        assert!(changed.manifest_changed);
    }

    #[test]
    fn a_no_op_keeps_the_recorded_deltas_without_reading_the_history() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        settled_run(&config, &Options::default());
        let util = t.path().join("assets/js/util.js");
        let mut text = std::fs::read_to_string(&util).expect("read");
        text.push_str("export const y = 2;\n");
        std::fs::write(&util, text).expect("write");
        let changed = settled_run(&config, &Options::default());
        assert!(changed.deltas > 0, "{changed:?}");
        let live = config.static_root.join(MANIFEST_NAME);
        let with_deltas = std::fs::read(&live).expect("read");
        // A run that read the older version would find no dictionary in it.
        let old = config
            .static_root
            .join(changed.history.as_deref().expect("history"));
        std::fs::write(&old, "not a manifest").expect("write");
        let noop = settled_run(&config, &Options::default());
        assert!(!noop.manifest_changed, "{noop:?}");
        assert_eq!(std::fs::read(&live).expect("read"), with_deltas);
        // A dictionary that is gone: its deltas are dropped.
        let m = Manifest::from_slice(&live, &with_deltas).expect("manifest");
        let meta = &m.files[&m.paths["js/util.js"]];
        let dictionary = &meta.deltas.values().next().expect("a delta").dictionary;
        std::fs::remove_file(config.static_root.join(dictionary)).expect("rm");
        let after = settled_run(&config, &Options::default());
        assert!(after.manifest_changed, "{after:?}");
        let m = Manifest::load(&config.static_root, config.manifest_max_size)
            .expect("load")
            .expect("manifest");
        assert!(m.files[&m.paths["js/util.js"]].deltas.is_empty());
    }

    #[test]
    fn a_racy_source_is_not_trusted_even_with_its_size_and_mtime() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        // The sources were written just now: racy for this run's start,
        // so nothing is kept for the next one.
        collect(&config, &Options::default()).expect("collect");
        let cache = crate::statcache::StatCache::load(
            &config.static_root,
            &crate::statcache::config_key(&config),
        );
        assert_eq!(cache.len(), 0);
        let util = t.path().join("assets/js/util.js");
        let mtime = std::fs::metadata(&util)
            .and_then(|m| m.modified())
            .expect("mtime");
        let text = std::fs::read_to_string(&util).expect("read");
        std::fs::write(&util, text.replacen("x = 1", "x = 3", 1)).expect("write");
        set_mtime(&util, mtime);
        let s = collect(&config, &Options::default()).expect("collect");
        assert_eq!((s.known, s.collected), (0, 2), "{s:?}");
        let m = Manifest::load(&config.static_root, config.manifest_max_size)
            .expect("load")
            .expect("manifest");
        let util_out =
            std::fs::read_to_string(config.static_root.join(&m.paths["js/util.js"])).expect("read");
        assert!(util_out.contains("x = 3"));
    }

    #[test]
    fn a_corrupted_stat_cache_is_ignored() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        settled_run(&config, &Options::default());
        let path = config.static_root.join(crate::statcache::STAT_CACHE_NAME);
        let good = std::fs::read(&path).expect("read");
        for bad in [
            good.get(..good.len() / 3).expect("prefix").to_vec(),
            b"\0\0\0 not json".to_vec(),
            Vec::new(),
        ] {
            std::fs::write(&path, &bad).expect("write");
            let s = settled_run(&config, &Options::default());
            assert_eq!((s.known, s.collected), (0, 0), "{s:?}");
            // And it was written again.
            let key = crate::statcache::config_key(&config);
            assert_eq!(
                crate::statcache::StatCache::load(&config.static_root, &key).len(),
                2
            );
        }
    }

    #[test]
    fn a_config_change_or_clear_starts_from_nothing() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut config = project(t.path());
        settled_run(&config, &Options::default());
        config.ignore.push("*.txt".into());
        let s = settled_run(&config, &Options::default());
        assert_eq!(s.known, 0, "another configuration");
        assert_eq!(settled_run(&config, &Options::default()).known, 2);
        let clear = Options {
            clear: true,
            ..Options::default()
        };
        assert_eq!(settled_run(&config, &clear).known, 0);
        // The clear run kept the cache it wrote.
        assert_eq!(settled_run(&config, &Options::default()).known, 2);
    }

    #[test]
    fn the_output_is_the_same_with_and_without_the_stat_cache() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut config = project(t.path());
        let assets = t.path().join("assets");
        let files = [
            (
                "css/app.css",
                "@import \"base.css\";\n.a { background: url(../img/a.svg?v=1#x) }\n/*# sourceMappingURL=app.css.map */\n",
            ),
            ("css/app.css.map", "{\"version\":3}"),
            (
                "css/base.css",
                "body { background: url(\"/static/img/b.svg\") }\n",
            ),
            // A cycle.
            ("css/x.css", "@import \"y.css\";\n.x{}\n"),
            (
                "css/y.css",
                "@import \"x.css\";\n.y { background: url(../img/a.svg) }\n",
            ),
            ("img/a.svg", "<svg/>"),
            ("img/b.svg", "<svg></svg>"),
            (
                "page.html",
                "<!doctype html><link rel=stylesheet href=css/app.css><script src=js/app.js></script><img src=img/missing.png>",
            ),
        ];
        for (name, text) in files {
            let p = assets.join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        config.missing_references = crate::config::MissingReferences::Warn;
        config.sourcemaps.mode = crate::config::SourceMapMode::Hidden;
        let cached = config.clone();
        let mut plain = config.clone();
        plain.static_root = t.path().join("plain");
        let run = |c: &Config| settled_run(c, &Options::default());
        // Both warm, then a change to an image two files reference.
        run(&cached);
        let warm = run(&cached);
        assert_eq!(warm.known, 10, "{warm:?}");
        run(&plain);
        assert_eq!(tree(&cached.static_root), tree(&plain.static_root));
        std::fs::write(assets.join("img/a.svg"), "<svg id=\"a\"/>").expect("write");
        let changed = run(&cached);
        assert_eq!(changed.known, 9, "{changed:?}");
        assert!(
            changed.collected >= 4,
            "a.svg, app.css, x.css, y.css: {changed:?}"
        );
        std::fs::remove_file(plain.static_root.join(crate::statcache::STAT_CACHE_NAME))
            .expect("rm");
        let fresh = run(&plain);
        assert_eq!(fresh.known, 0);
        assert_eq!(tree(&cached.static_root), tree(&plain.static_root));
        assert_eq!(
            (changed.broken.len(), changed.cycles.len()),
            (fresh.broken.len(), fresh.cycles.len())
        );
        // With every hashed file but one removed by hand, the cache stands
        // in for nothing it cannot show: the missing file is written again.
        let m = Manifest::load(&cached.static_root, cached.manifest_max_size)
            .expect("load")
            .expect("manifest");
        let app = cached.static_root.join(&m.paths["css/app.css"]);
        std::fs::remove_file(&app).expect("rm");
        let repaired = run(&cached);
        assert_eq!(repaired.collected, 1, "{repaired:?}");
        assert_eq!(tree(&cached.static_root), tree(&plain.static_root));
    }

    #[test]
    fn a_dry_run_writes_nothing() {
        let t = tempfile::tempdir().expect("tempdir");
        let config = project(t.path());
        let options = Options {
            dry_run: true,
            ..Options::default()
        };
        let s = collect(&config, &options).expect("dry run");
        assert_eq!(s.written.len(), 2);
        assert!(s.manifest_changed && s.dry_run);
        assert!(!config.static_root.join(MANIFEST_NAME).exists());
    }
}
