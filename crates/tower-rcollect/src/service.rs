//! [`StaticFilesService`]: the per-request path. The path is resolved by the
//! [source](crate::source), the answer decided synchronously by the
//! [request pipeline](crate::request), and the rest handed to the
//! [`ResponseFuture`].

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::body::{ResponseBody, StaticBody};
use crate::files::StaticFiles;
use crate::future::ResponseFuture;
use crate::open::Keep;
use crate::request::{Decision, decide};
use crate::respond;
use crate::source::Source;
use crate::table::{Route, Table};

/// The service made by the [`StaticFiles`] layer around `S`.
#[derive(Debug, Clone)]
pub struct StaticFilesService<S> {
    files: StaticFiles,
    table: Arc<Table>,
    keep: Option<Keep>,
    inner: S,
}

impl<S> StaticFilesService<S> {
    pub(crate) fn new(files: StaticFiles, inner: S) -> Self {
        let table = files.table();
        let keep = files.inner.source.keep(&files.inner.settings);
        StaticFilesService {
            files,
            table,
            keep,
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
        let rel = crate::path::relative(path, &inner.mount);
        let under_mount = rel
            .as_deref()
            .and_then(|rel| inner.source.resolve(&self.table, rel, &inner.settings));
        let route = match (under_mount, &inner.root) {
            (Some(route), _) => route,
            // A hashed name this release does not have: the app's 404 could
            // be cached by a CDN for a file that a newer release (mid-deploy)
            // is about to serve.
            (None, _)
                if matches!(inner.source, Source::Manifest(_))
                    && rel
                        .as_deref()
                        .is_some_and(rcollect_core::hash::looks_hashed) =>
            {
                // Perhaps a newer release was published to our store.
                #[cfg(feature = "store")]
                if let (Some(watch), Some(rel)) = (&inner.store_newer, rel.as_deref()) {
                    return Some(Answer::Later(self.in_newer_release(
                        watch.clone(),
                        rel,
                        req,
                    )));
                }
                // Perhaps a newer release was collected into our root.
                let newer = inner
                    .newer
                    .as_ref()
                    .zip(rel.as_deref())
                    .and_then(|(n, rel)| n.route(rel, &inner.settings, &inner.mount));
                match newer {
                    Some(route) => std::borrow::Cow::Owned(route),
                    None => {
                        return Some(Answer::Now(Decision::Ready(respond::unknown_hashed_name())));
                    }
                }
            }
            (None, Some(root)) => {
                let rel = crate::path::relative(path, "/")?;
                std::borrow::Cow::Owned(root.resolve(&rel, &inner.settings)?)
            }
            (None, None) => return None,
        };
        Some(Answer::Now(match &*route {
            Route::AddSlash => {
                Decision::Ready(respond::add_slash(req.uri().path(), req.uri().query()))
            }
            Route::File(served) => decide(served, req.method(), req.headers(), self.keep.as_ref()),
        }))
    }

    /// The answer for a hashed name this release does not have, once the
    /// store's live manifest was looked at: the same pipeline on the newer
    /// release's route, or the no-store 404.
    #[cfg(feature = "store")]
    fn in_newer_release<B>(
        &self,
        watch: Arc<crate::newer::StoreNewer>,
        rel: &str,
        req: &Request<B>,
    ) -> crate::future::OpenFuture {
        let inner = self.files.inner.clone();
        let keep = self.keep.clone();
        let (rel, method, headers) = (rel.to_string(), req.method().clone(), req.headers().clone());
        Box::pin(async move {
            let route = watch.route(&rel, &inner.settings, &inner.mount).await;
            let Some(Route::File(served)) = route else {
                return Ok(respond::unknown_hashed_name());
            };
            match decide(&served, &method, &headers, keep.as_ref()) {
                Decision::Ready(res) => Ok(res),
                Decision::Open(open) => crate::future::open(open).await,
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
    /// Decided after I/O (a look for a newer release in the store).
    #[cfg(feature = "store")]
    Later(crate::future::OpenFuture),
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
    /// `Extension<StaticFiles>` for its templates.
    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        match self.decide(&req) {
            Some(Answer::Now(Decision::Ready(res))) => ResponseFuture::ready(res),
            Some(Answer::Now(Decision::Open(open))) => ResponseFuture::open(open),
            #[cfg(feature = "store")]
            Some(Answer::Later(fut)) => ResponseFuture::later(fut),
            None => {
                req.extensions_mut().insert(self.files.clone());
                ResponseFuture::inner(self.inner.call(req))
            }
        }
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
