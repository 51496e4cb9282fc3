//! [`Settings`]: the `[serve]` knobs that shape the prepared headers and
//! the memory cache, set through the [`StaticFiles`](crate::StaticFiles)
//! builders.

use std::collections::HashMap;
use std::sync::Arc;

use http::{HeaderName, HeaderValue};

use crate::asset::{Asset, IMMUTABLE, Served};
use crate::sourcemap::{Gate, Token};

/// A header added to files whose logical path matches a glob.
#[derive(Debug, Clone)]
pub(crate) struct HeaderRule {
    pub(crate) glob: globset::GlobMatcher,
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

/// The settings that shape the prepared headers.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_age: u64,
    pub(crate) index: bool,
    pub(crate) memory_max_file: u64,
    pub(crate) memory_budget: u64,
    pub(crate) allow_all_origins: bool,
    pub(crate) dictionaries: bool,
    /// Which previous manifest versions are served.
    pub(crate) retention: rcollect_core::history::Retention,
    pub(crate) headers: Vec<HeaderRule>,
    /// Lower-case extension → content type.
    pub(crate) mime_types: HashMap<String, HeaderValue>,
    /// The largest `Link` header of preloads.
    pub(crate) link_max_bytes: usize,
    /// Vite's dev server (the URL of its `base`), for `vite_entry` in dev
    /// mode.
    pub(crate) vite_dev_server: Option<String>,
    /// `Integrity-Policy` on HTML responses.
    pub(crate) integrity_policy: bool,
    /// The token of private source maps.
    pub(crate) sourcemap_token: Option<Arc<Token>>,
}

impl Default for Settings {
    fn default() -> Self {
        let d = rcollect_core::config::ServeConfig::default();
        Settings {
            max_age: d.max_age,
            index: d.index,
            memory_max_file: d.memory_max_file,
            memory_budget: d.memory_budget,
            allow_all_origins: d.allow_all_origins,
            dictionaries: d.dictionaries,
            retention: rcollect_core::history::Retention::from(&d),
            headers: Vec::new(),
            mime_types: HashMap::new(),
            link_max_bytes: d.link_max_bytes,
            vite_dev_server: None,
            integrity_policy: d.integrity_policy,
            sourcemap_token: None,
        }
    }
}

/// How long a name may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caching {
    /// A hashed name: a year, immutable.
    Immutable,
    /// An unhashed name: `max_age`.
    Short,
    /// Dev mode: revalidate every time.
    Revalidate,
}

impl Settings {
    fn cache_control(&self, caching: Caching) -> HeaderValue {
        match caching {
            Caching::Immutable => HeaderValue::from_static(IMMUTABLE),
            Caching::Revalidate => HeaderValue::from_static("no-cache"),
            Caching::Short => HeaderValue::from_str(&format!("public, max-age={}", self.max_age))
                .unwrap_or(HeaderValue::from_static("public, max-age=60")),
        }
    }

    fn content_type<'a>(&'a self, logical: &str, default: &'a HeaderValue) -> &'a HeaderValue {
        if self.mime_types.is_empty() {
            return default;
        }
        let name = logical.rsplit('/').next().unwrap_or(logical);
        match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => self
                .mime_types
                .get(&ext.to_ascii_lowercase())
                .unwrap_or(default),
            _ => default,
        }
    }

    fn extra_headers(&self, logical: &str) -> Box<[(HeaderName, HeaderValue)]> {
        let cors = self.allow_all_origins.then(|| {
            (
                http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            )
        });
        // A rule naming the same header comes later and wins.
        cors.into_iter()
            .filter(|(name, _)| {
                !self
                    .headers
                    .iter()
                    .any(|r| r.name == *name && r.glob.is_match(logical))
            })
            .chain(
                self.headers
                    .iter()
                    .filter(|r| r.glob.is_match(logical))
                    .map(|r| (r.name.clone(), r.value.clone())),
            )
            .collect()
    }

    /// `asset` as answered under a name whose logical path is `logical`.
    pub(crate) fn serve(&self, logical: &str, asset: Arc<Asset>, caching: Caching) -> Served {
        Served {
            content_type: self.content_type(logical, &asset.content_type).clone(),
            cache_control: self.cache_control(caching),
            extra: self.extra_headers(logical),
            asset,
            use_as_dictionary: None,
            gate: Gate::Open,
        }
    }
}
