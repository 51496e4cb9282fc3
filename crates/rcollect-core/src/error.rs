//! The engine's error type. Every variant carries what a person needs to fix
//! the problem: the file, the line, the key or the value.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named path.
    #[error("{}: {source}", crate::paths::shown(path))]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The configuration is invalid (bad TOML, unknown key, wrong type, bad value).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A directory walk found a symlink loop.
    #[error(
        "{}: symlink loop (the link points back to one of its ancestors)",
        crate::paths::shown(path)
    )]
    SymlinkLoop {
        /// The link that closes the loop.
        path: PathBuf,
    },
    /// A CSS/JS reference names a file that no source dir has.
    #[error(
        "{}:{line}: reference to missing file '{}' (resolved to '{}')",
        crate::paths::shown(source_path),
        crate::paths::escape_controls(target, false),
        crate::paths::escape_controls(resolved, false)
    )]
    MissingReference {
        /// The source file that holds the reference.
        source_path: PathBuf,
        /// 1-based line of the reference.
        line: u32,
        /// The reference exactly as written.
        target: String,
        /// The logical path it resolved to.
        resolved: String,
    },
    /// Follows the first missing references listed for a failed collect (20,
    /// `plan::MAX_LISTED`): how many more there are.
    #[error("... and {count} more references to missing files")]
    MoreMissingReferences {
        /// The references not listed.
        count: usize,
    },
    /// The manifest could not be read or parsed.
    #[error("{}: invalid manifest: {message}", crate::paths::shown(path))]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// STATIC_ROOT and a source dir overlap, or a symlink in a source dir
    /// leads into STATIC_ROOT; collecting would read its own output.
    #[error("refusing to collect: {message}")]
    Unsafe {
        /// Which paths overlap, and how.
        message: String,
    },
    /// Another process holds the STATIC_ROOT lock (a collect or a clean).
    #[error(
        "{}: another rcollect is collecting into this STATIC_ROOT",
        crate::paths::shown(path)
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A source file changed while it was being collected.
    #[error(
        "{}: the file changed while it was being collected; run collectstatic again",
        crate::paths::shown(path)
    )]
    SourceChanged {
        /// The source file.
        path: PathBuf,
    },
    /// A source file's logical path is a name rcollect writes for something
    /// else (the manifest, a manifest version, the lock file, or another
    /// file's hashed name or variant).
    #[error(
        "{}: its name '{}' is {what}; rename the file or add it to `ignore`",
        crate::paths::shown(source_path),
        crate::paths::escape_controls(name, false)
    )]
    NameTaken {
        /// The source file.
        source_path: PathBuf,
        /// Its logical path.
        name: String,
        /// What else the name belongs to.
        what: String,
    },
    /// An internal invariant does not hold (a bug in rcollect): reported
    /// with the file it concerns instead of a panic.
    #[error(
        "{}: internal error: {message} (please report this)",
        crate::paths::shown(path)
    )]
    Internal {
        /// The file being processed.
        path: PathBuf,
        /// Which invariant failed.
        message: &'static str,
    },
    /// The source dirs hold no file to collect (all ignored, or empty), and
    /// `allow_empty` is not set: an empty STATIC_ROOT would ship.
    #[error("no files to collect in the source dirs ({}): check `dirs` and `ignore`, or pass --allow-empty (allow_empty = true) if this is intended", dirs.iter().map(|d| format!("'{}'", crate::paths::shown(d))).collect::<Vec<_>>().join(", "))]
    NothingToCollect {
        /// The source dirs that were searched.
        dirs: Vec<PathBuf>,
    },
    /// `clean` found manifest versions it cannot read: it cannot prove
    /// their files unused, so it deletes nothing.
    #[error("refusing to clean {place}: {} manifest version(s) cannot be read, so the files they name are unknown and nothing was removed:\n{}\nrepair or remove these versions by hand (once no running release needs them), then run clean again", versions.len(), versions.iter().map(|v| format!("  {v}")).collect::<Vec<_>>().join("\n"))]
    CleanRefused {
        /// STATIC_ROOT or the store URL.
        place: String,
        /// Each unreadable version with why (its error, naming it).
        versions: Vec<String>,
    },
    /// Several errors, reported together (for example, every missing reference).
    #[error("{}", join_errors(.0))]
    Many(Vec<Error>),
}

fn join_errors(errors: &[Error]) -> String {
    let mut out = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&e.to_string());
    }
    out
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// True when the error is about configuration or usage (exit code 2), not
    /// about the files being collected (exit code 1).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config(_))
    }
}

/// A configuration problem, with the file, line and key where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}", location(.file.as_deref(), *.line), key.as_deref().map(|k| format!("key '{k}': ")).unwrap_or_default(), message)]
pub struct ConfigError {
    /// The config file, when the problem is in one.
    pub file: Option<PathBuf>,
    /// 1-based line in that file.
    pub line: Option<usize>,
    /// The key involved (`static_url`, `compress.min_saving`, …).
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn location(file: Option<&Path>, line: Option<usize>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{}:{l}: ", crate::paths::shown(f)),
        (Some(f), None) => format!("{}: ", crate::paths::shown(f)),
        (None, _) => String::new(),
    }
}

impl ConfigError {
    /// A problem with a value that did not come from a file (flag, env var).
    pub fn value(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            line: None,
            key: Some(key.into()),
            message: message.into(),
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
