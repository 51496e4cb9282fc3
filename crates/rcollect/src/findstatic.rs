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
/// Exits 1 if any path is found nowhere; then the closest logical path the
/// source dirs have is offered (`Did you mean 'css/app.css'?`).
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::init_tracing(0);
    let config = args
        .config
        .load(args.sources.overrides(Overrides::default()))?;
    let mut missing = false;
    // Every logical path, listed on the first miss only.
    let mut known: Option<Vec<String>> = None;
    for path in &args.paths {
        let logical = path.trim_start_matches('/');
        let found = rcollect_core::find::locate_all(&config, logical);
        if found.is_empty() {
            eprintln!(
                "No matching file found for '{}'.",
                escape_controls(path, false)
            );
            let known = known.get_or_insert_with(|| {
                rcollect_core::find::find(&config)
                    .map(|f| f.assets.into_iter().map(|a| a.logical).collect())
                    .unwrap_or_default()
            });
            if let Some(s) =
                rcollect_core::suggest::suggest(logical, known.iter().map(String::as_str))
            {
                eprintln!("Did you mean '{}'?", escape_controls(&s, false));
            }
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
