//! The asynchronous part of a request: reading the bytes of the one
//! representation [`decide`](super::decide) chose, from where its source
//! keeps them ([`Origin`]), once. Files within the memory limits are read
//! whole on their first request and kept; larger ones (and every file in
//! dev mode) are streamed, only the requested range.
//!
//! A failed read of a variant or delta is answered, in this one loop, with
//! the next acceptable representation for the same request (decided again
//! without it); a variant that is missing or of the wrong size (a partial
//! sync) is also no longer offered to anyone (logged once). Only the
//! identity bytes failing is an error (500). A file whose size is not the
//! size the headers announce is never sent: the length is checked before
//! any byte goes out.

use std::io;

use bytes::Bytes;
use http::{HeaderMap, Method, Response};

use super::body::StaticBody;
use super::decide::{Decision, Skip, decide};
use crate::asset::{Pick, Rep, Served};
use crate::memory::Reservation;
use crate::source::{Origin, Reader, wrong_size};

/// Everything the asynchronous part needs: the decided head, which bytes
/// of which representation, where to read and keep them, and what to
/// decide again with if the read fails.
#[derive(Debug)]
pub(crate) struct OpenRequest {
    pub(crate) head: Response<StaticBody>,
    pub(crate) served: Served,
    pub(crate) headers: HeaderMap,
    pub(crate) reader: Option<Reader>,
    pub(crate) pick: Pick,
    /// Inclusive byte range.
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Representations already found unreadable for this request.
    pub(crate) skip: Skip,
}

/// Reads the body of `req` and completes its response, falling back to
/// the next acceptable representation when a variant or delta cannot be
/// read.
pub(crate) async fn open(mut req: Box<OpenRequest>) -> io::Result<Response<StaticBody>> {
    loop {
        let e = match read(&req).await {
            Ok(body) => {
                let mut res = req.head;
                *res.body_mut() = body;
                return Ok(res);
            }
            Err(e) => e,
        };
        let Some(token) = req.pick.token() else {
            return Err(e);
        };
        let gone = matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::InvalidData
        );
        if !gone {
            tracing::warn!("{e}; answering with another representation");
        } else if req.served.asset.mark_missing(req.pick) {
            tracing::warn!("{e}; no longer offering {token} for this file");
        }
        let skip = req.skip.with(req.pick);
        let reader = req.reader.as_ref();
        match decide(&req.served, &Method::GET, &req.headers, reader, skip) {
            Decision::Ready(res) => return Ok(res),
            Decision::Open(next) => req = next,
        }
    }
}

/// Reads the bytes `req` asks for.
async fn read(req: &OpenRequest) -> io::Result<StaticBody> {
    let rep = req.served.asset.rep(req.pick);
    let Some(reader) = &req.reader else {
        return stream_from_disk(rep, req.start, req.end).await; // dev mode
    };
    match &reader.origin {
        Origin::Disk => match reader.admit(rep.len) {
            Some(keep) => {
                let bytes: Bytes = tokio::fs::read(&rep.path)
                    .await
                    .map_err(|e| with_path(&rep.path.display().to_string(), e))?
                    .into();
                if bytes.len() as u64 != rep.len {
                    return Err(wrong_size(
                        &rep.path.display().to_string(),
                        bytes.len() as u64,
                        rep.len,
                    ));
                }
                keep_whole(req, rep, bytes, Some(keep))
            }
            None => stream_from_disk(rep, req.start, req.end).await,
        },
        #[cfg(feature = "store")]
        Origin::Store(store) => {
            let keep = reader.admit(rep.len);
            let range = keep.is_none().then(|| req.start..req.end + 1);
            let bytes = crate::source::store::read(store, rep, range).await?;
            match keep {
                Some(keep) => keep_whole(req, rep, bytes, Some(keep)),
                None => Ok(StaticBody::full(bytes)),
            }
        }
        Origin::DecodeBr(decoding) => {
            if req.pick != Pick::Identity {
                return Err(io::Error::other(format!(
                    "{}: not embedded",
                    rep.path.display()
                )));
            }
            match decoding
                .identity(&req.served.asset, reader, req.start, req.end)
                .await?
            {
                crate::source::embed::Decoded::Whole(bytes, keep) => {
                    keep_whole(req, rep, bytes, keep)
                }
                crate::source::embed::Decoded::Stream(rx) => {
                    Ok(StaticBody::channel(rx, req.end - req.start + 1))
                }
            }
        }
    }
}

impl Reader {
    /// A reservation to read a representation of `len` bytes whole and
    /// keep it, when it is within the limits.
    pub(crate) fn admit(&self, len: u64) -> Option<Reservation> {
        (len <= self.max_file)
            .then(|| self.memory.reserve(len, self.budget))
            .flatten()
    }
}

/// Opens `rep`'s file, checks its size and seeks, in one trip to the
/// blocking pool, then streams `start..=end`.
async fn stream_from_disk(rep: &Rep, start: u64, end: u64) -> io::Result<StaticBody> {
    let (path, expected) = (rep.path.clone(), rep.len);
    let opened = tokio::task::spawn_blocking(move || -> io::Result<(std::fs::File, u64)> {
        use std::io::Seek;
        let mut file = std::fs::File::open(&path)?;
        let md = file.metadata()?;
        if !md.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let len = md.len();
        if start > 0 && len == expected {
            file.seek(io::SeekFrom::Start(start))?;
        }
        Ok((file, len))
    })
    .await
    .map_err(|e| io::Error::other(e.to_string()))?;
    let what = rep.path.display().to_string();
    let (file, len) = opened.map_err(|e| with_path(&what, e))?;
    if len != rep.len {
        return Err(wrong_size(&what, len, rep.len));
    }
    Ok(StaticBody::file(
        tokio::fs::File::from_std(file),
        end - start + 1,
    ))
}

/// The error of a read, naming what was read.
fn with_path(what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The whole bytes of `rep` (of the right size), kept in memory when a
/// reservation was made for them; answers the requested range of them.
fn keep_whole(
    req: &OpenRequest,
    rep: &Rep,
    bytes: Bytes,
    keep: Option<Reservation>,
) -> io::Result<StaticBody> {
    if let Some(r) = keep {
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
