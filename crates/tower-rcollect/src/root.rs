//! Files served at the site root (`/robots.txt`, `/favicon.ico`): the
//! `root_dir` setting, as whitenoise's `WHITENOISE_ROOT`.
//!
//! The directory is listed once, at start-up; a request path is a key into
//! that list, never joined onto the directory. Each request stats the file
//! (an edit or a replaced file shows at once, with a fresh ETag from its
//! modification time and size); caching is `[serve] max_age`, as for
//! unhashed names. Dotfiles and dot-directories are not served.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::asset::Asset;
use crate::error::Error;
use crate::settings::{Caching, Settings};
use crate::table::Route;

/// The files of `root_dir`, by URL path without the leading `/`.
#[derive(Debug, Default)]
pub(crate) struct RootFiles {
    files: HashMap<Box<str>, PathBuf>,
}

impl RootFiles {
    /// Lists `dir` recursively (symlinks followed, dotfiles skipped).
    pub(crate) fn scan(dir: &Path) -> Result<RootFiles, Error> {
        let io = |path: &Path, e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let mut files = HashMap::new();
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((d, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
                let entry = entry.map_err(|e| io(&d, e))?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let path = entry.path();
                let rel = format!("{prefix}{name}");
                let md = std::fs::metadata(&path).map_err(|e| io(&path, e))?;
                if md.is_dir() {
                    // Depth-bounded: a symlink loop stops at 32 levels.
                    if prefix.matches('/').count() < 32 {
                        stack.push((path, format!("{rel}/")));
                    }
                } else if md.is_file() {
                    files.insert(rel.into_boxed_str(), path);
                }
            }
        }
        Ok(RootFiles { files })
    }

    /// The route for the decoded path `rel` (no leading `/`), if it is a
    /// listed file that still exists.
    pub(crate) fn resolve(&self, rel: &str, settings: &Settings) -> Option<Route> {
        let file = self.files.get(rel)?;
        let md = std::fs::metadata(file).ok().filter(|m| m.is_file())?;
        let asset = Asset::dev(file.clone(), rel, &md)?;
        Some(Route::File(settings.serve(
            rel,
            Arc::new(asset),
            Caching::Short,
        )))
    }

    /// How many files are listed.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }
}
