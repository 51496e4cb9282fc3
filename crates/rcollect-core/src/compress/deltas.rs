//! The RFC 9842 deltas of a collect ([`Jobs::make_deltas`]): each changed
//! text file against up to `[compress] deltas` of its previous versions
//! whose hashed files are still in STATIC_ROOT, newest first.
//!
//! A previous version is a dictionary only while its bytes are the ones
//! its manifest records (browsers hold those): one changed after collect
//! is skipped with a warning. Deltas the previous run recorded for the
//! same hashed name are reused (decoded first with `verify`); a delta that
//! saves less than `min_saving` against brotli is recorded without
//! encodings, so it is not tried again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::variants::Variants;
use super::verify::{Codec, verify};
use super::{Jobs, codec, schedule, worth_keeping};
use crate::content_type::is_compressible;
use crate::delta::{self, DeltaCoding};
use crate::error::{Error, Result};
use crate::manifest::{Delta, Encoding, FileMeta};
use crate::plan::Planned;
use crate::write::{file_len, write_atomic};

/// One delta job: a file against one dictionary.
struct Job {
    file: usize,
    hashed: String,
    content_size: u64,
    content_sha256: [u8; 32],
    dictionary: String,
    dictionary_sha256: String,
    dictionary_size: u64,
    /// What the delta must beat: the br variant (or the file).
    baseline: u64,
}

impl Jobs<'_> {
    /// The deltas of each of `files` (by index) against up to `keep` of
    /// its previous versions, and how many deltas were encoded and kept.
    pub(crate) fn make_deltas(
        &self,
        files: &[Planned],
        variants: &[Variants],
        keep: usize,
    ) -> Result<(Vec<BTreeMap<String, Delta>>, usize)> {
        let mut out: Vec<BTreeMap<String, Delta>> = vec![BTreeMap::new(); files.len()];
        let same_settings = self
            .previous
            .compress
            .as_ref()
            .is_some_and(|c| c.min_saving == self.min_saving);
        // Previous versions by family (a bundler file's name changes with
        // each build; its family does not), newest version first.
        let by_family: Vec<HashMap<&str, Vec<(&str, &FileMeta)>>> = self
            .versions
            .iter()
            .map(|(_, m)| {
                let mut index: HashMap<&str, Vec<(&str, &FileMeta)>> = HashMap::new();
                for (logical, hashed) in &m.paths {
                    if let Some(meta) = m.files.get(hashed) {
                        index
                            .entry(meta.family(logical))
                            .or_default()
                            .push((hashed.as_str(), meta));
                    }
                }
                index
            })
            .collect();
        let mut jobs = Vec::new();
        for (i, (p, v)) in files.iter().zip(variants).enumerate() {
            if p.digests.size == 0 || !is_compressible(&p.logical) {
                continue;
            }
            let sha = p.digests.sha256_hex();
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let previous = by_family
                .iter()
                .filter_map(|index| index.get(p.family()))
                .flatten();
            for &(dict, meta) in previous {
                if seen.len() >= keep {
                    break;
                }
                if meta.sha256 == sha || !seen.insert(meta.sha256.as_str()) {
                    continue;
                }
                if meta.size.saturating_add(p.digests.size) > delta::MAX_WINDOW {
                    continue;
                }
                match file_len(&self.root.join(dict)) {
                    Some(len) if len == meta.size => {}
                    None => continue, // removed by `clean`
                    Some(len) => {
                        tracing::warn!(
                            "{}: {len} bytes, not the {} its manifest records (changed after \
                             collect); not used as a dictionary",
                            crate::paths::shown(&self.root.join(dict)),
                            meta.size
                        );
                        continue;
                    }
                }
                let recorded = self
                    .previous
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
                if let (Some(d), Some(o)) = (recorded, out.get_mut(i)) {
                    o.insert(meta.sha256.clone(), d.clone());
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
                    baseline: v.kept.get(&Encoding::Br).copied().unwrap_or(p.digests.size),
                });
            }
        }
        let cost = |j: &Job| j.content_size.saturating_add(j.dictionary_size);
        let done = schedule::largest_first(&mut jobs, cost, None, |job| self.encode(job))?;
        let mut made = 0;
        for (i, d) in done {
            let (Some(job), Some(d)) = (jobs.get(i), d) else {
                continue;
            };
            made += d.encodings.len();
            if let Some(o) = out.get_mut(job.file) {
                o.insert(job.dictionary_sha256.clone(), d);
            }
        }
        Ok((out, made))
    }

    /// The deltas the replaced manifest records for each of `files` whose
    /// dictionary and delta files are still in STATIC_ROOT (the deltas with
    /// their recorded sizes): what a collect that changed nothing keeps,
    /// without reading the older manifest versions.
    pub(crate) fn recorded_deltas(&self, files: &[Planned]) -> Vec<BTreeMap<String, Delta>> {
        files
            .iter()
            .map(|p| {
                let Some(meta) = self.previous.files.get(&p.hashed) else {
                    return BTreeMap::new();
                };
                meta.deltas
                    .iter()
                    .filter(|(sha, d)| {
                        file_len(&self.root.join(&d.dictionary)).is_some()
                            && d.encodings.iter().all(|(c, size)| {
                                let name = delta::delta_name(&p.hashed, sha, *c);
                                file_len(&self.root.join(name)) == Some(*size)
                            })
                    })
                    .map(|(sha, d)| (sha.clone(), d.clone()))
                    .collect()
            })
            .collect()
    }

    /// Encodes one job's deltas (through the cache) and writes those worth
    /// keeping; `None` when the dictionary's bytes are not the recorded
    /// ones (changed in place).
    fn encode(&self, job: &Job) -> Result<Option<Delta>> {
        let read = |name: &str| {
            let path = self.root.join(name);
            std::fs::read(&path).map_err(|e| Error::io(&path, e))
        };
        let dict = read(&job.dictionary)?;
        let dict_sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&dict).into();
        if crate::hash::hex(&dict_sha) != job.dictionary_sha256 {
            tracing::warn!(
                "{}: not the SHA-256 its manifest records (changed after collect); not used as a \
                 dictionary",
                crate::paths::shown(&self.root.join(&job.dictionary))
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
                    let bytes = codec::encode_delta(c, &dict, &dict_sha, &content)
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
    }

    /// Whether each recorded delta of `p` against the dictionary `dict`
    /// (SHA-256 `dict_sha`) decodes with it to `p`'s bytes (`verify`).
    fn deltas_hold(&self, p: &Planned, dict: &str, dict_sha: &str, d: &Delta) -> bool {
        let Ok(bytes) = std::fs::read(self.root.join(dict)) else {
            return false;
        };
        let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
        if crate::hash::hex(&sha) != dict_sha {
            return false; // not a dictionary any more: `encode` says so
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
                tracing::warn!("{}: {e}; encoding it again", crate::paths::shown(&path));
            }
            checked.is_ok()
        })
    }
}
