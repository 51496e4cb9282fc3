//! Building responses from prepared header values: deciding between 200,
//! 206, 304 and 416, and the error answers (405, 406, 500) and redirects.

use http::header::{
    ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, LAST_MODIFIED, LOCATION, RANGE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

use crate::serve::body::StaticBody;
use crate::serve::conditional::{if_range_allows, not_modified};
use crate::serve::range::{self, Ranged};

const ACCEPT_ENCODING_VALUE: HeaderValue = HeaderValue::from_static("Accept-Encoding");
const ACCEPT_ENCODING_DICTIONARY: HeaderValue =
    HeaderValue::from_static("Accept-Encoding, Available-Dictionary");
/// The response header of RFC 9842 that offers a response as a dictionary.
pub(crate) const USE_AS_DICTIONARY: HeaderName = HeaderName::from_static("use-as-dictionary");

/// What the representation chosen depends on, besides the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vary {
    /// Nothing: one representation.
    None,
    /// `Accept-Encoding`: precompressed variants.
    Encoding,
    /// `Accept-Encoding, Available-Dictionary`: dictionary deltas too.
    EncodingAndDictionary,
}

impl Vary {
    fn value(self) -> Option<HeaderValue> {
        match self {
            Vary::None => None,
            Vary::Encoding => Some(ACCEPT_ENCODING_VALUE),
            Vary::EncodingAndDictionary => Some(ACCEPT_ENCODING_DICTIONARY),
        }
    }
}
const BYTES: HeaderValue = HeaderValue::from_static("bytes");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// Everything about the selected representation that goes into headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) content_type: &'a HeaderValue,
    pub(crate) cache_control: &'a HeaderValue,
    pub(crate) last_modified: &'a HeaderValue,
    /// `Last-Modified` in seconds since the epoch.
    pub(crate) modified: u64,
    pub(crate) etag: &'a HeaderValue,
    pub(crate) len: u64,
    pub(crate) content_length: &'a HeaderValue,
    /// The `Content-Encoding` token, if encoded.
    pub(crate) encoding: Option<&'static str>,
    pub(crate) vary: Vary,
    pub(crate) extra: &'a [(HeaderName, HeaderValue)],
    pub(crate) use_as_dictionary: Option<&'a HeaderValue>,
}

/// What to answer a GET or HEAD with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// 304.
    NotModified,
    /// 416.
    Unsatisfiable,
    /// 200 (`None`) or 206 with the inclusive byte range.
    Send(Option<(u64, u64)>),
}

/// Evaluates the conditional and range headers against the representation.
pub(crate) fn reply(headers: &HeaderMap, v: &View<'_>) -> Reply {
    let etag = v.etag.as_bytes();
    if not_modified(headers, etag, v.modified) {
        return Reply::NotModified;
    }
    if let Some(r) = headers.get(RANGE) {
        if if_range_allows(headers, etag, v.modified) {
            return match range::parse(r.as_bytes(), v.len) {
                Ranged::Full => Reply::Send(None),
                Ranged::Partial { start, end } => Reply::Send(Some((start, end))),
                Ranged::Unsatisfiable => Reply::Unsatisfiable,
            };
        }
    }
    Reply::Send(None)
}

/// The response for a reply, with an empty body (the caller sets the body
/// for 200 and 206 on GET).
pub(crate) fn head(v: &View<'_>, reply: Reply) -> Response<StaticBody> {
    let mut res = Response::new(StaticBody::empty());
    let mut status = StatusCode::OK;
    let h = res.headers_mut();
    h.reserve(12 + v.extra.len());
    match reply {
        Reply::NotModified => {
            status = StatusCode::NOT_MODIFIED;
            validators(h, v);
        }
        Reply::Unsatisfiable => {
            status = StatusCode::RANGE_NOT_SATISFIABLE;
            if let Ok(cr) = HeaderValue::try_from(format!("bytes */{}", v.len)) {
                h.insert(CONTENT_RANGE, cr);
            }
            h.insert(ACCEPT_RANGES, BYTES);
            if let Some(vary) = v.vary.value() {
                h.insert(VARY, vary);
            }
        }
        Reply::Send(range) => {
            h.insert(CONTENT_TYPE, v.content_type.clone());
            if let Some(token) = v.encoding {
                h.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            if let Some(d) = v.use_as_dictionary {
                h.insert(USE_AS_DICTIONARY, d.clone());
            }
            match range {
                None => {
                    h.insert(CONTENT_LENGTH, v.content_length.clone());
                }
                Some((start, end)) => {
                    status = StatusCode::PARTIAL_CONTENT;
                    h.insert(CONTENT_LENGTH, HeaderValue::from(end - start + 1));
                    if let Ok(cr) = HeaderValue::try_from(format!("bytes {start}-{end}/{}", v.len))
                    {
                        h.insert(CONTENT_RANGE, cr);
                    }
                }
            }
            h.insert(ACCEPT_RANGES, BYTES);
            h.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
            validators(h, v);
        }
    }
    *res.status_mut() = status;
    res
}

/// The headers a 304 must repeat: ETag, Cache-Control, Last-Modified, Vary,
/// plus the configured extra headers.
fn validators(h: &mut HeaderMap, v: &View<'_>) {
    h.insert(ETAG, v.etag.clone());
    h.insert(LAST_MODIFIED, v.last_modified.clone());
    h.insert(CACHE_CONTROL, v.cache_control.clone());
    if let Some(vary) = v.vary.value() {
        h.insert(VARY, vary);
    }
    for (name, value) in v.extra {
        h.append(name.clone(), value.clone());
    }
}

fn status(code: StatusCode) -> Response<StaticBody> {
    let mut res = Response::new(StaticBody::empty());
    *res.status_mut() = code;
    res
}

/// 405 with `Allow: GET, HEAD`.
pub(crate) fn method_not_allowed() -> Response<StaticBody> {
    let mut res = status(StatusCode::METHOD_NOT_ALLOWED);
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    res
}

/// 406: no acceptable representation is available.
pub(crate) fn not_acceptable(vary: Vary) -> Response<StaticBody> {
    let mut res = status(StatusCode::NOT_ACCEPTABLE);
    if let Some(vary) = vary.value() {
        res.headers_mut().insert(VARY, vary);
    }
    res
}

/// 404 for a name that looks hashed but is not known (a page of a newer
/// or older release, mid-deploy): `Cache-Control: no-store`, so that a CDN
/// does not keep the 404 once the file arrives. Also the answer to a
/// request refused a hidden or private source map (`sourcemap`).
pub(crate) fn unknown_hashed_name() -> Response<StaticBody> {
    let mut res = status(StatusCode::NOT_FOUND);
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// 500: the file named by the manifest could not be read.
pub(crate) fn internal_error() -> Response<StaticBody> {
    status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// 301 to the same path with a trailing slash (query kept).
pub(crate) fn add_slash(path: &str, query: Option<&str>) -> Response<StaticBody> {
    let location = match query {
        Some(q) => format!("{path}/?{q}"),
        None => format!("{path}/"),
    };
    match HeaderValue::try_from(location) {
        Ok(loc) => {
            let mut res = status(StatusCode::MOVED_PERMANENTLY);
            res.headers_mut().insert(LOCATION, loc);
            res
        }
        Err(_) => status(StatusCode::NOT_FOUND),
    }
}
