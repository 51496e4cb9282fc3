//! `rcollect serve`: STATIC_ROOT (or, with `--dev`, the source dirs; with a
//! store URL as static_root, the objects published there) over HTTP/1.1 and
//! HTTP/2, in clear text or over TLS, through the `tower-rcollect`
//! middleware around a service that answers 404 to everything else.
//!
//! A multi-threaded tokio runtime, `TCP_NODELAY` on every accepted socket
//! (without it, Nagle plus delayed ACKs stall small responses by ~40 ms),
//! and a graceful shutdown on Ctrl-C / SIGTERM: stop accepting, let
//! in-flight requests finish (at most 10 s), exit 0. `SIGHUP` reloads the
//! configuration, the manifest and the TLS certificate (as nginx does): new
//! requests use the new table, new connections the new certificate, and a
//! failed reload keeps the old ones and logs why.
//!
//! Connections (`conn`): with `--tls-cert`/`--tls-key` (or `[serve]
//! tls_cert`/`tls_key`) TLS with rustls (`tls`), ALPN choosing HTTP/2 or
//! HTTP/1.1; in clear text HTTP/1.1, or HTTP/2 with prior knowledge (h2c,
//! for a proxy in front). HTTP/1.1 is hyper's; HTTP/2 is the `h2` crate's
//! (`h2`), so that an HTML page can get a `103 Early Hints` before its
//! response; both get the page's preloads as a `Link` header
//! (`early_hints`). Every request is answered by [`Site::answer`].
//!
//! Limits against careless or hostile clients, configurable in `[serve]`
//! and by flags (`limits` and `io`): the open-file limit raised to its hard
//! limit, a cap on connections below it (idle keep-alive connections are
//! closed first when it is reached), request heads of at most 32 KiB (431),
//! exactly one `Host` on HTTP/1.1 (400), at most `max_streams` concurrent
//! HTTP/2 streams per connection, and timeouts for the TLS handshake and
//! the request head, idle keep-alive connections and responses the client
//! does not read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{Either, Empty};
use rcollect_core::config::Overrides;
use tower::ServiceExt;
use tower_rcollect::{NotFound, ResponseBody, StaticBody, StaticFiles, StaticFilesService};

use crate::{ConfigArgs, SourceArgs};

mod conn;
mod early_hints;
mod h2;
mod io;
mod limits;
mod tls;

use early_hints::EarlyHints;
use limits::{Conn, Registry};

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
    /// PEM certificate chain: serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN)
    /// [default: `[serve] tls_cert`]; needs --tls-key. Reloaded on SIGHUP.
    #[arg(long, value_name = "PATH")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert [default: `[serve] tls_key`].
    #[arg(long, value_name = "PATH")]
    tls_key: Option<PathBuf>,
    /// Open connections at most [default: `[serve] max_connections`, or
    /// derived from the open-file limit].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Concurrent HTTP/2 streams per connection [default: `[serve]
    /// max_streams`, 128].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_streams: Option<u32>,
    /// Seconds a client has to finish the TLS handshake and send a request
    /// head [default: `[serve] header_timeout`, 60].
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
    /// Most bytes of the `Link` header of preloads (and of the 103 Early
    /// Hints) sent with an HTML page; 0: none [default: `[serve]
    /// link_max_bytes`, 3072].
    #[arg(long, value_name = "BYTES")]
    link_max_bytes: Option<usize>,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

/// The limits of one `rcollect serve`, from `[serve]` and the flags.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_connections: usize,
    max_streams: u32,
    header_timeout: Duration,
    keepalive_timeout: Duration,
    send_timeout: Duration,
}

/// What requests are answered with: the files, the preloads of their HTML
/// pages and, over TLS, the certificate. Replaced as a whole on `SIGHUP`.
struct Site {
    service: StaticFilesService<NotFound>,
    hints: EarlyHints,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// The live [`Site`], as connections see it.
type SiteRx = tokio::sync::watch::Receiver<Arc<Site>>;

/// A response body: the middleware's, or the empty one of a 400.
type Body = Either<ResponseBody<StaticBody>, Empty<Bytes>>;

impl Site {
    /// The files `config` names, the links of their pages and the TLS
    /// acceptor of `tls`.
    async fn load(
        config: &rcollect_core::Config,
        tls: Option<&tls::Files>,
        link_max_bytes: usize,
    ) -> anyhow::Result<Site> {
        let files = load(config).await?;
        let hints = EarlyHints::new(&files, config.root_dir.as_deref(), link_max_bytes);
        let tls = tls.map(tls::acceptor).transpose()?;
        Ok(Site {
            service: files.into_service(),
            hints,
            tls,
        })
    }

    /// The answer to `req`, with `link` (the page's preloads) on an HTML
    /// page.
    async fn answer<B>(&self, req: Request<B>, link: Option<&HeaderValue>) -> Response<Body> {
        if !host_is_valid(&req) {
            let mut res = Response::new(Either::Right(Empty::new()));
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return res;
        }
        let res = match self.service.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
        let mut res = res.map(Either::Left);
        if let Some(link) = link {
            early_hints::add_link(&mut res, link);
        }
        res
    }
}

/// The TLS files: the flags, else `[serve]`; both or neither.
fn tls_files(args: &Args, config: &rcollect_core::Config) -> anyhow::Result<Option<tls::Files>> {
    let cert = args
        .tls_cert
        .clone()
        .or_else(|| config.serve.tls_cert.clone());
    let key = args
        .tls_key
        .clone()
        .or_else(|| config.serve.tls_key.clone());
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(tls::Files { cert, key })),
        (cert, _) => {
            let (set, unset) = if cert.is_some() {
                ("tls_cert", "tls_key")
            } else {
                ("tls_key", "tls_cert")
            };
            Err(rcollect_core::Error::from(rcollect_core::ConfigError {
                file: config.config_file.clone(),
                line: None,
                key: Some(format!("serve.{set}")),
                message: format!(
                    "--{} / [serve] {set} is set but --{} / [serve] {unset} is not: HTTPS needs both",
                    set.replace('_', "-"),
                    unset.replace('_', "-")
                ),
            })
            .into())
        }
    }
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
    let tls = tls_files(&args, &config)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        runtime.worker_threads(usize::from(n));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let s = &config.serve;
    let link_max_bytes = args.link_max_bytes.unwrap_or(s.link_max_bytes);
    let site = runtime.block_on(Site::load(&config, tls.as_ref(), link_max_bytes))?;
    let what = if config.debug {
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
    let fd_cap = limits::connection_cap_from_fd_limit();
    let wanted = args.max_connections.unwrap_or(s.max_connections);
    let limits = Limits {
        max_connections: if wanted == 0 {
            fd_cap
        } else {
            wanted.min(fd_cap)
        },
        max_streams: args.max_streams.unwrap_or(s.max_streams).max(1),
        header_timeout: Duration::from_secs(args.header_timeout.unwrap_or(s.header_timeout).max(1)),
        keepalive_timeout: Duration::from_secs(
            args.keepalive_timeout.unwrap_or(s.keepalive_timeout).max(1),
        ),
        send_timeout: Duration::from_secs(args.send_timeout.unwrap_or(s.send_timeout).max(1)),
    };
    let mount = rcollect_core::url::StaticUrl::parse(&config.static_url)
        .map_or_else(|_| "/".to_string(), |u| u.mount_path().to_string());
    let tls_on = tls.is_some();
    let addr = args.addr;
    let reload = move || {
        let loaded = args
            .config
            .load(args.sources.overrides(overrides.clone()))
            .map_err(anyhow::Error::from)
            .and_then(|config| {
                let tls = tls_files(&args, &config)?;
                if tls.is_some() != tls_on {
                    anyhow::bail!(
                        "TLS cannot be turned {} by a reload: restart the server",
                        if tls_on { "off" } else { "on" }
                    );
                }
                let link_max_bytes = args.link_max_bytes.unwrap_or(config.serve.link_max_bytes);
                Ok((config, tls, link_max_bytes))
            });
        async move {
            let (config, tls, link_max_bytes) = loaded?;
            Site::load(&config, tls.as_ref(), link_max_bytes).await
        }
    };
    runtime.block_on(serve(site, addr, &what, &mount, limits, reload))
}

/// The files `config` names: STATIC_ROOT, the source dirs in dev mode, or,
/// when static_root is an object-store URL, the objects published there.
async fn load(config: &rcollect_core::Config) -> anyhow::Result<StaticFiles> {
    #[cfg(feature = "s3")]
    if config.storage.is_some() && !config.debug {
        return Ok(StaticFiles::from_store(config).await?);
    }
    #[cfg(not(feature = "s3"))]
    if let Some(storage) = config.storage.as_ref().filter(|_| !config.debug) {
        anyhow::bail!(
            "static_root '{}' is an object store: serving from one needs S3 support, \
             which was left out of this build (cargo install rcollect --features s3)",
            storage.url
        );
    }
    Ok(StaticFiles::from_config(config)?)
}

async fn serve<R>(
    site: Site,
    addr: SocketAddr,
    what: &str,
    mount: &str,
    limits: Limits,
    reload: impl Fn() -> R,
) -> anyhow::Result<ExitCode>
where
    R: std::future::Future<Output = anyhow::Result<Site>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("no local address")?;
    let scheme = if site.tls.is_some() { "https" } else { "http" };
    eprintln!("serving {what} at {scheme}://{local}{mount}");
    tracing::info!(
        "at most {} connections, {} HTTP/2 streams each; timeouts: header {:?}, keep-alive {:?}, send {:?}; early hints for {} pages",
        limits.max_connections,
        limits.max_streams,
        limits.header_timeout,
        limits.keepalive_timeout,
        limits.send_timeout,
        site.hints.len()
    );
    let (site_tx, site_rx) = tokio::sync::watch::channel(Arc::new(site));
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
                let (site, stop, registry) = (site_rx.clone(), stop_rx.clone(), registry.clone());
                connections.spawn(async move {
                    conn::serve(stream, site, conn, limits, stop).await;
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
                    Ok(site) => {
                        tracing::info!("SIGHUP: reloaded (early hints for {} pages)", site.hints.len());
                        eprintln!("reloaded");
                        site_tx.send_replace(Arc::new(site));
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

/// Resolves when a connection should close once its requests are done: on
/// shutdown, when the connection cap picked it, or after `keepalive`
/// without a request in flight or a byte moved.
async fn close_wanted(
    stop: &mut tokio::sync::watch::Receiver<()>,
    conn: &Conn,
    keepalive: Duration,
) {
    tokio::select! {
        _ = stop.changed() => {}
        () = conn.close.notified() => {}
        () = conn.idle_timeout(keepalive) => {}
    }
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
/// otherwise). HTTP/1.0 requests may have none, and HTTP/2 ones (which
/// carry `:authority`) at most one (RFC 9113 §8.3.1).
fn host_is_valid<B>(req: &Request<B>) -> bool {
    let n = req.headers().get_all(http::header::HOST).iter().count();
    match req.version() {
        http::Version::HTTP_10 | http::Version::HTTP_09 | http::Version::HTTP_2 => n <= 1,
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
