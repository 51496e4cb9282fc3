//! The one check that compressed bytes stand for a file: a variant
//! (`.br`, `.gz`, `.zst`) or a delta (`dcb`, `dcz`) is trusted only if it
//! decodes **completely**, with **nothing after its stream**, to
//! **exactly** the file's bytes (size and SHA-256).
//!
//! A second gzip member, bytes after the end of a brotli stream or a
//! second zstd frame decode without an error in most decoders, and
//! clients disagree about them (Python's urllib3 appends the extra bytes,
//! curl fails), so they are refused here. The compression cache
//! ([`super::Cache`]), `rcollect check --manifest` and
//! `collectstatic --verify` all use [`verify`].
//!
//! Decoding streams: the decoded bytes are hashed, never held, and a
//! stream that decodes to more than the file's size stops there (a
//! decompression bomb costs no more than the content it claims to be).

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};

use crate::delta::DeltaCoding;
use crate::manifest::Encoding;

/// What the compressed bytes are.
#[derive(Debug, Clone, Copy)]
pub enum Codec<'d> {
    /// A precompressed variant.
    Variant(Encoding),
    /// An RFC 9842 delta against `dictionary` (the bytes of the previous
    /// version), whose SHA-256 its header must name.
    Delta {
        /// `dcb` or `dcz`.
        coding: DeltaCoding,
        /// The dictionary's bytes.
        dictionary: &'d [u8],
        /// The dictionary's SHA-256.
        dictionary_sha256: &'d [u8; 32],
    },
}

impl fmt::Display for Codec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::Variant(e) => f.write_str(e.token()),
            Codec::Delta { coding, .. } => f.write_str(coding.token()),
        }
    }
}

/// Why compressed bytes do not stand for the file. Its `Display` is a
/// predicate for a sentence about the file ("… does not decode as br").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unfaithful {
    /// The stream is not valid (or is cut short).
    #[error("does not decode as {codec} ({source})")]
    Undecodable {
        /// The codec.
        codec: String,
        /// The decoder's complaint.
        #[source]
        source: io::Error,
    },
    /// A delta whose header is not the RFC 9842 header for its dictionary.
    #[error("does not start with the {codec} header for its dictionary")]
    Header {
        /// `dcb` or `dcz`.
        codec: String,
    },
    /// It decodes to more bytes than the file has.
    #[error("decodes to more than {size} bytes, the file's size")]
    Longer {
        /// The file's size.
        size: u64,
    },
    /// It decodes to fewer bytes than the file has.
    #[error("decodes to {got} bytes, but the file is {size} bytes")]
    Shorter {
        /// Bytes decoded.
        got: u64,
        /// The file's size.
        size: u64,
    },
    /// It decodes to bytes of the right size but another SHA-256.
    #[error("decodes to bytes with SHA-256 {got}, not the file's {want}")]
    OtherBytes {
        /// SHA-256 of what it decodes to (hex).
        got: String,
        /// The file's SHA-256 (hex).
        want: String,
    },
    /// Bytes follow the end of the stream (a second gzip member or zstd
    /// frame, garbage after a brotli stream).
    #[error("has {bytes} bytes after the end of its {codec} stream")]
    Trailing {
        /// How many.
        bytes: u64,
        /// The codec.
        codec: String,
    },
}

/// Checks that `compressed` decodes with `codec` completely, with nothing
/// after its stream, to exactly `size` bytes with this SHA-256.
///
/// ```
/// use rcollect_core::compress::{compress, verify::{Codec, verify}};
/// use rcollect_core::Encoding;
/// use sha2::Digest;
/// let text = b"body { color: red } body { color: red }";
/// let sha: [u8; 32] = sha2::Sha256::digest(text).into();
/// let mut gz = compress(Encoding::Gzip, &mut &text[..], 0).unwrap();
/// let n = text.len() as u64;
/// assert!(verify(Codec::Variant(Encoding::Gzip), &gz[..], &sha, n).is_ok());
/// gz.extend_from_slice(&gz.clone()); // a second gzip member
/// assert!(verify(Codec::Variant(Encoding::Gzip), &gz[..], &sha, n).is_err());
/// ```
///
/// # Errors
/// Why not, as an [`Unfaithful`].
pub fn verify(
    codec: Codec<'_>,
    compressed: impl Read,
    sha256: &[u8; 32],
    size: u64,
) -> Result<(), Unfaithful> {
    use sha2::Digest;
    let mut sink = Hashing {
        hasher: sha2::Sha256::new(),
        seen: 0,
        limit: size,
        over: false,
    };
    let decoded = decode(codec, compressed, &mut sink);
    if sink.over {
        return Err(Unfaithful::Longer { size });
    }
    decoded?;
    if sink.seen != size {
        return Err(Unfaithful::Shorter {
            got: sink.seen,
            size,
        });
    }
    let got: [u8; 32] = sink.hasher.finalize().into();
    if got != *sha256 {
        return Err(Unfaithful::OtherBytes {
            got: crate::hash::hex(&got),
            want: crate::hash::hex(sha256),
        });
    }
    Ok(())
}

/// Decodes `compressed` with `codec` into `out`, refusing anything after
/// the end of the stream.
///
/// # Errors
/// The stream does not decode, has trailing bytes, a delta's header does
/// not name its dictionary, or `out` fails (its error is returned as
/// [`Unfaithful::Undecodable`]).
pub fn decode(
    codec: Codec<'_>,
    compressed: impl Read,
    out: &mut dyn Write,
) -> Result<(), Unfaithful> {
    let name = codec.to_string();
    let undecodable = |source: io::Error| Unfaithful::Undecodable {
        codec: name.clone(),
        source,
    };
    let mut input = BufReader::with_capacity(64 * 1024, compressed);
    let trailing = match codec {
        Codec::Variant(Encoding::Br) => brotli(&mut input, Vec::new(), out),
        Codec::Variant(Encoding::Gzip) => gzip(&mut input, out),
        Codec::Variant(Encoding::Zstd) => zstd(&mut input, None, out),
        Codec::Delta {
            coding,
            dictionary,
            dictionary_sha256,
        } => {
            let mut header = vec![0u8; coding.header_len()];
            input.read_exact(&mut header).map_err(&undecodable)?;
            let named = header
                .strip_prefix(coding.magic())
                .is_some_and(|sha| sha == &dictionary_sha256[..]);
            if !named {
                return Err(Unfaithful::Header { codec: name });
            }
            match coding {
                DeltaCoding::Dcb => brotli(&mut input, dictionary.to_vec(), out),
                DeltaCoding::Dcz => zstd(&mut input, Some(dictionary), out),
            }
        }
    }
    .map_err(undecodable)?;
    if trailing > 0 {
        return Err(Unfaithful::Trailing {
            bytes: trailing,
            codec: name,
        });
    }
    Ok(())
}

/// Checks the header of a delta against `dictionary_sha256` and decodes
/// it with `dictionary`, expecting at most `max_size` bytes and nothing
/// after the stream ([`decode`]).
///
/// # Errors
/// A wrong header, a stream that does not decode, bytes after it, or
/// more than `max_size` bytes.
pub fn decode_delta(
    coding: DeltaCoding,
    dictionary: &[u8],
    dictionary_sha256: &[u8; 32],
    delta: &[u8],
    max_size: usize,
) -> io::Result<Vec<u8>> {
    struct Limited(Vec<u8>, usize);
    impl Write for Limited {
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
    let cap = max_size.min(usize::try_from(crate::delta::MAX_WINDOW).unwrap_or(usize::MAX));
    let mut out = Limited(Vec::with_capacity(cap), max_size);
    let codec = Codec::Delta {
        coding,
        dictionary,
        dictionary_sha256,
    };
    decode(codec, delta, &mut out).map_err(io::Error::other)?;
    Ok(out.0)
}

/// Decodes one brotli stream (with a custom dictionary when not empty)
/// from `input`; returns how many bytes follow it.
fn brotli(input: &mut dyn BufRead, dictionary: Vec<u8>, out: &mut dyn Write) -> io::Result<u64> {
    use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
    let mut state = BrotliState::new_with_custom_dictionary(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
        dictionary.into(),
    );
    let mut inbuf = vec![0u8; 64 * 1024];
    let mut outbuf = vec![0u8; 64 * 1024];
    let (mut available_in, mut input_offset, mut total) = (0usize, 0usize, 0usize);
    loop {
        let (mut available_out, mut output_offset) = (outbuf.len(), 0usize);
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            &inbuf,
            &mut available_out,
            &mut output_offset,
            &mut outbuf,
            &mut total,
            &mut state,
        );
        let produced = outbuf
            .get(..output_offset)
            .ok_or_else(|| io::Error::other("brotli decoder overran its buffer"))?;
        out.write_all(produced)?;
        match result {
            BrotliResult::ResultSuccess => {
                let rest = io::copy(input, &mut io::sink())?;
                return Ok(rest.saturating_add(available_in as u64));
            }
            BrotliResult::NeedsMoreOutput => {}
            BrotliResult::NeedsMoreInput => {
                // Keep what the decoder has not taken, then read more.
                let end = input_offset.saturating_add(available_in).min(inbuf.len());
                inbuf.copy_within(input_offset.min(end)..end, 0);
                let free = inbuf
                    .get_mut(available_in..)
                    .ok_or_else(|| io::Error::other("brotli input buffer full"))?;
                let n = input.read(free)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stream is cut short",
                    ));
                }
                available_in += n;
                input_offset = 0;
            }
            BrotliResult::ResultFailure => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "invalid brotli stream",
                ));
            }
        }
    }
}

/// Decodes one gzip member; returns how many bytes follow it.
fn gzip(input: &mut dyn BufRead, out: &mut dyn Write) -> io::Result<u64> {
    let mut decoder = flate2::bufread::GzDecoder::new(&mut *input);
    io::copy(&mut decoder, out)?;
    drop(decoder);
    io::copy(input, &mut io::sink())
}

/// Decodes one zstd frame (with `prefix` as a raw dictionary for `dcz`);
/// returns how many bytes follow it.
fn zstd(input: &mut dyn BufRead, prefix: Option<&[u8]>, out: &mut dyn Write) -> io::Result<u64> {
    {
        let mut decoder = match prefix {
            Some(p) => {
                let mut d = zstd::stream::read::Decoder::with_ref_prefix(&mut *input, p)?;
                // RFC 9842 §5: `dcz` decoders support windows up to 128 MiB.
                d.window_log_max(27)?;
                d
            }
            None => zstd::stream::read::Decoder::with_buffer(&mut *input)?,
        }
        .single_frame();
        io::copy(&mut decoder, out)?;
    }
    io::copy(input, &mut io::sink())
}

/// Hashes what it is given, up to `limit` bytes.
struct Hashing {
    hasher: sha2::Sha256,
    seen: u64,
    limit: u64,
    over: bool,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use sha2::Digest;
        self.seen = self.seen.saturating_add(buf.len() as u64);
        if self.seen > self.limit {
            self.over = true;
            return Err(io::Error::other("decodes to more than the content"));
        }
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::codec::compress;
    use sha2::Digest;

    fn text() -> Vec<u8> {
        "a { color: blue } .b { margin: 0 auto } "
            .repeat(300)
            .into_bytes()
    }

    #[test]
    fn every_codec_round_trips_and_refuses_what_follows_its_stream() {
        let text = text();
        let sha: [u8; 32] = sha2::Sha256::digest(&text).into();
        let n = text.len() as u64;
        for enc in Encoding::ALL {
            let c = compress(enc, &mut &text[..], n).expect("compress");
            verify(Codec::Variant(enc), &c[..], &sha, n).expect("faithful");
            // A second stream (gzip member, zstd frame, brotli stream) and
            // plain garbage after the first.
            for tail in [c.clone(), b"GARBAGE".to_vec(), vec![0]] {
                let mut bad = c.clone();
                bad.extend_from_slice(&tail);
                let e = verify(Codec::Variant(enc), &bad[..], &sha, n).expect_err("trailing");
                assert!(
                    matches!(
                        e,
                        Unfaithful::Trailing { .. } | Unfaithful::Undecodable { .. }
                    ),
                    "{enc}: {e}"
                );
            }
            // Cut short.
            let cut = c.get(..c.len() - 3).expect("cut");
            assert!(verify(Codec::Variant(enc), cut, &sha, n).is_err(), "{enc}");
            // Another file's bytes, of the same size.
            let mut other = text.clone();
            other[5] = b'x';
            let o = compress(enc, &mut &other[..], n).expect("compress");
            let e = verify(Codec::Variant(enc), &o[..], &sha, n).expect_err("other");
            assert!(matches!(e, Unfaithful::OtherBytes { .. }), "{enc}: {e}");
            // A bomb claiming a smaller size stops there.
            let e = verify(Codec::Variant(enc), &c[..], &sha, n - 1).expect_err("longer");
            assert!(matches!(e, Unfaithful::Longer { .. }), "{enc}: {e}");
        }
    }

    #[test]
    fn a_gzip_stream_with_a_second_member_is_refused_by_name() {
        let text = text();
        let sha: [u8; 32] = sha2::Sha256::digest(&text).into();
        let n = text.len() as u64;
        let mut gz = compress(Encoding::Gzip, &mut &text[..], n).expect("gzip");
        let extra = compress(Encoding::Gzip, &mut &b"alert(1)"[..], 8).expect("gzip");
        gz.extend_from_slice(&extra);
        let e = verify(Codec::Variant(Encoding::Gzip), &gz[..], &sha, n).expect_err("refused");
        assert!(
            matches!(e, Unfaithful::Trailing { bytes, .. } if bytes == extra.len() as u64),
            "{e}"
        );
    }

    #[test]
    fn deltas_decode_only_with_their_dictionary_and_nothing_after() {
        let old = text();
        let new = String::from_utf8(old.clone())
            .expect("utf8")
            .replacen("blue", "red", 1)
            .into_bytes();
        let (sha, dsha): ([u8; 32], [u8; 32]) = (
            sha2::Sha256::digest(&new).into(),
            sha2::Sha256::digest(&old).into(),
        );
        let n = new.len() as u64;
        for coding in DeltaCoding::ALL {
            let codec = Codec::Delta {
                coding,
                dictionary: &old,
                dictionary_sha256: &dsha,
            };
            let d =
                crate::compress::codec::encode_delta(coding, &old, &dsha, &new).expect("encode");
            verify(codec, &d[..], &sha, n).expect("faithful");
            let mut bad = d.clone();
            bad.extend_from_slice(b"\x00\x01 trailing");
            assert!(verify(codec, &bad[..], &sha, n).is_err(), "{coding}");
            let other = [7u8; 32];
            let wrong = Codec::Delta {
                coding,
                dictionary: &old,
                dictionary_sha256: &other,
            };
            let e = verify(wrong, &d[..], &sha, n).expect_err("header");
            assert!(matches!(e, Unfaithful::Header { .. }), "{coding}: {e}");
        }
    }
}
