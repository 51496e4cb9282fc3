//! Manifest history: the previous versions of `staticfiles.json`.
//!
//! When a collect (or a publish) replaces the live manifest, the one it
//! replaces is first kept as `staticfiles.<timestamp>.json`, named by the time
//! it went live (its modification time), e.g.
//! `staticfiles.20261121T103000.123Z.json`. The names sort in time order.
//!
//! The history is what makes rolling deploys safe and cleanup possible: the
//! middleware also serves the hashed files the kept versions name (so pages
//! rendered by an instance of the previous release keep working), and
//! `rcollect clean --keep N` removes only what none of the last `N` versions
//! names.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use crate::content_type::is_compressible;
use crate::error::{Error, Result};
use crate::hash::Digests;
use crate::manifest::{FileMeta, MANIFEST_NAME, Manifest};
use crate::write::write_atomic;

/// Prefix of history manifest names.
const PREFIX: &str = "staticfiles.";
/// Suffix of history manifest names.
const SUFFIX: &str = ".json";

/// The history name for a manifest that went live at `at`:
/// `staticfiles.YYYYMMDDTHHMMSS.mmmZ.json` (UTC).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let at = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
/// assert_eq!(
///     rcollect_core::history::name_at(at),
///     "staticfiles.20261118T110640.123Z.json"
/// );
/// ```
pub fn name_at(at: SystemTime) -> String {
    let stamp: String = humantime::format_rfc3339_millis(at)
        .to_string()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{PREFIX}{stamp}{SUFFIX}")
}

/// When the version named `name` went live (the time its name carries).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let at = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
/// let name = rcollect_core::history::name_at(at);
/// assert_eq!(rcollect_core::history::went_live(&name), Some(at));
/// assert_eq!(rcollect_core::history::went_live("staticfiles.json"), None);
/// ```
pub fn went_live(name: &str) -> Option<SystemTime> {
    if !is_history_name(name) {
        return None;
    }
    let s = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    // YYYYMMDDTHHMMSS.mmmZ -> YYYY-MM-DDTHH:MM:SS.mmmZ
    let rfc = format!(
        "{}-{}-{}T{}:{}:{}",
        s.get(0..4)?,
        s.get(4..6)?,
        s.get(6..8)?,
        s.get(9..11)?,
        s.get(11..13)?,
        s.get(13..)?
    );
    humantime::parse_rfc3339(&rfc).ok()
}

/// Which previous manifest versions a server still serves the files of
/// (for pages rendered by the other release during a rolling deploy): the
/// newest `versions - 1` of them (so `versions` with the live one, as
/// `rcollect clean --keep versions` counts), and any version that stopped
/// being live less than `max_age` ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Versions served, the live one included.
    pub versions: usize,
    /// Also serve versions retired less than this long ago.
    pub max_age: std::time::Duration,
}

impl From<&crate::config::ServeConfig> for Retention {
    /// `[serve]`'s `history_versions` and `history_max_age`.
    fn from(serve: &crate::config::ServeConfig) -> Self {
        Retention {
            versions: serve.history_versions,
            max_age: std::time::Duration::from_secs(serve.history_max_age),
        }
    }
}

impl Default for Retention {
    /// The last 2 versions, and everything retired within the last hour.
    fn default() -> Self {
        Retention {
            versions: 2,
            max_age: std::time::Duration::from_secs(3600),
        }
    }
}

impl Retention {
    /// Whether the history version of `rank` (1: the newest, replaced by
    /// the live one), retired at `retired`, is still served at `now`.
    pub fn serves(&self, rank: usize, retired: Option<SystemTime>, now: SystemTime) -> bool {
        rank < self.versions
            || retired.is_some_and(|t| now.duration_since(t).map_or(true, |age| age < self.max_age))
    }
}

/// True for a history manifest name (not the live `staticfiles.json`).
pub fn is_history_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix(PREFIX)
        .and_then(|s| s.strip_suffix(SUFFIX))
    else {
        return false;
    };
    // YYYYMMDDTHHMMSS.mmmZ
    let b = stamp.as_bytes();
    b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit())
}

/// The history manifests in `root`, oldest first.
pub fn list(root: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(root, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        if let Some(name) = entry.file_name().to_str() {
            if is_history_name(name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// A history version: its name and its manifest, or why it could not be
/// read (truncated, of a future format, naming unsafe paths, too large, not
/// a regular file). What an unreadable version names is unknown, so
/// nothing may be deleted on its account ([`crate::clean`]) and the pages
/// of its release may break ([`crate::checks::check_skew`] reports it).
#[derive(Debug)]
pub struct Version {
    /// Its file (or object) name, `staticfiles.<timestamp>.json`.
    pub name: String,
    /// The manifest, or the error (naming it) that kept it from being read.
    pub manifest: Result<Manifest>,
}

/// The releases kept in a STATIC_ROOT (or, from `rcollect-store`, in an
/// object store): the live manifest, when it went live, and the history,
/// newest first. The one input of `clean`, `check --skew`, the
/// middleware's serving of previous versions and the dictionaries of
/// deltas.
#[derive(Debug, Default)]
pub struct Releases {
    /// `staticfiles.json`, if there is one.
    pub live: Option<Manifest>,
    /// When the live manifest went live (its modification time).
    pub live_since: Option<SystemTime>,
    /// The history versions, newest first.
    pub history: Vec<Version>,
}

impl Releases {
    /// The releases in `root`, each manifest read with
    /// [`crate::manifest::read`] (at most `max_bytes`).
    ///
    /// # Errors
    /// The live manifest cannot be read (a history version that cannot
    /// is kept in [`Releases::history`] with its error), or the directory
    /// cannot be listed.
    pub fn load(root: &Path, max_bytes: u64) -> Result<Releases> {
        let live = Manifest::load(root, max_bytes)?;
        let live_since = std::fs::metadata(root.join(MANIFEST_NAME))
            .and_then(|m| m.modified())
            .ok();
        Ok(Releases {
            live,
            live_since,
            history: load_history(root, max_bytes)?,
        })
    }

    /// The readable manifests, newest first: the live one (named
    /// [`MANIFEST_NAME`]) first when there is one.
    pub fn manifests(&self) -> impl Iterator<Item = (&str, &Manifest)> {
        let live = self.live.iter().map(|m| (MANIFEST_NAME, m));
        let history = self
            .history
            .iter()
            .filter_map(|v| Some((v.name.as_str(), v.manifest.as_ref().ok()?)));
        live.chain(history)
    }

    /// The history versions that could not be read, with why.
    pub fn unreadable(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.history
            .iter()
            .filter_map(|v| Some((v.name.as_str(), v.manifest.as_ref().err()?)))
    }

    /// The history versions with their rank (1: the newest, replaced by
    /// the live one) and when each was retired (when the next version went
    /// live; for the newest, [`live_since`](Self::live_since)), newest
    /// first: what [`Retention::serves`] decides on.
    pub fn ranked(&self) -> impl Iterator<Item = (usize, Option<SystemTime>, &Version)> {
        let mut next_live = self.live_since;
        self.history.iter().enumerate().map(move |(i, v)| {
            let retired = next_live;
            next_live = went_live(&v.name);
            (i + 1, retired, v)
        })
    }
}

/// The history versions of `root`, newest first, each read with
/// [`crate::manifest::read`] (at most `max_bytes`).
///
/// # Errors
/// `root` cannot be listed.
pub fn load_history(root: &Path, max_bytes: u64) -> Result<Vec<Version>> {
    Ok(list(root)?
        .into_iter()
        .rev()
        .map(|name| {
            let manifest = load_version(root, &name, max_bytes);
            Version { name, manifest }
        })
        .collect())
}

/// Puts a manifest version fetched from elsewhere (the object store) into
/// `root`'s history as `name`, unless a version of that name is there
/// already. Returns whether it was written.
///
/// # Errors
/// `name` is not a history name, or the write fails.
pub fn place_version(root: &Path, name: &str, bytes: &[u8]) -> Result<bool> {
    if !is_history_name(name) {
        return Err(Error::Manifest {
            path: root.join(name),
            message: "not a manifest history name (staticfiles.<timestamp>.json)".into(),
        });
    }
    let path = root.join(name);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(false);
    }
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    write_atomic(&path, bytes, false)?;
    Ok(true)
}

/// The previous versions a collect into a STATIC_ROOT may compress deltas
/// against, from `releases` (the live manifest and the history, newest
/// first): for each text file (by family: its logical path, or a bundler
/// file's name without the hash), its last `keep + 1` distinct versions that
/// fit the window (one more than `keep`: the new version may be the newest
/// one). Each hashed name once, with its metadata. For a build that starts
/// from an empty STATIC_ROOT, these are the files to fetch from where the
/// previous releases live (the object store).
pub fn dictionary_candidates(releases: &Releases, keep: usize) -> Vec<(&str, &FileMeta)> {
    if keep == 0 {
        return Vec::new();
    }
    let mut per_family: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut out: BTreeMap<&str, &FileMeta> = BTreeMap::new();
    for (_, m) in releases.manifests() {
        for logical in m.paths.keys() {
            if !is_compressible(logical) {
                continue;
            }
            let Some((hashed, meta)) = m.meta(logical) else {
                continue;
            };
            // A bundler file's versions share its family, not its name.
            let seen = per_family.entry(meta.family(logical)).or_default();
            if seen.len() > keep || seen.contains(&meta.sha256.as_str()) {
                continue;
            }
            // Counted also when too big, as the collect counts it.
            seen.push(meta.sha256.as_str());
            if meta.size > 0 && meta.size <= crate::delta::MAX_WINDOW {
                out.insert(hashed, meta);
            }
        }
    }
    out.into_iter().collect()
}

/// Puts a previous version fetched from elsewhere into `root` under its
/// hashed name, so a collect can use it as a dictionary: only if its bytes
/// are the ones `meta` records (size and SHA-256), written atomically, never
/// over an existing file. Returns whether it was written.
///
/// # Errors
/// The bytes are not the recorded ones (the error names the file), or the
/// write fails.
pub fn place_dictionary(root: &Path, hashed: &str, meta: &FileMeta, bytes: &[u8]) -> Result<bool> {
    let path = crate::paths::path_in(root, hashed);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(false);
    }
    if bytes.len() as u64 != meta.size || Digests::of(bytes).sha256_hex() != meta.sha256 {
        return Err(Error::Manifest {
            path,
            message: format!(
                "the fetched bytes ({} bytes) are not the version the manifest records ({} bytes, sha256 {})",
                bytes.len(),
                meta.size,
                meta.sha256
            ),
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    write_atomic(&path, bytes, false)?;
    Ok(true)
}

/// Reads the history manifest `name` in `root` (at most `max_bytes`).
///
/// # Errors
/// It is missing, unreadable, too large or invalid; the error names it.
pub fn load_version(root: &Path, name: &str, max_bytes: u64) -> Result<Manifest> {
    let path = root.join(name);
    Manifest::load_file(&path, max_bytes)?.ok_or_else(|| {
        Error::io(
            &path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such manifest version"),
        )
    })
}

/// Before the live manifest in `root` is replaced: keeps its `bytes` (as
/// read by the caller) as a history version named by the live file's
/// modification time. Does nothing when a version of that name with those
/// bytes exists already. Returns the name written, if any.
pub fn keep_live(root: &Path, bytes: &[u8]) -> Result<Option<String>> {
    let live = root.join(MANIFEST_NAME);
    let modified = std::fs::metadata(&live)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now());
    // Two versions in the same millisecond get the next free one.
    let mut at = modified;
    loop {
        let name = name_at(at);
        let path = root.join(&name);
        match crate::manifest::read(&path, bytes.len() as u64) {
            Ok(Some(existing)) if existing == bytes => return Ok(None), // kept already
            Ok(None) => {
                write_atomic(&path, bytes, true)?;
                return Ok(Some(name));
            }
            // Another version (or something unreadable) has that name.
            Ok(Some(_)) | Err(_) => at += std::time::Duration::from_millis(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn names_sort_in_time_order_and_are_recognised() {
        let a = name_at(UNIX_EPOCH + Duration::from_millis(1_700_000_000_000));
        let b = name_at(UNIX_EPOCH + Duration::from_millis(1_700_000_000_001));
        let c = name_at(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        assert!(a < b && b < c, "{a} {b} {c}");
        for n in [&a, &b, &c] {
            assert!(is_history_name(n), "{n}");
        }
        for n in [
            "staticfiles.json",
            "staticfiles.x.json",
            "staticfiles.20261121T103000.123Z.json.br",
            "css/staticfiles.20261121T103000.123Z.json",
            "staticfiles.2026112aT103000.123Z.json",
        ] {
            assert!(!is_history_name(n), "{n}");
        }
    }

    #[test]
    fn retention_by_count_and_age() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let names: Vec<String> = [20u64, 10, 0]
            .iter()
            .map(|m| name_at(t0 + Duration::from_secs(m * 60)))
            .collect();
        let live_since = Some(t0 + Duration::from_secs(30 * 60));
        let releases = Releases {
            live: Some(Manifest::new()),
            live_since,
            history: names
                .iter()
                .map(|name| Version {
                    name: name.clone(),
                    manifest: Ok(Manifest::new()),
                })
                .collect(),
        };
        let ranked: Vec<(usize, Option<SystemTime>, &str)> = releases
            .ranked()
            .map(|(rank, retired, v)| (rank, retired, v.name.as_str()))
            .collect();
        assert_eq!(ranked[0], (1, live_since, names[0].as_str()));
        assert_eq!(ranked[2].1, went_live(&names[1]));
        let r = Retention::default();
        let late = t0 + Duration::from_secs(5 * 3600);
        let kept: Vec<usize> = ranked
            .iter()
            .filter(|(k, at, _)| r.serves(*k, *at, late))
            .map(|x| x.0)
            .collect();
        assert_eq!(
            kept,
            vec![1],
            "hours later: only the newest previous version"
        );
        let soon = t0 + Duration::from_secs(40 * 60);
        assert!(
            ranked.iter().all(|(k, at, _)| r.serves(*k, *at, soon)),
            "all retired within the hour"
        );
        let none = Retention {
            versions: 1,
            max_age: Duration::ZERO,
        };
        assert!(!none.serves(1, live_since, soon));
    }

    #[test]
    fn keep_live_copies_the_live_manifest_once() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut m = Manifest::new();
        m.paths.insert("a.css".into(), "a.111111111111.css".into());
        m.write_atomic(t.path()).expect("write");
        let bytes = m.to_json();
        let name = keep_live(t.path(), &bytes).expect("keep").expect("a name");
        assert!(is_history_name(&name));
        assert_eq!(keep_live(t.path(), &bytes).expect("again"), None);
        assert_eq!(list(t.path()).expect("list"), vec![name.clone()]);
        let releases = Releases::load(t.path(), crate::manifest::MAX_MANIFEST_BYTES).expect("load");
        let all: Vec<(&str, &Manifest)> = releases.manifests().collect();
        assert_eq!(all, vec![(MANIFEST_NAME, &m), (name.as_str(), &m)]);
    }
}
