//! `rcollect check` (being written).
use std::process::ExitCode;

use crate::ConfigArgs;

/// Arguments of `rcollect check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs the checks.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args.config;
    anyhow::bail!("check is not available yet")
}
