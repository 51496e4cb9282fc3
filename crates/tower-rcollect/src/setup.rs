//! Every way to build a [`StaticFiles`], one constructor per source —
//! [`from_manifest`](StaticFiles::from_manifest) (STATIC_ROOT),
//! [`embedded`](StaticFiles::embedded), `from_store` (object storage,
//! feature `store`), [`dev`](StaticFiles::dev) (the source dirs) — each a
//! thin entry over its `source` module; [`from_config`](StaticFiles::from_config)
//! (checks, then the source the configuration names, then `[serve]`); and
//! [`Setup`]: how an app finds its configuration and picks dev mode, the
//! one-line way in ([`StaticFiles::from_env`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::Glob;
use http::{HeaderName, HeaderValue};
use rcollect_core::Config;
use rcollect_core::checks::{self, Level, Scope};
use rcollect_core::config::{DEBUG_ENV, Overrides, SOURCEMAP_TOKEN_ENV};

use rcollect_core::url::StaticUrl;

use crate::error::Error;
use crate::files::StaticFiles;
use crate::source::Source;
use crate::source::dev::Dev;
use crate::source::embed::Embedded;
use crate::source::load::Loaded;
use crate::source::newer::Newer;
use crate::source::root::RootDir;

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
#[derive(Debug, Clone)]
#[must_use]
pub struct Setup {
    config_file: Option<PathBuf>,
    dev: bool,
}

impl Default for Setup {
    /// Dev mode in debug builds (`cfg!(debug_assertions)`), the collected
    /// files in release builds.
    fn default() -> Self {
        Setup {
            config_file: None,
            dev: cfg!(debug_assertions),
        }
    }
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
    /// Loads `root/staticfiles.json` (written by `rcollect collectstatic`
    /// or by Django's `ManifestStaticFilesStorage`) and serves it under
    /// `static_url` (`/static/`, or an absolute URL such as
    /// `https://cdn.example.com/static/`, whose path part is served), with
    /// the files of the previous versions kept in STATIC_ROOT and, during
    /// a rolling deploy, the names of a newer one collected there.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir_all(dir.path().join("static"))?;
    /// # std::fs::write(dir.path().join("static/app.css"), "body { margin: 0 }")?;
    /// # let mut config = tower_rcollect::Config::new(dir.path().join("staticfiles"), "/static/");
    /// # config.dirs.push(tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") });
    /// # config.cache_dir = None;
    /// # rcollect_core::collect::collect(&config, &Default::default())?;
    /// # let root = dir.path().join("staticfiles");
    /// let files = tower_rcollect::StaticFiles::from_manifest(&root, "/static/")?;
    /// assert!(files.static_url("app.css")?.starts_with("/static/app."));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The manifest is missing, unreadable or invalid (the error names the
    /// file and the reason), or `static_url` is invalid.
    pub fn from_manifest(root: impl AsRef<Path>, static_url: &str) -> Result<Self, Error> {
        Self::from_manifest_capped(
            root.as_ref(),
            static_url,
            rcollect_core::manifest::MAX_MANIFEST_BYTES,
        )
    }

    /// [`from_manifest`](Self::from_manifest), reading manifest files of at
    /// most `max_bytes` (`manifest_max_size`).
    fn from_manifest_capped(root: &Path, static_url: &str, max_bytes: u64) -> Result<Self, Error> {
        let url = parse_static_url(static_url)?;
        // Stamped before loading: a manifest replaced meanwhile is "newer".
        let newer = Newer::disk(root, max_bytes);
        let loaded = Loaded::load(root, max_bytes)?;
        Ok(Self::build(Source::Manifest(Arc::new(loaded)), url).with_newer(newer))
    }

    /// Serves files compiled into the binary (see the `rcollect-build`
    /// crate): the same HTTP semantics as
    /// [`from_manifest`](Self::from_manifest) (negotiation, per-encoding
    /// ETags, 304, ranges, immutable caching) with no filesystem access per
    /// request. When the build left the files out to serve the sources
    /// (debug builds by default), it is dev mode from the configuration
    /// file the build used, so an edited CSS file shows without a rebuild.
    ///
    /// # Errors
    /// The embedded manifest is invalid or names a file the table lacks (a
    /// build-script bug), or, in dev mode, as [`Setup::load`].
    pub fn embedded(assets: &Embedded) -> Result<Self, Error> {
        if let Some(dev) = assets.dev_source() {
            return (dev.load)(dev.config_file);
        }
        let url = parse_static_url(assets.static_url())?;
        Ok(Self::build(Source::Manifest(Arc::new(assets.load()?)), url))
    }

    /// Serves the files published to object storage (`static_root =
    /// "s3://…"`), reading each object from the store on its first request
    /// and keeping it in memory within the limits (ranges of larger ones
    /// are read as asked): for an app that is the CDN's origin, or several
    /// instances without a shared disk. The same HTTP semantics as
    /// [`from_manifest`](Self::from_manifest), deltas and the history
    /// versions still in the store (within the `[serve]` retention)
    /// included, and the names of a release published later (rolling
    /// deploys); the checks, `[serve]` and `root_dir` apply as in
    /// [`from_config`](Self::from_config). Start-up costs one `LIST` of the
    /// prefix and a `GET` per manifest version. When a CDN serves the
    /// files, an app that only needs the template helpers loads the same
    /// way and does not add the layer. Needs the `store` feature.
    ///
    /// # Errors
    /// `config.static_root` is not an object-store URL, the store cannot be
    /// reached, it has no valid manifest (or one without rcollect's
    /// `files` metadata), or as [`from_config`](Self::from_config).
    #[cfg(feature = "store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "store")))]
    pub async fn from_store(config: &Config) -> Result<Self, Error> {
        refuse_checks(config)?;
        let url = parse_static_url(&config.static_url)?;
        let (loaded, newer) = crate::source::store::load(config).await?;
        Self::build(Source::Manifest(Arc::new(loaded)), url)
            .with_newer(newer)
            .serve_settings(config)
    }

    /// Dev mode: serves the source dirs of `config` directly (first dir
    /// that has a path wins, ignore patterns apply), with `Cache-Control:
    /// no-cache`, picking up edits without a restart. No manifest is
    /// needed. ([`from_config`](Self::from_config) picks it when
    /// `config.debug` is set, and applies `[serve]`.)
    ///
    /// # Errors
    /// `static_url` is invalid or an ignore glob does not compile.
    pub fn dev(config: &Config) -> Result<Self, Error> {
        let url = parse_static_url(&config.static_url)?;
        let dev = Dev::new(config).map_err(rcollect_core::Error::from)?;
        Ok(Self::build(Source::Dev(Arc::new(dev)), url))
    }

    /// The one-line way in: loads `rcollect.toml` (`RCOLLECT_CONFIG`, else
    /// found from the working directory upward, else next to the
    /// executable) and the `RCOLLECT_*` environment, as the CLI does, and
    /// builds with [`from_config`](Self::from_config). It follows the
    /// build profile: a debug build serves the source dirs (edits show on
    /// reload), a release build the collected files; `RCOLLECT_DEBUG=1`/`0`
    /// (or `debug = true` in the file) decides instead. See
    /// [`setup`](Self::setup) to choose the default or name the file.
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

    /// Builds from a loaded configuration: STATIC_ROOT's manifest, or the
    /// source dirs when `config.debug` is set; the `[serve]` table and
    /// `root_dir` apply, and the token of private source maps is read from
    /// `RCOLLECT_SOURCEMAP_TOKEN` ([`sourcemap_token`](Self::sourcemap_token)).
    /// The configuration checks run, and those that
    /// concern serving ([`Scope::SERVE`], or [`Scope::DEV`] in dev mode)
    /// apply: an error-level finding fails start-up with its ID and hint
    /// (as Django refuses to start), warnings are logged with `tracing`.
    /// Findings only about collecting (source dirs when serving
    /// STATIC_ROOT, a read-only STATIC_ROOT) are skipped. (For files in
    /// object storage, see `from_store`, feature `store`.)
    ///
    /// # Errors
    /// [`Error::Checks`] for error-level findings; as
    /// [`from_manifest`](Self::from_manifest) or [`dev`](Self::dev), plus
    /// invalid `[serve]` values (header rules, MIME types), a `root_dir`
    /// that cannot be listed and a `RCOLLECT_SOURCEMAP_TOKEN` that is not
    /// UTF-8.
    pub fn from_config(config: &Config) -> Result<Self, Error> {
        refuse_checks(config)?;
        let files = if config.debug {
            Self::dev(config)?
        } else {
            Self::from_manifest_capped(
                &config.static_root,
                &config.static_url,
                config.manifest_max_size,
            )?
        };
        let files = files.serve_settings(config)?;
        log_start(config);
        if !config.debug {
            warn_if_stale(config);
        }
        Ok(files)
    }

    /// Applies `config`'s `[serve]` table, `root_dir` and the token of
    /// private source maps (`RCOLLECT_SOURCEMAP_TOKEN`).
    fn serve_settings(self, config: &Config) -> Result<Self, Error> {
        let s = &config.serve;
        let retention = rcollect_core::history::Retention::from(s);
        let mut files = self
            .max_age(s.max_age)
            .index(s.index)
            .memory_max_file(s.memory_max_file)
            .memory_budget(s.memory_budget)
            .allow_all_origins(s.allow_all_origins)
            .dictionaries(s.dictionaries)
            .history_versions(retention.versions)
            .history_max_age(retention.max_age)
            .link_max_bytes(s.link_max_bytes)
            .integrity_policy(s.integrity_policy);
        if let Some(dir) = &config.root_dir {
            files = files.root_dir(RootDir::scan(dir)?);
        }
        if let Some(server) = &config.bundler.dev_server {
            files = files.vite_dev_server(server);
        }
        if let Some(token) = std::env::var_os(SOURCEMAP_TOKEN_ENV) {
            let token = token.into_string().map_err(|_| {
                Error::setting(SOURCEMAP_TOKEN_ENV, "is not valid UTF-8".to_string())
            })?;
            files = files.sourcemap_token(token);
        }
        for (i, rule) in s.headers.iter().enumerate() {
            let key = |k: &str| format!("serve.headers[{i}].{k}");
            let glob = Glob::new(&rule.glob)
                .map_err(|e| Error::setting(key("glob"), format!("'{}': {e}", rule.glob)))?;
            let name = HeaderName::try_from(&rule.name).map_err(|_| {
                Error::setting(key("name"), format!("'{}' is not a header name", rule.name))
            })?;
            let value = HeaderValue::try_from(&rule.value).map_err(|_| {
                Error::setting(
                    key("value"),
                    format!("'{}' is not a header value", rule.value),
                )
            })?;
            files = files.header_for(glob, name, value);
        }
        for (ext, ty) in &s.mime_types {
            let value = HeaderValue::try_from(ty).map_err(|_| {
                Error::setting(
                    format!("serve.mime_types.{ext}"),
                    format!("'{ty}' is not a header value"),
                )
            })?;
            files = files.mime_type(ext, value);
        }
        Ok(files)
    }
}

/// STATIC_URL, or the error naming the setting.
fn parse_static_url(static_url: &str) -> Result<StaticUrl, Error> {
    StaticUrl::parse(static_url)
        .map_err(|e| Error::setting("static_url", format!("'{static_url}' {e}")))
}

/// Runs the configuration checks that concern serving (or dev mode):
/// warnings are logged, errors refuse.
fn refuse_checks(config: &Config) -> Result<(), Error> {
    // Serving STATIC_ROOT needs no source dirs and no write access; dev
    // mode needs no STATIC_ROOT.
    let scope = if config.debug {
        Scope::DEV
    } else {
        Scope::SERVE
    };
    let mut errors = Vec::new();
    for f in checks::run(config) {
        if !f.scope.contains(scope) {
            continue;
        }
        match f.level {
            Level::Error => errors.push(f),
            Level::Warning => f.log(),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Checks { findings: errors })
    }
}

/// The one start-up line: the mode, what is served, the config file.
fn log_start(config: &Config) {
    use rcollect_core::paths::shown;
    let file = match &config.config_file {
        Some(f) => format!("config {}", shown(f)),
        None => "no config file".to_string(),
    };
    if config.debug {
        let dirs: Vec<String> = config
            .dirs
            .iter()
            .map(|d| shown(&d.path).to_string())
            .collect();
        tracing::info!(
            "rcollect: dev mode, serving the source dirs {} under {} (no-cache; RCOLLECT_DEBUG=0 serves STATIC_ROOT); {file}",
            dirs.join(", "),
            config.static_url
        );
    } else {
        tracing::info!(
            "rcollect: serving STATIC_ROOT {} under {}; {file}",
            shown(&config.static_root),
            config.static_url
        );
    }
}

/// Warns once, from a background thread (a walk of the source dirs is no
/// start-up cost), when a source file changed after the last collect: the
/// app would serve older files than the developer sees (W007).
fn warn_if_stale(config: &Config) {
    if !config.dirs.iter().any(|d| d.path.is_dir()) {
        return; // a deployed STATIC_ROOT without its sources
    }
    let config = config.clone();
    let spawned = std::thread::Builder::new()
        .name("rcollect-stale-check".into())
        .spawn(move || {
            let Ok(found) = rcollect_core::find::find(&config) else {
                return;
            };
            if let Some(finding) = rcollect_core::checks::check_stale(&config, &found) {
                finding.log();
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("rcollect: no stale-source check ({e})");
    }
}
