//! `rcollect clean`: remove files no recent manifest version names.

use std::process::ExitCode;
use std::time::Duration;

use rcollect_core::clean::{CleanOptions, CleanPlan};
use rcollect_core::config::Overrides;
use serde_json::json;

use crate::ConfigArgs;

/// Output format of `clean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// What was (or would be) removed, one line each, and a summary.
    Text,
    /// One JSON object on stdout.
    Json,
}

/// Arguments of `rcollect clean`.
///
/// A file is removed when none of the `--keep` newest manifest versions
/// names it AND it is older than `--older-than` (when given). The live
/// manifest and its files are always kept.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// Manifest versions to keep, the live one included (staticfiles.json
    /// and the newest `staticfiles.<timestamp>.json` files).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    keep: u64,
    /// Also keep anything modified less than this long ago (e.g. 1h, 30m,
    /// 7days). Combined with --keep by AND: a file goes only if both say so.
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    older_than: Option<Duration>,
    /// Show what would be removed; remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print only errors.
    #[arg(short, long)]
    quiet: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::init_tracing(if args.quiet { -1 } else { 0 });
    let config = args.config.load(Overrides::default())?;
    let options = CleanOptions {
        keep: usize::try_from(args.keep).unwrap_or(usize::MAX),
        older_than: args.older_than,
    };
    let (plan, place) = match &config.storage {
        Some(storage) => {
            let store = rcollect_store::Store::open(storage)?
                .with_manifest_max_size(config.manifest_max_size);
            let plan = crate::publish::runtime()?.block_on(store.clean(options, args.dry_run))?;
            (plan, storage.url.clone())
        }
        None => (
            rcollect_core::clean::clean_dir(
                &config.static_root,
                options,
                config.manifest_max_size,
                args.dry_run,
            )?,
            config.static_root.display().to_string(),
        ),
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&plan, &place, args.dry_run))?
        ),
        Format::Text if !args.quiet => print_text(&plan, &place, args.dry_run),
        Format::Text => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(p: &CleanPlan, place: &str, dry_run: bool) {
    for k in &p.remove {
        println!("{} {k}", if dry_run { "would remove" } else { "removed" });
    }
    println!(
        "{} files {} from '{place}'; kept {} manifest version(s){}.",
        p.remove.len(),
        if dry_run {
            "would be removed"
        } else {
            "removed"
        },
        p.kept_versions.len(),
        if p.kept_young.is_empty() {
            String::new()
        } else {
            format!(
                " and {} unreferenced file(s) younger than --older-than",
                p.kept_young.len()
            )
        }
    );
}

fn to_json(p: &CleanPlan, place: &str, dry_run: bool) -> serde_json::Value {
    json!({
        "root": place,
        "dry_run": dry_run,
        "removed": p.remove,
        "kept_versions": p.kept_versions,
        "kept_young": p.kept_young,
    })
}
