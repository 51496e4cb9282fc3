//! Tower middleware that serves collected static files from the manifest
//! (`staticfiles.json`) written by `rcollect collectstatic` or by Django's
//! `ManifestStaticFilesStorage`, the way whitenoise does for Python apps.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # std::fs::create_dir_all(dir.path().join("static/css"))?;
//! # std::fs::write(dir.path().join("static/css/app.css"), "body { margin: 0 }")?;
//! # std::fs::write(dir.path().join("rcollect.toml"), "static_root = \"staticfiles\"\ndirs = [\"static\"]\n")?;
//! # let config = tower_rcollect::Config::load(dir.path(), None, &Default::default())?;
//! # rcollect_core::collect::collect(&config, &Default::default())?;
//! # let rcollect_toml = dir.path().join("rcollect.toml");
//! use tower_rcollect::StaticFiles;
//! // After `rcollect collectstatic`: STATIC_ROOT holds hashed names and a manifest.
//! let files = StaticFiles::from_config_file(rcollect_toml)?; // or from_env()
//! let app: axum::Router = axum::Router::new()
//!     .route("/", axum::routing::get(|| async { "hello" }))
//!     .layer(files.clone());
//! let css = files.static_url("css/app.css")?;
//! assert!(css.starts_with("/static/css/app.") && css.ends_with(".css") && css.len() == 32);
//! # let _ = app; Ok(()) }
//! ```
//!
//! What it does, per request under STATIC_URL that names a known file:
//!
//! * only names in the manifest are served (hashed names, and unhashed ones
//!   when the manifest says they were kept): the request path is a key into a
//!   table built at start-up, never joined onto a filesystem path (except in
//!   [dev mode](StaticFiles::dev));
//! * `Accept-Encoding` negotiation with q-values over the precompressed
//!   variants (`br`, `zstd`, `gzip`), `Vary: Accept-Encoding`;
//! * strong ETags per representation, `Last-Modified`, `If-None-Match` /
//!   `If-Modified-Since` → 304, `Range` / `If-Range` → 206 or 416;
//! * `Cache-Control: public, max-age=31536000, immutable` on hashed names,
//!   `public, max-age=N` on unhashed ones, `no-cache` in dev mode;
//! * `HEAD`; other methods get 405; unknown names go to the inner service;
//! * optional `index.html` for directory paths, with a 301 to add the slash.
//!
//! Choices worth knowing:
//!
//! * A request for several ranges gets the whole file (200): multipart
//!   responses are almost never used for assets and cost a copy.
//! * Header values (types, ETags per encoding, `Last-Modified`,
//!   `Cache-Control`, `Content-Length`) are prepared at start-up. File bytes
//!   are read on the first request for them and then kept in memory (files up
//!   to `memory_max_file`, within `memory_budget`), so start-up time and
//!   memory follow what is actually requested, not the size of the tree.
//!   Larger files are streamed from disk in 128 KiB chunks.
//! * Paths that are not clean after one percent-decoding (`..`, `%2f`,
//!   backslashes, NUL, invalid UTF-8) are never looked up; they go to the
//!   inner service like any unknown path, so the app decides the 404. The
//!   path is decoded exactly once: `%252e` names a file called `%2e`, and
//!   `100%25.svg` the file `100%.svg`.
//!
//! Modules, one concept each, in the order a request meets them:
//! `service` (the tower service) → `path` (request path normalisation) →
//! `source` (manifest `table`, built by `load`, or `dev` mode's source dirs)
//! resolves an `asset` → `request` (the one pipeline: method, `negotiate`
//! (Accept-Encoding), `conditional` (If-None-Match, If-Modified-Since,
//! If-Range), `range`, `respond` (headers)) → `future` → `open` (reading the
//! bytes, the memory cache) → `body`. `files` holds the [`StaticFiles`]
//! handle and its builders, `settings` what they set.
//!
//! The `fuzzing` feature adds a hidden `fuzzing` module (wrappers around the
//! request parsers for `fuzz/` and the property tests); it is not a stable
//! API.
#![deny(unsafe_code)]

mod asset;
mod body;
mod conditional;
mod dev;
mod dictionary;
mod embed;
mod engines;
mod error;
mod files;
mod future;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod load;
mod negotiate;
mod newer;
mod open;
mod pages;
mod path;
mod preload;
mod range;
mod request;
mod respond;
mod root;
mod service;
mod settings;
mod setup;
mod source;
mod table;
mod tags;
#[cfg(test)]
mod tests;

pub use body::{BoxError, ResponseBody, StaticBody};
pub use embed::Embedded;
pub use error::{Error, MissingAsset};
pub use files::StaticFiles;
pub use future::ResponseFuture;
pub use preload::{Preload, PreloadKind, PreloadLayer, Preloading};
pub use service::{NotFound, StaticFilesService};
pub use setup::Setup;
pub use tags::HtmlTag;

/// The configuration types, for apps that build a [`Config`] themselves
/// (see [`StaticFiles::from_config`]).
pub use rcollect_core::Config;
pub use rcollect_core::config::{Overrides, SourceDir};

/// The URL path STATIC_URL is served under: the path part of an absolute
/// URL, with a leading and a trailing `/`.
///
/// ```
/// assert_eq!(tower_rcollect::mount_path("https://cdn.example.com/static/").unwrap(), "/static/");
/// assert!(tower_rcollect::mount_path("/static").is_err());
/// ```
///
/// # Errors
/// `static_url` does not end with `/` or is not a URL path.
pub fn mount_path(static_url: &str) -> Result<String, Error> {
    path::mount_path(static_url).map_err(|m| Error::setting("static_url", m))
}
