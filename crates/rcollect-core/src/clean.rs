//! `rcollect clean`: remove collected files that no recent manifest names.
//!
//! The rule, for every file under STATIC_ROOT (or every object under the
//! store prefix):
//!
//! * files that no manifest version ever named and that do not look like an
//!   rcollect output (a hashed name, or a variant of one) are never touched;
//! * the live `staticfiles.json`, and every file named by one of the `keep`
//!   newest versions (the live manifest counts as the first), are kept;
//! * of the rest, a file is removed only if it is **also** older than
//!   `older_than` (when given). The two conditions combine with AND: a file
//!   is removed when no kept version names it *and* it is old enough; it is
//!   kept when a kept version names it *or* it is younger than the age.
//!
//! Older manifest versions (`staticfiles.<timestamp>.json`) beyond `keep`
//! are removed under the same age rule. The age protects the files of a
//! collect or publish still in progress, whose manifest is not there yet.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use crate::history::{Releases, is_history_name};
use crate::manifest::{Encoding, MANIFEST_NAME, Manifest};
use crate::write::TEMP_SUFFIX;

/// What to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanOptions {
    /// How many manifest versions to keep, the live one included (at least 1).
    pub keep: usize,
    /// Keep anything modified more recently than this.
    pub older_than: Option<Duration>,
}

/// One file or object, by its `/`-separated key relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Relative key (`css/app.3f2a9c81d0e4.css`).
    pub key: String,
    /// Last modification.
    pub modified: SystemTime,
}

/// The decision for one root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanPlan {
    /// Keys to remove, sorted.
    pub remove: Vec<String>,
    /// Manifest versions kept (file names, newest first).
    pub kept_versions: Vec<String>,
    /// Keys that no kept version names but that are younger than the age.
    pub kept_young: Vec<String>,
}

/// Every key a manifest names: hashed names, the unhashed originals, and
/// the possible precompressed variants of both.
pub fn names_of(m: &Manifest, into: &mut BTreeSet<String>) {
    let mut add = |name: &str| {
        into.insert(name.to_string());
        for e in Encoding::ALL {
            into.insert(format!("{name}{}", e.suffix()));
        }
    };
    for (logical, hashed) in &m.paths {
        add(hashed);
        add(logical);
    }
    for hashed in m.files.keys() {
        add(hashed);
    }
    for (hashed, meta) in &m.files {
        into.extend(meta.outputs(hashed));
    }
}

/// Decides what to remove from `place` (a STATIC_ROOT or a store URL, for
/// the error) given its `releases`; `objects` is everything under the
/// root; `now` anchors the age. The live manifest counts as the first of
/// the `keep` versions.
///
/// # Errors
/// [`Error::CleanRefused`](crate::Error::CleanRefused) when a version
/// cannot be read: what it names is unknown, so no file can be proven
/// unused and nothing is removed (never delete on doubt).
pub fn plan(
    place: &str,
    releases: &Releases,
    objects: &[Object],
    options: CleanOptions,
    now: SystemTime,
) -> crate::Result<CleanPlan> {
    let unreadable: Vec<String> = releases.unreadable().map(|(_, e)| e.to_string()).collect();
    if !unreadable.is_empty() {
        return Err(crate::Error::CleanRefused {
            place: place.to_string(),
            versions: unreadable,
        });
    }
    let keep_n = options.keep.max(1);
    let mut keep = BTreeSet::new();
    let mut known = BTreeSet::new();
    let mut result = CleanPlan::default();
    for (i, (name, m)) in releases.manifests().enumerate() {
        if i < keep_n {
            names_of(m, &mut keep);
            result.kept_versions.push(name.to_string());
        }
        names_of(m, &mut known);
    }
    let kept_versions: BTreeSet<&str> = result.kept_versions.iter().map(String::as_str).collect();
    for o in objects {
        let key = o.key.as_str();
        let top_level = !key.contains('/');
        let candidate = if key == MANIFEST_NAME || key.ends_with(TEMP_SUFFIX) {
            false
        } else if top_level && is_history_name(key) {
            !kept_versions.contains(key)
        } else {
            !keep.contains(key) && (known.contains(key) || crate::hash::looks_hashed(key))
        };
        if !candidate {
            continue;
        }
        let old_enough = match options.older_than {
            None => true,
            Some(age) => now.duration_since(o.modified).is_ok_and(|d| d >= age),
        };
        if old_enough {
            result.remove.push(o.key.clone());
        } else {
            result.kept_young.push(o.key.clone());
        }
    }
    result.remove.sort();
    result.kept_young.sort();
    Ok(result)
}

/// Runs `clean` on a local STATIC_ROOT: takes the collect lock, lists the
/// files, loads the manifest versions (each at most `max_manifest_bytes`),
/// removes what [`plan`] decides (and directories left empty), unless
/// `dry_run`.
///
/// # Errors
/// A version cannot be read (nothing is removed, see [`plan`]), or a
/// listing or removal fails.
#[cfg(feature = "collect")]
#[cfg_attr(docsrs, doc(cfg(feature = "collect")))]
pub fn clean_dir(
    root: &std::path::Path,
    options: CleanOptions,
    max_manifest_bytes: u64,
    dry_run: bool,
) -> crate::Result<CleanPlan> {
    use crate::error::Error;
    if !root.is_dir() {
        return Err(Error::io(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "STATIC_ROOT does not exist"),
        ));
    }
    let _lock = if dry_run {
        None
    } else {
        Some(crate::write::lock(root)?)
    };
    let releases = Releases::load(root, max_manifest_bytes)?;
    let (objects, dirs) = walk_root(root, true)?;
    let place = root.display().to_string();
    let result = plan(&place, &releases, &objects, options, SystemTime::now())?;
    if !dry_run {
        remove(root, &result.remove, &dirs)?;
    }
    Ok(result)
}

/// Every file under `root` as an [`Object`] (file names that are not UTF-8
/// are never rcollect's and are left out; the modification time only with
/// `times`, the epoch otherwise), and every directory, parents first.
#[cfg(feature = "collect")]
fn walk_root(
    root: &std::path::Path,
    times: bool,
) -> crate::Result<(Vec<Object>, Vec<std::path::PathBuf>)> {
    use crate::error::Error;
    let mut objects = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.map_err(|e| {
            let p = e.path().unwrap_or(root).to_path_buf();
            Error::io(p, std::io::Error::other(e.to_string()))
        })?;
        if entry.file_type().is_dir() {
            dirs.push(entry.path().to_path_buf());
            continue;
        }
        let Some(key) = entry
            .path()
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.to_str())
            .map(|r| r.replace('\\', "/"))
        else {
            continue;
        };
        // A `stat` per file, only when the caller looks at ages.
        let modified = if times {
            entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .unwrap_or_else(SystemTime::now)
        } else {
            SystemTime::UNIX_EPOCH
        };
        objects.push(Object { key, modified });
    }
    Ok((objects, dirs))
}

/// Removes `keys` under `root`, then the directories of `dirs` left empty.
#[cfg(feature = "collect")]
fn remove(
    root: &std::path::Path,
    keys: &[String],
    dirs: &[std::path::PathBuf],
) -> crate::Result<()> {
    for key in keys {
        let path = crate::paths::path_in(root, key);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(crate::error::Error::io(&path, e)),
        }
    }
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(d); // only succeeds when empty
    }
    Ok(())
}

/// The sweep at the end of a collect: removes leftover temp files of killed
/// runs and, with `clear` (`collectstatic --clear`), every file that
/// `manifest` does not name. Manifest versions and the lock file are never
/// touched here (`rcollect clean` removes old versions). Returns how many
/// files `clear` deleted (or would, in a dry run).
#[cfg(feature = "collect")]
pub(crate) fn sweep(
    root: &std::path::Path,
    manifest: &Manifest,
    clear: bool,
    dry_run: bool,
) -> crate::Result<usize> {
    if !root.is_dir() {
        return Ok(0);
    }
    let mut keep: BTreeSet<String> = BTreeSet::new();
    keep.insert(MANIFEST_NAME.to_string());
    keep.insert(crate::write::LOCK_NAME.to_string());
    keep.insert(crate::statcache::STAT_CACHE_NAME.to_string());
    if manifest.linking == crate::config::Linking::Importmap {
        keep.insert(crate::importmap::IMPORTMAP_NAME.to_string());
    }
    for (hashed, meta) in &manifest.files {
        keep.insert(hashed.clone());
        keep.extend(meta.outputs(hashed));
    }
    if manifest.keep_unhashed {
        for (logical, hashed) in &manifest.paths {
            keep.insert(logical.clone());
            if let Some(meta) = manifest.files.get(hashed) {
                for enc in meta.variants.keys() {
                    keep.insert(format!("{logical}{}", enc.suffix()));
                }
            }
        }
    }
    let (objects, dirs) = walk_root(root, false)?;
    let mut doomed = Vec::new();
    let mut deleted = 0;
    for o in objects {
        let name = o.key.rsplit('/').next().unwrap_or(&o.key);
        let is_temp = name.starts_with('.') && name.ends_with(TEMP_SUFFIX);
        if !o.key.contains('/') && is_history_name(&o.key) {
            continue;
        }
        if is_temp {
            doomed.push(o.key);
        } else if clear && !keep.contains(&o.key) {
            deleted += 1;
            doomed.push(o.key);
        }
    }
    if !dry_run {
        let dirs = if clear { dirs } else { Vec::new() };
        remove(root, &doomed, &dirs)?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(pairs: &[(&str, &str)]) -> Manifest {
        let mut m = Manifest::new();
        for (l, h) in pairs {
            m.paths.insert(l.to_string(), h.to_string());
        }
        m
    }

    fn obj(key: &str, age_secs: u64, now: SystemTime) -> Object {
        Object {
            key: key.into(),
            modified: now - Duration::from_secs(age_secs),
        }
    }

    #[test]
    fn keeps_the_last_n_versions_and_young_files() {
        let now = SystemTime::now();
        let v3 = manifest(&[("a.css", "a.333333333333.css")]);
        let v2 = manifest(&[("a.css", "a.222222222222.css")]);
        let v1 = manifest(&[
            ("a.css", "a.111111111111.css"),
            ("gone.js", "gone.aaaaaaaaaaaa.js"),
        ]);
        let version = |name: &str, m: Manifest| crate::history::Version {
            name: name.to_string(),
            manifest: Ok(m),
        };
        let versions = Releases {
            live: Some(v3),
            live_since: None,
            history: vec![
                version("staticfiles.20261121T100000.000Z.json", v2),
                version("staticfiles.20261120T100000.000Z.json", v1),
            ],
        };
        let objects = vec![
            obj(MANIFEST_NAME, 7200, now),
            obj("staticfiles.20261121T100000.000Z.json", 7200, now),
            obj("staticfiles.20261120T100000.000Z.json", 7200, now),
            obj("a.css", 7200, now),
            obj("a.333333333333.css", 7200, now),
            obj("a.333333333333.css.br", 7200, now),
            obj("a.222222222222.css", 7200, now),
            obj("a.111111111111.css", 7200, now),
            obj("a.111111111111.css.gz", 7200, now),
            obj("gone.js", 7200, now),
            obj("gone.aaaaaaaaaaaa.js", 60, now),
            obj("robots.txt", 7200, now),
            obj("orphan.bbbbbbbbbbbb.png", 7200, now),
            obj(".rcollect.lock", 7200, now),
        ];
        let keep2 = CleanOptions {
            keep: 2,
            older_than: None,
        };
        let p = plan("root", &versions, &objects, keep2, now).expect("plan");
        assert_eq!(
            p.remove,
            [
                "a.111111111111.css",
                "a.111111111111.css.gz",
                "gone.aaaaaaaaaaaa.js",
                "gone.js",
                "orphan.bbbbbbbbbbbb.png",
                "staticfiles.20261120T100000.000Z.json",
            ]
        );
        assert_eq!(p.kept_versions.len(), 2);

        // AND: with an age, the young orphan stays.
        let aged = CleanOptions {
            keep: 2,
            older_than: Some(Duration::from_secs(3600)),
        };
        let p = plan("root", &versions, &objects, aged, now).expect("plan");
        assert!(!p.remove.contains(&"gone.aaaaaaaaaaaa.js".to_string()));
        assert_eq!(p.kept_young, ["gone.aaaaaaaaaaaa.js"]);
        assert!(p.remove.contains(&"a.111111111111.css".to_string()));

        // keep 1 (and 0, which means 1): only the live version.
        for keep in [0, 1] {
            let p = plan(
                "root",
                &versions,
                &objects,
                CleanOptions {
                    keep,
                    older_than: None,
                },
                now,
            )
            .expect("plan");
            assert!(p.remove.contains(&"a.222222222222.css".to_string()));
            assert!(!p.remove.iter().any(|k| k.starts_with("a.3333")));
            assert!(!p.remove.contains(&"a.css".to_string()));
            assert!(!p.remove.contains(&MANIFEST_NAME.to_string()));
        }
    }

    #[test]
    fn an_unreadable_version_refuses_the_whole_clean() {
        let now = SystemTime::now();
        let live = manifest(&[("a.css", "a.333333333333.css")]);
        let name = "staticfiles.20261120T100000.000Z.json";
        let versions = Releases {
            live: Some(live),
            live_since: None,
            history: vec![crate::history::Version {
                name: name.to_string(),
                manifest: Err(crate::Error::Manifest {
                    path: name.into(),
                    message: "EOF while parsing".into(),
                }),
            }],
        };
        let objects = vec![obj("a.111111111111.css", 7200, now), obj(name, 7200, now)];
        for keep in [1, 2, 5] {
            let options = CleanOptions {
                keep,
                older_than: None,
            };
            let e = plan("out", &versions, &objects, options, now).expect_err("refused");
            let text = e.to_string();
            assert!(
                text.contains(name) && text.contains("nothing was removed"),
                "{text}"
            );
        }
    }

    #[test]
    fn hashed_looking_names() {
        use crate::hash::looks_hashed;
        assert!(looks_hashed("css/app.3f2a9c81d0e4.css"));
        assert!(looks_hashed("css/app.3f2a9c81d0e4.css.br"));
        assert!(looks_hashed("LICENSE.3f2a9c81d0e4"));
        assert!(looks_hashed("app.css.3f2a9c81d0e4.map"));
        assert!(!looks_hashed("app.css"));
        assert!(!looks_hashed("3f2a9c81d0e4.css")); // no name before the hash
        assert!(!looks_hashed("app.3F2A9C81D0E4.css"));
        assert!(!looks_hashed("app.3f2a9c81d0e.css"));
    }
}
