//! HTTP/2 connections (over TLS, or h2c with prior knowledge on a plain
//! port), served with the `h2` crate directly rather than through hyper,
//! whose server cannot send informational responses yet: an HTML page gets
//! its `103 Early Hints` ([`super::early_hints`]) before the final response.
//!
//! The rest follows hyper's HTTP/2 server: each request is answered by the
//! same [`Site::answer`] as over HTTP/1.1, connection-specific headers are
//! stripped, `Date` is added, `Content-Length` is set from an exact body
//! size, and the body is written as the peer's flow-control windows allow
//! (at most h2's send buffer ahead of them). The streams of a connection
//! run on the connection's task.
//!
//! Limits: `max_streams` concurrent streams (`SETTINGS_MAX_CONCURRENT_STREAMS`),
//! request headers of at most 32 KiB (`SETTINGS_MAX_HEADER_LIST_SIZE`; h2
//! answers 431 beyond), the handshake within `header_timeout`, a stream
//! whose window stays shut for `send_timeout` is reset (the socket-level
//! stall is [`super::io::TimeoutIo`]'s), and a connection without a
//! request in flight for `keepalive_timeout` gets a `GOAWAY`, as do all on
//! shutdown and the idle one picked at the connection cap.

use std::cell::RefCell;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use h2::server::SendResponse;
use h2::{Reason, RecvStream, SendStream};
use http::{HeaderMap, HeaderValue, Request, Response, header};
use http_body::Body;
use tokio::io::{AsyncRead, AsyncWrite};

use super::limits::Conn;
use super::{Limits, MAX_HEADER_BYTES, Site, SiteRx, close_wanted, early_hints};

/// Serves one HTTP/2 connection until the peer or a shutdown closes it.
pub(crate) async fn serve<T>(
    io: T,
    site: SiteRx,
    conn: Arc<Conn>,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<()>,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(limits.max_streams)
        .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
    let handshake = builder.handshake::<_, Bytes>(io);
    let mut h2 = match tokio::time::timeout(limits.header_timeout, handshake).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::debug!("HTTP/2 handshake: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!("HTTP/2 handshake: no preface within header_timeout");
            return;
        }
    };
    let mut streams = FuturesUnordered::new();
    let mut closing = false;
    loop {
        tokio::select! {
            Some(()) = streams.next(), if !streams.is_empty() => {}
            accepted = h2.accept() => match accepted {
                Some(Ok((req, respond))) => {
                    let site = site.borrow().clone();
                    streams.push(stream(req, respond, site, conn.clone(), limits.send_timeout));
                }
                Some(Err(e)) => {
                    tracing::debug!("HTTP/2 connection: {e}");
                    break;
                }
                None => break,
            },
            () = close_wanted(&mut stop, &conn, limits.keepalive_timeout), if !closing => {
                closing = true;
                h2.graceful_shutdown();
            }
        }
    }
}

/// Answers one request.
async fn stream(
    req: Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    site: Arc<Site>,
    conn: Arc<Conn>,
    send_timeout: Duration,
) {
    let _in_flight = conn.request();
    // Static files take no request body: it is dropped unread.
    let (parts, _) = req.into_parts();
    let req = Request::from_parts(parts, ());
    let link = site.hints.for_request(&req).cloned();
    if let Some(link) = &link {
        early_hints::send_103(&mut respond, link);
    }
    let res = site.answer(req, link.as_ref()).await;
    let (mut head, body) = res.into_parts();
    strip_connection_headers(&mut head.headers);
    if let Some(date) = date_now() {
        head.headers.entry(header::DATE).or_insert(date);
    }
    if body.is_end_stream() {
        if let Err(e) = respond.send_response(Response::from_parts(head, ()), true) {
            tracing::debug!("HTTP/2 response: {e}");
        }
        return;
    }
    if let Some(len) = body.size_hint().exact() {
        head.headers
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(len));
    }
    match respond.send_response(Response::from_parts(head, ()), false) {
        Ok(tx) => {
            if let Err(e) = pipe(tx, body, send_timeout).await {
                tracing::debug!("HTTP/2 response body: {e}");
            }
        }
        Err(e) => tracing::debug!("HTTP/2 response: {e}"),
    }
}

/// Why a body was not sent to the end.
#[derive(Debug)]
enum PipeError {
    Reset(Reason),
    Stalled,
    Body(tower_rcollect::BoxError),
    H2(h2::Error),
}

impl std::fmt::Display for PipeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PipeError::Reset(r) => write!(f, "reset by the client ({r})"),
            PipeError::Stalled => f.write_str("the client's window stayed shut for send_timeout"),
            PipeError::Body(e) => write!(f, "reading the body: {e}"),
            PipeError::H2(e) => write!(f, "{e}"),
        }
    }
}

/// Writes `body` to the stream, frame by frame, as flow control allows;
/// gives up when the client resets the stream or keeps its window shut for
/// `send_timeout`.
async fn pipe<B>(
    mut tx: SendStream<Bytes>,
    body: B,
    send_timeout: Duration,
) -> Result<(), PipeError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<tower_rcollect::BoxError>,
{
    let mut body = std::pin::pin!(body);
    loop {
        let frame = poll_fn(|cx| {
            if let Poll::Ready(r) = tx.poll_reset(cx) {
                return Poll::Ready(Err(r.map_or_else(PipeError::H2, PipeError::Reset)));
            }
            body.as_mut().poll_frame(cx).map(Ok)
        })
        .await?;
        let frame = match frame {
            None => return tx.send_data(Bytes::new(), true).map_err(PipeError::H2),
            Some(Err(e)) => {
                tx.send_reset(Reason::INTERNAL_ERROR);
                return Err(PipeError::Body(e.into()));
            }
            Some(Ok(frame)) => frame,
        };
        let data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    return tx.send_trailers(trailers).map_err(PipeError::H2);
                }
                continue;
            }
        };
        let end = body.is_end_stream();
        if !data.is_empty() {
            // As hyper does: claim a little of the window and hand h2 the
            // whole chunk; h2 buffers it (up to its send buffer size, past
            // which no capacity is assigned, which is the back-pressure).
            tx.reserve_capacity(1);
            let ready = tokio::time::timeout(send_timeout, capacity(&mut tx)).await;
            match ready {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    tx.send_reset(Reason::CANCEL);
                    return Err(PipeError::Stalled);
                }
            }
        }
        tx.send_data(data, end).map_err(PipeError::H2)?;
        if end {
            return Ok(());
        }
    }
}

/// Waits until the stream has some send capacity.
async fn capacity(tx: &mut SendStream<Bytes>) -> Result<(), PipeError> {
    poll_fn(|cx| {
        loop {
            if tx.capacity() > 0 {
                return Poll::Ready(Ok(()));
            }
            if let Poll::Ready(r) = tx.poll_reset(cx) {
                return Poll::Ready(Err(r.map_or_else(PipeError::H2, PipeError::Reset)));
            }
            match tx.poll_capacity(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(PipeError::H2(e))),
                Poll::Ready(None) => return Poll::Ready(Err(PipeError::Reset(Reason::CANCEL))),
            }
        }
    })
    .await
}

/// RFC 9113 §8.2.2: no connection-specific header fields in HTTP/2 (h2
/// refuses to send them). The middleware sets none; this keeps it so.
fn strip_connection_headers(headers: &mut HeaderMap) {
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        http::HeaderName::from_static("keep-alive"),
        http::HeaderName::from_static("proxy-connection"),
    ] {
        headers.remove(name);
    }
}

/// The `Date` value of the current second, formatted once a second per
/// thread (as hyper does for HTTP/1.1).
fn date_now() -> Option<HeaderValue> {
    thread_local! {
        static CACHE: RefCell<(u64, Option<HeaderValue>)> = const { RefCell::new((0, None)) };
    }
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs || c.1.is_none() {
            *c = (
                secs,
                HeaderValue::try_from(httpdate::fmt_http_date(now)).ok(),
            );
        }
        c.1.clone()
    })
}
