//! [`StaticFiles`]: the handle on a source of files, its builders, the
//! template helpers, and the [`tower::Layer`] that wraps a service with it.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use globset::Glob;
use http::{HeaderName, HeaderValue};
use rcollect_core::Config;
use rcollect_core::checks::{self, Level, Scope};
use rcollect_core::hash::Digests;

use crate::dev::Dev;
use crate::error::{Error, MissingAsset};
use crate::load::Loaded;
use crate::newer::Newer;
use crate::root::RootFiles;
use crate::settings::{HeaderRule, Settings};
use crate::source::Source;
use crate::table::Table;

/// The collected static files, ready to serve: a cheaply cloneable handle
/// (an `Arc` inside).
///
/// It is a [`tower::Layer`]: the wrapped service answers GET and HEAD
/// requests under STATIC_URL that name a known file and passes every other
/// request to the inner service unchanged. It also provides the template
/// helpers [`static_url`](Self::static_url) and
/// [`integrity`](Self::integrity).
///
/// ```no_run
/// # fn main() -> Result<(), tower_rcollect::Error> {
/// use tower_rcollect::StaticFiles;
/// let files = StaticFiles::from_manifest("/srv/static", "/static/")?
///     .max_age(300)
///     .header_for("**/*.js", "cross-origin-resource-policy", "same-site")?;
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .layer(files.clone());
/// let href = files.static_url("css/app.css").unwrap_or_default();
/// # let _ = (app, href); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StaticFiles {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) source: Source,
    /// URL path the files are mounted at (`/static/`).
    pub(crate) mount: String,
    /// STATIC_URL as configured (may be absolute), for the helpers.
    pub(crate) url_prefix: String,
    pub(crate) settings: Settings,
    table: OnceLock<Arc<Table>>,
    /// Files served at `/` (`root_dir`).
    pub(crate) root: Option<Arc<RootFiles>>,
    /// The names of a newer release collected into the same STATIC_ROOT.
    pub(crate) newer: Option<Arc<Newer>>,
    /// The names of a newer release published to the same store.
    #[cfg(feature = "store")]
    pub(crate) store_newer: Option<Arc<crate::newer::StoreNewer>>,
}

impl Clone for Inner {
    fn clone(&self) -> Self {
        Inner {
            source: self.source.clone(),
            mount: self.mount.clone(),
            url_prefix: self.url_prefix.clone(),
            settings: self.settings.clone(),
            table: OnceLock::new(),
            root: self.root.clone(),
            newer: self.newer.clone(),
            #[cfg(feature = "store")]
            store_newer: self.store_newer.clone(),
        }
    }
}

impl StaticFiles {
    /// Loads `root/staticfiles.json` (written by `rcollect collectstatic` or
    /// by Django's `ManifestStaticFilesStorage`) and serves it under
    /// `static_url` (`/static/`, or an absolute URL such as
    /// `https://cdn.example.com/static/`, whose path part is served).
    ///
    /// # Errors
    /// The manifest is missing, unreadable or invalid (the error names the
    /// file and the reason), or `static_url` does not end with `/`.
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
        let mount =
            crate::path::mount_path(static_url).map_err(|m| Error::setting("static_url", m))?;
        // Stamped before loading: a manifest replaced meanwhile is "newer".
        let newer = Newer::new(root, max_bytes);
        let loaded = Loaded::load(root, max_bytes)?;
        let mut files = Self::build(Source::Manifest(Arc::new(loaded)), mount, static_url);
        Arc::make_mut(&mut files.inner).newer = Some(Arc::new(newer));
        Ok(files)
    }

    /// Builds from a loaded configuration: STATIC_ROOT's manifest, or the
    /// source dirs when `config.debug` is set; the `[serve]` table applies.
    /// The configuration checks run, and those that concern serving
    /// ([`Scope::SERVE`], or [`Scope::DEV`] in dev mode) apply: an
    /// error-level finding fails start-up with its ID and hint (as Django
    /// refuses to start), warnings are logged with `tracing`. Findings only
    /// about collecting (source dirs when serving STATIC_ROOT, a read-only
    /// STATIC_ROOT) are skipped.
    ///
    /// # Errors
    /// [`Error::Checks`] for error-level findings; as
    /// [`from_manifest`](Self::from_manifest), plus invalid `[serve]`
    /// values (header rules, MIME types).
    pub fn from_config(config: &Config) -> Result<Self, Error> {
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
                Level::Warning => tracing::warn!("{}: {} ({})", f.id, f.message, f.hint),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Checks { findings: errors });
        }
        let files = if config.debug {
            Self::dev(config)?
        } else {
            Self::from_manifest_capped(
                &config.static_root,
                &config.static_url,
                config.manifest_max_size,
            )?
        };
        files.serve_settings(config)
    }

    /// Applies `config`'s `[serve]` table and `root_dir`.
    fn serve_settings(self, config: &Config) -> Result<Self, Error> {
        let s = &config.serve;
        let mut files = self
            .max_age(s.max_age)
            .index_file(s.index)
            .memory_max_file(s.memory_max_file)
            .memory_budget(s.memory_budget)
            .allow_all_origins(s.allow_all_origins)
            .dictionaries(s.dictionaries)
            .history(s.retention().versions, s.retention().max_age);
        if let Some(dir) = &config.root_dir {
            files = files.root_dir(dir)?;
        }
        for (i, rule) in s.headers.iter().enumerate() {
            files = files
                .header_for(&rule.glob, &rule.name, &rule.value)
                .map_err(|e| match e {
                    Error::Setting { key, message } => {
                        Error::setting(format!("serve.headers[{i}].{key}"), message)
                    }
                    other => other,
                })?;
        }
        for (ext, ty) in &s.mime_types {
            files = files.mime_type(ext, ty)?;
        }
        Ok(files)
    }

    /// For files published to object storage (`static_root = "s3://…"`)
    /// and served by a CDN: loads the live manifest from the store, so that
    /// [`static_url`](Self::static_url) (with an absolute `static_url` such
    /// as `https://cdn.example.com/static/`) and
    /// [`integrity`](Self::integrity) work. Nothing is served locally: every
    /// request goes to the inner service ([`serve_from_store`](Self::serve_from_store)
    /// serves them). Needs the `store` feature.
    ///
    /// # Errors
    /// `config.static_root` is not an object-store URL, the store cannot be
    /// reached, or it has no valid manifest.
    #[cfg(feature = "store")]
    pub async fn from_store(config: &Config) -> Result<Self, Error> {
        let (storage, store) = open_store(config)?;
        let manifest = store
            .manifest()
            .await?
            .ok_or_else(|| Error::MissingManifest {
                path: format!("{}/{}", storage.url, rcollect_core::manifest::MANIFEST_NAME).into(),
            })?;
        let mount = crate::path::mount_path(&config.static_url)
            .map_err(|m| Error::setting("static_url", m))?;
        Ok(Self::build(
            Source::Manifest(Arc::new(Loaded::urls_only(&manifest))),
            mount,
            &config.static_url,
        ))
    }

    /// Serves the files published to object storage (`static_root =
    /// "s3://…"`) itself, reading each object from the store on its first
    /// request and keeping it in memory within the limits (ranges of larger
    /// ones are read as asked): for an app that is the CDN's origin, or
    /// several instances without a shared disk. The same HTTP semantics as
    /// [`from_manifest`](Self::from_manifest), deltas and the history
    /// versions still in the store (within the `[serve]` retention)
    /// included; `[serve]` and `root_dir` apply as in
    /// [`from_config`](Self::from_config). Start-up costs one `LIST` of
    /// the prefix and a `GET` per manifest version. Needs the `store`
    /// feature.
    ///
    /// # Errors
    /// As [`from_store`](Self::from_store), a manifest without rcollect's
    /// `files` metadata, and invalid `[serve]` values.
    #[cfg(feature = "store")]
    pub async fn serve_from_store(config: &Config) -> Result<Self, Error> {
        let (storage, store) = open_store(config)?;
        let releases = store.releases().await?;
        let label = format!("{}/{}", storage.url, rcollect_core::manifest::MANIFEST_NAME);
        let live = releases
            .live
            .as_ref()
            .ok_or_else(|| Error::MissingManifest {
                path: label.clone().into(),
            })?;
        if live.files.is_empty() && !live.paths.is_empty() {
            return Err(Error::manifest(
                Path::new(&label),
                "no `files` metadata (not written by rcollect)",
            ));
        }
        let mount = crate::path::mount_path(&config.static_url)
            .map_err(|m| Error::setting("static_url", m))?;
        let root = Path::new("");
        let mut loaded = Loaded::from_manifest(root, Path::new(&label), live, false)?;
        let ranked = releases
            .ranked()
            .into_iter()
            .map(|(rank, retired, m)| (rank, retired, m.clone()));
        let sizes = &releases.sizes;
        loaded.add_versions(ranked, root, |key, size| {
            key.to_str()
                .and_then(|k| sizes.get(k))
                .is_some_and(|s| *s == size)
        });
        loaded.origin = crate::open::Origin::Store(Arc::new(store.clone()));
        let mut files = Self::build(
            Source::Manifest(Arc::new(loaded)),
            mount,
            &config.static_url,
        );
        let watch = crate::newer::StoreNewer::new(store, live.clone());
        Arc::make_mut(&mut files.inner).store_newer = Some(Arc::new(watch));
        files.serve_settings(config)
    }

    /// Dev mode: serves the source dirs of `config` directly (first dir that
    /// has a path wins, ignore patterns apply), with `Cache-Control:
    /// no-cache`, picking up edits without a restart. No manifest is needed.
    ///
    /// # Errors
    /// `static_url` is invalid or an ignore glob does not compile.
    pub fn dev(config: &Config) -> Result<Self, Error> {
        let mount = crate::path::mount_path(&config.static_url)
            .map_err(|m| Error::setting("static_url", m))?;
        let dev = Dev::new(config).map_err(rcollect_core::Error::from)?;
        Ok(Self::build(
            Source::Dev(Arc::new(dev)),
            mount,
            &config.static_url,
        ))
    }

    pub(crate) fn build(source: Source, mount: String, static_url: &str) -> Self {
        StaticFiles {
            inner: Arc::new(Inner {
                source,
                mount,
                url_prefix: static_url.to_string(),
                settings: Settings::default(),
                table: OnceLock::new(),
                root: None,
                newer: None,
                #[cfg(feature = "store")]
                store_newer: None,
            }),
        }
    }

    fn update(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        f(&mut inner.settings);
        inner.table = OnceLock::new();
        self
    }

    /// `max-age` in seconds for unhashed names (default 60). Hashed names are
    /// always `public, max-age=31536000, immutable`.
    pub fn max_age(self, seconds: u64) -> Self {
        self.update(|s| s.max_age = seconds)
    }

    /// Serve `dir/index.html` for `/static/dir/`, and redirect `/static/dir`
    /// there with 301 (default off).
    pub fn index_file(self, enabled: bool) -> Self {
        self.update(|s| s.index = enabled)
    }

    /// Files up to this size are kept in memory after their first request
    /// (default 256 KiB); larger ones stream from disk.
    pub fn memory_max_file(self, bytes: u64) -> Self {
        self.update(|s| s.memory_max_file = bytes)
    }

    /// At most this many bytes are kept in memory in total (default 256 MiB);
    /// once it is used up, further files stream from disk.
    pub fn memory_budget(self, bytes: u64) -> Self {
        self.update(|s| s.memory_budget = bytes)
    }

    /// Serves the files of `dir` at the site root (`/robots.txt`,
    /// `/favicon.ico`), unhashed, with the short `max_age` caching; as
    /// whitenoise's `WHITENOISE_ROOT`. The directory is listed now: files
    /// added later are not served until the next start. Requests under the
    /// mount path are looked up there first.
    ///
    /// # Errors
    /// `dir` cannot be listed ([`Error::Io`] naming it).
    pub fn root_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        let root = RootFiles::scan(dir.as_ref())?;
        tracing::debug!(
            "root_dir {}: {} files served at /",
            dir.as_ref().display(),
            root.len()
        );
        Arc::make_mut(&mut self.inner).root = Some(Arc::new(root));
        Ok(self)
    }

    /// `Access-Control-Allow-Origin: *` on every static response (default
    /// on, like whitenoise): web fonts, module scripts and `fetch()`es
    /// served from a CDN domain need it. A [`header_for`](Self::header_for)
    /// rule for the same header replaces it on the files it matches.
    pub fn allow_all_origins(self, enabled: bool) -> Self {
        self.update(|s| s.allow_all_origins = enabled)
    }

    /// Compression dictionaries (RFC 9842), default on: hashed text files
    /// are sent with `Use-As-Dictionary: match="…"`, a pattern covering
    /// their future hashed names, and a request whose `Available-Dictionary`
    /// names a previous version that collect wrote a delta against is
    /// answered with that delta (`Content-Encoding: dcb` or `dcz`).
    pub fn dictionaries(self, enabled: bool) -> Self {
        self.update(|s| s.dictionaries = enabled)
    }

    /// Which previous manifest versions (kept by collect as
    /// `staticfiles.<time>.json`) still have their files served, so that
    /// pages rendered by the other release of a rolling deploy keep working:
    /// the newest `versions` counting the live one (default 2), and any
    /// version retired less than `max_age` ago (default 1 hour). Names of
    /// a newer release collected into the same STATIC_ROOT are found too.
    pub fn history(self, versions: usize, max_age: std::time::Duration) -> Self {
        self.update(|s| {
            s.retention = rcollect_core::history::Retention { versions, max_age };
        })
    }

    /// Adds header `name: value` to responses for files whose logical path
    /// matches `glob` (`fonts/*.woff2`, `**/*.js`), e.g. CORS headers.
    ///
    /// # Errors
    /// The glob, name or value is invalid ([`Error::Setting`]).
    pub fn header_for(self, glob: &str, name: &str, value: &str) -> Result<Self, Error> {
        let glob = Glob::new(glob)
            .map_err(|e| Error::setting("glob", format!("'{glob}': {e}")))?
            .compile_matcher();
        let name = HeaderName::try_from(name)
            .map_err(|_| Error::setting("name", format!("'{name}' is not a header name")))?;
        let value = HeaderValue::try_from(value)
            .map_err(|_| Error::setting("value", format!("'{value}' is not a header value")))?;
        Ok(self.update(|s| s.headers.push(HeaderRule { glob, name, value })))
    }

    /// Sends `content_type` for files with extension `ext` (without the
    /// dot, case-insensitive), overriding the manifest.
    ///
    /// # Errors
    /// `content_type` is not a valid header value ([`Error::Setting`]).
    pub fn mime_type(self, ext: &str, content_type: &str) -> Result<Self, Error> {
        let value = HeaderValue::try_from(content_type).map_err(|_| {
            Error::setting(
                format!("serve.mime_types.{ext}"),
                format!("'{content_type}' is not a header value"),
            )
        })?;
        let ext = ext.trim_start_matches('.').to_ascii_lowercase();
        Ok(self.update(|s| {
            s.mime_types.insert(ext, value);
        }))
    }

    /// The URL of a logical path: STATIC_URL plus the hashed name
    /// (`/static/css/app.3f2a1b9c8d7e.css`), or the logical name in dev mode.
    /// The name is percent-encoded where needed, HTML specials (`"&'<>`)
    /// included, so the result can go into an HTML attribute unescaped.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn static_url(&self, logical: &str) -> Result<String, MissingAsset> {
        let name = match &self.inner.source {
            Source::Manifest(l) => l.logical.get(logical).map(|(h, _)| h.as_str()),
            Source::Dev(d) => d.locator.locate(logical).map(|_| logical),
        };
        match name {
            Some(n) => Ok(rcollect_core::paths::static_url(&self.inner.url_prefix, n)),
            None => Err(MissingAsset {
                path: logical.to_string(),
            }),
        }
    }

    /// The Subresource Integrity value (`sha384-…`) of a logical path, for
    /// `<script integrity="…">`. In dev mode it is computed from the source
    /// file on each call.
    ///
    /// # Errors
    /// The path is not in the manifest (in dev mode: in no source dir).
    pub fn integrity(&self, logical: &str) -> Result<String, MissingAsset> {
        let missing = || MissingAsset {
            path: logical.to_string(),
        };
        match &self.inner.source {
            Source::Manifest(l) => l
                .logical
                .get(logical)
                .map(|(_, r)| r.integrity.clone())
                .ok_or_else(missing),
            Source::Dev(d) => {
                let file = d.locator.locate(logical).ok_or_else(missing)?;
                Ok(Digests::of_file(&file).map_err(|_| missing())?.integrity())
            }
        }
    }

    /// True in dev mode (serving the source dirs).
    pub fn is_dev(&self) -> bool {
        matches!(self.inner.source, Source::Dev(_))
    }

    /// The URL path the files are served under (`/static/`).
    pub fn mount_path(&self) -> &str {
        &self.inner.mount
    }

    /// How many URL names are served (hashed and unhashed; 0 in dev mode).
    pub fn len(&self) -> usize {
        self.table().routes.len()
    }

    /// True when nothing is served (an empty manifest; always in dev mode).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The route table for the current settings, built on first use.
    pub(crate) fn table(&self) -> Arc<Table> {
        self.inner
            .table
            .get_or_init(|| match &self.inner.source {
                Source::Manifest(l) => {
                    Arc::new(Table::build(l, &self.inner.settings, &self.inner.mount))
                }
                Source::Dev(_) => Arc::new(Table::default()),
            })
            .clone()
    }
}

/// The store `config.static_root` names, opened.
#[cfg(feature = "store")]
fn open_store(
    config: &Config,
) -> Result<(&rcollect_core::config::StorageConfig, rcollect_store::Store), Error> {
    let storage = config.storage.as_ref().ok_or_else(|| {
        Error::setting(
            "static_root",
            "not an object-store URL (s3://bucket/prefix)",
        )
    })?;
    let store =
        rcollect_store::Store::open(storage)?.with_manifest_max_size(config.manifest_max_size);
    Ok((storage, store))
}
