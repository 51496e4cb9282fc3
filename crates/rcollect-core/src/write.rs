//! Writing files safely: every write goes to a temp name in the final
//! directory and is renamed into place, so readers (and a killed run) see the
//! old file or the new one, never a torn one. Also the STATIC_ROOT lock and
//! the link-or-copy used to place compression-cache entries.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
#[cfg(feature = "collect")]
use crate::hash::Digests;

/// Name of the lock file that keeps two collects out of one STATIC_ROOT
/// (checks look for it without the `collect` feature).
pub(crate) const LOCK_NAME: &str = ".rcollect.lock";

/// Suffix of temp files; leftovers from killed runs end in it and are removed
/// by the next collect.
pub(crate) const TEMP_SUFFIX: &str = ".rcollect-tmp";

/// Writes `bytes` to `path` through a temp file in the same directory and a
/// rename, so readers see the old file or the new one, never a torn one.
/// With `durable`, the data and the directory entry are flushed to disk.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_name(path);
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        set_output_mode(&f)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
        if durable {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// The mode of every file rcollect writes: `0644` (rw-r--r--), whatever the
/// source's mode or the umask, so a server running as another user can read
/// every output alike.
pub(crate) const OUTPUT_MODE: u32 = 0o644;

#[cfg(unix)]
fn set_output_mode(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(OUTPUT_MODE))
}

#[cfg(not(unix))]
fn set_output_mode(_: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// The temp name used for atomic writes of `path`: hidden, same directory,
/// unique per process and call. At most the first 100 bytes of the file name
/// are kept, so the temp name fits NAME_MAX (255) whenever the name does.
pub(crate) fn temp_name(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = *PID.get_or_init(std::process::id);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut keep = name.len().min(100);
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    path.with_file_name(format!(".{}.{pid}.{n}{TEMP_SUFFIX}", &name[..keep]))
}

/// Takes the lock that keeps two collects (or a collect and a clean) out of
/// one STATIC_ROOT; held until the file is dropped.
#[cfg(feature = "collect")]
pub(crate) fn lock(root: &Path) -> Result<std::fs::File> {
    let path = root.join(LOCK_NAME);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked { path }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// Copies `src` to `dst` through a temp file and checks that the copy has the
/// digests the plan computed (the source may have changed since).
#[cfg(feature = "collect")]
pub(crate) fn copy_verified(src: &Path, dst: &Path, expected: &Digests) -> Result<()> {
    let tmp = temp_name(dst);
    let result = (|| {
        std::fs::copy(src, &tmp).map_err(|e| {
            let what = format!("copying from {}: {e}", src.display());
            Error::io(dst, std::io::Error::new(e.kind(), what))
        })?;
        // `fs::copy` copies the source's mode bits (0600 would stay 0600).
        std::fs::File::open(&tmp)
            .and_then(|f| set_output_mode(&f))
            .map_err(|e| Error::io(&tmp, e))?;
        let got = Digests::of_file(&tmp)?;
        if got != *expected {
            return Err(Error::SourceChanged {
                path: src.to_path_buf(),
            });
        }
        std::fs::rename(&tmp, dst).map_err(|e| Error::io(dst, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(all(unix, feature = "collect"))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(all(not(unix), feature = "collect"))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Makes `dst` hold the bytes of `src`: a hard link when possible, otherwise
/// a copy. A new name is linked directly (it appears complete, atomically);
/// an existing one is replaced through a temp name. No-op if it already
/// holds the bytes.
///
/// Sharing an inode is safe because nothing rcollect writes is ever modified
/// in place (every write is a new file renamed over the name), and a cache
/// entry is verified against its content before each use.
#[cfg(feature = "collect")]
pub(crate) fn link_or_copy(src: &Path, dst: &Path) -> Result<()> {
    let sm = std::fs::metadata(src).map_err(|e| Error::io(src, e))?;
    if let Ok(dm) = std::fs::metadata(dst) {
        if same_file(&sm, &dm) {
            return Ok(());
        }
        if dm.is_file() && dm.len() == sm.len() {
            let a = std::fs::read(src).map_err(|e| Error::io(src, e))?;
            let b = std::fs::read(dst).map_err(|e| Error::io(dst, e))?;
            if a == b {
                return Ok(());
            }
        }
    }
    match std::fs::hard_link(src, dst) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
        }
        Err(_) => {}
    }
    let tmp = temp_name(dst);
    let r = std::fs::hard_link(src, &tmp)
        .or_else(|_| std::fs::copy(src, &tmp).map(|_| ()))
        .and_then(|()| std::fs::rename(&tmp, dst));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(|e| Error::io(dst, e))
}

/// Puts a verified compression-cache entry at `dst` (see [`link_or_copy`])
/// and marks it as written now: a link keeps the entry's old mtime, which
/// `rcollect clean --older-than` would otherwise take for the file's age.
#[cfg(feature = "collect")]
pub(crate) fn place_cached(entry: &Path, dst: &Path) -> Result<()> {
    link_or_copy(entry, dst)?;
    std::fs::File::open(dst)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .map_err(|e| Error::io(dst, e))
}

/// The size of the regular file at `p`, if there is one.
#[cfg(feature = "collect")]
pub(crate) fn file_len(p: &Path) -> Option<u64> {
    std::fs::metadata(p)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}
