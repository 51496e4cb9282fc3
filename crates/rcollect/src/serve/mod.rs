//! `rcollect serve`: STATIC_ROOT (or, with `--dev`, the source dirs; with a
//! store URL as static_root, the objects published there) over HTTP/1.1, through the `tower-rcollect` middleware around a service that
//! answers 404 to everything else.
//!
//! hyper 1 directly (keep-alive on), a multi-threaded tokio runtime,
//! `TCP_NODELAY` on every accepted socket (without it, Nagle plus delayed ACKs
//! stall small responses by ~40 ms), and a graceful shutdown on Ctrl-C /
//! SIGTERM: stop accepting, let in-flight requests finish (at most 10 s),
//! exit 0. `SIGHUP` reloads the configuration and the manifest (as nginx
//! does): new requests use the new table, and a failed reload keeps the old
//! one and logs why.
//!
//! Limits against careless or hostile clients, configurable in `[serve]`
//! and by flags (`limits` and `io`): the open-file limit raised to its hard
//! limit, a cap on connections below it (idle keep-alive connections are
//! closed first when it is reached), request heads of at most 32 KiB (431),
//! exactly one `Host` on HTTP/1.1 (400), and timeouts for the request head,
//! idle keep-alive connections and responses the client does not read.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http::{Request, Response, StatusCode};
use http_body_util::{Either, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use rcollect_core::config::Overrides;
use tower::ServiceExt;
use tower_rcollect::StaticFiles;

use crate::{ConfigArgs, SourceArgs};

mod io;
mod limits;

use io::TimeoutIo;
use limits::Registry;

/// How long in-flight connections get to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Arguments of `rcollect serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    /// Serve the source dirs directly (no collect needed; Cache-Control: no-cache).
    #[arg(long)]
    dev: bool,
    /// Worker threads of the runtime [default: the number of CPUs]. On a machine
    /// shared with other busy processes, fewer can be faster (BENCHMARKS.md).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    /// Log more (-v: info, -vv: debug); RCOLLECT_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Open connections at most [default: `[serve] max_connections`, or
    /// derived from the open-file limit].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Seconds a client has to send a request head [default: `[serve]
    /// header_timeout`, 60].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: Option<u64>,
    /// Seconds an idle keep-alive connection is kept [default: `[serve]
    /// keepalive_timeout`, 75].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    keepalive_timeout: Option<u64>,
    /// Seconds a response may make no progress because the client does not
    /// read [default: `[serve] send_timeout`, 60].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    send_timeout: Option<u64>,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

/// The limits of one `rcollect serve`, from `[serve]` and the flags.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_connections: usize,
    header_timeout: Duration,
    keepalive_timeout: Duration,
    send_timeout: Duration,
}

/// Loads the configuration and the manifest, then serves until Ctrl-C/SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::init_tracing(i8::try_from(args.verbose.min(2)).unwrap_or(2));
    let overrides = Overrides {
        debug: args.dev,
        ..Overrides::default()
    };
    let config = args
        .config
        .load(args.sources.overrides(overrides.clone()))?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        runtime.worker_threads(usize::from(n));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let files = runtime.block_on(load(&config))?;
    let what = if files.is_dev() {
        let dirs: Vec<String> = config
            .dirs
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        format!("{} (dev mode)", dirs.join(", "))
    } else if let Some(storage) = &config.storage {
        storage.url.clone()
    } else {
        config.static_root.display().to_string()
    };
    let s = &config.serve;
    let fd_cap = limits::connection_cap_from_fd_limit();
    let wanted = args.max_connections.unwrap_or(s.max_connections);
    let limits = Limits {
        max_connections: if wanted == 0 {
            fd_cap
        } else {
            wanted.min(fd_cap)
        },
        header_timeout: Duration::from_secs(args.header_timeout.unwrap_or(s.header_timeout).max(1)),
        keepalive_timeout: Duration::from_secs(
            args.keepalive_timeout.unwrap_or(s.keepalive_timeout).max(1),
        ),
        send_timeout: Duration::from_secs(args.send_timeout.unwrap_or(s.send_timeout).max(1)),
    };
    let reload = move || {
        let config = args.config.load(args.sources.overrides(overrides.clone()));
        async move { load(&config?).await }
    };
    runtime.block_on(serve(files, args.addr, &what, limits, reload))
}

/// The files `config` names: STATIC_ROOT, the source dirs in dev mode, or,
/// when static_root is an object-store URL, the objects published there.
async fn load(config: &rcollect_core::Config) -> anyhow::Result<StaticFiles> {
    if config.storage.is_some() && !config.debug {
        return Ok(StaticFiles::from_store(config).await?);
    }
    Ok(StaticFiles::from_config(config)?)
}

async fn serve<R>(
    files: StaticFiles,
    addr: SocketAddr,
    what: &str,
    limits: Limits,
    reload: impl Fn() -> R,
) -> anyhow::Result<ExitCode>
where
    R: std::future::Future<Output = anyhow::Result<StaticFiles>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("no local address")?;
    eprintln!("serving {what} at http://{local}{}", files.mount_path());
    tracing::info!(
        "at most {} connections; timeouts: header {:?}, keep-alive {:?}, send {:?}",
        limits.max_connections,
        limits.header_timeout,
        limits.keepalive_timeout,
        limits.send_timeout
    );
    let (files_tx, files_rx) = tokio::sync::watch::channel(files.into_service());
    let registry = Arc::new(Registry::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let mut hangup = hangup_signal();
    // A reload runs in a task of its own (from a store it makes requests):
    // the loop keeps accepting meanwhile; one reload at a time.
    let (reloaded_tx, mut reloaded_rx) = tokio::sync::mpsc::channel(1);
    let mut reloading = false;
    let mut warned = RateLimited::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning,
                        // and say so once a second at most.
                        warned.warn(|| format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some((id, conn)) = registry.admit() else {
                    warned.warn(|| format!(
                        "{} connections, none idle: closing a new one", registry.cap()
                    ));
                    drop(stream);
                    continue;
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {e}");
                }
                let files = files_rx.clone();
                let mut stop = stop_rx.clone();
                let registry = registry.clone();
                connections.spawn(async move {
                    let requests = conn.clone();
                    let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let service = files.borrow().clone();
                        let in_flight = requests.request();
                        async move {
                            let _in_flight = in_flight;
                            if !host_is_valid(&req) {
                                let mut res = Response::new(Either::Right(Empty::new()));
                                *res.status_mut() = StatusCode::BAD_REQUEST;
                                return Ok::<_, Infallible>(res);
                            }
                            let res = service.oneshot(req).await?;
                            Ok(res.map(Either::Left))
                        }
                    });
                    let io = TimeoutIo::new(stream, limits.send_timeout, conn.clone());
                    let conn_fut = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_timeout)
                        .max_header_size(MAX_HEADER_BYTES)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(io), handler);
                    let mut conn_fut = std::pin::pin!(conn_fut);
                    tokio::select! {
                        result = conn_fut.as_mut() => {
                            if let Err(e) = result {
                                tracing::debug!("connection: {e}");
                            }
                        }
                        () = async {
                            tokio::select! {
                                _ = stop.changed() => {}
                                () = conn.close.notified() => {}
                                () = conn.idle_timeout(limits.keepalive_timeout) => {}
                            }
                        } => {
                            conn_fut.as_mut().graceful_shutdown();
                            let _ = conn_fut.await;
                        }
                    }
                    registry.remove(id);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(()) = hangup.recv() => {
                if !reloading {
                    reloading = true;
                    let (fut, tx) = (reload(), reloaded_tx.clone());
                    tokio::spawn(async move {
                        let _ = tx.send(fut.await).await;
                    });
                }
            }
            Some(result) = reloaded_rx.recv() => {
                reloading = false;
                match result {
                    Ok(files) => {
                        tracing::info!("SIGHUP: reloaded ({} names)", files.len());
                        eprintln!("reloaded");
                        files_tx.send_replace(files.into_service());
                    }
                    Err(e) => {
                        tracing::error!("SIGHUP: reload failed, still serving the previous manifest: {e:#}");
                        eprintln!("reload failed: {e:#}");
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(());
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections still open after {DRAIN:?}; closing them",
            connections.len()
        );
        connections.shutdown().await;
    }
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// A warning logged at most once a second.
#[derive(Default)]
struct RateLimited {
    last: Option<std::time::Instant>,
}

impl RateLimited {
    fn warn(&mut self, message: impl FnOnce() -> String) {
        let now = std::time::Instant::now();
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            self.last = Some(now);
            tracing::warn!("{}", message());
        }
    }
}

/// SIGHUP, as a stream of `()` (never on other platforms).
fn hangup_signal() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while s.recv().await.is_some() {
            let _ = tx.try_send(());
        }
    });
    #[cfg(not(unix))]
    drop(tx);
    rx
}

/// The most a request head may take (hyper answers 431 beyond it); nginx's
/// `large_client_header_buffers` allows 4 × 8 KiB.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host` header (400
/// otherwise). HTTP/1.0 requests may have none.
fn host_is_valid<B>(req: &Request<B>) -> bool {
    let n = req.headers().get_all(http::header::HOST).iter().count();
    match req.version() {
        http::Version::HTTP_10 | http::Version::HTTP_09 => n <= 1,
        _ => n == 1,
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
