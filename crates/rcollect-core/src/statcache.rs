//! The stat cache: what collect learnt about each source file, kept in
//! STATIC_ROOT (`.rcollect.stat`) so that a re-collect reads, hashes and
//! scans only the files whose [`Stamp`] changed.
//!
//! Per source file (by its path): the stamp it had, the digests of its
//! bytes, the references its bytes hold (before they are resolved against
//! the other files, which is redone every run), and for a file whose
//! references are rewritten, the digests of its final bytes together with
//! a hash of everything those bytes are made of besides the source (each
//! rewritten span and the name put there, see [`crate::plan`]).
//!
//! Trust rules:
//! * an entry is used only when the file's stamp now is exactly the one
//!   recorded, and it was recorded only if the file had last changed more
//!   than [`RACY_MARGIN`] before the run that read it started
//!   ([`Stamp::settled_before`]): a later change in the same timestamp tick
//!   cannot hide behind an equal stamp;
//! * a cache that is missing, unreadable, corrupted, of another format,
//!   written for another configuration or by another rcollect executable
//!   is ignored (never an error); `clear` and `verify` runs ignore it;
//! * it only ever stands in for reading sources: a hashed file is reused
//!   only when STATIC_ROOT holds it with the recorded size (as without the
//!   cache), a source copied to STATIC_ROOT is checked against its digests
//!   while copying, and a source read for rewriting is checked against the
//!   recorded digests ([`crate::Error::SourceChanged`] otherwise);
//! * it is written (atomically) after the manifest, by runs that succeed;
//!   a stale one (a run that failed later) only holds true facts about
//!   file contents.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::hash::Digests;
use crate::scan::RefKind;
use crate::stamp::Stamp;

/// The cache's file name in STATIC_ROOT (a name no source file may take).
pub(crate) const STAT_CACHE_NAME: &str = ".rcollect.stat";

/// How long before a run's start a file must have last changed for its
/// entry to be kept: more than any timestamp tick (FAT keeps even seconds).
pub(crate) const RACY_MARGIN: Duration = Duration::from_secs(2);

/// The format written in the file; any other is ignored.
const FORMAT: &str = "rcollect stat cache 1";

/// Larger files are not read.
const MAX_BYTES: u64 = 1 << 30;

/// One reference as a file's bytes hold it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RawRef {
    /// What kind of reference.
    pub kind: RefKind,
    /// Byte range of the URL text.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// The URL text, when it is UTF-8.
    pub text: Option<String>,
    /// For a source-map reference: the whole comment around it.
    pub comment: Option<Range<usize>>,
}

/// A rewritten file's final bytes, as a function of its inputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Output {
    /// Hash of the source digest, the rewritten spans and the names put
    /// there, and the removed ranges (see `plan`).
    #[serde(with = "hex32")]
    pub inputs: [u8; 32],
    /// Digests of the final bytes.
    #[serde(with = "sums")]
    pub digests: Digests,
    /// Whether a reference was rewritten (or a comment removed).
    pub rewritten: bool,
}

/// What is known about one source file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Its stamp when it was read.
    pub stamp: Stamp,
    /// Digests of its bytes.
    #[serde(with = "sums")]
    pub source: Digests,
    /// Its references, for a scanned file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refs: Option<Vec<RawRef>>,
    /// Its final bytes, for a rewritten file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
}

/// The file: read into a hash map, written from a sorted one (the same
/// entries give the same bytes).
#[derive(Serialize, Deserialize)]
struct OnDisk<M> {
    format: String,
    key: String,
    /// The stamp of the live manifest the run left.
    manifest: Option<Stamp>,
    entries: M,
}

/// The entries of a previous run, by source path.
#[derive(Debug, Default)]
pub(crate) struct StatCache {
    entries: HashMap<String, Entry>,
    /// The stamp of the live manifest the run that wrote it left.
    pub(crate) manifest: Option<Stamp>,
}

impl StatCache {
    /// The cache in `root` if it was written for `key` in this format;
    /// an empty one otherwise (never an error).
    pub(crate) fn load(root: &Path, key: &str) -> StatCache {
        let path = root.join(STAT_CACHE_NAME);
        let bytes = match crate::manifest::read(&path, MAX_BYTES) {
            Ok(Some(b)) => b,
            Ok(None) => return StatCache::default(),
            Err(e) => {
                tracing::debug!("stat cache ignored: {e}");
                return StatCache::default();
            }
        };
        match serde_json::from_slice::<OnDisk<HashMap<String, Entry>>>(&bytes) {
            Ok(d) if d.format == FORMAT && d.key == key => StatCache {
                entries: d.entries,
                manifest: d.manifest,
            },
            Ok(_) => {
                tracing::debug!("stat cache ignored: another format or configuration");
                StatCache::default()
            }
            Err(e) => {
                tracing::debug!("stat cache ignored: {}: {e}", path.display());
                StatCache::default()
            }
        }
    }

    /// Takes the entry of `source` out if it was recorded with `stamp`.
    pub(crate) fn take(&mut self, source: &Path, stamp: &Stamp) -> Option<Entry> {
        let key = source.to_str()?;
        self.entries.remove(key).filter(|e| e.stamp == *stamp)
    }

    /// Whether it holds no entry (or none left).
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries it holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Writes `entries` as the cache of `root` for `key` (atomically). Paths
/// that are not UTF-8 are left out.
pub(crate) fn save(
    root: &Path,
    key: &str,
    manifest: Option<Stamp>,
    entries: impl IntoIterator<Item = (PathBuf, Entry)>,
) -> crate::Result<()> {
    let entries: BTreeMap<String, Entry> = entries
        .into_iter()
        .filter_map(|(p, e)| Some((p.into_os_string().into_string().ok()?, e)))
        .collect();
    let d = OnDisk {
        format: FORMAT.to_string(),
        key: key.to_string(),
        manifest,
        entries,
    };
    let path = root.join(STAT_CACHE_NAME);
    let bytes = serde_json::to_vec(&d).map_err(|e| crate::Error::io(&path, e.into()))?;
    // The same entries (sources that have not settled yet): leave it.
    if std::fs::read(&path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    crate::write::write_atomic(&path, &bytes, false)
}

/// What the cache is valid for: the settings that decide what a source
/// file's references are and resolve to, and what is compressed (the
/// deltas a manifest records are taken as they are when nothing changed),
/// and the executable that scans (its version, size and times: another
/// build scans with other code).
pub(crate) fn config_key(config: &Config) -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| Stamp::of(&m))
        .ok();
    let what = format!(
        "{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        env!("CARGO_PKG_VERSION"),
        exe,
        config.static_url,
        config.dirs,
        config.ignore_patterns(),
        config.js,
        config.sourcemaps,
        config.bundler,
        config.compress,
    );
    crate::hash::hex(&Sha256::digest(what.as_bytes()))
}

/// Lowercase hex into `out`; false unless `s` is exactly that long.
fn unhex(s: &str, out: &mut [u8]) -> bool {
    if s.len() != out.len() * 2 {
        return false;
    }
    let nibble = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        match (
            pair.first().copied().and_then(nibble),
            pair.get(1).copied().and_then(nibble),
        ) {
            (Some(hi), Some(lo)) => *o = (hi << 4) | lo,
            _ => return false,
        }
    }
    true
}

/// [`Digests`] as `[sha256 hex, sha384 hex, size]`.
mod sums {
    use super::*;
    use serde::de::Error as _;

    pub(super) fn serialize<S: serde::Serializer>(d: &Digests, s: S) -> Result<S::Ok, S::Error> {
        (
            crate::hash::hex(&d.sha256),
            crate::hash::hex(&d.sha384),
            d.size,
        )
            .serialize(s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Digests, D::Error> {
        let (a, b, size): (String, String, u64) = Deserialize::deserialize(d)?;
        let mut out = Digests {
            sha256: [0; 32],
            sha384: [0; 48],
            size,
        };
        if unhex(&a, &mut out.sha256) && unhex(&b, &mut out.sha384) {
            Ok(out)
        } else {
            Err(D::Error::custom("bad digest"))
        }
    }
}

/// 32 bytes as hex.
mod hex32 {
    use super::*;
    use serde::de::Error as _;

    pub(super) fn serialize<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        crate::hash::hex(b).serialize(s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<[u8; 32], D::Error> {
        let s: String = Deserialize::deserialize(d)?;
        let mut out = [0; 32];
        if unhex(&s, &mut out) {
            Ok(out)
        } else {
            Err(D::Error::custom("bad hash"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(stamp: Stamp) -> Entry {
        Entry {
            stamp,
            source: Digests::of(b"a{}"),
            refs: Some(vec![RawRef {
                kind: RefKind::CssUrl,
                span: 4..9,
                line: 1,
                col: 5,
                text: Some("x.png".into()),
                comment: None,
            }]),
            output: Some(Output {
                inputs: [7; 32],
                digests: Digests::of(b"b{}"),
                rewritten: true,
            }),
        }
    }

    #[test]
    fn entries_round_trip_and_are_taken_only_with_the_same_stamp() {
        let t = tempfile::tempdir().expect("tempdir");
        let stamp = Stamp {
            size: 3,
            mtime_ns: 5,
            ..Stamp::default()
        };
        let a = t.path().join("a.css");
        let b = t.path().join("b.css");
        save(
            t.path(),
            "k",
            Some(stamp),
            [(a.clone(), entry(stamp)), (b.clone(), entry(stamp))],
        )
        .expect("save");
        let mut c = StatCache::load(t.path(), "k");
        assert_eq!((c.len(), c.manifest), (2, Some(stamp)));
        let e = c.take(&a, &stamp).expect("hit");
        assert_eq!(e.source, Digests::of(b"a{}"));
        let out = e.output.expect("output");
        assert_eq!((out.inputs, out.rewritten), ([7; 32], true));
        assert_eq!(e.refs.expect("refs")[0].text.as_deref(), Some("x.png"));
        let other = Stamp {
            ctime_ns: 1,
            ..stamp
        };
        assert!(c.take(&b, &other).is_none());
        // Another configuration: nothing.
        assert_eq!(StatCache::load(t.path(), "other").len(), 0);
    }

    #[test]
    fn a_corrupted_or_foreign_cache_is_ignored() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join(STAT_CACHE_NAME);
        save(
            t.path(),
            "k",
            None,
            [(t.path().join("a"), entry(Stamp::default()))],
        )
        .expect("save");
        let good = std::fs::read(&path).expect("read");
        let cut = good.get(..good.len() / 2).expect("half").to_vec();
        let cases: Vec<Vec<u8>> = vec![
            cut,
            b"\xff\xfe garbage".to_vec(),
            br#"{"format":"something else","key":"k","entries":{}}"#.to_vec(),
            String::from_utf8_lossy(&good)
                .replacen(&crate::hash::hex(&Digests::of(b"a{}").sha256), "zz", 1)
                .into_bytes(),
        ];
        for bytes in cases {
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(StatCache::load(t.path(), "k").len(), 0);
        }
        // A directory in its place, and no file at all.
        std::fs::remove_file(&path).expect("rm");
        assert_eq!(StatCache::load(t.path(), "k").len(), 0);
        std::fs::create_dir(&path).expect("mkdir");
        assert_eq!(StatCache::load(t.path(), "k").len(), 0);
    }
}
