//! [`ResponseFuture`]: a response decided up front, a body being read (and,
//! when a variant turns out to be missing, the request decided again), or
//! the inner service's future.

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Method, Response};
use pin_project_lite::pin_project;

use crate::body::{ResponseBody, StaticBody};
use crate::open::{OpenRequest, read};
use crate::request::{Decision, decide};
use crate::respond;

pub(crate) type OpenFuture = Pin<Box<dyn Future<Output = io::Result<Response<StaticBody>>> + Send>>;

pin_project! {
    /// The response future of [`StaticFilesService`](crate::StaticFilesService).
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F>,
        _body: PhantomData<fn() -> B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Ready { res: Option<Response<StaticBody>> },
        Open { fut: OpenFuture },
        Inner { #[pin] fut: F },
    }
}

impl<F, B> ResponseFuture<F, B> {
    fn new(state: State<F>) -> Self {
        ResponseFuture {
            state,
            _body: PhantomData,
        }
    }

    pub(crate) fn ready(res: Response<StaticBody>) -> Self {
        Self::new(State::Ready { res: Some(res) })
    }

    pub(crate) fn open(req: Box<OpenRequest>) -> Self {
        Self::new(State::Open {
            fut: Box::pin(open(req)),
        })
    }

    /// A response that needs I/O before it is decided.
    #[cfg(feature = "store")]
    pub(crate) fn later(fut: OpenFuture) -> Self {
        Self::new(State::Open { fut })
    }

    pub(crate) fn inner(fut: F) -> Self {
        Self::new(State::Inner { fut })
    }
}

/// Reads the body of `req` and completes its response. A variant that is
/// missing on disk (or in the store), or not of the size the manifest
/// records (a partial sync), is no longer offered for this asset (logged
/// once) and the request is decided again: the client gets the next
/// acceptable representation. Any other failure (out of file descriptors,
/// a store that does not answer: perhaps passing) is an error (500) that
/// stops offering nothing, as is a wrong identity file.
pub(crate) async fn open(mut req: Box<OpenRequest>) -> io::Result<Response<StaticBody>> {
    loop {
        match read(&req).await {
            Ok(body) => {
                let mut res = req.head;
                *res.body_mut() = body;
                return Ok(res);
            }
            Err(e) => {
                let Some(token) = req.pick.token() else {
                    return Err(e);
                };
                let gone = matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::InvalidData
                );
                if !gone {
                    return Err(e);
                }
                if req.served.asset.mark_missing(req.pick) {
                    tracing::warn!("{e}; no longer offering {token} for this file");
                }
                match decide(&req.served, &Method::GET, &req.headers, req.keep.as_ref()) {
                    Decision::Ready(res) => return Ok(res),
                    Decision::Open(next) => req = next,
                }
            }
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let res = match self.project().state.project() {
            StateProj::Ready { res } => res.take().unwrap_or_else(respond::internal_error),
            StateProj::Open { fut } => match ready!(fut.as_mut().poll(cx)) {
                Ok(res) => res,
                Err(e) => {
                    tracing::error!("cannot serve static file: {e}");
                    respond::internal_error()
                }
            },
            StateProj::Inner { fut } => {
                return fut.poll(cx).map_ok(|res| res.map(ResponseBody::inner));
            }
        };
        Poll::Ready(Ok(res.map(ResponseBody::from_static)))
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
