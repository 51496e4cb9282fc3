//! See `rcollect_fuzz::fuzz_scan_html` for the input format and the
//! property checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rcollect_fuzz::fuzz_scan_html(data));
