//! An ordered parallel map over `0..count` on scoped threads, for work split into pieces whose boundaries the
//! caller fixed from the input alone: results come back in index order whatever the number of threads, so the
//! output cannot depend on the machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Threads worth using: `available_parallelism` reads cgroup files on Linux, too slow to ask on every chart.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f(0), f(1), ..., f(count - 1)`, computed on up to `max_threads` threads (the caller's included), in order.
/// Pieces are handed out one at a time, so uneven pieces still keep every thread busy.
pub fn map_indexed<T: Send>(count: usize, max_threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = cores().min(max_threads).min(count).max(1);
    if threads == 1 {
        return (0..count).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                return done;
            }
            done.push((i, f(i)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            // A panic in a helper is re-raised here, as it would have been without threads.
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    all.sort_unstable_by_key(|&(i, _)| i);
    all.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_index_order_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let out = map_indexed(37, threads, |i| {
                // Uneven work so that pieces finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(((i * 7919) % 13) as u64 * 50));
                i * i
            });
            assert_eq!(out, (0..37).map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map_indexed(0, 4, |i| i).is_empty());
    }
}
