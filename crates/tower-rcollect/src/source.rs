//! Where the files come from: a loaded manifest (STATIC_ROOT) or the source
//! dirs (dev mode). Each resolves a request path to a [`Route`]; everything
//! after that is the same [request pipeline](crate::request).

use std::borrow::Cow;
use std::sync::Arc;

use crate::dev::Dev;
use crate::load::Loaded;
use crate::open::Keep;
use crate::settings::Settings;
use crate::table::{Route, Table};

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

    /// Where bytes read for this source may be kept in memory.
    pub(crate) fn keep(&self, settings: &Settings) -> Option<Keep> {
        match self {
            Source::Manifest(loaded) => Some(Keep {
                origin: loaded.origin.clone(),
                memory: loaded.memory.clone(),
                max_file: settings.memory_max_file,
                budget: settings.memory_budget,
            }),
            Source::Dev(_) => None,
        }
    }
}
