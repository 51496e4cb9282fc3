//! `Range` parsing: the first 8 bytes are the file length (little endian,
//! reduced to keep small lengths common), the rest is the header value. A
//! 206 range must lie within the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_rcollect::fuzzing::check_range;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (len, value) = data.split_at(8);
    let mut raw = [0u8; 8];
    raw.copy_from_slice(len);
    let raw = u64::from_le_bytes(raw);
    // Mostly small files, sometimes huge ones (up to u64::MAX).
    let len = if raw & 1 == 0 {
        (raw >> 1) % 4096
    } else {
        raw >> 1 | raw << 63
    };
    if let Err(e) = check_range(value, len) {
        panic!("{e}");
    }
});
