//! JavaScript reference scanner.
//!
//! A byte-level tokenizer (comments, strings, template literals with nested
//! `${ ... }`, regular expression literals vs division, numbers,
//! identifiers, private names, hashbang) feeding a small state machine that
//! recognises module syntax. It reports:
//!
//! * [`RefKind::JsImport`]: the specifier of `import "x"`,
//!   `import a, { b as c } from "x"`, `import * as ns from "x"`,
//!   `export * from "x"`, `export * as ns from "x"`, `export { a } from "x"`
//!   (clauses may span lines and contain comments; import attributes such as
//!   `with { type: "json" }` are skipped);
//! * [`RefKind::JsDynamicImport`]: `import("x")`, `import('x')` and
//!   ``import(`x`)`` when the argument is a single string literal (or a
//!   template without substitutions) followed by `)` or `,`;
//! * [`RefKind::SourceMap`]: `//# sourceMappingURL=x`, `//@ ...` and
//!   `/*# sourceMappingURL=x */`.
//!
//! `import` / `export` only count as keywords, not after `.` / `?.`
//! (`obj.import("x")`), and `import.meta` is not an import.
//!
//! Regex or division is decided by the previous significant token: a regex
//! may follow punctuators, `}` (other than the end of a `${`), a `)` closing
//! `if (...)` / `while (...)` / `for (...)` / `with (...)`, and the keywords
//! `return typeof instanceof in of new delete void throw case do else yield
//! await default`; not identifiers, numbers, literals, `)`, `]`, `++`, `--`.
//! A `/` that would start a regex but reaches the end of the line without
//! closing it is taken as division instead.
//!
//! Deliberately not handled: empty specifiers (`import ""`, `import("")`)
//! and unterminated strings/templates are never reported; identifiers
//! spelled with `\u` escapes are never keywords; a class method named
//! `import` (`import("x") {}`) is indistinguishable from a dynamic import for
//! this scanner and is reported; HTML-like comments (`<!--`) are not
//! recognised.
//!
//! Line numbers count `\n`, `\r\n` and a lone `\r` as one line break each.

use std::ops::Range;

use super::css::{block_comment, finish, source_map_url};
use super::{RefKind, Reference};

/// Scans a JavaScript file (script or module) for references, in order of
/// position.
pub fn scan(src: &[u8]) -> Vec<Reference> {
    let mut lexer = Lexer::new(src);
    let mut parser = Parser::default();
    while let Some(tok) = lexer.next_token() {
        parser.feed(src, tok, &mut lexer.found);
    }
    finish(src, lexer.found)
}

/// Kinds of tokens the module-syntax recogniser cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An identifier or keyword; the token's range is its text.
    Ident,
    /// `#name`.
    PrivateName,
    /// A numeric literal.
    Number,
    /// A string literal; the range is its contents.
    Str {
        /// Whether the closing quote was found.
        closed: bool,
    },
    /// A template literal without substitutions; the range is its contents.
    Template {
        /// Whether the closing backtick was found.
        closed: bool,
    },
    /// A piece of a template literal with substitutions.
    TemplatePart,
    /// A regular expression literal.
    Regex,
    /// `.` or `?.` (property access follows).
    Dot,
    /// `++` or `--`.
    IncDec,
    /// Any other punctuator, by its first byte (`...` is `b'.'`).
    Punct(u8),
}

/// A token: its kind and byte range.
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Whether a `/` here would start a regular expression.
    regex_ok: bool,
    /// The previous significant token.
    prev: Option<Token>,
    /// Whether `prev` is an identifier used as a property name (after `.`).
    prev_is_property: bool,
    /// For each open `{`: whether it is a template substitution `${`.
    braces: Vec<bool>,
    /// For each open `(`: whether it follows `if`, `while`, `for` or `with`
    /// (so that a regex may follow the matching `)`).
    parens: Vec<bool>,
    /// Positions before this cannot start a regex (a regex starting earlier
    /// on the same line ran into the end of the line); keeps scanning linear
    /// on garbage input.
    no_regex_before: usize,
    /// References found so far (source maps by the lexer, imports by the
    /// parser).
    found: Vec<(Range<usize>, RefKind)>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a [u8]) -> Self {
        Lexer {
            src,
            pos: 0,
            regex_ok: true,
            prev: None,
            prev_is_property: false,
            braces: Vec::new(),
            parens: Vec::new(),
            no_regex_before: 0,
            found: Vec::new(),
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.src.get(i).copied()
    }

    /// Whether the previous token was `.` or `?.`.
    fn after_dot(&self) -> bool {
        self.prev.is_some_and(|t| t.kind == Kind::Dot)
    }

    /// Whether the previous token is the identifier `word` used as a keyword.
    fn prev_is_keyword(&self, words: &[&[u8]]) -> bool {
        match self.prev {
            Some(t) if t.kind == Kind::Ident => {
                let text = self.src.get(t.start..t.end).unwrap_or_default();
                words.contains(&text)
            }
            _ => false,
        }
    }

    /// Returns the next significant token, skipping whitespace and comments.
    fn next_token(&mut self) -> Option<Token> {
        let tok = self.lex()?;
        self.regex_ok = match tok.kind {
            Kind::Ident => {
                let text = self.src.get(tok.start..tok.end).unwrap_or_default();
                !self.after_dot() && REGEX_KEYWORDS.contains(&text)
            }
            Kind::PrivateName
            | Kind::Number
            | Kind::Str { .. }
            | Kind::Template { .. }
            | Kind::Regex
            | Kind::IncDec
            | Kind::Dot => false,
            // Set by `lex` for these.
            Kind::TemplatePart | Kind::Punct(b')') => self.regex_ok,
            Kind::Punct(b']') => false,
            Kind::Punct(_) => true,
        };
        self.prev_is_property = tok.kind == Kind::Ident && self.after_dot();
        self.prev = Some(tok);
        Some(tok)
    }

    fn lex(&mut self) -> Option<Token> {
        let src = self.src;
        if self.pos == 0 && src.starts_with(b"#!") {
            self.pos = line_end(src, 2);
        }
        loop {
            let i = self.pos;
            let b = self.at(i)?;
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                0x80.. if unicode_space_len(src, i) > 0 => self.pos += unicode_space_len(src, i),
                b'/' => match self.at(i + 1) {
                    Some(b'/') => self.line_comment(i),
                    Some(b'*') => self.block_comment(i),
                    _ => {
                        if self.regex_ok && i >= self.no_regex_before {
                            match regex_end(src, i) {
                                Ok(end) => return Some(self.token(Kind::Regex, i, end, end)),
                                Err(fail) => self.no_regex_before = fail,
                            }
                        }
                        return Some(self.token(Kind::Punct(b'/'), i, i + 1, i + 1));
                    }
                },
                b'"' | b'\'' => {
                    let (end, content) = string(src, i);
                    return Some(match content {
                        Some(c) => self.token(Kind::Str { closed: true }, c.start, c.end, end),
                        None => self.token(Kind::Str { closed: false }, i + 1, end, end),
                    });
                }
                b'`' => return Some(self.template(i + 1, true)),
                b'0'..=b'9' => return Some(self.number(i)),
                b'.' if self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                    return Some(self.number(i));
                }
                b'.' if self.at(i + 1) == Some(b'.') && self.at(i + 2) == Some(b'.') => {
                    return Some(self.token(Kind::Punct(b'.'), i, i + 3, i + 3));
                }
                b'.' => return Some(self.token(Kind::Dot, i, i + 1, i + 1)),
                b'?' if self.at(i + 1) == Some(b'.')
                    && !self.at(i + 2).is_some_and(|c| c.is_ascii_digit()) =>
                {
                    return Some(self.token(Kind::Dot, i, i + 2, i + 2));
                }
                b'+' | b'-' if self.at(i + 1) == Some(b) => {
                    return Some(self.token(Kind::IncDec, i, i + 2, i + 2));
                }
                b'#' if starts_ident(src, i + 1) => {
                    let end = ident_end(src, i + 1);
                    return Some(self.token(Kind::PrivateName, i, end, end));
                }
                b'(' => {
                    let cond = !self.prev_is_property
                        && self.prev_is_keyword(&[b"if", b"while", b"for", b"with"]);
                    self.parens.push(cond);
                    return Some(self.token(Kind::Punct(b), i, i + 1, i + 1));
                }
                b')' => {
                    self.regex_ok = self.parens.pop().unwrap_or(false);
                    return Some(self.token(Kind::Punct(b), i, i + 1, i + 1));
                }
                b'{' => {
                    self.braces.push(false);
                    return Some(self.token(Kind::Punct(b), i, i + 1, i + 1));
                }
                b'}' => {
                    if self.braces.pop() == Some(true) {
                        return Some(self.template(i + 1, false));
                    }
                    return Some(self.token(Kind::Punct(b), i, i + 1, i + 1));
                }
                _ if starts_ident(src, i) => {
                    let end = ident_end(src, i);
                    return Some(self.token(Kind::Ident, i, end, end));
                }
                _ => return Some(self.token(Kind::Punct(b), i, i + 1, i + 1)),
            }
        }
    }

    /// Makes a token and moves past it.
    fn token(&mut self, kind: Kind, start: usize, end: usize, next: usize) -> Token {
        self.pos = next.max(self.pos + 1).min(self.src.len());
        Token { kind, start, end }
    }

    fn line_comment(&mut self, i: usize) {
        let end = line_end(self.src, i + 2);
        if matches!(self.at(i + 2), Some(b'#' | b'@')) {
            if let Some(url) = source_map_url(self.src, i + 3, end) {
                self.found.push((url, RefKind::SourceMap));
            }
        }
        self.pos = end;
    }

    fn block_comment(&mut self, i: usize) {
        self.pos = block_comment(self.src, i, &mut self.found);
    }

    /// Scans template characters from `from` (just after a backtick, or after
    /// the `}` ending a substitution) up to the closing backtick or the next
    /// `${`.
    fn template(&mut self, from: usize, first: bool) -> Token {
        let src = self.src;
        let mut j = from;
        loop {
            match src.get(j) {
                None => {
                    let kind = if first {
                        Kind::Template { closed: false }
                    } else {
                        Kind::TemplatePart
                    };
                    self.regex_ok = false;
                    return self.token(kind, from, src.len(), src.len());
                }
                Some(b'`') => {
                    let kind = if first {
                        Kind::Template { closed: true }
                    } else {
                        Kind::TemplatePart
                    };
                    self.regex_ok = false;
                    return self.token(kind, from, j, j + 1);
                }
                Some(b'\\') => j += 2,
                Some(b'$') if src.get(j + 1) == Some(&b'{') => {
                    self.braces.push(true);
                    self.regex_ok = true;
                    return self.token(Kind::TemplatePart, from, j, j + 2);
                }
                Some(_) => j += 1,
            }
        }
    }

    fn number(&mut self, i: usize) -> Token {
        let mut j = i;
        while self
            .at(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            j += 1;
        }
        self.token(Kind::Number, i, j, j)
    }
}

/// Keywords after which a `/` starts a regular expression.
const REGEX_KEYWORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
    b"default",
];

/// Length of a non-ASCII whitespace or line terminator character at `i`
/// (NBSP, BOM, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000,
/// U+1680), or 0.
fn unicode_space_len(src: &[u8], i: usize) -> usize {
    match src.get(i..).unwrap_or_default() {
        [0xC2, 0xA0, ..] => 2,
        [0xEF, 0xBB, 0xBF, ..]
        | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
        | [0xE2, 0x81, 0x9F, ..]
        | [0xE3, 0x80, 0x80, ..]
        | [0xE1, 0x9A, 0x80, ..] => 3,
        _ => 0,
    }
}

/// The position of the line terminator ending the line that contains
/// `from` (or the end of input).
pub(super) fn line_end(src: &[u8], from: usize) -> usize {
    let mut j = from;
    loop {
        match src.get(j..).unwrap_or_default() {
            [] => return src.len(),
            [b'\n' | b'\r', ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..] => return j,
            _ => j += 1,
        }
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'$' || b == b'_' || b >= 0x80
}

/// Whether an identifier starts at `i`.
fn starts_ident(src: &[u8], i: usize) -> bool {
    match src.get(i) {
        Some(&b) if b >= 0x80 => unicode_space_len(src, i) == 0,
        Some(&b) => b.is_ascii_alphabetic() || b == b'$' || b == b'_' || b == b'\\',
        None => false,
    }
}

/// The end of the identifier starting at `i`.
fn ident_end(src: &[u8], mut i: usize) -> usize {
    loop {
        match src.get(i) {
            Some(&b) if b >= 0x80 && unicode_space_len(src, i) > 0 => return i,
            Some(&b) if is_ident_byte(b) => i += 1,
            Some(b'\\') => {
                // `\uXXXX` or `\u{X...}`.
                i += 1;
                if src.get(i) == Some(&b'u') {
                    i += 1;
                    if src.get(i) == Some(&b'{') {
                        i += 1;
                        while src.get(i).is_some_and(u8::is_ascii_hexdigit) {
                            i += 1;
                        }
                        if src.get(i) == Some(&b'}') {
                            i += 1;
                        }
                    }
                }
            }
            _ => return i.min(src.len()),
        }
    }
}

/// Consumes a string literal starting at the quote at `i`. Returns the
/// position after it and, if it was closed on the same line, the range of
/// its contents.
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
            Some(b'\n' | b'\r') => return (j, None),
            Some(_) => j += 1,
        }
    }
}

/// Scans a regular expression literal starting at the `/` at `i`. Returns
/// its end, or `Err(position)` of the line end / input end that cut it off.
fn regex_end(src: &[u8], i: usize) -> Result<usize, usize> {
    let mut j = i + 1;
    let mut in_class = false;
    loop {
        match src.get(j..).unwrap_or_default() {
            [] => return Err(src.len()),
            [b'\n' | b'\r', ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..] => return Err(j),
            [b'\\', b'\n' | b'\r', ..] | [b'\\', 0xE2, 0x80, 0xA8 | 0xA9, ..] => {
                return Err(j + 1);
            }
            [b'\\'] => return Err(src.len()),
            [b'\\', ..] => j += 2,
            [b'[', ..] => {
                in_class = true;
                j += 1;
            }
            [b']', ..] => {
                in_class = false;
                j += 1;
            }
            [b'/', ..] if !in_class => {
                j += 1;
                while src.get(j).is_some_and(|&c| is_ident_byte(c)) {
                    j += 1;
                }
                return Ok(j);
            }
            _ => j += 1,
        }
    }
}

/// Where the module-syntax recogniser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Nothing in progress.
    #[default]
    Idle,
    /// After the keyword `import`.
    Import,
    /// After `import` `(`.
    DynOpen,
    /// After `import` `(` and a string literal (its contents).
    DynArg { start: usize, end: usize },
    /// After the default binding of an import (or a phase such as `defer`).
    Binding,
    /// After `import x,`.
    Comma,
    /// After the keyword `export`.
    Export,
    /// After `*` in an import/export clause.
    Star,
    /// After `* as`.
    StarAs,
    /// Inside `{ ... }` of an import/export clause.
    Braces,
    /// After the clause, expecting `from`.
    ExpectFrom,
    /// After `from`, expecting the specifier.
    From,
}

#[derive(Default)]
struct Parser {
    state: State,
    /// Whether the previous token was `.` / `?.`.
    after_dot: bool,
}

impl Parser {
    fn feed(&mut self, src: &[u8], tok: Token, found: &mut Vec<(Range<usize>, RefKind)>) {
        let text = src.get(tok.start..tok.end).unwrap_or_default();
        let is = |word: &[u8]| tok.kind == Kind::Ident && text == word;
        let span = tok.start..tok.end;
        use Kind::{Ident, Punct, Str, Template};
        use State::*;
        let next = match (self.state, tok.kind) {
            (Idle, _) => None,
            (Import, Str { closed: true }) => {
                report(found, span, RefKind::JsImport);
                Some(Idle)
            }
            (Import, Punct(b'(')) => Some(DynOpen),
            (Import, Ident) => Some(Binding),
            (Import | Binding | Comma | Export, Punct(b'*')) => Some(Star),
            (Import | Binding | Comma | Export, Punct(b'{')) => Some(Braces),
            (DynOpen, Str { closed: true } | Template { closed: true }) => Some(DynArg {
                start: tok.start,
                end: tok.end,
            }),
            (DynArg { start, end }, Punct(b')' | b',')) => {
                report(found, start..end, RefKind::JsDynamicImport);
                Some(Idle)
            }
            (Binding | Star | ExpectFrom, Ident) if is(b"from") => Some(From),
            (Binding, Ident) => Some(Binding),
            (Binding, Punct(b',')) => Some(Comma),
            (Star, Ident) if is(b"as") => Some(StarAs),
            (StarAs, Ident | Str { closed: true }) => Some(ExpectFrom),
            (Braces, Ident | Str { closed: true } | Punct(b',')) => Some(Braces),
            (Braces, Punct(b'}')) => Some(ExpectFrom),
            (From, Str { closed: true }) => {
                report(found, span, RefKind::JsImport);
                Some(Idle)
            }
            _ => None,
        };
        self.state = match next {
            Some(state) => state,
            // Not (or no longer) module syntax: start over with this token.
            None if !self.after_dot && is(b"import") => Import,
            None if !self.after_dot && is(b"export") => Export,
            None => Idle,
        };
        self.after_dot = tok.kind == Kind::Dot;
    }
}

fn report(found: &mut Vec<(Range<usize>, RefKind)>, span: Range<usize>, kind: RefKind) {
    if !span.is_empty() {
        found.push((span, kind));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{check_invariants, found_texts, r};
    use RefKind::{JsDynamicImport, JsImport, SourceMap};
    use proptest::prelude::*;

    /// The references in `src` as (text, line, kind).
    fn refs(src: &str) -> Vec<(String, u32, RefKind)> {
        refs_bytes(src.as_bytes())
    }

    fn refs_bytes(src: &[u8]) -> Vec<(String, u32, RefKind)> {
        found_texts(src, &scan(src))
    }

    /// The specifiers found, ignoring lines and kinds.
    fn texts(src: &str) -> Vec<String> {
        refs(src).into_iter().map(|(t, _, _)| t).collect()
    }

    #[test]
    fn static_import_forms() {
        let src = r#"import a from "./a.js";
import './b.js';
import { c, d as e } from "./c.js";
import f, { g } from './d.js';
import * as ns from "./e.js";
import h, * as ns2 from "./f.js";
import {} from "./g.js";
import from from "./h.js";
"#;
        assert_eq!(
            refs(src),
            vec![
                r("./a.js", 1, JsImport),
                r("./b.js", 2, JsImport),
                r("./c.js", 3, JsImport),
                r("./d.js", 4, JsImport),
                r("./e.js", 5, JsImport),
                r("./f.js", 6, JsImport),
                r("./g.js", 7, JsImport),
                r("./h.js", 8, JsImport),
            ]
        );
    }

    #[test]
    fn export_from_forms() {
        let src = r#"export * from "./a.js";
export * as ns from './b.js';
export { a, b as c } from "./c.js";
export { default } from "./d.js";
export * as from from "./e.js";
export { "string name" as x } from "./f.js";
"#;
        assert_eq!(
            refs(src),
            vec![
                r("./a.js", 1, JsImport),
                r("./b.js", 2, JsImport),
                r("./c.js", 3, JsImport),
                r("./d.js", 4, JsImport),
                r("./e.js", 5, JsImport),
                r("./f.js", 6, JsImport),
            ]
        );
    }

    #[test]
    fn local_exports_are_not_references() {
        assert_eq!(
            texts(
                r#"export { a, b }; "./x.js"; export default "./y.js"; export const c = "./z.js";"#
            ),
            Vec::<String>::new()
        );
        // A local export followed by an unrelated import.
        assert_eq!(texts("export { a }\nimport './b.js'"), vec!["./b.js"]);
    }

    #[test]
    fn multi_line_import_clause_with_comments() {
        let src = "import {\n  a, // first\n  b as c, /* second */\n  d,\n} from\n  \"./m.js\";";
        assert_eq!(refs(src), vec![r("./m.js", 6, JsImport)]);
    }

    #[test]
    fn import_attributes_are_ignored() {
        let src = r#"import data from "./d.json" with { type: "json" };
export { x } from './e.json' assert { type: 'json' };
import "./f.css" with { type: "css" };"#;
        assert_eq!(texts(src), vec!["./d.json", "./e.json", "./f.css"]);
    }

    #[test]
    fn bare_and_absolute_specifiers_are_reported() {
        assert_eq!(
            texts(r#"import React from "react"; import x from "https://cdn.test/x.js";"#),
            vec!["react", "https://cdn.test/x.js"]
        );
    }

    #[test]
    fn dynamic_import_forms() {
        let src = "import(\"./a.js\");\nimport('./b.js');\nimport(`./c.js`);\n\
                   import /* c */ ( // line\n  \"./d.js\" );\n\
                   import(\"./e.json\", { with: { type: \"json\" } });\n\
                   await import('./f.js',);";
        assert_eq!(
            refs(src),
            vec![
                r("./a.js", 1, JsDynamicImport),
                r("./b.js", 2, JsDynamicImport),
                r("./c.js", 3, JsDynamicImport),
                r("./d.js", 5, JsDynamicImport),
                r("./e.json", 6, JsDynamicImport),
                r("./f.js", 7, JsDynamicImport),
            ]
        );
    }

    #[test]
    fn dynamic_import_needs_a_plain_literal() {
        assert_eq!(
            texts(
                r#"import(x); import("a" + b); import(`./${name}.js`); import(a, "b");
                   import("c".concat(d)); import(("e")); import(/* "f" */ g);"#
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn source_map_comments() {
        let src = "a();\n//# sourceMappingURL=a.js.map\n//@ sourceMappingURL=b.map trailing\n\
                   /*# sourceMappingURL=c.map */\n//#sourceMappingURL=d.map\r\n";
        assert_eq!(
            refs(src),
            vec![
                r("a.js.map", 2, SourceMap),
                r("b.map", 3, SourceMap),
                r("c.map", 4, SourceMap),
                r("d.map", 5, SourceMap),
            ]
        );
    }

    #[test]
    fn not_source_maps() {
        assert_eq!(
            texts(
                "// # sourceMappingURL=a\n//# sourceMappingURL=\n\"//# sourceMappingURL=b\"; /* //# sourceMappingURL=c */"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn nothing_in_strings_comments_templates_regexes() {
        let src = r#"
const s = "import './a.js'"; const t = 'import("./b.js")';
// import "./c.js"
/* import x from "./d.js"; import("./e.js") */
const u = `import "./f.js" ${1} import("./g.js")`;
const re = /import "x"/; const re2 = /import("h")/g;
const v = "\" import './i.js' \"";
require("./j.js"); new URL("./k.png", import.meta.url);
"#;
        assert_eq!(texts(src), Vec::<String>::new());
    }

    #[test]
    fn property_access_is_not_import() {
        assert_eq!(
            texts(
                r#"a.import("./x.js"); a?.import("./y.js"); b.export * from "./z.js"; c. import ("./w.js");"#
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            texts(
                r#"const o = { import: "./x.js", export: "./y.js" }; import.meta.url; import.meta.resolve("./z.js");"#
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn division_is_not_regex() {
        // If any of these `/` were taken for a regex, the import would be
        // swallowed.
        for src in [
            r#"a / b / import("./x.js")"#,
            r#"let x = a / 2; import("./x.js"); let y = b / 3;"#,
            r#"f(a) / 2; import("./x.js"); c / 3"#,
            r#"a[0] / 2; import("./x.js"); c[1] / 3"#,
            r#"1 / 2; import("./x.js"); 3 / 4"#,
            r#"1.5e3 / 2; import("./x.js"); .5 / 4"#,
            r#"a++ / 2; import("./x.js"); b-- / 3"#,
            r#"`${a}` / 2; import("./x.js"); `b` / 3"#,
            r#""s" / 2; import("./x.js"); 's' / 3"#,
            r#"this.#p / 2; import("./x.js"); this.#q / 3"#,
            r#"a.return / 2; import("./x.js"); b.typeof / 3"#,
            r#"x = y /2/ import("./x.js")"#,
        ] {
            assert_eq!(texts(src), vec!["./x.js"], "{src}");
        }
    }

    #[test]
    fn regex_is_not_division() {
        // If any of these regexes were taken for division, the quote inside
        // would start a string that swallows the import.
        for src in [
            r#"x = /"/; import("./x.js"); y = "/""#,
            r#"x = /[/"]/; import("./x.js"); y = "/]""#,
            r#"x = /\/"/; import("./x.js"); y = "\/""#,
            r#"if (a) /"/.test(s); import("./x.js"); y = "/""#,
            r#"while (a(b)) /"/g.exec(s); import("./x.js"); y = "/""#,
            r#"return /'/.test(s) && import("./x.js") || '/'"#,
            r#"f(/"/, import("./x.js"), "/")"#,
            r#"x = a ? /"/ : /"/; import("./x.js"); y = "/""#,
            r#"{} /"/; import("./x.js"); y = "/""#,
            r#"x = typeof /"/; import("./x.js"); y = "/""#,
            r#"`${/"/}`; import("./x.js"); y = "/""#,
            r#"x = [/"/]; import("./x.js"); y = "/""#,
            r#"x = !/"/.test(s); import("./x.js"); y = "/""#,
        ] {
            assert_eq!(texts(src), vec!["./x.js"], "{src}");
        }
    }

    #[test]
    fn unterminated_regex_falls_back_to_division() {
        assert_eq!(texts("x = a\n/ 2\nimport(\"./x.js\")"), vec!["./x.js"]);
        assert_eq!(texts("(/ 2\nimport(\"./x.js\")"), vec!["./x.js"]);
    }

    #[test]
    fn nested_templates() {
        assert_eq!(
            refs(r#"`${`${import("./x.js")}`}`"#),
            vec![r("./x.js", 1, JsDynamicImport)]
        );
        assert_eq!(
            texts(
                r#"x = `a${ {b: "}"}["b"] }import("./no.js")${ import('./yes.js') }`; import("./after.js")"#
            ),
            vec!["./yes.js", "./after.js"]
        );
        assert_eq!(
            texts("x = `${ `\n${ '`' }\n` }`; import './y.js'"),
            vec!["./y.js"]
        );
    }

    #[test]
    fn template_escapes() {
        assert_eq!(
            texts(r#"x = `\${import("./no.js")}\`"`; import("./yes.js")"#),
            vec!["./yes.js"]
        );
    }

    #[test]
    fn hashbang_and_private_names() {
        let src = "#!/usr/bin/env node import './no.js'\nimport './yes.js';\n\
                   class A { #import = 1; #x; m() { return this.#x / 2 / import('./z.js'); } }";
        assert_eq!(
            refs(src),
            vec![r("./yes.js", 2, JsImport), r("./z.js", 3, JsDynamicImport)]
        );
    }

    #[test]
    fn keywords_only_as_whole_identifiers() {
        assert_eq!(
            texts(r#"myimport("./a.js"); import_("./b.js"); $import("./c.js"); importx "./d.js";"#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn line_numbers_with_crlf() {
        let src = "// header\r\nimport a from './a.js';\r\n\r\nconst b = import(\"./b.js\");\r\n\
                   `x\r\ny`;\rexport * from \"./c.js\";\r\n//# sourceMappingURL=d.map\r\n";
        assert_eq!(
            refs(src),
            vec![
                r("./a.js", 2, JsImport),
                r("./b.js", 4, JsDynamicImport),
                r("./c.js", 7, JsImport),
                r("d.map", 8, SourceMap),
            ]
        );
    }

    #[test]
    fn non_utf8_bytes_around_references() {
        let src: &[u8] =
            b"\xff\xfe;\nimport x from \"./\xff.js\"; // \x80\n\xc0 = import('./b\xfe.js')\n";
        let found = scan(src);
        check_invariants(src, &found);
        let spans: Vec<&[u8]> = found.iter().map(|r| &src[r.span.clone()]).collect();
        assert_eq!(spans, vec![&b"./\xff.js"[..], b"./b\xfe.js"]);
        assert_eq!(found.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn unicode_whitespace_and_bom() {
        assert_eq!(
            texts(
                "\u{feff}import './a.js';\u{a0}import\u{2003}'./b.js'; x\u{2028}import('./c.js')"
            ),
            vec!["./a.js", "./b.js", "./c.js"]
        );
        // Non-ASCII letters are identifier characters.
        assert_eq!(
            texts("éimport('./a.js'); importé('./b.js')"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unterminated_literals_are_not_reported() {
        assert_eq!(texts("import './a.js"), Vec::<String>::new());
        assert_eq!(texts("import './a.js\nimport './b.js'"), vec!["./b.js"]);
        assert_eq!(texts("import(`./a.js"), Vec::<String>::new());
        assert_eq!(texts("import(\"./a.js\""), Vec::<String>::new());
        assert_eq!(texts("/* import './a.js'"), Vec::<String>::new());
        assert_eq!(texts("import"), Vec::<String>::new());
        assert_eq!(texts("`${"), Vec::<String>::new());
        assert_eq!(texts("\\"), Vec::<String>::new());
    }

    #[test]
    fn empty_specifiers_are_skipped() {
        assert_eq!(
            texts(r#"import ""; import(''); import(``); export * from "";"#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn minified_code() {
        let src = r#"!function(){"use strict";var e=1/2,t=/[/\]"]+/g;import("./a.js").then(e=>e)}();import{a as b}from"./b.js";export*from"./c.js";import"./d.js""#;
        assert_eq!(texts(src), vec!["./a.js", "./b.js", "./c.js", "./d.js"]);
    }

    const SOUP: &[&str] = &[
        "import",
        "export",
        "from",
        "as",
        "*",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        ".",
        "?.",
        "\"./a.js\"",
        "'b'",
        "`c`",
        "\"",
        "'",
        "`",
        "${",
        "/",
        "/*",
        "*/",
        "//",
        "//# sourceMappingURL=x",
        "\\",
        "\n",
        "\r\n",
        " ",
        "return",
        "if",
        "x",
        "1",
        "++",
        "#!",
        "#p",
        "\u{2028}",
        "\u{a0}",
        "\u{feff}",
        "\u{e9}",
        "\r",
    ];

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(SOUP).prop_map(|s| s.as_bytes().to_vec()),
                1 => any::<u8>().prop_map(|b| vec![b]),
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
                any::<u8>().prop_map(|b| if b"pP@#".contains(&b) { b'"' } else { b }),
                0..512,
            )
        ) {
            prop_assert!(scan(&src).is_empty());
        }
    }
}
