//! Configuration: `rcollect.toml`, then `RCOLLECT_*` environment variables,
//! then command-line overrides. Relative paths in the file are relative to
//! the file's directory; relative paths from the environment or flags are
//! relative to the current directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod raw;

use crate::error::{ConfigError, Error, Result};
use crate::paths::normalize;

/// The name of the config file looked up from the current directory upward.
pub const CONFIG_FILE_NAME: &str = "rcollect.toml";

/// Ignore patterns applied unless `default_ignore = false` (Django's defaults).
pub const DEFAULT_IGNORE: &[&str] = &[".*", "*~", "CVS"];

/// A validated configuration with absolute paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this configuration was read from, if any.
    pub config_file: Option<PathBuf>,
    /// URL prefix the collected files are served under (`/static/` or an absolute URL).
    pub static_url: String,
    /// Where collected files are written.
    pub static_root: PathBuf,
    /// Source dirs, in priority order: the first dir that has a path wins.
    pub dirs: Vec<SourceDir>,
    /// Extra ignore globs (matched against file and directory names, and logical paths).
    pub ignore: Vec<String>,
    /// Whether [`DEFAULT_IGNORE`] applies.
    pub default_ignore: bool,
    /// MEDIA_URL, used by the checks only.
    pub media_url: Option<String>,
    /// MEDIA_ROOT, used by the checks only.
    pub media_root: Option<PathBuf>,
    /// What to do when a reference names a file that does not exist.
    pub missing_references: MissingReferences,
    /// Also write the files under their original (unhashed) names.
    pub keep_unhashed: bool,
    /// Serve the source dirs directly (dev mode) instead of STATIC_ROOT.
    pub debug: bool,
    /// A missing source dir is a warning (W004) instead of an error (E013),
    /// and a collect that finds no file succeeds.
    pub allow_empty: bool,
    /// Files served at the site root (`/robots.txt`, `/favicon.ico`) by the
    /// middleware, unhashed, with `[serve] max_age` (whitenoise's
    /// `WHITENOISE_ROOT`). Not collected.
    pub root_dir: Option<PathBuf>,
    /// Content-addressed cache of compressed outputs; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Which precompressed variants to write.
    pub compress: CompressConfig,
    /// Settings for the middleware.
    pub serve: ServeConfig,
    /// Set when `static_root` is an object-store URL (`s3://bucket/prefix`,
    /// `file:///path`): the files are collected into a local staging dir
    /// (then [`Config::static_root`]) and published to the store.
    pub storage: Option<StorageConfig>,
}

/// Publishing to object storage: the URL from `static_root` plus the
/// `[storage]` table. Credentials, endpoint, region and `allow_http` also come
/// from the standard `AWS_*` environment variables, which win over the table.
/// Its `Debug` shows `secret_access_key` and `session_token` as
/// `"<redacted>"`, so a logged `Config` never leaks them.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `s3://bucket/prefix` or `file:///path`.
    pub url: String,
    /// S3 endpoint (`http://127.0.0.1:9000` for a local store).
    pub endpoint: Option<String>,
    /// Region (`us-east-1` when neither this nor `AWS_REGION` is set).
    pub region: Option<String>,
    /// Allow plain-HTTP endpoints.
    pub allow_http: Option<bool>,
    /// Access key id (prefer `AWS_ACCESS_KEY_ID`).
    pub access_key_id: Option<String>,
    /// Secret access key (prefer `AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: Option<String>,
    /// Session token (prefer `AWS_SESSION_TOKEN`).
    pub session_token: Option<String>,
    /// `bucket.host/key` requests instead of `host/bucket/key`.
    pub virtual_hosted_style_request: Option<bool>,
    /// Requests in flight at most while publishing.
    pub concurrency: usize,
    /// Retries of a failed request (with exponential backoff).
    pub retries: usize,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("StorageConfig")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redact(&self.secret_access_key))
            .field("session_token", &redact(&self.session_token))
            .field(
                "virtual_hosted_style_request",
                &self.virtual_hosted_style_request,
            )
            .field("concurrency", &self.concurrency)
            .field("retries", &self.retries)
            .finish()
    }
}

/// URL schemes `static_root` may use for object storage.
pub const STORAGE_SCHEMES: &[&str] = &["s3", "s3a", "file"];

/// The scheme of an object-store URL (`s3` of `s3://bucket`), or `None` for
/// a filesystem path.
pub fn storage_scheme(root: &str) -> Option<&str> {
    let (scheme, _) = root.split_once("://")?;
    (!scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+'))
    .then_some(scheme)
}

/// One entry of `dirs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDir {
    /// Logical path prefix (`""` for none, otherwise without leading or trailing `/`).
    pub prefix: String,
    /// Absolute path of the directory.
    pub path: PathBuf,
}

/// Policy for references to files that do not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingReferences {
    /// Fail the collect (the default, like Django's `manifest_strict`).
    #[default]
    Error,
    /// Log a warning and leave the reference as written.
    Warn,
}

/// The `[compress]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompressConfig {
    /// Write `.gz` variants (gzip level 9, no name, mtime 0).
    pub gzip: bool,
    /// Write `.br` variants (brotli quality 11, window 22).
    pub brotli: bool,
    /// Write `.zst` variants (zstd level 19).
    pub zstd: bool,
    /// Keep a variant only if it is at least this fraction smaller than the original.
    pub min_saving: f64,
    /// Write dictionary-compressed deltas (RFC 9842 `dcb`, `dcz`) of each
    /// changed text file against up to this many of its previous versions
    /// still in STATIC_ROOT (0: none). A delta is kept only if it saves
    /// `min_saving` against the brotli variant.
    pub dictionaries: usize,
}

impl Default for CompressConfig {
    fn default() -> Self {
        CompressConfig {
            gzip: true,
            brotli: true,
            zstd: false,
            min_saving: 0.05,
            dictionaries: 2,
        }
    }
}

/// The `[serve]` table: how the middleware answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// `max-age` in seconds for unhashed names (hashed names are immutable).
    pub max_age: u64,
    /// Serve `index.html` for directory paths (and redirect `/dir` to `/dir/`).
    pub index: bool,
    /// Files up to this size are held in memory.
    pub memory_max_file: u64,
    /// Total bytes held in memory at most; larger sets stream from disk.
    pub memory_budget: u64,
    /// `Access-Control-Allow-Origin: *` on every static response (default
    /// on, as whitenoise's `WHITENOISE_ALLOW_ALL_ORIGINS`): fonts and
    /// modules fetched from a CDN domain need it, and public files reveal
    /// nothing by it.
    pub allow_all_origins: bool,
    /// Offer hashed text files as compression dictionaries (RFC 9842
    /// `Use-As-Dictionary`, matching the file's future hashed names) and
    /// answer `Available-Dictionary` requests with the deltas collect wrote
    /// (default on).
    pub dictionaries: bool,
    /// Previous manifest versions whose files are served (rolling deploys),
    /// counted with the live one, as `rcollect clean --keep` counts.
    pub history_versions: usize,
    /// Also serve the files of versions retired less than this many
    /// seconds ago.
    pub history_max_age: u64,
    /// Extra response headers for files whose logical path matches a glob.
    pub headers: Vec<HeaderRule>,
    /// Extra or overriding content types by extension (without the dot).
    pub mime_types: BTreeMap<String, String>,
    /// `rcollect serve`: open connections at most (0: derived from the
    /// open-file limit, which is raised to its hard limit at start).
    pub max_connections: usize,
    /// `rcollect serve`: seconds a client has to send a request head
    /// (nginx's `client_header_timeout`, 60 s).
    pub header_timeout: u64,
    /// `rcollect serve`: seconds an idle keep-alive connection is kept
    /// (nginx's `keepalive_timeout`, 75 s).
    pub keepalive_timeout: u64,
    /// `rcollect serve`: seconds a response may make no progress because the
    /// client does not read (nginx's `send_timeout`, 60 s).
    pub send_timeout: u64,
    /// `rcollect serve`: concurrent HTTP/2 streams per connection (nginx's
    /// `http2_max_concurrent_streams`, 128).
    pub max_streams: u32,
    /// `rcollect serve`: the PEM certificate chain for HTTPS (relative to
    /// the config file); with `tls_key`, the server speaks TLS with HTTP/2
    /// and HTTP/1.1 (ALPN).
    pub tls_cert: Option<PathBuf>,
    /// `rcollect serve`: the PEM private key of `tls_cert` (relative to the
    /// config file).
    pub tls_key: Option<PathBuf>,
    /// `rcollect serve`: the most bytes of the `Link` header of preloads
    /// (and of the `103 Early Hints`) sent with an HTML page, nearest files
    /// first; 0 sends none.
    pub link_max_bytes: usize,
}

impl ServeConfig {
    /// Which previous manifest versions are served (`history_versions`,
    /// `history_max_age`).
    pub fn retention(&self) -> crate::history::Retention {
        crate::history::Retention {
            versions: self.history_versions,
            max_age: std::time::Duration::from_secs(self.history_max_age),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_age: 60,
            index: false,
            memory_max_file: 256 * 1024,
            memory_budget: 256 * 1024 * 1024,
            allow_all_origins: true,
            dictionaries: true,
            history_versions: 2,
            history_max_age: 3600,
            headers: Vec::new(),
            mime_types: BTreeMap::new(),
            max_connections: 0,
            header_timeout: 60,
            keepalive_timeout: 75,
            send_timeout: 60,
            max_streams: 128,
            tls_cert: None,
            tls_key: None,
            link_max_bytes: 3072,
        }
    }
}

/// An extra header set on files whose logical path matches `glob`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderRule {
    /// Glob over the logical path (`fonts/*.woff2`, `**/*.js`).
    pub glob: String,
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

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

impl Config {
    /// A configuration with defaults for everything but the two paths:
    /// what `rcollect collectstatic --root ROOT --dir DIR` builds with no file.
    ///
    /// ```
    /// use rcollect_core::config::Config;
    /// let c = Config::new("/srv/static", "/static/");
    /// assert_eq!(c.static_url, "/static/");
    /// assert!(c.dirs.is_empty());
    /// ```
    pub fn new(static_root: impl Into<PathBuf>, static_url: impl Into<String>) -> Self {
        Config {
            config_file: None,
            static_url: static_url.into(),
            static_root: static_root.into(),
            dirs: Vec::new(),
            ignore: Vec::new(),
            default_ignore: true,
            media_url: None,
            media_root: None,
            missing_references: MissingReferences::default(),
            keep_unhashed: true,
            debug: false,
            allow_empty: false,
            root_dir: None,
            cache_dir: None,
            compress: CompressConfig::default(),
            serve: ServeConfig::default(),
            storage: None,
        }
    }

    /// Looks for `rcollect.toml` in `start` and its ancestors.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join(CONFIG_FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Loads the configuration the way the CLI does: `file` (or the discovered
    /// `rcollect.toml` when `file` is `None`), then the environment
    /// (`RCOLLECT_STATIC_ROOT`, `RCOLLECT_STATIC_URL`), then `overrides`.
    /// `cwd` anchors discovery and relative paths from env and flags.
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
        let file = match file {
            Some(f) => Some(absolute(cwd, f)),
            None => Self::discover(cwd),
        };
        let mut layered = Layered::from_file(cwd, file)?;
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
        c.compress = raw.compress.unwrap_or_default();
        c.serve = raw.serve.unwrap_or_default();
        for p in [&mut c.serve.tls_cert, &mut c.serve.tls_key] {
            *p = p.take().map(|p| absolute(&base, &p));
        }
        Ok(Layered {
            config: c,
            root: raw.static_root.map(|r| (r, base.clone())),
            base,
            storage: raw.storage.unwrap_or_default(),
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
        } = self;
        let file = c.config_file.clone();
        // Dev mode serves the source dirs; STATIC_ROOT is not used.
        let root = root.or_else(|| c.debug.then(|| ("staticfiles".into(), base.clone())));
        let (root, root_base) = root.ok_or_else(|| ConfigError {
            file: file.clone(),
            line: None,
            key: Some("static_root".into()),
            message: "not set: add `static_root = \"...\"` to rcollect.toml, set RCOLLECT_STATIC_ROOT or pass --root DIR".into(),
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

impl Config {
    /// The ignore globs in force: the defaults (unless disabled) plus `ignore`.
    pub fn ignore_patterns(&self) -> Vec<String> {
        let mut v: Vec<String> = if self.default_ignore {
            DEFAULT_IGNORE.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        v.extend(self.ignore.iter().cloned());
        v
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secrets() {
        let mut c = Config::new("s", "/static/");
        c.storage = Some(StorageConfig {
            url: "s3://b/p".into(),
            endpoint: None,
            region: None,
            allow_http: None,
            access_key_id: Some("AKIDPUBLIC".into()),
            secret_access_key: Some("s3cr3t-value".into()),
            session_token: Some("t0ken-value".into()),
            virtual_hosted_style_request: None,
            concurrency: 8,
            retries: 3,
        });
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDPUBLIC"), "{shown}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(!shown.contains("t0ken-value"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join(CONFIG_FILE_NAME);
        std::fs::write(&p, text).expect("write config");
        p
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn full_file_resolves_paths_against_its_dir() {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            r#"
static_url = "/s/"
static_root = "out"
dirs = ["assets", { prefix = "vendor", path = "node_modules/lib/dist" }]
ignore = ["*.scss"]
missing_references = "warn"
keep_unhashed = false
[compress]
zstd = true
min_saving = 0.1
"#,
        );
        let sub = t.path().join("a/b");
        std::fs::create_dir_all(&sub).expect("mkdir");
        let c = Config::load_with_env(&sub, None, &Overrides::default(), no_env).expect("load");
        assert_eq!(c.static_root, t.path().join("out"));
        assert_eq!(c.static_url, "/s/");
        assert_eq!(c.dirs[0].path, t.path().join("assets"));
        assert_eq!(c.dirs[1].prefix, "vendor");
        assert_eq!(c.dirs[1].path, t.path().join("node_modules/lib/dist"));
        assert_eq!(c.ignore_patterns(), vec![".*", "*~", "CVS", "*.scss"]);
        assert_eq!(c.missing_references, MissingReferences::Warn);
        assert!(!c.keep_unhashed);
        assert!(c.compress.zstd && c.compress.gzip);
        assert_eq!(c.compress.min_saving, 0.1);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = write(t.path(), "static_root = \"x\"\n\nstatik_url = \"/s/\"\n");
        let e = Config::load_with_env(t.path(), Some(&p), &Overrides::default(), no_env)
            .expect_err("must fail");
        let Error::Config(e) = e else {
            panic!("wrong error {e}")
        };
        assert_eq!(e.line, Some(3));
        assert_eq!(e.key.as_deref(), Some("statik_url"));
        assert!(e.to_string().contains("rcollect.toml:3"), "{e}");
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = write(t.path(), "static_root = \"x\"\nkeep_unhashed = \"yes\"\n");
        let Err(Error::Config(e)) =
            Config::load_with_env(t.path(), Some(&p), &Overrides::default(), no_env)
        else {
            panic!("must fail with a config error")
        };
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("keep_unhashed"));
    }

    #[test]
    fn env_then_flags_override_the_file() {
        let t = tempfile::tempdir().expect("tempdir");
        write(t.path(), "static_root = \"a\"\nstatic_url = \"/a/\"\n");
        let env = |k: &str| match k {
            "RCOLLECT_STATIC_ROOT" => Some("envroot".to_string()),
            "RCOLLECT_STATIC_URL" => Some("/env/".to_string()),
            _ => None,
        };
        let c = Config::load_with_env(t.path(), None, &Overrides::default(), env).expect("load");
        assert_eq!(c.static_root, t.path().join("envroot"));
        assert_eq!(c.static_url, "/env/");
        let o = Overrides {
            static_root: Some("flag".into()),
            dirs: vec!["v=lib".into(), "assets".into()],
            ..Overrides::default()
        };
        let c = Config::load_with_env(t.path(), None, &o, env).expect("load");
        assert_eq!(c.static_root, t.path().join("flag"));
        assert_eq!(c.dirs.len(), 2);
        assert_eq!(c.dirs[0].prefix, "v");
        assert_eq!(c.dirs[1].prefix, "");
    }

    #[test]
    fn globbed_dirs_expand_to_every_matching_directory_sorted() {
        let t = tempfile::tempdir().expect("tempdir");
        for d in ["crates/b/static", "crates/a/static", "crates/c/other"] {
            std::fs::create_dir_all(t.path().join(d)).expect("mkdir");
        }
        std::fs::write(t.path().join("crates/static"), "a file").expect("write");
        write(
            t.path(),
            "static_root = \"out\"\ndirs = [\"crates/*/static\", { prefix = \"v\", path = \"vendor/*\" }]\n",
        );
        let c =
            Config::load_with_env(t.path(), None, &Overrides::default(), |_| None).expect("load");
        let dirs: Vec<_> = c
            .dirs
            .iter()
            .map(|d| {
                (
                    d.prefix.as_str(),
                    d.path.strip_prefix(t.path()).expect("in"),
                )
            })
            .collect();
        assert_eq!(
            dirs,
            [
                ("", Path::new("crates/a/static")),
                ("", Path::new("crates/b/static")),
                // Matches nothing: kept as written, for E013 to name it.
                ("v", Path::new("vendor/*")),
            ]
        );
    }

    #[test]
    fn an_unknown_key_suggests_the_closest_one() {
        let t = tempfile::tempdir().expect("tempdir");
        write(t.path(), "static_root = \"out\"\nstatik_url = \"/s/\"\n");
        let err = Config::load_with_env(t.path(), None, &Overrides::default(), |_| None)
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains(":2: "), "{err}");
        assert!(
            err.contains("unknown field `statik_url`: did you mean `static_url`?"),
            "{err}"
        );
        write(t.path(), "static_root = \"out\"\nzzzzzz = 1\n");
        let err = Config::load_with_env(t.path(), None, &Overrides::default(), |_| None)
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains("expected one of"), "{err}");
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn rcollect_debug_replaces_the_file_setting_and_rejects_non_booleans() {
        let t = tempfile::tempdir().expect("tempdir");
        write(t.path(), "static_root = \"a\"\ndebug = true\n");
        let with = |v: &'static str| move |k: &str| (k == DEBUG_ENV).then(|| v.to_string());
        let load =
            |v: &'static str| Config::load_with_env(t.path(), None, &Overrides::default(), with(v));
        assert!(!load("0").expect("load").debug);
        assert!(!load("off").expect("load").debug);
        assert!(load("TRUE").expect("load").debug);
        let err = load("maybe").expect_err("not a boolean").to_string();
        assert!(
            err.contains("RCOLLECT_DEBUG") && err.contains("'maybe'"),
            "{err}"
        );
    }

    #[test]
    fn dev_mode_needs_no_static_root() {
        let t = tempfile::tempdir().expect("tempdir");
        let o = Overrides {
            debug: true,
            dirs: vec!["assets".into()],
            ..Overrides::default()
        };
        let c = Config::load_with_env(t.path(), None, &o, no_env).expect("load");
        assert!(c.debug);
        assert_eq!(c.static_root, t.path().join("staticfiles"));
    }

    #[test]
    fn no_file_and_no_root_is_a_config_error() {
        let t = tempfile::tempdir().expect("tempdir");
        let e = Config::load_with_env(t.path(), None, &Overrides::default(), no_env)
            .expect_err("must fail");
        assert!(e.is_config());
        assert!(e.to_string().contains("static_root"));
    }
}
