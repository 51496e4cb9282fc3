//! The CSS reference scanner never panics, and every span it reports lies
//! inside the input, in order, without overlaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcollect_core::scan::{Reference, css};

fuzz_target!(|data: &[u8]| check(data, &css::scan(data)));

fn check(data: &[u8], refs: &[Reference]) {
    let mut prev_end = 0;
    let mut prev_line = 1;
    for r in refs {
        assert!(r.span.start < r.span.end, "empty span {r:?}");
        assert!(r.span.end <= data.len(), "span past the end {r:?}");
        assert!(r.span.start >= prev_end, "unsorted or overlapping {r:?}");
        assert!(r.line >= prev_line, "line numbers go back {r:?}");
        prev_end = r.span.end;
        prev_line = r.line;
    }
}
