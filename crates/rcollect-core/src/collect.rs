//! The collect run: plan, write hashed files, precompress, write the manifest.
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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::checks::{self, Finding, Level};
use crate::compress::{self, Cache, schedule, worth_keeping};
use crate::config::Config;
use crate::content_type::{content_type, is_compressible};
use crate::delta::{self, DeltaCoding};
use crate::error::{ConfigError, Error, Result};
use crate::find::Shadowed;
use crate::manifest::{Delta, Encoding, FileMeta, MANIFEST_NAME, Manifest};
use crate::paths::with_suffix;
use crate::plan::{self, BrokenReference, Content, PlanOptions, Planned};
use crate::progress::{Phase, Progress};
use crate::write::{copy_verified, file_len, link_or_copy, lock, place_cached, write_atomic};

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
    let start = Instant::now();
    let findings = refuse_config_errors(config)?;
    let mut plan = plan::plan(
        config,
        PlanOptions {
            reuse_root: Some(config.static_root.clone()),
            ..PlanOptions::default()
        },
    )?;
    if plan.files.is_empty() && !config.allow_empty {
        return Err(Error::NothingToCollect {
            dirs: config.dirs.iter().map(|d| d.path.clone()).collect(),
        });
    }
    let mut summary = Summary::new(config, options, &plan, findings);
    let root = &config.static_root;
    let _lock = if options.dry_run {
        None
    } else {
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        Some(lock(root)?)
    };
    let old = match Manifest::load(root, config.manifest_max_size) {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            tracing::warn!("{e}; it will be replaced");
            Manifest::default()
        }
    };
    let cache = config.cache_dir.as_ref().map(Cache::new);
    let encodings = enabled_encodings(config);
    let ctx = WriteCtx {
        root,
        old: &old,
        cache: cache.as_ref(),
        encodings: &encodings,
        min_saving: config.compress.min_saving,
        max_manifest_bytes: config.manifest_max_size,
        verify: options.verify,
        dry_run: options.dry_run,
    };
    let progress = options.progress.as_deref();

    // 1. Hashed files, and the variants that need no compressor.
    if !options.dry_run {
        make_dirs(root, &plan.files, config.keep_unhashed)?;
    }
    let mut outcomes = ctx.write_all(&plan.files, progress, &mut summary)?;
    // 2. Compression of what is left.
    ctx.compress_pending(&mut plan.files, &mut outcomes, progress, &mut summary)?;
    // 2b. With `verify`, the outputs of previous versions still served.
    if options.verify && !options.dry_run {
        summary.repaired += ctx.repair_history(&plan.files)?;
    }
    // 3. Deltas against the previous versions still in STATIC_ROOT.
    if config.compress.dictionaries > 0 && !options.dry_run {
        summary.deltas =
            ctx.make_deltas(&plan.files, &mut outcomes, config.compress.dictionaries)?;
    }
    // 4. The manifest, last, and only if it changed.
    let manifest = write_manifest(config, &plan, &outcomes, &encodings, &mut summary)?;
    // 5. Unhashed copies, then cleanup.
    if config.keep_unhashed && !options.dry_run {
        plan.files
            .par_iter()
            .zip(outcomes.par_iter())
            .try_for_each(|(p, o)| write_unhashed(root, p, o, &encodings, &manifest))?;
    }
    summary.deleted = crate::clean::sweep(root, &manifest, options.clear, options.dry_run)?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

impl Summary {
    fn new(config: &Config, options: &Options, plan: &plan::Plan, findings: Vec<Finding>) -> Self {
        let mut findings = findings;
        for f in checks::check_sources(config, &plan.found) {
            tracing::warn!("warning[{}]: {} (hint: {})", f.id, f.message, f.hint);
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
        .map(|f| format!("error[{}]: {} (hint: {})", f.id, f.message, f.hint))
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
        tracing::warn!("warning[{}]: {} (hint: {})", f.id, f.message, f.hint);
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

/// Builds the manifest and writes it (after keeping the one it replaces in
/// the history) when it changed, unless this is a dry run.
fn write_manifest(
    config: &Config,
    plan: &plan::Plan,
    outcomes: &[Outcome],
    encodings: &[Encoding],
    summary: &mut Summary,
) -> Result<Manifest> {
    let mut manifest = build_manifest(config, &plan.files, outcomes);
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
    if !encodings.is_empty() {
        manifest.compress = Some(crate::manifest::CompressSettings {
            encodings: encodings.to_vec(),
            min_saving: config.compress.min_saving,
        });
    }
    let bytes = manifest.to_json();
    let current = std::fs::read(&summary.manifest_path).ok();
    summary.manifest_changed = current.as_deref() != Some(&bytes[..]);
    if summary.manifest_changed && !summary.dry_run {
        // The version being replaced joins the history first, so that old
        // hashed URLs stay known (rolling deploys, `rcollect clean --keep`).
        summary.history = crate::history::keep_live(&config.static_root)?;
        write_atomic(&summary.manifest_path, &bytes, true)?;
    }
    Ok(manifest)
}

/// Per-file result of the write phase.
#[derive(Debug, Default)]
struct Outcome {
    written: bool,
    variants: BTreeMap<Encoding, u64>,
    deltas: BTreeMap<String, Delta>,
    pending: Vec<Encoding>,
    reused: usize,
    from_cache: usize,
    /// Variants from the cache not kept: they save less than `min_saving`.
    dropped: usize,
    /// Damaged outputs found by `verify` (written again).
    repaired: usize,
}

/// Kept variant size (or `None`: not worth keeping) per (content sha256, encoding).
type Compressed = HashMap<([u8; 32], Encoding), Option<u64>>;

struct WriteCtx<'a> {
    root: &'a Path,
    old: &'a Manifest,
    cache: Option<&'a Cache>,
    encodings: &'a [Encoding],
    min_saving: f64,
    max_manifest_bytes: u64,
    verify: bool,
    dry_run: bool,
}

impl WriteCtx<'_> {
    /// Writes every hashed file (in parallel) and places the variants that
    /// need no compressor; counts what was done in `summary`.
    fn write_all(
        &self,
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
                let r = self.write_file(p);
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
            summary.reused += o.reused;
            summary.repaired += o.repaired;
            summary.from_cache += o.from_cache;
            summary.dropped += o.dropped;
        }
        Ok(outcomes)
    }

    /// Compresses each distinct pending content once per encoding, largest
    /// first, reading the hashed files just written rather than holding
    /// every file's bytes until its last variant is done.
    fn compress_pending(
        &self,
        files: &mut [Planned],
        outcomes: &mut [Outcome],
        progress: Option<&dyn Progress>,
        summary: &mut Summary,
    ) -> Result<()> {
        if self.dry_run {
            summary.compressed = outcomes.iter().map(|o| o.pending.len()).sum();
            return Ok(());
        }
        for p in files.iter_mut() {
            p.content = Content::Source(self.root.join(&p.hashed));
        }
        let results = self.compress_all(files, outcomes, progress)?;
        summary.compressed = results.len();
        summary.dropped += results.values().filter(|kept| kept.is_none()).count();
        for (p, o) in files.iter().zip(outcomes.iter_mut()) {
            for enc in std::mem::take(&mut o.pending) {
                if let Some(Some(size)) = results.get(&(p.digests.sha256, enc)) {
                    o.variants.insert(enc, *size);
                }
            }
        }
        Ok(())
    }

    /// `verify` for the files of previous manifest versions still in
    /// STATIC_ROOT (served during rolling deploys) that this run does not
    /// write: a damaged variant is compressed again from its file (through
    /// the verified cache), a damaged delta is removed (it is an
    /// optimisation; the file stays servable). A damaged file itself cannot
    /// be rebuilt (its source is gone): it is left for `check --manifest`
    /// to report. Returns how many outputs were repaired.
    fn repair_history(&self, files: &[Planned]) -> Result<usize> {
        use crate::compress::verify::{Codec, verify};
        let current: BTreeSet<&str> = files.iter().map(|p| p.hashed.as_str()).collect();
        let versions = crate::history::load_all(self.root, self.max_manifest_bytes)?;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut repaired = 0;
        for (_, m) in &versions.readable {
            for (hashed, meta) in &m.files {
                if current.contains(hashed.as_str()) || !seen.insert(hashed.clone()) {
                    continue;
                }
                let file = crate::paths::path_in(self.root, hashed);
                let Some(sha) = crate::hash::from_hex(&meta.sha256) else {
                    continue;
                };
                let intact = file_len(&file) == Some(meta.size)
                    && crate::hash::Digests::of_file(&file).is_ok_and(|d| d.sha256 == sha);
                if !intact {
                    continue;
                }
                for (&enc, &size) in &meta.variants {
                    let vpath = with_suffix(&file, enc.suffix());
                    if file_len(&vpath).is_none() {
                        continue; // removed: not served
                    }
                    let ok = std::fs::File::open(&vpath)
                        .ok()
                        .is_some_and(|f| verify(Codec::Variant(enc), f, &sha, meta.size).is_ok());
                    if ok {
                        continue;
                    }
                    tracing::warn!("{}: damaged; compressing it again", vpath.display());
                    let cached = self.cache.and_then(|c| c.get(enc, &sha, meta.size));
                    match cached {
                        Some(hit) if hit.len == size => place_cached(&hit.path, &vpath)?,
                        _ => {
                            let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
                            let out = compress::compress(enc, &mut &bytes[..], meta.size)
                                .map_err(|e| Error::io(&file, e))?;
                            match self.cache.and_then(|c| c.put(enc, &sha, &out)) {
                                Some(entry) => place_cached(&entry, &vpath)?,
                                None => write_atomic(&vpath, &out, false)?,
                            }
                        }
                    }
                    repaired += 1;
                }
                for (dict_sha, d) in &meta.deltas {
                    let dictionary = std::fs::read(crate::paths::path_in(self.root, &d.dictionary));
                    let Some(dsha) = crate::hash::from_hex(dict_sha) else {
                        continue;
                    };
                    for &coding in d.encodings.keys() {
                        let path = self.root.join(delta::delta_name(hashed, dict_sha, coding));
                        if file_len(&path).is_none() {
                            continue;
                        }
                        let ok = match &dictionary {
                            Ok(dict) if crate::hash::Digests::of(dict).sha256 == dsha => {
                                let codec = Codec::Delta {
                                    coding,
                                    dictionary: dict,
                                    dictionary_sha256: &dsha,
                                };
                                std::fs::File::open(&path)
                                    .ok()
                                    .is_some_and(|f| verify(codec, f, &sha, meta.size).is_ok())
                            }
                            // Its dictionary is gone: it cannot be checked here.
                            _ => true,
                        };
                        if !ok {
                            tracing::warn!("{}: damaged; removed", path.display());
                            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                            repaired += 1;
                        }
                    }
                }
            }
        }
        Ok(repaired)
    }

    /// Whether the file at `path` has exactly these digests (`verify`).
    fn holds(&self, path: &Path, digests: &crate::hash::Digests) -> bool {
        let ok = crate::hash::Digests::of_file(path).is_ok_and(|d| d == *digests);
        if !ok {
            tracing::warn!(
                "{}: not the bytes its name promises; writing it again",
                path.display()
            );
        }
        ok
    }

    /// Whether the variant at `path` decodes to `p`'s bytes (`verify`).
    fn variant_holds(&self, path: &Path, enc: Encoding, p: &Planned) -> bool {
        let checked = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                crate::compress::verify::verify(
                    crate::compress::verify::Codec::Variant(enc),
                    f,
                    &p.digests.sha256,
                    p.digests.size,
                )
                .map_err(|e| e.to_string())
            });
        if let Err(e) = &checked {
            tracing::warn!("{}: {e}; compressing it again", path.display());
        }
        checked.is_ok()
    }

    /// Whether each recorded delta of `p` against the dictionary `dict`
    /// (SHA-256 `dict_sha`) decodes with it to `p`'s bytes (`verify`).
    fn deltas_hold(&self, p: &Planned, dict: &str, dict_sha: &str, d: &Delta) -> bool {
        use crate::compress::verify::{Codec, verify};
        let Ok(bytes) = std::fs::read(self.root.join(dict)) else {
            return false;
        };
        let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
        if crate::hash::hex(&sha) != dict_sha {
            return false; // not a dictionary any more: `make_deltas` says so
        }
        d.encodings.keys().all(|&coding| {
            let path = self
                .root
                .join(delta::delta_name(&p.hashed, dict_sha, coding));
            let codec = Codec::Delta {
                coding,
                dictionary: &bytes,
                dictionary_sha256: &sha,
            };
            let checked = std::fs::File::open(&path)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    verify(codec, f, &p.digests.sha256, p.digests.size).map_err(|e| e.to_string())
                });
            if let Err(e) = &checked {
                tracing::warn!("{}: {e}; encoding it again", path.display());
            }
            checked.is_ok()
        })
    }

    fn write_file(&self, p: &Planned) -> Result<Outcome> {
        let mut o = Outcome::default();
        let target = self.root.join(&p.hashed);
        let present = file_len(&target) == Some(p.digests.size);
        let damaged = present && self.verify && !self.holds(&target, &p.digests);
        if damaged {
            o.repaired += 1;
        }
        if !present || damaged {
            o.written = true;
            if !self.dry_run {
                match &p.content {
                    Content::Memory(bytes) => write_atomic(&target, bytes, false)?,
                    Content::Source(src) => copy_verified(src, &target, &p.digests)?,
                }
            }
        }
        if p.digests.size == 0 || !is_compressible(&p.logical) {
            return Ok(o);
        }
        let old = self.old.files.get(&p.hashed);
        let old_tried = self
            .old
            .compress
            .as_ref()
            .filter(|c| c.min_saving == self.min_saving);
        for &enc in self.encodings {
            let vpath = with_suffix(&target, enc.suffix());
            let recorded = old.and_then(|m| m.variants.get(&enc)).copied();
            if let Some(size) = recorded {
                let reusable = match file_len(&vpath) {
                    Some(len) if len == size => !self.verify || self.variant_holds(&vpath, enc, p),
                    Some(len) => {
                        if self.verify {
                            tracing::warn!(
                                "{}: {len} bytes, not the recorded {size}; compressing it again",
                                vpath.display()
                            );
                        }
                        false
                    }
                    None => false,
                };
                if reusable {
                    o.variants.insert(enc, size);
                    o.reused += 1;
                    continue;
                }
                if self.verify && file_len(&vpath).is_some() {
                    o.repaired += 1;
                }
            }
            if old.is_some()
                && recorded.is_none()
                && !self.verify
                && old_tried.is_some_and(|c| c.encodings.contains(&enc))
            {
                // Tried by the previous run and not worth keeping.
                continue;
            }
            match self
                .cache
                .and_then(|c| c.get(enc, &p.digests.sha256, p.digests.size))
            {
                Some(hit) => {
                    if worth_keeping(p.digests.size, hit.len, self.min_saving) {
                        if !self.dry_run {
                            place_cached(&hit.path, &vpath)?;
                        }
                        o.variants.insert(enc, hit.len);
                        o.from_cache += 1;
                    } else {
                        o.dropped += 1;
                    }
                }
                None => o.pending.push(enc),
            }
        }
        Ok(o)
    }

    /// Encodes the deltas of every changed text file against up to `keep`
    /// of its previous versions (newest first) whose hashed files are still
    /// in STATIC_ROOT. Deltas the previous run recorded for the same hashed
    /// name are reused; a tried delta that saved less than `min_saving`
    /// against brotli is recorded without encodings, so it is not tried
    /// again. Returns how many deltas were encoded and kept.
    fn make_deltas(
        &self,
        files: &[Planned],
        outcomes: &mut [Outcome],
        keep: usize,
    ) -> Result<usize> {
        struct Job {
            file: usize,
            hashed: String,
            content_size: u64,
            content_sha256: [u8; 32],
            dictionary: String,
            dictionary_sha256: String,
            dictionary_size: u64,
            baseline: u64,
        }
        let versions = crate::history::load_all(self.root, self.max_manifest_bytes)?;
        for u in &versions.unreadable {
            tracing::warn!("{}; no deltas against the files it names", u.error);
        }
        let versions = versions.readable;
        let same_settings = self
            .old
            .compress
            .as_ref()
            .is_some_and(|c| c.min_saving == self.min_saving);
        let mut jobs = Vec::new();
        for (i, (p, o)) in files.iter().zip(outcomes.iter_mut()).enumerate() {
            if p.digests.size == 0 || !is_compressible(&p.logical) {
                continue;
            }
            let sha = p.digests.sha256_hex();
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            for (_, m) in &versions {
                if seen.len() >= keep {
                    break;
                }
                let Some((dict, meta)) = m.meta(&p.logical) else {
                    continue;
                };
                if meta.sha256 == sha || !seen.insert(meta.sha256.as_str()) {
                    continue;
                }
                let window = meta.size.saturating_add(p.digests.size);
                if window > delta::MAX_WINDOW {
                    continue;
                }
                match file_len(&self.root.join(dict)) {
                    Some(len) if len == meta.size => {}
                    None => continue, // removed by `clean`
                    Some(len) => {
                        tracing::warn!(
                            "{}: {len} bytes, not the {} its manifest records (changed after \
                             collect); not used as a dictionary",
                            self.root.join(dict).display(),
                            meta.size
                        );
                        continue;
                    }
                }
                let recorded = self
                    .old
                    .files
                    .get(&p.hashed)
                    .and_then(|f| f.deltas.get(&meta.sha256))
                    .filter(|d| {
                        d.encodings.iter().all(|(c, size)| {
                            let name = delta::delta_name(&p.hashed, &meta.sha256, *c);
                            file_len(&self.root.join(name)) == Some(*size)
                        })
                    })
                    .filter(|d| !d.encodings.is_empty() || same_settings)
                    .filter(|d| !self.verify || self.deltas_hold(p, dict, &meta.sha256, d));
                if let Some(d) = recorded {
                    o.deltas.insert(meta.sha256.clone(), d.clone());
                    continue;
                }
                jobs.push(Job {
                    file: i,
                    hashed: p.hashed.clone(),
                    content_size: p.digests.size,
                    content_sha256: p.digests.sha256,
                    dictionary: dict.to_string(),
                    dictionary_sha256: meta.sha256.clone(),
                    dictionary_size: meta.size,
                    baseline: o
                        .variants
                        .get(&Encoding::Br)
                        .copied()
                        .unwrap_or(p.digests.size),
                });
            }
        }
        // A previous version whose bytes are not the recorded ones (changed
        // in place) is no dictionary: browsers hold the recorded bytes, and
        // no delta is ever made against bytes they could not hold.
        let run = |job: &Job| -> Result<Option<Delta>> {
            let read = |name: &str| {
                let path = self.root.join(name);
                std::fs::read(&path).map_err(|e| Error::io(&path, e))
            };
            let dict = read(&job.dictionary)?;
            let dict_sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&dict).into();
            if crate::hash::hex(&dict_sha) != job.dictionary_sha256 {
                tracing::warn!(
                    "{}: not the SHA-256 its manifest records (changed after collect); not used \
                     as a dictionary",
                    self.root.join(&job.dictionary).display()
                );
                return Ok(None);
            }
            let content = read(&job.hashed)?;
            let mut kept = BTreeMap::new();
            for c in DeltaCoding::ALL {
                let cached = self.cache.and_then(|cache| {
                    cache.get_delta(c, &job.content_sha256, job.content_size, &dict, &dict_sha)
                });
                let encoded = match cached {
                    Some(bytes) => bytes,
                    None => {
                        let bytes = delta::encode(c, &dict, &dict_sha, &content)
                            .map_err(|e| Error::io(self.root.join(&job.hashed), e))?;
                        if let Some(cache) = self.cache {
                            cache.put_delta(c, &job.content_sha256, &dict_sha, &bytes);
                        }
                        bytes
                    }
                };
                let size = encoded.len() as u64;
                if worth_keeping(job.baseline, size, self.min_saving) {
                    let name = delta::delta_name(&job.hashed, &job.dictionary_sha256, c);
                    write_atomic(&self.root.join(name), &encoded, false)?;
                    kept.insert(c, size);
                }
            }
            Ok(Some(Delta {
                dictionary: job.dictionary.clone(),
                encodings: kept,
            }))
        };
        let cost = |j: &Job| j.content_size.saturating_add(j.dictionary_size);
        let done = schedule::largest_first(&mut jobs, cost, None, run)?;
        let mut made = 0;
        for (i, d) in done {
            let (Some(job), Some(d)) = (jobs.get(i), d) else {
                continue;
            };
            made += d.encodings.len();
            if let Some(o) = outcomes.get_mut(job.file) {
                o.deltas.insert(job.dictionary_sha256.clone(), d);
            }
        }
        Ok(made)
    }

    /// Compresses every pending (content, encoding) once, largest first on all
    /// threads. Returns the kept size (or `None`) per (sha256, encoding).
    fn compress_all(
        &self,
        files: &[Planned],
        outcomes: &[Outcome],
        progress: Option<&dyn Progress>,
    ) -> Result<Compressed> {
        struct Job<'p> {
            file: &'p Planned,
            encoding: Encoding,
            targets: Vec<PathBuf>,
            cost: u64,
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut by_key: HashMap<([u8; 32], Encoding), usize> = HashMap::new();
        for (p, o) in files.iter().zip(outcomes) {
            for &enc in &o.pending {
                let target = with_suffix(&self.root.join(&p.hashed), enc.suffix());
                let key = (p.digests.sha256, enc);
                match by_key.get(&key) {
                    Some(&j) => jobs[j].targets.push(target),
                    None => {
                        by_key.insert(key, jobs.len());
                        let weight = match enc {
                            Encoding::Br => 10,
                            Encoding::Zstd => 3,
                            Encoding::Gzip => 1,
                        };
                        jobs.push(Job {
                            file: p,
                            encoding: enc,
                            targets: vec![target],
                            cost: p.digests.size.saturating_mul(weight),
                        });
                    }
                }
            }
        }
        let run = |job: &Job| -> Result<Option<u64>> {
            let p = job.file;
            // Opaque files are compressed from their verified copy in STATIC_ROOT,
            // so a source edited mid-run can never give a variant of other bytes.
            let compressed = match &p.content {
                Content::Memory(bytes) => {
                    compress::compress(job.encoding, &mut &bytes[..], p.digests.size)
                        .map_err(|e| Error::io(&p.source, e))?
                }
                Content::Source(_) => {
                    let copy = self.root.join(&p.hashed);
                    let f = std::fs::File::open(&copy).map_err(|e| Error::io(&copy, e))?;
                    let mut r = std::io::BufReader::with_capacity(256 * 1024, f);
                    compress::compress(job.encoding, &mut r as &mut dyn Read, p.digests.size)
                        .map_err(|e| Error::io(&copy, e))?
                }
            };
            let cached = self
                .cache
                .and_then(|c| c.put(job.encoding, &p.digests.sha256, &compressed));
            if !worth_keeping(p.digests.size, compressed.len() as u64, self.min_saving) {
                return Ok(None);
            }
            for t in &job.targets {
                // Linking the fresh cache entry creates no second inode.
                match &cached {
                    Some(entry) => place_cached(entry, t)?,
                    None => write_atomic(t, &compressed, false)?,
                }
            }
            Ok(Some(compressed.len() as u64))
        };
        let done = schedule::largest_first(&mut jobs, |j| j.cost, progress, run)?;
        Ok(done
            .into_iter()
            .filter_map(|(i, size)| {
                let job = jobs.get(i)?;
                Some(((job.file.digests.sha256, job.encoding), size))
            })
            .collect())
    }
}

fn build_manifest(config: &Config, files: &[Planned], outcomes: &[Outcome]) -> Manifest {
    let mut m = Manifest::new();
    m.keep_unhashed = config.keep_unhashed;
    for (p, o) in files.iter().zip(outcomes) {
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
    o: &Outcome,
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
