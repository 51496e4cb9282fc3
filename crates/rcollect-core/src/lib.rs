//! The rcollect engine: find static files in source dirs, rewrite the
//! references between them, give them content-hashed names, precompress them
//! and write the manifest that the middleware serves from.
//!
//! The pipeline, one module per stage:
//! [`find`] → [`scan`] (references) → [`rewrite`] → [`hash`] → [`compress`] →
//! [`collect`] (orchestration, atomic writes) → [`manifest`].
//! [`checks`] validates a [`config::Config`] for the CLI, collect and the middleware.
#![deny(unsafe_code)]

pub mod checks;
pub mod clean;
#[cfg(feature = "collect")]
pub mod collect;
#[cfg(feature = "collect")]
pub mod compress;
pub mod config;
pub mod content_type;
pub mod error;
pub mod find;
pub mod graph;
pub mod hash;
pub mod history;
pub mod manifest;
pub mod paths;
#[cfg(feature = "collect")]
pub mod plan;
pub mod progress;
pub mod rewrite;
pub mod scan;
pub mod write;

pub use config::Config;
pub use error::{ConfigError, Error, Result};
pub use manifest::{Encoding, FileMeta, Manifest};
