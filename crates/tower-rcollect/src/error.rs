//! Errors of building a [`StaticFiles`](crate::StaticFiles) and of the
//! template helpers.

use std::io;
use std::path::PathBuf;

/// Why a [`StaticFiles`](crate::StaticFiles) could not be built. Every variant
/// names the file or setting involved. Its `Debug` is its message, so that
/// `fn main() -> Result<(), Box<dyn std::error::Error>>` prints the message,
/// not a struct dump.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// STATIC_ROOT has no `staticfiles.json`.
    #[error("{}: no manifest in STATIC_ROOT: run `rcollect collectstatic` (in your build or deploy step) first, or enable dev mode to serve the source dirs (`debug = true` in rcollect.toml, `rcollect serve --dev`)", path.display())]
    MissingManifest {
        /// The manifest path that was looked for.
        path: PathBuf,
    },
    /// The manifest exists but cannot be used.
    #[error("{}: invalid manifest: {message}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it (the entry and the reason).
        message: String,
    },
    /// An I/O error on a named path (reading the manifest or, for a
    /// Django-written manifest, the files it names).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A setting (a builder argument or a `[serve]` key) has an invalid value.
    #[error("invalid setting `{key}`: {message}")]
    Setting {
        /// The setting, e.g. `serve.headers[0].name` or `static_url`.
        key: String,
        /// What is wrong with the value.
        message: String,
    },
    /// The configuration has error-level findings that concern serving
    /// (as Django refuses to start on `staticfiles.E…` errors).
    #[error("the configuration has errors:{}", findings.iter().map(|f| format!("\n  {f} (hint: {})", f.hint)).collect::<String>())]
    Checks {
        /// The error-level findings, with their IDs and hints.
        findings: Vec<rcollect_core::checks::Finding>,
    },
    /// Loading the configuration failed.
    #[error(transparent)]
    Core(rcollect_core::Error),
    /// Loading the manifest from object storage failed.
    #[cfg(feature = "store")]
    #[error(transparent)]
    Store(#[from] rcollect_store::Error),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    pub(crate) fn setting(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Setting {
            key: key.into(),
            message: message.into(),
        }
    }

    pub(crate) fn manifest(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Manifest {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl From<rcollect_core::Error> for Error {
    fn from(e: rcollect_core::Error) -> Self {
        match e {
            rcollect_core::Error::Manifest { path, message } => Error::Manifest { path, message },
            rcollect_core::Error::Io { path, source } => Error::Io { path, source },
            other => Error::Core(other),
        }
    }
}

/// A template helper was asked for a logical path the manifest (or, in dev
/// mode, the source dirs) does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("static file '{path}' not found (is it in a source dir, and was collectstatic run?)")]
pub struct MissingAsset {
    /// The logical path that was asked for.
    pub path: String,
}
