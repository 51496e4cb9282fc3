//! [`check_stale`]: source files changed after the last collect (W007), so
//! what is served from STATIC_ROOT is older than what the developer sees.
//! `rcollect check` runs it, and the middleware runs it once in the
//! background when it serves collected files next to their sources.

use std::time::SystemTime;

use super::{Finding, ids};
use crate::config::Config;
use crate::find::Found;
use crate::manifest::MANIFEST_NAME;

/// At most this many changed files are named in the finding.
const NAMED: usize = 3;

/// W007 when a source file of `found` (the walk of `config`'s source dirs)
/// was modified after STATIC_ROOT's manifest was written; `None` when there
/// is no manifest or nothing newer.
pub fn check_stale(config: &Config, found: &Found) -> Option<Finding> {
    let manifest = config.static_root.join(MANIFEST_NAME);
    let written = std::fs::metadata(&manifest)
        .and_then(|m| m.modified())
        .ok()?;
    let mut newer: Vec<(&str, SystemTime)> = found
        .assets
        .iter()
        .filter(|a| a.modified > written)
        .map(|a| (a.logical.as_str(), a.modified))
        .collect();
    if newer.is_empty() {
        return None;
    }
    newer.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: Vec<String> = newer
        .iter()
        .take(NAMED)
        .map(|(l, _)| format!("'{}'", crate::paths::escape_controls(l, false)))
        .collect();
    let more = newer.len().saturating_sub(named.len());
    Some(Finding::new(
        ids::STALE_ROOT,
        format!(
            "{} source file{} changed after the last collect into STATIC_ROOT '{}': {}{}",
            newer.len(),
            if newer.len() == 1 { "" } else { "s" },
            crate::paths::shown(&config.static_root),
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
        "run `rcollect collectstatic` (while developing, serve the sources instead: RCOLLECT_DEBUG=1)",
    ))
}

#[cfg(all(test, feature = "collect"))]
mod tests {
    use super::*;

    #[test]
    fn a_source_edited_after_the_collect_is_named() {
        let t = tempfile::tempdir().expect("tempdir");
        let src = t.path().join("static");
        std::fs::create_dir_all(src.join("css")).expect("mkdir");
        std::fs::write(src.join("css/app.css"), "body{}").expect("write");
        let mut config = Config::new(t.path().join("out"), "/static/");
        config.cache_dir = None;
        config.dirs.push(crate::config::SourceDir {
            prefix: String::new(),
            path: src.clone(),
        });
        let stale = || check_stale(&config, &crate::find::find(&config).expect("find"));
        assert!(stale().is_none(), "nothing collected yet");
        crate::collect::collect(&config, &Default::default()).expect("collect");
        assert!(stale().is_none(), "up to date");
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        let f = std::fs::File::options()
            .append(true)
            .open(src.join("css/app.css"))
            .expect("open");
        f.set_modified(later).expect("mtime");
        let finding = stale().expect("stale");
        assert_eq!(finding.id, "W007");
        assert!(
            finding.message.contains("'css/app.css'"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("1 source file changed"),
            "{}",
            finding.message
        );
    }
}
