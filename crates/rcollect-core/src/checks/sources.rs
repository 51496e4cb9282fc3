//! Checks that need the walk of the source dirs ([`Found`]), which the
//! caller already has (collect walks once anyway; the CLI walks for it).

use super::{Finding, ids};
use crate::config::Config;
use crate::error::Error;
use crate::find::Found;

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
