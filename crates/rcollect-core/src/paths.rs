//! Paths: the one home for turning names into paths and comparing them.
//! Manifest names are `/`-separated relative paths; filesystem paths are
//! normalised, resolved through symlinks as far as they exist, and compared
//! for overlap (STATIC_ROOT against the source dirs, MEDIA_ROOT, links).

use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped when a file name goes into a URL: controls, space and
/// the URL and HTML specials, so the URL is safe in an HTML attribute as it
/// is.
const URL_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'&')
    .add(b'\'')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The URL of a file `name` (relative to STATIC_ROOT) under `static_url`,
/// percent-encoded where needed, HTML specials included.
///
/// ```
/// use rcollect_core::paths::static_url;
/// assert_eq!(static_url("/static/", "img/a b&c.svg"), "/static/img/a%20b%26c.svg");
/// ```
pub fn static_url(static_url: &str, name: &str) -> String {
    format!("{static_url}{}", utf8_percent_encode(name, URL_PATH))
}

/// `s` with control characters (a newline, an escape sequence) written as
/// `\u{…}` escapes, newlines kept when `keep_newlines`: a file name in a
/// message or a log line can then never forge a line or drive a terminal.
///
/// ```
/// use rcollect_core::paths::escape_controls;
/// assert_eq!(escape_controls("a\nb\u{1b}[2J", false), "a\\u{a}b\\u{1b}[2J");
/// ```
pub fn escape_controls(s: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    let bad = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A path as messages and logs show it: lossy UTF-8, control characters
/// escaped ([`escape_controls`]).
pub fn shown(path: &Path) -> Shown<'_> {
    Shown(path)
}

/// See [`shown`].
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(&'a Path);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape_controls(&self.0.to_string_lossy(), false))
    }
}

/// Lexically removes `.` and `..` components (no filesystem access).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The file of a manifest name (`css/app.3f2a9c81d0e4.css`) under `root`,
/// built segment by segment (names are checked by [`is_safe_relative`]).
pub fn path_in(root: &Path, name: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(name.split('/'));
    p
}

/// True for a non-empty relative `/`-separated path without `..`, `.`,
/// empty segments, backslashes or NUL.
pub fn is_safe_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// `path` with `suffix` appended to its file name (`a.css` → `a.css.br`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// How two resolved paths overlap, seen from the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// The same directory.
    Same,
    /// The first is inside the second.
    Inside,
    /// The first contains the second.
    Contains,
}

pub(crate) fn overlap(a: &Path, b: &Path) -> Option<Overlap> {
    if a == b {
        Some(Overlap::Same)
    } else if a.starts_with(b) {
        Some(Overlap::Inside)
    } else if b.starts_with(a) {
        Some(Overlap::Contains)
    } else {
        None
    }
}

/// An absolute, normalised path with symlinks resolved as far as the path
/// exists: the longest existing ancestor is canonicalised and the rest is
/// appended to it.
pub(crate) fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p)
        .map(|a| normalize(&a))
        .unwrap_or_else(|_| normalize(p));
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(mut c) = cur.canonicalize() {
            for name in rest.iter().rev() {
                c.push(name);
            }
            return c;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return abs,
        }
    }
}
