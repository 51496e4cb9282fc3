//! `rcollect serve`: STATIC_ROOT (or, with `--dev`, the source dirs) over
//! HTTP/1.1, through the `tower-rcollect` middleware around a service that
//! answers 404 to everything else.
//!
//! hyper 1 directly (keep-alive on), a multi-threaded tokio runtime,
//! `TCP_NODELAY` on every accepted socket (without it, Nagle plus delayed ACKs
//! stall small responses by ~40 ms), a 30 s header read timeout, and a
//! graceful shutdown on Ctrl-C / SIGTERM: stop accepting, let in-flight
//! requests finish (at most 10 s), exit 0.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
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

use crate::ConfigArgs;

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
    #[command(flatten)]
    config: ConfigArgs,
}

/// Loads the configuration and the manifest, then serves until Ctrl-C/SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::init_tracing(i8::try_from(args.verbose.min(2)).unwrap_or(2));
    let config = args.config.load(Overrides {
        debug: args.dev,
        ..Overrides::default()
    })?;
    let files = StaticFiles::from_config(&config)?;
    let what = if files.is_dev() {
        let dirs: Vec<String> = config
            .dirs
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        format!("{} (dev mode)", dirs.join(", "))
    } else {
        config.static_root.display().to_string()
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        runtime.worker_threads(usize::from(n));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(serve(files, args.addr, &what))
}

async fn serve(files: StaticFiles, addr: SocketAddr, what: &str) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("no local address")?;
    eprintln!("serving {what} at http://{local}{}", files.mount_path());
    let service = files.into_service();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {e}");
                }
                let service = service.clone();
                let mut stop = stop_rx.clone();
                connections.spawn(async move {
                    let handler = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let service = service.clone();
                        async move {
                            if !host_is_valid(&req) {
                                let mut res = Response::new(Either::Right(Empty::new()));
                                *res.status_mut() = StatusCode::BAD_REQUEST;
                                return Ok::<_, Infallible>(res);
                            }
                            let res = service.oneshot(req).await?;
                            Ok(res.map(Either::Left))
                        }
                    });
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30))
                        .max_header_size(MAX_HEADER_BYTES)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), handler);
                    let mut conn = std::pin::pin!(conn);
                    tokio::select! {
                        result = conn.as_mut() => {
                            if let Err(e) = result {
                                tracing::debug!("connection: {e}");
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
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
