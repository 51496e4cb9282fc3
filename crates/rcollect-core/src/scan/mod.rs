//! Reference scanners for CSS, JavaScript and HTML.
//!
//! These are tokenizers, not regexes over the whole file: text inside
//! comments and ordinary string literals is never taken for a reference.
//! They work on bytes, so a non-UTF-8 file is scanned all the same.

pub mod css;
pub mod html;
pub mod js;

use std::ops::Range;

/// Which syntax produced a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefKind {
    /// CSS `url(...)` (quoted or not, any case), including `@import url(...)`.
    CssUrl,
    /// CSS `@import "x"` (a bare string after `@import`).
    CssImport,
    /// `sourceMappingURL=` in a CSS `/*# ... */` or JS `//# ...` comment.
    SourceMap,
    /// JS static `import ... from "x"`, `import "x"` or `export ... from "x"`.
    JsImport,
    /// JS dynamic `import("x")`.
    JsDynamicImport,
    /// What an HTML page loads with it: `<script src>`, `<img src>`, `<link
    /// href>` of a stylesheet, `modulepreload` or `preload`.
    HtmlLoad,
    /// An HTML `<link href>` of an icon, a web app manifest or a prefetch.
    HtmlLink,
}

/// One reference found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Byte range of the URL text itself (no quotes, no surrounding whitespace).
    pub span: Range<usize>,
    /// 1-based line on which the reference starts.
    pub line: u32,
    /// The syntax it came from.
    pub kind: RefKind,
}

/// The kind of file being scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// A stylesheet.
    Css,
    /// A JavaScript file (script or module).
    Js,
    /// An HTML page.
    Html,
}

impl Syntax {
    /// The syntax of a logical path, by extension; `None` for files we do not scan.
    pub fn of(path: &str) -> Option<Syntax> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".css") {
            Some(Syntax::Css)
        } else if lower.ends_with(".js") || lower.ends_with(".mjs") {
            Some(Syntax::Js)
        } else if lower.ends_with(".html") || lower.ends_with(".htm") {
            Some(Syntax::Html)
        } else {
            None
        }
    }
}

/// Scans `src` for references, in order of position.
pub fn scan(syntax: Syntax, src: &[u8]) -> Vec<Reference> {
    match syntax {
        Syntax::Css => css::scan(src),
        Syntax::Js => js::scan(src),
        Syntax::Html => html::scan(src),
    }
}

/// The byte range of the whole comment around the URL of a
/// [`RefKind::SourceMap`] reference found by [`scan`] (`url` is its
/// [`span`](Reference::span)): from the `//#`, `//@`, `/*#` or `/*@` up to
/// the end of the line (the line break is not part of it) or through the
/// closing `*/` (the end of the input for an unclosed one). `None` when
/// `url` does not follow `sourceMappingURL=` in such a comment. Removing
/// this range removes the link and nothing else (`[sourcemaps] mode =
/// "hidden"`).
///
/// ```
/// use rcollect_core::scan::{scan, source_map_comment, Syntax};
/// let js = b"f();\n//# sourceMappingURL=app.js.map\n";
/// let r = &scan(Syntax::Js, js)[0];
/// let c = source_map_comment(js, &r.span).unwrap();
/// assert_eq!(&js[c], b"//# sourceMappingURL=app.js.map");
/// let css = b"a{}/*# sourceMappingURL=a.css.map */b{}";
/// let r = &scan(Syntax::Css, css)[0];
/// let c = source_map_comment(css, &r.span).unwrap();
/// assert_eq!(&css[c], b"/*# sourceMappingURL=a.css.map */");
/// ```
pub fn source_map_comment(src: &[u8], url: &Range<usize>) -> Option<Range<usize>> {
    const KEY: &[u8] = b"sourceMappingURL=";
    if url.start >= url.end {
        return None;
    }
    let before = src.get(..url.start)?.strip_suffix(KEY)?;
    let blanks = before
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let marker = before.len().checked_sub(blanks + 1)?;
    if !matches!(src.get(marker), Some(b'#' | b'@')) {
        return None;
    }
    let start = marker.checked_sub(2)?;
    let end = match src.get(start..marker)? {
        b"//" => js::line_end(src, url.end),
        b"/*" => src
            .get(url.end..)?
            .windows(2)
            .position(|w| w == b"*/")
            .map_or(src.len(), |p| url.end + p + 2),
        _ => return None,
    };
    Some(start..end)
}

/// The invariants every scanner keeps (its tests check them): spans inside
/// the input, sorted, non-overlapping, non-empty; lines match a naive count.
#[cfg(test)]
pub(crate) fn check_invariants(src: &[u8], found: &[Reference]) {
    let mut last_end = 0;
    for r in found {
        assert!(r.span.start < r.span.end, "empty or reversed {r:?}");
        assert!(r.span.end <= src.len(), "out of input {r:?}");
        assert!(r.span.start >= last_end, "overlapping or unsorted {r:?}");
        last_end = r.span.end;
        let before = &src[..r.span.start];
        let crlf = before.windows(2).filter(|w| w == b"\r\n").count();
        let breaks = before.iter().filter(|&&b| b == b'\n' || b == b'\r').count() - crlf;
        assert_eq!(r.line as usize, breaks + 1, "line of {r:?}");
    }
}

/// What a scanner found in `src`, as (text, line, kind), after checking
/// [`check_invariants`] (the scanners' tests compare these).
#[cfg(test)]
pub(crate) fn found_texts(src: &[u8], found: &[Reference]) -> Vec<(String, u32, RefKind)> {
    check_invariants(src, found);
    found
        .iter()
        .map(|r| {
            let text = src.get(r.span.clone()).expect("span in input");
            (String::from_utf8_lossy(text).into_owned(), r.line, r.kind)
        })
        .collect()
}

/// An expected (text, line, kind) of [`found_texts`].
#[cfg(test)]
pub(crate) fn r(text: &str, line: u32, kind: RefKind) -> (String, u32, RefKind) {
    (text.to_owned(), line, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The text left once every source-map comment `syntax` finds in
    /// `src` is removed.
    fn stripped(syntax: Syntax, src: &str) -> String {
        let bytes = src.as_bytes();
        let mut out = Vec::new();
        let mut pos = 0;
        for r in scan(syntax, bytes) {
            if r.kind != RefKind::SourceMap {
                continue;
            }
            let c = source_map_comment(bytes, &r.span).expect("a comment");
            out.extend_from_slice(&bytes[pos..c.start]);
            pos = c.end;
        }
        out.extend_from_slice(&bytes[pos..]);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn the_comment_is_found_around_each_source_map_url() {
        assert_eq!(
            stripped(
                Syntax::Js,
                "a();\n//# sourceMappingURL=a.js.map\n//@ sourceMappingURL=b.map trailing\n\
                 /*# sourceMappingURL=c.map */x();\n//#\tsourceMappingURL=d.map\r\n\
                 //# sourceMappingURL=e.map\u{2028}y();"
            ),
            "a();\n\n\nx();\n\r\n\u{2028}y();"
        );
        assert_eq!(
            stripped(
                Syntax::Css,
                "a{}\n/*# sourceMappingURL=a.css.map */\n/*@ sourceMappingURL=b.map*/b{}\n\
                 /*# sourceMappingURL=data:application/json;base64,e30= */"
            ),
            "a{}\n\nb{}\n"
        );
        // Unclosed: up to the end.
        assert_eq!(
            stripped(Syntax::Css, "a{}/*# sourceMappingURL=a.map"),
            "a{}"
        );
    }

    #[test]
    fn text_that_only_looks_like_the_comment_stays() {
        let js = "const s = \"//# sourceMappingURL=a.map\";\n\
                  // # sourceMappingURL=b.map\n/* sourceMappingURL=c.map */\n\
                  `\n//# sourceMappingURL=d.map\n`;\n";
        assert_eq!(stripped(Syntax::Js, js), js);
        let css = ".a::after { content: \"/*# sourceMappingURL=a.map */\" }\n";
        assert_eq!(stripped(Syntax::Css, css), css);
    }

    #[test]
    fn a_span_outside_such_a_comment_is_none() {
        let src = b"import \"./a.js\"; // sourceMappingURL=x";
        let r = &scan(Syntax::Js, src)[0];
        assert_eq!(r.kind, RefKind::JsImport);
        assert_eq!(source_map_comment(src, &r.span), None);
        assert_eq!(source_map_comment(src, &(100..120)), None);
        #[allow(clippy::reversed_empty_ranges)] // a reversed span must not panic
        let reversed = 3..1;
        assert_eq!(source_map_comment(src, &reversed), None);
        assert_eq!(source_map_comment(b"#sourceMappingURL=a", &(18..19)), None);
    }

    proptest! {
        #[test]
        fn each_source_map_reference_has_a_comment_around_it(
            src in proptest::collection::vec(
                prop_oneof![
                    Just(b"//# sourceMappingURL=a.map".to_vec()),
                    Just(b"/*@ sourceMappingURL=b */".to_vec()),
                    Just(b"/*".to_vec()),
                    Just(b"*/".to_vec()),
                    Just(b"\"".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"`".to_vec()),
                    any::<u8>().prop_map(|b| vec![b]),
                ],
                0..40,
            ).prop_map(|parts| parts.concat()),
        ) {
            for syntax in [Syntax::Css, Syntax::Js] {
                for r in scan(syntax, &src).into_iter().filter(|r| r.kind == RefKind::SourceMap) {
                    let c = source_map_comment(&src, &r.span);
                    prop_assert!(
                        c.as_ref().is_some_and(|c| c.start < r.span.start
                            && r.span.end <= c.end
                            && c.end <= src.len()),
                        "{:?} {:?}", r, c
                    );
                }
            }
        }

        #[test]
        fn any_range_is_answered_without_panic(
            src in proptest::collection::vec(any::<u8>(), 0..64),
            start in 0usize..80,
            end in 0usize..80,
        ) {
            let _ = source_map_comment(&src, &(start..end));
        }
    }
}
