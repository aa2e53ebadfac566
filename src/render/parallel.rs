//! An ordered parallel map over `0..count` for work split into pieces whose boundaries the caller fixed from the
//! input alone: results come back in index order whatever the number of threads, so the output cannot depend on
//! the machine.
//!
//! The caller never waits for a helper. Helpers are jobs on the process's one pool (`crate::worker_pool`: no thread
//! started per call) that claim pieces from a shared counter; the calling thread claims pieces too, and once none
//! are left it computes itself any piece a helper claimed but has not finished. On a busy machine a helper may be
//! descheduled in the middle of a piece for milliseconds; the caller then simply redoes that piece (a piece is a
//! fraction of the work) instead of waiting. Work and inputs are owned (`'static`, shared through `Arc`), so a late
//! helper can finish or drop its piece after the caller has returned.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Helpers at most per call, whatever the core count: pieces are a few per core for a full-HD image.
const MAX_HELPERS: usize = 7;

trait Task: Send + Sync {
    /// Claims and computes pieces until none are left.
    fn work(&self);
}

struct Job<T, F> {
    next: AtomicUsize,
    slots: Vec<OnceLock<Arc<T>>>,
    f: F,
}

impl<T: Send + Sync, F: Fn(usize) -> T + Send + Sync> Task for Job<T, F> {
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = self.slots.get(i) else { return };
            if slot.get().is_none() {
                // Computed outside the cell, so nobody ever blocks on someone else's computation.
                let _ = slot.set(Arc::new((self.f)(i)));
            }
        }
    }
}

/// `f(0), ..., f(count - 1)` in order, computed by the calling thread and up to `max_helpers` threads of the
/// process's pool (`crate::worker_pool`).
pub fn map_indexed<T, F>(count: usize, max_helpers: usize, f: F) -> Vec<Arc<T>>
where
    T: Send + Sync + 'static,
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    let job = Arc::new(Job { next: AtomicUsize::new(0), slots: (0..count).map(|_| OnceLock::new()).collect(), f });
    let helpers = crate::worker_pool::helpers_here(max_helpers).min(MAX_HELPERS).min(count.saturating_sub(1));
    for _ in 0..helpers {
        let job = job.clone() as Arc<dyn Task>;
        crate::worker_pool::spawn_detached(move || job.work());
    }
    job.work();
    (0..count)
        .map(|i| {
            let slot = &job.slots[i];
            if slot.get().is_none() {
                let _ = slot.set(Arc::new((job.f)(i)));
            }
            slot.get().expect("set above").clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_index_order_for_any_helper_count() {
        for helpers in [0, 1, 2, 8] {
            let out = map_indexed(37, helpers, |i| {
                // Uneven work so that pieces finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(((i * 7919) % 13) as u64 * 50));
                i * i
            });
            let out: Vec<usize> = out.iter().map(|v| **v).collect();
            assert_eq!(out, (0..37).map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map_indexed(0, 4, |i| i).is_empty());
    }

    #[test]
    fn the_caller_does_not_wait_for_a_slow_helper() {
        // A piece taken by a helper blocks until the caller has returned (as if the helper were descheduled): the
        // caller must compute that piece itself. Had it waited, the helper would give up after 10 s and mark its
        // piece done before the caller returned, and the last assertion would fail. No timing is measured.
        use std::sync::atomic::AtomicBool;
        let released = Arc::new(AtomicBool::new(false));
        let helper_finished = Arc::new(AtomicBool::new(false));
        let (r, h) = (released.clone(), helper_finished.clone());
        let out = map_indexed(2, 1, move |i| {
            if std::thread::current().name().is_some_and(|n| n.starts_with(crate::worker_pool::THREAD_NAME)) {
                let start = std::time::Instant::now();
                while !r.load(Ordering::Acquire) && start.elapsed() < std::time::Duration::from_secs(10) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                h.store(true, Ordering::Release);
            }
            i + 1
        });
        assert_eq!(out.iter().map(|v| **v).collect::<Vec<_>>(), vec![1, 2]);
        let helper_done_before_return = helper_finished.load(Ordering::Acquire);
        released.store(true, Ordering::Release);
        assert!(!helper_done_before_return, "the caller waited for the helper");
    }
}
