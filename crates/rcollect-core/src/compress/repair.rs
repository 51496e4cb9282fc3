//! `collectstatic --verify` for the outputs of previous manifest versions
//! still in STATIC_ROOT (served during rolling deploys) that this run does
//! not write ([`Jobs::repair_history`]). The current files' outputs are
//! checked where they are reused ([`Jobs::reuse_variants`],
//! [`Jobs::make_deltas`]).

use std::collections::BTreeSet;

use super::verify::{Codec, verify};
use super::{Jobs, compress};
use crate::delta;
use crate::error::{Error, Result};
use crate::hash::Digests;
use crate::manifest::FileMeta;
use crate::paths::{path_in, with_suffix};
use crate::plan::Planned;
use crate::write::{file_len, place_cached, write_atomic};

impl Jobs<'_> {
    /// A damaged variant of a previous version is compressed again from
    /// its file (through the verified cache); a damaged delta is removed
    /// (it is an optimisation, the file stays servable). A damaged file
    /// itself cannot be rebuilt (its source is gone): it is left for
    /// `check --manifest` to report. Returns how many outputs were
    /// repaired.
    pub(crate) fn repair_history(&self, files: &[Planned]) -> Result<usize> {
        let current: BTreeSet<&str> = files.iter().map(|p| p.hashed.as_str()).collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut repaired = 0;
        for (_, m) in self.versions {
            for (hashed, meta) in &m.files {
                if current.contains(hashed.as_str()) || !seen.insert(hashed.as_str()) {
                    continue;
                }
                let Some(sha) = crate::hash::from_hex(&meta.sha256) else {
                    continue;
                };
                let file = path_in(self.root, hashed);
                let intact = file_len(&file) == Some(meta.size)
                    && Digests::of_file(&file).is_ok_and(|d| d.sha256 == sha);
                if intact {
                    repaired += self.repair_variants(&file, meta, &sha)?;
                    repaired += self.remove_damaged_deltas(hashed, meta, &sha)?;
                }
            }
        }
        Ok(repaired)
    }

    fn repair_variants(
        &self,
        file: &std::path::Path,
        meta: &FileMeta,
        sha: &[u8; 32],
    ) -> Result<usize> {
        let mut repaired = 0;
        for (&enc, &size) in &meta.variants {
            let vpath = with_suffix(file, enc.suffix());
            if file_len(&vpath).is_none() {
                continue; // removed: not served
            }
            let ok = std::fs::File::open(&vpath)
                .ok()
                .is_some_and(|f| verify(Codec::Variant(enc), f, sha, meta.size).is_ok());
            if ok {
                continue;
            }
            tracing::warn!(
                "{}: damaged; compressing it again",
                crate::paths::shown(&vpath)
            );
            match self.cache.and_then(|c| c.get(enc, sha, meta.size)) {
                Some(hit) if hit.len == size => place_cached(&hit.path, &vpath)?,
                _ => {
                    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
                    let out = compress(enc, &mut &bytes[..], meta.size)
                        .map_err(|e| Error::io(file, e))?;
                    match self.cache.and_then(|c| c.put(enc, sha, &out)) {
                        Some(entry) => place_cached(&entry, &vpath)?,
                        None => write_atomic(&vpath, &out, false)?,
                    }
                }
            }
            repaired += 1;
        }
        Ok(repaired)
    }

    fn remove_damaged_deltas(
        &self,
        hashed: &str,
        meta: &FileMeta,
        sha: &[u8; 32],
    ) -> Result<usize> {
        let mut removed = 0;
        for (dict_sha, d) in &meta.deltas {
            let Some(dsha) = crate::hash::from_hex(dict_sha) else {
                continue;
            };
            // Without its dictionary a delta cannot be checked here.
            let Ok(dict) = std::fs::read(path_in(self.root, &d.dictionary)) else {
                continue;
            };
            if Digests::of(&dict).sha256 != dsha {
                continue;
            }
            for &coding in d.encodings.keys() {
                let path = self.root.join(delta::delta_name(hashed, dict_sha, coding));
                if file_len(&path).is_none() {
                    continue;
                }
                let codec = Codec::Delta {
                    coding,
                    dictionary: &dict,
                    dictionary_sha256: &dsha,
                };
                let ok = std::fs::File::open(&path)
                    .ok()
                    .is_some_and(|f| verify(codec, f, sha, meta.size).is_ok());
                if !ok {
                    tracing::warn!("{}: damaged; removed", crate::paths::shown(&path));
                    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
