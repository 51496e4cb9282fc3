//! The synchronous part of a request, the same for every source of files:
//! the [source-map gate](super::sourcemap) → method → `negotiate` (or an
//! RFC 9842 delta) → `conditional` / `range` (`respond::reply`) → headers.
//! A response whose bytes are in memory (or that has no body) is complete
//! here; otherwise the headers and the one chosen representation go to
//! [`open`](super::open) as one [`OpenRequest`].

use http::{HeaderMap, Method, Response};

use super::body::StaticBody;
use super::negotiate::{negotiate, negotiate_delta};
use super::open::{OpenRequest, slice};
use super::respond::{self, Reply, Vary, View};
use crate::asset::{Available, Pick, Served};
use crate::source::Reader;

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

/// Representations not to offer to this request: ones whose read failed
/// (the asset's own [missing](crate::asset::Asset::mark_missing) marks
/// apply to every request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Skip {
    variants: Available,
    deltas: bool,
}

impl Skip {
    /// Also skips what `pick` names.
    pub(crate) fn with(self, pick: Pick) -> Skip {
        match pick {
            Pick::Identity => self,
            Pick::Variant(e) => Skip {
                variants: self.variants.with(e),
                ..self
            },
            Pick::Delta(..) => Skip {
                deltas: true,
                ..self
            },
        }
    }
}

/// Decides the answer to `method` with `headers` for `served`, without
/// the representations in `skip`. `headers` is only cloned when the body
/// has to be read from a variant (so that a failed read can be answered
/// with the next acceptable representation).
pub(crate) fn decide(
    served: &Served,
    method: &Method,
    headers: &HeaderMap,
    reader: Option<&Reader>,
    skip: Skip,
) -> Decision {
    if !served.gate.admits(headers) {
        // A hidden or private source map: the answer to a name that does
        // not exist, whatever the method or conditionals.
        return Decision::Ready(respond::unknown_hashed_name());
    }
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
    let delta = if asset.deltas.is_empty() || skip.deltas {
        None
    } else {
        headers
            .get(AVAILABLE_DICTIONARY)
            .and_then(|v| rcollect_core::delta::parse_available_dictionary(v.as_bytes()))
            .and_then(|sha| asset.deltas_for(&sha))
            .and_then(|(i, d)| negotiate_delta(headers, |c| d.size(c)).map(|c| Pick::Delta(i, c)))
    };
    let pick = match delta {
        Some(p) => p,
        None => match negotiate(headers, asset.available().without(skip.variants)) {
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
    let reply = respond::reply(headers, &view);
    let mut res = respond::head(&view, reply);
    let Reply::Send(range) = reply else {
        return Decision::Ready(res);
    };
    if head_only || rep.len == 0 {
        return Decision::Ready(res);
    }
    let (start, end) = range.unwrap_or((0, rep.len - 1));
    if let Some(body) = rep.cached.get().and_then(|bytes| slice(bytes, start, end)) {
        *res.body_mut() = StaticBody::full(body);
        return Decision::Ready(res);
    }
    Decision::Open(Box::new(OpenRequest {
        head: res,
        served: served.clone(),
        // Only a variant or delta can be replaced after a failed read.
        headers: if pick == Pick::Identity {
            HeaderMap::new()
        } else {
            headers.clone()
        },
        reader: reader.cloned(),
        pick,
        start,
        end,
        skip,
    }))
}
