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

#[cfg(feature = "collect")]
pub use codec::{decode, encode, settings_key};

#[cfg(feature = "collect")]
mod codec {
    use std::io;

    use super::{DeltaCoding, MAX_WINDOW};

    /// brotli quality for `dcb` (as for `.br`).
    const DCB_QUALITY: i32 = 11;
    /// zstd level for `dcz` (as for `.zst`).
    const DCZ_LEVEL: i32 = 19;

    /// The codec settings part of a cache key (a change of settings or of
    /// the encoder's major version gives new keys).
    pub fn settings_key(coding: DeltaCoding) -> &'static str {
        match coding {
            DeltaCoding::Dcb => "dcb-q11-rs8",
            DeltaCoding::Dcz => "dcz-19-v013",
        }
    }

    /// Window log covering `n` bytes (at least 2^16, at most 2^24).
    fn window_log(n: u64) -> u32 {
        let mut log = 16;
        while log < 24 && (1u64 << log) - 16 < n {
            log += 1;
        }
        log
    }

    fn too_large(dictionary: &[u8], content: &[u8]) -> bool {
        (dictionary.len() as u64).saturating_add(content.len() as u64) > MAX_WINDOW
    }

    /// Compresses `content` with `dictionary` (whose SHA-256 is
    /// `dictionary_sha256`) and prefixes the RFC 9842 header.
    ///
    /// # Errors
    /// The dictionary and content together exceed [`MAX_WINDOW`], or the
    /// encoder fails.
    pub fn encode(
        coding: DeltaCoding,
        dictionary: &[u8],
        dictionary_sha256: &[u8; 32],
        content: &[u8],
    ) -> io::Result<Vec<u8>> {
        if too_large(dictionary, content) {
            return Err(io::Error::other("dictionary and content exceed the window"));
        }
        let mut out = Vec::with_capacity(content.len() / 8 + 64);
        out.extend_from_slice(coding.magic());
        out.extend_from_slice(dictionary_sha256);
        let wlog = window_log(dictionary.len() as u64 + content.len() as u64);
        match coding {
            DeltaCoding::Dcb => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: DCB_QUALITY,
                    lgwin: wlog as i32,
                    size_hint: content.len(),
                    ..Default::default()
                };
                let mut input = content;
                let (mut ibuf, mut obuf) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
                brotli::BrotliCompressCustomIoCustomDict(
                    &mut brotli::enc::IoReaderWrapper(&mut input),
                    &mut brotli::enc::IoWriterWrapper(&mut out),
                    &mut ibuf,
                    &mut obuf,
                    &params,
                    brotli::enc::StandardAlloc::default(),
                    &mut |_, _, _, _| (),
                    dictionary,
                    io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected end of input"),
                )?;
            }
            DeltaCoding::Dcz => {
                use zstd::zstd_safe::{CCtx, CParameter};
                let err = |code: usize| io::Error::other(zstd::zstd_safe::get_error_name(code));
                let mut cctx = CCtx::create();
                cctx.set_parameter(CParameter::CompressionLevel(DCZ_LEVEL))
                    .map_err(err)?;
                cctx.set_parameter(CParameter::WindowLog(wlog.max(19)))
                    .map_err(err)?;
                cctx.set_parameter(CParameter::ContentSizeFlag(true))
                    .map_err(err)?;
                cctx.ref_prefix(dictionary).map_err(err)?;
                let mut frame = Vec::with_capacity(zstd::zstd_safe::compress_bound(content.len()));
                cctx.compress2(&mut frame, content).map_err(err)?;
                out.extend_from_slice(&frame);
            }
        }
        Ok(out)
    }

    /// Checks the header of a delta against `dictionary_sha256` and decodes
    /// it with `dictionary`, expecting at most `max_size` bytes and nothing
    /// after the stream ([`crate::compress::verify::decode`]).
    ///
    /// # Errors
    /// A wrong header, a stream that does not decode, bytes after it, or
    /// more than `max_size` bytes.
    pub fn decode(
        coding: DeltaCoding,
        dictionary: &[u8],
        dictionary_sha256: &[u8; 32],
        delta: &[u8],
        max_size: usize,
    ) -> io::Result<Vec<u8>> {
        use crate::compress::verify::{self, Codec};
        struct Limited(Vec<u8>, usize);
        impl io::Write for Limited {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                if self.0.len().saturating_add(b.len()) > self.1 {
                    return Err(io::Error::other("decodes to more than expected"));
                }
                self.0.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Limited(
            Vec::with_capacity(max_size.min(MAX_WINDOW as usize)),
            max_size,
        );
        let codec = Codec::Delta {
            coding,
            dictionary,
            dictionary_sha256,
        };
        verify::decode(codec, delta, &mut out).map_err(io::Error::other)?;
        Ok(out.0)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use sha2::Digest;

        #[test]
        fn round_trip_and_tiny_for_a_one_line_change() {
            let old: String = (0..4000)
                .map(|i| format!("function f{i}(a) {{ return a * {i} + {}; }}\n", i % 7))
                .collect();
            let new = old.replace("function f2000(a)", "function f2000(a, b)");
            let sha: [u8; 32] = sha2::Sha256::digest(old.as_bytes()).into();
            for c in DeltaCoding::ALL {
                let d = encode(c, old.as_bytes(), &sha, new.as_bytes()).expect("encode");
                assert_eq!(d.get(..c.magic().len()), Some(c.magic()));
                assert!(d.len() < 120, "{c}: {} bytes", d.len());
                let back = decode(c, old.as_bytes(), &sha, &d, new.len()).expect("decode");
                assert_eq!(back, new.as_bytes(), "{c}");
                // Another dictionary: refused by the header check.
                let other = [0u8; 32];
                assert!(decode(c, old.as_bytes(), &other, &d, new.len()).is_err());
                // Too small a limit: refused.
                assert!(decode(c, old.as_bytes(), &sha, &d, new.len() - 1).is_err());
            }
        }

        #[test]
        fn refuses_what_the_window_cannot_hold() {
            let big = vec![b'a'; (MAX_WINDOW / 2 + 1) as usize];
            assert!(encode(DeltaCoding::Dcz, &big, &[0; 32], &big).is_err());
        }
    }
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
