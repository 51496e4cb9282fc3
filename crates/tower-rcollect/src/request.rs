//! The synchronous part of a request, the same for every source of files:
//! method → negotiate → conditional/range plan → headers. What is left
//! (reading bytes) is handed to [`crate::open`] as one [`OpenRequest`].

use http::{HeaderMap, Method, Response};

use crate::asset::Served;
use crate::body::StaticBody;
use crate::negotiate::negotiate;
use crate::open::{Keep, OpenRequest, slice};
use crate::respond::{self, Plan, View};

/// What to answer a request the middleware owns with. A short-lived value,
/// moved once: the ready response stays unboxed so that the hot path (a
/// file already in memory, a 304) allocates nothing more.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Decision {
    /// A complete response.
    Ready(Response<StaticBody>),
    /// The headers are decided; the body needs I/O first.
    Open(Box<OpenRequest>),
}

/// Decides the answer to `method` with `headers` for `served`. `headers`
/// is only cloned when the body has to be read (so that a variant found
/// missing on disk can be replaced by the next acceptable one).
pub(crate) fn decide(
    served: &Served,
    method: &Method,
    headers: &HeaderMap,
    keep: Option<&Keep>,
) -> Decision {
    let head_only = match *method {
        Method::GET => false,
        Method::HEAD => true,
        _ => return Decision::Ready(respond::method_not_allowed()),
    };
    let asset = &served.asset;
    let vary = asset.listed.any();
    let Ok(encoding) = negotiate(headers, asset.available()) else {
        return Decision::Ready(respond::not_acceptable(vary));
    };
    let rep = asset.rep(encoding);
    let view = View {
        content_type: &served.content_type,
        cache_control: &served.cache_control,
        last_modified: &asset.last_modified,
        modified: asset.modified,
        etag: &rep.etag,
        len: rep.len,
        content_length: &rep.content_length,
        encoding,
        vary,
        extra: &served.extra,
    };
    let plan = respond::plan(headers, &view);
    let mut res = respond::head(&view, plan);
    let Plan::Send(range) = plan else {
        return Decision::Ready(res);
    };
    if head_only || rep.len == 0 {
        return Decision::Ready(res);
    }
    let (start, end) = range.unwrap_or((0, rep.len - 1));
    if let Some(bytes) = rep.cached.get() {
        if let Some(body) = slice(bytes, start, end) {
            *res.body_mut() = StaticBody::full(body);
            return Decision::Ready(res);
        }
    }
    let cache = keep
        .filter(|k| rep.len <= k.max_file)
        .and_then(|k| k.memory.reserve(rep.len, k.budget));
    Decision::Open(Box::new(OpenRequest {
        head: res,
        served: served.clone(),
        // Only a variant can turn out to be missing and need a second decision.
        headers: if encoding.is_some() {
            headers.clone()
        } else {
            HeaderMap::new()
        },
        keep: keep.cloned(),
        encoding,
        start,
        end,
        cache,
    }))
}
