//! Request path normalisation: the first byte picks the mount, the rest is
//! the path (UTF-8). A returned name never has `..`, `.` or empty segments,
//! a backslash, NUL or a leading `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_rcollect::fuzzing::check_relative;

const MOUNTS: [&str; 3] = ["/static/", "/", "/a%2e/"];

fuzz_target!(|data: &[u8]| {
    let Some((&m, path)) = data.split_first() else {
        return;
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let mount = MOUNTS[usize::from(m) % MOUNTS.len()];
    // As sent, and as it would arrive under the mount.
    for p in [path.to_string(), format!("{mount}{path}")] {
        if let Err(e) = check_relative(&p, mount) {
            panic!("{e}");
        }
    }
});
