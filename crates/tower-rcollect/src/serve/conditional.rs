//! Conditional requests (RFC 9110 §13): `If-None-Match`, `If-Modified-Since`
//! and `If-Range`, parsed in place without allocation.
//!
//! `If-Match` and `If-Unmodified-Since` are not evaluated: they guard state
//! changes, and a static file only answers GET and HEAD.

use std::time::UNIX_EPOCH;

use http::HeaderMap;
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE};

/// True when the request's validators say the client's copy is current
/// (answer 304). `If-None-Match` (weak comparison, lists, `*`) takes
/// precedence over `If-Modified-Since`; an unparsable date is ignored.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &[u8], modified: u64) -> bool {
    let mut inm = headers.get_all(IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
        // `*` means "any" only as the whole field value (RFC 9110 §13.1.2).
        return inm.any(|v| v.as_bytes().trim_ascii() == b"*" || list_matches(v.as_bytes(), etag));
    }
    match headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| parse_date(v.as_bytes()))
    {
        Some(since) => modified <= since,
        None => false,
    }
}

/// Whether a `Range` may be honoured given `If-Range`: true without the
/// header, or when it holds the current strong ETag, or an HTTP date equal to
/// `Last-Modified`. A weak tag or anything else means "send the whole file".
pub(crate) fn if_range_allows(headers: &HeaderMap, etag: &[u8], modified: u64) -> bool {
    let Some(v) = headers.get(IF_RANGE) else {
        return true;
    };
    let v = v.as_bytes().trim_ascii();
    if v.first() == Some(&b'"') {
        return v == etag;
    }
    if v.starts_with(b"W/") {
        return false;
    }
    parse_date(v) == Some(modified)
}

/// Weak comparison of every entity tag in an `If-None-Match` list with `etag`
/// (which is given with its quotes and without `W/`).
fn list_matches(mut list: &[u8], etag: &[u8]) -> bool {
    loop {
        list = skip_separators(list);
        if list.is_empty() {
            return false;
        }
        if let Some(rest) = list.strip_prefix(b"W/") {
            list = rest;
        }
        if list.first() != Some(&b'"') {
            // Not an entity tag: skip to the next comma.
            match list.iter().position(|&b| b == b',') {
                Some(i) => {
                    list = &list[i..];
                    continue;
                }
                None => return false,
            }
        }
        let Some(end) = list[1..].iter().position(|&b| b == b'"') else {
            return false;
        };
        let tag = &list[..end + 2];
        if tag == etag {
            return true;
        }
        list = &list[end + 2..];
    }
}

fn skip_separators(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b',', rest @ ..] = s {
        s = rest;
    }
    s
}

/// An HTTP date as seconds since the epoch.
fn parse_date(v: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(v).ok()?;
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::{format_date, unix_secs};
    use rcollect_core::manifest::MAX_HTTP_TIME;
    use std::time::Duration;

    #[test]
    fn star_matches_only_alone() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(IF_NONE_MATCH, http::HeaderValue::from_static(v));
            m
        };
        assert!(not_modified(&h("*"), b"\"a\"", 0));
        assert!(not_modified(&h(" * "), b"\"a\"", 0));
        assert!(!not_modified(&h("*foo"), b"\"a\"", 0));
        assert!(!not_modified(&h("\"b\", *"), b"\"a\"", 0));
        assert!(not_modified(&h("*x, \"a\""), b"\"a\"", 0));
    }

    #[test]
    fn dates_beyond_year_9999_are_clamped() {
        assert_eq!(format_date(u64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(
            unix_secs(UNIX_EPOCH + Duration::from_secs(MAX_HTTP_TIME + 10)),
            MAX_HTTP_TIME
        );
    }
    use http::HeaderValue;

    const TAG: &[u8] = b"\"0123456789abcdef-br\"";
    const MODIFIED: u64 = 1_700_000_000;

    fn h(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(k.clone(), HeaderValue::from_str(v).expect("value"));
        }
        m
    }

    #[test]
    fn if_none_match_lists_star_and_weak() {
        let yes = [
            "\"0123456789abcdef-br\"",
            "W/\"0123456789abcdef-br\"",
            "\"x\", \"0123456789abcdef-br\"",
            "\"x\",W/\"0123456789abcdef-br\"",
            "*",
            "junk, \"0123456789abcdef-br\"",
        ];
        for v in yes {
            assert!(
                not_modified(&h(&[(IF_NONE_MATCH, v)]), TAG, MODIFIED),
                "{v}"
            );
        }
        let no = [
            "\"0123456789abcdef\"",
            "\"0123456789abcdef-gzip\"",
            "",
            "\"unterminated",
        ];
        for v in no {
            assert!(
                !not_modified(&h(&[(IF_NONE_MATCH, v)]), TAG, MODIFIED),
                "{v}"
            );
        }
    }

    #[test]
    fn if_none_match_beats_if_modified_since() {
        let later = format_date(MODIFIED + 10);
        let earlier = format_date(MODIFIED - 10);
        assert!(not_modified(
            &h(&[(IF_MODIFIED_SINCE, &later)]),
            TAG,
            MODIFIED
        ));
        assert!(not_modified(
            &h(&[(IF_MODIFIED_SINCE, &format_date(MODIFIED))]),
            TAG,
            MODIFIED
        ));
        assert!(!not_modified(
            &h(&[(IF_MODIFIED_SINCE, &earlier)]),
            TAG,
            MODIFIED
        ));
        assert!(!not_modified(
            &h(&[(IF_MODIFIED_SINCE, "yesterday")]),
            TAG,
            MODIFIED
        ));
        // A non-matching If-None-Match wins over a matching date.
        assert!(!not_modified(
            &h(&[(IF_NONE_MATCH, "\"other\""), (IF_MODIFIED_SINCE, &later)]),
            TAG,
            MODIFIED
        ));
    }

    #[test]
    fn if_range_strong_or_exact_date() {
        assert!(if_range_allows(&HeaderMap::new(), TAG, MODIFIED));
        assert!(if_range_allows(
            &h(&[(IF_RANGE, "\"0123456789abcdef-br\"")]),
            TAG,
            MODIFIED
        ));
        assert!(!if_range_allows(
            &h(&[(IF_RANGE, "W/\"0123456789abcdef-br\"")]),
            TAG,
            MODIFIED
        ));
        assert!(!if_range_allows(
            &h(&[(IF_RANGE, "\"0123456789abcdef\"")]),
            TAG,
            MODIFIED
        ));
        assert!(if_range_allows(
            &h(&[(IF_RANGE, &format_date(MODIFIED))]),
            TAG,
            MODIFIED
        ));
        assert!(!if_range_allows(
            &h(&[(IF_RANGE, &format_date(MODIFIED + 1))]),
            TAG,
            MODIFIED
        ));
        assert!(!if_range_allows(
            &h(&[(IF_RANGE, "garbage")]),
            TAG,
            MODIFIED
        ));
    }
}
