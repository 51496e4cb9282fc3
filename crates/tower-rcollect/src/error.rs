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
/// mode, the source dirs) does not have. Its message says where it looked
/// and, when a known path is close, `did you mean 'css/app.css'?`; the
/// engines add the template and line where they know them (minijinja:
/// `(in page.html:6)`; Tera: `Failed to render 'page.html'`; the askama
/// filters: the Rust file and line of the template's `#[derive(Template)]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("static file '{path}' not found {looked_in}{}{}", hint(self), at(self))]
#[non_exhaustive]
pub struct MissingAsset {
    /// The logical path that was asked for.
    pub path: String,
    /// Where it was looked for.
    pub looked_in: LookedIn,
    /// The closest known logical path ([`rcollect_core::suggest`]), if one
    /// is close.
    pub suggestion: Option<String>,
    /// Where in the templates it was asked for (`src/main.rs:24`), when
    /// the engine can tell.
    pub location: Option<String>,
}

/// Where a [`MissingAsset`] was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookedIn {
    /// The manifest (collected files, on disk, in a store or embedded).
    Manifest,
    /// The source dirs (dev mode).
    SourceDirs,
    /// The entries of the Vite manifest (`vite_entry`).
    ViteEntries,
}

impl std::fmt::Display for LookedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LookedIn::Manifest => "in the manifest",
            LookedIn::SourceDirs => "in the source dirs",
            LookedIn::ViteEntries => "among the Vite entries",
        })
    }
}

impl MissingAsset {
    /// `path` looked for in `looked_in`, with the closest of `known`.
    pub(crate) fn new<'a>(
        path: &str,
        looked_in: LookedIn,
        known: impl IntoIterator<Item = &'a str>,
    ) -> MissingAsset {
        MissingAsset {
            path: path.to_string(),
            looked_in,
            suggestion: rcollect_core::suggest::suggest(path, known),
            location: None,
        }
    }

    /// The same error, asked for at `location` in a template.
    #[cfg(feature = "askama")]
    pub(crate) fn at(mut self, location: String) -> MissingAsset {
        self.location = Some(location);
        self
    }
}

/// `: did you mean '…'?`, or what to check when nothing is close.
fn hint(e: &MissingAsset) -> String {
    match (&e.suggestion, e.looked_in) {
        (Some(s), _) => format!(": did you mean '{s}'?"),
        (None, LookedIn::Manifest) => {
            " (is it in a source dir, and was collectstatic run after it was added?)".into()
        }
        (None, LookedIn::SourceDirs) => {
            " (dev mode serves the source dirs as they are: check the name, `dirs` and `ignore` in rcollect.toml)".into()
        }
        (None, LookedIn::ViteEntries) => {
            " (an entry is a source name of the Vite build, e.g. 'src/main.ts')".into()
        }
    }
}

fn at(e: &MissingAsset) -> String {
    e.location
        .as_deref()
        .map(|l| format!(" (at {l})"))
        .unwrap_or_default()
}
