//! Running compression jobs: every job once, the most expensive first, on
//! all of rayon's threads, so the largest files do not finish last on one
//! core. The first error stops handing out work (jobs already running
//! finish) and every error is returned.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};

/// Runs `run` on every job, in decreasing order of `cost`, and returns the
/// results by job index in the sorted `jobs`.
pub(crate) fn largest_first<J: Sync, T: Send>(
    jobs: &mut [J],
    cost: impl Fn(&J) -> u64,
    progress: Option<&dyn Progress>,
    run: impl Fn(&J) -> Result<T> + Sync,
) -> Result<Vec<(usize, T)>> {
    jobs.sort_by_key(|j| std::cmp::Reverse(cost(j)));
    let jobs: &[J] = jobs;
    if let Some(pr) = progress {
        pr.begin(Phase::Compress, jobs.len() as u64);
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<T>)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let workers = rayon::current_num_threads().max(1);
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = run(job);
                    let failed = r.is_err();
                    if let Ok(mut v) = results.lock() {
                        v.push((i, r));
                    }
                    if let Some(pr) = progress {
                        pr.advance(1);
                    }
                    if failed {
                        next.store(jobs.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if let Some(pr) = progress {
        pr.end();
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in results.into_inner().unwrap_or_default() {
        match r {
            Ok(v) => out.push((i, v)),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(out),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Many(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_job_once_and_collects_every_error() {
        let mut jobs: Vec<u64> = (1..=50).collect();
        let done = largest_first(&mut jobs, |j| *j, None, |j| Ok(j * 2)).expect("ok");
        let mut got: Vec<u64> = done.iter().map(|(_, v)| *v).collect();
        got.sort_unstable();
        assert_eq!(got, (1..=50).map(|j| j * 2).collect::<Vec<_>>());
        assert_eq!(jobs.first(), Some(&50), "sorted largest first");
        let mut jobs: Vec<u64> = (1..=4).collect();
        let r = largest_first(
            &mut jobs,
            |j| *j,
            None,
            |j| {
                if *j == 4 {
                    Err(Error::SourceChanged { path: "x".into() })
                } else {
                    Ok(*j)
                }
            },
        );
        assert!(matches!(r, Err(Error::SourceChanged { .. })), "{r:?}");
    }
}
