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
    pub(crate) fn new(root: &Path) -> Newer {
        Newer {
            root: root.to_path_buf(),
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
                match Loaded::load(&self.root) {
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
