//! Files served at the site root (`/robots.txt`, `/favicon.ico`): the
//! `root_dir` setting, as whitenoise's `WHITENOISE_ROOT`.
//!
//! The directory is listed once ([`RootDir::scan`]); a request path is a
//! key into that list, never joined onto the directory. Each request stats
//! the file (an edit or a replaced file shows at once, with a fresh ETag
//! from its modification time and size); caching is `[serve] max_age`, as
//! for unhashed names. Dotfiles and dot-directories are not served. With
//! `[serve] index`, a directory path (`/`, `/docs/`) serves its
//! `index.html`, as the collected files do.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::table::Route;
use crate::asset::Asset;
use crate::error::Error;
use crate::settings::{Caching, Settings};

/// The listed files of a `root_dir`, by URL path without the leading `/`;
/// give it to [`StaticFiles::root_dir`](crate::StaticFiles::root_dir).
#[derive(Debug, Default)]
pub struct RootDir {
    files: HashMap<Box<str>, PathBuf>,
}

impl RootDir {
    /// Lists `dir` recursively: symlinks are followed, each directory (by
    /// its resolved path) at most once, so links to `.` or to an ancestor
    /// cannot make the listing endless; dotfiles are skipped.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("robots.txt"), "User-agent: *\n")?;
    /// let root = tower_rcollect::RootDir::scan(dir.path())?;
    /// assert_eq!(root.len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A directory cannot be listed ([`Error::Io`] naming it).
    pub fn scan(dir: impl AsRef<Path>) -> Result<RootDir, Error> {
        let dir = dir.as_ref();
        let io = |path: &Path, e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let mut files = HashMap::new();
        let mut seen: HashSet<PathBuf> = HashSet::new();
        seen.insert(std::fs::canonicalize(dir).map_err(|e| io(dir, e))?);
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
                    let real = std::fs::canonicalize(&path).map_err(|e| io(&path, e))?;
                    if seen.insert(real) {
                        stack.push((path, format!("{rel}/")));
                    } else {
                        tracing::debug!("{}: listed already (a symlink loop?)", path.display());
                    }
                } else if md.is_file() {
                    files.insert(rel.into_boxed_str(), path);
                }
            }
        }
        tracing::debug!(
            "root_dir {}: {} files served at /",
            dir.display(),
            files.len()
        );
        Ok(RootDir { files })
    }

    /// The route for the decoded path `rel` (no leading `/`), if it is a
    /// listed file that still exists; with `index`, a directory path gets
    /// its `index.html`.
    pub(crate) fn resolve(&self, rel: &str, settings: &Settings) -> Option<Route> {
        let (name, file) = match self.files.get_key_value(rel) {
            Some((name, file)) => (name.as_ref(), file),
            None if settings.index && (rel.is_empty() || rel.ends_with('/')) => {
                let index = format!("{rel}index.html");
                let (name, file) = self.files.get_key_value(index.as_str())?;
                (name.as_ref(), file)
            }
            None if settings.index
                && self
                    .files
                    .contains_key(format!("{rel}/index.html").as_str()) =>
            {
                return Some(Route::AddSlash);
            }
            None => return None,
        };
        let md = std::fs::metadata(file).ok().filter(|m| m.is_file())?;
        let asset = Asset::dev(file.clone(), name, &md)?;
        Some(Route::File(settings.serve(
            name,
            Arc::new(asset),
            Caching::Short,
        )))
    }

    /// How many files are listed.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file is listed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
