//! The store's error type: every variant names the URL or object key.

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong talking to the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage URL or settings are unusable.
    #[error("{url}: {message}")]
    Config {
        /// The `static_root` URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A request for one object failed (after the client's retries).
    #[error("{url}: {key}: {source}")]
    Object {
        /// The store URL.
        url: String,
        /// The object key, relative to the prefix.
        key: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// Listing the prefix failed.
    #[error("{url}: listing the objects failed: {source}")]
    List {
        /// The store URL.
        url: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// The staging dir has no manifest to publish.
    #[error("{}: no staticfiles.json to publish (the collect did not run?)", .0.display())]
    NothingToPublish(std::path::PathBuf),
    /// Reading a local file or a manifest failed.
    #[error(transparent)]
    Core(#[from] rcollect_core::Error),
}
