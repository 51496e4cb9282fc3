//! `Accept-Encoding` negotiation: the first byte picks the available
//! variants, the rest is the header (a `\n` separates header lines). The
//! chosen representation must be acceptable to the client and available.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcollect_core::Encoding;
use tower_rcollect::fuzzing::check_negotiate;

fuzz_target!(|data: &[u8]| {
    let Some((&bits, header)) = data.split_first() else {
        return;
    };
    let available: Vec<Encoding> = Encoding::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, e)| e)
        .collect();
    let lines: Vec<&[u8]> = if bits & 0x80 != 0 {
        Vec::new() // no header at all
    } else {
        header.split(|&b| b == b'\n').collect()
    };
    if let Err(e) = check_negotiate(&lines, &available) {
        panic!("{e}");
    }
});
