//! Precompression: the variants (`.br`, `.zst`, `.gz`) of each collected
//! file and the RFC 9842 deltas (`dcb`, `dcz`) against its previous
//! versions. In parts:
//!
//! * [`codec`]: the encoders and their settings, for variants and deltas;
//! * [`verify`]: the one check that compressed bytes stand for a file;
//! * [`cache`]: a content-addressed cache of every output, verified before
//!   every use;
//! * `variants`: per file, what STATIC_ROOT or the cache already has, then
//!   every missing (content, encoding) compressed once;
//! * `deltas`: the deltas of each changed text file against its previous
//!   versions still in STATIC_ROOT;
//! * `repair`: `collectstatic --verify` for the outputs of previous
//!   versions;
//! * `schedule`: running jobs once each, largest first, on all threads.
//!
//! The jobs share one `Jobs` context, built by [`crate::collect`].

use std::path::Path;

use crate::manifest::{Encoding, Manifest};

pub mod cache;
pub mod codec;
pub(crate) mod deltas;
pub(crate) mod repair;
pub(crate) mod schedule;
pub(crate) mod variants;
pub mod verify;

pub use cache::{Cache, CacheHit};
pub use codec::{compress, decompress, worth_keeping};

/// What the compression jobs of one collect work with.
pub(crate) struct Jobs<'a> {
    /// STATIC_ROOT.
    pub(crate) root: &'a Path,
    /// The manifest this collect replaces (empty when there is none).
    pub(crate) previous: &'a Manifest,
    /// The readable manifest versions, newest first (the live one first):
    /// where previous versions of a file (dictionaries) are found.
    pub(crate) versions: &'a [(String, Manifest)],
    /// The compression cache, if any.
    pub(crate) cache: Option<&'a Cache>,
    /// The encodings `[compress]` turns on.
    pub(crate) encodings: &'a [Encoding],
    /// A variant is kept when it saves at least this fraction.
    pub(crate) min_saving: f64,
    /// Check what STATIC_ROOT holds before reusing it (`--verify`).
    pub(crate) verify: bool,
    /// Decide only; write nothing.
    pub(crate) dry_run: bool,
}
