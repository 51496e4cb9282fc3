//! The request pipeline, decided synchronously and then handed to one
//! async part, as tower-http's `ServeDir`: [`StaticFilesService`] →
//! `path` (decode once, refuse unclean) → the [source](crate::source)
//! resolves a route → `decide` (method, `negotiate`, `conditional`,
//! `range`, `respond` headers) → [`ResponseFuture`](future::ResponseFuture)
//! → `open` (read once, the one fallback loop) → `body`.

pub(crate) mod body;
pub(crate) mod conditional;
pub(crate) mod decide;
pub(crate) mod future;
pub(crate) mod negotiate;
pub(crate) mod open;
pub(crate) mod path;
pub(crate) mod range;
pub(crate) mod respond;

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::files::StaticFiles;
use crate::source::table::{Route, Table};
use crate::source::{Reader, Source};
use body::{ResponseBody, StaticBody};
use decide::{Decision, Skip, decide};
use future::ResponseFuture;

/// The service made by the [`StaticFiles`] layer around `S`.
#[derive(Debug, Clone)]
pub struct StaticFilesService<S> {
    files: StaticFiles,
    table: Arc<Table>,
    reader: Option<Reader>,
    inner: S,
}

impl<S> StaticFilesService<S> {
    pub(crate) fn new(files: StaticFiles, inner: S) -> Self {
        let table = files.table();
        let reader = files.inner.source.reader(&files.inner.settings);
        StaticFilesService {
            files,
            table,
            reader,
            inner,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The static files served.
    pub fn files(&self) -> &StaticFiles {
        &self.files
    }

    /// The answer to `req`, or `None` when it is not for us.
    fn decide<B>(&self, req: &Request<B>) -> Option<Answer> {
        let inner = &self.files.inner;
        let path = req.uri().path();
        let rel = path::relative(path, inner.url.mount_path());
        let under_mount = rel
            .as_deref()
            .and_then(|rel| inner.source.resolve(&self.table, rel, &inner.settings));
        let route = match (under_mount, &inner.root) {
            (Some(route), _) => route,
            // A hashed name this release does not have: perhaps a newer
            // release's (rolling deploy), looked for off the request path.
            // Never the app's 404, which a CDN could cache for a file that
            // a newer release is about to serve.
            (None, _)
                if matches!(&inner.source, Source::Manifest(loaded)
                if rel.as_deref().is_some_and(|r| {
                    rcollect_core::hash::looks_hashed(r) || loaded.looks_bundled(r)
                })) =>
            {
                return Some(match (&inner.newer, rel) {
                    (Some(newer), Some(rel)) => {
                        Answer::Later(self.in_newer_release(newer.clone(), rel.into_owned(), req))
                    }
                    _ => Answer::Now(Decision::Ready(respond::unknown_hashed_name())),
                });
            }
            (None, Some(root)) => {
                let rel = path::relative(path, "/")?;
                std::borrow::Cow::Owned(root.resolve(&rel, &inner.settings)?)
            }
            (None, None) => return None,
        };
        Some(Answer::Now(match &*route {
            Route::AddSlash => {
                Decision::Ready(respond::add_slash(req.uri().path(), req.uri().query()))
            }
            Route::File(served) => decide(
                served,
                req.method(),
                req.headers(),
                self.reader.as_ref(),
                Skip::default(),
            ),
        }))
    }

    /// The answer for a hashed name this release does not have, once the
    /// newer manifest (on disk or in the store) was looked at: the same
    /// pipeline on the newer release's route, or the no-store 404.
    fn in_newer_release<B>(
        &self,
        newer: Arc<crate::source::newer::Newer>,
        rel: String,
        req: &Request<B>,
    ) -> future::OpenFuture {
        let files = self.files.clone();
        let reader = self.reader.clone();
        let (method, headers) = (req.method().clone(), req.headers().clone());
        Box::pin(async move {
            let inner = &files.inner;
            let route = newer
                .route(&rel, &inner.settings, inner.url.mount_path())
                .await;
            let Some(Route::File(served)) = route else {
                return Ok(respond::unknown_hashed_name());
            };
            match decide(&served, &method, &headers, reader.as_ref(), Skip::default()) {
                Decision::Ready(res) => Ok(res),
                Decision::Open(open) => open::open(open).await,
            }
        })
    }
}

/// What the service does with a request it owns. Unboxed like
/// [`Decision`]: the hot path allocates nothing more.
#[allow(clippy::large_enum_variant)]
enum Answer {
    /// Decided now (the body may still need reading).
    Now(Decision),
    /// Decided after I/O (a look for a newer release).
    Later(future::OpenFuture),
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for StaticFilesService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    /// Answers requests for static files; passes the others on with the
    /// [`StaticFiles`] in their extensions, so a handler can take
    /// `Extension<StaticFiles>` for its templates, and as
    /// [`StaticFiles::current`] while the inner service works on them (the
    /// askama filters use it).
    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let policy = self.files.inner.settings.integrity_policy;
        match self.decide(&req) {
            Some(Answer::Now(Decision::Ready(res))) => ResponseFuture::ready(res),
            Some(Answer::Now(Decision::Open(open))) => {
                ResponseFuture::open(Box::pin(open::open(open)))
            }
            Some(Answer::Later(fut)) => ResponseFuture::open(fut),
            None => {
                req.extensions_mut().insert(self.files.clone());
                let fut = crate::current::with(&self.files, || self.inner.call(req));
                ResponseFuture::inner(fut, self.files.clone())
            }
        }
        .integrity_policy(policy)
    }
}

impl<S> Layer<S> for StaticFiles {
    type Service = StaticFilesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        StaticFilesService::new(self.clone(), inner)
    }
}

impl StaticFiles {
    /// A service that serves the files and answers 404 to everything else.
    pub fn into_service(self) -> StaticFilesService<NotFound> {
        self.layer(NotFound)
    }
}

/// A service that answers every request with an empty 404: the inner service
/// of [`StaticFiles::into_service`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> Service<Request<B>> for NotFound {
    type Response = Response<StaticBody>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<StaticBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut res = Response::new(StaticBody::empty());
        *res.status_mut() = http::StatusCode::NOT_FOUND;
        std::future::ready(Ok(res))
    }
}
