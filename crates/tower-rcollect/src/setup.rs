//! [`Setup`]: how an app finds its configuration and picks dev mode, the
//! one-line way in ([`StaticFiles::from_env`]).

use std::path::{Path, PathBuf};

use rcollect_core::Config;
use rcollect_core::config::{DEBUG_ENV, Overrides};

use crate::error::Error;
use crate::files::StaticFiles;

/// How to load a [`StaticFiles`] from `rcollect.toml` and the environment,
/// made by [`StaticFiles::setup`]. Infallible `self -> Self` builders, then
/// [`load`](Self::load).
///
/// Dev mode (serving the source dirs, no manifest needed) is on when
/// `RCOLLECT_DEBUG` says so, else when `debug = true` in the file or
/// [`dev(true)`](Self::dev) was asked for. `RCOLLECT_DEBUG=0` forces
/// production serving whatever the code and the file say: useful to try
/// the collected files from a debug build.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("static"))?;
/// # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
/// # std::fs::write(dir.path().join("rcollect.toml"), "static_root = \"staticfiles\"\ndirs = [\"static\"]\n")?;
/// # let config = dir.path().join("rcollect.toml");
/// use tower_rcollect::StaticFiles;
/// // Debug builds serve the sources, edits show on reload; release builds
/// // serve what `rcollect collectstatic` wrote.
/// let files = StaticFiles::setup()
///     .config_file(config)
///     .dev(cfg!(debug_assertions))
///     .load()?;
/// assert_eq!(files.is_dev(), cfg!(debug_assertions) || std::env::var("RCOLLECT_DEBUG").is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Setup {
    config_file: Option<PathBuf>,
    dev: bool,
}

impl Setup {
    /// Reads this file instead of the `rcollect.toml` found from the working
    /// directory upward. Relative paths in it are relative to its directory.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Serves the source dirs (dev mode) unless `RCOLLECT_DEBUG` says
    /// otherwise; `dev(cfg!(debug_assertions))` ties it to the build
    /// profile, as rust-embed does.
    pub fn dev(mut self, on: bool) -> Self {
        self.dev = on;
        self
    }

    /// Loads the configuration (file, then `RCOLLECT_*` variables) and builds
    /// with [`StaticFiles::from_config`]: its checks run first.
    ///
    /// # Errors
    /// The configuration cannot be loaded (the error names the file, line
    /// and key), `RCOLLECT_DEBUG` is not a boolean, or as
    /// [`from_config`](StaticFiles::from_config).
    pub fn load(self) -> Result<StaticFiles, Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::Io {
            path: ".".into(),
            source: e,
        })?;
        let env_decides = std::env::var_os(DEBUG_ENV).is_some_and(|v| !v.is_empty());
        let overrides = Overrides {
            debug: self.dev && !env_decides,
            ..Overrides::default()
        };
        let config = Config::load(&cwd, self.config_file.as_deref(), &overrides)?;
        StaticFiles::from_config(&config)
    }
}

impl StaticFiles {
    /// The one-line way in: loads `rcollect.toml` (found from the working
    /// directory upward) and the `RCOLLECT_*` environment, as the CLI does,
    /// and builds with [`from_config`](Self::from_config). Dev mode when
    /// `RCOLLECT_DEBUG=1` or `debug = true`; see [`setup`](Self::setup) to
    /// tie it to the build profile or name the file.
    ///
    /// # Errors
    /// As [`Setup::load`].
    pub fn from_env() -> Result<Self, Error> {
        Setup::default().load()
    }

    /// A [`Setup`]: choose the config file and the dev-mode default, then
    /// [`load`](Setup::load).
    pub fn setup() -> Setup {
        Setup::default()
    }

    /// [`from_env`](Self::from_env) with this config file instead of the
    /// discovered one.
    ///
    /// # Errors
    /// As [`Setup::load`].
    pub fn from_config_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Setup::default().config_file(path.as_ref()).load()
    }
}
