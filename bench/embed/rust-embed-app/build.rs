//! rust-embed notices edits of embedded files (include_bytes!) but not added
//! or removed ones; watching the directory covers both.

fn main() {
    println!("cargo::rerun-if-changed=assets");
}
