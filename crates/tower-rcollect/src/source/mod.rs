//! Where the files come from. A [`Source`] resolves a request path to a
//! [`Route`]: a loaded manifest (`load`: STATIC_ROOT, `store`: an object
//! store, `embed`: compiled into the binary) through its prepared
//! [`Table`], or the source dirs (`dev`). `root` serves `root_dir` at `/`,
//! `newer` finds the names of a newer release, `dictionary` prepares the
//! `Use-As-Dictionary` patterns. Everything after the route is the same
//! [request pipeline](crate::serve).

pub(crate) mod dev;
pub(crate) mod dictionary;
pub(crate) mod embed;
pub(crate) mod load;
pub(crate) mod newer;
pub(crate) mod root;
#[cfg(feature = "store")]
pub(crate) mod store;
pub(crate) mod table;

use std::borrow::Cow;
use std::sync::Arc;

use crate::memory::Memory;
use crate::settings::Settings;
use dev::Dev;
use load::Loaded;
use table::{Route, Table};

/// A source of files.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The names of a manifest, looked up in the prepared [`Table`].
    Manifest(Arc<Loaded>),
    /// The source dirs, looked up on every request.
    Dev(Arc<Dev>),
}

impl Source {
    /// The route for the decoded path `rel` under the mount path.
    pub(crate) fn resolve<'t>(
        &self,
        table: &'t Table,
        rel: &str,
        settings: &Settings,
    ) -> Option<Cow<'t, Route>> {
        match self {
            Source::Manifest(_) => table.routes.get(rel).map(Cow::Borrowed),
            Source::Dev(dev) => dev.resolve(rel, settings).map(Cow::Owned),
        }
    }

    /// Where the bytes of this source are read from and may be kept (dev
    /// mode: from disk, never kept).
    pub(crate) fn reader(&self, settings: &Settings) -> Option<Reader> {
        match self {
            Source::Manifest(loaded) => Some(Reader {
                origin: loaded.origin.clone(),
                memory: loaded.memory.clone(),
                max_file: settings.memory_max_file,
                budget: settings.memory_budget,
            }),
            Source::Dev(_) => None,
        }
    }
}

/// Where the bytes of a loaded manifest are read from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Files on disk ([`Rep::path`](crate::asset::Rep) is their path).
    Disk,
    /// Objects in a store ([`Rep::path`](crate::asset::Rep) is the key
    /// relative to its prefix). Shared: cloned with every service and
    /// every request that reads.
    #[cfg(feature = "store")]
    Store(Arc<rcollect_store::Store>),
    /// Embedded br-only: every representation is in memory but the
    /// identity bytes of files embedded as br, decoded from it.
    DecodeBr(Arc<embed::Decoding>),
}

/// Where the bytes of a loaded manifest come from, and where bytes read
/// may be kept: its memory and the limits.
#[derive(Debug, Clone)]
pub(crate) struct Reader {
    pub(crate) origin: Origin,
    pub(crate) memory: Arc<Memory>,
    /// Files up to this size are read whole and kept.
    pub(crate) max_file: u64,
    pub(crate) budget: u64,
}

/// The error for a file or object of another size than the manifest
/// records (a partial sync): its variant is no longer offered.
pub(crate) fn wrong_size(what: &str, got: u64, expected: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{what}: {got} bytes, {expected} expected"),
    )
}
