//! Precompression, in four parts: [`codec`] (the encoders and their
//! settings), [`verify`] (the one check that compressed bytes stand for a
//! file), [`cache`] (a content-addressed cache of their outputs, keyed by
//! content hash and codec settings, verified before every use) and
//! `schedule` (running every pending job once, largest first, on all
//! threads).

pub mod cache;
pub mod codec;
pub(crate) mod schedule;
pub mod verify;

pub use cache::{Cache, CacheHit};
pub use codec::{compress, decompress, worth_keeping};
