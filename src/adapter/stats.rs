//! Bounded performance statistics: fixed counters and one latency histogram per operation, all relaxed atomics in
//! one `static`. Memory is `size_of::<Stats>()` whatever the number of calls; recording never allocates or locks.
//!
//! With tracking off (the default) every entry point is one relaxed `AtomicBool` load and a branch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use super::engine::Engine;
use super::histogram::{saturating_add, Histogram, LatencySummary};

/// What was done. A fixed table: names outside it are counted as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An indicator expression (`kf_indicator`); rows = input rows.
    Indicator,
    /// A frame transform (Heikin-Ashi, Renko, ...); rows = input rows.
    Transform,
    /// A chart render; rows = candles.
    Render,
    /// An `mpf.plot` call served by kf; rows = candles.
    Mplfinance,
    /// Anything else.
    Other,
}

impl Op {
    /// Every operation, in reporting order.
    pub const ALL: [Op; 5] = [Op::Indicator, Op::Transform, Op::Render, Op::Mplfinance, Op::Other];
    const COUNT: usize = Op::ALL.len();

    /// The reporting name.
    pub fn name(self) -> &'static str {
        ["indicator", "transform", "render", "mplfinance", "other"][self as usize]
    }

    /// The operation named `name`; unknown names are `Other`, so the table stays bounded.
    pub fn parse(name: &str) -> Op {
        Op::ALL.into_iter().find(|op| op.name() == name).unwrap_or(Op::Other)
    }

    /// Whether its rows are candles (charts) rather than table rows (indicators, transforms).
    pub fn counts_candles(self) -> bool {
        matches!(self, Op::Render | Op::Mplfinance)
    }
}

/// One counter on its own cache line, so threads bumping different counters do not contend.
#[repr(align(64))]
struct Padded(AtomicU64);

impl Padded {
    const fn new() -> Padded {
        Padded(AtomicU64::new(0))
    }
}

/// An operation's calls are its histogram's count: one read-modify-write fewer per call.
#[repr(align(64))]
struct OpStats {
    rows: AtomicU64,
    bytes: AtomicU64,
    latency: Histogram,
}

impl OpStats {
    const fn new() -> OpStats {
        OpStats { rows: AtomicU64::new(0), bytes: AtomicU64::new(0), latency: Histogram::new() }
    }
}

/// The whole statistics store (one instance, `STATS`).
pub struct Stats {
    ops: [OpStats; Op::COUNT],
    // CPU calls are the total minus these.
    gpu_calls: Padded,
    fallbacks: Padded,
}

static TRACKING: AtomicBool = AtomicBool::new(false);
static STATS: Stats =
    Stats { ops: [const { OpStats::new() }; Op::COUNT], gpu_calls: Padded::new(), fallbacks: Padded::new() };

/// Whether calls are being recorded (`performance_tracking`).
#[inline(always)]
pub fn tracking_enabled() -> bool {
    TRACKING.load(Relaxed)
}

pub(super) fn set_tracking(on: bool) {
    TRACKING.store(on, Relaxed);
}

/// Records one finished call (when tracking is on).
#[inline]
pub fn record(op: Op, engine: Engine, latency_ns: u64, rows: u64, bytes: u64) {
    if tracking_enabled() {
        record_always(op, engine, latency_ns, rows, bytes);
    }
}

#[inline]
fn record_always(op: Op, engine: Engine, latency_ns: u64, rows: u64, bytes: u64) {
    let s = &STATS.ops[op as usize];
    saturating_add(&s.rows, rows);
    saturating_add(&s.bytes, bytes);
    s.latency.record(latency_ns);
    if engine == Engine::Gpu {
        saturating_add(&STATS.gpu_calls.0, 1);
    }
}

/// Counts one GPU → CPU fallback (a GPU that was chosen but missing or failing). The render path calls it.
#[inline]
pub fn record_fallback() {
    if tracking_enabled() {
        saturating_add(&STATS.fallbacks.0, 1);
    }
}

/// Zeroes every counter and histogram. Calls recorded concurrently with a reset may or may not survive it.
pub fn reset() {
    for s in &STATS.ops {
        s.rows.store(0, Relaxed);
        s.bytes.store(0, Relaxed);
        s.latency.reset();
    }
    STATS.gpu_calls.0.store(0, Relaxed);
    STATS.fallbacks.0.store(0, Relaxed);
}

/// Bytes held by the statistics: a constant.
pub const fn memory_bytes() -> usize {
    std::mem::size_of::<Stats>() + std::mem::size_of::<AtomicBool>()
}

/// Times a call from `start` to drop and records it then (when tracking was on at `start`). Rows, bytes and the
/// engine can be filled in before it drops.
///
/// ```
/// use polars_kimsfinance::adapter::{Op, Tracked};
/// let mut t = Tracked::start(Op::Render, 500);
/// // ... render ...
/// t.set_bytes(12_345);
/// ```
#[must_use = "the call is recorded when this guard drops"]
pub struct Tracked {
    start: Option<Instant>,
    op: Op,
    engine: Engine,
    rows: u64,
    bytes: u64,
}

impl Tracked {
    /// Starts timing an `op` over `rows` rows (or candles), on the CPU unless `set_engine` says otherwise.
    #[inline]
    pub fn start(op: Op, rows: u64) -> Tracked {
        let start = if tracking_enabled() { Some(Instant::now()) } else { None };
        Tracked { start, op, engine: Engine::Cpu, rows, bytes: 0 }
    }

    /// Sets the bytes the call produced.
    #[inline]
    pub fn set_bytes(&mut self, bytes: u64) {
        self.bytes = bytes;
    }

    /// Sets the rows (or candles) processed.
    #[inline]
    pub fn set_rows(&mut self, rows: u64) {
        self.rows = rows;
    }

    /// Sets the engine that ran.
    #[inline]
    pub fn set_engine(&mut self, engine: Engine) {
        self.engine = engine;
    }

    /// Drops the measurement without recording it (e.g. the call failed and is retried).
    pub fn cancel(mut self) {
        self.start = None;
    }
}

impl Drop for Tracked {
    #[inline]
    fn drop(&mut self) {
        if let Some(start) = self.start {
            let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            record_always(self.op, self.engine, ns, self.rows, self.bytes);
        }
    }
}

/// The `Tracked` guard for one `kf_indicator` call: `rows` input rows, `outputs` output columns of Float32 or
/// Float64.
#[inline]
pub fn track_indicator(rows: usize, outputs: usize, float32: bool) -> Tracked {
    let mut t = Tracked::start(Op::Indicator, rows as u64);
    t.set_bytes((rows * outputs * if float32 { 4 } else { 8 }) as u64);
    t
}

/// One operation's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSnapshot {
    /// The operation.
    pub op: Op,
    /// Calls recorded.
    pub calls: u64,
    /// Rows (or candles) processed.
    pub rows: u64,
    /// Bytes produced.
    pub bytes: u64,
    /// Latency quantiles.
    pub latency: LatencySummary,
}

/// Everything, read at one moment (each counter individually; concurrent calls may land between two reads).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Whether tracking is on.
    pub tracking: bool,
    /// Sum of the operations' calls.
    pub total_calls: u64,
    /// Calls that ran on the CPU.
    pub cpu_calls: u64,
    /// Calls that ran on a GPU.
    pub gpu_calls: u64,
    /// GPU → CPU fallbacks.
    pub fallbacks: u64,
    /// Table rows processed by indicators, transforms and other operations.
    pub rows_processed: u64,
    /// Candles processed by renders and mplfinance calls.
    pub candles_processed: u64,
    /// Bytes produced by all operations.
    pub bytes_produced: u64,
    /// `memory_bytes()`.
    pub memory_bytes: usize,
    /// Per operation, in `Op::ALL` order.
    pub ops: Vec<OpSnapshot>,
}

/// Reads every counter.
pub fn snapshot() -> Snapshot {
    let ops: Vec<OpSnapshot> = Op::ALL
        .into_iter()
        .map(|op| {
            let s = &STATS.ops[op as usize];
            let latency = s.latency.summary();
            OpSnapshot { op, rows: s.rows.load(Relaxed), bytes: s.bytes.load(Relaxed), latency, calls: latency.count }
        })
        .collect();
    let sum = |f: &dyn Fn(&OpSnapshot) -> u64| ops.iter().map(f).fold(0u64, u64::saturating_add);
    let total_calls = sum(&|o| o.calls);
    let gpu_calls = STATS.gpu_calls.0.load(Relaxed).min(total_calls);
    Snapshot {
        tracking: tracking_enabled(),
        total_calls,
        cpu_calls: total_calls - gpu_calls,
        gpu_calls,
        fallbacks: STATS.fallbacks.0.load(Relaxed),
        rows_processed: sum(&|o| if o.op.counts_candles() { 0 } else { o.rows }),
        candles_processed: sum(&|o| if o.op.counts_candles() { o.rows } else { 0 }),
        bytes_produced: sum(&|o| o.bytes),
        memory_bytes: memory_bytes(),
        ops,
    }
}

/// Records `ops` synthetic calls from `threads` threads (latencies spread over 100 ns .. 100 s) through the same
/// path as real calls; returns the wall time in nanoseconds. Used by the memory-bound test and the overhead
/// benchmark; does nothing when tracking is off (apart from the check).
pub fn stress(ops: u64, threads: usize) -> u64 {
    let threads = threads.max(1) as u64;
    let t0 = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let n = ops / threads + u64::from(t < ops % threads);
            scope.spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t;
                for i in 0..n {
                    // xorshift: cheap varied latencies, 2^6 .. 2^37 ns
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let ns = 64u64 << (x % 31);
                    record(Op::ALL[(i % 5) as usize], Engine::Cpu, ns + (x & 63), 1, 8);
                }
            });
        }
    });
    u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds per call of the tracking overhead as seen by an instrumented function: a `Tracked` guard started
/// and dropped `n` times (clock reads included), with tracking as currently configured. Single thread.
pub fn guard_overhead_ns(n: u64) -> f64 {
    let n = n.max(1);
    let t0 = Instant::now();
    for i in 0..n {
        let mut t = Tracked::start(Op::Other, std::hint::black_box(i));
        t.set_bytes(8);
        drop(std::hint::black_box(t));
    }
    t0.elapsed().as_nanos() as f64 / n as f64
}
