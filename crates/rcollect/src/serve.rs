//! `rcollect serve` (being written).
use std::process::ExitCode;

use crate::ConfigArgs;

/// Arguments of `rcollect serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArgs,
}

/// Serves.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args.config;
    anyhow::bail!("serve is not available yet")
}
