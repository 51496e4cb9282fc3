//! See `rcollect_fuzz::fuzz_range` for the input format and the
//! property checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rcollect_fuzz::fuzz_range(data));
