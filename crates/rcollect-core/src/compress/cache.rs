//! The compression cache: compressed outputs by content hash and codec
//! settings, verified before every use.

use std::path::{Path, PathBuf};

use crate::compress::codec::settings_key;
use crate::compress::verify::{Codec, Unfaithful, verify};
use crate::delta::DeltaCoding;
use crate::manifest::Encoding;
use crate::write::write_atomic;

/// A content-addressed cache of compressed outputs:
/// `DIR/<settings>/<sha256[..2]>/<sha256>`. Every output is cached, kept or
/// not, so a change of `min_saving` needs no recompression. Entries are
/// written atomically; a cache that cannot be written is only a warning.
///
/// An entry is trusted only after it decompresses to exactly the content its
/// key names (size and SHA-256): a cache restored by CI from another branch,
/// bit rot, or an in-place edit of a collected file that shares the entry's
/// inode can never put other bytes into STATIC_ROOT. Verifying costs a
/// decompression, a small fraction of the compression it replaces.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// A verified cache entry: its path (to link or copy) and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHit {
    /// The entry's file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
}

impl Cache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The default location: `$XDG_CACHE_HOME/rcollect` (or the platform's cache dir).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("rcollect"))
    }

    /// The cache's root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, encoding: Encoding, sha256: &[u8; 32]) -> PathBuf {
        let hex = crate::hash::hex(sha256);
        self.dir
            .join(settings_key(encoding))
            .join(&hex[..2])
            .join(hex)
    }

    /// The cached output for content of this SHA-256 and `size`, if there is
    /// one that decodes completely, with nothing after its stream, to
    /// exactly that content ([`verify`]). An entry that does not is removed
    /// (with a warning) and reported as a miss.
    pub fn get(&self, encoding: Encoding, sha256: &[u8; 32], size: u64) -> Option<CacheHit> {
        let path = self.path(encoding, sha256);
        let file = std::fs::File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        let checked = verify(Codec::Variant(encoding), file, sha256, size);
        kept_if_faithful(&path, checked).map(|()| CacheHit { path, len })
    }

    /// Stores an output and returns the entry's path; errors are logged and
    /// give `None`.
    pub fn put(&self, encoding: Encoding, sha256: &[u8; 32], bytes: &[u8]) -> Option<PathBuf> {
        let path = self.path(encoding, sha256);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(|e| crate::Error::io(&path, e))
            .and_then(|()| write_atomic(&path, bytes, false));
        match result {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!("compression cache not written: {e}");
                None
            }
        }
    }
}

/// `Some` for a verified entry; an entry that failed the check is removed
/// with a warning, and is a miss.
fn kept_if_faithful(path: &Path, checked: Result<(), Unfaithful>) -> Option<()> {
    match checked {
        Ok(()) => Some(()),
        Err(e) => {
            tracing::warn!(
                "compression cache entry {} {e}; discarded",
                crate::paths::shown(path)
            );
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

/// Deltas (RFC 9842) are cached too, keyed by the content, the dictionary
/// and the coding's settings: `DIR/<settings>/<sha256[..2]>/<sha256>-<dictionary sha256>`.
impl Cache {
    fn delta_path(&self, coding: DeltaCoding, sha256: &[u8; 32], dictionary: &[u8; 32]) -> PathBuf {
        let hex = crate::hash::hex(sha256);
        self.dir
            .join(crate::compress::codec::delta_settings_key(coding))
            .join(&hex[..2])
            .join(format!("{hex}-{}", crate::hash::hex(dictionary)))
    }

    /// The cached delta of the content with this SHA-256 and `size` against
    /// `dictionary` (whose SHA-256 is `dictionary_sha256`), if one decodes
    /// with it completely, with nothing after its stream, to exactly that
    /// content ([`verify`]); an entry that does not is removed.
    pub fn get_delta(
        &self,
        coding: DeltaCoding,
        sha256: &[u8; 32],
        size: u64,
        dictionary: &[u8],
        dictionary_sha256: &[u8; 32],
    ) -> Option<Vec<u8>> {
        let path = self.delta_path(coding, sha256, dictionary_sha256);
        let bytes = std::fs::read(&path).ok()?;
        let codec = Codec::Delta {
            coding,
            dictionary,
            dictionary_sha256,
        };
        kept_if_faithful(&path, verify(codec, &bytes[..], sha256, size)).map(|()| bytes)
    }

    /// Stores a delta (kept or not); errors are only logged.
    pub fn put_delta(
        &self,
        coding: DeltaCoding,
        sha256: &[u8; 32],
        dictionary_sha256: &[u8; 32],
        bytes: &[u8],
    ) {
        let path = self.delta_path(coding, sha256, dictionary_sha256);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(|e| crate::Error::io(&path, e))
            .and_then(|()| write_atomic(&path, bytes, false));
        if let Err(e) = result {
            tracing::warn!("compression cache not written: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::codec::compress;

    #[test]
    fn deltas_are_cached_and_verified_with_their_dictionary() {
        use sha2::Digest;
        let t = tempfile::tempdir().expect("tempdir");
        let c = Cache::new(t.path());
        let old = "function a() { return 1; }\n".repeat(50);
        let new = old.replace("return 1", "return 2");
        let (sha, dsha): ([u8; 32], [u8; 32]) = (
            sha2::Sha256::digest(&new).into(),
            sha2::Sha256::digest(&old).into(),
        );
        let n = new.len() as u64;
        for coding in DeltaCoding::ALL {
            assert_eq!(c.get_delta(coding, &sha, n, old.as_bytes(), &dsha), None);
            let d =
                crate::compress::codec::encode_delta(coding, old.as_bytes(), &dsha, new.as_bytes())
                    .expect("encode");
            c.put_delta(coding, &sha, &dsha, &d);
            assert_eq!(
                c.get_delta(coding, &sha, n, old.as_bytes(), &dsha),
                Some(d.clone())
            );
            // With another dictionary's bytes it does not decode: discarded.
            let other = old.replace("function", "fn");
            assert_eq!(c.get_delta(coding, &sha, n, other.as_bytes(), &dsha), None);
            assert_eq!(
                c.get_delta(coding, &sha, n, old.as_bytes(), &dsha),
                None,
                "removed"
            );
        }
    }

    #[test]
    fn entries_with_anything_after_their_stream_are_discarded() {
        use sha2::Digest;
        let t = tempfile::tempdir().expect("tempdir");
        let c = Cache::new(t.path());
        let text = "a { color: blue } ".repeat(100).into_bytes();
        let sha: [u8; 32] = sha2::Sha256::digest(&text).into();
        let n = text.len() as u64;
        for enc in Encoding::ALL {
            let mut bytes = compress(enc, &mut &text[..], n).expect("compress");
            // A second gzip member, a second zstd frame, a second brotli stream.
            let extra = compress(enc, &mut &b"alert(1)"[..], 8).expect("compress");
            bytes.extend_from_slice(&extra);
            let path = c.put(enc, &sha, &bytes).expect("written");
            assert_eq!(c.get(enc, &sha, n), None, "{enc}");
            assert!(!path.exists(), "{enc}: a bad entry is removed");
        }
        let old = "function a() { return 1; }\n".repeat(50);
        let new = old.replace("return 1", "return 2");
        let dsha: [u8; 32] = sha2::Sha256::digest(&old).into();
        let sha: [u8; 32] = sha2::Sha256::digest(&new).into();
        for coding in DeltaCoding::ALL {
            let mut d =
                crate::compress::codec::encode_delta(coding, old.as_bytes(), &dsha, new.as_bytes())
                    .expect("encode");
            d.extend_from_slice(b"appended");
            c.put_delta(coding, &sha, &dsha, &d);
            let got = c.get_delta(coding, &sha, new.len() as u64, old.as_bytes(), &dsha);
            assert_eq!(got, None, "{coding}");
        }
    }

    #[test]
    fn cache_round_trip() {
        use sha2::Digest;
        let t = tempfile::tempdir().expect("tempdir");
        let c = Cache::new(t.path());
        let text = b"body { color: red; } body { color: red; } body { color: red; }";
        let sha: [u8; 32] = sha2::Sha256::digest(text).into();
        let n = text.len() as u64;
        assert_eq!(c.get(Encoding::Br, &sha, n), None);
        for enc in Encoding::ALL {
            let bytes = compress(enc, &mut &text[..], n).expect("compress");
            let path = c.put(enc, &sha, &bytes).expect("cache written");
            let hit = c.get(enc, &sha, n).expect("verified hit");
            assert_eq!(hit.path, path);
            assert_eq!(hit.len, bytes.len() as u64);
            assert_eq!(std::fs::read(&hit.path).expect("read"), bytes);
        }
    }

    #[test]
    fn cache_rejects_and_removes_entries_of_other_content() {
        use sha2::Digest;
        let t = tempfile::tempdir().expect("tempdir");
        let c = Cache::new(t.path());
        let text = b"a { color: blue } a { color: blue } a { color: blue }".to_vec();
        let sha: [u8; 32] = sha2::Sha256::digest(&text).into();
        let n = text.len() as u64;
        // A poisoned entry: valid gzip, but of other bytes.
        let evil = compress(Encoding::Gzip, &mut &b"alert(1)"[..], 8).expect("compress");
        let path = c.put(Encoding::Gzip, &sha, &evil).expect("written");
        assert_eq!(c.get(Encoding::Gzip, &sha, n), None);
        assert!(!path.exists(), "a bad entry is removed");
        // Garbage, and the right content with a wrong expected size.
        c.put(Encoding::Br, &sha, b"not brotli at all");
        assert_eq!(c.get(Encoding::Br, &sha, n), None);
        let good = compress(Encoding::Zstd, &mut &text[..], n).expect("compress");
        c.put(Encoding::Zstd, &sha, &good);
        assert_eq!(c.get(Encoding::Zstd, &sha, n - 1), None);
        // A bomb that claims a small size stops at that size.
        let big = vec![b'a'; 4 << 20];
        let bomb = compress(Encoding::Br, &mut &big[..], big.len() as u64).expect("compress");
        c.put(Encoding::Br, &sha, &bomb);
        assert_eq!(c.get(Encoding::Br, &sha, n), None);
    }
}
