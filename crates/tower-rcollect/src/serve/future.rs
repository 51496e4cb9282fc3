//! [`ResponseFuture`]: a response decided up front, a body being read
//! ([`open`](super::open)), or the inner service's future.

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use super::body::{ResponseBody, StaticBody};
use super::respond;
use crate::files::StaticFiles;

/// A response that needs I/O before it is complete.
pub(crate) type OpenFuture = Pin<Box<dyn Future<Output = io::Result<Response<StaticBody>>> + Send>>;

pin_project! {
    /// The response future of [`StaticFilesService`](crate::StaticFilesService).
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F>,
        // `Integrity-Policy` for HTML responses (`integrity_policy`).
        integrity_policy: bool,
        _body: PhantomData<fn() -> B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Ready { res: Option<Response<StaticBody>> },
        Open { fut: OpenFuture },
        // The files are current (`StaticFiles::current`) during each poll.
        Inner { #[pin] fut: F, files: StaticFiles },
    }
}

impl<F, B> ResponseFuture<F, B> {
    fn new(state: State<F>) -> Self {
        ResponseFuture {
            state,
            integrity_policy: false,
            _body: PhantomData,
        }
    }

    /// Adds `Integrity-Policy: blocked-destinations=(script)` to the
    /// response when it is an HTML page.
    pub(crate) fn integrity_policy(mut self, enabled: bool) -> Self {
        self.integrity_policy = enabled;
        self
    }

    pub(crate) fn ready(res: Response<StaticBody>) -> Self {
        Self::new(State::Ready { res: Some(res) })
    }

    pub(crate) fn open(fut: OpenFuture) -> Self {
        Self::new(State::Open { fut })
    }

    pub(crate) fn inner(fut: F, files: StaticFiles) -> Self {
        Self::new(State::Inner { fut, files })
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let policy = *this.integrity_policy;
        let res = match this.state.project() {
            StateProj::Ready { res } => res.take().unwrap_or_else(respond::internal_error),
            StateProj::Open { fut } => match ready!(fut.as_mut().poll(cx)) {
                Ok(res) => res,
                Err(e) => {
                    tracing::error!("cannot serve static file: {e}");
                    respond::internal_error()
                }
            },
            StateProj::Inner { fut, files } => {
                return crate::current::with(files, || fut.poll(cx)).map_ok(|mut res| {
                    if policy {
                        add_integrity_policy(&mut res);
                    }
                    res.map(ResponseBody::inner)
                });
            }
        };
        let mut res = res;
        if policy {
            add_integrity_policy(&mut res);
        }
        Poll::Ready(Ok(res.map(ResponseBody::from_static)))
    }
}

/// The `Integrity-Policy` an HTML page gets with `integrity_policy`: the
/// browser refuses every script it would load without integrity metadata
/// (an `integrity` attribute, or the import map's entry) and CORS.
const INTEGRITY_POLICY: &str = "blocked-destinations=(script)";

/// Sets `Integrity-Policy` on an HTML response that has none.
fn add_integrity_policy<T>(res: &mut Response<T>) {
    let html = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
        });
    let name = http::HeaderName::from_static("integrity-policy");
    if html && !res.headers().contains_key(&name) {
        res.headers_mut()
            .insert(name, http::HeaderValue::from_static(INTEGRITY_POLICY));
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
