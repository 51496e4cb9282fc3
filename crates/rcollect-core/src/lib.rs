//! The rcollect engine: find static files in source dirs, rewrite the
//! references between them, give them content-hashed names, precompress them
//! and write the manifest that the middleware serves from.
//!
//! The pipeline, one module per stage:
//! [`find`] → [`scan`] (references) → [`rewrite`] → `graph` → `plan` (final
//! bytes, [`hash`]es and names) → [`compress`] (`codec`, `cache`, `schedule`)
//! → `write` (temp + rename) → [`manifest`] (written last, the previous one
//! kept by [`history`]) → [`clean`]. [`collect`] runs the stages in order.
//! [`config`] loads `rcollect.toml`; [`checks`] validates it for the CLI,
//! collect and the middleware (each finding's [`checks::Check`] carries its
//! level and scope). [`paths`] is the one home for path handling,
//! [`suggest`] the "did you mean" of every "not found" and
//! [`progress`] the progress trait. `ARCHITECTURE.md` at the repository root
//! is the map.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bundler;
pub mod checks;
pub mod clean;
#[cfg(feature = "collect")]
#[cfg_attr(docsrs, doc(cfg(feature = "collect")))]
pub mod collect;
#[cfg(feature = "collect")]
#[cfg_attr(docsrs, doc(cfg(feature = "collect")))]
pub mod compress;
pub mod config;
pub mod content_type;
pub mod delta;
mod encoding;
mod error;
pub mod find;
#[cfg(feature = "collect")]
mod graph;
pub mod hash;
pub mod history;
pub mod importmap;
pub mod manifest;
pub mod paths;
#[cfg(feature = "collect")]
#[cfg_attr(docsrs, doc(cfg(feature = "collect")))]
pub mod plan;
pub mod progress;
pub mod rewrite;
pub mod scan;
pub mod stamp;
#[cfg(feature = "collect")]
mod statcache;
pub mod suggest;
pub mod url;
mod write;

pub use config::Config;
pub use error::{ConfigError, Error, Result};
pub use manifest::{Encoding, FileMeta, Manifest};
