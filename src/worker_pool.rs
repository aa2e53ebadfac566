//! The helper threads of this process: one rayon pool shared by the indicator driver (parts of a long column), the
//! chart aggregation (slots of a long series) and the PNG encoder (strips).
//!
//! One pool rather than threads per caller, so that work arriving from several places at once (eight indicators
//! in one `with_columns`, a chart rendered beside them) queues for the same few threads instead of starting a set
//! of threads each and oversubscribing the cores. The calling thread always computes too, so the pool holds one
//! thread fewer than [`threads`]: a call uses at most `threads()` cores.
//!
//! Work is cut by the callers from the input alone (parts of a column, strips of an image); this module only decides
//! who computes which piece, so no result depends on the number of threads.
//!
//! Fork: a child made by `fork` inherits this memory but none of the pool's threads, and a job queued for them would
//! wait forever. The pool is therefore recorded with the process id that built it; a process that finds a different
//! id builds a fresh pool. The inherited one is leaked, not dropped: dropping it would signal and wait for threads
//! that do not exist in the child.

use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Threads a parallel computation uses, the calling thread included: the cores available to the process, capped by
/// `POLARS_MAX_THREADS` when it is set (the knob that already bounds Polars' own pool), read once.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cap =
            std::env::var("POLARS_MAX_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n >= 1);
        cap.map_or(cores, |n| n.min(cores))
    })
}

/// Prefix of the pool threads' names (tests use it to tell a helper from the caller).
pub const THREAD_NAME: &str = "kf-worker";

/// A pool and the process that built it.
struct Owned {
    pid: u32,
    pool: ThreadPool,
}

/// This process's pool, built on first use (and again in a forked child); `None` when only the calling thread may
/// compute (`threads() == 1`) or the threads could not be started, in which case the caller does all the work.
fn pool() -> Option<&'static ThreadPool> {
    // The current pool, read without a lock: a lock held by another thread at the moment of a fork would stay held
    // in the child for ever. Only building takes `BUILD`.
    static CURRENT: AtomicPtr<Owned> = AtomicPtr::new(std::ptr::null_mut());
    static BUILD: Mutex<()> = Mutex::new(());
    if threads() < 2 {
        return None;
    }
    let pid = std::process::id();
    let current = |ptr: *mut Owned| {
        // SAFETY: a non-null pointer comes from `Box::leak` below and is never freed.
        unsafe { ptr.as_ref() }.filter(|o| o.pid == pid).map(|o| &o.pool)
    };
    if let Some(pool) = current(CURRENT.load(Ordering::Acquire)) {
        return Some(pool);
    }
    let _building = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pool) = current(CURRENT.load(Ordering::Acquire)) {
        return Some(pool);
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads() - 1)
        .thread_name(|k| format!("{THREAD_NAME}-{k}"))
        // A panic in a job spawned with `spawn` (no scope to carry it) would otherwise abort the process. Such a
        // job's piece is recomputed by the caller, whose panic then surfaces normally; scoped jobs re-raise theirs
        // on the caller's thread and never reach this handler.
        .panic_handler(|_| {})
        .build()
        .ok()?;
    // Leaked: the pool lives as long as the process, and an inherited one must never be dropped (see above).
    let owned: &'static mut Owned = Box::leak(Box::new(Owned { pid, pool }));
    CURRENT.store(owned, Ordering::Release);
    Some(&owned.pool)
}

thread_local! {
    /// Set while this thread computes one item of a batch whose items are themselves spread over the pool.
    static ALONE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every parallel helper of this module (and `render::parallel`) off on this thread: the work inside
/// `f` runs on the calling thread alone. A batch of charts parallelises over its charts; letting each chart also
/// queue strips for the same threads would only add hand-offs (and jobs that outlive the chart).
pub fn alone<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALONE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ALONE.with(|a| a.replace(true)));
    f()
}

/// Helpers a parallel computation on this thread may use: `wanted`, or none inside [`alone`].
pub fn helpers_here(wanted: usize) -> usize {
    if ALONE.with(Cell::get) {
        0
    } else {
        wanted
    }
}

/// Calls `f(0), ..., f(count - 1)`, each once, on the calling thread and up to `helpers` pool threads; returns when
/// all have returned. Indexes are claimed one at a time from a shared counter rather than assigned up front, so a
/// thread that is descheduled (a busy machine, or another library spinning its own threads) takes fewer pieces
/// instead of holding back a fixed share. A panic in `f` is re-raised here, on the caller's thread, once every
/// thread has stopped.
pub fn for_each_claimed(count: usize, helpers: usize, f: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            return;
        }
        f(i);
    };
    let helpers = helpers_here(helpers).min(count.saturating_sub(1)).min(threads() - 1);
    match pool().filter(|_| helpers > 0) {
        None => work(),
        Some(pool) => pool.in_place_scope(|scope| {
            for _ in 0..helpers {
                scope.spawn(|_| work());
            }
            work();
        }),
    }
}

/// Runs `helper` on a pool thread beside `main` on the calling thread; returns `main`'s result once both have
/// returned. Without a pool, with one thread, or inside [`alone`], `helper` does not run: `main` must get its
/// result without it, only sooner with it. A panic in either is re-raised here once both have stopped.
pub fn beside<R>(helper: impl FnOnce() + Send, main: impl FnOnce() -> R) -> R {
    match pool().filter(|_| helpers_here(1) > 0 && threads() > 1) {
        None => main(),
        Some(pool) => pool.in_place_scope(|scope| {
            scope.spawn(|_| helper());
            main()
        }),
    }
}

/// Spawns `job` on the pool, detached; runs nothing when there is no pool. For work whose caller does not wait for
/// it (see `render::parallel`).
pub fn spawn_detached(job: impl FnOnce() + Send + 'static) {
    if let Some(pool) = pool() {
        pool.spawn(job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn every_index_runs_once_for_any_helper_count() {
        for count in [0, 1, 2, 7, 64] {
            for helpers in [0, 1, 3, 16] {
                let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
                for_each_claimed(count, helpers, |i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "count {count}, helpers {helpers}");
            }
        }
    }

    #[test]
    fn alone_keeps_the_work_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let elsewhere = AtomicUsize::new(0);
        alone(|| {
            for_each_claimed(64, 8, |_| {
                if std::thread::current().id() != caller {
                    elsewhere.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_micros(100));
            })
        });
        assert_eq!(elsewhere.load(Ordering::Relaxed), 0);
        assert_eq!(helpers_here(3), 3, "the flag is restored after alone");
    }

    #[test]
    fn a_panic_on_a_helper_reaches_the_caller() {
        if threads() < 2 {
            return; // no pool: nothing runs on a helper
        }
        // Indexes panic when a pool thread runs them. The caller holds on to its first index until a helper has
        // panicked, so a helper surely runs one; its panic must come back here as an unwind, not abort the process.
        let helped = AtomicBool::new(false);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for_each_claimed(8, 1, |_| {
                if std::thread::current().name().is_some_and(|n| n.starts_with(THREAD_NAME)) {
                    helped.store(true, Ordering::Release);
                    panic!("a kernel failed");
                }
                while !helped.load(Ordering::Acquire) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
        }));
        let message = caught.expect_err("the helper's panic was lost");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"a kernel failed"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_forked_child_builds_its_own_pool() {
        // The parent's pool exists (its threads do not in the child); a child that reused it would wait forever for
        // its helpers, and the parent's wait below would never end. The child reports through its exit status.
        for_each_claimed(8, 8, |_| {});
        // SAFETY: the child only computes with this module, then leaves through `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // A hang ends the child (killed by SIGALRM, a failure below) instead of the test run.
            // SAFETY: sets this process's alarm clock only.
            unsafe { libc::alarm(600) };
            let runs: Vec<AtomicUsize> = (0..32).map(|_| AtomicUsize::new(0)).collect();
            for_each_claimed(32, 8, |i| {
                runs[i].fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(1));
            });
            let ok = runs.iter().all(|r| r.load(Ordering::Relaxed) == 1);
            // SAFETY: ends the child without running the parent's test harness again.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child status {status}");
    }
}
