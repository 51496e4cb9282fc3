//! Who gets a source map: the manifest's `sourcemaps` mode (`[sourcemaps]
//! mode` when it was collected) decides how names whose logical path ends
//! in `.map` are answered, hashed and unhashed alike.
//!
//! * `public`: like any file.
//! * `hidden`: never (collect removed the links; the maps are there for an
//!   error tracker's upload, not for visitors).
//! * `private`: only to a request that carries the token
//!   ([`StaticFiles::sourcemap_token`](crate::StaticFiles::sourcemap_token))
//!   in the [`SOURCEMAP_TOKEN_HEADER`] header or the
//!   [`SOURCEMAP_TOKEN_COOKIE`] cookie, with [`PRIVATE`] caching. DevTools sends the page's cookies with its
//!   source-map fetches but no custom header, so the cookie is what makes
//!   stock DevTools work; the header is for curl, an error tracker's
//!   uploader or a browser extension. Without a configured token nobody
//!   gets them.
//!
//! A refused request gets the same `no-store` 404 as an unknown hashed
//! name, before anything else is looked at (method, conditionals), so a
//! refused map answers exactly like an unknown hashed name (not like an
//! unknown unhashed one, which goes to the inner service) and no cache
//! keeps the refusal for the holders of the token. The gate is
//! decided once per name when the table is built; a request only compares
//! the SHA-256 of what it carries with the token's, in constant time.
//! Dev mode (serving the sources) has no gate: developers need their maps.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use rcollect_core::config::SourceMapMode;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The request header that carries the token of private source maps.
pub const SOURCEMAP_TOKEN_HEADER: HeaderName = HeaderName::from_static("sourcemap-token");

/// The cookie that carries the token of private source maps (set it for
/// the site in the browser, and DevTools sends it with its map requests).
pub const SOURCEMAP_TOKEN_COOKIE: &str = "rcollect_sourcemap_token";

/// `Cache-Control` of a private source map sent to a holder of the token:
/// no cache (a CDN above all) may store it and hand it to someone else.
/// No `Vary: Cookie, SourceMap-Token` either: with `no-store` no cache
/// holds a response for `Vary` to key.
pub(crate) const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// The token of private source maps, kept only as its SHA-256 (and never
/// printed).
#[derive(Clone)]
pub(crate) struct Token([u8; 32]);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// The token `secret`; `None` for an empty one (it would admit an empty
    /// header or cookie).
    pub(crate) fn new(secret: &str) -> Option<Token> {
        (!secret.is_empty()).then(|| Token(Sha256::digest(secret.as_bytes()).into()))
    }

    /// Whether `candidate` is the token. Both sides are hashed first, so
    /// the comparison takes the same time whatever its length and content.
    fn matches(&self, candidate: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate).into();
        bool::from(digest.ct_eq(&self.0))
    }

    /// Whether `headers` carry the token, in [`SOURCEMAP_TOKEN_HEADER`] or in the
    /// [`SOURCEMAP_TOKEN_COOKIE`] cookie (among others, in any `Cookie` header).
    fn carried_by(&self, headers: &HeaderMap) -> bool {
        let in_header = headers
            .get_all(SOURCEMAP_TOKEN_HEADER)
            .iter()
            .map(|v| v.as_bytes().trim_ascii())
            .any(|v| !v.is_empty() && self.matches(v));
        in_header
            || headers
                .get_all(http::header::COOKIE)
                .iter()
                .flat_map(|v| cookie_values(v.as_bytes(), SOURCEMAP_TOKEN_COOKIE.as_bytes()))
                .any(|v| !v.is_empty() && self.matches(v))
    }
}

/// The values of the cookies named `name` in a `Cookie` header value
/// (`a=1; name=v; b=2`), without the optional double quotes (RFC 6265
/// `cookie-value`).
fn cookie_values<'a>(header: &'a [u8], name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    header.split(|&b| b == b';').filter_map(move |pair| {
        let pair = pair.trim_ascii();
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (key, value) = (pair.get(..eq)?, pair.get(eq + 1..)?);
        if key.trim_ascii() != name {
            return None;
        }
        let value = value.trim_ascii();
        Some(
            value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value),
        )
    })
}

/// Who may have a file.
#[derive(Debug, Clone, Default)]
pub(crate) enum Gate {
    /// Everyone.
    #[default]
    Open,
    /// Nobody (hidden source maps, or private ones without a token).
    Closed,
    /// The holders of the token (private source maps).
    Token(Arc<Token>),
}

impl Gate {
    /// The gate of the file of `logical` under the manifest's `mode`, with
    /// the configured token, if any.
    pub(crate) fn of(logical: &str, mode: SourceMapMode, token: Option<&Arc<Token>>) -> Gate {
        if !is_source_map(logical) {
            return Gate::Open;
        }
        match (mode, token) {
            (SourceMapMode::Public, _) => Gate::Open,
            (SourceMapMode::Hidden, _) | (SourceMapMode::Private, None) => Gate::Closed,
            (SourceMapMode::Private, Some(t)) => Gate::Token(t.clone()),
        }
    }

    /// Whether a request with `headers` gets the file.
    pub(crate) fn admits(&self, headers: &HeaderMap) -> bool {
        match self {
            Gate::Open => true,
            Gate::Closed => false,
            Gate::Token(t) => t.carried_by(headers),
        }
    }

    /// True unless everyone gets the file.
    pub(crate) fn is_guarded(&self) -> bool {
        !matches!(self, Gate::Open)
    }
}

/// Whether `logical` names a source map (`.map`, any case).
pub(crate) fn is_source_map(logical: &str) -> bool {
    logical
        .len()
        .checked_sub(4)
        .and_then(|i| logical.get(i..))
        .is_some_and(|ext| ext.eq_ignore_ascii_case(".map"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    #[test]
    fn the_token_is_taken_from_the_header_or_the_cookie_only_when_equal() {
        let gate = Gate::Token(Arc::new(Token::new("s3cret").expect("token")));
        for (pairs, admitted) in [
            (&[("sourcemap-token", "s3cret")][..], true),
            (&[("SourceMap-Token", "s3cret")], true),
            (
                &[("sourcemap-token", "wrong"), ("sourcemap-token", "s3cret")],
                true,
            ),
            (
                &[("cookie", "a=1; rcollect_sourcemap_token=s3cret; b=2")],
                true,
            ),
            (
                &[
                    ("cookie", "a=1"),
                    ("cookie", "rcollect_sourcemap_token=\"s3cret\""),
                ],
                true,
            ),
            (
                &[(
                    "cookie",
                    "rcollect_sourcemap_token=wrong; rcollect_sourcemap_token=s3cret",
                )],
                true,
            ),
            (&[], false),
            (&[("sourcemap-token", "s3cre")], false),
            (&[("sourcemap-token", " s3cret ")], true),
            (&[("sourcemap-token", "")], false),
            (&[("x-sourcemap-token", "s3cret")], false),
            (&[("cookie", "rcollect_sourcemap_token=s3cretx")], false),
            (&[("cookie", "xrcollect_sourcemap_token=s3cret")], false),
            (&[("cookie", "rcollect_sourcemap_token")], false),
            (&[("cookie", "sourcemap-token=s3cret")], false),
            (&[("authorization", "Bearer s3cret")], false),
        ] {
            assert_eq!(gate.admits(&headers(pairs)), admitted, "{pairs:?}");
        }
    }

    #[test]
    fn the_mode_decides_the_gate_of_map_files_only() {
        let token = Token::new("t").map(Arc::new);
        let none = HeaderMap::new();
        let with = headers(&[("sourcemap-token", "t")]);
        let gate = |l, m| Gate::of(l, m, token.as_ref());
        assert!(gate("a.js", SourceMapMode::Hidden).admits(&none));
        assert!(gate("a.js.map", SourceMapMode::Public).admits(&none));
        assert!(!gate("a.js.map", SourceMapMode::Hidden).admits(&with));
        assert!(!gate("A.JS.MAP", SourceMapMode::Hidden).admits(&with));
        assert!(!gate("a.0123456789ab.map", SourceMapMode::Private).admits(&none));
        assert!(gate("a.0123456789ab.map", SourceMapMode::Private).admits(&with));
        assert!(!Gate::of("a.map", SourceMapMode::Private, None).admits(&with));
        assert!(Token::new("").is_none());
        assert!(!is_source_map("map") && !is_source_map("") && !is_source_map("a.mapx"));
        assert!(is_source_map(".map") && is_source_map("d/é.Map"));
        assert_eq!(format!("{:?}", token), "Some(Token(..))");
    }
}
