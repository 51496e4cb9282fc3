//! Rolling deploys: the names of a newer release.
//!
//! An instance of the old release keeps serving the manifest it loaded
//! (its pages must keep naming the files they were written for). When a
//! newer release has been collected into the same STATIC_ROOT, or
//! published to the same store, a page rendered by a new instance may send
//! its asset requests to an old one. So when an old instance is asked for
//! a hashed-looking name it does not know, it looks (at most every
//! [`RECHECK`]) whether the live manifest changed and, if it did, also
//! serves the names of the new one. Its own logical → hashed mapping never
//! changes.
//!
//! One watcher for both places ([`Watch`]): a look is a `stat` of
//! `staticfiles.json` (on the blocking pool) or a `HEAD` of the object; the
//! manifest is read and parsed (off the request path) only when that stamp
//! changed. One look runs at a time: the requests that arrive meanwhile (a
//! page's assets, in parallel) wait for its result. A manifest that fails
//! to load is remembered by its stamp and not read again until the stamp
//! changes, so a broken or hostile newer manifest costs one read, not one
//! per request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rcollect_core::manifest::MANIFEST_NAME;

use super::load::Loaded;
use super::table::{Route, Table};
use crate::settings::Settings;

/// How often, at most, an unknown hashed name makes us look at the live
/// manifest again.
pub(crate) const RECHECK: Duration = Duration::from_millis(250);

/// Where the live manifest is watched.
#[derive(Debug)]
pub(crate) enum Watch {
    /// `root/staticfiles.json`, read as at start-up (at most `max_bytes`).
    Disk { root: PathBuf, max_bytes: u64 },
    /// The store's `staticfiles.json`.
    #[cfg(feature = "store")]
    Store(rcollect_store::Store),
}

/// What identifies a version of the live manifest: for a file its size,
/// modification time and inode; for an object its ETag or size and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stamp {
    File {
        len: u64,
        modified: Option<SystemTime>,
        inode: u64,
    },
    #[cfg(feature = "store")]
    Object(rcollect_store::ObjectStamp),
}

/// The newer release found where the loaded one came from, if any.
#[derive(Debug)]
pub(crate) struct Newer {
    watch: Watch,
    /// Held for the whole look (across the I/O).
    looking: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// How many times a manifest was read (tests prove a failed one is
    /// not read again).
    #[cfg(test)]
    pub(crate) loads: std::sync::atomic::AtomicUsize,
}

#[derive(Debug, Default)]
struct State {
    checked: Option<Instant>,
    /// The version the table below (or the loaded one) is of.
    seen: Option<Stamp>,
    /// A version that failed to load: not read again.
    failed: Option<Stamp>,
    table: Option<Arc<Table>>,
}

impl Newer {
    /// Watches STATIC_ROOT `root`, whose manifest as loaded now has this
    /// stamp (taken before loading: a manifest replaced meanwhile is
    /// "newer").
    pub(crate) fn disk(root: &Path, max_bytes: u64) -> Newer {
        let seen = file_stamp(&root.join(MANIFEST_NAME));
        Newer::new(
            Watch::Disk {
                root: root.to_path_buf(),
                max_bytes,
            },
            seen,
        )
    }

    /// Watches `store`, whose live manifest as loaded had this stamp.
    #[cfg(feature = "store")]
    pub(crate) fn store(
        store: rcollect_store::Store,
        seen: Option<rcollect_store::ObjectStamp>,
    ) -> Newer {
        Newer::new(Watch::Store(store), seen.map(Stamp::Object))
    }

    fn new(watch: Watch, seen: Option<Stamp>) -> Newer {
        Newer {
            watch,
            looking: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                seen,
                ..State::default()
            }),
            #[cfg(test)]
            loads: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The route for `rel` in a newer live manifest, if there is one.
    pub(crate) async fn route(&self, rel: &str, settings: &Settings, mount: &str) -> Option<Route> {
        let looking = self.looking.lock().await;
        let due = {
            let st = self.state.lock().ok()?;
            st.checked.is_none_or(|t| t.elapsed() >= RECHECK)
        };
        if due {
            self.look(settings, mount).await;
        }
        drop(looking);
        let st = self.state.lock().ok()?;
        st.table.as_ref()?.routes.get(rel).cloned()
    }

    /// One look: the stamp, and the manifest if the stamp is new.
    async fn look(&self, settings: &Settings, mount: &str) {
        let stamp = self.stamp().await;
        let fresh = {
            let Ok(mut st) = self.state.lock() else {
                return;
            };
            st.checked = Some(Instant::now());
            stamp.is_some() && stamp != st.seen && stamp != st.failed
        };
        let Some(stamp) = stamp.filter(|_| fresh) else {
            return;
        };
        let loaded = self.load(settings, mount).await;
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        match loaded {
            Ok(table) => {
                st.seen = Some(stamp);
                st.table = Some(Arc::new(table));
            }
            Err(e) => {
                tracing::warn!(
                    "{e}; not serving the newer manifest's names (not read again until it changes)"
                );
                st.failed = Some(stamp);
            }
        }
    }

    async fn stamp(&self) -> Option<Stamp> {
        match &self.watch {
            Watch::Disk { root, .. } => {
                let path = root.join(MANIFEST_NAME);
                tokio::task::spawn_blocking(move || file_stamp(&path))
                    .await
                    .ok()
                    .flatten()
            }
            #[cfg(feature = "store")]
            Watch::Store(store) => match store.stamp(MANIFEST_NAME).await {
                Ok(s) => s.map(Stamp::Object),
                Err(e) => {
                    tracing::warn!("{e}; not looking for a newer release");
                    None
                }
            },
        }
    }

    /// Reads, parses and prepares the live manifest, off the request path.
    async fn load(&self, settings: &Settings, mount: &str) -> Result<Table, String> {
        #[cfg(test)]
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &self.watch {
            Watch::Disk { root, max_bytes } => {
                let (root, max_bytes) = (root.clone(), *max_bytes);
                let (settings, mount) = (settings.clone(), mount.to_string());
                tokio::task::spawn_blocking(move || {
                    Loaded::load(&root, max_bytes)
                        .map(|loaded| Table::build(&loaded, &settings, &mount))
                        .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            }
            #[cfg(feature = "store")]
            Watch::Store(store) => {
                let label = format!("{}/{MANIFEST_NAME}", store.url());
                let m = store
                    .manifest()
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{label}: gone"))?;
                // Its bytes are read through the service's own `Origin`.
                let loaded = Loaded::from_manifest(Path::new(""), Path::new(&label), &m, false)
                    .map_err(|e| e.to_string())?;
                Ok(Table::build(&loaded, settings, mount))
            }
        }
    }
}

/// The stamp of a regular file: size, modification time, inode.
fn file_stamp(path: &Path) -> Option<Stamp> {
    let md = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&md);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp::File {
        len: md.len(),
        modified: md.modified().ok(),
        inode,
    })
}
