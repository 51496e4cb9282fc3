//! Response bodies: in-memory bytes, a file streamed from disk, chunks
//! decoded on the blocking pool, nothing, or the inner service's body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, ReadBuf};

/// Boxed error of [`ResponseBody`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Bytes read from disk per frame when streaming a large file.
const CHUNK: usize = 128 * 1024;

/// The body of a response the middleware produced itself.
#[derive(Debug)]
pub struct StaticBody {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Empty,
    Full(Option<Bytes>),
    File(FileStream),
    Channel(ChannelStream),
}

/// Chunks produced elsewhere (a decoder on the blocking pool); the sender
/// stops when the body is dropped.
#[derive(Debug)]
struct ChannelStream {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    remaining: u64,
}

#[derive(Debug)]
struct FileStream {
    file: tokio::fs::File,
    remaining: u64,
    buf: BytesMut,
}

impl StaticBody {
    /// No body (HEAD, 304, errors).
    pub fn empty() -> Self {
        StaticBody { kind: Kind::Empty }
    }

    /// A body of in-memory bytes.
    pub fn full(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            return Self::empty();
        }
        StaticBody {
            kind: Kind::Full(Some(bytes)),
        }
    }

    /// `len` bytes read from `file`'s current position.
    pub(crate) fn file(file: tokio::fs::File, len: u64) -> Self {
        if len == 0 {
            return Self::empty();
        }
        StaticBody {
            kind: Kind::File(FileStream {
                file,
                remaining: len,
                buf: BytesMut::new(),
            }),
        }
    }
}

impl StaticBody {
    /// `len` bytes received from `rx`, chunk by chunk; fewer is an error.
    pub(crate) fn channel(rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>, len: u64) -> Self {
        if len == 0 {
            return Self::empty();
        }
        StaticBody {
            kind: Kind::Channel(ChannelStream { rx, remaining: len }),
        }
    }
}

impl ChannelStream {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        match ready!(self.rx.poll_recv(cx)) {
            Some(Ok(b)) if b.len() as u64 <= self.remaining => {
                self.remaining -= b.len() as u64;
                Poll::Ready(Some(Ok(b)))
            }
            Some(Ok(_)) => {
                self.remaining = 0;
                Poll::Ready(Some(Err(io::Error::other("more bytes than announced"))))
            }
            Some(Err(e)) => {
                self.remaining = 0;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.remaining = 0;
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "fewer bytes than announced",
                ))))
            }
        }
    }
}

impl Body for StaticBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Kind::File(f) => f.poll_chunk(cx).map(|o| o.map(|r| r.map(Frame::data))),
            Kind::Channel(c) => c.poll_chunk(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(b) => b.is_none(),
            Kind::File(f) => f.remaining == 0,
            Kind::Channel(c) => c.remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::File(f) => SizeHint::with_exact(f.remaining),
            Kind::Channel(c) => SizeHint::with_exact(c.remaining),
        }
    }
}

impl FileStream {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(self.remaining).unwrap_or(CHUNK).min(CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let mut rb = ReadBuf::new(&mut self.buf[..want]);
        if let Err(e) = ready!(Pin::new(&mut self.file).poll_read(cx, &mut rb)) {
            self.remaining = 0;
            return Poll::Ready(Some(Err(e)));
        }
        let n = rb.filled().len();
        if n == 0 {
            self.remaining = 0;
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file is shorter than the manifest says",
            ))));
        }
        self.remaining -= n as u64;
        Poll::Ready(Some(Ok(self.buf.split_to(n).freeze())))
    }
}

pin_project! {
    /// The body of every response of [`StaticFilesService`](crate::StaticFilesService):
    /// the middleware's own ([`StaticBody`]), or the inner service's unchanged.
    pub struct ResponseBody<B> {
        #[pin]
        kind: Either<B>,
    }
}

pin_project! {
    #[project = EitherProj]
    enum Either<B> {
        Static { body: StaticBody },
        Inner { #[pin] body: B },
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn from_static(body: StaticBody) -> Self {
        ResponseBody {
            kind: Either::Static { body },
        }
    }

    pub(crate) fn inner(body: B) -> Self {
        ResponseBody {
            kind: Either::Inner { body },
        }
    }
}

impl<B> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Either::Static { body } => f.debug_tuple("ResponseBody::Static").field(body).finish(),
            Either::Inner { .. } => f.write_str("ResponseBody::Inner"),
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            EitherProj::Static { body } => Pin::new(body)
                .poll_frame(cx)
                .map(|o| o.map(|r| r.map_err(Into::into))),
            EitherProj::Inner { body } => body
                .poll_frame(cx)
                .map(|o| o.map(|r| r.map_err(Into::into))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Either::Static { body } => body.is_end_stream(),
            Either::Inner { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Either::Static { body } => body.size_hint(),
            Either::Inner { body } => body.size_hint(),
        }
    }
}
