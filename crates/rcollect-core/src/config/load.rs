//! Loading a [`Config`]: the file (found from the working directory
//! upward, or given), then `RCOLLECT_*` environment variables, then
//! command-line [`Overrides`]; relative paths in the file are relative to
//! its directory, those from the environment or flags to the working
//! directory.

use std::path::{Path, PathBuf};

use super::{
    CONFIG_FILE_NAME, Config, STORAGE_SCHEMES, SourceDir, StorageConfig, raw, storage_scheme,
};
use crate::error::{ConfigError, Error, Result};
use crate::paths::normalize;

/// Values that override the config file (from the command line).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--root DIR`.
    pub static_root: Option<PathBuf>,
    /// `--url URL`.
    pub static_url: Option<String>,
    /// `--dir [PREFIX=]PATH`, repeatable; replaces `dirs` when not empty.
    pub dirs: Vec<String>,
    /// `--ignore GLOB`, added to `ignore`.
    pub ignore: Vec<String>,
    /// `--no-default-ignore`.
    pub no_default_ignore: bool,
    /// `--dev` / debug mode.
    pub debug: bool,
    /// `--allow-empty`.
    pub allow_empty: bool,
    /// `--cache-dir DIR`.
    pub cache_dir: Option<PathBuf>,
    /// `--no-cache`.
    pub no_cache: bool,
}

/// The environment variable that names the config file to use.
pub const CONFIG_ENV: &str = "RCOLLECT_CONFIG";

/// Where the config file was looked for ([`Config::discover`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The file found, if any.
    pub found: Option<PathBuf>,
    /// Every path tried, in order (up to and including the one found).
    pub tried: Vec<PathBuf>,
}

impl Discovery {
    /// "looked for rcollect.toml in: a, b, c" (for error messages).
    pub fn describe(&self) -> String {
        let tried: Vec<String> = self
            .tried
            .iter()
            .map(|p| crate::paths::shown(p).to_string())
            .collect();
        format!(
            "no {CONFIG_FILE_NAME} found (looked for {})",
            tried.join(", ")
        )
    }
}

impl Config {
    /// Finds the config file the way cargo finds `Cargo.toml`: `start` (the
    /// working directory) and its parents, then the directory of the
    /// running executable (`exe_dir`: a deployed binary next to its
    /// config). Every path tried is kept, for the error that says where it
    /// looked.
    pub fn discover(start: &Path, exe_dir: Option<&Path>) -> Discovery {
        let mut d = Discovery::default();
        let candidates = start
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE_NAME))
            .chain(exe_dir.map(|dir| dir.join(CONFIG_FILE_NAME)));
        for p in candidates {
            if d.tried.contains(&p) {
                continue;
            }
            d.tried.push(p.clone());
            if p.is_file() {
                d.found = Some(p);
                break;
            }
        }
        d
    }

    /// Loads the configuration the way the CLI does: `file`, else the file
    /// `RCOLLECT_CONFIG` names, else the discovered `rcollect.toml`
    /// ([`Config::discover`]); then the environment (`RCOLLECT_STATIC_ROOT`,
    /// `RCOLLECT_STATIC_URL`, `RCOLLECT_DEBUG`), then `overrides`. `cwd`
    /// anchors discovery and relative paths from env and flags.
    pub fn load(cwd: &Path, file: Option<&Path>, overrides: &Overrides) -> Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self::load_with_env(cwd, file, overrides, env)
    }

    /// [`Config::load`] with the environment given as a function (for tests).
    ///
    /// Three steps: the file as written (module `raw`), the layers over it
    /// (environment, then flags; later wins), then resolution (absolute
    /// paths, STATIC_ROOT as a directory or an object store). Values are
    /// validated by [`crate::checks`], not here.
    pub fn load_with_env(
        cwd: &Path,
        file: Option<&Path>,
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let (file, discovery) = match (file, env(CONFIG_ENV)) {
            (Some(f), _) => (Some(absolute(cwd, f)), None),
            (None, Some(named)) => {
                let path = absolute(cwd, Path::new(&named));
                if !path.is_file() {
                    return Err(ConfigError {
                        file: None,
                        line: None,
                        key: Some(CONFIG_ENV.into()),
                        message: format!(
                            "'{}' is not a file (from {CONFIG_ENV}={named})",
                            crate::paths::shown(&path)
                        ),
                    }
                    .into());
                }
                (Some(path), None)
            }
            (None, None) => {
                let exe = std::env::current_exe().ok();
                let d = Self::discover(cwd, exe.as_deref().and_then(Path::parent));
                (d.found.clone(), Some(d))
            }
        };
        let mut layered = Layered::from_file(cwd, file)?;
        layered.discovery = discovery;
        layered.apply_env(cwd, env)?;
        layered.apply_flags(cwd, overrides)?;
        Ok(layered.resolve()?)
    }
}

/// The configuration after the layers (file, environment, flags) and before
/// resolution: STATIC_ROOT is still the string given, with the directory it
/// is relative to.
struct Layered {
    config: Config,
    /// The directory of the config file (or the working directory).
    base: PathBuf,
    /// STATIC_ROOT as given and the directory it is relative to.
    root: Option<(String, PathBuf)>,
    storage: raw::RawStorage,
    /// Where the config file was looked for, when it was not given.
    discovery: Option<Discovery>,
}

impl Layered {
    /// The file layer: `file` parsed, its relative paths made absolute
    /// against its directory.
    fn from_file(cwd: &Path, file: Option<PathBuf>) -> Result<Layered> {
        let (raw, base) = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                let raw = raw::parse_toml(path, &text)?;
                let base = path.parent().unwrap_or(cwd).to_path_buf();
                (raw, base)
            }
            None => (raw::RawConfig::default(), cwd.to_path_buf()),
        };
        let mut c = Config::new(PathBuf::new(), "/static/");
        c.config_file = file;
        if let Some(u) = raw.static_url {
            c.static_url = u;
        }
        if let Some(dirs) = raw.dirs {
            let mut out = Vec::new();
            for d in dirs {
                let (prefix, path) = match d {
                    raw::RawDir::Path(p) => (String::new(), p),
                    raw::RawDir::Prefixed(d) => (d.prefix, d.path),
                };
                for path in expand_dir_glob(&base, &path) {
                    out.push(SourceDir {
                        prefix: prefix.clone(),
                        path,
                    });
                }
            }
            c.dirs = out;
        }
        c.ignore = raw.ignore.unwrap_or_default();
        c.default_ignore = raw.default_ignore.unwrap_or(true);
        c.media_url = raw.media_url;
        c.media_root = raw.media_root.map(|r| absolute(&base, Path::new(&r)));
        c.missing_references = raw.missing_references.unwrap_or_default();
        c.keep_unhashed = raw.keep_unhashed.unwrap_or(true);
        c.debug = raw.debug.unwrap_or(false);
        c.allow_empty = raw.allow_empty.unwrap_or(false);
        c.root_dir = raw.root_dir.map(|d| absolute(&base, Path::new(&d)));
        c.cache_dir = raw.cache_dir.map(|d| absolute(&base, Path::new(&d)));
        c.manifest_max_size = raw
            .manifest_max_size
            .unwrap_or(crate::manifest::MAX_MANIFEST_BYTES);
        c.compress = raw.compress.unwrap_or_default();
        if let Some(b) = raw.bundler {
            let paths = |v: Vec<String>| v.iter().map(|p| absolute(&base, Path::new(p))).collect();
            c.bundler = super::BundlerConfig {
                manifests: paths(b.manifests),
                metafiles: paths(b.metafiles),
                hashed_names: b.hashed_names,
                dev_server: b.dev_server,
            };
        }
        c.js = raw.js.unwrap_or_default();
        c.sourcemaps = raw.sourcemaps.unwrap_or_default();
        c.serve = raw.serve.unwrap_or_default();
        for p in [&mut c.serve.tls_cert, &mut c.serve.tls_key] {
            *p = p.take().map(|p| absolute(&base, &p));
        }
        Ok(Layered {
            config: c,
            root: raw.static_root.map(|r| (r, base.clone())),
            base,
            storage: raw.storage.unwrap_or_default(),
            discovery: None,
        })
    }

    /// The environment layer: `RCOLLECT_STATIC_ROOT` (relative to `cwd`),
    /// `RCOLLECT_STATIC_URL` and `RCOLLECT_DEBUG` (`1`/`true`/`yes`/`on` or
    /// `0`/`false`/`no`/`off`; it replaces the file's `debug`).
    fn apply_env(
        &mut self,
        cwd: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(r) = env("RCOLLECT_STATIC_ROOT") {
            self.root = Some((r, cwd.to_path_buf()));
        }
        if let Some(u) = env("RCOLLECT_STATIC_URL") {
            self.config.static_url = u;
        }
        if let Some(d) = env(DEBUG_ENV) {
            self.config.debug = parse_bool(&d).ok_or_else(|| {
                ConfigError::value(
                    DEBUG_ENV,
                    format!("'{d}' is not a boolean (use 1/0, true/false, yes/no or on/off)"),
                )
            })?;
        }
        Ok(())
    }

    /// The command-line layer (relative paths against `cwd`).
    fn apply_flags(&mut self, cwd: &Path, overrides: &Overrides) -> Result<()> {
        let c = &mut self.config;
        if let Some(r) = &overrides.static_root {
            self.root = Some((r.to_string_lossy().into_owned(), cwd.to_path_buf()));
        }
        if let Some(u) = &overrides.static_url {
            c.static_url = u.clone();
        }
        if !overrides.dirs.is_empty() {
            c.dirs = overrides
                .dirs
                .iter()
                .map(|spec| parse_dir_flag(cwd, spec))
                .collect::<Result<_, _>>()?;
        }
        c.ignore.extend(overrides.ignore.iter().cloned());
        if overrides.no_default_ignore {
            c.default_ignore = false;
        }
        if overrides.debug {
            c.debug = true;
        }
        if overrides.allow_empty {
            c.allow_empty = true;
        }
        if let Some(d) = &overrides.cache_dir {
            c.cache_dir = Some(absolute(cwd, d));
        }
        if overrides.no_cache {
            c.cache_dir = None;
        }
        Ok(())
    }

    /// Resolution: STATIC_ROOT becomes a directory, or an object store with
    /// a local staging directory.
    fn resolve(self) -> Result<Config, ConfigError> {
        let Layered {
            config: mut c,
            base,
            root,
            storage,
            discovery,
        } = self;
        let file = c.config_file.clone();
        // Dev mode serves the source dirs; STATIC_ROOT is not used.
        let root = root.or_else(|| c.debug.then(|| ("staticfiles".into(), base.clone())));
        let (root, root_base) = root.ok_or_else(|| ConfigError {
            file: file.clone(),
            line: None,
            key: Some("static_root".into()),
            message: match (&file, &discovery) {
                (None, Some(d)) => format!(
                    "not set: {}; run from the project directory, point {CONFIG_ENV} at the file, or set RCOLLECT_STATIC_ROOT (the CLI: --root DIR)",
                    d.describe()
                ),
                _ => "not set: add `static_root = \"...\"` to rcollect.toml, set RCOLLECT_STATIC_ROOT (the CLI: --root DIR)".into(),
            },
        })?;
        match storage_scheme(&root) {
            None => {
                c.static_root = absolute(&root_base, Path::new(&root));
                if storage.staging.is_some() {
                    tracing::debug!("[storage] staging is ignored: static_root is a directory");
                }
            }
            Some(scheme) if STORAGE_SCHEMES.contains(&scheme) => {
                let staging = storage.staging.as_deref().unwrap_or(".rcollect-staging");
                c.static_root = absolute(&base, Path::new(staging));
                c.storage = Some(StorageConfig {
                    url: root.clone(),
                    endpoint: storage.endpoint,
                    region: storage.region,
                    allow_http: storage.allow_http,
                    access_key_id: storage.access_key_id,
                    secret_access_key: storage.secret_access_key,
                    session_token: storage.session_token,
                    virtual_hosted_style_request: storage.virtual_hosted_style_request,
                    concurrency: storage.concurrency.unwrap_or(16).max(1),
                    retries: storage.retries.unwrap_or(5),
                });
            }
            Some(scheme) => {
                return Err(ConfigError {
                    file,
                    line: None,
                    key: Some("static_root".into()),
                    message: format!(
                        "unsupported storage URL scheme '{scheme}://' (supported: s3://bucket/prefix, file:///path)"
                    ),
                });
            }
        }
        Ok(c)
    }
}

/// Parses `--dir [PREFIX=]PATH`.
/// The directories a `dirs` entry names, sorted: itself, or, when a path
/// component has glob characters (`crates/*/static`, for workspaces where
/// each crate has its own `static/`, like Django's app directories), every
/// directory that matches. A pattern that matches nothing stays as written,
/// so the checks report it as a missing dir.
fn expand_dir_glob(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    if !is_glob(pattern) {
        return vec![absolute(base, Path::new(pattern))];
    }
    let full = absolute(base, Path::new(pattern));
    let mut found = vec![PathBuf::new()];
    for part in full.components() {
        let part_str = part.as_os_str().to_string_lossy();
        if !is_glob(&part_str) {
            for f in &mut found {
                f.push(part.as_os_str());
            }
            continue;
        }
        let Ok(glob) = globset::GlobBuilder::new(&part_str)
            .literal_separator(true)
            .build()
        else {
            return vec![full];
        };
        let matcher = glob.compile_matcher();
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                if matcher.is_match(&name) && e.path().is_dir() {
                    next.push(dir.join(&name));
                }
            }
        }
        next.sort();
        found = next;
    }
    found.retain(|p| p.is_dir());
    if found.is_empty() { vec![full] } else { found }
}

/// The environment variable that turns dev mode on or off, whatever the
/// file says.
pub const DEBUG_ENV: &str = "RCOLLECT_DEBUG";

/// `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`, any case.
fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_dir_flag(cwd: &Path, spec: &str) -> Result<SourceDir, ConfigError> {
    let (prefix, path) = match spec.split_once('=') {
        Some((p, path)) => (p.to_string(), path),
        None => (String::new(), spec),
    };
    if path.is_empty() {
        return Err(ConfigError::value("--dir", format!("'{spec}' has no path")));
    }
    Ok(SourceDir {
        prefix,
        path: absolute(cwd, Path::new(path)),
    })
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    normalize(&joined)
}
