//! Request path normalisation: strip the mount prefix, percent-decode once,
//! refuse anything that is not a plain relative path.
//!
//! The result is only ever used as a key into the table built at start-up
//! (or, in dev mode, handed to [`rcollect_core::find::Locator::locate`], which checks
//! it again), so a refused path simply is "not ours".

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// The relative, decoded name a request path asks for under `mount`, or
/// `None` when the path is not under `mount` or is not clean: after one
/// percent-decoding it must be UTF-8 without `\`, NUL, encoded `/`, empty,
/// `.` or `..` segments. A trailing `/` (a directory) and the empty string
/// (the mount itself) are allowed. A `%` left after the decoding is part of
/// the name (`100%25.svg` asks for `100%.svg`; `%252e` for a file named
/// `%2e`, never `.`): the result is never decoded again.
pub(crate) fn relative<'a>(path: &'a str, mount: &str) -> Option<Cow<'a, str>> {
    let rest = path.strip_prefix(mount)?;
    let decoded = if rest.as_bytes().contains(&b'%') {
        let decoded = percent_decode_str(rest).decode_utf8().ok()?;
        // An encoded separator never names a file.
        if decoded.matches('/').count() != rest.matches('/').count() {
            return None;
        }
        decoded
    } else {
        Cow::Borrowed(rest)
    };
    is_clean(&decoded).then_some(decoded)
}

fn is_clean(rel: &str) -> bool {
    if rel.is_empty() {
        return true;
    }
    if rel.contains(['\\', '\0']) || rel.starts_with('/') {
        return false;
    }
    let body = rel.strip_suffix('/').unwrap_or(rel);
    body.split('/')
        .all(|s| !s.is_empty() && s != "." && s != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths_pass_and_decode_once() {
        assert_eq!(
            relative("/static/css/a.css", "/static/").as_deref(),
            Some("css/a.css")
        );
        assert_eq!(
            relative("/static/a%20b.css", "/static/").as_deref(),
            Some("a b.css")
        );
        assert_eq!(
            relative("/static/docs/", "/static/").as_deref(),
            Some("docs/")
        );
        assert_eq!(relative("/static/", "/static/").as_deref(), Some(""));
        // Decoded exactly once: a `%` left over is part of the name.
        assert_eq!(
            relative("/static/100%25.svg", "/static/").as_deref(),
            Some("100%.svg")
        );
        assert_eq!(
            relative("/static/%252e%252e/x", "/static/").as_deref(),
            Some("%2e%2e/x")
        );
        assert_eq!(relative("/other/a.css", "/static/"), None);
        assert_eq!(relative("/staticx", "/static/"), None);
    }

    #[test]
    fn traversal_and_odd_encodings_are_refused() {
        for bad in [
            "/static/../secret",
            "/static/css/../../x",
            "/static/%2e%2e/x",
            "/static/%2E%2E/x",
            "/static/css%2fa.css",
            "/static/css%2Fa.css",
            "/static/..%2fx",
            "/static/a%00.css",
            "/static/a\\b",
            "/static/a%5cb",
            "/static//etc/passwd",
            "/static/a//b",
            "/static/./a",
            "/static/%ff",
            "/static/docs//",
        ] {
            assert_eq!(relative(bad, "/static/"), None, "{bad}");
        }
    }
}
