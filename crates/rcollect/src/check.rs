//! `rcollect check`: the configuration checks CI runs.
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use rcollect_core::Config;
use rcollect_core::checks::{self, Finding};
use rcollect_core::config::Overrides;
use rcollect_core::find::{self, Found, Ignore};
use rcollect_core::manifest::Manifest;
use rcollect_core::plan::{self, PlanOptions};

use crate::{ConfigArgs, SourceArgs};

const AFTER_HELP: &str = "\
Checks (IDs are stable; E = error, W = warning):
  E000 the configuration cannot be loaded (bad TOML, unknown key, wrong type)
  E001 no source dirs          E002 STATIC_ROOT overlaps a source dir
  E003 unsafe `dirs` prefix    E004 STATIC_URL empty or without trailing '/'
  E005 STATIC_URL is not a /path or an http(s) URL
  E006 invalid MEDIA_URL       E007 STATIC_URL equals MEDIA_URL
  E008 STATIC_ROOT overlaps MEDIA_ROOT
  E009 invalid ignore glob     E010 the source dirs cannot be walked
  E011 [compress] min_saving is not in [0, 1)
  E012 cache_dir is or is inside a source dir or STATIC_ROOT
  E013 a source dir does not exist (W004 with --allow-empty)
  E014 [serve] tls_cert without tls_key, or the reverse
  E015 [serve] tls_cert or tls_key unreadable, or without a PEM block
  E016 STATIC_ROOT already holds files no collect wrote (e.g. src/)
  E020-E025 (--manifest) staticfiles.json missing, or a file, variant,
            unhashed copy or path target missing or different from what it
            records (integrity, stray variants, history versions included)
  E026 (--manifest) importmap.json missing or not the manifest's import map
  E030 a CSS/JS reference names a missing file (file:line:column; as
            collect would fail; --no-references skips the scan)
  E031 (--manifest) STATIC_ROOT is out of date with the sources
  E032 (--skew) pages of a previous release would get 404 for files they
            name (outside the history retention, or removed by clean from
            STATIC_ROOT or, when static_root is a store URL, the store)
  W001 MEDIA_URL inside STATIC_URL (or the reverse)
  W002 shadowed files          W003 STATIC_ROOT not a directory / not writable
  W004 a source dir does not exist, with --allow-empty
  W005 static_root is an object store but static_url is a local path
  W006 an HTML page names a missing file (collect leaves it as written)
  W007 a source file changed after the last collect (STATIC_ROOT is older
            than the sources)
  W008 [sourcemaps] mode = \"private\" and RCOLLECT_SOURCEMAP_TOKEN is not
            set: the middleware would refuse every source map

Exit status:
  0  no errors (warnings allowed unless --deny-warnings)
  1  at least one error finding (or a warning with --deny-warnings)
  2  the configuration cannot be loaded (reported as finding E000 in the
     chosen format), or bad command-line usage; like every rcollect command,
     2 means a configuration/usage problem

Colour is used only when stdout is a terminal and NO_COLOR is not set.";

/// Arguments of `rcollect check`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Output format: human text, one JSON object, or GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when there are warnings, too.
    #[arg(long)]
    deny_warnings: bool,
    /// Also verify STATIC_ROOT against staticfiles.json: every listed file
    /// exists with its recorded size and SHA-256, every .br/.gz/.zst variant
    /// has its recorded size and decodes to the file's bytes, and every
    /// target of `paths` exists; and that STATIC_ROOT is up to date with the
    /// sources (E031).
    #[arg(long)]
    manifest: bool,
    /// Check that every CSS/JS reference resolves to a file (E030, naming
    /// the file, line and column of each broken one), as collect does. The
    /// default; kept for scripts that pass it.
    #[arg(long, hide = true)]
    references: bool,
    /// Skip the reference scan (it reads every CSS, JS and HTML source).
    #[arg(long, conflicts_with = "references")]
    no_references: bool,
    /// A missing source dir is a warning (W004), not an error (E013).
    #[arg(long)]
    allow_empty: bool,
    /// Also check that the pages of the previous N releases (default 1)
    /// would find every hashed file they name (E032): during a rolling
    /// deploy, and while browsers and CDNs hold those pages.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1")]
    skew: Option<usize>,
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// `error[E002]: message` + `  hint: ...` lines and a summary.
    Text,
    /// `{"findings": [...], "errors": N, "warnings": M}`.
    Json,
    /// `::error title=E002::message` workflow commands.
    Github,
}

/// Runs the checks, prints the findings and returns the exit code.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        allow_empty: args.allow_empty,
        ..Overrides::default()
    };
    let config = match args.config.load(args.sources.overrides(overrides)) {
        Ok(c) => c,
        Err(e) => {
            emit(&[checks::config_error(&e)], args.format)?;
            return Ok(ExitCode::from(2));
        }
    };
    let findings = collect_findings(&config, &args);
    emit(&findings, args.format)?;
    let (errors, warnings) = checks::count(&findings);
    Ok(if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn collect_findings(config: &Config, args: &Args) -> Vec<Finding> {
    let mut findings = checks::run(config);
    findings.extend(checks::check_tls(config));
    findings.extend(checks::check_sourcemaps(config));
    findings.extend(checks::check_writable(config));
    match find::find(config) {
        Ok(found) => {
            findings.extend(checks::check_sources(config, &found));
            findings.extend(checks::check_stale(config, &found));
            findings.extend(source_findings(
                config,
                &found,
                args.manifest,
                !args.no_references,
            ));
        }
        // A bad ignore glob makes the walk fail; `run` already reported it.
        Err(_) if Ignore::new(config).is_err() => {}
        Err(e) => findings.push(checks::walk_failed(&e)),
    }
    if args.manifest {
        findings.extend(checks::check_manifest(config));
    }
    if let Some(n) = args.skew {
        let now = std::time::SystemTime::now();
        match &config.storage {
            // Published releases: their manifests and objects in the store.
            Some(storage) => match skew_in_store(config, storage, n, now) {
                Ok(f) => findings.extend(f),
                Err(e) => findings.push(checks::Finding::new(
                    checks::ids::SKEW,
                    format!("cannot read the releases in the store: {e:#}"),
                    "check the [storage] settings and credentials (AWS_*)",
                )),
            },
            None => findings.extend(checks::check_skew(config, n, now)),
        }
    }
    findings
}

/// The checks that need the collect planner (they read and hash every
/// source file):
///
/// * with `manifest` (`--manifest`): E031, STATIC_ROOT is not up to date with
///   the sources (a file not collected yet, or collected from older content);
/// * with `references` (unless `--no-references`): E030, a CSS/JS
///   reference that names no file, with the file and line (W006 for an
///   HTML page's).
fn source_findings(
    config: &Config,
    found: &Found,
    manifest: bool,
    references: bool,
) -> Vec<Finding> {
    if !manifest && !references {
        return Vec::new();
    }
    let options = PlanOptions {
        keep_going: true,
        ..PlanOptions::default()
    };
    let plan = match plan::plan_found(config, found.clone(), options) {
        Ok(p) => p,
        Err(e) => return vec![checks::walk_failed(&e)],
    };
    let mut out = Vec::new();
    if references {
        for b in plan.broken.iter().take(LIMIT) {
            let id = if b.is_fatal() {
                checks::ids::BROKEN_REFERENCE
            } else {
                checks::ids::HTML_BROKEN_REFERENCE
            };
            out.push(
                Finding::new(
                    id,
                    format!(
                        "{}:{}: reference to missing file '{}' (resolved to '{}')",
                        b.source.display(),
                        b.line,
                        b.target,
                        b.resolved
                    ),
                    "add the file to a source dir, fix the path, or set missing_references = \"warn\" to leave it as written",
                )
                .at(&b.source, Some(b.line), Some(b.col)),
            );
        }
        let total = plan.broken.len() + plan.broken_omitted;
        if total > LIMIT {
            out.push(Finding::new(
                checks::ids::BROKEN_REFERENCE,
                format!("and {} more broken references", total - LIMIT),
                "run `rcollect check --references --format json` to list them all",
            ));
        }
    }
    if manifest {
        // A missing or invalid manifest is already E020.
        if let Ok(Some(m)) = Manifest::load(&config.static_root, config.manifest_max_size) {
            let stale: Vec<String> = plan
                .files
                .iter()
                .filter_map(|p| match m.paths.get(&p.logical) {
                    None => Some(format!("'{}' is not collected", p.logical)),
                    Some(h) if *h != p.hashed => Some(format!(
                        "'{}' is collected as '{h}' but the sources now give '{}'",
                        p.logical, p.hashed
                    )),
                    Some(_) => None,
                })
                .collect();
            if !stale.is_empty() {
                let shown: Vec<&str> = stale.iter().take(5).map(String::as_str).collect();
                let more = stale.len().saturating_sub(shown.len());
                out.push(Finding::new(
                    checks::ids::MANIFEST_STALE,
                    format!(
                        "STATIC_ROOT {} is out of date with the sources ({} files): {}{}",
                        config.static_root.display(),
                        stale.len(),
                        shown.join("; "),
                        if more > 0 {
                            format!("; and {more} more")
                        } else {
                            String::new()
                        }
                    ),
                    "run `rcollect collectstatic` before deploying",
                ));
            }
        }
    }
    out
}

/// At most this many findings of one kind are listed.
const LIMIT: usize = 20;

fn emit(findings: &[Finding], format: Format) -> anyhow::Result<()> {
    let text = match format {
        Format::Text => checks::render_text(findings, use_colour()),
        Format::Json => checks::render_json(findings),
        Format::Github => {
            let cwd = std::env::current_dir().unwrap_or_default();
            checks::render_github(findings, &cwd)
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set to anything
/// non-empty (<https://no-color.org>).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `--skew` against the object store `static_root` names.
fn skew_in_store(
    config: &Config,
    storage: &rcollect_core::config::StorageConfig,
    previous: usize,
    now: std::time::SystemTime,
) -> anyhow::Result<Vec<checks::Finding>> {
    let store =
        rcollect_store::Store::open(storage)?.with_manifest_max_size(config.manifest_max_size);
    Ok(crate::publish::runtime()?.block_on(store.check_skew(config, previous, now))?)
}
