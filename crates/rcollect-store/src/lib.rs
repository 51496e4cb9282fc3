//! Publishing collected static files to S3-compatible object storage (or a
//! `file://` URL), for apps that serve their assets from a CDN.
//!
//! The pipeline (find, rewrite, hash, compress) runs locally into a staging
//! STATIC_ROOT (`rcollect_core::collect`); [`Store::publish`] then uploads
//! what the store does not have yet:
//!
//! * **hashed names** (and their `.br`/`.gz`/`.zst` variants and RFC 9842
//!   `dcb`/`dcz` deltas) are immutable,
//!   so an object of that key and size is never uploaded again: one `LIST`
//!   of the prefix decides for all of them;
//! * **unhashed names** change in place, so an existing object is compared by
//!   content: its listed ETag against the MD5 of the local bytes (the ETag of
//!   a single-`PUT` object), else the SHA-256 stored in its metadata
//!   (`x-amz-meta-sha256`, one `HEAD`);
//! * every object gets `Content-Type`, `Cache-Control` (`immutable` for
//!   hashed names) and, for variants, `Content-Encoding`;
//! * uploads run in parallel with a bounded number of requests in flight,
//!   and the client retries failed requests with backoff;
//! * **the manifest goes last**: `staticfiles.json` is replaced only after
//!   every object it names is in the store, and the manifest it replaces is
//!   kept first as `staticfiles.<timestamp>.json` (the history `rcollect
//!   clean` and rolling deploys rely on). A publish that fails or is killed
//!   leaves the previous manifest, which names only objects that exist; running
//!   it again uploads what is still missing.
//!
//! Deltas need the previous versions: a collect into an empty staging dir
//! first gets them from the store ([`Store::fetch_dictionaries`]).
//!
//! Conditional create-only `PUT` (`If-None-Match: *`) is not used: stores
//! differ (some overwrite, some answer 501), and the `LIST`/`HEAD` check works
//! on all of them.
#![deny(unsafe_code)]

mod dictionaries;
mod error;
mod open;
mod publish;
mod remote;

pub use dictionaries::FetchSummary;
pub use error::{Error, Result};
pub use publish::{PublishOptions, PublishSummary};
pub use remote::{ObjectStamp, Published};

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use rcollect_core::config::StorageConfig;

/// An object store and the prefix the files live under.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    prefix: StorePath,
    url: String,
    /// The store keeps `Content-Type`, `Cache-Control` and metadata (S3);
    /// a `file://` store keeps only bytes.
    attributes: bool,
    concurrency: usize,
    /// The largest manifest object read (`manifest_max_size`).
    max_manifest_bytes: u64,
}

impl Store {
    /// Opens the store `config.url` names (`s3://bucket/prefix`,
    /// `file:///path`). S3 settings come from the `AWS_*` environment and the
    /// `[storage]` table (the environment wins); no request is made yet.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let config = rcollect_core::config::StorageConfig {
    ///     url: format!("file://{}/site", dir.path().display()),
    ///     endpoint: None, region: None, allow_http: None, access_key_id: None,
    ///     secret_access_key: None, session_token: None,
    ///     virtual_hosted_style_request: None, concurrency: 8, retries: 3,
    /// };
    /// let store = rcollect_store::Store::open(&config)?;
    /// assert_eq!(store.url(), config.url);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The URL is invalid or its scheme unsupported, or the S3 settings are
    /// incomplete (no bucket, an invalid endpoint).
    pub fn open(config: &StorageConfig) -> Result<Store> {
        open::open(config)
    }

    /// Reads manifest objects of at most `bytes` (the configuration's
    /// `manifest_max_size`; default
    /// [`MAX_MANIFEST_BYTES`](rcollect_core::manifest::MAX_MANIFEST_BYTES)):
    /// a larger one is an error naming it, checked from the object's size
    /// before its body is read.
    pub fn with_manifest_max_size(mut self, bytes: u64) -> Store {
        self.max_manifest_bytes = bytes;
        self
    }

    /// The URL this store was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full object path of a key relative to the prefix.
    fn path(&self, key: &str) -> StorePath {
        let prefix = self.prefix.as_ref();
        if prefix.is_empty() {
            StorePath::from(key)
        } else {
            StorePath::from(format!("{prefix}/{key}"))
        }
    }
}
