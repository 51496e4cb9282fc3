//! A socket that gives up on a client that stops reading: a write that makes
//! no progress for `send_timeout` fails with `TimedOut` (nginx's
//! `send_timeout`), so a client that requests a large file and never reads
//! it cannot hold its buffers and descriptors for ever. Every read or write
//! that moves bytes also marks the connection active (for the idle
//! keep-alive timeout and for shedding idle connections); a flush does not
//! (HTTP/2 flushes each time its connection is polled, idle or not).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::limits::Conn;

/// `S` with a write-progress timeout and activity tracking.
pub(crate) struct TimeoutIo<S> {
    inner: S,
    /// Armed while a write is pending; boxed so that `TimeoutIo` stays
    /// `Unpin` (hyper needs it).
    stalled: Option<Pin<Box<Sleep>>>,
    send_timeout: Duration,
    conn: Arc<Conn>,
}

impl<S> TimeoutIo<S> {
    pub(crate) fn new(inner: S, send_timeout: Duration, conn: Arc<Conn>) -> Self {
        TimeoutIo {
            inner,
            stalled: None,
            send_timeout,
            conn,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimeoutIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = ready!(Pin::new(&mut self.inner).poll_read(cx, buf));
        if buf.filled().len() > before {
            self.conn.touch();
        }
        Poll::Ready(r)
    }
}

impl<S: AsyncWrite + Unpin> TimeoutIo<S> {
    /// Runs a write-like poll: progress clears the timer, `Pending` arms it
    /// (once), and an expired timer is an error.
    fn guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match op(Pin::new(&mut self.inner), cx) {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let timeout = self.send_timeout;
                let sleep = self.stalled.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + timeout))
                });
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client read nothing for send_timeout",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S> TimeoutIo<S> {
    /// Marks the connection active if a write moved bytes.
    fn wrote(&self, r: &Poll<io::Result<usize>>) {
        if matches!(r, Poll::Ready(Ok(n)) if *n > 0) {
            self.conn.touch();
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimeoutIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = self.guard(cx, |s, cx| s.poll_write(cx, buf));
        self.wrote(&r);
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = self.guard(cx, |s, cx| s.poll_write_vectored(cx, bufs));
        self.wrote(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
