//! One accepted connection: the TLS handshake (ALPN picks HTTP/2 or
//! HTTP/1.1) or, on a plain port, a look at the first bytes (the HTTP/2
//! connection preface means h2c with prior knowledge), then the protocol's
//! server until the connection ends.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::io::TimeoutIo;
use super::limits::Conn;
use super::{Limits, MAX_HEADER_BYTES, SiteRx, close_wanted, tls};

/// Serves `stream` until it closes, a shutdown or the connection cap ends
/// it.
pub(crate) async fn serve(
    stream: TcpStream,
    site: SiteRx,
    conn: Arc<Conn>,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    let acceptor = site.borrow().tls.clone();
    // Until a protocol is known, the connection is closed on a shutdown or
    // when the cap picks it (it has not sent a request).
    let opened = async {
        match acceptor {
            Some(acceptor) => {
                let io = TimeoutIo::new(stream, limits.send_timeout, conn.clone());
                match tokio::time::timeout(limits.header_timeout, acceptor.accept(io)).await {
                    Ok(Ok(tls)) => Some(if tls::is_h2(&tls) {
                        Opened::TlsH2(tls)
                    } else {
                        Opened::TlsH1(tls)
                    }),
                    Ok(Err(e)) => {
                        tracing::debug!("TLS handshake: {e}");
                        None
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake: not done within header_timeout");
                        None
                    }
                }
            }
            None => {
                let h2 = match sniff_preface(&stream, limits.header_timeout).await {
                    Sniffed::H2 => true,
                    Sniffed::H1 => false,
                    Sniffed::Close => return None,
                };
                let io = TimeoutIo::new(stream, limits.send_timeout, conn.clone());
                Some(if h2 {
                    Opened::PlainH2(io)
                } else {
                    Opened::PlainH1(io)
                })
            }
        }
    };
    let opened = tokio::select! {
        opened = opened => opened,
        () = async {
            tokio::select! {
                _ = stop.changed() => {}
                () = conn.close.notified() => {}
            }
        } => None,
    };
    match opened {
        None => {}
        Some(Opened::TlsH2(io)) => super::h2::serve(io, site, conn, limits, stop).await,
        Some(Opened::TlsH1(io)) => http1(io, site, conn, limits, stop).await,
        Some(Opened::PlainH2(io)) => super::h2::serve(io, site, conn, limits, stop).await,
        Some(Opened::PlainH1(io)) => http1(io, site, conn, limits, stop).await,
    }
}

type Tls = tokio_rustls::server::TlsStream<TimeoutIo<TcpStream>>;

/// A connection whose protocol is known.
enum Opened {
    TlsH2(Tls),
    TlsH1(Tls),
    PlainH2(TimeoutIo<TcpStream>),
    PlainH1(TimeoutIo<TcpStream>),
}

/// RFC 9113 §3.4: what an HTTP/2 client sends first.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum Sniffed {
    H1,
    H2,
    /// Nothing (or too little to tell) arrived in time, or the peer left.
    Close,
}

/// Peeks at the first bytes (without consuming them): the HTTP/2 preface,
/// or anything else (HTTP/1).
async fn sniff_preface(stream: &TcpStream, within: Duration) -> Sniffed {
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; PREFACE.len()];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Sniffed::Close,
            Ok(Ok(n)) => n,
        };
        if buf.get(..n) != PREFACE.get(..n) {
            return Sniffed::H1;
        }
        if n == PREFACE.len() {
            return Sniffed::H2;
        }
        // A prefix of the preface: wait for the rest (peek returns at once
        // while the same bytes sit unread).
        if tokio::time::timeout_at(deadline, tokio::time::sleep(Duration::from_millis(5)))
            .await
            .is_err()
        {
            return Sniffed::Close;
        }
    }
}

/// Serves an HTTP/1.1 connection with hyper (keep-alive on).
async fn http1<T>(
    io: T,
    site: SiteRx,
    conn: Arc<Conn>,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let requests = conn.clone();
    let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
        let site = site.borrow().clone();
        let in_flight = requests.request();
        async move {
            let _in_flight = in_flight;
            let link = site.hints.for_request(&req).cloned();
            Ok::<_, Infallible>(site.answer(req, link.as_ref()).await)
        }
    });
    let conn_fut = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), handler);
    let mut conn_fut = std::pin::pin!(conn_fut);
    tokio::select! {
        result = conn_fut.as_mut() => {
            if let Err(e) = result {
                tracing::debug!("connection: {e}");
            }
        }
        () = close_wanted(&mut stop, &conn, limits.keepalive_timeout) => {
            conn_fut.as_mut().graceful_shutdown();
            let _ = conn_fut.await;
        }
    }
}
