//! Configuration: `rcollect.toml`, then `RCOLLECT_*` environment variables,
//! then command-line overrides. Relative paths in the file are relative to
//! the file's directory; relative paths from the environment or flags are
//! relative to the current directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

mod load;
mod raw;

pub use load::{CONFIG_ENV, DEBUG_ENV, Discovery, Overrides};
// Recorded in the manifest, which defines them; set here.
pub use crate::manifest::{Linking, SourceMapMode};

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
    /// The largest manifest file (live or history version) read, in bytes:
    /// anything larger is an error naming it, never unbounded memory
    /// ([`crate::manifest::read`]).
    pub manifest_max_size: u64,
    /// Which precompressed variants to write.
    pub compress: CompressConfig,
    /// Bundler output in the source dirs ([`crate::bundler`]).
    pub bundler: BundlerConfig,
    /// How JS modules find each other ([`crate::importmap`]).
    pub js: JsConfig,
    /// Who gets the source maps.
    pub sourcemaps: SourceMapsConfig,
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
    /// `min_saving` against the brotli variant. (Written `dictionaries` up
    /// to 0.1; that name is still read. `[serve] dictionaries` is the
    /// switch that offers files as dictionaries.)
    #[serde(alias = "dictionaries")]
    pub deltas: usize,
}

impl Default for CompressConfig {
    fn default() -> Self {
        CompressConfig {
            gzip: true,
            brotli: true,
            zstd: false,
            min_saving: 0.05,
            deltas: 2,
        }
    }
}

/// The `[bundler]` table: output of Vite, esbuild or trunk in the source
/// dirs, taken as it is ([`crate::bundler`]). A source dir holding
/// `.vite/manifest.json` needs nothing here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BundlerConfig {
    /// Vite manifests besides those found as `<source dir>/.vite/manifest.json`
    /// (absolute; relative ones in the file are relative to it).
    pub manifests: Vec<PathBuf>,
    /// esbuild metafiles (`--metafile=…`), whose `outputs` are taken as
    /// hashed.
    pub metafiles: Vec<PathBuf>,
    /// Naming schemes whose files are taken as hashed wherever they are:
    /// `vite`, `esbuild`, `trunk`, or a regular expression over the file
    /// name with a group named `hash`.
    pub hashed_names: Vec<String>,
    /// Vite's dev server, where `vite_entry` points in dev mode (the URL
    /// of its `base`, e.g. `http://localhost:5173/static/`).
    pub dev_server: Option<String>,
}

/// The `[js]` table: how JS modules find each other.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsConfig {
    /// `rewrite` (the default): module specifiers are rewritten to hashed
    /// names, so an edit renames every module that imports the changed one,
    /// transitively. `importmap`: specifiers are left as written and an
    /// import map (`importmap.json`, the `importmap()` helper) maps each
    /// module's URL to its hashed URL, with its `integrity`: an edit
    /// renames that one module.
    pub linking: Linking,
    /// Bare specifiers for the import map: `"lit" = "vendor/lit/index.js"`
    /// (a logical path), or a prefix, `"lit/" = "vendor/lit/"`, which maps
    /// every module under it.
    pub imports: BTreeMap<String, String>,
}

/// The `[sourcemaps]` table: who gets the source maps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceMapsConfig {
    /// `public` (the default), `hidden` or `private`.
    pub mode: SourceMapMode,
}

/// The environment variable that holds the token of private source maps
/// (`[sourcemaps] mode = "private"`), read by the middleware's
/// `from_config` and `rcollect serve`. Never in `rcollect.toml` nor in the
/// manifest.
pub const SOURCEMAP_TOKEN_ENV: &str = "RCOLLECT_SOURCEMAP_TOKEN";

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
    /// The most bytes of the `Link` header of preloads sent with an HTML
    /// page (`preload_layer`; `rcollect serve`'s `Link` and `103 Early
    /// Hints`), the files nearest to the entries first (default 3072: an
    /// nginx in front answers 502 when a response's headers pass its 4 KiB
    /// `proxy_buffer_size`); 0 sends none.
    pub link_max_bytes: usize,
    /// `Integrity-Policy: blocked-destinations=(script)` on every HTML
    /// response that passes through the middleware (and HTML pages it
    /// serves): the browser refuses any script without integrity metadata
    /// (default off; see `importmap()`).
    pub integrity_policy: bool,
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
            integrity_policy: false,
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
            manifest_max_size: crate::manifest::MAX_MANIFEST_BYTES,
            compress: CompressConfig::default(),
            bundler: BundlerConfig::default(),
            js: JsConfig::default(),
            sourcemaps: SourceMapsConfig::default(),
            serve: ServeConfig::default(),
            storage: None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::path::Path;

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
    fn the_config_is_found_upward_then_next_to_the_executable_and_the_error_says_where() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("project");
        let deep = project.join("a/b");
        let bin = t.path().join("opt/app");
        std::fs::create_dir_all(&deep).expect("mkdir");
        std::fs::create_dir_all(&bin).expect("mkdir");
        // Nowhere: every directory up to / and the executable's were tried.
        let d = Config::discover(&deep, Some(&bin));
        assert_eq!(d.found, None);
        assert_eq!(d.tried.first(), Some(&deep.join(CONFIG_FILE_NAME)));
        assert_eq!(d.tried.last(), Some(&bin.join(CONFIG_FILE_NAME)));
        assert!(d.tried.contains(&project.join(CONFIG_FILE_NAME)));
        // Next to the executable (a deployed binary, run from elsewhere).
        write(&bin, "static_root = \"s\"\n");
        let d = Config::discover(&deep, Some(&bin));
        assert_eq!(d.found, Some(bin.join(CONFIG_FILE_NAME)));
        // In a parent of the working directory: that one first.
        write(&project, "static_root = \"s\"\n");
        let d = Config::discover(&deep, Some(&bin));
        assert_eq!(d.found, Some(project.join(CONFIG_FILE_NAME)));
        assert_eq!(d.tried.len(), 3);

        // The error of a run where none is found names the paths tried.
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).expect("mkdir");
        let e = Config::load_with_env(&elsewhere, None, &Overrides::default(), no_env)
            .expect_err("no static_root")
            .to_string();
        assert!(e.contains("no rcollect.toml found"), "{e}");
        assert!(
            e.contains(&format!("{}", elsewhere.join(CONFIG_FILE_NAME).display())),
            "{e}"
        );
        assert!(e.contains("RCOLLECT_CONFIG"), "{e}");
        // RCOLLECT_CONFIG names the file; relative to the working directory.
        let env = |k: &str| (k == CONFIG_ENV).then(|| "../project/rcollect.toml".to_string());
        let c = Config::load_with_env(&elsewhere, None, &Overrides::default(), env).expect("load");
        assert_eq!(c.config_file, Some(project.join(CONFIG_FILE_NAME)));
        assert_eq!(c.static_root, project.join("s"));
        let env = |k: &str| (k == CONFIG_ENV).then(|| "nope.toml".to_string());
        let e = Config::load_with_env(&elsewhere, None, &Overrides::default(), env)
            .expect_err("not a file")
            .to_string();
        assert!(
            e.contains("RCOLLECT_CONFIG") && e.contains("nope.toml"),
            "{e}"
        );
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
