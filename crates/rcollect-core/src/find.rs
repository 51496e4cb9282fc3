//! Finders: walk the source dirs and map logical paths to source files.
//!
//! A logical path is the dir's prefix plus the path relative to the dir, with
//! `/` separators. The first dir that has a logical path wins; the others are
//! *shadowed*. Symlinks are followed (like Django), also when they lead out of
//! the source dir; a symlink loop is an error naming the link, and so is a
//! symlink that leads into STATIC_ROOT (or to a directory containing it),
//! which would make collect read its own output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::{Config, SourceDir};
use crate::error::{ConfigError, Error, Result};

/// One source file under its logical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Logical path (`css/app.css`, `vendor/lib.js`).
    pub logical: String,
    /// Absolute path of the source file.
    pub source: PathBuf,
    /// Index of the dir in `Config::dirs` it came from.
    pub dir: usize,
    /// Size in bytes when found.
    pub size: u64,
    /// Modification time when found.
    pub modified: SystemTime,
    /// What `stat` said when found (size, times, inode), to tell an
    /// unchanged file from a changed one without reading it.
    pub stamp: crate::stamp::Stamp,
}

/// A file hidden by a file with the same logical path in an earlier dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadowed {
    /// The logical path both files have.
    pub logical: String,
    /// The hidden file.
    pub source: PathBuf,
    /// The file that wins.
    pub winner: PathBuf,
}

/// The result of walking all source dirs.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Winning assets, sorted by logical path.
    pub assets: Vec<SourceFile>,
    /// Shadowed files, sorted by logical path.
    pub shadowed: Vec<Shadowed>,
}

/// Compiled ignore patterns. A pattern matches a file or directory name, or
/// its path relative to the source dir.
#[derive(Debug, Clone)]
pub struct Ignore {
    set: GlobSet,
}

impl Ignore {
    /// Compiles the patterns in force for `config`.
    pub fn new(config: &Config) -> Result<Ignore, ConfigError> {
        Self::from_patterns(&config.ignore_patterns())
    }

    /// Compiles the given glob patterns.
    pub fn from_patterns(patterns: &[String]) -> Result<Ignore, ConfigError> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let g = Glob::new(p)
                .map_err(|e| ConfigError::value("ignore", format!("bad glob '{p}': {e}")))?;
            b.add(g);
        }
        let set = b
            .build()
            .map_err(|e| ConfigError::value("ignore", e.to_string()))?;
        Ok(Ignore { set })
    }

    /// True if the entry with this name and relative path is ignored.
    pub fn is_ignored(&self, name: &str, relative: &str) -> bool {
        self.set.is_match(name) || self.set.is_match(relative)
    }
}

/// Walks every source dir of `config`. Missing dirs are skipped (the checks
/// report them).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = tempfile::tempdir()?;
/// std::fs::create_dir_all(t.path().join("a/css"))?;
/// std::fs::write(t.path().join("a/css/app.css"), "body{}")?;
/// std::fs::write(t.path().join("a/.hidden"), "")?;
/// let mut config = rcollect_core::Config::new(t.path().join("out"), "/static/");
/// config.dirs.push(rcollect_core::config::SourceDir { prefix: String::new(), path: t.path().join("a") });
/// let found = rcollect_core::find::find(&config)?;
/// assert_eq!(found.assets.len(), 1);
/// assert_eq!(found.assets[0].logical, "css/app.css");
/// # Ok(()) }
/// ```
pub fn find(config: &Config) -> Result<Found> {
    let ignore = Ignore::new(config)?;
    // Where STATIC_ROOT really is, for symlinks that lead into it.
    let static_root = (!config.static_root.as_os_str().is_empty())
        .then(|| crate::paths::resolve(&config.static_root));
    let mut winners: HashMap<String, SourceFile> = HashMap::new();
    let mut shadowed = Vec::new();
    for (i, dir) in config.dirs.iter().enumerate() {
        if !dir.path.is_dir() {
            continue;
        }
        walk_dir(i, dir, &ignore, static_root.as_deref(), &mut |asset| {
            if let Some(w) = winners.get(&asset.logical) {
                shadowed.push(Shadowed {
                    logical: asset.logical,
                    source: asset.source,
                    winner: w.source.clone(),
                });
            } else {
                winners.insert(asset.logical.clone(), asset);
            }
        })?;
    }
    let mut assets: Vec<SourceFile> = winners.into_values().collect();
    assets.sort_by(|a, b| a.logical.cmp(&b.logical));
    shadowed.sort_by(|a, b| a.logical.cmp(&b.logical));
    Ok(Found { assets, shadowed })
}

fn walk_dir(
    index: usize,
    dir: &SourceDir,
    ignore: &Ignore,
    static_root: Option<&Path>,
    emit: &mut dyn FnMut(SourceFile),
) -> Result<()> {
    let root = &dir.path;
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            let rel = relative(root, e.path()).unwrap_or_default();
            !ignore.is_ignored(&name, &rel)
        });
    for entry in walker {
        let entry = entry.map_err(|e| walk_error(root, e))?;
        if entry.depth() > 0 && entry.path_is_symlink() {
            if let Some(static_root) = static_root {
                refuse_link_into(entry.path(), static_root)?;
            }
        }
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        let rel = relative(root, path).ok_or_else(|| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "file name is not valid UTF-8; rename it or add it to `ignore`",
            ),
        })?;
        let meta = entry.metadata().map_err(|e| walk_error(root, e))?;
        if !meta.is_file() {
            continue;
        }
        let logical = if dir.prefix.is_empty() {
            rel
        } else {
            format!("{}/{rel}", dir.prefix.trim_matches('/'))
        };
        emit(SourceFile {
            logical,
            source: path.to_path_buf(),
            dir: index,
            size: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            stamp: crate::stamp::Stamp::of(&meta),
        });
    }
    Ok(())
}

/// Refuses a symlink that leads into `static_root` (or to a directory that
/// contains it): collect would read its own output, and every run would
/// collect the previous one's files again under new names.
fn refuse_link_into(link: &Path, static_root: &Path) -> Result<()> {
    let Ok(target) = link.canonicalize() else {
        return Ok(());
    };
    let how = if target.starts_with(static_root) {
        "is inside"
    } else if static_root.starts_with(&target) {
        "contains"
    } else {
        return Ok(());
    };
    Err(Error::Unsafe {
        message: format!(
            "the symlink {} leads to {}, which {how} STATIC_ROOT {}; collecting would read its own output. Remove the link or add it to `ignore`",
            link.display(),
            target.display(),
            static_root.display()
        ),
    })
}

fn walk_error(root: &Path, e: walkdir::Error) -> Error {
    if let Some(ancestor) = e.loop_ancestor() {
        let _ = ancestor;
        return Error::SymlinkLoop {
            path: e.path().unwrap_or(root).to_path_buf(),
        };
    }
    let path = e.path().unwrap_or(root).to_path_buf();
    match e.into_io_error() {
        Some(io) => Error::io(path, io),
        None => Error::io(path, std::io::Error::other("directory walk failed")),
    }
}

/// `path` relative to `root` with `/` separators; `None` if not UTF-8.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for c in rel.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(c.as_os_str().to_str()?);
    }
    Some(out)
}

/// Every source file that has `logical`, winner first (for `findstatic`).
pub fn locate_all(config: &Config, logical: &str) -> Vec<PathBuf> {
    config
        .dirs
        .iter()
        .filter_map(|d| candidate(d, logical))
        .filter(|p| p.is_file())
        .collect()
}

/// Finds the source file of a logical path without walking the tree (dev
/// mode, `findstatic`): the source dirs and the ignore patterns compiled once.
#[derive(Debug, Clone)]
pub struct Locator {
    dirs: Vec<SourceDir>,
    ignore: Ignore,
}

impl Locator {
    /// Compiles the ignore patterns of `config`.
    ///
    /// # Errors
    /// An ignore pattern is not a valid glob.
    pub fn new(config: &Config) -> Result<Locator, ConfigError> {
        Ok(Locator {
            dirs: config.dirs.clone(),
            ignore: Ignore::new(config)?,
        })
    }

    /// The source file that serves `logical`, if any. The logical path is
    /// checked segment by segment before it touches the filesystem: empty,
    /// `.`, `..` segments, backslashes and NUL are refused. Ignored names are
    /// not served, and neither is a file reached through a symlink whose
    /// target path has an ignored segment (`assets/notdot -> ../.git`): the
    /// ignore rules apply to the resolved path too, from where it leaves
    /// the source dir.
    pub fn locate(&self, logical: &str) -> Option<PathBuf> {
        let name = logical.rsplit('/').next().unwrap_or(logical);
        self.dirs
            .iter()
            .filter_map(|d| {
                let rel = strip_prefix(d, logical)?;
                if self.ignore.is_ignored(name, rel)
                    || rel.split('/').any(|s| self.ignore.is_ignored(s, s))
                {
                    return None;
                }
                let p = candidate(d, logical)?;
                (p.is_file() && !self.resolves_into_ignored(&d.path, &p)).then_some(p)
            })
            .next()
    }

    /// Every logical path the source dirs have, sorted, each once (a walk
    /// of the dirs with the ignore rules, as collect finds them): what
    /// dev mode can serve, for a "did you mean" when a name is not there.
    /// A directory that cannot be walked to the end gives what was found.
    pub fn logical_paths(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        for (i, dir) in self.dirs.iter().enumerate() {
            if !dir.path.is_dir() {
                continue;
            }
            let _ = walk_dir(i, dir, &self.ignore, None, &mut |f| {
                out.insert(f.logical);
            });
        }
        out.into_iter().collect()
    }

    /// True when `file`'s real path, from the deepest directory it shares
    /// with `dir`'s real path, has a segment the ignore rules match (or
    /// cannot be resolved).
    fn resolves_into_ignored(&self, dir: &Path, file: &Path) -> bool {
        let (Ok(dir), Ok(file)) = (dir.canonicalize(), file.canonicalize()) else {
            return true;
        };
        let Some(common) = dir.ancestors().find(|a| file.starts_with(a)) else {
            return true;
        };
        let Ok(rel) = file.strip_prefix(common) else {
            return true;
        };
        rel.components().any(|c| {
            let s = c.as_os_str().to_string_lossy();
            self.ignore.is_ignored(&s, &s)
        })
    }
}

fn strip_prefix<'a>(dir: &SourceDir, logical: &'a str) -> Option<&'a str> {
    let prefix = dir.prefix.trim_matches('/');
    if prefix.is_empty() {
        Some(logical)
    } else {
        logical.strip_prefix(prefix)?.strip_prefix('/')
    }
}

fn candidate(dir: &SourceDir, logical: &str) -> Option<PathBuf> {
    if !crate::paths::is_safe_relative(logical) {
        return None;
    }
    let rel = strip_prefix(dir, logical)?;
    let mut p = dir.path.clone();
    for seg in rel.split('/') {
        p.push(seg);
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate(c: &Config, logical: &str) -> Option<PathBuf> {
        Locator::new(c).ok()?.locate(logical)
    }

    fn touch(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    fn config(t: &Path, dirs: &[(&str, &str)]) -> Config {
        let mut c = Config::new(t.join("out"), "/static/");
        c.dirs = dirs
            .iter()
            .map(|(prefix, p)| SourceDir {
                prefix: prefix.to_string(),
                path: t.join(p),
            })
            .collect();
        c
    }

    #[test]
    fn first_dir_wins_and_later_ones_are_shadowed() {
        let t = tempfile::tempdir().expect("tempdir");
        touch(&t.path().join("a/x.css"), "a");
        touch(&t.path().join("b/x.css"), "b");
        touch(&t.path().join("b/y.css"), "b");
        let c = config(t.path(), &[("", "a"), ("", "b")]);
        let f = find(&c).expect("find");
        let names: Vec<_> = f.assets.iter().map(|a| a.logical.as_str()).collect();
        assert_eq!(names, ["x.css", "y.css"]);
        assert_eq!(f.assets[0].source, t.path().join("a/x.css"));
        assert_eq!(f.shadowed.len(), 1);
        assert_eq!(f.shadowed[0].source, t.path().join("b/x.css"));
        assert_eq!(locate_all(&c, "x.css").len(), 2);
        assert_eq!(locate(&c, "x.css"), Some(t.path().join("a/x.css")));
    }

    #[test]
    fn prefixes_and_ignores() {
        let t = tempfile::tempdir().expect("tempdir");
        touch(&t.path().join("lib/dist/a.js"), "");
        touch(&t.path().join("lib/dist/a.scss"), "");
        touch(&t.path().join("lib/dist/.git/config"), "");
        touch(&t.path().join("lib/dist/CVS/x"), "");
        touch(&t.path().join("lib/dist/b.js~"), "");
        let mut c = config(t.path(), &[("vendor", "lib/dist")]);
        c.ignore = vec!["*.scss".into()];
        let f = find(&c).expect("find");
        let names: Vec<_> = f.assets.iter().map(|a| a.logical.as_str()).collect();
        assert_eq!(names, ["vendor/a.js"]);
        c.default_ignore = false;
        let f = find(&c).expect("find");
        assert_eq!(f.assets.len(), 4);
        assert_eq!(
            locate(&c, "vendor/a.js"),
            Some(t.path().join("lib/dist/a.js"))
        );
        assert_eq!(locate(&c, "a.js"), None);
    }

    #[test]
    fn locate_refuses_traversal() {
        let t = tempfile::tempdir().expect("tempdir");
        touch(&t.path().join("secret.txt"), "s");
        touch(&t.path().join("a/x.css"), "a");
        let c = config(t.path(), &[("", "a")]);
        for bad in [
            "../secret.txt",
            "./x.css",
            "/x.css",
            "x.css/",
            "a\\..\\x",
            "",
            "x\0.css",
        ] {
            assert_eq!(locate(&c, bad), None, "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlink_into_static_root_is_an_error_naming_the_link() {
        let t = tempfile::tempdir().expect("tempdir");
        touch(&t.path().join("a/x.css"), "a");
        touch(&t.path().join("site/out/x.0123456789ab.css"), "a");
        touch(&t.path().join("elsewhere/y.css"), "y");
        let mut c = config(t.path(), &[("", "a")]);
        c.static_root = t.path().join("site/out");
        for (link, to) in [
            ("published", "site/out"),
            ("site", "site"),
            ("file.css", "site/out/x.0123456789ab.css"),
        ] {
            std::os::unix::fs::symlink(t.path().join(to), t.path().join("a").join(link))
                .expect("symlink");
            match find(&c) {
                Err(e @ Error::Unsafe { .. }) => {
                    assert!(e.to_string().contains(link), "{e}");
                    assert!(e.to_string().contains("STATIC_ROOT"), "{e}");
                }
                other => panic!("{link}: expected an error, got {other:?}"),
            }
            std::fs::remove_file(t.path().join("a").join(link)).expect("rm");
        }
        // A link elsewhere out of the source dir is followed.
        std::os::unix::fs::symlink(t.path().join("elsewhere"), t.path().join("a/vendor"))
            .expect("symlink");
        let f = find(&c).expect("find");
        let names: Vec<_> = f.assets.iter().map(|a| a.logical.as_str()).collect();
        assert_eq!(names, ["vendor/y.css", "x.css"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_an_error_naming_the_link() {
        let t = tempfile::tempdir().expect("tempdir");
        touch(&t.path().join("a/sub/x.css"), "a");
        std::os::unix::fs::symlink(t.path().join("a"), t.path().join("a/sub/loop"))
            .expect("symlink");
        let c = config(t.path(), &[("", "a")]);
        match find(&c) {
            Err(Error::SymlinkLoop { path }) => assert!(path.ends_with("loop"), "{path:?}"),
            other => panic!("expected a loop error, got {other:?}"),
        }
    }
}
