//! [`StaticFiles`]: the handle on a source of files and its builders. Each
//! constructor lives with the source it builds (`source::{load, dev,
//! embed, store}`), [`from_config`](StaticFiles::from_config) and
//! [`setup`](StaticFiles::setup) with the configuration (`setup`), the
//! template helpers with the tags (`templates`), the [`tower::Layer`] with
//! the service (`serve`).

use std::sync::{Arc, OnceLock};

use globset::Glob;
use http::{HeaderName, HeaderValue};
use rcollect_core::url::StaticUrl;

use crate::settings::{HeaderRule, Settings};
use crate::source::Source;
use crate::source::newer::Newer;
use crate::source::root::RootDir;
use crate::source::table::Table;

/// The collected static files, ready to serve: a cheaply cloneable handle
/// (an `Arc` inside).
///
/// It is a [`tower::Layer`]: the wrapped service answers the requests under
/// STATIC_URL (and, with [`root_dir`](Self::root_dir), at the site root)
/// that name a file it serves (GET and HEAD; other methods get 405), gives
/// an unknown hashed-looking name a `no-store` 404 (it may belong to
/// another release of a rolling deploy), and passes every other request to
/// the inner service with the `StaticFiles` in its extensions. It also
/// provides the template helpers [`static_url`](Self::static_url),
/// [`integrity`](Self::integrity) and the tags.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_rcollect::StaticFiles;
/// let files = StaticFiles::from_manifest("/srv/static", "/static/")?
///     .max_age(300)
///     .header_for(
///         globset::Glob::new("**/*.js")?,
///         http::HeaderName::from_static("cross-origin-resource-policy"),
///         http::HeaderValue::from_static("same-site"),
///     );
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
    /// STATIC_URL: what URLs start with, and the path it is mounted at.
    pub(crate) url: StaticUrl,
    pub(crate) settings: Settings,
    table: OnceLock<Arc<Table>>,
    /// The import map's JSON (`importmap()`), built on first use.
    pub(crate) importmap: OnceLock<Arc<str>>,
    /// Files served at `/` (`root_dir`).
    pub(crate) root: Option<Arc<RootDir>>,
    /// The names of a newer release (collected into the same STATIC_ROOT,
    /// or published to the same store).
    pub(crate) newer: Option<Arc<Newer>>,
}

impl Clone for Inner {
    fn clone(&self) -> Self {
        Inner {
            source: self.source.clone(),
            url: self.url.clone(),
            settings: self.settings.clone(),
            table: OnceLock::new(),
            importmap: self.importmap.clone(),
            root: self.root.clone(),
            newer: self.newer.clone(),
        }
    }
}

impl StaticFiles {
    pub(crate) fn build(source: Source, url: StaticUrl) -> Self {
        StaticFiles {
            inner: Arc::new(Inner {
                source,
                url,
                settings: Settings::default(),
                table: OnceLock::new(),
                importmap: OnceLock::new(),
                root: None,
                newer: None,
            }),
        }
    }

    /// Watches for a newer release's names (rolling deploys).
    pub(crate) fn with_newer(mut self, newer: Newer) -> Self {
        Arc::make_mut(&mut self.inner).newer = Some(Arc::new(newer));
        self
    }

    fn update(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        f(&mut inner.settings);
        inner.table = OnceLock::new();
        self
    }

    /// `max-age` in seconds for unhashed names (`[serve] max_age`, default
    /// 60). Hashed names are always `public, max-age=31536000, immutable`.
    pub fn max_age(self, seconds: u64) -> Self {
        self.update(|s| s.max_age = seconds)
    }

    /// Serve `dir/index.html` for `/static/dir/` (and `/` for `root_dir`),
    /// and redirect `/static/dir` there with 301 (`[serve] index`, default
    /// off).
    pub fn index(self, enabled: bool) -> Self {
        self.update(|s| s.index = enabled)
    }

    /// Files up to this size are kept in memory after their first request
    /// (`[serve] memory_max_file`, default 256 KiB); larger ones stream from
    /// disk.
    pub fn memory_max_file(self, bytes: u64) -> Self {
        self.update(|s| s.memory_max_file = bytes)
    }

    /// At most this many bytes are kept in memory in total (`[serve]
    /// memory_budget`, default 256 MiB); once it is used up, further files
    /// stream from disk.
    pub fn memory_budget(self, bytes: u64) -> Self {
        self.update(|s| s.memory_budget = bytes)
    }

    /// Serves the files of a listed directory at the site root
    /// (`/robots.txt`, `/favicon.ico`), unhashed, with the short `max_age`
    /// caching; as whitenoise's `WHITENOISE_ROOT` (`root_dir`). Requests
    /// under the mount path are looked up there first.
    pub fn root_dir(mut self, dir: RootDir) -> Self {
        Arc::make_mut(&mut self.inner).root = Some(Arc::new(dir));
        self
    }

    /// `Access-Control-Allow-Origin: *` on every static response
    /// (`[serve] allow_all_origins`, default on, like whitenoise): web
    /// fonts, module scripts and `fetch()`es served from a CDN domain need
    /// it. A [`header_for`](Self::header_for) rule for the same header
    /// replaces it on the files it matches.
    pub fn allow_all_origins(self, enabled: bool) -> Self {
        self.update(|s| s.allow_all_origins = enabled)
    }

    /// Compression dictionaries (RFC 9842; `[serve] dictionaries`, default
    /// on): hashed text files are sent with `Use-As-Dictionary: match="…"`,
    /// a pattern covering their future hashed names, and a request whose
    /// `Available-Dictionary` names a previous version that collect wrote a
    /// delta against is answered with that delta (`Content-Encoding: dcb`
    /// or `dcz`).
    pub fn dictionaries(self, enabled: bool) -> Self {
        self.update(|s| s.dictionaries = enabled)
    }

    /// How many manifest versions (kept by collect as
    /// `staticfiles.<time>.json`) have their files served, counting the
    /// live one (`[serve] history_versions`, default 2), so that pages
    /// rendered by the other release of a rolling deploy keep working.
    pub fn history_versions(self, versions: usize) -> Self {
        self.update(|s| s.retention.versions = versions)
    }

    /// Also serve the files of any version retired less than this long ago
    /// (`[serve] history_max_age`, default 1 hour).
    pub fn history_max_age(self, age: std::time::Duration) -> Self {
        self.update(|s| s.retention.max_age = age)
    }

    /// Adds header `name: value` to responses for files whose logical path
    /// matches `glob` (`fonts/*.woff2`, `**/*.js`), e.g. CORS headers
    /// (`[serve] headers`). A later rule for the same header wins.
    pub fn header_for(self, glob: Glob, name: HeaderName, value: HeaderValue) -> Self {
        let glob = glob.compile_matcher();
        self.update(|s| s.headers.push(HeaderRule { glob, name, value }))
    }

    /// Sends `content_type` for files with extension `ext` (without the
    /// dot, case-insensitive), overriding the manifest (`[serve]
    /// mime_types`).
    pub fn mime_type(self, ext: &str, content_type: HeaderValue) -> Self {
        let ext = ext.trim_start_matches('.').to_ascii_lowercase();
        self.update(|s| {
            s.mime_types.insert(ext, content_type);
        })
    }

    /// The largest `Link` header [`preload_layer`](Self::preload_layer)
    /// sends, in bytes (`[serve] link_max_bytes`, default 3072; 0 sends none).
    pub fn link_max_bytes(self, bytes: usize) -> Self {
        self.update(|s| s.link_max_bytes = bytes)
    }

    /// Sends `Integrity-Policy: blocked-destinations=(script)` with every
    /// HTML response that passes through the layer (`[serve]
    /// integrity_policy`, default off): the browser then refuses every
    /// script without integrity metadata, so a page runs only modules the
    /// manifest vouches for. Put [`importmap`](Self::importmap) first in
    /// the page (it gives every module's `integrity`, dynamic imports
    /// included) and write scripts with the tag helpers (their
    /// `integrity` attributes). Leaves a response that already has the
    /// header alone.
    pub fn integrity_policy(self, enabled: bool) -> Self {
        self.update(|s| s.integrity_policy = enabled)
    }

    /// Where [`vite_entry`](Self::vite_entry) points in dev mode: the URL of
    /// Vite's dev server at its `base` (`[bundler] dev_server`, e.g.
    /// `http://localhost:5173/static/`).
    pub fn vite_dev_server(self, url: impl Into<String>) -> Self {
        let mut url = url.into();
        if !url.ends_with('/') {
            url.push('/');
        }
        self.update(|s| s.vite_dev_server = Some(url))
    }

    /// The token that unlocks private source maps (a manifest collected
    /// with `[sourcemaps] mode = "private"`): a request for a file whose
    /// logical path ends in `.map` is answered only when it carries this
    /// token in the [`SourceMap-Token`](crate::SOURCEMAP_TOKEN_HEADER)
    /// header or the [`rcollect_sourcemap_token`](crate::SOURCEMAP_TOKEN_COOKIE)
    /// cookie (compared in constant time), with `Cache-Control: private,
    /// no-store`; any other request gets a `no-store` 404, as for a name
    /// that does not exist. DevTools sends the page's cookies with its
    /// source-map requests, not custom headers: set the cookie for the
    /// site to debug with stock DevTools. Without a token (or with an
    /// empty one) private maps are refused to everyone, with a warning
    /// when the table is built. No effect in other modes, nor in dev mode.
    ///
    /// [`from_config`](Self::from_config), [`from_env`](Self::from_env),
    /// [`setup`](Self::setup) and `from_store` take it from the
    /// `RCOLLECT_SOURCEMAP_TOKEN` environment variable; with
    /// [`from_manifest`](Self::from_manifest) or
    /// [`embedded`](Self::embedded), call this. Keep it out of
    /// `rcollect.toml` and the repository.
    pub fn sourcemap_token(self, token: impl Into<String>) -> Self {
        let token = crate::sourcemap::Token::new(&token.into()).map(Arc::new);
        self.update(|s| s.sourcemap_token = token)
    }

    /// True in dev mode (serving the source dirs).
    pub fn is_dev(&self) -> bool {
        matches!(self.inner.source, Source::Dev(_))
    }

    /// The URL path the files are served under (`/static/`).
    pub fn mount_path(&self) -> &str {
        self.inner.url.mount_path()
    }

    /// How many URL names are answered (hashed and unhashed, hidden and
    /// private source maps included; 0 in dev mode).
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
                Source::Manifest(l) => Arc::new(Table::build(
                    l,
                    &self.inner.settings,
                    self.inner.url.mount_path(),
                )),
                Source::Dev(_) => Arc::new(Table::default()),
            })
            .clone()
    }
}
