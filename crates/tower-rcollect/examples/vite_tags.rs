//! Prints the tags that load an entry of a collected Vite build
//! ([`StaticFiles::vite_entry`]), as a server-rendered page would write
//! them: `bench/vite.sh` puts them into the page it serves.
//!
//! ```text
//! vite_tags STATIC_ROOT ENTRY [STATIC_URL]     # STATIC_URL: /static/ by default
//! ```

use tower_rcollect::StaticFiles;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: vite_tags STATIC_ROOT ENTRY [STATIC_URL]";
    let root = args.next().ok_or(usage)?;
    let entry = args.next().ok_or(usage)?;
    let url = args.next().unwrap_or_else(|| "/static/".to_string());
    if args.next().is_some() {
        return Err(usage.into());
    }
    let files = StaticFiles::from_manifest(&root, &url)?;
    println!("{}", files.vite_entry(&entry)?);
    Ok(())
}
