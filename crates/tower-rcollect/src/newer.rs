//! Rolling deploys on one STATIC_ROOT: the names of a newer release.
//!
//! An instance of the old release keeps serving the manifest it loaded
//! (its pages must keep naming the files they were written for). When a
//! newer release has been collected into the same STATIC_ROOT, a page
//! rendered by a new instance may send its asset requests to an old one.
//! So when an old instance is asked for a hashed-looking name it does not
//! know, it looks (at most every [`RECHECK`]) whether `staticfiles.json`
//! changed on disk and, if it did, also serves the names of the new
//! manifest. Its own logical → hashed mapping never changes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rcollect_core::manifest::MANIFEST_NAME;

use crate::load::Loaded;
use crate::settings::Settings;
use crate::table::{Route, Table};

/// How often, at most, an unknown hashed name makes us look at the
/// manifest on disk again (one `stat` each time).
pub(crate) const RECHECK: Duration = Duration::from_millis(250);

/// What identifies a version of `staticfiles.json` on disk.
type Stamp = (SystemTime, u64);

fn stamp(root: &Path) -> Option<Stamp> {
    let md = std::fs::metadata(root.join(MANIFEST_NAME)).ok()?;
    Some((md.modified().ok()?, md.len()))
}

/// The newer manifest found in a STATIC_ROOT, if any.
#[derive(Debug)]
pub(crate) struct Newer {
    root: PathBuf,
    /// The largest manifest read (`manifest_max_size`).
    max_bytes: u64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    checked: Option<Instant>,
    /// The manifest version the table below (or the loaded one) is of.
    stamp: Option<Stamp>,
    table: Option<Arc<Table>>,
}

impl Newer {
    /// Watches `root`, whose manifest as loaded now has this stamp.
    pub(crate) fn new(root: &Path, max_bytes: u64) -> Newer {
        Newer {
            root: root.to_path_buf(),
            max_bytes,
            state: Mutex::new(State {
                checked: None,
                stamp: stamp(root),
                table: None,
            }),
        }
    }

    /// The route for `rel` in a newer manifest of the same root.
    pub(crate) fn route(&self, rel: &str, settings: &Settings, mount: &str) -> Option<Route> {
        let mut st = self.state.lock().ok()?;
        if st.checked.is_none_or(|t| t.elapsed() >= RECHECK) {
            st.checked = Some(Instant::now());
            let now = stamp(&self.root);
            if now.is_some() && now != st.stamp {
                match Loaded::load(&self.root, self.max_bytes) {
                    Ok(loaded) => {
                        st.table = Some(Arc::new(Table::build(&loaded, settings, mount)));
                        st.stamp = now;
                    }
                    Err(e) => tracing::warn!("{e}; not serving the newer manifest's names"),
                }
            }
        }
        st.table.as_ref()?.routes.get(rel).cloned()
    }
}

/// Rolling deploys from an object store: the names of a release published
/// after this instance loaded the store's manifest. As [`Newer`], but the
/// look at the live manifest is a `GET` (at most every [`RECHECK`]), so it
/// runs in the response future. One look at a time: the requests that
/// arrive meanwhile (a page's assets, in parallel) wait for its result.
#[cfg(feature = "store")]
#[derive(Debug)]
pub(crate) struct StoreNewer {
    store: rcollect_store::Store,
    /// Held for the whole look (across the `GET`).
    looking: tokio::sync::Mutex<()>,
    state: Mutex<StoreState>,
}

#[cfg(feature = "store")]
#[derive(Debug)]
struct StoreState {
    checked: Option<Instant>,
    /// The live manifest the table below (or the loaded one) is of.
    seen: rcollect_core::Manifest,
    table: Option<Arc<Table>>,
}

#[cfg(feature = "store")]
impl StoreNewer {
    /// Watches `store`, whose live manifest as loaded is `live`.
    pub(crate) fn new(store: rcollect_store::Store, live: rcollect_core::Manifest) -> StoreNewer {
        StoreNewer {
            store,
            looking: tokio::sync::Mutex::new(()),
            state: Mutex::new(StoreState {
                checked: None,
                seen: live,
                table: None,
            }),
        }
    }

    /// The route for `rel` in a newer live manifest of the store.
    pub(crate) async fn route(&self, rel: &str, settings: &Settings, mount: &str) -> Option<Route> {
        let looking = self.looking.lock().await;
        let due = {
            let st = self.state.lock().ok()?;
            st.checked.is_none_or(|t| t.elapsed() >= RECHECK)
        };
        if due {
            let fetched = self.fetch(settings, mount).await;
            let mut st = self.state.lock().ok()?;
            st.checked = Some(Instant::now());
            if let Some((m, table)) = fetched {
                if st.seen != m {
                    st.seen = m;
                    st.table = Some(Arc::new(table));
                }
            }
        }
        drop(looking);
        let st = self.state.lock().ok()?;
        st.table.as_ref()?.routes.get(rel).cloned()
    }

    /// The store's live manifest and its table, when it is not the one seen.
    async fn fetch(
        &self,
        settings: &Settings,
        mount: &str,
    ) -> Option<(rcollect_core::Manifest, Table)> {
        let label = format!("{}/{MANIFEST_NAME}", self.store.url());
        let (bytes, _) = match self.store.read(MANIFEST_NAME, None).await {
            Ok(b) => b?,
            Err(e) => {
                tracing::warn!("{e}; not looking for a newer release");
                return None;
            }
        };
        let m = rcollect_core::Manifest::from_slice(Path::new(&label), &bytes)
            .map_err(|e| tracing::warn!("{e}; not serving the newer manifest's names"))
            .ok()?;
        if self.state.lock().ok()?.seen == m {
            return None;
        }
        // Its bytes are read through the service's own `Origin` (this store).
        let loaded = Loaded::from_manifest(Path::new(""), Path::new(&label), &m, false)
            .map_err(|e| tracing::warn!("{e}; not serving the newer manifest's names"))
            .ok()?;
        let table = Table::build(&loaded, settings, mount);
        Some((m, table))
    }
}
