//! Dictionary-compressed deltas (RFC 9842, Compression Dictionary Transport).
//!
//! A returning visitor holds the previous version of a file; compressed with
//! that version as a raw (LZ77 prefix) dictionary, the new one costs a few
//! bytes where its brotli variant costs kilobytes. Two content codings:
//!
//! * `dcb`: brotli with a custom dictionary, after a 36-byte header
//!   (`FF 44 43 42` and the SHA-256 of the dictionary);
//! * `dcz`: zstd with the dictionary as raw content, after a 40-byte header
//!   (a skippable frame `5E 2A 4D 18 20 00 00 00` holding the SHA-256).
//!
//! A delta of `css/app.<hash>.css` against a dictionary whose SHA-256 starts
//! with `0123456789abcdef` lives beside it as
//! `css/app.<hash>.css.0123456789abcdef.dcb` (or `.dcz`); the manifest lists
//! it under the file's [`deltas`](crate::FileMeta::deltas). Source files
//! named `*.dcb` or `*.dcz` are refused, so these names can never be taken.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A dictionary content coding of RFC 9842.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeltaCoding {
    /// Dictionary-compressed brotli.
    Dcb,
    /// Dictionary-compressed zstd.
    Dcz,
}

impl DeltaCoding {
    /// Both, in server preference order for equal q-values (`dcb` first).
    pub const ALL: [DeltaCoding; 2] = [DeltaCoding::Dcb, DeltaCoding::Dcz];

    /// The `Content-Encoding` token (also the file suffix, after a dot).
    pub fn token(self) -> &'static str {
        match self {
            DeltaCoding::Dcb => "dcb",
            DeltaCoding::Dcz => "dcz",
        }
    }

    /// The fixed header bytes before the dictionary's SHA-256.
    pub fn magic(self) -> &'static [u8] {
        match self {
            DeltaCoding::Dcb => &DCB_MAGIC,
            DeltaCoding::Dcz => &DCZ_MAGIC,
        }
    }

    /// Length of the whole header (magic + SHA-256).
    pub fn header_len(self) -> usize {
        self.magic().len() + 32
    }
}

impl fmt::Display for DeltaCoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// `dcb` header magic (RFC 9842 §4).
pub const DCB_MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];
/// `dcz` header magic: a zstd skippable frame of 32 bytes (RFC 9842 §5).
pub const DCZ_MAGIC: [u8; 8] = [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00];

/// Hex characters of the dictionary's SHA-256 in a delta's file name.
pub const NAME_DIGEST_LEN: usize = 16;

/// The largest dictionary plus content a delta is made for: the window both
/// codings can reach back over (zstd window log 23 = 8 MiB, which RFC 9842
/// requires every `dcz` decoder to support; brotli's window is capped a
/// little lower, at 16 MiB - 16 for window log 24).
pub const MAX_WINDOW: u64 = 8 << 20;

/// The file name of the delta of `hashed` against the dictionary whose
/// SHA-256 is `dictionary_sha256` (lowercase hex).
///
/// ```
/// use rcollect_core::delta::{delta_name, DeltaCoding};
/// let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// assert_eq!(
///     delta_name("js/app.3f2a9c81d0e4.js", sha, DeltaCoding::Dcz),
///     "js/app.3f2a9c81d0e4.js.0123456789abcdef.dcz"
/// );
/// ```
pub fn delta_name(hashed: &str, dictionary_sha256: &str, coding: DeltaCoding) -> String {
    let short: String = dictionary_sha256.chars().take(NAME_DIGEST_LEN).collect();
    format!("{hashed}.{short}.{}", coding.token())
}

/// True for a name that ends like a delta (`.dcb` or `.dcz`): refused as a
/// source file name, recognised by `clean` as an output.
pub fn is_delta_name(name: &str) -> bool {
    DeltaCoding::ALL.iter().any(|c| {
        name.strip_suffix(c.token())
            .is_some_and(|s| s.ends_with('.'))
    })
}

/// Parses an `Available-Dictionary` value (an RFC 8941 byte sequence,
/// `:<base64 of 32 bytes>:`) into the SHA-256 it names.
///
/// ```
/// let v = ":pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4=:";
/// let sha = rcollect_core::delta::parse_available_dictionary(v.as_bytes()).unwrap();
/// assert_eq!(sha[0], 0xa5);
/// assert!(rcollect_core::delta::parse_available_dictionary(b"abc").is_none());
/// ```
pub fn parse_available_dictionary(value: &[u8]) -> Option<[u8; 32]> {
    use base64::Engine as _;
    let inner = value.trim_ascii().strip_prefix(b":")?.strip_suffix(b":")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_delta_name("a.js.0123456789abcdef.dcb"));
        assert!(is_delta_name("x.dcz"));
        assert!(!is_delta_name("dcz"));
        assert!(!is_delta_name("a.js"));
        assert!(!is_delta_name("a.xdcb"));
    }

    #[test]
    fn available_dictionary_values() {
        let ok = format!(":{}:", "A".repeat(43) + "=");
        assert_eq!(parse_available_dictionary(ok.as_bytes()), Some([0; 32]));
        assert!(
            parse_available_dictionary(b":AAAA:").is_none(),
            "wrong length"
        );
        assert!(parse_available_dictionary(b"AAAA").is_none(), "no colons");
        assert!(parse_available_dictionary(b":").is_none());
        assert!(parse_available_dictionary(b"").is_none());
    }
}
