//! The asynchronous part of a request: reading the bytes of the chosen
//! representation, once the headers are decided ([`crate::request`]).
//!
//! Files within the memory limits are read whole on their first request and
//! kept; larger ones (and every file in dev mode) are streamed from disk,
//! only the requested range. A file whose size on disk is not the size the
//! headers announce is an error (500), never a short or long body.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderMap, Response};

use bytes::Bytes;

use crate::asset::{Pick, Served};
use crate::body::StaticBody;

/// Bytes of file content held in memory, counted against a budget.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    used: AtomicU64,
}

impl Memory {
    /// Bytes reserved now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    /// Reserves `n` bytes of `budget`; `None` when they do not fit. The
    /// reservation is given back when dropped, unless [kept](Reservation::keep).
    pub(crate) fn reserve(self: &Arc<Self>, n: u64, budget: u64) -> Option<Reservation> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&t| t <= budget)
            })
            .ok()?;
        Some(Reservation {
            memory: self.clone(),
            n: AtomicU64::new(n),
        })
    }
}

/// Bytes of the memory budget held for a read in progress: released on
/// every path (an error, a client that goes away mid-read) by `Drop`.
#[derive(Debug)]
pub(crate) struct Reservation {
    memory: Arc<Memory>,
    /// Bytes still to give back on drop (0 once kept).
    n: AtomicU64,
}

impl Reservation {
    /// The bytes are now held for good.
    fn keep(&self) {
        self.n.store(0, Ordering::Relaxed);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let n = *self.n.get_mut();
        if n > 0 {
            self.memory.used.fetch_sub(n, Ordering::AcqRel);
        }
    }
}

/// Where the bytes of a loaded manifest are read from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Files on disk ([`Rep::path`](crate::asset::Rep) is their path).
    Disk,
    /// Objects in a store ([`Rep::path`](crate::asset::Rep) is the key
    /// relative to its prefix). Shared: a `Keep` is cloned with every
    /// service and every request that reads.
    #[cfg(feature = "store")]
    Store(Arc<rcollect_store::Store>),
    /// Embedded br-only: every representation is in memory but the
    /// identity bytes of files embedded as br, decoded from it.
    DecodeBr,
}

/// Where the bytes of a loaded manifest come from, and where read bytes
/// may be kept: its memory and the limits. Dev mode (disk, keeps nothing)
/// has none.
#[derive(Debug, Clone)]
pub(crate) struct Keep {
    pub(crate) origin: Origin,
    pub(crate) memory: Arc<Memory>,
    pub(crate) max_file: u64,
    pub(crate) budget: u64,
}

/// Everything the asynchronous part needs: the decided head, which bytes of
/// which representation, whether to keep them in memory, and what to decide
/// again with if a variant turns out to be missing.
#[derive(Debug)]
pub(crate) struct OpenRequest {
    pub(crate) head: Response<StaticBody>,
    pub(crate) served: Served,
    pub(crate) headers: HeaderMap,
    pub(crate) keep: Option<Keep>,
    pub(crate) pick: Pick,
    /// Inclusive byte range.
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Read the whole representation and keep it (within the budget).
    pub(crate) cache: Option<Reservation>,
}

/// Reads the bytes `req` asks for.
pub(crate) async fn read(req: &OpenRequest) -> io::Result<StaticBody> {
    let rep = req.served.asset.rep(req.pick);
    match req.keep.as_ref().map(|k| &k.origin) {
        #[cfg(feature = "store")]
        Some(Origin::Store(store)) => return read_store(store, req, rep).await,
        Some(Origin::DecodeBr) => return decode_br(req, rep).await,
        Some(Origin::Disk) | None => {}
    }
    let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", rep.path.display()));
    let wrong_size = |got: u64| wrong_size(&rep.path.display().to_string(), got, rep.len);
    if req.cache.is_some() {
        let bytes: Bytes = tokio::fs::read(&rep.path).await.map_err(with_path)?.into();
        if bytes.len() as u64 != rep.len {
            return Err(wrong_size(bytes.len() as u64));
        }
        return keep_whole(req, rep, bytes);
    }
    // Open, check the size and seek in one trip to the blocking pool.
    let (path, start, expected) = (rep.path.clone(), req.start, rep.len);
    let opened = tokio::task::spawn_blocking(move || -> io::Result<(std::fs::File, u64)> {
        use std::io::Seek;
        let mut file = std::fs::File::open(&path)?;
        let len = file.metadata()?.len();
        if start > 0 && len == expected {
            file.seek(io::SeekFrom::Start(start))?;
        }
        Ok((file, len))
    })
    .await
    .map_err(|e| io::Error::other(e.to_string()))?;
    let (file, len) = opened.map_err(with_path)?;
    if len != rep.len {
        return Err(wrong_size(len));
    }
    Ok(StaticBody::file(
        tokio::fs::File::from_std(file),
        req.end - req.start + 1,
    ))
}

/// Reads from the store: the whole object when it is to be kept in memory,
/// else only the range. An object of another size than the manifest
/// records is an error, as on disk.
#[cfg(feature = "store")]
async fn read_store(
    store: &rcollect_store::Store,
    req: &OpenRequest,
    rep: &crate::asset::Rep,
) -> io::Result<StaticBody> {
    let key = rep.path.to_string_lossy();
    let whole = req.cache.is_some();
    let range = (!whole).then(|| req.start..req.end + 1);
    let want = range.as_ref().map_or(rep.len, |r| r.end - r.start);
    let (bytes, size) = match store.read(&key, range).await {
        Ok(Some(got)) => got,
        Ok(None) => {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: {key}: no such object", store.url()),
            ));
        }
        Err(e) => return Err(io::Error::other(e.to_string())),
    };
    if size != rep.len || bytes.len() as u64 != want {
        return Err(wrong_size(
            &format!("{}: {key}", store.url()),
            size,
            rep.len,
        ));
    }
    if whole {
        return keep_whole(req, rep, bytes);
    }
    Ok(StaticBody::full(bytes))
}

/// The error for a file or object of another size than the manifest
/// records (a partial sync): its variant is no longer offered.
fn wrong_size(what: &str, got: u64, expected: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what}: {got} bytes, {expected} expected"),
    )
}

/// The identity bytes of an asset embedded as br only: decoded from the br
/// variant on the blocking pool, checked against the size the manifest
/// records, and kept when the request holds a memory reservation (within
/// `memory_budget`, whatever `memory_max_file` says).
async fn decode_br(req: &OpenRequest, rep: &crate::asset::Rep) -> io::Result<StaticBody> {
    let not_embedded = || io::Error::other(format!("{}: not embedded", rep.path.display()));
    if req.pick != Pick::Identity {
        return Err(not_embedded());
    }
    let br = req
        .served
        .asset
        .rep(Pick::Variant(rcollect_core::Encoding::Br))
        .cached
        .get()
        .cloned()
        .ok_or_else(not_embedded)?;
    let expected = rep.len;
    let decoded = tokio::task::spawn_blocking(move || -> io::Result<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::new();
        brotli_decompressor::Decompressor::new(&br[..], 64 * 1024)
            .take(expected.saturating_add(1))
            .read_to_end(&mut out)?;
        Ok(out)
    })
    .await
    .map_err(|e| io::Error::other(e.to_string()))?
    .map_err(|e| io::Error::other(format!("{}: decoding br: {e}", rep.path.display())))?;
    if decoded.len() as u64 != expected {
        return Err(io::Error::other(format!(
            "{}: br decodes to {} bytes, {expected} expected",
            rep.path.display(),
            decoded.len()
        )));
    }
    keep_whole(req, rep, Bytes::from(decoded))
}

/// The whole bytes of `rep` (of the right size), kept in memory when the
/// request holds a reservation; answers the requested range of them.
fn keep_whole(req: &OpenRequest, rep: &crate::asset::Rep, bytes: Bytes) -> io::Result<StaticBody> {
    if let Some(r) = &req.cache {
        if rep.cached.set(bytes.clone()).is_ok() {
            r.keep();
        }
    }
    slice(&bytes, req.start, req.end)
        .map(StaticBody::full)
        .ok_or_else(|| io::Error::other("range outside the file"))
}

/// The inclusive range `start..=end` of `bytes`, if it is inside.
pub(crate) fn slice(bytes: &Bytes, start: u64, end: u64) -> Option<Bytes> {
    let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
    bytes.get(start..=end)?;
    Some(bytes.slice(start..=end))
}
