//! Configuration checks: what `rcollect check` reports, what collect refuses
//! on (errors) and what the middleware logs (warnings).
//!
//! Every [`Finding`] has a stable ID (see [`ids`]), a message that names the
//! values involved and a hint that says how to fix it.
//!
//! The checks come in groups, from cheap to expensive:
//!
//! * [`run`]: the configuration itself (URLs, paths, prefixes, globs). A few
//!   `stat`/`canonicalize` calls, no directory walk; collect and the
//!   middleware call it on every start.
//! * [`check_sources`]: needs the walk result ([`Found`](crate::find::Found)), which the caller
//!   already has (collect walks once anyway; the CLI walks for it).
//! * [`check_writable`]: probes STATIC_ROOT (or its nearest existing parent)
//!   by creating and removing a temp file.
//! * [`check_manifest`]: reads every collected file and variant named by
//!   `staticfiles.json` (`rcollect check --manifest`).

use std::fmt;
use std::path::PathBuf;

use crate::config::Config;

mod config;
mod manifest;
mod render;
mod skew;
mod sourcemaps;
mod sources;
mod stale;
mod tls;
mod writable;

pub use config::config_error;
pub use manifest::{check_manifest, file_sha256};
pub use render::{
    count, escape_controls, github_annotation, render_github, render_json, render_text,
};
pub use skew::{check_skew, skew_findings};
pub use sourcemaps::check_sourcemaps;
pub use sources::{check_sources, walk_failed};
pub use stale::check_stale;
pub use tls::check_tls;
pub use writable::check_writable;

/// The checks, by stable ID. `E…` are errors, `W…` warnings; each carries
/// its level and the runs it concerns, so neither can be chosen wrong at the
/// place a finding is made.
pub mod ids {
    use super::{Check, Level, Scope};

    /// The configuration cannot be loaded (bad TOML, unknown key, wrong type,
    /// unreadable file, bad `--dir`).
    pub const CONFIG_INVALID: Check = Check::new("E000", Level::Error, Scope::ALL);
    /// No source dirs are configured.
    pub const NO_SOURCE_DIRS: Check =
        Check::new("E001", Level::Error, Scope::SOURCES).key("", "dirs");
    /// STATIC_ROOT is, contains or is inside a source dir (Django's `staticfiles.E002`).
    pub const ROOT_OVERLAPS_SOURCE: Check =
        Check::new("E002", Level::Error, Scope::COLLECT).key("", "static_root");
    /// A `dirs` prefix is not a safe relative URL path.
    pub const BAD_PREFIX: Check = Check::new("E003", Level::Error, Scope::SOURCES).key("", "dirs");
    /// STATIC_URL is empty or does not end with `/`.
    pub const STATIC_URL_SLASH: Check =
        Check::new("E004", Level::Error, Scope::ALL).key("", "static_url");
    /// STATIC_URL is neither a path (`/…`) nor an absolute http(s) URL.
    pub const STATIC_URL_FORM: Check =
        Check::new("E005", Level::Error, Scope::ALL).key("", "static_url");
    /// MEDIA_URL is set but empty, without a trailing `/`, or not a path/URL.
    pub const MEDIA_URL_INVALID: Check =
        Check::new("E006", Level::Error, Scope::ALL).key("", "media_url");
    /// STATIC_URL and MEDIA_URL are the same.
    pub const SAME_URL: Check = Check::new("E007", Level::Error, Scope::ALL).key("", "static_url");
    /// STATIC_ROOT and MEDIA_ROOT are the same directory or one is inside the other.
    pub const ROOT_OVERLAPS_MEDIA: Check =
        Check::new("E008", Level::Error, Scope::ALL).key("", "media_root");
    /// An `ignore` glob does not compile.
    pub const BAD_IGNORE: Check =
        Check::new("E009", Level::Error, Scope::SOURCES).key("", "ignore");
    /// Walking the source dirs failed (symlink loop, unreadable entry).
    pub const WALK_FAILED: Check = Check::new("E010", Level::Error, Scope::SOURCES);
    /// `cache_dir` is or is inside a source dir or STATIC_ROOT.
    pub const CACHE_DIR_OVERLAPS: Check =
        Check::new("E012", Level::Error, Scope::COLLECT).key("", "cache_dir");
    /// `[compress] min_saving` is not in [0, 1).
    pub const BAD_MIN_SAVING: Check =
        Check::new("E011", Level::Error, Scope::COLLECT).key("compress", "min_saving");
    /// `staticfiles.json` is missing, unreadable or invalid.
    pub const MANIFEST_UNREADABLE: Check = Check::new("E020", Level::Error, Scope::SERVE);
    /// A file listed in the manifest's `files` does not exist.
    pub const MANIFEST_FILE_MISSING: Check = Check::new("E021", Level::Error, Scope::SERVE);
    /// A collected file does not have the size or SHA-256 the manifest records.
    pub const MANIFEST_FILE_MISMATCH: Check = Check::new("E022", Level::Error, Scope::SERVE);
    /// A precompressed variant is missing, has the wrong size or does not
    /// decode to the file's bytes.
    pub const MANIFEST_VARIANT: Check = Check::new("E023", Level::Error, Scope::SERVE);
    /// An unhashed copy (kept with `keep_unhashed`, served by `nginx-conf`
    /// and under the unhashed name) is missing or differs from its hashed file.
    pub const MANIFEST_UNHASHED: Check = Check::new("E025", Level::Error, Scope::SERVE);
    /// STATIC_ROOT is a non-empty directory no collect wrote to
    /// (`static_root = "src"`).
    pub const ROOT_NOT_OURS: Check =
        Check::new("E016", Level::Error, Scope::COLLECT).key("", "static_root");
    /// `importmap.json` (`[js] linking = "importmap"`) is missing, unreadable
    /// or not the import map of the manifest.
    pub const MANIFEST_IMPORTMAP: Check = Check::new("E026", Level::Error, Scope::SERVE);
    /// A target of the manifest's `paths` map does not exist.
    pub const MANIFEST_PATH_TARGET: Check = Check::new("E024", Level::Error, Scope::SERVE);
    /// A CSS/JS reference names no file (`rcollect check --references`).
    pub const BROKEN_REFERENCE: Check = Check::new("E030", Level::Error, Scope::COLLECT);
    /// STATIC_ROOT is not up to date with the sources (`rcollect check
    /// --manifest`).
    pub const MANIFEST_STALE: Check = Check::new("E031", Level::Error, Scope::SERVE);
    /// Pages of a previous release would get 404 for files they name
    /// (`rcollect check --skew`).
    pub const SKEW: Check = Check::new("E032", Level::Error, Scope::SERVE);
    /// MEDIA_URL is inside STATIC_URL or the reverse.
    pub const MEDIA_URL_NESTED: Check =
        Check::new("W001", Level::Warning, Scope::ALL).key("", "media_url");
    /// The same logical path exists in more than one source dir.
    pub const SHADOWED: Check = Check::new("W002", Level::Warning, Scope::SOURCES);
    /// STATIC_ROOT is not a directory, or it (or the parent it would be
    /// created in) is not writable.
    pub const ROOT_NOT_WRITABLE: Check =
        Check::new("W003", Level::Warning, Scope::COLLECT).key("", "static_root");
    /// A source dir does not exist or is not a directory, with
    /// `allow_empty` (Django's `staticfiles.W004`).
    pub const SOURCE_DIR_MISSING: Check =
        Check::new("W004", Level::Warning, Scope::SOURCES).key("", "dirs");
    /// A source dir does not exist or is not a directory: nothing would be
    /// shipped from it (W004 with `allow_empty` / `--allow-empty`).
    pub const SOURCE_DIR_ABSENT: Check =
        Check::new("E013", Level::Error, Scope::SOURCES).key("", "dirs");
    /// STATIC_ROOT is an object store but STATIC_URL is a path on this app.
    pub const STORE_WITH_LOCAL_URL: Check =
        Check::new("W005", Level::Warning, Scope::ALL).key("", "static_url");
    /// An HTML page names a file that is not collected (`rcollect check
    /// --references`; collect leaves it as written).
    pub const HTML_BROKEN_REFERENCE: Check = Check::new("W006", Level::Warning, Scope::COLLECT);
    /// A source file changed after the last collect: STATIC_ROOT serves
    /// older files than the sources hold.
    pub const STALE_ROOT: Check = Check::new("W007", Level::Warning, Scope::SERVE);
    /// `[sourcemaps] mode = "private"` and `RCOLLECT_SOURCEMAP_TOKEN` is
    /// not set: the middleware would refuse every source map.
    pub const SOURCEMAP_TOKEN_UNSET: Check =
        Check::new("W008", Level::Warning, Scope::SERVE).key("sourcemaps", "mode");
    /// `[serve] tls_cert` is set without `tls_key`, or the reverse.
    pub const TLS_INCOMPLETE: Check = Check::new("E014", Level::Error, Scope::SERVE);
    /// `[serve] tls_cert` or `tls_key` cannot be read or holds no PEM block
    /// of its kind.
    pub const TLS_UNREADABLE: Check = Check::new("E015", Level::Error, Scope::SERVE);
}

/// A kind of finding: its stable ID, its level, the runs it concerns and,
/// for a check of the configuration, the `rcollect.toml` key it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Stable ID (`E002`, `W001`).
    pub id: &'static str,
    /// Severity.
    pub level: Level,
    /// Which runs it concerns.
    pub scope: Scope,
    /// The key it is about, as (table, key); `""` is the top level. Its
    /// findings point at the key's line in the config file.
    pub key: Option<(&'static str, &'static str)>,
}

impl Check {
    const fn new(id: &'static str, level: Level, scope: Scope) -> Check {
        Check {
            id,
            level,
            scope,
            key: None,
        }
    }

    const fn key(self, table: &'static str, key: &'static str) -> Check {
        Check {
            key: Some((table, key)),
            ..self
        }
    }
}

impl PartialEq<Check> for &str {
    fn eq(&self, other: &Check) -> bool {
        *self == other.id
    }
}

/// The runs a check concerns, as a set. `rcollect check` reports every
/// finding whatever its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(u8);

impl Scope {
    /// `collectstatic`.
    pub const COLLECT: Scope = Scope(1);
    /// The middleware serving STATIC_ROOT from the manifest.
    pub const SERVE: Scope = Scope(2);
    /// The middleware in dev mode, serving the source dirs.
    pub const DEV: Scope = Scope(4);
    /// What reads the source dirs: collect and dev mode.
    pub const SOURCES: Scope = Scope(1 | 4);
    /// Every run.
    pub const ALL: Scope = Scope(1 | 2 | 4);

    /// True if `self` includes every run of `other`.
    pub fn contains(self, other: Scope) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails `rcollect check` and refuses collect.
    Error,
    /// Reported; fails only with `--deny-warnings`.
    Warning,
}

impl Level {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found by a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable ID (`E002`, `W001`); see [`ids`].
    pub id: &'static str,
    /// Severity, from the check.
    pub level: Level,
    /// The runs it concerns, from the check.
    pub scope: Scope,
    /// What is wrong, naming the values involved.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// The file (and line, column) it points at, when it concerns one: the
    /// config file's key, or the CSS/JS line of a reference.
    pub location: Option<Location>,
    /// The configuration key its check is about, from [`Check::key`](struct@Check).
    pub key: Option<(&'static str, &'static str)>,
}

/// Where a [`Finding`] points: a file, and a 1-based line and column in it
/// when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column (in characters).
    pub col: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.col {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

impl Finding {
    /// A finding of `check`.
    pub fn new(check: Check, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            id: check.id,
            level: check.level,
            scope: check.scope,
            message: message.into(),
            hint: hint.into(),
            location: None,
            key: check.key,
        }
    }

    /// The same finding, pointing at `file` (line and column 1-based).
    pub fn at(mut self, file: impl Into<PathBuf>, line: Option<u32>, col: Option<u32>) -> Self {
        self.location = Some(Location {
            file: file.into(),
            line,
            col,
        });
        self
    }

    /// The check this is a finding of.
    pub fn check(&self) -> Check {
        Check {
            id: self.id,
            level: self.level,
            scope: self.scope,
            key: self.key,
        }
    }

    /// True for [`Level::Error`].
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `error[E002]: message (hint: …)`: the finding as one line of an
    /// error that lists several.
    pub fn with_hint(&self) -> String {
        format!("{self} (hint: {})", self.hint)
    }

    /// Logs the finding with `tracing` at its level (`error` or `warn`),
    /// as `E002: message (hint: …)`: the log line carries the level, so
    /// the text does not repeat it.
    pub fn log(&self) {
        let message = crate::paths::escape_controls(&self.message, false);
        let hint = crate::paths::escape_controls(&self.hint, false);
        match self.level {
            Level::Error => tracing::error!("{}: {message} (hint: {hint})", self.id),
            Level::Warning => tracing::warn!("{}: {message} (hint: {hint})", self.id),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.level, self.id, self.message)
    }
}

/// True if any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_error)
}

/// Runs the fast configuration checks: everything that needs the
/// configuration and a few `stat` calls, but no directory walk and no writes.
///
/// ```
/// use rcollect_core::checks::{self, ids};
/// let c = rcollect_core::Config::new("/srv/static", "/static");
/// let found: Vec<_> = checks::run(&c).iter().map(|f| f.id).collect();
/// assert_eq!(found, [ids::NO_SOURCE_DIRS, ids::STATIC_URL_SLASH]);
/// ```
pub fn run(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    config::check_dirs(config, &mut out);
    config::check_root_overlap(config, &mut out);
    config::check_urls(config, &mut out);
    config::check_media_root(config, &mut out);
    config::check_ignore(config, &mut out);
    config::check_root_kind(config, &mut out);
    config::check_storage(config, &mut out);
    config::check_compress(config, &mut out);
    config::check_cache_dir(config, &mut out);
    locate_keys(config, &mut out);
    out
}

/// Points the findings about a configuration key at its line in the config
/// file (or at the file, when the key is not written there).
fn locate_keys(config: &Config, out: &mut [Finding]) {
    let Some(file) = &config.config_file else {
        return;
    };
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    for f in out.iter_mut().filter(|f| f.location.is_none()) {
        if let Some((table, key)) = f.key {
            let line = key_line(&text, table, key);
            f.location = Some(Location {
                file: file.clone(),
                line,
                col: line.map(|_| 1),
            });
        }
    }
}

/// The 1-based line where `key` is set in `table` ("" for the top level) of
/// a TOML text, by a line scan (`key = …` or `table.key = …` at the top).
fn key_line(text: &str, table: &str, key: &str) -> Option<u32> {
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim().to_string();
            continue;
        }
        let Some((lhs, _)) = line.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim().trim_matches('"');
        let hit = (current == table && lhs == key)
            || (current.is_empty() && !table.is_empty() && lhs == format!("{table}.{key}"));
        if hit {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::find::Found;
    use std::path::Path;

    #[test]
    fn key_line_finds_top_level_table_and_dotted_keys() {
        let t = "# c\nstatic_url = \"x\"\n\n[compress]\nmin_saving = 2\n[serve]\nmax_age = 1\n";
        assert_eq!(key_line(t, "", "static_url"), Some(2));
        assert_eq!(key_line(t, "compress", "min_saving"), Some(5));
        assert_eq!(key_line(t, "", "dirs"), None);
        assert_eq!(
            key_line("compress.min_saving = 3\n", "compress", "min_saving"),
            Some(1)
        );
    }
    use crate::config::SourceDir;

    fn ids_of(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.id).collect()
    }

    fn config(t: &Path) -> Config {
        std::fs::create_dir_all(t.join("assets")).expect("mkdir");
        let mut c = Config::new(t.join("out"), "/static/");
        c.dirs.push(SourceDir {
            prefix: String::new(),
            path: t.join("assets"),
        });
        c
    }

    #[test]
    fn clean_config_has_no_findings() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        c.media_url = Some("/media/".into());
        c.media_root = Some(t.path().join("media"));
        assert_eq!(run(&c), vec![]);
        assert_eq!(check_writable(&c), vec![]);
        assert_eq!(check_sources(&c, &Found::default()), vec![]);
    }

    #[test]
    fn no_dirs_is_an_error() {
        let c = Config::new("/srv/out", "/static/");
        let f = run(&c);
        assert_eq!(ids_of(&f), [ids::NO_SOURCE_DIRS]);
        assert!(f[0].hint.contains("--dir"));
    }

    #[test]
    fn root_overlapping_a_source_dir_is_e002_both_ways() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        for root in ["assets", "assets/out", "."] {
            c.static_root = t.path().join(root);
            let f = run(&c);
            assert_eq!(ids_of(&f), [ids::ROOT_OVERLAPS_SOURCE], "{root}: {f:?}");
            assert!(
                f[0].message
                    .contains(&t.path().join("assets").display().to_string())
            );
        }
        c.static_root = t.path().join("assets/../out");
        assert_eq!(run(&c), vec![]);
    }

    #[cfg(unix)]
    #[test]
    fn overlap_is_seen_through_symlinks() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        std::os::unix::fs::symlink(t.path().join("assets"), t.path().join("link")).expect("ln");
        c.static_root = t.path().join("link/out");
        let f = run(&c);
        assert_eq!(ids_of(&f), [ids::ROOT_OVERLAPS_SOURCE]);
        assert!(f[0].message.contains("resolves to"), "{}", f[0].message);
    }

    #[test]
    fn prefixes() {
        for bad in [
            "/v", "v/", "a/../b", "..", "a//b", "./a", "a\\b", "a b", "a?b",
        ] {
            assert!(config::prefix_problem(bad).is_some(), "{bad}");
            assert!(
                config::prefix_problem(&config::suggest_prefix(bad)).is_none(),
                "{bad}"
            );
        }
        for good in ["", "vendor", "vendor/lib-1.2", "a.b"] {
            assert_eq!(config::prefix_problem(good), None, "{good}");
        }
    }

    #[test]
    fn url_forms() {
        for good in [
            "/static/",
            "/",
            "https://cdn.example.com/static/",
            "HTTP://cdn.example.com/",
            "http://cdn.example.com",
        ] {
            assert_eq!(crate::url::form_problem(good), None, "{good}");
        }
        for bad in [
            "static/",
            "//cdn.example.com/s/",
            "ftp://x/s/",
            "https:///s/",
            "/static/?v=1/",
            "/st atic/",
            "/a/../b/",
            "/a//b/",
            "mailto:x/",
            "https://user@host/s/",
        ] {
            assert!(crate::url::form_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn url_checks() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        c.static_url = String::new();
        assert_eq!(ids_of(&run(&c)), [ids::STATIC_URL_SLASH]);
        c.static_url = "/static".into();
        let f = run(&c);
        assert_eq!(ids_of(&f), [ids::STATIC_URL_SLASH]);
        assert!(f[0].hint.contains("\"/static/\""), "{}", f[0].hint);
        c.static_url = "static/".into();
        assert_eq!(ids_of(&run(&c)), [ids::STATIC_URL_FORM]);
        c.static_url = "/static/".into();
        c.media_url = Some("/media".into());
        assert_eq!(ids_of(&run(&c)), [ids::MEDIA_URL_INVALID]);
        c.media_url = Some("/static/".into());
        assert_eq!(ids_of(&run(&c)), [ids::SAME_URL]);
        c.media_url = Some("/static/media/".into());
        assert_eq!(ids_of(&run(&c)), [ids::MEDIA_URL_NESTED]);
        c.media_url = Some("/".into());
        assert_eq!(ids_of(&run(&c)), [ids::MEDIA_URL_NESTED]);
        c.media_url = Some("/staticmedia/".into());
        assert_eq!(run(&c), vec![]);
    }

    #[test]
    fn media_root_overlap() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        for m in ["out", "out/media", "."] {
            c.media_root = Some(t.path().join(m));
            let ids = ids_of(&run(&c));
            assert!(ids.contains(&ids::ROOT_OVERLAPS_MEDIA.id), "{m}: {ids:?}");
        }
        c.media_root = Some(t.path().join("media"));
        assert_eq!(run(&c), vec![]);
    }

    #[test]
    fn missing_dir_and_bad_glob() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        c.dirs.push(SourceDir {
            prefix: String::new(),
            path: t.path().join("nope"),
        });
        c.ignore.push("[".into());
        let f = run(&c);
        assert_eq!(ids_of(&f), [ids::SOURCE_DIR_ABSENT, ids::BAD_IGNORE]);
        assert!(f[0].message.contains("nope"));
        assert_eq!(f[0].level, Level::Error);
        c.allow_empty = true;
        let f = run(&c);
        assert_eq!(ids_of(&f), [ids::SOURCE_DIR_MISSING, ids::BAD_IGNORE]);
        assert_eq!(f[0].level, Level::Warning);
    }

    #[test]
    fn root_that_is_a_file_or_under_a_file() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut c = config(t.path());
        std::fs::write(t.path().join("out"), "x").expect("write");
        assert_eq!(ids_of(&run(&c)), [ids::ROOT_NOT_WRITABLE]);
        assert_eq!(check_writable(&c), vec![]);
        c.static_root = t.path().join("out/sub");
        assert_eq!(ids_of(&check_writable(&c)), [ids::ROOT_NOT_WRITABLE]);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_root_is_reported_unless_we_are_root() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().expect("tempdir");
        let c = config(t.path());
        std::fs::create_dir(&c.static_root).expect("mkdir");
        std::fs::set_permissions(&c.static_root, std::fs::Permissions::from_mode(0o555))
            .expect("chmod");
        let can_write = std::fs::write(c.static_root.join("x"), "").is_ok();
        let f = check_writable(&c);
        if can_write {
            assert_eq!(f, vec![]);
        } else {
            assert_eq!(ids_of(&f), [ids::ROOT_NOT_WRITABLE]);
        }
        let names = std::fs::read_dir(&c.static_root).expect("ls").count();
        assert_eq!(names, usize::from(can_write), "the probe is removed");
        std::fs::set_permissions(&c.static_root, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }

    #[test]
    fn shadowed_files_are_listed_up_to_a_limit() {
        let t = tempfile::tempdir().expect("tempdir");
        let c = config(t.path());
        let found = Found {
            assets: Vec::new(),
            shadowed: (0..7)
                .map(|i| crate::find::Shadowed {
                    logical: format!("f{i}.css"),
                    source: t.path().join(format!("b/f{i}.css")),
                    winner: t.path().join(format!("a/f{i}.css")),
                })
                .collect(),
        };
        let f = check_sources(&c, &found);
        assert_eq!(ids_of(&f), [ids::SHADOWED]);
        assert!(f[0].message.contains("f4.css") && !f[0].message.contains("f5.css"));
        assert!(f[0].message.contains("and 2 more"), "{}", f[0].message);
    }

    #[test]
    fn config_error_names_line_and_key() {
        let e = Error::Config(crate::ConfigError {
            file: Some("/p/rcollect.toml".into()),
            line: Some(3),
            key: Some("statik_url".into()),
            message: "unknown field `statik_url`".into(),
        });
        let f = config_error(&e);
        assert_eq!(f.id, ids::CONFIG_INVALID);
        assert!(f.message.contains("rcollect.toml:3"), "{}", f.message);
        assert!(f.message.contains("statik_url"));
        assert!(f.hint.contains("line 3"), "{}", f.hint);
    }
}
