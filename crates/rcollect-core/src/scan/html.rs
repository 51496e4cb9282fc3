//! HTML reference scanner.
//!
//! A byte-level tokenizer that follows the HTML Living Standard's tokenizer
//! closely enough to find start tags and their attributes where a browser
//! would, and nowhere else: not in comments (`<!-- -->`, `<!...>`, `<?...>`),
//! CDATA sections, end tags, the raw text of `<script>`, `<style>`,
//! `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, `<textarea>` and
//! `<title>`, nor after `<plaintext>`. Tag and attribute names are
//! case-insensitive; values may be double-quoted, single-quoted or unquoted;
//! the first of duplicate attributes wins, as in a browser; a tag cut off by
//! the end of the file is dropped, as a browser drops it. It reports:
//!
//! * [`RefKind::HtmlLoad`]: what the page loads with it: `<script src>`,
//!   `<img src>`, and `<link href>` whose `rel` has `stylesheet`,
//!   `modulepreload` or `preload`;
//! * [`RefKind::HtmlLink`]: `<link href>` whose `rel` has `icon`,
//!   `apple-touch-icon`, `apple-touch-icon-precomposed`, `mask-icon`,
//!   `manifest` or `prefetch` (rewritten, not preloaded with the page).
//!
//! Other `<link>`s (`canonical`, `alternate`, `next`, …) name pages, not
//! files the page loads, and are not reported.
//!
//! Spans are the raw attribute value without the whitespace around it (which
//! a browser strips from a URL). Deliberately not reported:
//! * empty values;
//! * values with template syntax (`{{`, `{%`, `${`, `<%`): a template kept
//!   among the static files is not a page;
//! * values whose path (before `?` or `#`) holds a character reference
//!   (`&`): the span is raw text and is not decoded;
//! * relative values after a `<base href>`, which changes what they resolve
//!   against (absolute paths and URLs are still reported);
//! * `srcset`, `<source>`, `<video poster>`, SVG `href`s and inline scripts
//!   and styles.
//!
//! Line numbers count `\n`, `\r\n` and a lone `\r` as one line break each.

use std::ops::Range;

use super::css::finish;
use super::{RefKind, Reference};

/// Scans an HTML document for references, in order of position.
pub fn scan(src: &[u8]) -> Vec<Reference> {
    let mut found = Vec::new();
    let mut based = false;
    let mut i = 0;
    while let Some(lt) = find_byte(src, i, b'<') {
        i = lt + 1;
        match src.get(i) {
            Some(b'!') => i = markup_declaration(src, i + 1),
            Some(b'?') => i = after_gt(src, i + 1),
            Some(b'/') => {
                i = if src.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
                    // An end tag: its "attributes" are parsed (quotes hide `>`)
                    // and ignored.
                    match tag(src, i + 1) {
                        Some(t) => t.end,
                        None => src.len(),
                    }
                } else {
                    // `</>` is dropped; `</3` is a bogus comment.
                    after_gt(src, i + 1)
                };
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let Some(t) = tag(src, i) else {
                    // Cut off by the end of the file: dropped.
                    break;
                };
                i = t.end;
                report(src, &t, &mut based, &mut found);
                match raw_text_kind(src, &t.name) {
                    Some(RawText::UntilEndTag) => {
                        let name = src.get(t.name.clone()).unwrap_or_default();
                        i = end_of_raw_text(src, i, name);
                    }
                    Some(RawText::ToEnd) => break,
                    None => {}
                }
            }
            // A `<` that starts no tag is text.
            _ => {}
        }
    }
    finish(src, found)
}

/// A start or end tag: its name, the attributes we may need, and the
/// position after its `>`.
struct Tag {
    name: Range<usize>,
    end: usize,
    /// The first `src`, `href` and `rel` attribute values (whole value,
    /// untrimmed); `None` when absent. `Some(empty range)` for an attribute
    /// without a value.
    src: Option<Range<usize>>,
    href: Option<Range<usize>>,
    rel: Option<Range<usize>>,
}

/// HTML whitespace (and `\r`, which the input stream turns into `\n`).
fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn find_byte(src: &[u8], from: usize, byte: u8) -> Option<usize> {
    src.get(from..)?
        .iter()
        .position(|&b| b == byte)
        .map(|p| from + p)
}

fn find_seq(src: &[u8], from: usize, seq: &[u8]) -> Option<usize> {
    src.get(from..)?
        .windows(seq.len())
        .position(|w| w == seq)
        .map(|p| from + p)
}

fn starts_with_ci(src: &[u8], at: usize, word: &[u8]) -> bool {
    src.get(at..at + word.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(word))
}

/// The position after the next `>` at or after `from` (a bogus comment).
fn after_gt(src: &[u8], from: usize) -> usize {
    find_byte(src, from, b'>').map_or(src.len(), |p| p + 1)
}

/// Skips what follows `<!` at `i`: a comment, a CDATA section, a doctype or
/// a bogus comment.
fn markup_declaration(src: &[u8], i: usize) -> usize {
    if src.get(i..i + 2) == Some(b"--") {
        let body = i + 2;
        // `<!-->` and `<!--->` are (abruptly closed) empty comments.
        if src.get(body) == Some(&b'>') {
            return body + 1;
        }
        if src.get(body..body + 2) == Some(b"->") {
            return body + 2;
        }
        let mut j = body;
        while let Some(d) = find_seq(src, j, b"--") {
            match src.get(d + 2) {
                Some(b'>') => return d + 3,
                Some(b'!') if src.get(d + 3) == Some(&b'>') => return d + 4,
                _ => j = d + 1,
            }
        }
        return src.len();
    }
    if src.get(i..i + 7) == Some(b"[CDATA[") {
        return find_seq(src, i + 7, b"]]>").map_or(src.len(), |p| p + 3);
    }
    after_gt(src, i)
}

/// Parses a tag whose name starts at `i` (just after `<` or `</`), up to
/// and including its `>`; `None` when the end of the file comes first.
fn tag(src: &[u8], i: usize) -> Option<Tag> {
    let mut j = i;
    while src
        .get(j)
        .is_some_and(|&b| !is_ws(b) && b != b'/' && b != b'>')
    {
        j += 1;
    }
    let mut t = Tag {
        name: i..j,
        end: 0,
        src: None,
        href: None,
        rel: None,
    };
    loop {
        while src.get(j).is_some_and(|&b| is_ws(b) || b == b'/') {
            j += 1;
        }
        match src.get(j)? {
            b'>' => {
                t.end = j + 1;
                return Some(t);
            }
            _ => {
                // The first character of a name may be anything, `=` too.
                let name_start = j;
                j += 1;
                while src
                    .get(j)
                    .is_some_and(|&b| !is_ws(b) && !matches!(b, b'/' | b'>' | b'='))
                {
                    j += 1;
                }
                let name = name_start..j;
                while src.get(j).is_some_and(|&b| is_ws(b)) {
                    j += 1;
                }
                let value = if src.get(j) == Some(&b'=') {
                    j += 1;
                    while src.get(j).is_some_and(|&b| is_ws(b)) {
                        j += 1;
                    }
                    match src.get(j)? {
                        &q @ (b'"' | b'\'') => {
                            let close = find_byte(src, j + 1, q)?;
                            let v = j + 1..close;
                            j = close + 1;
                            v
                        }
                        // `a=>`: an empty value, and the tag ends.
                        b'>' => j..j,
                        _ => {
                            let start = j;
                            while src.get(j).is_some_and(|&b| !is_ws(b) && b != b'>') {
                                j += 1;
                            }
                            start..j
                        }
                    }
                } else {
                    j..j
                };
                let slot = match src.get(name) {
                    Some(n) if n.eq_ignore_ascii_case(b"src") => &mut t.src,
                    Some(n) if n.eq_ignore_ascii_case(b"href") => &mut t.href,
                    Some(n) if n.eq_ignore_ascii_case(b"rel") => &mut t.rel,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(value);
                }
            }
        }
    }
}

/// How the content of an element is tokenized.
enum RawText {
    /// Text up to the element's end tag (raw text and escapable raw text).
    UntilEndTag,
    /// Text to the end of the file (`<plaintext>`).
    ToEnd,
}

fn raw_text_kind(src: &[u8], name: &Range<usize>) -> Option<RawText> {
    let name = src.get(name.clone())?;
    const UNTIL_END: [&[u8]; 8] = [
        b"script",
        b"style",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"textarea",
        b"title",
    ];
    if UNTIL_END.iter().any(|n| name.eq_ignore_ascii_case(n)) {
        Some(RawText::UntilEndTag)
    } else if name.eq_ignore_ascii_case(b"plaintext") {
        Some(RawText::ToEnd)
    } else {
        None
    }
}

/// The position of the `<` of the end tag `</name` that closes raw text
/// starting at `from` (followed by whitespace, `/` or `>`), or the end of
/// the file.
fn end_of_raw_text(src: &[u8], from: usize, name: &[u8]) -> usize {
    let mut j = from;
    while let Some(p) = find_seq(src, j, b"</") {
        let after = p + 2 + name.len();
        if starts_with_ci(src, p + 2, name)
            && src
                .get(after)
                .is_some_and(|&b| is_ws(b) || b == b'/' || b == b'>')
        {
            return p;
        }
        j = p + 2;
    }
    src.len()
}

/// The references of one start tag.
fn report(src: &[u8], t: &Tag, based: &mut bool, found: &mut Vec<(Range<usize>, RefKind)>) {
    let Some(name) = src.get(t.name.clone()) else {
        return;
    };
    let (value, kind) = if name.eq_ignore_ascii_case(b"script") || name.eq_ignore_ascii_case(b"img")
    {
        (t.src.clone(), RefKind::HtmlLoad)
    } else if name.eq_ignore_ascii_case(b"link") {
        let rel = t.rel.clone().and_then(|r| src.get(r)).unwrap_or_default();
        let has = |words: &[&[u8]]| {
            rel.split(|&b| is_ws(b))
                .any(|token| words.iter().any(|w| token.eq_ignore_ascii_case(w)))
        };
        if has(&[b"stylesheet", b"modulepreload", b"preload"]) {
            (t.href.clone(), RefKind::HtmlLoad)
        } else if has(&[
            b"icon",
            b"apple-touch-icon",
            b"apple-touch-icon-precomposed",
            b"mask-icon",
            b"manifest",
            b"prefetch",
        ]) {
            (t.href.clone(), RefKind::HtmlLink)
        } else {
            return;
        }
    } else {
        if name.eq_ignore_ascii_case(b"base") && t.href.is_some() {
            *based = true;
        }
        return;
    };
    let Some(span) = value.map(|v| trim(src, v)) else {
        return;
    };
    let Some(text) = src.get(span.clone()).filter(|t| !t.is_empty()) else {
        return;
    };
    let path_end = text
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(text.len());
    let path = text.get(..path_end).unwrap_or_default();
    let templated = [b"{{", b"{%", b"${", b"<%"]
        .iter()
        .any(|m| text.windows(2).any(|w| w == *m));
    if templated || path.contains(&b'&') {
        return;
    }
    if *based && !is_absolute(text) {
        return;
    }
    found.push((span, kind));
}

/// `/path`, `//host/...` or `scheme:...`.
fn is_absolute(text: &[u8]) -> bool {
    if text.first() == Some(&b'/') {
        return true;
    }
    let scheme_end = text.iter().position(|&b| b == b':');
    scheme_end.is_some_and(|end| {
        let scheme = text.get(..end).unwrap_or_default();
        scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    })
}

/// `r` without the whitespace at either end.
fn trim(src: &[u8], r: Range<usize>) -> Range<usize> {
    let (mut start, mut end) = (r.start, r.end);
    while start < end && src.get(start).is_some_and(|&b| is_ws(b)) {
        start += 1;
    }
    while end > start && src.get(end - 1).is_some_and(|&b| is_ws(b)) {
        end -= 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{check_invariants, found_texts, r};
    use RefKind::{HtmlLink, HtmlLoad};
    use proptest::prelude::*;

    /// The references in `src` as (text, line, kind).
    fn refs(src: &str) -> Vec<(String, u32, RefKind)> {
        let src = src.as_bytes();
        found_texts(src, &scan(src))
    }

    fn texts(src: &str) -> Vec<String> {
        refs(src).into_iter().map(|(t, _, _)| t).collect()
    }

    #[test]
    fn a_page_and_its_subresources() {
        let page = "<!doctype html>\n<html><head>\n\
            <link rel=\"stylesheet\" href=\"css/app.css\">\n\
            <link rel=modulepreload href='js/util.js'>\n\
            <link rel=\"icon\" href=\"/static/favicon.svg\">\n\
            <script type=\"module\" src=\"js/app.js\"></script>\n\
            </head><body><img alt=\"\" src=img/logo.png></body></html>\n";
        assert_eq!(
            refs(page),
            vec![
                r("css/app.css", 3, HtmlLoad),
                r("js/util.js", 4, HtmlLoad),
                r("/static/favicon.svg", 5, HtmlLink),
                r("js/app.js", 6, HtmlLoad),
                r("img/logo.png", 7, HtmlLoad),
            ]
        );
    }

    #[test]
    fn names_and_rel_tokens_are_case_insensitive() {
        assert_eq!(
            texts(
                "<LINK REL='Alternate StyleSheet' HREF=a.css><SCRIPT SRC=b.js></SCRIPT><Img sRc=c.png>"
            ),
            ["a.css", "b.js", "c.png"]
        );
        assert_eq!(
            refs("<link rel=\"preload\" as=\"font\" href=\"f.woff2\" crossorigin>"),
            vec![r("f.woff2", 1, HtmlLoad)]
        );
    }

    #[test]
    fn links_to_pages_are_not_references() {
        assert!(
            texts(
                "<link rel=canonical href=https://example.com/><link rel=alternate href=feed.xml>\
                 <link href=nope.css><a href=page.html>x</a><iframe src=frame.html></iframe>"
            )
            .is_empty()
        );
    }

    #[test]
    fn comments_raw_text_and_other_markup_hide_tags() {
        let src = "<!-- <script src=a.js></script> -->\
            <script>document.write('<img src=b.png>')</script>\
            <style>/* <link rel=stylesheet href=c.css> */</style>\
            <textarea><img src=d.png></textarea><title><img src=e.png></title>\
            <![CDATA[ <img src=f.png> ]]><!doctype <img src=g.png>>\
            <? <img src=h.png> ?></p title=\"<img src=i.png>\">\
            <script src=ok.js></script>";
        assert_eq!(texts(src), ["ok.js"]);
        assert_eq!(
            texts("<!--><img src=a.png><!---><img src=b.png><!-- --!><img src=c.png>"),
            ["a.png", "b.png", "c.png"]
        );
        // The raw text ends at its own end tag only.
        assert_eq!(
            texts("<script>a</scripty><img src=x.png></SCRIPT ><img src=y.png>"),
            ["y.png"]
        );
        assert!(texts("<plaintext><img src=x.png>").is_empty());
        // `<noscript>` content is markup (scripting may be off).
        assert_eq!(
            texts("<noscript><link rel=stylesheet href=n.css></noscript>"),
            ["n.css"]
        );
    }

    #[test]
    fn attribute_syntax() {
        // Whitespace around `=` and the value; the first duplicate wins;
        // `>` inside quotes; a slash in an unquoted value is part of it.
        assert_eq!(
            texts(
                "<img src = \"  a.png \" src=b.png><img title='>' src=c.png>\
                 <img src=d/e.png/><script\nsrc\n=\nf.js\n></script>"
            ),
            ["a.png", "c.png", "d/e.png/", "f.js"]
        );
        // Attributes separated by a slash, an attribute without value.
        assert_eq!(texts("<script/defer/src=g.js></script>"), ["g.js"]);
        assert!(texts("<img src><img src=''><img src=>").is_empty());
        // A `src` on another element.
        assert!(texts("<video src=v.mp4><audio src=a.mp3>").is_empty());
    }

    #[test]
    fn templates_entities_and_base() {
        assert!(
            texts("<img src=\"{{ url }}\"><img src=\"{% static 'a' %}\"><img src='${x}'><img src=\"<%= y %>\">")
                .is_empty()
        );
        assert_eq!(
            texts("<img src=\"caf&eacute;.png\"><img src=\"a.png?x=1&amp;y=2\">"),
            ["a.png?x=1&amp;y=2"]
        );
        assert_eq!(
            texts(
                "<img src=a.png><base href=/x/><img src=b.png><img src=/static/c.png><img src=https://e/d.png>"
            ),
            ["a.png", "/static/c.png", "https://e/d.png"]
        );
    }

    #[test]
    fn tags_cut_off_by_the_end_are_dropped() {
        assert!(texts("<img src=\"a.png").is_empty());
        assert!(texts("<img src=a.png").is_empty());
        assert!(texts("<!-- <img src=a.png>").is_empty());
        assert!(texts("<script><img src=a.png>").is_empty());
        assert_eq!(texts("<img src=a.png><img"), ["a.png"]);
    }

    #[test]
    fn lines_count_every_kind_of_break() {
        assert_eq!(
            refs("\r\n\r<img src=a.png>\n<img\nsrc=b.png>"),
            vec![r("a.png", 3, HtmlLoad), r("b.png", 5, HtmlLoad)]
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_spans_are_sound(src in proptest::collection::vec(any::<u8>(), 0..512)) {
            let found = scan(&src);
            check_invariants(&src, &found);
        }

        #[test]
        fn tag_soup_never_panics(src in "[<>/!?='\" a-z\\-\\[\\]CDATA\n]{0,200}") {
            let found = scan(src.as_bytes());
            check_invariants(src.as_bytes(), &found);
        }
    }
}
