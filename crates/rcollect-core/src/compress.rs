//! Precompression: brotli (quality 11, window 22), gzip (level 9, no name,
//! mtime 0: reproducible) and zstd (level 19), plus a content-addressed cache
//! of compressed outputs keyed by content hash and codec settings.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::manifest::Encoding;
use crate::write::write_atomic;

/// Brotli quality (whitenoise and the `brotli` CLI default).
pub const BROTLI_QUALITY: u32 = 11;
/// Brotli window bits.
pub const BROTLI_WINDOW: u32 = 22;
/// gzip level.
pub const GZIP_LEVEL: u32 = 9;
/// zstd level.
pub const ZSTD_LEVEL: i32 = 19;

/// Compresses everything `input` yields with `encoding`. `size_hint` (the
/// input size, if known) lets brotli pick its buffers.
pub fn compress(encoding: Encoding, input: &mut dyn Read, size_hint: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity((size_hint / 3) as usize + 64);
    match encoding {
        Encoding::Br => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: BROTLI_QUALITY as i32,
                lgwin: BROTLI_WINDOW as i32,
                size_hint: size_hint.min(usize::MAX as u64) as usize,
                ..Default::default()
            };
            let mut input = input;
            brotli::BrotliCompress(&mut input, &mut out, &params)?;
        }
        Encoding::Gzip => {
            let mut enc = flate2::GzBuilder::new()
                .mtime(0)
                .write(&mut out, flate2::Compression::new(GZIP_LEVEL));
            io::copy(input, &mut enc)?;
            enc.finish()?;
        }
        Encoding::Zstd => {
            zstd::stream::copy_encode(input, &mut out, ZSTD_LEVEL)?;
        }
    }
    Ok(out)
}

/// Decompresses a whole variant (for verification).
pub fn decompress(encoding: Encoding, bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    match encoding {
        Encoding::Br => {
            brotli::BrotliDecompress(&mut &bytes[..], &mut out)?;
        }
        Encoding::Gzip => {
            flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
        }
        Encoding::Zstd => {
            zstd::stream::copy_decode(bytes, &mut out)?;
        }
    }
    Ok(out)
}

/// Whether a variant of `compressed` bytes is worth keeping for an original
/// of `original` bytes: it must be at least `min_saving` (a fraction) smaller.
pub fn worth_keeping(original: u64, compressed: u64, min_saving: f64) -> bool {
    original > 0 && (compressed as f64) <= (original as f64) * (1.0 - min_saving)
}

/// The codec settings part of a cache key; a change of settings or encoder
/// major version gives new keys.
pub fn settings_key(encoding: Encoding) -> String {
    match encoding {
        Encoding::Br => format!("br-q{BROTLI_QUALITY}-w{BROTLI_WINDOW}-rs8"),
        Encoding::Gzip => format!("gzip-{GZIP_LEVEL}-zlibrs1"),
        Encoding::Zstd => format!("zstd-{ZSTD_LEVEL}-v013"),
    }
}

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
        let hex = crate::manifest::hex(sha256);
        self.dir
            .join(settings_key(encoding))
            .join(&hex[..2])
            .join(hex)
    }

    /// The cached output for content of this SHA-256 and `size`, if there is
    /// one that decompresses to exactly that content. An entry that does not
    /// is removed (with a warning) and reported as a miss.
    pub fn get(&self, encoding: Encoding, sha256: &[u8; 32], size: u64) -> Option<CacheHit> {
        let path = self.path(encoding, sha256);
        let file = std::fs::File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        match decodes_to(encoding, file, sha256, size) {
            Ok(true) => Some(CacheHit { path, len }),
            Ok(false) | Err(_) => {
                tracing::warn!(
                    "compression cache entry {} does not decompress to its content; discarded",
                    path.display()
                );
                let _ = std::fs::remove_file(&path);
                None
            }
        }
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

/// Whether `compressed` decodes to exactly `size` bytes with this SHA-256.
/// Streams: never holds the decoded content, and stops at `size + 1` bytes
/// (a decompression bomb costs no more than the content it claims to be).
fn decodes_to(
    encoding: Encoding,
    compressed: impl Read,
    sha256: &[u8; 32],
    size: u64,
) -> io::Result<bool> {
    use sha2::Digest;
    struct Sink {
        hasher: sha2::Sha256,
        seen: u64,
        limit: u64,
    }
    impl io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.seen += buf.len() as u64;
            if self.seen > self.limit {
                return Err(io::Error::other("decodes to more than the content"));
            }
            self.hasher.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Sink {
        hasher: sha2::Sha256::new(),
        seen: 0,
        limit: size,
    };
    let mut input = io::BufReader::with_capacity(64 * 1024, compressed);
    match encoding {
        Encoding::Br => {
            brotli::BrotliDecompress(&mut input, &mut sink)?;
        }
        Encoding::Gzip => {
            io::copy(&mut flate2::bufread::GzDecoder::new(input), &mut sink)?;
        }
        Encoding::Zstd => {
            zstd::stream::copy_decode(input, &mut sink)?;
        }
    }
    let digest: [u8; 32] = sink.hasher.finalize().into();
    Ok(sink.seen == size && digest == *sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reproducible_gzip() {
        let text = "body { color: red; } ".repeat(200);
        for enc in Encoding::ALL {
            let c = compress(enc, &mut text.as_bytes(), text.len() as u64).expect("compress");
            assert!(c.len() < text.len() / 5, "{enc}: {}", c.len());
            assert_eq!(decompress(enc, &c).expect("decompress"), text.as_bytes());
            let again = compress(enc, &mut text.as_bytes(), 0).expect("compress");
            assert_eq!(c, again, "{enc} must be deterministic");
        }
        let gz = compress(Encoding::Gzip, &mut text.as_bytes(), 0).expect("gzip");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime must be 0");
        assert_eq!(gz[3] & 0x08, 0, "no file name");
    }

    #[test]
    fn saving_threshold() {
        assert!(worth_keeping(100, 95, 0.05));
        assert!(!worth_keeping(100, 96, 0.05));
        assert!(!worth_keeping(0, 0, 0.05));
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
