//! CSS reference scanner.
//!
//! A byte-level tokenizer that follows CSS Syntax Level 3 closely enough to
//! tell `url(...)` apart from text in comments, strings and identifiers that
//! merely contain `url`. It reports:
//!
//! * `url(x)`, `url("x")`, `url('x')` in any letter case, with whitespace
//!   allowed inside the parentheses, as [`RefKind::CssUrl`] (this includes
//!   `@import url(x)`);
//! * strings directly inside `image-set(` / `-webkit-image-set(` as
//!   [`RefKind::CssUrl`] (strings in nested functions such as `type("...")`
//!   are not URLs);
//! * `@import "x"` / `@import 'x'` (any case, whitespace and comments allowed
//!   after the at-keyword) as [`RefKind::CssImport`];
//! * `/*# sourceMappingURL=x */` (or `/*@ ...`) as [`RefKind::SourceMap`].
//!
//! Spans are raw source bytes: escapes (`\)`, `\"`, `\41`) are not decoded.
//!
//! Deliberately not reported:
//! * empty URLs (`url()`, `url( )`, `url("")`, `@import ""`);
//! * strings cut off by a newline or by the end of the file, unquoted URLs
//!   without a closing `)`, and "bad URLs" (`url(a b)`, `url(a"b)`,
//!   `url(a(b)`), which browsers ignore too;
//! * function names spelled with escapes (`u\72l(`).
//!
//! Line numbers count `\n`, `\r\n` and a lone `\r` as one line break each.

use std::ops::Range;

use super::{RefKind, Reference};

/// Scans a stylesheet for references, in order of position.
pub fn scan(src: &[u8]) -> Vec<Reference> {
    let mut found = Vec::new();
    let n = src.len();
    let mut i = 0;
    // Nesting depth of open `(` / functions.
    let mut depth: usize = 0;
    // Depth of the arguments of the innermost open `image-set(`, if any.
    let mut image_set: Option<usize> = None;
    // The last token (ignoring whitespace and comments) was `@import`.
    let mut after_import = false;

    while let Some(&b) = src.get(i) {
        match b {
            b'/' if src.get(i + 1) == Some(&b'*') => {
                i = block_comment(src, i, &mut found);
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            b'"' | b'\'' => {
                let (end, content) = string(src, i);
                if let Some(content) = content.filter(|c| !c.is_empty()) {
                    if after_import {
                        found.push((content, RefKind::CssImport));
                    } else if depth > 0 && image_set == Some(depth) {
                        found.push((content, RefKind::CssUrl));
                    }
                }
                i = end;
            }
            b'@' => {
                let end = name_run(src, i + 1);
                let is_import = src
                    .get(i + 1..end)
                    .is_some_and(|name| name.eq_ignore_ascii_case(b"import"));
                i = end;
                if is_import {
                    after_import = true;
                    continue;
                }
            }
            b'#' => i = name_run(src, i + 1),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                if image_set == Some(depth) {
                    image_set = None;
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'}' | b';' => {
                // Error recovery: a block or declaration end closes any
                // function left open.
                depth = 0;
                image_set = None;
                i += 1;
            }
            _ if starts_name(src, i) => {
                let end = name_run(src, i);
                if src.get(end) == Some(&b'(') {
                    let name = src.get(i..end).unwrap_or_default();
                    if name.eq_ignore_ascii_case(b"url") {
                        i = url(src, end + 1, &mut depth, &mut found);
                    } else {
                        depth += 1;
                        if name.eq_ignore_ascii_case(b"image-set")
                            || name.eq_ignore_ascii_case(b"-webkit-image-set")
                        {
                            image_set = Some(depth);
                        }
                        i = end + 1;
                    }
                } else {
                    i = end;
                }
            }
            _ => i += 1,
        }
        after_import = false;
    }
    debug_assert!(i >= n);
    finish(src, found)
}

/// CSS whitespace.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// A byte that may continue an identifier (escapes aside).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b >= 0x80
}

/// Whether `src[i]` is a backslash that starts a valid escape.
fn valid_escape(src: &[u8], i: usize) -> bool {
    src.get(i) == Some(&b'\\')
        && src
            .get(i + 1)
            .is_some_and(|&c| !matches!(c, b'\n' | b'\r' | 0x0c))
}

/// Whether a run of identifier-ish characters (identifier, number or
/// dimension) starts at `i`.
fn starts_name(src: &[u8], i: usize) -> bool {
    src.get(i).is_some_and(|&b| is_name_byte(b)) || valid_escape(src, i)
}

/// The end of a valid escape starting at the backslash at `i`.
fn escape_end(src: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    if src.get(j).is_some_and(u8::is_ascii_hexdigit) {
        let limit = j + 6;
        while j < limit && src.get(j).is_some_and(u8::is_ascii_hexdigit) {
            j += 1;
        }
        // One whitespace (CRLF counting as one) may follow a hex escape.
        if src.get(j) == Some(&b'\r') && src.get(j + 1) == Some(&b'\n') {
            j += 2;
        } else if src.get(j).is_some_and(|&b| is_ws(b)) {
            j += 1;
        }
        j
    } else {
        // Any other single character (bytes of a multi-byte UTF-8 character
        // after the first are name bytes anyway).
        (j + 1).min(src.len())
    }
}

/// The end of the run of name characters (and escapes) starting at `i`.
fn name_run(src: &[u8], mut i: usize) -> usize {
    loop {
        match src.get(i) {
            Some(&b) if is_name_byte(b) => i += 1,
            Some(b'\\') if valid_escape(src, i) => i = escape_end(src, i),
            _ => return i.min(src.len()),
        }
    }
}

/// Consumes a string starting at the quote at `i`. Returns the position after
/// it and, if the string was properly closed, the range of its contents.
fn string(src: &[u8], i: usize) -> (usize, Option<Range<usize>>) {
    let Some(&quote) = src.get(i) else {
        return (src.len(), None);
    };
    let mut j = i + 1;
    loop {
        match src.get(j) {
            None => return (src.len(), None),
            Some(&c) if c == quote => return (j + 1, Some(i + 1..j)),
            Some(b'\\') => {
                j += if src.get(j + 1) == Some(&b'\r') && src.get(j + 2) == Some(&b'\n') {
                    3
                } else {
                    2
                };
            }
            // An unescaped newline ends a bad string (and is not consumed).
            Some(b'\n' | b'\r' | 0x0c) => return (j, None),
            Some(_) => j += 1,
        }
    }
}

/// Consumes a block comment starting at the `/*` at `i`, reporting a source
/// map URL if it is one. Returns the position after the comment.
pub(super) fn block_comment(
    src: &[u8],
    i: usize,
    found: &mut Vec<(Range<usize>, RefKind)>,
) -> usize {
    let body = i + 2;
    let (body_end, next) = match find_comment_end(src, body) {
        Some(e) => (e, e + 2),
        None => (src.len(), src.len()),
    };
    if matches!(src.get(body), Some(b'#' | b'@')) {
        if let Some(url) = source_map_url(src, body + 1, body_end) {
            found.push((url, RefKind::SourceMap));
        }
    }
    next
}

/// The position of the `*/` that ends a block comment whose body starts at
/// `from`, if any.
fn find_comment_end(src: &[u8], from: usize) -> Option<usize> {
    let rest = src.get(from..)?;
    rest.windows(2).position(|w| w == b"*/").map(|p| from + p)
}

/// Parses ` sourceMappingURL=URL` in `src[from..to]` (the text after the `#`
/// or `@` that starts a source map comment) and returns the URL's range.
pub(super) fn source_map_url(src: &[u8], from: usize, to: usize) -> Option<Range<usize>> {
    const KEY: &[u8] = b"sourceMappingURL=";
    let text = src.get(from..to)?;
    let lead = text
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let after = text.get(lead..)?.strip_prefix(KEY)?;
    let len = after
        .iter()
        .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    let start = from + lead + KEY.len();
    (len > 0).then(|| start..start + len)
}

/// Consumes the rest of a `url(` whose `(` ends just before `i`.
fn url(src: &[u8], i: usize, depth: &mut usize, found: &mut Vec<(Range<usize>, RefKind)>) -> usize {
    let n = src.len();
    let mut j = i;
    while src.get(j).is_some_and(|&b| is_ws(b)) {
        j += 1;
    }
    match src.get(j) {
        None => return n,
        Some(b'"' | b'\'') => {
            // `url("x")` is a function token with a string argument; the
            // main loop sees its `)`.
            *depth += 1;
            let (end, content) = string(src, j);
            if let Some(content) = content.filter(|c| !c.is_empty()) {
                found.push((content, RefKind::CssUrl));
            }
            return end;
        }
        Some(_) => {}
    }
    let start = j;
    loop {
        match src.get(j) {
            // Unterminated at end of file: not reported.
            None => return n,
            Some(b')') => {
                if j > start {
                    found.push((start..j, RefKind::CssUrl));
                }
                return j + 1;
            }
            Some(&b) if is_ws(b) => {
                let content_end = j;
                while src.get(j).is_some_and(|&b| is_ws(b)) {
                    j += 1;
                }
                match src.get(j) {
                    None => return n,
                    Some(b')') => {
                        found.push((start..content_end, RefKind::CssUrl));
                        return j + 1;
                    }
                    Some(_) => return bad_url(src, j),
                }
            }
            Some(b'\\') => {
                if valid_escape(src, j) {
                    j = escape_end(src, j);
                } else {
                    return bad_url(src, j);
                }
            }
            Some(&b) if matches!(b, b'"' | b'\'' | b'(') || is_non_printable(b) => {
                return bad_url(src, j);
            }
            Some(_) => j += 1,
        }
    }
}

/// Non-printable code points, which make an unquoted URL bad.
fn is_non_printable(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1f | 0x7f)
}

/// Consumes the remnants of a bad URL: up to and including the next `)`
/// that is not escaped.
fn bad_url(src: &[u8], mut j: usize) -> usize {
    loop {
        match src.get(j) {
            None => return src.len(),
            Some(b')') => return j + 1,
            Some(b'\\') if valid_escape(src, j) => j = escape_end(src, j),
            Some(_) => j += 1,
        }
    }
}

/// Sorts the found ranges by position and turns them into references with
/// 1-based line numbers (`\n`, `\r\n` and a lone `\r` each end a line).
pub(super) fn finish(src: &[u8], mut found: Vec<(Range<usize>, RefKind)>) -> Vec<Reference> {
    found.sort_by_key(|(span, _)| span.start);
    let mut line: u32 = 1;
    let mut pos = 0;
    found
        .into_iter()
        .map(|(span, kind)| {
            let upto = span.start.min(src.len());
            if let Some(between) = src.get(pos..upto) {
                for (k, &b) in between.iter().enumerate() {
                    if b == b'\n' || (b == b'\r' && src.get(pos + k + 1) != Some(&b'\n')) {
                        line = line.saturating_add(1);
                    }
                }
            }
            pos = pos.max(upto);
            Reference { span, line, kind }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{check_invariants, found_texts, r};
    use RefKind::{CssImport, CssUrl, SourceMap};
    use proptest::prelude::*;

    /// The references in `src` as (text, line, kind).
    fn refs(src: &[u8]) -> Vec<(String, u32, RefKind)> {
        found_texts(src, &scan(src))
    }

    #[test]
    fn url_quoting_styles() {
        assert_eq!(
            refs(br#"a{b:url(a.png);c:url("b.png");d:url('c.png')}"#),
            vec![
                r("a.png", 1, CssUrl),
                r("b.png", 1, CssUrl),
                r("c.png", 1, CssUrl)
            ]
        );
    }

    #[test]
    fn url_any_case() {
        assert_eq!(
            refs(b"a{b:URL(a.png) Url('b.png') uRl(\"c.png\")}"),
            vec![
                r("a.png", 1, CssUrl),
                r("b.png", 1, CssUrl),
                r("c.png", 1, CssUrl)
            ]
        );
    }

    #[test]
    fn url_whitespace_inside() {
        assert_eq!(
            refs(b"a{b:url(  a.png\t) url(\n \"b.png\" ) url( 'c.png')}"),
            vec![
                r("a.png", 1, CssUrl),
                r("b.png", 2, CssUrl),
                r("c.png", 2, CssUrl)
            ]
        );
    }

    #[test]
    fn url_after_non_identifier_chars() {
        assert_eq!(
            refs(b"a{b:url(a)}x{y:1px,url(b) (url(c)) +url(d) 1.url(e)}"),
            vec![
                r("a", 1, CssUrl),
                r("b", 1, CssUrl),
                r("c", 1, CssUrl),
                r("d", 1, CssUrl),
                r("e", 1, CssUrl),
            ]
        );
    }

    #[test]
    fn identifiers_containing_url_are_not_url() {
        assert_eq!(
            refs(b"a{b:myurl(a.png) --url(b.png) -url(c) _url(d) 5url(e) #url(f) @url(g) x\\75rl(h)}"),
            vec![]
        );
    }

    #[test]
    fn data_and_absolute_urls_are_reported() {
        assert_eq!(
            refs(b"a{b:url(data:image/png;base64,iVBOR==);c:url(https://x.test/a.png)}"),
            vec![
                r("data:image/png;base64,iVBOR==", 1, CssUrl),
                r("https://x.test/a.png", 1, CssUrl),
            ]
        );
    }

    #[test]
    fn import_strings() {
        assert_eq!(
            refs(b"@import \"a.css\";\n@import 'b.css' screen;\n@IMPORT \"c.css\";\n@Import/* x */\n  'd.css';"),
            vec![
                r("a.css", 1, CssImport),
                r("b.css", 2, CssImport),
                r("c.css", 3, CssImport),
                r("d.css", 5, CssImport),
            ]
        );
    }

    #[test]
    fn import_url_is_css_url() {
        assert_eq!(
            refs(b"@import url(a.css);@import url(\"b.css\") print;@import URL( 'c.css' );"),
            vec![
                r("a.css", 1, CssUrl),
                r("b.css", 1, CssUrl),
                r("c.css", 1, CssUrl)
            ]
        );
    }

    #[test]
    fn only_the_string_right_after_import() {
        assert_eq!(
            refs(b"@import \"a.css\" layer(\"x\") \"b\";@charset \"utf-8\";@importx \"c\";@media \"d\""),
            vec![r("a.css", 1, CssImport)]
        );
    }

    #[test]
    fn source_map_comments() {
        assert_eq!(
            refs(b"a{}\n/*# sourceMappingURL=a.css.map */\n/*@ sourceMappingURL=b.map*/\n/*#sourceMappingURL=c.map"),
            vec![r("a.css.map", 2, SourceMap), r("b.map", 3, SourceMap), r("c.map", 4, SourceMap)]
        );
    }

    #[test]
    fn other_comments_are_not_source_maps() {
        assert_eq!(
            refs(b"/* # sourceMappingURL=a.map */ /*# sourceMappingURL= */ /*! sourceMappingURL=b */"),
            vec![]
        );
    }

    #[test]
    fn image_set_strings() {
        assert_eq!(
            refs(
                b"a{b:image-set(\"a.png\" 1x, url(b.png) 2x, 'c.png' 3x);\
                  c:-webkit-image-set('d.png' 1x);\
                  d:IMAGE-SET(\"e.avif\" type(\"image/avif\"), \"f.jpg\" type('image/jpeg'))}"
            ),
            vec![
                r("a.png", 1, CssUrl),
                r("b.png", 1, CssUrl),
                r("c.png", 1, CssUrl),
                r("d.png", 1, CssUrl),
                r("e.avif", 1, CssUrl),
                r("f.jpg", 1, CssUrl),
            ]
        );
    }

    #[test]
    fn image_set_ends_at_its_paren() {
        assert_eq!(
            refs(b"a{b:image-set(\"a.png\" 1x) \"b.png\";c:my-image-set(\"c\")}"),
            vec![r("a.png", 1, CssUrl)]
        );
    }

    #[test]
    fn nothing_in_comments_or_plain_strings() {
        assert_eq!(
            refs(
                b"/* url(a.png) @import \"b.css\"; */\
                  a{content:\"url(c.png)\";b:'@import \"d\"';c:\"e.png\"}\
                  /* unterminated url(f.png)"
            ),
            vec![]
        );
    }

    #[test]
    fn comment_does_not_nest_and_ends_at_first_close() {
        assert_eq!(
            refs(b"/* /* */ a{b:url(a)} /* url(b) */"),
            vec![r("a", 1, CssUrl)]
        );
    }

    #[test]
    fn escapes_keep_raw_span() {
        assert_eq!(
            refs(br#"a{b:url(a\)b.png);c:url("c\"d.png");d:url('e\'f.png');e:url(g\ h.png)}"#),
            vec![
                r(r"a\)b.png", 1, CssUrl),
                r(r#"c\"d.png"#, 1, CssUrl),
                r(r"e\'f.png", 1, CssUrl),
                r(r"g\ h.png", 1, CssUrl),
            ]
        );
    }

    #[test]
    fn escaped_newline_in_string() {
        assert_eq!(
            refs(b"a{b:url(\"a\\\nb.png\")}\nc{d:url(x)}"),
            vec![r("a\\\nb.png", 1, CssUrl), r("x", 3, CssUrl)]
        );
    }

    #[test]
    fn bad_urls_are_skipped_and_recovered_from() {
        assert_eq!(
            refs(b"a{b:url(a b.png);c:url(c\"d);e:url(e(f);g:url(g\\\nh);i:url(ok.png)}"),
            vec![r("ok.png", 2, CssUrl)]
        );
    }

    #[test]
    fn bad_strings_are_skipped() {
        assert_eq!(
            refs(b"a{b:url(\"a.png\n);c:url(b.png)}\n@import 'c.css\n;"),
            vec![r("b.png", 2, CssUrl)]
        );
    }

    #[test]
    fn unterminated_at_eof_is_skipped() {
        assert_eq!(refs(b"a{b:url(a.png"), vec![]);
        assert_eq!(refs(b"a{b:url(a.png  "), vec![]);
        assert_eq!(refs(b"a{b:url(\"a.png"), vec![]);
        assert_eq!(refs(b"a{b:url("), vec![]);
        assert_eq!(refs(b"@import"), vec![]);
        assert_eq!(refs(b"\\"), vec![]);
    }

    #[test]
    fn empty_urls_are_skipped() {
        assert_eq!(
            refs(b"a{b:url();c:url( );d:url(\"\");e:url('');}@import \"\";"),
            vec![]
        );
    }

    #[test]
    fn line_numbers_lf_crlf_cr() {
        assert_eq!(
            refs(
                b"a{\n  b: url(a.png);\r\n  c: url(b.png);\r\r  d: url(c.png)\n}\n@import 'd.css';"
            ),
            vec![
                r("a.png", 2, CssUrl),
                r("b.png", 3, CssUrl),
                r("c.png", 5, CssUrl),
                r("d.css", 7, CssImport),
            ]
        );
    }

    #[test]
    fn crlf_source_map() {
        assert_eq!(
            refs(b"a{}\r\n/*# sourceMappingURL=a.map\r\n*/\r\n"),
            vec![r("a.map", 2, SourceMap)]
        );
    }

    #[test]
    fn non_utf8_bytes_around_references() {
        let src = b"\xff\xfe{a:\x80 url(\xffa.png) url(\"b\xc3.png\") \xfe}\n\xc0@import 'c\xff';";
        let found = scan(src);
        check_invariants(src, &found);
        let spans: Vec<&[u8]> = found.iter().map(|r| &src[r.span.clone()]).collect();
        assert_eq!(spans, vec![&b"\xffa.png"[..], b"b\xc3.png", b"c\xff"]);
        assert_eq!(found[2].line, 2);
        assert_eq!(found[2].kind, CssImport);
    }

    #[test]
    fn non_ascii_identifier_before_url() {
        // `éurl(` is one identifier.
        assert_eq!(
            refs("a{b:éurl(a.png) é url(b.png)}".as_bytes()),
            vec![r("b.png", 1, CssUrl)]
        );
    }

    const SOUP: &[&str] = &[
        "url(",
        "URL(",
        "url( \"",
        "image-set(",
        "@import",
        "@import \"",
        "/*",
        "*/",
        "/*#",
        " sourceMappingURL=",
        "\"",
        "'",
        "\\",
        "\\\n",
        "(",
        ")",
        "{",
        "}",
        ";",
        " ",
        "\n",
        "\r\n",
        "a.png",
        "x",
        "-",
        "#",
        "@",
        "\u{e9}",
        "\u{0}",
        "\r",
    ];

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(SOUP).prop_map(|s| s.as_bytes().to_vec()),
                any::<u8>().prop_map(|b| vec![b]),
            ],
            0..64,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(src in prop::collection::vec(any::<u8>(), 0..512)) {
            check_invariants(&src, &scan(&src));
        }

        #[test]
        fn token_soup_never_panics(src in soup()) {
            check_invariants(&src, &scan(&src));
        }

        #[test]
        fn no_references_without_trigger_bytes(
            src in prop::collection::vec(
                any::<u8>().prop_map(|b| if b"uU@#gG".contains(&b) { b'(' } else { b }),
                0..512,
            )
        ) {
            prop_assert!(scan(&src).is_empty());
        }
    }
}
