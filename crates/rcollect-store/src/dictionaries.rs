//! Before a collect into an empty staging dir (a fresh CI machine): fetching
//! the previous releases from the store, so the collect can write RFC 9842
//! deltas against them as it does against previous versions on disk.
//!
//! What is fetched: the store's manifest versions (kept in the staging dir's
//! history) and, for each text file, its last versions the collect may use
//! as dictionaries ([`rcollect_core::history::dictionary_candidates`]).
//! Each file is checked against the SHA-256 its manifest records before it
//! is placed; files already in the staging dir are not fetched again.

use std::collections::HashSet;
use std::path::Path;

use futures::StreamExt;
use rcollect_core::hash::Digests;
use rcollect_core::history::{self, dictionary_candidates, place_dictionary, place_version};
use rcollect_core::manifest::MANIFEST_NAME;

use crate::{Result, Store};

/// What [`Store::fetch_dictionaries`] placed in the staging dir.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// Manifest versions kept in the staging dir's history.
    pub manifests: usize,
    /// Previous versions of text files fetched.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

impl Store {
    /// Fetches into `root` (the staging dir) the previous versions a
    /// collect with `[compress] deltas = keep` compresses deltas
    /// against, with the manifest versions that name them. The store's live
    /// manifest goes into the history under the time it went live; versions
    /// `root` holds already (live or kept, by content) are not placed again,
    /// and files it has are not fetched, so a kept staging dir costs one
    /// `LIST` and the manifest `GET`s. Nothing is fetched when `keep` is 0
    /// or the store has no manifest.
    ///
    /// # Errors
    /// A request fails, a fetched file is not the version its manifest
    /// records (the error names it), or writing into `root` fails.
    pub async fn fetch_dictionaries(&self, root: &Path, keep: usize) -> Result<FetchSummary> {
        let mut summary = FetchSummary::default();
        if keep == 0 {
            return Ok(summary);
        }
        let objects = self.list_all().await?;
        let found = self.versions(&objects).await?;
        for (_, e) in &found.unreadable {
            tracing::warn!("{e}; no deltas against the files it names");
        }
        // The versions the staging dir holds already (a kept dir has them
        // under names of its own): not placed a second time.
        let digest = |b: &[u8]| Digests::of(b).sha256;
        let mut here: HashSet<[u8; 32]> = HashSet::new();
        let names = history::list(root).unwrap_or_default();
        for name in std::iter::once(MANIFEST_NAME.to_string()).chain(names) {
            if let Ok(bytes) = std::fs::read(root.join(&name)) {
                here.insert(digest(&bytes));
            }
        }
        for v in &found.readable {
            if !here.insert(digest(&v.bytes)) {
                continue;
            }
            let name = if v.name == MANIFEST_NAME {
                let went_live = objects
                    .get(MANIFEST_NAME)
                    .map_or_else(std::time::SystemTime::now, |r| r.modified);
                history::name_at(went_live)
            } else {
                v.name.clone()
            };
            if place_version(root, &name, &v.bytes)? {
                summary.manifests += 1;
            }
        }
        let releases = found.into_releases(None);
        let wanted: Vec<_> = dictionary_candidates(&releases, keep)
            .into_iter()
            .filter(|(hashed, meta)| {
                let here = rcollect_core::paths::path_in(root, hashed);
                std::fs::metadata(here).map_or(true, |m| m.len() != meta.size)
                    && objects.get(*hashed).is_some_and(|r| r.size == meta.size)
            })
            .collect();
        let fetched: Vec<Result<u64>> = futures::stream::iter(wanted)
            .map(|(hashed, meta)| async move {
                let Some(bytes) = self.get_bytes(hashed).await? else {
                    return Ok(0); // removed meanwhile (a `clean`)
                };
                let placed = place_dictionary(root, hashed, meta, &bytes)?;
                Ok(if placed { bytes.len() as u64 } else { 0 })
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for r in fetched {
            let n = r?;
            if n > 0 {
                summary.files += 1;
                summary.bytes += n;
            }
        }
        Ok(summary)
    }
}
