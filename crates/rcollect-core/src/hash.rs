//! Content hashes: SHA-256 for names and ETags, SHA-384 for Subresource
//! Integrity, both computed in one pass over the bytes.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

use crate::error::{Error, Result};

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// 64 hex digits (either case) → the 32 bytes of a SHA-256; `None` for
/// anything else.
///
/// ```
/// let sha = "00".repeat(31) + "Ff";
/// assert_eq!(rcollect_core::hash::from_hex(&sha).map(|b| b[31]), Some(0xff));
/// assert_eq!(rcollect_core::hash::from_hex("abc"), None);
/// ```
pub fn from_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (pair.first().copied()?, pair.get(1).copied()?);
        *o = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Some(out)
}

/// Number of hex digits of the SHA-256 used in hashed names (Django uses 12).
pub const NAME_HASH_LEN: usize = 12;

/// True when the last segment of `key` (without a `.br`/`.gz`/`.zst`
/// suffix) has a segment of [`NAME_HASH_LEN`] lowercase hex digits after a
/// dot, as rcollect and Django name files (`app.3f2a9c81d0e4.css`,
/// `LICENSE.3f2a9c81d0e4`). The one rule for "looks hashed": `clean`
/// removes such files, the middleware treats an unknown one as a name of
/// another release, and `Use-As-Dictionary` patterns follow it.
///
/// ```
/// use rcollect_core::hash::looks_hashed;
/// assert!(looks_hashed("css/app.3f2a9c81d0e4.css.br"));
/// assert!(!looks_hashed("css/app.css"));
/// assert!(!looks_hashed("3f2a9c81d0e4.css")); // no name before the hash
/// ```
pub fn looks_hashed(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let name = crate::encoding::Encoding::ALL
        .iter()
        .find_map(|e| name.strip_suffix(e.suffix()))
        .unwrap_or(name);
    hash_segment(name).is_some()
}

/// The byte range of the hash segment in a file name (without directory)
/// that [`looks_hashed`]: `app.3f2a9c81d0e4.css` → the 12 digits.
pub fn hash_segment(name: &str) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    for (i, seg) in name.split('.').enumerate() {
        let end = start + seg.len();
        if i > 0
            && seg.len() == NAME_HASH_LEN
            && seg.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Some(start..end);
        }
        start = end + 1;
    }
    None
}

/// The digests of one file's final bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256.
    pub sha256: [u8; 32],
    /// SHA-384 (for `integrity`).
    pub sha384: [u8; 48],
    /// Number of bytes hashed.
    pub size: u64,
}

impl Digests {
    /// Hashes a byte slice.
    pub fn of(bytes: &[u8]) -> Digests {
        let mut h = Hasher::default();
        h.update(bytes);
        h.finish()
    }

    /// Hashes a file, streaming it in 256 KiB chunks.
    pub fn of_file(path: &Path) -> Result<Digests> {
        std::fs::File::open(path)
            .and_then(Digests::of_reader)
            .map_err(|e| Error::io(path, e))
    }

    /// Hashes everything `r` yields, streaming it in 256 KiB chunks (a file,
    /// or a decoder over a precompressed variant).
    pub fn of_reader(mut r: impl Read) -> std::io::Result<Digests> {
        let mut h = Hasher::default();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(buf.get(..n).unwrap_or_default());
        }
        Ok(h.finish())
    }

    /// The SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    /// The SRI value, `sha384-<base64>`.
    pub fn integrity(&self) -> String {
        format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(self.sha384)
        )
    }
}

/// Incremental hashing of both digests.
#[derive(Debug, Default, Clone)]
pub struct Hasher {
    sha256: Sha256,
    sha384: Sha384,
    size: u64,
}

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        self.sha384.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// Finishes both digests.
    pub fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.finalize().into(),
            sha384: self.sha384.finalize().into(),
            size: self.size,
        }
    }
}

/// Inserts the hash before the last extension of the file name, like Django:
/// `css/app.css` → `css/app.<hash>.css`, `app.css.map` → `app.css.<hash>.map`,
/// `LICENSE` → `LICENSE.<hash>`.
///
/// ```
/// use rcollect_core::hash::hashed_name;
/// assert_eq!(hashed_name("css/app.css", "3f2a9c81d0e4"), "css/app.3f2a9c81d0e4.css");
/// assert_eq!(hashed_name("js/app.css.map", "3f2a9c81d0e4"), "js/app.css.3f2a9c81d0e4.map");
/// ```
pub fn hashed_name(logical: &str, hash: &str) -> String {
    let (dir, name) = match logical.rfind('/') {
        Some(i) => (&logical[..=i], &logical[i + 1..]),
        None => ("", logical),
    };
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{dir}{}.{hash}{}", &name[..i], &name[i..]),
        _ => format!("{dir}{name}.{hash}"),
    }
}

/// The first [`NAME_HASH_LEN`] hex digits of a SHA-256.
pub fn name_hash(sha256: &[u8; 32]) -> String {
    let mut s = hex(&sha256[..NAME_HASH_LEN / 2]);
    s.truncate(NAME_HASH_LEN);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(hashed_name("a.css", "h"), "a.h.css");
        assert_eq!(hashed_name("LICENSE", "h"), "LICENSE.h");
        assert_eq!(hashed_name("d/.htaccess", "h"), "d/.htaccess.h");
        assert_eq!(hashed_name("d.x/y", "h"), "d.x/y.h");
        assert_eq!(hashed_name("a.tar.gz", "h"), "a.tar.h.gz");
    }

    #[test]
    fn known_digests() {
        let d = Digests::of(b"abc");
        assert_eq!(
            d.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(name_hash(&d.sha256), "ba7816bf8f01");
        assert_eq!(
            d.integrity(),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("f");
        std::fs::write(&p, b"abc").expect("write");
        assert_eq!(Digests::of_file(&p).expect("hash"), d);
    }
}
