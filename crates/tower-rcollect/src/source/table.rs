//! The routing table of manifest mode: decoded URL name → [`Route`], built
//! once per settings from what was [loaded](crate::source::load).

use std::collections::HashMap;

use rcollect_core::content_type::is_compressible;

use crate::asset::Served;
use crate::settings::{Caching, Settings};
use crate::source::dictionary;
use crate::source::load::Loaded;
use crate::sourcemap::{self, Gate};

/// What a name in the table leads to.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// A file.
    File(Served),
    /// A directory without its trailing slash: redirect to `name/`.
    AddSlash,
}

/// The lookup table: decoded URL name → route.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) routes: HashMap<Box<str>, Route>,
}

impl Table {
    /// `mount` is the URL path STATIC_URL is mounted at (for the
    /// `Use-As-Dictionary` patterns).
    pub(crate) fn build(loaded: &Loaded, s: &Settings, mount: &str) -> Table {
        let mut routes: HashMap<Box<str>, Route> = HashMap::with_capacity(loaded.names.len());
        let caching = |immutable: bool| {
            if immutable {
                Caching::Immutable
            } else {
                Caching::Short
            }
        };
        let now = std::time::SystemTime::now();
        let mode = loaded.sourcemaps;
        let token = s.sourcemap_token.as_ref();
        if mode == rcollect_core::config::SourceMapMode::Private
            && token.is_none()
            && loaded
                .names
                .iter()
                .any(|n| sourcemap::is_source_map(&n.logical))
        {
            tracing::warn!(
                "the source maps are private (`[sourcemaps] mode = \"private\"` when collected) \
                 and no token is set ({} or `sourcemap_token`): every request for them gets 404",
                rcollect_core::config::SOURCEMAP_TOKEN_ENV
            );
        }
        for n in &loaded.names {
            if n.retired
                .is_some_and(|(rank, at)| !s.retention.serves(rank, at, now))
            {
                continue;
            }
            let mut served = s.serve(&n.logical, n.asset.clone(), caching(n.immutable));
            served.gate = Gate::of(&n.logical, mode, token);
            if served.gate.is_guarded() {
                // Sent only to holders of the token (or to nobody): never
                // stored by a cache, never a dictionary for anything else.
                served.cache_control = sourcemap::PRIVATE;
            } else if s.dictionaries && n.immutable && is_compressible(&n.logical) {
                served.use_as_dictionary = match &n.family {
                    Some(family) => dictionary::family_pattern(mount, family),
                    None => dictionary::use_as_dictionary(mount, &n.name, &n.logical),
                };
            }
            routes.insert(n.name.as_str().into(), Route::File(served));
        }
        if s.index {
            for (logical, asset) in &loaded.indexes {
                let Some(dir) = logical.strip_suffix("index.html") else {
                    continue;
                };
                if !routes.contains_key(dir) {
                    routes.insert(
                        dir.into(),
                        Route::File(s.serve(logical, asset.clone(), Caching::Short)),
                    );
                }
                if let Some(bare) = dir.strip_suffix('/') {
                    routes.entry(bare.into()).or_insert(Route::AddSlash);
                }
            }
        }
        Table { routes }
    }
}
