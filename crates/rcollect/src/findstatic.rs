//! `rcollect findstatic PATH... [--first]`.
use std::process::ExitCode;

use rcollect_core::checks::escape_controls;
use rcollect_core::config::Overrides;

use crate::{ConfigArgs, SourceArgs};

/// Arguments of `rcollect findstatic`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Logical paths to look up (`css/app.css`).
    #[arg(required = true)]
    paths: Vec<String>,
    /// Only print the file that wins.
    #[arg(long)]
    first: bool,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

/// Prints, for each path, the source files that have it (winner first).
/// Exits 1 if any path is found nowhere.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::init_tracing(0);
    let config = args
        .config
        .load(args.sources.overrides(Overrides::default()))?;
    let mut missing = false;
    for path in &args.paths {
        let logical = path.trim_start_matches('/');
        let found = rcollect_core::find::locate_all(&config, logical);
        if found.is_empty() {
            eprintln!(
                "No matching file found for '{}'.",
                escape_controls(path, false)
            );
            missing = true;
            continue;
        }
        let shown = if args.first { &found[..1] } else { &found[..] };
        println!("Found '{}' here:", escape_controls(path, false));
        for p in shown {
            println!("  {}", escape_controls(&p.display().to_string(), false));
        }
    }
    Ok(if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
