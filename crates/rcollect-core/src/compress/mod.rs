//! Precompression, in three parts: [`codec`] (the encoders and their
//! settings), [`cache`] (a content-addressed cache of their outputs, keyed by
//! content hash and codec settings) and `schedule` (running every pending
//! job once, largest first, on all threads).

pub mod cache;
pub mod codec;
pub(crate) mod schedule;

pub use cache::{Cache, CacheHit};
pub use codec::{compress, decompress, worth_keeping};
