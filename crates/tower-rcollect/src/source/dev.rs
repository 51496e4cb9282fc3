//! Dev mode: the source dirs as a source of files, the way `runserver`
//! serves them.
//!
//! The request path is cleaned by [`crate::serve::path`] and then resolved by a
//! [`Locator`] (its ignore globs compiled once), which refuses `..`, empty
//! segments, backslashes and NUL again before touching the filesystem. Every
//! request stats the file (so edits show up without a restart); the ETag
//! comes from the modification time and size; `Cache-Control: no-cache`
//! makes browsers revalidate every time. Files are streamed, only the
//! requested range, and never kept in memory. No precompressed variants are
//! used.

use std::sync::Arc;

use rcollect_core::Config;
use rcollect_core::find::Locator;

use super::table::Route;
use crate::asset::Asset;
use crate::settings::{Caching, Settings};

/// The source dirs of a configuration, ready to look paths up in.
#[derive(Debug)]
pub(crate) struct Dev {
    pub(crate) locator: Locator,
    /// The source dirs (their Vite manifests, for `vite_entry`).
    pub(crate) dirs: Vec<rcollect_core::config::SourceDir>,
    /// `[js.imports]`, for `importmap()`.
    pub(crate) bare_imports: std::collections::BTreeMap<String, String>,
}

impl Dev {
    pub(crate) fn new(config: &Config) -> Result<Dev, rcollect_core::ConfigError> {
        Ok(Dev {
            locator: Locator::new(config)?,
            dirs: config.dirs.clone(),
            bare_imports: config.js.imports.clone(),
        })
    }

    /// The route for `rel`, or `None` when no source dir has it.
    pub(crate) fn resolve(&self, rel: &str, settings: &Settings) -> Option<Route> {
        let (logical, file) = if rel.is_empty() || rel.ends_with('/') {
            if !settings.index {
                return None;
            }
            let logical = format!("{rel}index.html");
            let file = self.locator.locate(&logical)?;
            (logical, file)
        } else {
            match self.locator.locate(rel) {
                Some(file) => (rel.to_string(), file),
                None => {
                    if settings.index && self.locator.locate(&format!("{rel}/index.html")).is_some()
                    {
                        return Some(Route::AddSlash);
                    }
                    return None;
                }
            }
        };
        let md = std::fs::metadata(&file).ok()?;
        let asset = Asset::dev(file, &logical, &md)?;
        Some(Route::File(settings.serve(
            &logical,
            Arc::new(asset),
            Caching::Revalidate,
        )))
    }
}
