//! The codecs: brotli (quality 11, window 22), gzip (level 9, no name,
//! mtime 0: reproducible) and zstd (level 19) for the variants, and `dcb`
//! (brotli with a custom dictionary) and `dcz` (zstd with a raw prefix)
//! for the RFC 9842 deltas, with their settings.

use std::io::{self, Read};

use crate::delta::{DeltaCoding, MAX_WINDOW};
use crate::manifest::Encoding;

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

/// brotli quality for `dcb` (as for `.br`).
const DCB_QUALITY: i32 = 11;
/// zstd level for `dcz` (as for `.zst`).
const DCZ_LEVEL: i32 = 19;

/// The codec settings part of a delta's cache key (a change of settings or
/// of the encoder's major version gives new keys).
pub fn delta_settings_key(coding: DeltaCoding) -> &'static str {
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
pub fn encode_delta(
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
    fn delta_round_trip_and_tiny_for_a_one_line_change() {
        use sha2::Digest;
        let old: String = (0..4000)
            .map(|i| format!("function f{i}(a) {{ return a * {i} + {}; }}\n", i % 7))
            .collect();
        let new = old.replace("function f2000(a)", "function f2000(a, b)");
        let sha: [u8; 32] = sha2::Sha256::digest(old.as_bytes()).into();
        for c in DeltaCoding::ALL {
            let d = encode_delta(c, old.as_bytes(), &sha, new.as_bytes()).expect("encode");
            assert_eq!(d.get(..c.magic().len()), Some(c.magic()));
            assert!(d.len() < 120, "{c}: {} bytes", d.len());
            let back =
                crate::compress::verify::decode_delta(c, old.as_bytes(), &sha, &d, new.len())
                    .expect("decode");
            assert_eq!(back, new.as_bytes(), "{c}");
            // Another dictionary: refused by the header check.
            let other = [0u8; 32];
            assert!(
                crate::compress::verify::decode_delta(c, old.as_bytes(), &other, &d, new.len())
                    .is_err()
            );
            // Too small a limit: refused.
            assert!(
                crate::compress::verify::decode_delta(c, old.as_bytes(), &sha, &d, new.len() - 1)
                    .is_err()
            );
        }
    }

    #[test]
    fn refuses_what_the_window_cannot_hold() {
        let big = vec![b'a'; (MAX_WINDOW / 2 + 1) as usize];
        assert!(encode_delta(DeltaCoding::Dcz, &big, &[0; 32], &big).is_err());
    }
}
