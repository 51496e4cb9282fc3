//! Collects `assets/` (per `rcollect.toml`) into `OUT_DIR` and generates the embedded table.

fn main() {
    rcollect_build::Build::new().run();
}
