//! `rcollect check --skew`: would the pages of the previous releases, still
//! open in browsers or cached by a CDN, find their files now?

use std::time::SystemTime;

use super::{Finding, ids};
use crate::config::Config;
use crate::history::Releases;

/// For each of the `previous` newest manifest versions before the live one,
/// the hashed URLs its pages name that a server started `now` on STATIC_ROOT
/// would answer 404 to: not in the live manifest, and either outside the
/// `[serve]` history retention or no longer on disk (removed by `clean`).
/// One error finding per version with such URLs (up to 5 named), and one
/// per version that cannot be read.
pub fn check_skew(config: &Config, previous: usize, now: SystemTime) -> Vec<Finding> {
    let root = &config.static_root;
    let releases = match Releases::load(root, config.manifest_max_size) {
        Ok(r) => r,
        Err(e) => {
            return vec![Finding::new(
                ids::SKEW,
                format!("cannot read the releases, so their skew is unknown: {e}"),
                "run `rcollect collectstatic` to rewrite the manifest, or check the permissions \
                 of STATIC_ROOT",
            )];
        }
    };
    let present = |hashed: &str, size: Option<u64>| {
        std::fs::metadata(crate::paths::path_in(root, hashed))
            .is_ok_and(|md| md.is_file() && size.is_none_or(|s| md.len() == s))
    };
    skew_findings(config, &releases, &present, "STATIC_ROOT", previous, now)
}

/// [`check_skew`] on `releases` kept anywhere (a directory, an object
/// store): the hashed URLs of the `previous` newest versions that are not
/// in the live manifest and are outside the `[serve]` history retention or
/// no longer `present` (a file of that name and, if recorded, size) in
/// `place` ("STATIC_ROOT", a store URL). Nothing published: no findings.
pub fn skew_findings(
    config: &Config,
    releases: &Releases,
    present: &dyn Fn(&str, Option<u64>) -> bool,
    place: &str,
    previous: usize,
    now: SystemTime,
) -> Vec<Finding> {
    let Some(live) = &releases.live else {
        return Vec::new();
    };
    let retention = crate::history::Retention::from(&config.serve);
    let live_names: std::collections::BTreeSet<&str> =
        live.paths.values().map(String::as_str).collect();
    let mut out = Vec::new();
    for (rank, retired, version) in releases.ranked().take(previous) {
        let name = &version.name;
        let m = match &version.manifest {
            Ok(m) => m,
            Err(e) => {
                out.push(Finding::new(
                    ids::SKEW,
                    format!(
                        "cannot read the version {name} (previous #{rank}), so whether its pages \
                         still find their files is unknown: {e}"
                    ),
                    "restore the version from a backup, or remove it once no running release \
                     needs it (`rcollect clean` refuses to run while it is there)",
                ));
                continue;
            }
        };
        let served = retention.serves(rank, retired, now);
        let mut missing: Vec<String> = m
            .paths
            .iter()
            .filter(|(logical, hashed)| logical != hashed && !live_names.contains(hashed.as_str()))
            .filter(|(_, hashed)| {
                let size = m.files.get(*hashed).map(|f| f.size);
                !served || !present(hashed, size)
            })
            .map(|(_, hashed)| crate::paths::static_url(&config.static_url, hashed))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let total = missing.len();
        missing.truncate(5);
        let why = if served {
            format!("removed from {place}")
        } else {
            format!(
                "outside the history retention ([serve] history_versions = {}, history_max_age = {})",
                retention.versions,
                retention.max_age.as_secs()
            )
        };
        out.push(Finding::new(
            ids::SKEW,
            format!(
                "pages of the version {name} (previous #{rank}) would get 404 for {total} file(s), {why}: {}{}",
                missing.join(", "),
                if total > missing.len() { ", …" } else { "" }
            ),
            "keep more versions ([serve] history_versions / history_max_age) and clean with the same \
             numbers (`rcollect clean --keep N --older-than AGE`)",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history;
    use crate::manifest::{MANIFEST_NAME, Manifest};
    use std::time::Duration;

    #[test]
    fn reports_files_of_previous_versions_that_would_404() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path().to_path_buf();
        let mut config = Config::new(&root, "/static/");
        let write_version = |hashed: &str| {
            let mut m = Manifest::new();
            m.paths.insert("a.css".into(), hashed.into());
            std::fs::write(root.join(hashed), "x").expect("file");
            m.write_atomic(&root).expect("manifest");
        };
        write_version("a.111111111111.css");
        let live = std::fs::read(root.join(MANIFEST_NAME)).expect("live");
        history::keep_live(&root, &live).expect("keep");
        std::thread::sleep(Duration::from_millis(5));
        write_version("a.222222222222.css");
        let now = SystemTime::now();
        assert!(
            check_skew(&config, 1, now).is_empty(),
            "the previous version is served"
        );
        // Removed by a clean: its pages would break.
        std::fs::remove_file(root.join("a.111111111111.css")).expect("rm");
        let f = check_skew(&config, 1, now);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("/static/a.111111111111.css") && f[0].message.contains("removed"),
            "{}",
            f[0].message
        );
        // On disk, but outside the retention.
        std::fs::write(root.join("a.111111111111.css"), "x").expect("file");
        config.serve.history_versions = 1;
        config.serve.history_max_age = 0;
        let f = check_skew(&config, 1, now + Duration::from_secs(1));
        assert!(f.len() == 1 && f[0].message.contains("retention"), "{f:?}");
    }

    #[test]
    fn an_unreadable_previous_version_is_a_finding() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path().to_path_buf();
        let config = Config::new(&root, "/static/");
        let mut m = Manifest::new();
        m.paths.insert("a.css".into(), "a.111111111111.css".into());
        m.write_atomic(&root).expect("manifest");
        let live = std::fs::read(root.join(MANIFEST_NAME)).expect("live");
        let kept = history::keep_live(&root, &live)
            .expect("keep")
            .expect("kept");
        let mut m = Manifest::new();
        m.paths.insert("a.css".into(), "a.222222222222.css".into());
        m.write_atomic(&root).expect("manifest");
        let now = SystemTime::now();
        assert_eq!(check_skew(&config, 1, now).len(), 1, "file 1 is missing");
        // Truncated, of a future format, naming an unsafe path: each is a
        // finding naming the version, never "0 errors".
        for bad in [
            r#"{"version": "1.1", "paths": {"a.css": "#,
            r#"{"version": "2.0", "paths": {}}"#,
            r#"{"version": "1.1", "paths": {"a.css": "../../etc/passwd"}}"#,
        ] {
            std::fs::write(root.join(&kept), bad).expect("write");
            let f = check_skew(&config, 1, now);
            assert!(
                f.len() == 1
                    && f[0].message.contains(&kept)
                    && f[0].message.contains("cannot read"),
                "{bad}: {f:?}"
            );
        }
    }
}
