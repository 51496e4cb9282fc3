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
//! * [`check_sources`]: needs the walk result ([`Found`]), which the caller
//!   already has (collect walks once anyway; the CLI walks for it).
//! * [`check_writable`]: probes STATIC_ROOT (or its nearest existing parent)
//!   by creating and removing a temp file.
//! * [`check_manifest`]: reads every collected file and variant named by
//!   `staticfiles.json` (`rcollect check --manifest`).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::find::{Found, Ignore};
use crate::paths::{Overlap, normalize, overlap, resolve};

mod manifest;
mod render;
mod skew;
mod tls;

pub use manifest::{check_manifest, file_sha256};
pub use render::{
    count, escape_controls, github_annotation, render_github, render_json, render_text,
};
pub use skew::{Releases, check_skew, skew_findings};
pub use tls::check_tls;

/// The checks, by stable ID. `E…` are errors, `W…` warnings; each carries
/// its level and the runs it concerns, so neither can be chosen wrong at the
/// place a finding is made.
pub mod ids {
    use super::{Check, Level, Scope};

    /// The configuration cannot be loaded (bad TOML, unknown key, wrong type,
    /// unreadable file, bad `--dir`).
    pub const CONFIG_INVALID: Check = Check::new("E000", Level::Error, Scope::ALL);
    /// No source dirs are configured.
    pub const NO_SOURCE_DIRS: Check = Check::new("E001", Level::Error, Scope::SOURCES);
    /// STATIC_ROOT is, contains or is inside a source dir (Django's `staticfiles.E002`).
    pub const ROOT_OVERLAPS_SOURCE: Check = Check::new("E002", Level::Error, Scope::COLLECT);
    /// A `dirs` prefix is not a safe relative URL path.
    pub const BAD_PREFIX: Check = Check::new("E003", Level::Error, Scope::SOURCES);
    /// STATIC_URL is empty or does not end with `/`.
    pub const STATIC_URL_SLASH: Check = Check::new("E004", Level::Error, Scope::ALL);
    /// STATIC_URL is neither a path (`/…`) nor an absolute http(s) URL.
    pub const STATIC_URL_FORM: Check = Check::new("E005", Level::Error, Scope::ALL);
    /// MEDIA_URL is set but empty, without a trailing `/`, or not a path/URL.
    pub const MEDIA_URL_INVALID: Check = Check::new("E006", Level::Error, Scope::ALL);
    /// STATIC_URL and MEDIA_URL are the same.
    pub const SAME_URL: Check = Check::new("E007", Level::Error, Scope::ALL);
    /// STATIC_ROOT and MEDIA_ROOT are the same directory or one is inside the other.
    pub const ROOT_OVERLAPS_MEDIA: Check = Check::new("E008", Level::Error, Scope::ALL);
    /// An `ignore` glob does not compile.
    pub const BAD_IGNORE: Check = Check::new("E009", Level::Error, Scope::SOURCES);
    /// Walking the source dirs failed (symlink loop, unreadable entry).
    pub const WALK_FAILED: Check = Check::new("E010", Level::Error, Scope::SOURCES);
    /// `cache_dir` is or is inside a source dir or STATIC_ROOT.
    pub const CACHE_DIR_OVERLAPS: Check = Check::new("E012", Level::Error, Scope::COLLECT);
    /// `[compress] min_saving` is not in [0, 1).
    pub const BAD_MIN_SAVING: Check = Check::new("E011", Level::Error, Scope::COLLECT);
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
    pub const MEDIA_URL_NESTED: Check = Check::new("W001", Level::Warning, Scope::ALL);
    /// The same logical path exists in more than one source dir.
    pub const SHADOWED: Check = Check::new("W002", Level::Warning, Scope::SOURCES);
    /// STATIC_ROOT is not a directory, or it (or the parent it would be
    /// created in) is not writable.
    pub const ROOT_NOT_WRITABLE: Check = Check::new("W003", Level::Warning, Scope::COLLECT);
    /// A source dir does not exist or is not a directory, with
    /// `allow_empty` (Django's `staticfiles.W004`).
    pub const SOURCE_DIR_MISSING: Check = Check::new("W004", Level::Warning, Scope::SOURCES);
    /// A source dir does not exist or is not a directory: nothing would be
    /// shipped from it (W004 with `allow_empty` / `--allow-empty`).
    pub const SOURCE_DIR_ABSENT: Check = Check::new("E013", Level::Error, Scope::SOURCES);
    /// STATIC_ROOT is an object store but STATIC_URL is a path on this app.
    pub const STORE_WITH_LOCAL_URL: Check = Check::new("W005", Level::Warning, Scope::ALL);
    /// An HTML page names a file that is not collected (`rcollect check
    /// --references`; collect leaves it as written).
    pub const HTML_BROKEN_REFERENCE: Check = Check::new("W006", Level::Warning, Scope::COLLECT);
    /// `[serve] tls_cert` is set without `tls_key`, or the reverse.
    pub const TLS_INCOMPLETE: Check = Check::new("E014", Level::Error, Scope::SERVE);
    /// `[serve] tls_cert` or `tls_key` cannot be read or holds no PEM block
    /// of its kind.
    pub const TLS_UNREADABLE: Check = Check::new("E015", Level::Error, Scope::SERVE);
}

/// A kind of finding: its stable ID, its level and the runs it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Stable ID (`E002`, `W001`).
    pub id: &'static str,
    /// Severity.
    pub level: Level,
    /// Which runs it concerns.
    pub scope: Scope,
}

impl Check {
    const fn new(id: &'static str, level: Level, scope: Scope) -> Check {
        Check { id, level, scope }
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
        Check::new(self.id, self.level, self.scope)
    }

    /// True for [`Level::Error`].
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
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
    check_dirs(config, &mut out);
    check_root_overlap(config, &mut out);
    check_urls(config, &mut out);
    check_media_root(config, &mut out);
    check_ignore(config, &mut out);
    check_root_kind(config, &mut out);
    check_storage(config, &mut out);
    check_compress(config, &mut out);
    check_cache_dir(config, &mut out);
    locate_keys(config, &mut out);
    out
}

/// The `rcollect.toml` key each configuration check is about.
fn key_of(id: &str) -> Option<(&'static str, &'static str)> {
    // (table, key); "" is the top level.
    Some(match id {
        "E001" | "E003" | "E013" | "W004" => ("", "dirs"),
        "E002" | "W003" => ("", "static_root"),
        "E004" | "E005" | "E007" | "W005" => ("", "static_url"),
        "E006" | "W001" => ("", "media_url"),
        "E008" => ("", "media_root"),
        "E009" => ("", "ignore"),
        "E011" => ("compress", "min_saving"),
        "E012" => ("", "cache_dir"),
        _ => return None,
    })
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
        if let Some((table, key)) = key_of(f.id) {
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

/// [`ids::CACHE_DIR_OVERLAPS`]: a compression cache inside a source dir is
/// collected as assets (doubling each run); inside STATIC_ROOT it is mixed
/// with the outputs (and `--clear` would delete it).
fn check_cache_dir(config: &Config, out: &mut Vec<Finding>) {
    let Some(cache) = &config.cache_dir else {
        return;
    };
    let resolved = resolve(cache);
    let places = config
        .dirs
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("source dir dirs[{i}]"), &d.path))
        .chain(std::iter::once((
            "STATIC_ROOT".to_string(),
            &config.static_root,
        )));
    for (what, path) in places {
        // A cache that contains them is harmless: its entries live in
        // directories of their own.
        let how = match overlap(&resolved, &resolve(path)) {
            None | Some(Overlap::Contains) => continue,
            Some(Overlap::Same) => "is",
            Some(Overlap::Inside) => "is inside",
        };
        out.push(Finding::new(
            ids::CACHE_DIR_OVERLAPS,
            format!(
                "cache_dir '{}' {how} {what} '{}'",
                cache.display(),
                path.display()
            ),
            "put the compression cache outside the source dirs and STATIC_ROOT (the default, \
             ~/.cache/rcollect, is), or pass --no-cache",
        ));
    }
}

/// [`ids::BAD_MIN_SAVING`]: a variant is kept when it saves at least this
/// fraction, so it must be in [0, 1).
fn check_compress(config: &Config, out: &mut Vec<Finding>) {
    let m = config.compress.min_saving;
    if !(0.0..1.0).contains(&m) {
        out.push(Finding::new(
            ids::BAD_MIN_SAVING,
            format!("[compress] min_saving must be in [0, 1), got {m}"),
            "use a fraction such as `min_saving = 0.05` (keep a variant only if it is 5% smaller)",
        ));
    }
}

/// [`ids::STORE_WITH_LOCAL_URL`]: files published to object storage are
/// served by the store or a CDN, so STATIC_URL should be that absolute URL.
fn check_storage(config: &Config, out: &mut Vec<Finding>) {
    let Some(storage) = &config.storage else {
        return;
    };
    let absolute = config.static_url.starts_with("https://")
        || config.static_url.starts_with("http://")
        || config.static_url.starts_with("//");
    if !absolute {
        out.push(Finding::new(
            ids::STORE_WITH_LOCAL_URL,
            format!(
                "static_root '{}' is an object store, but static_url '{}' is a path on this app, \
                 which does not serve the store",
                storage.url, config.static_url
            ),
            "set static_url to the URL the bucket is served at, e.g. \
             static_url = \"https://cdn.example.com/static/\"",
        ));
    }
}

/// How many shadowed files a [`ids::SHADOWED`] finding names.
const SHADOWED_SHOWN: usize = 5;

/// Checks that need the walk result: shadowed files ([`ids::SHADOWED`]).
pub fn check_sources(config: &Config, found: &Found) -> Vec<Finding> {
    let _ = config;
    let mut out = Vec::new();
    let n = found.shadowed.len();
    if n > 0 {
        let mut list: Vec<String> = found
            .shadowed
            .iter()
            .take(SHADOWED_SHOWN)
            .map(|s| {
                format!(
                    "'{}' ('{}' hides '{}')",
                    s.logical,
                    s.winner.display(),
                    s.source.display()
                )
            })
            .collect();
        if n > SHADOWED_SHOWN {
            list.push(format!("and {} more", n - SHADOWED_SHOWN));
        }
        let files = if n == 1 { "file is" } else { "files are" };
        out.push(Finding::new(
            ids::SHADOWED,
            format!(
                "{n} source {files} shadowed by a file with the same logical path in an earlier source dir: {}",
                list.join(", ")
            ),
            "only the first dir's file is collected; rename or delete the hidden copy, or reorder \
             `dirs` if the other one should win (`rcollect findstatic PATH` lists every candidate)",
        ));
    }
    out
}

/// The finding for a configuration that cannot be loaded ([`ids::CONFIG_INVALID`]).
pub fn config_error(error: &Error) -> Finding {
    let hint = match error {
        Error::Config(e) => {
            let at = match (&e.file, e.line) {
                (Some(f), Some(l)) => format!(" in '{}' at line {l}", f.display()),
                (Some(f), None) => format!(" in '{}'", f.display()),
                (None, _) => String::new(),
            };
            match e.key.as_deref() {
                Some(k) if k.starts_with("--") => format!("fix the `{k}` argument"),
                Some(k) if e.message.starts_with("unknown field") => {
                    format!("remove or rename the key `{k}`{at}")
                }
                Some(k) => format!("fix the value of `{k}`{at}"),
                None => format!("fix the TOML syntax{at}"),
            }
        }
        _ => "make sure the config file exists and is readable, or pass --config FILE".to_string(),
    };
    let finding = Finding::new(
        ids::CONFIG_INVALID,
        format!("cannot load the configuration: {error}"),
        hint,
    );
    match error {
        Error::Config(ConfigError {
            file: Some(file),
            line,
            ..
        }) => {
            let line = line.and_then(|l| u32::try_from(l).ok());
            finding.at(file, line, None)
        }
        _ => finding,
    }
}

/// The finding for a failed walk of the source dirs ([`ids::WALK_FAILED`]).
pub fn walk_failed(error: &Error) -> Finding {
    let hint = match error {
        Error::SymlinkLoop { .. } => "remove the symlink or point it outside its own ancestors",
        Error::Unsafe { .. } => "remove the symlink, add it to `ignore`, or move STATIC_ROOT",
        _ => "make the entry readable, or add it to `ignore`",
    };
    Finding::new(
        ids::WALK_FAILED,
        format!("cannot walk the source dirs: {error}"),
        hint,
    )
}

/// Probes whether STATIC_ROOT can be written ([`ids::ROOT_NOT_WRITABLE`]):
/// when it exists, by creating and removing a temp file in it; when it does
/// not, the same in its nearest existing parent (where collect would create
/// it). A STATIC_ROOT that exists but is not a directory is reported by
/// [`run`], not here.
pub fn check_writable(config: &Config) -> Vec<Finding> {
    let root = &config.static_root;
    let mut out = Vec::new();
    if root.exists() {
        if root.is_dir() {
            if let Err(e) = probe_write(root) {
                out.push(Finding::new(
                    ids::ROOT_NOT_WRITABLE,
                    format!("STATIC_ROOT '{}' is not writable: {e}", root.display()),
                    "give the user that runs collect write permission on it, or point \
                     `static_root` somewhere writable",
                ));
            }
        }
        return out;
    }
    let Some(parent) = root.ancestors().skip(1).find(|p| p.exists()) else {
        return out;
    };
    if !parent.is_dir() {
        out.push(Finding::new(
            ids::ROOT_NOT_WRITABLE,
            format!(
                "STATIC_ROOT '{}' cannot be created: '{}' is not a directory",
                root.display(),
                parent.display()
            ),
            "point `static_root` at a path whose parents are directories",
        ));
    } else if let Err(e) = probe_write(parent) {
        out.push(Finding::new(
            ids::ROOT_NOT_WRITABLE,
            format!(
                "STATIC_ROOT '{}' does not exist and cannot be created: its nearest existing parent '{}' is not writable: {e}",
                root.display(),
                parent.display()
            ),
            "create STATIC_ROOT beforehand with the right owner, or point `static_root` somewhere writable",
        ));
    }
    out
}

fn probe_write(dir: &Path) -> std::io::Result<()> {
    let probe = crate::write::temp_name(&dir.join(".rcollect-check"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn check_dirs(config: &Config, out: &mut Vec<Finding>) {
    if config.dirs.is_empty() {
        out.push(Finding::new(
            ids::NO_SOURCE_DIRS,
            "no source dirs are configured: there is nothing to collect",
            "add `dirs = [\"assets\"]` to rcollect.toml or pass --dir PATH",
        ));
    }
    for (i, d) in config.dirs.iter().enumerate() {
        if let Some(problem) = prefix_problem(&d.prefix) {
            out.push(Finding::new(
                ids::BAD_PREFIX,
                format!(
                    "the prefix '{}' of dirs[{i}] ('{}') {problem}",
                    d.prefix.escape_debug(),
                    d.path.display()
                ),
                format!(
                    "write the prefix as a relative URL path without leading or trailing '/', e.g. \
                     prefix = \"{}\"",
                    suggest_prefix(&d.prefix)
                ),
            ));
        }
        let missing = if config.allow_empty {
            ids::SOURCE_DIR_MISSING
        } else {
            ids::SOURCE_DIR_ABSENT
        };
        match std::fs::metadata(&d.path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => out.push(Finding::new(
                missing,
                format!(
                    "source dir dirs[{i}] '{}' is not a directory",
                    d.path.display()
                ),
                "point the entry at a directory or remove it from `dirs`",
            )),
            Err(e) => out.push(Finding::new(
                missing,
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!("source dir dirs[{i}] '{}' does not exist", d.path.display())
                } else {
                    format!(
                        "source dir dirs[{i}] '{}' cannot be read: {e}",
                        d.path.display()
                    )
                },
                "create the directory, fix the path (relative paths are relative to rcollect.toml), \
                 remove it from `dirs`, or pass --allow-empty (allow_empty = true) if it may be absent",
            )),
        }
    }
}

/// Why a `dirs` prefix is unsafe, if it is.
fn prefix_problem(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() {
        return None;
    }
    if prefix.starts_with('/') {
        return Some("starts with '/'");
    }
    if prefix.ends_with('/') {
        return Some("ends with '/'");
    }
    if prefix.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("contains whitespace or control characters");
    }
    if prefix.contains('\\') {
        return Some("contains a backslash");
    }
    if prefix.contains(['?', '#', '%']) {
        return Some("contains '?', '#' or '%', which have a meaning in URLs");
    }
    if prefix.split('/').any(|s| s == "..") {
        return Some("contains a '..' segment");
    }
    if prefix.split('/').any(|s| s == ".") {
        return Some("contains a '.' segment");
    }
    if prefix.split('/').any(str::is_empty) {
        return Some("contains an empty segment ('//')");
    }
    None
}

fn suggest_prefix(prefix: &str) -> String {
    let segs: Vec<&str> = prefix
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    let s = segs.join("/");
    let s: String = s
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && !matches!(c, '?' | '#' | '%'))
        .collect();
    if s.is_empty() {
        "vendor".to_string()
    } else {
        s
    }
}

fn check_root_overlap(config: &Config, out: &mut Vec<Finding>) {
    let root = resolve(&config.static_root);
    for (i, d) in config.dirs.iter().enumerate() {
        let dir = resolve(&d.path);
        let how = match overlap(&root, &dir) {
            None => continue,
            Some(Overlap::Same) => "is the same directory as",
            Some(Overlap::Inside) => "is inside",
            Some(Overlap::Contains) => "contains",
        };
        out.push(Finding::new(
            ids::ROOT_OVERLAPS_SOURCE,
            format!(
                "STATIC_ROOT '{}'{} {how} source dir dirs[{i}] '{}'{}: collect would read its own output",
                config.static_root.display(),
                resolved_note(&config.static_root, &root),
                d.path.display(),
                resolved_note(&d.path, &dir),
            ),
            "keep STATIC_ROOT and the source dirs apart, e.g. `static_root = \"staticfiles\"` next to \
             rcollect.toml with the sources in `assets/`",
        ));
    }
}

fn check_media_root(config: &Config, out: &mut Vec<Finding>) {
    let Some(media) = &config.media_root else {
        return;
    };
    let root = resolve(&config.static_root);
    let m = resolve(media);
    let how = match overlap(&root, &m) {
        None => return,
        Some(Overlap::Same) => "is the same directory as",
        Some(Overlap::Inside) => "is inside",
        Some(Overlap::Contains) => "contains",
    };
    out.push(Finding::new(
        ids::ROOT_OVERLAPS_MEDIA,
        format!(
            "STATIC_ROOT '{}'{} {how} MEDIA_ROOT '{}'{}: collect would delete or serve uploaded files",
            config.static_root.display(),
            resolved_note(&config.static_root, &root),
            media.display(),
            resolved_note(media, &m),
        ),
        "give `static_root` and `media_root` separate directories, neither inside the other",
    ));
}

fn check_ignore(config: &Config, out: &mut Vec<Finding>) {
    for p in config.ignore_patterns() {
        if let Err(e) = Ignore::from_patterns(std::slice::from_ref(&p)) {
            out.push(Finding::new(
                ids::BAD_IGNORE,
                format!("the ignore pattern '{}' is not a valid glob: {}", p, e.message),
                "fix or remove the pattern in `ignore` (or --ignore); `*`, `?`, `[abc]`, `{a,b}` and \
                 `**` are supported",
            ));
        }
    }
}

fn check_root_kind(config: &Config, out: &mut Vec<Finding>) {
    let root = &config.static_root;
    if let Ok(m) = std::fs::metadata(root) {
        if !m.is_dir() {
            out.push(Finding::new(
                ids::ROOT_NOT_WRITABLE,
                format!(
                    "STATIC_ROOT '{}' exists but is not a directory",
                    root.display()
                ),
                "remove the file or point `static_root` at a directory",
            ));
        }
    }
}

fn check_urls(config: &Config, out: &mut Vec<Finding>) {
    let url = config.static_url.as_str();
    let from = "set `static_url` in rcollect.toml (or RCOLLECT_STATIC_URL / --url)";
    if url.is_empty() {
        out.push(Finding::new(
            ids::STATIC_URL_SLASH,
            "STATIC_URL is empty",
            format!("{from}, e.g. static_url = \"/static/\""),
        ));
    } else if !url.ends_with('/') {
        out.push(Finding::new(
            ids::STATIC_URL_SLASH,
            format!("STATIC_URL '{}' does not end with '/'", url.escape_debug()),
            format!("{from} to \"{}/\"", url.escape_debug()),
        ));
    }
    if let Some(problem) = url_form_problem(url) {
        out.push(Finding::new(
            ids::STATIC_URL_FORM,
            format!("STATIC_URL '{}' {problem}", url.escape_debug()),
            format!(
                "{from} to a path such as \"/static/\" or an absolute URL such as \
                 \"https://cdn.example.com/static/\""
            ),
        ));
    }
    let Some(media) = config.media_url.as_deref() else {
        return;
    };
    let media_problem = if media.is_empty() {
        Some("is empty".to_string())
    } else if !media.ends_with('/') {
        Some("does not end with '/'".to_string())
    } else {
        url_form_problem(media)
    };
    if let Some(problem) = media_problem {
        out.push(Finding::new(
            ids::MEDIA_URL_INVALID,
            format!("MEDIA_URL '{}' {problem}", media.escape_debug()),
            "set `media_url` in rcollect.toml to a path ending with '/' such as \"/media/\", or an \
             absolute URL such as \"https://media.example.com/\"; or remove it",
        ));
    }
    if media == url {
        out.push(Finding::new(
            ids::SAME_URL,
            format!(
                "STATIC_URL and MEDIA_URL are both '{}': static and uploaded files would be served from the same place",
                url.escape_debug()
            ),
            "give them different values, e.g. static_url = \"/static/\" and media_url = \"/media/\"",
        ));
    } else if url.ends_with('/') && media.ends_with('/') {
        let nested = if media.starts_with(url) {
            Some(("MEDIA_URL", media, "STATIC_URL", url))
        } else if url.starts_with(media) {
            Some(("STATIC_URL", url, "MEDIA_URL", media))
        } else {
            None
        };
        if let Some((inner_name, inner, outer_name, outer)) = nested {
            out.push(Finding::new(
                ids::MEDIA_URL_NESTED,
                format!(
                    "{inner_name} '{}' is inside {outer_name} '{}': requests for one can be answered by the other's handler",
                    inner.escape_debug(),
                    outer.escape_debug()
                ),
                "use sibling URLs such as \"/static/\" and \"/media/\"",
            ));
        }
    }
}

/// Only the non-ASCII bytes (and controls) are encoded in the suggestion.
const NON_ASCII: &percent_encoding::AsciiSet = percent_encoding::CONTROLS;

/// Why a (non-empty) STATIC_URL/MEDIA_URL is neither a `/path` nor an
/// absolute http(s) URL, if it is not.
fn url_form_problem(url: &str) -> Option<String> {
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

/// ` (resolves to '…')` when symlinks made the paths differ.
fn resolved_note(given: &Path, resolved: &Path) -> String {
    let plain = std::path::absolute(given)
        .map(|a| normalize(&a))
        .unwrap_or_else(|_| normalize(given));
    if plain == resolved {
        String::new()
    } else {
        format!(" (resolves to '{}')", resolved.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(prefix_problem(bad).is_some(), "{bad}");
            assert!(prefix_problem(&suggest_prefix(bad)).is_none(), "{bad}");
        }
        for good in ["", "vendor", "vendor/lib-1.2", "a.b"] {
            assert_eq!(prefix_problem(good), None, "{good}");
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
            assert_eq!(url_form_problem(good), None, "{good}");
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
            assert!(url_form_problem(bad).is_some(), "{bad}");
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
