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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
