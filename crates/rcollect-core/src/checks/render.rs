//! Output formats for findings: human text, one JSON document, GitHub
//! Actions workflow commands.

use std::fmt::Write as _;

use std::path::Path;

use super::{Finding, Level, Location};

const RESET: &str = "\x1b[0m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";

/// `(errors, warnings)`.
pub fn count(findings: &[Finding]) -> (usize, usize) {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    (errors, findings.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One `error[E002]: message` line per finding, an indented `hint:` line
/// under it, then a summary line (`2 errors, 1 warning`). With `colour`,
/// plain ANSI escapes highlight the level and the hint label.
///
/// ```
/// use rcollect_core::checks::{Finding, ids, render_text};
/// let f = Finding::new(ids::NO_SOURCE_DIRS, "no source dirs", "add `dirs`");
/// assert_eq!(
///     render_text(&[f], false),
///     "error[E001]: no source dirs\n  hint: add `dirs`\n\n1 error, 0 warnings\n"
/// );
/// ```
pub fn render_text(findings: &[Finding], colour: bool) -> String {
    let paint = |code: &str, s: &str| {
        if colour {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for f in findings {
        let code = match f.level {
            Level::Error => RED,
            Level::Warning => YELLOW,
        };
        let head = paint(code, &format!("{}[{}]", f.level, f.id));
        let message = escape_controls(&f.message, true);
        let _ = writeln!(out, "{head}: {}", indent(&message, "  "));
        if let Some(at) = &f.location {
            let at = at.to_string();
            let _ = writeln!(
                out,
                "  {} {}",
                paint(CYAN, "-->"),
                escape_controls(&at, false)
            );
        }
        if !f.hint.is_empty() {
            let hint = escape_controls(&f.hint, true);
            let _ = writeln!(
                out,
                "  {} {}",
                paint(CYAN, "hint:"),
                indent(&hint, "        ")
            );
        }
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    let (e, w) = count(findings);
    let summary = format!("{}, {}", plural(e, "error"), plural(w, "warning"));
    let code = if e > 0 {
        RED
    } else if w > 0 {
        YELLOW
    } else {
        BOLD
    };
    let _ = writeln!(out, "{}", paint(code, &summary));
    out
}

/// Continuation lines of a multi-line text, indented.
fn indent(s: &str, by: &str) -> String {
    s.replace('\n', &format!("\n{by}"))
}

/// Exactly one JSON object, on one line with a trailing newline:
/// `{"findings": [{"id", "level", "message", "hint", "file", "line", "col"}],
/// "errors": N, "warnings": M}` (`file`, `line`, `col` are `null` when the
/// finding points at no file).
pub fn render_json(findings: &[Finding]) -> String {
    let (errors, warnings) = count(findings);
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "id": f.id,
                "level": f.level.as_str(),
                "message": f.message,
                "hint": f.hint,
                "file": f.location.as_ref().map(|l| l.file.to_string_lossy()),
                "line": f.location.as_ref().and_then(|l| l.line),
                "col": f.location.as_ref().and_then(|l| l.col),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "findings": list,
        "errors": errors,
        "warnings": warnings,
    });
    let mut s = doc.to_string();
    s.push('\n');
    s
}

/// GitHub Actions workflow commands, one per finding:
/// `::error file=rcollect.toml,line=3,col=1,title=E002::message` (the hint
/// follows on a second line of the annotation), so the annotation attaches
/// to the config key or the CSS/JS line. File paths are written relative to
/// `base` (the checkout, where the workflow runs) when they are inside it.
/// `%`, CR and LF are escaped in the message, and also `:` and `,` in the
/// properties, as GitHub requires.
pub fn render_github(findings: &[Finding], base: &Path) -> String {
    let mut out = String::new();
    for f in findings {
        let mut text = f.message.clone();
        if !f.hint.is_empty() {
            text.push_str("\nhint: ");
            text.push_str(&f.hint);
        }
        out.push_str(&github_annotation(
            f.level,
            f.location.as_ref(),
            f.id,
            &text,
            base,
        ));
    }
    out
}

/// One GitHub Actions workflow command (`::error file=…,line=…,col=…,
/// title=…::text` and a newline), for reports that are not findings (a
/// failed collect). See [`render_github`].
pub fn github_annotation(
    level: Level,
    location: Option<&Location>,
    title: &str,
    text: &str,
    base: &Path,
) -> String {
    let mut props = String::new();
    if let Some(at) = location {
        let file = at.file.strip_prefix(base).unwrap_or(&at.file);
        let _ = write!(props, "file={},", escape_property(&file.to_string_lossy()));
        if let Some(l) = at.line {
            let _ = write!(props, "line={l},");
        }
        if let Some(c) = at.col {
            let _ = write!(props, "col={c},");
        }
    }
    format!(
        "::{level} {props}title={}::{}\n",
        escape_property(title),
        escape_data(text)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub use crate::paths::escape_controls;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Finding> {
        vec![
            Finding::new(
                crate::checks::ids::ROOT_OVERLAPS_SOURCE,
                "root '/a' is inside '/a'",
                "move it",
            ),
            Finding::new(
                crate::checks::ids::SOURCE_DIR_MISSING,
                "dir 'x' does not exist",
                "create it",
            ),
        ]
    }

    #[test]
    fn text_without_colour_has_no_escapes() {
        let s = render_text(&sample(), false);
        assert_eq!(
            s,
            "error[E002]: root '/a' is inside '/a'\n  hint: move it\n\
             warning[W004]: dir 'x' does not exist\n  hint: create it\n\n1 error, 1 warning\n"
        );
        assert!(!s.contains('\x1b'));
        assert_eq!(render_text(&[], false), "0 errors, 0 warnings\n");
    }

    #[test]
    fn text_with_colour_paints_levels() {
        let s = render_text(&sample(), true);
        assert!(s.starts_with("\x1b[1;31merror[E002]\x1b[0m: root"), "{s:?}");
        assert!(s.contains("\x1b[1;33mwarning[W004]\x1b[0m"));
        assert!(s.contains("\x1b[36mhint:\x1b[0m move it"));
    }

    #[test]
    fn json_is_one_document() {
        let s = render_json(&sample());
        assert_eq!(s.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v["errors"], 1);
        assert_eq!(v["warnings"], 1);
        assert_eq!(v["findings"][0]["id"], "E002");
        assert_eq!(v["findings"][0]["level"], "error");
        assert_eq!(v["findings"][1]["level"], "warning");
        assert_eq!(v["findings"][1]["hint"], "create it");
    }

    #[test]
    fn github_escapes() {
        let f = [Finding {
            id: "E0:1,",
            level: crate::checks::Level::Error,
            scope: crate::checks::Scope::ALL,
            message: "100% bad\r\nreally".into(),
            hint: "fix".into(),
            location: None,
            key: None,
        }];
        assert_eq!(
            render_github(&f, Path::new("/")),
            "::error title=E0%3A1%2C::100%25 bad%0D%0Areally%0Ahint: fix\n"
        );
        let at = f[0].clone().at("/repo/static/a,b.css", Some(3), Some(7));
        assert_eq!(
            render_github(std::slice::from_ref(&at), Path::new("/repo")),
            "::error file=static/a%2Cb.css,line=3,col=7,title=E0%3A1%2C::100%25 bad%0D%0Areally%0Ahint: fix\n"
        );
        assert!(
            render_text(std::slice::from_ref(&at), false)
                .contains("\n  --> /repo/static/a,b.css:3:7\n")
        );
        let v: serde_json::Value = serde_json::from_str(&render_json(&[at])).expect("json");
        assert_eq!(v["findings"][0]["file"], "/repo/static/a,b.css");
        assert_eq!(v["findings"][0]["line"], 3);
        assert_eq!(v["findings"][0]["col"], 7);
        let s = render_github(&sample(), Path::new("/"));
        assert!(s.contains("::warning title=W004::dir 'x' does not exist%0Ahint: create it\n"));
    }
}
