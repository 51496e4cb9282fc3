//! The memory budget: bytes of file content held in memory (the cache of
//! files read whole, and bytes decoded from br), counted against
//! `[serve] memory_budget`. A reservation is a guard: released on every
//! path (an error, a client that goes away mid-read) unless kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of file content held in memory, counted against a budget.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    used: AtomicU64,
}

impl Memory {
    /// Bytes reserved now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    /// Reserves `n` bytes of `budget`; `None` when they do not fit. The
    /// reservation is given back when dropped, unless [kept](Reservation::keep).
    pub(crate) fn reserve(self: &Arc<Self>, n: u64, budget: u64) -> Option<Reservation> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&t| t <= budget)
            })
            .ok()?;
        Some(Reservation {
            memory: self.clone(),
            n: AtomicU64::new(n),
        })
    }
}

/// Bytes of the memory budget held for a read in progress: released on
/// every path by `Drop`, unless kept.
#[derive(Debug)]
pub(crate) struct Reservation {
    memory: Arc<Memory>,
    /// Bytes still to give back on drop (0 once kept).
    n: AtomicU64,
}

impl Reservation {
    /// The bytes are now held for good.
    pub(crate) fn keep(&self) {
        self.n.store(0, Ordering::Relaxed);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let n = *self.n.get_mut();
        if n > 0 {
            self.memory.used.fetch_sub(n, Ordering::AcqRel);
        }
    }
}
