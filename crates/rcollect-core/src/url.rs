//! STATIC_URL (and MEDIA_URL), parsed once: the one home for what a valid
//! URL prefix is, the URL path it is served under, and the URL of a file.
//!
//! The checks (`E004`, `E005`), the middleware's mount path and the CLI's
//! `nginx-conf` all go through [`StaticUrl::parse`] and [`form_problem`],
//! so they agree on every value.

use std::fmt;

/// A valid STATIC_URL: a path (`/static/`) or an absolute http(s) URL
/// (`https://cdn.example.com/static/`), ending with `/`, ASCII only.
///
/// ```
/// use rcollect_core::url::StaticUrl;
/// let url = StaticUrl::parse("https://cdn.example.com/static/").unwrap();
/// assert_eq!(url.mount_path(), "/static/");
/// assert_eq!(url.file("css/a b.css"), "https://cdn.example.com/static/css/a%20b.css");
/// assert!(StaticUrl::parse("/static").is_err());
/// assert!(StaticUrl::parse("//cdn.example.com/static/").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticUrl {
    url: String,
    mount: String,
}

/// Why a value is not a valid STATIC_URL. Its `Display` is a predicate
/// ("does not end with '/'") for a sentence naming the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The value is empty.
    #[error("is empty")]
    Empty,
    /// The value does not end with `/`.
    #[error("does not end with '/'")]
    NoTrailingSlash,
    /// The value is neither a `/path` nor an absolute http(s) URL, or has
    /// characters a request never matches (see [`form_problem`]).
    #[error("{0}")]
    Form(String),
}

impl StaticUrl {
    /// Parses a STATIC_URL.
    ///
    /// # Errors
    /// It is empty, does not end with `/`, or [`form_problem`] finds a
    /// problem.
    pub fn parse(url: &str) -> Result<StaticUrl, UrlError> {
        if url.is_empty() {
            return Err(UrlError::Empty);
        }
        if let Some(problem) = form_problem(url) {
            return Err(UrlError::Form(problem));
        }
        if !url.ends_with('/') {
            return Err(UrlError::NoTrailingSlash);
        }
        let mount = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| rest.get(i..).unwrap_or("/")),
            None => url,
        };
        Ok(StaticUrl {
            url: url.to_string(),
            mount: mount.to_string(),
        })
    }

    /// The value as configured (what file URLs start with).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The URL path the files are served under: the path part, with a
    /// leading and a trailing `/` (`/static/`).
    pub fn mount_path(&self) -> &str {
        &self.mount
    }

    /// The URL of a file `name` (relative to STATIC_ROOT), percent-encoded
    /// where needed, HTML specials included ([`crate::paths::static_url`]).
    pub fn file(&self, name: &str) -> String {
        crate::paths::static_url(&self.url, name)
    }
}

impl fmt::Display for StaticUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// Only the non-ASCII bytes (and controls) are encoded in the suggestion.
const NON_ASCII: &percent_encoding::AsciiSet = percent_encoding::CONTROLS;

/// Why a non-empty STATIC_URL or MEDIA_URL is neither a `/path` nor an
/// absolute http(s) URL, or has characters that requests never match as
/// written; `None` when its form is fine (the trailing `/` is checked
/// apart).
///
/// ```
/// use rcollect_core::url::form_problem;
/// assert_eq!(form_problem("/static/"), None);
/// assert!(form_problem("static/").is_some());
/// assert!(form_problem("/stätic/").unwrap().contains("/st%C3%A4tic/"));
/// ```
pub fn form_problem(url: &str) -> Option<String> {
    if url.is_empty() {
        return None;
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("contains whitespace or control characters".into());
    }
    if url.contains('\\') {
        return Some("contains a backslash".into());
    }
    if !url.is_ascii() {
        return Some(format!(
            "contains non-ASCII characters, which requests never match as written; write them percent-encoded ('{}')",
            percent_encoding::utf8_percent_encode(url, NON_ASCII)
        ));
    }
    if url.contains(['?', '#']) {
        return Some("contains a query or fragment ('?' or '#')".into());
    }
    let path = if url.starts_with("//") {
        return Some(
            "is a scheme-relative URL (//host/...); write the scheme (https://...)".into(),
        );
    } else if url.starts_with('/') {
        url
    } else if let Some((scheme, rest)) = url.split_once("://") {
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return Some(format!(
                "has the scheme '{}'; only http and https URLs are supported",
                scheme.escape_debug()
            ));
        }
        let (host, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if host.is_empty() || host.contains('@') {
            return Some("has no host (or has credentials in it)".into());
        }
        path
    } else {
        return Some("is neither a path starting with '/' nor an absolute http(s) URL".into());
    };
    let inner = path.trim_start_matches('/').trim_end_matches('/');
    if inner.is_empty() {
        return None;
    }
    if inner.split('/').any(|s| s == "." || s == "..") {
        return Some("contains a '.' or '..' segment".into());
    }
    if inner.split('/').any(str::is_empty) {
        return Some("contains an empty path segment ('//')".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths() {
        let mount = |u: &str| StaticUrl::parse(u).map(|s| s.mount_path().to_string());
        assert_eq!(mount("/static/").as_deref(), Ok("/static/"));
        assert_eq!(
            mount("https://cdn.example.com/static/").as_deref(),
            Ok("/static/")
        );
        assert_eq!(mount("https://cdn.example.com/").as_deref(), Ok("/"));
        assert_eq!(mount("/st%C3%A4tic/").as_deref(), Ok("/st%C3%A4tic/"));
        assert_eq!(mount("/static"), Err(UrlError::NoTrailingSlash));
        assert_eq!(mount(""), Err(UrlError::Empty));
        // One answer for every caller: the middleware used to take these.
        for refused in ["static/", "//cdn.example.com/s/", "https://cdn.example.com"] {
            assert!(mount(refused).is_err(), "{refused}");
        }
    }
}
