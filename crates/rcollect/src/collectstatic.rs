//! `rcollect collectstatic`: the CLI face of `rcollect_core::collect`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use rcollect_core::checks::{self, Level, Location};
use rcollect_core::collect::{self, Summary};
use rcollect_core::compress::Cache;
use rcollect_core::config::Overrides;
use rcollect_core::paths::{escape_controls, shown};
use rcollect_core::progress::{Phase, Progress};
use serde_json::json;

use crate::{ConfigArgs, SourceArgs};

/// Output format of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A Django-like line (and details with -v).
    Text,
    /// One JSON object on stdout.
    Json,
    /// GitHub Actions workflow commands on stdout: warnings and errors as
    /// annotations on the config key or the CSS/JS line, then a notice.
    Github,
}

/// Arguments of `rcollect collectstatic`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Report what would be done; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Afterwards, delete every file in STATIC_ROOT this run did not produce.
    #[arg(long)]
    clear: bool,
    /// Check what STATIC_ROOT already holds before reusing it (each hashed
    /// file against its SHA-256, each variant and delta by decoding it) and
    /// write again whatever is damaged: the repair for what
    /// `rcollect check --manifest` reports. Reads every output.
    #[arg(long)]
    verify: bool,
    /// Never prompt (a prompt only ever appears on a TTY, before --clear).
    #[arg(long, alias = "noinput")]
    no_input: bool,
    /// Print only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also list shadowed files, cycles and references left as written.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Compression cache (default: the user's cache dir, e.g. ~/.cache/rcollect).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Don't use a compression cache (wins over --cache-dir).
    #[arg(long)]
    no_cache: bool,
    /// Succeed when a source dir is missing (a warning, W004) or no file is
    /// found; without it both are errors, so an empty STATIC_ROOT never ships.
    #[arg(long)]
    allow_empty: bool,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

/// Runs the collect and prints the summary.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let verbosity = if args.quiet { -1 } else { args.verbose as i8 };
    crate::init_tracing(verbosity);
    let mut config = args.config.load(args.sources.overrides(Overrides {
        cache_dir: args.cache_dir.clone(),
        no_cache: args.no_cache,
        allow_empty: args.allow_empty,
        ..Overrides::default()
    }))?;
    if config.cache_dir.is_none() && !args.no_cache {
        config.cache_dir = Cache::default_dir();
    }
    if let Some(n) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if args.clear
        && !args.dry_run
        && !args.no_input
        && interactive
        && !confirm_clear(&config.static_root)?
    {
        eprintln!("Collecting static files cancelled.");
        return Ok(ExitCode::from(1));
    }
    let show_bar = !args.quiet && args.format == Format::Text && std::io::stderr().is_terminal();
    let options = collect::Options {
        dry_run: args.dry_run,
        clear: args.clear,
        verify: args.verify,
        progress: show_bar.then(|| Arc::new(Bar::default()) as Arc<dyn Progress>),
    };
    let github = args.format == Format::Github;
    let cwd = std::env::current_dir().unwrap_or_default();
    if github {
        // Annotated here with their keys; collect repeats them in its error.
        print!("{}", checks::render_github(&checks::run(&config), &cwd));
    }
    let fetched = match &config.storage {
        Some(storage) if !args.dry_run => {
            let f = crate::publish::fetch_dictionaries(&config, storage)?;
            if f.files > 0 && args.format == Format::Text && !args.quiet {
                println!(
                    "{} previous version(s) of text files fetched from '{}' as dictionaries ({} bytes).",
                    f.files, storage.url, f.bytes
                );
            }
            Some(f)
        }
        _ => None,
    };
    let summary = match collect::collect(&config, &options) {
        Ok(s) => s,
        Err(e) => {
            if github && !e.is_config() {
                print!("{}", github_error(&e, &cwd));
            }
            return Err(e.into());
        }
    };
    if github {
        print_github(&summary, &cwd);
    }
    if let Format::Text = args.format {
        if !args.quiet {
            print_text(
                &summary,
                &config.static_root,
                config.cache_dir.as_deref(),
                args.verbose,
            );
        }
    }
    let published = match &config.storage {
        Some(storage) => {
            let bar = show_bar.then(Bar::default);
            let p = crate::publish::publish(
                &config,
                storage,
                args.dry_run,
                bar.as_ref().map(|b| b as &dyn Progress),
            )?;
            if args.format == Format::Text && !args.quiet {
                crate::publish::print_text(&p, &storage.url, args.dry_run);
            }
            Some(p)
        }
        None => None,
    };
    if let Format::Json = args.format {
        let mut out = to_json(&summary);
        if let (Some(p), Some(s)) = (&published, &config.storage) {
            out["publish"] = crate::publish::to_json(p, &s.url);
        }
        if let Some(f) = fetched {
            out["dictionaries_fetched"] = serde_json::json!({
                "manifests": f.manifests,
                "files": f.files,
                "bytes": f.bytes,
            });
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn confirm_clear(root: &std::path::Path) -> anyhow::Result<bool> {
    eprint!(
        "This will delete every file in '{}' that this run does not produce.\nAre you sure you want to do this? Type 'yes' to continue, or 'no' to cancel: ",
        root.display()
    );
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

fn print_text(
    s: &Summary,
    root: &std::path::Path,
    cache_dir: Option<&std::path::Path>,
    verbose: u8,
) {
    // Configuration warnings were already logged (tracing, on stderr).
    if verbose > 0 {
        for sh in &s.shadowed {
            eprintln!(
                "shadowed: '{}' from {} (using {})",
                escape_controls(&sh.logical, false),
                shown(&sh.source),
                shown(&sh.winner)
            );
        }
        for c in &s.cycles {
            eprintln!(
                "reference cycle resolved: {}",
                escape_controls(&c.join(" -> "), false)
            );
        }
    }
    if verbose > 0 || s.dry_run {
        let verb = if s.dry_run { "would write" } else { "wrote" };
        for name in &s.written {
            eprintln!("{verb} {}", shown(&root.join(name)));
        }
    }
    let verb = if s.dry_run {
        "would be collected"
    } else {
        "collected"
    };
    println!(
        "{} files {verb} to '{}', {} unchanged, {} post-processed, {} compressed ({} from cache, {} reused, {} not kept under min_saving), {} shadowed{} in {:.2}s.",
        s.collected,
        root.display(),
        s.unchanged,
        s.post_processed,
        s.compressed,
        s.from_cache,
        s.reused,
        s.dropped,
        s.shadowed.len(),
        match (s.deleted, s.repaired) {
            (0, 0) => String::new(),
            (d, 0) => format!(", {d} deleted"),
            (0, r) => format!(", {r} damaged outputs repaired"),
            (d, r) => format!(", {d} deleted, {r} damaged outputs repaired"),
        },
        s.elapsed.as_secs_f64()
    );
    if s.total > 0 {
        let saved = if s.bytes > 0 {
            100.0 * (1.0 - s.br_bytes as f64 / s.bytes as f64)
        } else {
            0.0
        };
        println!(
            "{} files, {}; {} with brotli ({saved:.0}% smaller).",
            s.total,
            human_bytes(s.bytes),
            human_bytes(s.br_bytes)
        );
    }
    if s.from_cache > 0 && s.collected > 0 {
        if let Some(dir) = cache_dir {
            println!(
                "(\"from cache\": compressed earlier, by this or another project with the same file contents, in the shared cache {})",
                dir.display()
            );
        }
    }
}

/// `1.2 MB`, `340 kB`, `512 B` (SI units, as the summary is read, not parsed).
fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if n >= 1_000_000 {
        format!("{:.1} MB", f / 1e6)
    } else if n >= 1_000 {
        format!("{:.0} kB", f / 1e3)
    } else {
        format!("{n} B")
    }
}

/// A failed collect as annotations: each missing reference on its line.
fn github_error(e: &rcollect_core::Error, base: &Path) -> String {
    use rcollect_core::Error;
    match e {
        Error::Many(errors) => errors.iter().map(|e| github_error(e, base)).collect(),
        Error::MissingReference {
            source_path, line, ..
        } => {
            let at = Location {
                file: source_path.clone(),
                line: Some(*line),
                col: None,
            };
            checks::github_annotation(
                Level::Error,
                Some(&at),
                checks::ids::BROKEN_REFERENCE.id,
                &e.to_string(),
                base,
            )
        }
        other => checks::github_annotation(
            Level::Error,
            None,
            "collectstatic",
            &other.to_string(),
            base,
        ),
    }
}

/// References left as written (`missing_references = "warn"`) as warnings
/// on their lines, then the summary as a notice.
fn print_github(s: &Summary, base: &Path) {
    let mut out = String::new();
    for b in &s.broken {
        let at = Location {
            file: b.source.clone(),
            line: Some(b.line),
            col: Some(b.col),
        };
        let text = format!(
            "reference to missing file '{}' (resolved to '{}') left as written",
            b.target, b.resolved
        );
        out.push_str(&checks::github_annotation(
            Level::Warning,
            Some(&at),
            checks::ids::BROKEN_REFERENCE.id,
            &text,
            base,
        ));
    }
    let text = format!(
        "{} files collected, {} unchanged, {} compressed ({} from cache) in {:.2}s",
        s.collected,
        s.unchanged,
        s.compressed,
        s.from_cache,
        s.elapsed.as_secs_f64()
    );
    out.push_str(&format!("::notice title=rcollect collectstatic::{text}\n"));
    print!("{out}");
}

fn to_json(s: &Summary) -> serde_json::Value {
    json!({
        "collected": s.collected,
        "unchanged": s.unchanged,
        "known_sources": s.known,
        "post_processed": s.post_processed,
        "compressed": s.compressed,
        "from_cache": s.from_cache,
        "bytes": s.bytes,
        "br_bytes": s.br_bytes,
        "reused": s.reused,
        "repaired": s.repaired,
        "dropped_variants": s.dropped,
        "written": s.written,
        "shadowed": s.shadowed.len(),
        "deleted": s.deleted,
        "total": s.total,
        "dry_run": s.dry_run,
        "manifest": s.manifest_path,
        "manifest_changed": s.manifest_changed,
        "elapsed_s": s.elapsed.as_secs_f64(),
        "warnings": s.findings.iter().map(|f| json!({"id": f.id, "message": f.message, "hint": f.hint})).collect::<Vec<_>>(),
        "shadowed_files": s.shadowed.iter().map(|sh| json!({"logical": sh.logical, "source": sh.source, "winner": sh.winner})).collect::<Vec<_>>(),
        "broken_references": s.broken.iter().map(|b| json!({"source": b.source, "line": b.line, "col": b.col, "target": b.target, "resolved": b.resolved})).collect::<Vec<_>>(),
        "cycles": s.cycles,
    })
}

/// An indicatif bar on stderr, one per phase.
#[derive(Default)]
struct Bar {
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Progress for Bar {
    fn begin(&self, phase: Phase, total: u64) {
        let label = match phase {
            Phase::Write => "writing",
            Phase::Compress => "compressing",
            _ => "uploading",
        };
        self.start(label, total);
    }

    fn advance(&self, n: u64) {
        self.inc(n);
    }

    fn end(&self) {
        self.finish();
    }
}

impl Bar {
    fn start(&self, label: &'static str, total: u64) {
        let bar = ProgressBar::new(total).with_message(label);
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn inc(&self, n: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(b) = b.as_ref() {
                b.inc(n);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(b) = b.take() {
                b.finish_and_clear();
            }
        }
    }
}
