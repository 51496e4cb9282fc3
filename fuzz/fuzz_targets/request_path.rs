//! See `rcollect_fuzz::fuzz_request_path` for the input format and the
//! property checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rcollect_fuzz::fuzz_request_path(data));
