//! Configuration checks: what [`run`](super::run) finds in the
//! configuration itself (URLs, paths, prefixes, globs, `[compress]`,
//! `[storage]`) with a few `stat`/`canonicalize` calls and no directory
//! walk, and the finding for a configuration that cannot be loaded.

use std::path::Path;

use super::{Finding, ids};
use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::find::Ignore;
use crate::paths::{Overlap, normalize, overlap, resolve};

/// [`ids::CACHE_DIR_OVERLAPS`]: a compression cache inside a source dir is
/// collected as assets (doubling each run); inside STATIC_ROOT it is mixed
/// with the outputs (and `--clear` would delete it).
pub(super) fn check_cache_dir(config: &Config, out: &mut Vec<Finding>) {
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
pub(super) fn check_compress(config: &Config, out: &mut Vec<Finding>) {
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
pub(super) fn check_storage(config: &Config, out: &mut Vec<Finding>) {
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

pub(super) fn check_dirs(config: &Config, out: &mut Vec<Finding>) {
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
pub(super) fn prefix_problem(prefix: &str) -> Option<&'static str> {
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

pub(super) fn suggest_prefix(prefix: &str) -> String {
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

pub(super) fn check_root_overlap(config: &Config, out: &mut Vec<Finding>) {
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
             rcollect.toml with the sources in `static/`",
        ));
    }
}

pub(super) fn check_media_root(config: &Config, out: &mut Vec<Finding>) {
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

pub(super) fn check_ignore(config: &Config, out: &mut Vec<Finding>) {
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

pub(super) fn check_root_kind(config: &Config, out: &mut Vec<Finding>) {
    let root = &config.static_root;
    if let Ok(m) = std::fs::metadata(root) {
        if m.is_dir() {
            // E002 (the root is a source dir) says it better.
            if !out.iter().any(|f| f.id == ids::ROOT_OVERLAPS_SOURCE.id) {
                check_root_is_ours(root, out);
            }
        } else {
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

/// A STATIC_ROOT that exists, holds files, and was never collected into
/// (no manifest, no manifest version, no lock file) is someone else's
/// directory (`static_root = "src"`): collect would write its manifest and
/// files among them (E016). Reads one directory listing.
fn check_root_is_ours(root: &Path, out: &mut Vec<Finding>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut first = None;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name == crate::manifest::MANIFEST_NAME
            || name == crate::write::LOCK_NAME
            || crate::history::is_history_name(&name)
        {
            return;
        }
        if first.is_none() {
            first = Some(name.into_owned());
        }
    }
    let Some(example) = first else {
        return; // empty: a new STATIC_ROOT
    };
    out.push(Finding::new(
        ids::ROOT_NOT_OURS,
        format!(
            "STATIC_ROOT '{}' already holds files no collect wrote (e.g. '{}'): collect would write its output among them",
            root.display(),
            crate::paths::escape_controls(&example, false)
        ),
        "point `static_root` at a new or empty directory that only collect writes to, e.g. `static_root = \"staticfiles\"` (and add it to .gitignore)",
    ));
}

pub(super) fn check_urls(config: &Config, out: &mut Vec<Finding>) {
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
    if let Some(problem) = crate::url::form_problem(url) {
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
        crate::url::form_problem(media)
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
