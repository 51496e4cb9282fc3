//! Hands `assets/` to memory-serve, which brotli-compresses it (release builds).

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    memory_serve::load_directory(dir);
}
