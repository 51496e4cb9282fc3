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
//! // `dev(false)`: the collected files even in a debug build (where the
//! // default, like `from_env()`'s, is dev mode: the sources, unhashed).
//! let files = StaticFiles::setup().config_file(rcollect_toml).dev(false).load()?;
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
//! * `HEAD`; other methods get 405; an unknown hashed-looking name gets a
//!   `no-store` 404 (after a look for a newer release's names); other
//!   unknown names go to the inner service;
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
//! The modules (`ARCHITECTURE.md` is the map): `setup` builds a
//! [`StaticFiles`] (one constructor per source, `from_config`, `from_env`);
//! `files` is the handle and its builders, `settings` what they set;
//! `source/` is where files come from (the manifest `table` built by
//! `load`, `store` or `embed`; `dev`; `root`; `newer`; `dictionary`);
//! `serve/` is the request pipeline (`path` → `decide` with `negotiate`,
//! `conditional`, `range`, `respond` → `future` → `open` → `body`);
//! `memory` the budget; `asset` the one noun for a servable file;
//! `templates/` the helpers (`tags`, `preload`, `pages`, `engines`);
//! `current` the files of the request being handled (for the askama
//! filters).
//!
//! The `fuzzing` feature adds a hidden `fuzzing` module (wrappers around the
//! request parsers for `fuzz/` and the property tests); it is not a stable
//! API.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod asset;
mod current;
mod error;
mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod memory;
mod serve;
mod settings;
mod setup;
mod source;
mod sourcemap;
mod templates;
#[cfg(test)]
mod tests;

pub use error::{Error, LookedIn, MissingAsset};
pub use files::StaticFiles;
pub use serve::body::{BoxError, ResponseBody, StaticBody};
pub use serve::future::ResponseFuture;
pub use serve::{NotFound, StaticFilesService};
pub use setup::Setup;
pub use source::embed::Embedded;
pub use source::root::RootDir;
pub use sourcemap::{SOURCEMAP_TOKEN_COOKIE, SOURCEMAP_TOKEN_HEADER};
#[cfg(feature = "askama")]
#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
pub use templates::engines::askama::filters as askama_filters;
pub use templates::importmap::ImportMapTag;
pub use templates::preload::{Preload, PreloadKind, PreloadLayer, Preloading};
pub use templates::tags::HtmlTag;

/// For the code `rcollect-build` generates: a misspelt `asset!` name is a
/// compile error offering the closest known name, found by this `const fn`
/// in the compiler. Not a stable API.
#[doc(hidden)]
pub use rcollect_core::suggest::closest as __closest;

/// The configuration types, for apps that build a [`Config`] themselves
/// (see [`StaticFiles::from_config`]).
pub use rcollect_core::Config;
pub use rcollect_core::config::{Overrides, SourceDir};
