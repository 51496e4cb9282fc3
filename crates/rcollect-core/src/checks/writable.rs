//! Whether STATIC_ROOT can be written: probed by creating and removing a
//! temp file.

use std::path::Path;

use super::{Finding, ids};
use crate::config::Config;

/// Probes whether STATIC_ROOT can be written ([`ids::ROOT_NOT_WRITABLE`]):
/// when it exists, by creating and removing a temp file in it; when it does
/// not, the same in its nearest existing parent (where collect would create
/// it). A STATIC_ROOT that exists but is not a directory is reported by
/// [`run`](super::run), not here.
pub fn check_writable(config: &Config) -> Vec<Finding> {
    let root = &config.static_root;
    let mut out = Vec::new();
    if root.exists() {
        if root.is_dir() {
            if let Err(e) = probe_write(root) {
                out.push(Finding::new(
                    ids::ROOT_NOT_WRITABLE,
                    format!("STATIC_ROOT '{}' is not writable: {e}", root.display()),
                    "give the user that runs collect write permission on it, or point \
                     `static_root` somewhere writable",
                ));
            }
        }
        return out;
    }
    let Some(parent) = root.ancestors().skip(1).find(|p| p.exists()) else {
        return out;
    };
    if !parent.is_dir() {
        out.push(Finding::new(
            ids::ROOT_NOT_WRITABLE,
            format!(
                "STATIC_ROOT '{}' cannot be created: '{}' is not a directory",
                root.display(),
                parent.display()
            ),
            "point `static_root` at a path whose parents are directories",
        ));
    } else if let Err(e) = probe_write(parent) {
        out.push(Finding::new(
            ids::ROOT_NOT_WRITABLE,
            format!(
                "STATIC_ROOT '{}' does not exist and cannot be created: its nearest existing parent '{}' is not writable: {e}",
                root.display(),
                parent.display()
            ),
            "create STATIC_ROOT beforehand with the right owner, or point `static_root` somewhere writable",
        ));
    }
    out
}

fn probe_write(dir: &Path) -> std::io::Result<()> {
    let probe = crate::write::temp_name(&dir.join(".rcollect-check"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
