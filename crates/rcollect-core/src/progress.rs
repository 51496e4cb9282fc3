//! Progress reporting, for the CLI's progress bars: one trait for collect's
//! phases and for publishing.

/// A stage of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Writing hashed files.
    Write,
    /// Compressing variants (largest first).
    Compress,
    /// Checking and uploading objects to the store.
    Upload,
}

/// Receives progress events; implementations must be cheap and thread-safe.
pub trait Progress: Send + Sync {
    /// A phase starts with `total` steps.
    fn begin(&self, phase: Phase, total: u64);
    /// `n` steps are done.
    fn advance(&self, n: u64);
    /// The phase is over.
    fn end(&self);
}
