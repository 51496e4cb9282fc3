//! The codecs: brotli (quality 11, window 22), gzip (level 9, no name,
//! mtime 0: reproducible) and zstd (level 19), with their settings.

use std::io::{self, Read};

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
}
