//! The variants of the collected files: per file, what STATIC_ROOT (the
//! previous collect) or the cache already has ([`Jobs::reuse_variants`]),
//! then every missing (content, encoding) compressed once, largest first
//! ([`Jobs::compress_pending`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Jobs, compress, schedule, worth_keeping};
use crate::content_type::is_compressible;
use crate::error::{Error, Result};
use crate::manifest::Encoding;
use crate::paths::with_suffix;
use crate::plan::Planned;
use crate::progress::Progress;
use crate::write::{file_len, place_cached, write_atomic};

/// The variants of one file after [`Jobs::reuse_variants`] (and, for the
/// `pending` ones, [`Jobs::compress_pending`]).
#[derive(Debug, Default)]
pub(crate) struct Variants {
    /// Kept variants and their sizes.
    pub(crate) kept: BTreeMap<Encoding, u64>,
    /// Encodings still to compress.
    pub(crate) pending: Vec<Encoding>,
    /// Reused from STATIC_ROOT.
    pub(crate) reused: usize,
    /// Placed from the cache.
    pub(crate) from_cache: usize,
    /// From the cache but not kept: they save less than `min_saving`.
    pub(crate) dropped: usize,
    /// Found damaged by `verify` (compressed or placed again).
    pub(crate) repaired: usize,
}

/// Files at least this large are sampled before they are compressed.
const SAMPLE_FROM: u64 = 256 * 1024;
/// Bytes per sample (three: start, middle, end).
const SAMPLE: usize = 64 * 1024;

/// The contents (by SHA-256) whose samples a fast compressor (zstd at
/// level 1) shrinks by less than 2%: random or already-compressed data of a type
/// that `is_compressible` does not know (a `.bin`), on which brotli at
/// quality 11 would spend minutes for nothing. The skip lists of nginx and
/// whitenoise decide by type alone.
fn incompressible(files: &[Planned], variants: &[Variants]) -> std::collections::HashSet<[u8; 32]> {
    use rayon::prelude::*;
    files
        .par_iter()
        .zip(variants.par_iter())
        .filter(|(p, v)| p.digests.size >= SAMPLE_FROM && !v.pending.is_empty())
        .filter_map(|(p, _)| {
            let sample = sample(p).ok()?;
            let fast = zstd::bulk::compress(&sample, 1).ok()?;
            let ratio = fast.len() as f64 / sample.len().max(1) as f64;
            (ratio >= 0.98).then_some(p.digests.sha256)
        })
        .collect()
}

/// Three slices of the hashed file (start, middle, end).
fn sample(p: &Planned) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut f = match &p.content {
        crate::plan::Content::Source(path) => std::fs::File::open(path)?,
        crate::plan::Content::Memory(bytes) => {
            let n = bytes.len();
            let mid = n / 2;
            let mut out = Vec::with_capacity(3 * SAMPLE);
            for start in [0, mid.saturating_sub(SAMPLE / 2), n.saturating_sub(SAMPLE)] {
                out.extend_from_slice(
                    bytes
                        .get(start..(start + SAMPLE).min(n))
                        .unwrap_or_default(),
                );
            }
            return Ok(out);
        }
    };
    let n = p.digests.size;
    let mut out = Vec::with_capacity(3 * SAMPLE);
    let half = (SAMPLE / 2) as u64;
    for start in [
        0,
        (n / 2).saturating_sub(half),
        n.saturating_sub(SAMPLE as u64),
    ] {
        f.seek(SeekFrom::Start(start))?;
        let mut buf = vec![0u8; SAMPLE];
        let got = f.read(&mut buf)?;
        out.extend_from_slice(buf.get(..got).unwrap_or_default());
    }
    Ok(out)
}

/// Kept variant size (or `None`: not worth keeping) per (content SHA-256,
/// encoding).
type Sizes = HashMap<([u8; 32], Encoding), Option<u64>>;

/// What [`Jobs::compress_pending`] did.
#[derive(Debug, Default)]
pub(crate) struct Compressed {
    /// Variants produced by a compressor.
    pub(crate) compressed: usize,
    /// Of those, the ones not kept (under `min_saving`).
    pub(crate) dropped: usize,
}

impl Jobs<'_> {
    /// The variants of `p` that need no compressor: those the previous
    /// manifest records and STATIC_ROOT still has (checked by decoding
    /// with `verify`), then those the cache has; the rest are `pending`.
    /// An encoding the previous run tried with the same settings and did
    /// not keep is not tried again.
    pub(crate) fn reuse_variants(&self, p: &Planned) -> Result<Variants> {
        let mut v = Variants::default();
        if p.digests.size == 0 || !is_compressible(&p.logical) {
            return Ok(v);
        }
        let target = self.root.join(&p.hashed);
        let old = self.previous.files.get(&p.hashed);
        let old_tried = self
            .previous
            .compress
            .as_ref()
            .filter(|c| c.min_saving == self.min_saving);
        for &enc in self.encodings {
            let vpath = with_suffix(&target, enc.suffix());
            let recorded = old.and_then(|m| m.variants.get(&enc)).copied();
            if let Some(size) = recorded {
                let on_disk = file_len(&vpath);
                if on_disk == Some(size) && (!self.verify || self.variant_holds(&vpath, enc, p)) {
                    v.kept.insert(enc, size);
                    v.reused += 1;
                    continue;
                }
                if self.verify && on_disk.is_some() {
                    if on_disk != Some(size) {
                        tracing::warn!(
                            "{}: not the {size} bytes the manifest records; compressing it again",
                            crate::paths::shown(&vpath)
                        );
                    }
                    v.repaired += 1;
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
                        v.kept.insert(enc, hit.len);
                        v.from_cache += 1;
                    } else {
                        v.dropped += 1;
                    }
                }
                None => v.pending.push(enc),
            }
        }
        Ok(v)
    }

    /// Whether the variant at `path` decodes to `p`'s bytes (`verify`).
    fn variant_holds(&self, path: &Path, enc: Encoding, p: &Planned) -> bool {
        use super::verify::{Codec, verify};
        let checked = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                verify(Codec::Variant(enc), f, &p.digests.sha256, p.digests.size)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = &checked {
            tracing::warn!("{}: {e}; compressing it again", crate::paths::shown(path));
        }
        checked.is_ok()
    }

    /// Compresses each distinct pending (content, encoding) once, largest
    /// first on all threads, from the hashed files already written (so a
    /// source edited mid-run can never give a variant of other bytes, and
    /// no file's bytes are held until its last variant is done); moves the
    /// kept ones from `pending` to `kept`.
    pub(crate) fn compress_pending(
        &self,
        files: &[Planned],
        variants: &mut [Variants],
        progress: Option<&dyn Progress>,
    ) -> Result<Compressed> {
        if self.dry_run {
            return Ok(Compressed {
                compressed: variants.iter().map(|v| v.pending.len()).sum(),
                dropped: 0,
            });
        }
        let skip = incompressible(files, variants);
        for (p, v) in files.iter().zip(variants.iter_mut()) {
            if skip.contains(&p.digests.sha256) && !v.pending.is_empty() {
                tracing::debug!(
                    "{}: a sample does not compress; no variants",
                    crate::paths::shown(&p.source)
                );
                v.pending.clear();
            }
        }
        let results = self.compress_all(files, variants, progress)?;
        for (p, v) in files.iter().zip(variants.iter_mut()) {
            for enc in std::mem::take(&mut v.pending) {
                if let Some(Some(size)) = results.get(&(p.digests.sha256, enc)) {
                    v.kept.insert(enc, *size);
                }
            }
        }
        Ok(Compressed {
            compressed: results.len(),
            // Sampled contents count as tried and not kept, per encoding.
            dropped: results.values().filter(|kept| kept.is_none()).count()
                + skip.len() * self.encodings.len(),
        })
    }

    /// Every pending (content, encoding) once. Returns the kept size (or
    /// `None`: not worth keeping) per (sha256, encoding).
    fn compress_all(
        &self,
        files: &[Planned],
        variants: &[Variants],
        progress: Option<&dyn Progress>,
    ) -> Result<Sizes> {
        struct Job<'p> {
            file: &'p Planned,
            encoding: Encoding,
            targets: Vec<PathBuf>,
            cost: u64,
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut by_key: HashMap<([u8; 32], Encoding), usize> = HashMap::new();
        for (p, v) in files.iter().zip(variants) {
            for &enc in &v.pending {
                let target = with_suffix(&self.root.join(&p.hashed), enc.suffix());
                let key = (p.digests.sha256, enc);
                if let Some(job) = by_key.get(&key).and_then(|&j| jobs.get_mut(j)) {
                    job.targets.push(target);
                    continue;
                }
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
        let run = |job: &Job| -> Result<Option<u64>> {
            let p = job.file;
            let copy = self.root.join(&p.hashed);
            let f = std::fs::File::open(&copy).map_err(|e| Error::io(&copy, e))?;
            let mut r = std::io::BufReader::with_capacity(256 * 1024, f);
            let compressed = compress(job.encoding, &mut r as &mut dyn Read, p.digests.size)
                .map_err(|e| Error::io(&copy, e))?;
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
