//! The synchronous part of a request, the same for every source of files:
//! method → negotiate → conditional/range plan → headers. What is left
//! (reading bytes) is handed to [`crate::open`] as one [`OpenRequest`].

use http::{HeaderMap, Method, Response};

use crate::asset::{Pick, Served};
use crate::body::StaticBody;
use crate::negotiate::{negotiate, negotiate_delta};
use crate::open::{Keep, OpenRequest, Origin, slice};
use crate::respond::{self, Plan, Vary, View};

/// The request header naming the dictionary a client holds (RFC 9842).
pub(crate) const AVAILABLE_DICTIONARY: http::HeaderName =
    http::HeaderName::from_static("available-dictionary");

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
    let vary = if !asset.deltas.is_empty() {
        Vary::EncodingAndDictionary
    } else if asset.listed.any() {
        Vary::Encoding
    } else {
        Vary::None
    };
    let delta = if asset.deltas.is_empty() {
        None
    } else {
        headers
            .get(AVAILABLE_DICTIONARY)
            .and_then(|v| rcollect_core::delta::parse_available_dictionary(v.as_bytes()))
            .and_then(|sha| asset.deltas_for(&sha))
            .and_then(|(i, d)| negotiate_delta(headers, |c| d.has(c)).map(|c| Pick::Delta(i, c)))
    };
    let pick = match delta {
        Some(p) => p,
        None => match negotiate(headers, asset.available()) {
            Ok(Some(e)) => Pick::Variant(e),
            Ok(None) => Pick::Identity,
            Err(_) => return Decision::Ready(respond::not_acceptable(vary)),
        },
    };
    let rep = asset.rep(pick);
    let view = View {
        content_type: &served.content_type,
        cache_control: &served.cache_control,
        last_modified: &asset.last_modified,
        modified: asset.modified,
        etag: &rep.etag,
        len: rep.len,
        content_length: &rep.content_length,
        encoding: pick.token(),
        vary,
        extra: &served.extra,
        use_as_dictionary: served.use_as_dictionary.as_ref(),
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
    // Bytes decoded from br have nowhere to be streamed from: kept within
    // the budget whatever their size.
    let cache = keep
        .filter(|k| rep.len <= k.max_file || matches!(k.origin, Origin::DecodeBr))
        .and_then(|k| k.memory.reserve(rep.len, k.budget));
    Decision::Open(Box::new(OpenRequest {
        head: res,
        served: served.clone(),
        // Only a variant can turn out to be missing and need a second decision.
        headers: if pick == Pick::Identity {
            HeaderMap::new()
        } else {
            headers.clone()
        },
        keep: keep.cloned(),
        pick,
        start,
        end,
        cache,
    }))
}
