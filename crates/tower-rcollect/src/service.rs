//! [`StaticFilesService`]: the per-request path. One hash lookup by `&str`,
//! header scans without allocation, clones of prepared header values.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{HeaderMap, Method, Request, Response};
use pin_project_lite::pin_project;
use tokio::io::AsyncSeekExt;
use tower::Service;

use crate::assets::{Entry, Loaded, Route, Settings, Table};
use crate::body::{ResponseBody, StaticBody};
use crate::layer::{Mode, StaticFiles};
use crate::negotiate::negotiate;
use crate::respond::{self, Plan, View};

type BodyFuture = Pin<Box<dyn Future<Output = io::Result<StaticBody>> + Send>>;

/// What the middleware does with a request it owns.
pub(crate) enum Action {
    /// A complete response.
    Ready(Response<StaticBody>),
    /// Headers are decided; the body needs I/O first.
    Load {
        head: Response<StaticBody>,
        body: BodyFuture,
    },
}

/// The service made by the [`StaticFiles`] layer around `S`.
#[derive(Debug, Clone)]
pub struct StaticFilesService<S> {
    files: StaticFiles,
    table: Arc<Table>,
    inner: S,
}

impl<S> StaticFilesService<S> {
    pub(crate) fn new(files: StaticFiles, inner: S) -> Self {
        let table = files.table();
        StaticFilesService {
            files,
            table,
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

    fn handle<B>(&self, req: &Request<B>) -> Option<Action> {
        let inner = &self.files.inner;
        let rel = crate::path::relative(req.uri().path(), &inner.mount)?;
        match &inner.mode {
            Mode::Manifest(loaded) => match self.table.routes.get(&*rel)? {
                Route::AddSlash => Some(Action::Ready(respond::add_slash(
                    req.uri().path(),
                    req.uri().query(),
                ))),
                Route::File(entry) => Some(serve_entry(
                    loaded,
                    &inner.settings,
                    entry,
                    req.method(),
                    req.headers(),
                )),
            },
            Mode::Dev(config) => crate::dev::handle(
                config,
                &inner.settings,
                &rel,
                req.method(),
                req.headers(),
                req.uri().path(),
                req.uri().query(),
            ),
        }
    }
}

fn serve_entry(
    loaded: &Arc<Loaded>,
    settings: &Settings,
    entry: &Entry,
    method: &Method,
    headers: &HeaderMap,
) -> Action {
    let head_only = match *method {
        Method::GET => false,
        Method::HEAD => true,
        _ => return Action::Ready(respond::method_not_allowed()),
    };
    let record = &entry.record;
    let Ok(encoding) = negotiate(headers, record.available) else {
        return Action::Ready(respond::not_acceptable(record.available.any()));
    };
    let rep = record.rep(encoding);
    let view = View {
        content_type: &entry.content_type,
        cache_control: &entry.cache_control,
        last_modified: &record.last_modified,
        modified: record.modified,
        etag: &rep.etag,
        len: rep.len,
        content_length: &rep.content_length,
        encoding,
        vary: record.available.any(),
        extra: &entry.extra,
    };
    let plan = respond::plan(headers, &view);
    let mut res = respond::head(&view, plan);
    let Plan::Send(range) = plan else {
        return Action::Ready(res);
    };
    if head_only || rep.len == 0 {
        return Action::Ready(res);
    }
    let (start, end) = range.unwrap_or((0, rep.len - 1));
    if let Some(bytes) = rep.cached.get() {
        if let Some(body) = slice(bytes, start, end) {
            *res.body_mut() = StaticBody::full(body);
            return Action::Ready(res);
        }
    }
    let record = record.clone();
    let body: BodyFuture =
        if rep.len <= settings.memory_max_file && loaded.reserve(rep.len, settings.memory_budget) {
            let loaded = loaded.clone();
            Box::pin(async move {
                let rep = record.rep(encoding);
                let result = read_whole(&rep.path, rep.len).await;
                let bytes = match result {
                    Ok(b) => b,
                    Err(e) => {
                        loaded.release(rep.len);
                        return Err(e);
                    }
                };
                if rep.cached.set(bytes.clone()).is_err() {
                    // Another request loaded it first; keep one copy.
                    loaded.release(rep.len);
                }
                slice(&bytes, start, end)
                    .map(StaticBody::full)
                    .ok_or_else(|| io::Error::other("range outside the file"))
            })
        } else {
            Box::pin(async move {
                let rep = record.rep(encoding);
                let with_path =
                    |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", rep.path.display()));
                let mut file = tokio::fs::File::open(&rep.path).await.map_err(with_path)?;
                if start > 0 {
                    file.seek(io::SeekFrom::Start(start))
                        .await
                        .map_err(with_path)?;
                }
                Ok(StaticBody::file(file, end - start + 1))
            })
        };
    Action::Load { head: res, body }
}

fn slice(bytes: &bytes::Bytes, start: u64, end: u64) -> Option<bytes::Bytes> {
    let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
    bytes.get(start..=end)?;
    Some(bytes.slice(start..=end))
}

async fn read_whole(path: &std::path::Path, len: u64) -> io::Result<bytes::Bytes> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    if bytes.len() as u64 != len {
        return Err(io::Error::other(format!(
            "{}: {} bytes on disk, the manifest says {len}",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes.into())
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

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let state = match self.handle(&req) {
            Some(Action::Ready(res)) => State::Ready { res: Some(res) },
            Some(Action::Load { head, body }) => State::Loading {
                head: Some(head),
                body,
            },
            None => State::Inner {
                fut: self.inner.call(req),
            },
        };
        ResponseFuture {
            state,
            _body: PhantomData,
        }
    }
}

pin_project! {
    /// The response future of [`StaticFilesService`].
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
        Loading { head: Option<Response<StaticBody>>, body: BodyFuture },
        Inner { #[pin] fut: F },
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
            StateProj::Loading { head, body } => {
                let result = ready!(body.as_mut().poll(cx));
                match (result, head.take()) {
                    (Ok(b), Some(mut res)) => {
                        *res.body_mut() = b;
                        res
                    }
                    (Err(e), _) => {
                        tracing::error!("cannot serve static file: {e}");
                        respond::internal_error()
                    }
                    (Ok(_), None) => respond::internal_error(),
                }
            }
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
