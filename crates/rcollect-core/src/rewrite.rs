//! Resolving references to logical paths and rewriting them to hashed names.
//!
//! A reference is rewritten by replacing only its last path segment with the
//! hashed file name, like Django does: `url("../img/a.png?v=1#x")` becomes
//! `url("../img/a.3f2a9c81d0e4.png?v=1#x")`; the directory part, the query and
//! the fragment are kept as written.

use std::ops::Range;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::scan::RefKind;

/// Characters percent-encoded in the file name we write into a reference.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'\\')
    .add(b'^')
    .add(b'{')
    .add(b'}')
    .add(b'|');

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Not ours: a scheme (`data:`, `https:`), `//host`, a fragment-only or
    /// empty reference, a bare JS package name, an absolute path outside
    /// STATIC_URL, or text that is not UTF-8.
    External,
    /// A file in the collected tree.
    Local {
        /// The logical path it resolves to (percent-decoded).
        logical: String,
        /// Byte offset in the reference text where its last path segment starts.
        name_start: usize,
        /// Byte offset where the path ends (the `?query#fragment` that follows is kept).
        path_end: usize,
    },
    /// A relative path that climbs above the root of the tree (`../../x`).
    Outside {
        /// The path as resolved, for the error message.
        resolved: String,
    },
}

/// Resolves the text of a reference found in the file `from` (a logical path).
/// `static_url` is STATIC_URL (`/static/` or `https://cdn.example.com/static/`).
///
/// ```
/// use rcollect_core::rewrite::{resolve, Target};
/// use rcollect_core::scan::RefKind;
/// let t = resolve("../img/a%20b.png?v=1", RefKind::CssUrl, "css/app.css", "/static/");
/// assert!(matches!(t, Target::Local { ref logical, .. } if logical == "img/a b.png"));
/// assert_eq!(resolve("data:image/png;base64,AA", RefKind::CssUrl, "a.css", "/static/"), Target::External);
/// assert_eq!(resolve("lodash", RefKind::JsImport, "a.js", "/static/"), Target::External);
/// ```
pub fn resolve(text: &str, kind: RefKind, from: &str, static_url: &str) -> Target {
    let path_end = text.find(['?', '#']).unwrap_or(text.len());
    let path = &text[..path_end];
    if path.is_empty()
        || path.starts_with("//")
        || has_scheme(path) && !path.starts_with(static_url)
    {
        return Target::External;
    }
    let js = matches!(kind, RefKind::JsImport | RefKind::JsDynamicImport);
    let (base, rel) = if !static_url.is_empty() && path.starts_with(static_url) {
        ("", &path[static_url.len()..])
    } else if path.starts_with('/') || js && !(path.starts_with("./") || path.starts_with("../")) {
        return Target::External;
    } else {
        (from.rfind('/').map_or("", |i| &from[..i]), path)
    };
    let Ok(decoded) = percent_decode_str(rel).decode_utf8() else {
        return Target::External;
    };
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    let mut outside = false;
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    outside = true;
                }
            }
            s => segments.push(s),
        }
    }
    let logical = segments.join("/");
    if outside {
        return Target::Outside {
            resolved: format!("../{logical}"),
        };
    }
    if decoded.ends_with('/') || logical.is_empty() {
        // A directory is never a collected file; report it as missing.
        return Target::Outside {
            resolved: if logical.is_empty() {
                "/".into()
            } else {
                format!("{logical}/")
            },
        };
    }
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    Target::Local {
        logical,
        name_start,
        path_end,
    }
}

fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The new text of a reference: `text` with its last path segment replaced by
/// the (percent-encoded) file name of `hashed`.
pub fn replacement(text: &str, name_start: usize, path_end: usize, hashed: &str) -> String {
    let name = hashed.rsplit('/').next().unwrap_or(hashed);
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..name_start]);
    out.extend(utf8_percent_encode(name, SEGMENT));
    out.push_str(&text[path_end..]);
    out
}

/// Applies edits (sorted, non-overlapping byte ranges with their new text).
/// With no edits the output equals the input.
pub fn splice(src: &[u8], edits: &[(Range<usize>, String)]) -> Vec<u8> {
    let extra: usize = edits.iter().map(|(_, s)| s.len()).sum();
    let mut out = Vec::with_capacity(src.len() + extra);
    let mut pos = 0;
    for (range, text) in edits {
        let start = range.start.clamp(pos, src.len());
        let end = range.end.clamp(start, src.len());
        out.extend_from_slice(&src[pos..start]);
        out.extend_from_slice(text.as_bytes());
        pos = end;
    }
    out.extend_from_slice(&src[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn local(text: &str, kind: RefKind, from: &str) -> Option<String> {
        match resolve(text, kind, from, "/static/") {
            Target::Local { logical, .. } => Some(logical),
            _ => None,
        }
    }

    #[test]
    fn relative_and_absolute() {
        let css = RefKind::CssUrl;
        assert_eq!(
            local("img/a.png", css, "css/x.css").as_deref(),
            Some("css/img/a.png")
        );
        assert_eq!(local("./a.png", css, "x.css").as_deref(), Some("a.png"));
        assert_eq!(
            local("../a.png#f", css, "css/x.css").as_deref(),
            Some("a.png")
        );
        assert_eq!(
            local("/static/i/a.png", css, "css/x.css").as_deref(),
            Some("i/a.png")
        );
        assert_eq!(
            local("%C3%A9t%C3%A9.png", css, "x.css").as_deref(),
            Some("été.png")
        );
        let abs = resolve(
            "https://cdn.example.com/static/a.png",
            css,
            "x.css",
            "https://cdn.example.com/static/",
        );
        assert!(matches!(abs, Target::Local { ref logical, .. } if logical == "a.png"));
    }

    #[test]
    fn left_alone() {
        for (t, k) in [
            ("data:image/png;base64,AAA", RefKind::CssUrl),
            ("http://x/a.png", RefKind::CssUrl),
            ("HTTPS://x/a.png", RefKind::CssUrl),
            ("//host/a.png", RefKind::CssUrl),
            ("#frag", RefKind::CssUrl),
            ("", RefKind::CssUrl),
            ("/media/a.png", RefKind::CssUrl),
            ("react", RefKind::JsImport),
            ("@scope/pkg/x.js", RefKind::JsDynamicImport),
            ("lib/x.js", RefKind::JsImport),
        ] {
            assert_eq!(
                resolve(t, k, "css/x.css", "/static/"),
                Target::External,
                "{t}"
            );
        }
        assert_eq!(
            local("./x.js", RefKind::JsImport, "js/a.js").as_deref(),
            Some("js/x.js")
        );
        assert_eq!(
            local("/static/x.js", RefKind::JsImport, "js/a.js").as_deref(),
            Some("x.js")
        );
    }

    #[test]
    fn climbing_out_and_directories_are_not_local() {
        assert!(matches!(
            resolve("../../a.png", RefKind::CssUrl, "css/x.css", "/static/"),
            Target::Outside { .. }
        ));
        assert!(matches!(
            resolve("img/", RefKind::CssUrl, "x.css", "/static/"),
            Target::Outside { .. }
        ));
    }

    #[test]
    fn replacement_keeps_dir_query_and_fragment() {
        let text = "../img/my%20a.png?v=1#x";
        let Target::Local {
            name_start,
            path_end,
            ..
        } = resolve(text, RefKind::CssUrl, "css/x.css", "/static/")
        else {
            panic!("local")
        };
        assert_eq!(
            replacement(text, name_start, path_end, "img/my a.0123456789ab.png"),
            "../img/my%20a.0123456789ab.png?v=1#x"
        );
    }

    #[test]
    fn splice_applies_edits_in_order() {
        let src = b"a url(x) b url(y) c";
        let out = splice(src, &[(6..7, "X1".into()), (15..16, "Y1".into())]);
        assert_eq!(out, b"a url(X1) b url(Y1) c");
    }

    proptest! {
        #[test]
        fn splice_without_edits_is_identity(src in proptest::collection::vec(any::<u8>(), 0..512)) {
            prop_assert_eq!(splice(&src, &[]), src);
        }

        #[test]
        fn resolve_never_panics(text in ".{0,64}", from in "[a-z/]{0,16}") {
            let _ = resolve(&text, RefKind::CssUrl, &from, "/static/");
            let _ = resolve(&text, RefKind::JsImport, &from, "https://cdn/s/");
        }
    }
}
