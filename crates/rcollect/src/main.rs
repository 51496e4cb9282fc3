//! `rcollect`: collect, check and serve static files.
//!
//! A thin command-line layer over `rcollect-core` (the engine) and
//! `tower-rcollect` (the middleware): argument parsing, progress and summary
//! output, exit codes (0 success, 1 collect/check error, 2 usage or config error).
#![deny(unsafe_code)]

mod check;
mod clean;
mod collectstatic;
mod findstatic;
mod nginx_conf;
mod publish;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rcollect_core::config::{Config, Overrides};

/// collectstatic for Rust web apps.
#[derive(Debug, Parser)]
#[command(name = "rcollect", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collect the source dirs into STATIC_ROOT with hashed names, rewritten
    /// references, precompressed variants and staticfiles.json.
    Collectstatic(collectstatic::Args),
    /// Show which source file(s) a logical path comes from, winner first.
    Findstatic(findstatic::Args),
    /// Check the static-files configuration (for CI).
    Check(check::Args),
    /// Serve STATIC_ROOT (with --dev, the source dirs; with a store URL, the published objects) over HTTP.
    Serve(serve::Args),
    /// Remove collected files that none of the last N manifest versions
    /// names (in STATIC_ROOT or the object store).
    Clean(clean::Args),
    /// Print an nginx `location` block that serves STATIC_ROOT the same way.
    NginxConf(nginx_conf::Args),
}

/// Where the configuration comes from; shared by every subcommand.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ConfigArgs {
    /// Config file (default: $RCOLLECT_CONFIG, else rcollect.toml in the current directory or
    /// above, else next to the executable).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// STATIC_ROOT (overrides the config file and RCOLLECT_STATIC_ROOT).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// STATIC_URL (overrides the config file and RCOLLECT_STATIC_URL).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

/// Which source files there are; for the commands that read the sources.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct SourceArgs {
    /// A source dir, optionally with a URL prefix; repeatable; replaces `dirs`.
    #[arg(long = "dir", value_name = "[PREFIX=]PATH")]
    pub dirs: Vec<String>,
    /// An extra ignore glob; repeatable.
    #[arg(long = "ignore", value_name = "GLOB")]
    pub ignore: Vec<String>,
    /// Don't apply the default ignores (".*", "*~", "CVS").
    #[arg(long)]
    pub no_default_ignore: bool,
}

impl SourceArgs {
    /// `extra` with these flags.
    pub(crate) fn overrides(&self, extra: Overrides) -> Overrides {
        Overrides {
            dirs: self.dirs.clone(),
            ignore: self.ignore.clone(),
            no_default_ignore: self.no_default_ignore,
            ..extra
        }
    }
}

impl ConfigArgs {
    /// Loads the configuration: file, then environment, then these flags.
    pub(crate) fn load(&self, extra: Overrides) -> Result<Config, rcollect_core::Error> {
        let cwd = std::env::current_dir().map_err(|e| rcollect_core::Error::io(".", e))?;
        let overrides = Overrides {
            static_root: self.root.clone(),
            static_url: self.url.clone(),
            ..extra
        };
        Config::load(&cwd, self.config.as_deref(), &overrides)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Collectstatic(args) => collectstatic::run(args),
        Command::Findstatic(args) => findstatic::run(args),
        Command::Check(args) => check::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Clean(args) => clean::run(args),
        Command::NginxConf(args) => nginx_conf::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            exit_code_for(&e)
        }
    }
}

/// Prints the error: each of several errors (every missing reference of a
/// failed collect) on its own `error:` line, then what to do about them.
fn report(e: &anyhow::Error) {
    use rcollect_core::Error;
    let escape = |s: &str| rcollect_core::checks::escape_controls(s, true).into_owned();
    let errors: &[Error] = match e.downcast_ref::<Error>() {
        Some(Error::Many(errors)) => {
            for one in errors {
                eprintln!("error: {}", escape(&one.to_string()));
            }
            errors
        }
        Some(one @ Error::MissingReference { .. }) => {
            eprintln!("error: {}", escape(&message(e)));
            std::slice::from_ref(one)
        }
        _ => {
            eprintln!("error: {}", escape(&message(e)));
            return;
        }
    };
    let missing = errors.iter().any(|one| {
        matches!(
            one,
            Error::MissingReference { .. } | Error::MoreMissingReferences { .. }
        )
    });
    if missing {
        eprintln!(
            "hint: add the missing files to a source dir or fix the references; to collect anyway, \
             leaving them as written, set `missing_references = \"warn\"` in rcollect.toml"
        );
    }
}

/// The error and its causes, each cause once: our error types already put
/// their cause in their message, `anyhow` contexts do not.
fn message(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

/// 2 for configuration/usage errors, 1 for everything else.
pub(crate) fn exit_code_for(e: &anyhow::Error) -> ExitCode {
    let config = match (
        e.downcast_ref::<rcollect_core::Error>(),
        e.downcast_ref::<rcollect_store::Error>(),
    ) {
        (Some(err), _) => err.is_config(),
        (_, Some(rcollect_store::Error::Config { .. })) => true,
        (_, Some(rcollect_store::Error::Core(err))) => err.is_config(),
        _ => false,
    };
    ExitCode::from(if config { 2 } else { 1 })
}

/// Sets up `tracing` output on stderr; `verbosity` -1 quiet, 0 normal, 1+
/// verbose. `RCOLLECT_LOG` overrides it with a level or a list of
/// `target=level` directives (`debug`, `warn,tower_rcollect=debug`).
pub(crate) fn init_tracing(verbosity: i8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = match verbosity {
        i8::MIN..=-1 => LevelFilter::ERROR,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let filter = std::env::var("RCOLLECT_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(default));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Escapes only on a terminal (not in CI logs or files), never with NO_COLOR.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_target(false)
        .without_time();
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(filter)
        .try_init();
}
