//! Collects `static/` (per `rcollect.toml`) into `OUT_DIR` and generates
//! the embedded table and the checked `asset!` names.

fn main() {
    rcollect_build::Build::new().run();
}
