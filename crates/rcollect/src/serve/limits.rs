//! Connection limits: the descriptor limit raised to the hard limit at
//! start (as nginx and Go servers do), a cap on open connections below it,
//! and the registry that finds idle keep-alive connections to close first
//! when the cap is reached or they have been idle for `keepalive_timeout`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Descriptors kept free for everything that is not a client socket (the
/// listener, logs, files being opened).
const RESERVED_FDS: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the
/// connection cap it allows: each connection may hold its socket and one
/// streamed file.
pub(crate) fn connection_cap_from_fd_limit() -> usize {
    let soft = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("cannot raise the open-file limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    let cap = soft.saturating_sub(RESERVED_FDS) / 2;
    usize::try_from(cap.max(16)).unwrap_or(usize::MAX)
}

/// One connection's state, shared by its task, its socket and its requests.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Milliseconds since `epoch` of the last byte read or written.
    last_active: AtomicU64,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// Requests started on this connection.
    requests: AtomicU64,
    epoch: Instant,
    /// Asks the connection to close once its current response is done.
    pub(crate) close: Notify,
    /// Already asked to close.
    closing: std::sync::atomic::AtomicBool,
}

impl Conn {
    fn new(epoch: Instant) -> Conn {
        let c = Conn {
            last_active: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            epoch,
            close: Notify::new(),
            closing: std::sync::atomic::AtomicBool::new(false),
        };
        c.touch();
        c
    }

    /// Bytes moved now.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_active.load(Ordering::Relaxed));
        Some(self.epoch.elapsed().saturating_sub(last))
    }

    /// Marks a request in flight until the guard is dropped.
    pub(crate) fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Resolves once the connection has been idle (no request in flight, no
    /// byte moved) for `timeout`.
    pub(crate) async fn idle_timeout(&self, timeout: Duration) {
        loop {
            let wait = match self.idle_for() {
                Some(idle) if idle >= timeout => return,
                Some(idle) => timeout - idle,
                None => timeout,
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// A request in flight on a connection.
pub(crate) struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections.
#[derive(Debug)]
pub(crate) struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    epoch: Instant,
    cap: usize,
}

impl Registry {
    pub(crate) fn new(cap: usize) -> Registry {
        Registry {
            conns: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            epoch: Instant::now(),
            cap,
        }
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Registers a new connection, or `None` when the cap is reached and no
    /// idle connection could be closed to make room. At the cap one idle
    /// connection is asked to close: one that never sent a request if there
    /// is one (an idle socket), otherwise the one idle longest (a keep-alive
    /// connection between requests).
    pub(crate) fn admit(&self) -> Option<(u64, Arc<Conn>)> {
        let mut conns = self.conns.lock().ok()?;
        if conns.len() >= self.cap {
            let victim = conns
                .values()
                .filter(|c| !c.closing.load(Ordering::Relaxed))
                .filter_map(|c| {
                    c.idle_for()
                        .map(|d| (c.requests.load(Ordering::Relaxed) == 0, d, c))
                })
                .max_by_key(|(never_used, idle, _)| (*never_used, *idle))
                .map(|(_, _, c)| c.clone())?;
            victim.closing.store(true, Ordering::Relaxed);
            victim.close.notify_one();
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(self.epoch));
        conns.insert(id, conn.clone());
        Some((id, conn))
    }

    /// Forgets a closed connection.
    pub(crate) fn remove(&self, id: u64) {
        if let Ok(mut conns) = self.conns.lock() {
            conns.remove(&id);
        }
    }
}
