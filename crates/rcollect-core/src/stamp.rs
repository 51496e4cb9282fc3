//! A file's stamp: what `stat` says about it (size, modification and
//! change times, inode), enough to tell a changed file from an unchanged
//! one without reading it, as git's index does.
//!
//! The change time (`ctime`) is set by the kernel on every write and on
//! every `utimes`, so a file edited and then given its old modification
//! time back still gets a new stamp. Where there is no `ctime` (not Unix)
//! the stamp is the size and the modification time.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// A file's stamp (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Change time (Unix), nanoseconds since the Unix epoch; 0 elsewhere.
    pub ctime_ns: i64,
    /// Inode number (Unix); 0 elsewhere.
    pub ino: u64,
    /// Device number (Unix); 0 elsewhere.
    pub dev: u64,
}

impl Stamp {
    /// The stamp of a file from its metadata.
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }

    /// The stamp of a file from its metadata.
    #[cfg(not(unix))]
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Stamp {
            size: meta.len(),
            mtime_ns,
            ..Stamp::default()
        }
    }

    /// Whether the stamp can be trusted by a run that read the file at or
    /// after `started`: the file last changed (modification or change time)
    /// more than `margin` before it. A file that changed closer to
    /// `started` could change again within the same timestamp tick (coarse
    /// kernel clocks, filesystems that keep whole or even seconds) and keep
    /// this stamp: git's "racily clean" entries, which are read again.
    pub fn settled_before(&self, started: SystemTime, margin: Duration) -> bool {
        let Ok(since) = started.duration_since(SystemTime::UNIX_EPOCH + margin) else {
            return false;
        };
        let limit = i64::try_from(since.as_nanos()).unwrap_or(i64::MAX);
        self.mtime_ns.max(self.ctime_ns) < limit
    }
}

/// Seconds and nanoseconds as nanoseconds (saturating).
#[cfg(unix)]
fn ns(secs: i64, nsec: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_with_the_old_mtime_put_back_changes_the_stamp() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("a.css");
        std::fs::write(&p, "a{}").expect("write");
        let old = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(old))
            .expect("set_modified");
        let before = Stamp::of(&std::fs::metadata(&p).expect("stat"));
        // Sleep past a coarse ctime tick, then the same size and mtime.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&p, "b{}").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(old))
            .expect("set_modified");
        let after = Stamp::of(&std::fs::metadata(&p).expect("stat"));
        assert_eq!((before.size, before.mtime_ns), (after.size, after.mtime_ns));
        if cfg!(unix) {
            assert_ne!(before, after);
        }
    }

    #[test]
    fn only_files_that_changed_before_the_margin_are_settled() {
        let now = SystemTime::now();
        let at = |t: SystemTime| Stamp {
            mtime_ns: i64::try_from(
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_nanos(),
            )
            .expect("fits"),
            ..Stamp::default()
        };
        let margin = Duration::from_secs(2);
        assert!(at(now - Duration::from_secs(3)).settled_before(now, margin));
        assert!(!at(now - Duration::from_secs(1)).settled_before(now, margin));
        assert!(!at(now).settled_before(now, margin));
        assert!(!at(now + Duration::from_secs(60)).settled_before(now, margin));
        let changed = Stamp {
            ctime_ns: at(now).mtime_ns,
            ..at(now - Duration::from_secs(3600))
        };
        assert!(!changed.settled_before(now, margin));
    }
}
