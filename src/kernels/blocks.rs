//! Building blocks shared by many kernels: ring buffers, running window sums and moments, monotonic deques for
//! window extremes, and the two recursive smoothers (EMA and Wilder's) with TA-Lib's seeding.

use std::mem::MaybeUninit;

/// Whether this processor has fused multiply-add (std caches the answer; this is a load and a bit test).
#[inline(always)]
pub fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("fma");
    #[cfg(target_arch = "aarch64")]
    return true;
    #[allow(unreachable_code)]
    false
}

/// `a * b + c`, fused (one rounding) where the processor has FMA, else a multiply and an add. The recursions'
/// dependency chain is one fused instruction instead of two. The choice is made at run time, identically for every
/// caller, so all parts of a split computation round the same way; the driver's hot loop is compiled with FMA
/// enabled (there `mul_add` is one instruction), elsewhere it is a call to the C library's `fma`.
#[inline(always)]
pub fn mul_add(a: f64, b: f64, c: f64) -> f64 {
    if has_fma() {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// A hint to bring the cache line holding `p` closer; `p` may point anywhere (past a slice's end too): a prefetch
/// never faults and reads nothing into the program.
#[inline(always)]
pub fn prefetch(p: *const f64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is in every x86-64 processor and does not access memory architecturally.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Called for each bar `i` of a dense loop: every 8 bars (one cache line of each column), a hint to fetch the
/// columns' values `ahead` rows on. A loop that waits on a dependency chain so leaves the memory system fetching
/// the next tile, which the driver's validity check reads next and would otherwise wait for alone.
#[inline(always)]
pub fn prefetch_ahead<const N: usize>(columns: [*const f64; N], i: usize, ahead: usize) {
    if i.is_multiple_of(8) {
        columns.iter().for_each(|c| prefetch(c.wrapping_add(i + ahead)));
    }
}

mod dense;
pub use dense::DENSE_EXTREME_TILE;

/// Tiles of running-sum kernels: 16 re-sum intervals of 4,096 bars, so that most chains lie whole in a tile and
/// four advance side by side (see `RollingSum::run_dense`).
pub const DENSE_SUM_TILE: usize = 1 << 16;

/// `out` with slot `i` set to `value(i)`, as initialised values (for dense loops that go on over plain slices).
#[inline(always)]
pub fn fill_with(out: &mut [MaybeUninit<f64>], mut value: impl FnMut(usize) -> f64) -> &mut [f64] {
    for (i, slot) in out.iter_mut().enumerate() {
        slot.write(value(i));
    }
    // SAFETY: every slot was just written.
    unsafe { assume_written(out) }
}

/// `out` filled with NaN, as initialised values.
pub fn init_nan(out: &mut [MaybeUninit<f64>]) -> &mut [f64] {
    fill_with(out, |_| f64::NAN)
}

/// Slots that a loop has written, as initialised values.
///
/// # Safety
/// Every slot of `out` must have been written.
#[inline(always)]
pub unsafe fn assume_written(out: &mut [MaybeUninit<f64>]) -> &mut [f64] {
    // SAFETY: `MaybeUninit<f64>` has the layout of `f64`, and the caller vouches that every slot is initialised.
    unsafe { &mut *(out as *mut [MaybeUninit<f64>] as *mut [f64]) }
}

/// How many steps a running sum may take before it is re-summed from its window, bounding drift over long series.
fn resum_interval(window: usize) -> usize {
    (window * 4).max(4096)
}

/// Rings up to this many values are allocated whole at construction; longer ones grow as values arrive, so that a
/// window far longer than its series (a window of 2^33 on three rows asked for 64 GiB) costs what the series holds.
const RING_EAGER: usize = 4096;

/// The last `n` values pushed.
///
/// While filling, the values sit in `buf[..len]` in push order and `pos == len`; once `len == cap`, `buf` holds
/// exactly `cap` values and `pos` is the oldest's index.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RingFields")]
pub struct Ring {
    buf: Vec<f64>,
    cap: usize,
    pos: usize,
    len: usize,
}

/// A [`Ring`] as read from a stream snapshot, checked before it becomes one (an inconsistent ring would index
/// out of bounds on its next push).
#[derive(serde::Deserialize)]
struct RingFields {
    buf: Vec<f64>,
    cap: usize,
    pos: usize,
    len: usize,
}

impl TryFrom<RingFields> for Ring {
    type Error = String;
    fn try_from(f: RingFields) -> Result<Self, String> {
        let filling = f.len < f.cap && f.buf.len() == f.cap.min(RING_EAGER).max(f.len);
        let full = f.len == f.cap && f.buf.len() == f.cap && f.pos < f.cap;
        if f.cap == 0 || !(full || (filling && f.pos == f.len)) {
            return Err(format!("inconsistent window buffer ({} values, window {}, at {})", f.buf.len(), f.cap, f.pos));
        }
        Ok(Ring { buf: f.buf, cap: f.cap, pos: f.pos, len: f.len })
    }
}

impl Ring {
    pub fn new(n: usize) -> Self {
        let cap = n.max(1);
        Self { buf: vec![0.0; cap.min(RING_EAGER)], cap, pos: 0, len: 0 }
    }

    /// The window length `n`.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn is_full(&self) -> bool {
        self.len == self.cap
    }

    /// Values still to push before the ring is full.
    pub fn missing(&self) -> usize {
        self.cap - self.len
    }

    /// Push a value; once full, returns the value it displaced (the one `n` pushes ago).
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        if self.len == self.cap {
            let old = self.buf[self.pos];
            self.buf[self.pos] = x;
            self.pos += 1;
            if self.pos == self.cap {
                self.pos = 0;
            }
            return Some(old);
        }
        self.fill(x);
        None
    }

    /// One value into a ring that is not full yet (kept out of [`Ring::push`]'s inlined steady state).
    #[inline(never)]
    fn fill(&mut self, x: f64) {
        if self.len < self.buf.len() {
            self.buf[self.len] = x;
        } else {
            // Doubling, but never past the window: a full ring holds exactly `cap` values.
            if self.buf.len() == self.buf.capacity() {
                self.buf.reserve_exact(self.buf.len().max(1).min(self.cap - self.buf.len()));
            }
            self.buf.push(x);
        }
        self.len += 1;
        self.pos = if self.len == self.cap { 0 } else { self.len };
    }

    /// The value pushed `k` pushes ago (`k = 0` is the newest); `None` if not that many were pushed.
    pub fn ago(&self, k: usize) -> Option<f64> {
        if k >= self.len {
            return None;
        }
        if self.len < self.cap {
            return Some(self.buf[self.len - 1 - k]);
        }
        // `pos` is the oldest's index, so the one `k` pushes ago is `pos + n - 1 - k`, wrapped at most once (a
        // subtraction, where `%` was an integer division per call).
        let i = self.pos + self.cap - 1 - k;
        Some(self.buf[if i >= self.cap { i - self.cap } else { i }])
    }

    /// The values held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (older, newer) = self.as_slices();
        older.iter().chain(newer).copied()
    }

    /// The values held as two slices, oldest first (no per-element index arithmetic).
    pub fn as_slices(&self) -> (&[f64], &[f64]) {
        if self.len < self.cap {
            (&self.buf[..self.len], &[])
        } else {
            let (newer, older) = self.buf.split_at(self.pos);
            (older, newer)
        }
    }
}

/// Sum of the last `n` values, re-summed periodically so it does not drift.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RollingSum {
    ring: Ring,
    sum: f64,
    since_resum: usize,
}

impl RollingSum {
    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), sum: 0.0, since_resum: 0 }
    }

    /// Push a value; returns the window sum once `n` values were seen.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let full_before = self.ring.is_full();
        match self.ring.push(x) {
            Some(old) => self.sum += x - old,
            None => self.sum += x,
        }
        if full_before {
            self.since_resum += 1;
            if self.since_resum >= resum_interval(self.ring.capacity()) {
                self.since_resum = 0;
                self.sum = self.ring.iter().sum();
            }
        }
        self.ring.is_full().then_some(self.sum)
    }
}

/// A window sum that knows when every term in the window is zero, and is then exactly zero: that is when the run
/// of zeros ending at the newest term is at least a window long.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ZeroAwareSum {
    sum: RollingSum,
    /// Zeros pushed since the last non-zero term, counted up to the window length.
    zeros: usize,
}
impl ZeroAwareSum {
    pub fn new(n: usize) -> Self {
        Self { sum: RollingSum::new(n), zeros: 0 }
    }

    pub fn window(&self) -> usize {
        self.sum.window()
    }

    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        self.zeros = if x == 0.0 { (self.zeros + 1).min(self.window()) } else { 0 };
        let sum = self.sum.push(x)?;
        Some(if self.all_zero() { 0.0 } else { sum })
    }

    /// Whether every value in the window is zero (then the sum is exactly 0).
    pub fn all_zero(&self) -> bool {
        self.zeros == self.window()
    }
}

/// Mean of the last `n` values (a [`RollingSum`] over `n`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RollingMean {
    sum: RollingSum,
    n: f64,
}

impl RollingMean {
    /// The window length.
    pub fn window(&self) -> usize {
        self.sum.window()
    }

    pub fn new(n: usize) -> Self {
        Self { sum: RollingSum::new(n), n: n as f64 }
    }

    /// Pushes before the one that returns the first mean.
    pub fn bars_before_first(&self) -> usize {
        self.sum.ring.missing().saturating_sub(1)
    }

    /// Push a value; returns the window mean once `n` values were seen.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        self.sum.push(x).map(|s| s / self.n)
    }
}

/// Mean and sum of squared deviations of the last `n` values, accurate at any price level: the sums are of the
/// values minus a shift, and the shift moves to the newest value (with the sums recomputed) once per window, so it
/// always lies among the window's recent values and the subtraction `s2 - s1²/n` loses few digits.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RollingMoments {
    ring: Ring,
    shift: f64,
    s1: f64,
    s2: f64,
    /// The largest squared deviation added since the last recentre: `s2` carries rounding error of that size.
    peak: f64,
    since_recentre: usize,
}

impl RollingMoments {
    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), shift: f64::NAN, s1: 0.0, s2: 0.0, peak: 0.0, since_recentre: 0 }
    }

    /// Push a value; once `n` values were seen, returns `(mean, sum of squared deviations)` over the window.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<(f64, f64)> {
        if self.shift.is_nan() {
            self.shift = x;
        }
        let d = x - self.shift;
        self.peak = self.peak.max(d * d);
        match self.ring.push(x) {
            None => {
                self.s1 += d;
                self.s2 += d * d;
            }
            Some(old) => {
                let o = old - self.shift;
                self.s1 += d - o;
                self.s2 += (d - o) * (d + o);
                self.since_recentre += 1;
                if self.since_recentre >= recentre_interval(self.ring.capacity()) {
                    self.recentre(x);
                }
            }
        }
        if !self.ring.is_full() {
            return None;
        }
        let inv_n = 1.0 / self.ring.capacity() as f64; // constant: the compiler hoists it, no division per bar
        let mut m2 = self.s2 - self.s1 * self.s1 * inv_n;
        let cancelled = m2 < self.s2 * 1e-3 || self.s2 < self.peak * 1e-3;
        if cancelled && self.since_recentre != 0 {
            // Over three digits cancelled: a nearly constant window far from the shift, or a large value that left
            // the window. Recompute around the newest value, which makes a constant window exactly zero.
            self.recentre(x);
            m2 = self.s2 - self.s1 * self.s1 * inv_n;
        }
        Some((self.shift + self.s1 * inv_n, m2.max(0.0)))
    }

    fn recentre(&mut self, shift: f64) {
        self.since_recentre = 0;
        self.shift = shift;
        let (older, newer) = self.ring.as_slices();
        let (mut s1, mut s2, mut peak) = (0.0, 0.0, 0.0f64);
        // Two plain loops: a chained iterator's fold costs a tenth of a bbands run at this call rate.
        for part in [older, newer] {
            for &v in part {
                let d = v - shift;
                s1 += d;
                s2 += d * d;
                peak = peak.max(d * d);
            }
        }
        self.s1 = s1;
        self.s2 = s2;
        self.peak = peak;
    }
}

/// Steps between routine recentres of [`RollingMoments`] (on top of those its cancellation check asks for): the
/// rounding error in `s2` grows with the steps taken, and a recentre costs one pass over the window.
fn recentre_interval(window: usize) -> usize {
    (window * 2).max(64)
}

/// Neumaier-compensated running total, so a cumulative line does not drift over long series.
#[derive(Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

/// The rounding error of `t = s + x`, Neumaier's way: exact for finite values, the larger operand first.
#[inline(always)]
fn rounding_error(s: f64, x: f64, t: f64) -> f64 {
    if s.abs() >= x.abs() {
        (s - t) + x
    } else {
        (x - t) + s
    }
}

impl CompensatedSum {
    /// Add `x`; returns the running total.
    #[inline(always)]
    pub fn add(&mut self, x: f64) -> f64 {
        let t = self.sum + x;
        self.compensation += rounding_error(self.sum, x, t);
        self.sum = t;
        self.sum + self.compensation
    }

    /// Each value of `xs` replaced by the running total after it, bit for bit as [`Self::add`] bar by bar. Eight
    /// bars at a time the totals are one scalar chain and the magnitude tests one vector comparison beside it: bar
    /// by bar, the seven additions of each step queued on the two floating-point adders behind the chain.
    /// `each_block(i)` runs before the block that starts at bar `i` (a multiple of 8), for a prefetch.
    #[inline(always)]
    pub fn add_all(&mut self, xs: &mut [f64], mut each_block: impl FnMut(usize)) {
        const BLOCK: usize = 8;
        let mut blocks = xs.chunks_exact_mut(BLOCK);
        for (index, block) in blocks.by_ref().enumerate() {
            each_block(index * BLOCK);
            let block: &mut [f64; BLOCK] = block.try_into().expect("chunks of BLOCK");
            let mut before = [0.0; BLOCK];
            let mut after = [0.0; BLOCK];
            let mut sum = self.sum;
            for j in 0..BLOCK {
                before[j] = sum;
                sum += block[j];
                after[j] = sum;
            }
            let error: [f64; BLOCK] = std::array::from_fn(|j| rounding_error(before[j], block[j], after[j]));
            let mut compensation = self.compensation;
            for j in 0..BLOCK {
                compensation += error[j];
                before[j] = compensation;
            }
            for j in 0..BLOCK {
                block[j] = after[j] + before[j];
            }
            (self.sum, self.compensation) = (sum, compensation);
        }
        for x in blocks.into_remainder() {
            *x = self.add(*x);
        }
    }
}

/// Which extreme a [`RollingExtreme`] tracks.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Extreme {
    Max,
    Min,
}

/// The extreme of an older and a newer value, the newer winning ties. Equal values differ only in the sign of a
/// zero, but every path (tracking, rescans, whole-window folds, the dense loops) keeps the same bar so that their
/// bits agree. `older > newer ? older : newer` is one `maxsd` instruction on x86.
#[inline(always)]
pub(crate) fn newest_wins(kind: Extreme, older: f64, newer: f64) -> f64 {
    match kind {
        Extreme::Max => {
            if older > newer {
                older
            } else {
                newer
            }
        }
        Extreme::Min => {
            if older < newer {
                older
            } else {
                newer
            }
        }
    }
}

/// Windows up to this length are scanned whole each bar (see [`RollingExtreme::scan_small`]).
const SMALL_WINDOW: usize = 16;

/// Maximum or minimum of the last `n` values, with the age of the extreme. The extreme is tracked as values
/// arrive and the window is rescanned only when it expires, which is amortised O(1) on market data and, unlike a
/// monotonic deque, costs one predictable comparison in the common case. Ties go to the most recent bar.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RollingExtreme {
    ring: Ring,
    kind: Extreme,
    count: usize,
    best: f64,
    best_at: usize,
}

impl RollingExtreme {
    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    pub fn new(n: usize, kind: Extreme) -> Self {
        Self { ring: Ring::new(n), kind, count: 0, best: f64::NAN, best_at: 0 }
    }

    #[inline(always)]
    fn beats(&self, x: f64, best: f64) -> bool {
        match self.kind {
            Extreme::Max => x >= best,
            Extreme::Min => x <= best,
        }
    }

    /// Push a value; once `n` values were seen, returns `(extreme, bars since it)`.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<(f64, usize)> {
        let i = self.count;
        let n = self.ring.capacity();
        self.count += 1;
        self.ring.push(x);
        if n <= SMALL_WINDOW {
            return (self.count >= n).then(|| self.scan_small());
        }
        if i == 0 || self.beats(x, self.best) {
            self.best = x;
            self.best_at = i;
        } else if self.best_at + n <= i {
            self.rescan(i);
        }
        (self.count >= n).then_some((self.best, i - self.best_at))
    }

    /// Short windows are scanned whole every bar with branch-free selects: a handful of compare-and-blend
    /// instructions beat tracking, whose data-dependent branches mispredict on every other bar of a random walk.
    #[inline(always)]
    fn scan_small(&self) -> (f64, usize) {
        let (older, newer) = self.ring.as_slices();
        // Oldest first, so that on ties the later (newer) bar wins; two plain loops rather than a chained iterator.
        let (mut best, mut at) = (older.first().or(newer.first()).copied().unwrap_or(f64::NAN), 0usize);
        let mut k = 0;
        for part in [older, newer] {
            for &v in part {
                let take = self.beats(v, best);
                best = if take { v } else { best };
                at = if take { k } else { at };
                k += 1;
            }
        }
        (best, k - 1 - at)
    }

    /// Push a value; once `n` values were seen, returns the extreme alone. Cheaper than [`Self::push`] for short
    /// windows: without the age, the scan is a plain max/min reduction the compiler can interleave.
    #[inline(always)]
    pub fn push_value(&mut self, x: f64) -> Option<f64> {
        let n = self.ring.capacity();
        if n > SMALL_WINDOW {
            return self.push(x).map(|(v, _)| v);
        }
        self.count += 1;
        self.ring.push(x);
        if self.count < n {
            return None;
        }
        let (older, newer) = self.ring.as_slices();
        let values = older.iter().chain(newer).copied();
        // Oldest first, a later value winning ties, as everywhere (see `newest_wins`).
        Some(match self.kind {
            Extreme::Max => values.fold(f64::NEG_INFINITY, |a, v| newest_wins(Extreme::Max, a, v)),
            Extreme::Min => values.fold(f64::INFINITY, |a, v| newest_wins(Extreme::Min, a, v)),
        })
    }

    #[cold]
    fn rescan(&mut self, newest: usize) {
        let held = self.ring.len;
        let (mut best, mut at) = (f64::NAN, 0);
        for (k, v) in self.ring.iter().enumerate() {
            if k == 0 || self.beats(v, best) {
                best = v;
                at = k;
            }
        }
        self.best = best;
        self.best_at = newest + 1 - held + at;
    }
}

/// Highest high and lowest low of the last `n` bars (Donchian channels, stochastics, Williams %R, the squeeze).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RollingRange {
    high: RollingExtreme,
    low: RollingExtreme,
}

impl RollingRange {
    pub fn new(n: usize) -> Self {
        Self { high: RollingExtreme::new(n, Extreme::Max), low: RollingExtreme::new(n, Extreme::Min) }
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.high.window()
    }

    /// Push a bar's high and low; once `n` bars were seen, returns `(highest high, lowest low)`.
    #[inline(always)]
    pub fn push(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let hh = self.high.push_value(high);
        let ll = self.low.push_value(low);
        hh.zip(ll)
    }
}

/// Exponential moving average with smoothing factor `alpha`, seeded (as TA-Lib does) with the simple mean of the
/// first `seed` values; emits from the `seed`-th value on.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ema {
    alpha: f64,
    seed: usize,
    count: usize,
    value: f64,
}

impl Ema {
    /// How a fresh EMA catches up with one that saw the whole history.
    pub fn restart(&self) -> super::Restart {
        super::Restart::converges(1.0 - self.alpha, self.seed)
    }

    /// The standard `2 / (n + 1)` EMA of period `n`, seeded with the SMA of the first `n` values.
    pub fn new(n: usize) -> Self {
        Self::with_alpha(2.0 / (n as f64 + 1.0), n)
    }

    pub fn with_alpha(alpha: f64, seed: usize) -> Self {
        Self { alpha, seed: seed.max(1), count: 0, value: 0.0 }
    }

    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        // `count` stops at `seed`, so the state of a warm EMA is its value alone (compared at thread seams).
        if self.count < self.seed {
            self.count += 1;
            self.value += x;
            if self.count < self.seed {
                return None;
            }
            self.value /= self.seed as f64;
            return Some(self.value);
        }
        // `v (1 - a) + a x`: the chain from one bar's value to the next is one fused multiply-add (`a x` does
        // not depend on it), where `(x - v) a + v` was a subtraction and then a multiply-add.
        self.value = mul_add(self.value, 1.0 - self.alpha, self.alpha * x);
        Some(self.value)
    }

    /// The recursion once the seed is done, for a dense loop to run in registers (see [`Recursion`]).
    #[inline(always)]
    pub fn seeded(&self) -> Option<Recursion> {
        (self.count >= self.seed).then(|| Recursion::new(self.value, 1.0 - self.alpha, self.alpha))
    }

    /// Takes back the state a dense loop reached.
    #[inline(always)]
    pub fn resume(&mut self, r: Recursion) {
        self.value = r.value;
    }
}

/// The steady state of both smoothers, `value = value * keep + take * x` (EMA: `keep = 1 - alpha`, `take = alpha`;
/// Wilder: `(n - 1) / n` and `1 / n`), copied out of the smoother so that a dense loop keeps it in a register and
/// computes each bar with exactly the operations of `push`.
#[derive(Clone, Copy)]
pub struct Recursion {
    pub value: f64,
    keep: f64,
    take: f64,
    /// [`has_fma`], read once: a local the compiler can lift out of the loop (the global it caches is re-read on
    /// every call of [`mul_add`], a load and two tests per bar).
    fused: bool,
}

/// The loop of [`Recursion::run_chain`], the factors of stage `k` given by `keep(k)` and `take(k)`.
#[inline(always)]
fn chain_loop<const K: usize>(
    v: &mut [f64; K],
    xs: &[f64],
    fused: bool,
    keep: impl Fn(usize) -> f64,
    take: impl Fn(usize) -> f64,
    mut emit: impl FnMut(usize, [f64; K]),
) {
    if fused {
        for (i, &x) in xs.iter().enumerate() {
            let mut input = x;
            for (k, value) in v.iter_mut().enumerate() {
                *value = value.mul_add(keep(k), input * take(k));
                input = *value;
            }
            emit(i, *v);
        }
    } else {
        for (i, &x) in xs.iter().enumerate() {
            let mut input = x;
            for (k, value) in v.iter_mut().enumerate() {
                *value = *value * keep(k) + input * take(k);
                input = *value;
            }
            emit(i, *v);
        }
    }
}

impl Recursion {
    #[inline(always)]
    fn new(value: f64, keep: f64, take: f64) -> Self {
        Self { value, keep, take, fused: has_fma() }
    }

    /// The next value: exactly [`mul_add`]`(value, keep, x * take)`.
    #[inline(always)]
    pub fn next(&mut self, x: f64) -> f64 {
        self.value = if self.fused {
            self.value.mul_add(self.keep, x * self.take)
        } else {
            self.value * self.keep + x * self.take
        };
        self.value
    }

    /// [`Recursion::next`] over `xs`, `emit(i, value)` for each, with the FMA test outside the loop.
    #[inline(always)]
    pub fn run(&mut self, xs: &[f64], mut emit: impl FnMut(usize, f64)) {
        let (keep, take, mut v) = (self.keep, self.take, self.value);
        if self.fused {
            for (i, &x) in xs.iter().enumerate() {
                v = v.mul_add(keep, x * take);
                emit(i, v);
            }
        } else {
            for (i, &x) in xs.iter().enumerate() {
                v = v * keep + x * take;
                emit(i, v);
            }
        }
        self.value = v;
    }

    /// `K` recursions in a chain over `xs` (the first fed by `xs`, each next one by the one before),
    /// `emit(i, values)` for each bar: a bar's later stages overlap the next bar's earlier ones in the processor.
    #[inline(always)]
    pub fn run_chain<const K: usize>(rs: &mut [Self; K], xs: &[f64], emit: impl FnMut(usize, [f64; K])) {
        let keep: [f64; K] = std::array::from_fn(|k| rs[k].keep);
        let take: [f64; K] = std::array::from_fn(|k| rs[k].take);
        let mut v: [f64; K] = std::array::from_fn(|k| rs[k].value);
        let fused = rs.first().is_some_and(|r| r.fused);
        // Stages of one period (T3's six, TRIX's three, DEMA's, TEMA's) share one pair of factors. Written as
        // such, the loop needs two registers for them instead of 2K, and the values go to `emit` by value, not by
        // reference: with 2K factors (and T3's four output weights) or an array with an address, the compiler kept
        // the stages' values on the stack, a store and a reload in every chain every bar.
        if keep.iter().all(|&k| k.to_bits() == keep[0].to_bits())
            && take.iter().all(|&t| t.to_bits() == take[0].to_bits())
        {
            let (keep, take) = (keep[0], take[0]);
            chain_loop(&mut v, xs, fused, |_| keep, |_| take, emit);
        } else {
            chain_loop(&mut v, xs, fused, |k| keep[k], |k| take[k], emit);
        }
        for (r, value) in rs.iter_mut().zip(v) {
            r.value = value;
        }
    }

    /// Two recursions side by side over `xs` and `ys` (the same length), `emit(i, a, b)` for each: their chains
    /// overlap in the processor, where two loops one after the other would wait on each in turn.
    #[inline(always)]
    pub fn run_pair(a: &mut Self, b: &mut Self, xs: &[f64], ys: &[f64], mut emit: impl FnMut(usize, f64, f64)) {
        let (mut va, mut vb) = (a.value, b.value);
        let pairs = xs.iter().zip(ys).enumerate();
        if a.fused {
            for (i, (&x, &y)) in pairs {
                va = va.mul_add(a.keep, x * a.take);
                vb = vb.mul_add(b.keep, y * b.take);
                emit(i, va, vb);
            }
        } else {
            for (i, (&x, &y)) in pairs {
                va = va * a.keep + x * a.take;
                vb = vb * b.keep + y * b.take;
                emit(i, va, vb);
            }
        }
        (a.value, b.value) = (va, vb);
    }
}

/// Wilder's smoothing of period `n`: seeded with the mean of the first `n` values, then `(prev·(n−1) + x) / n`.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Wilder {
    n: usize,
    count: usize,
    value: f64,
    /// `(n - 1) / n` and `1 / n`: the recursion multiplies instead of dividing, which shortens its
    /// dependency chain several-fold (a division takes as long as four multiply-adds).
    keep: f64,
    take: f64,
}

impl Wilder {
    /// How a fresh smoother catches up with one that saw the whole history.
    pub fn restart(&self) -> super::Restart {
        super::Restart::converges(self.keep, self.n)
    }

    pub fn new(n: usize) -> Self {
        let n_f = n.max(1) as f64;
        Self { n, count: 0, value: 0.0, keep: (n_f - 1.0) / n_f, take: 1.0 / n_f }
    }

    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let n = self.n as f64;
        if self.count < self.n {
            self.count += 1;
            self.value += x;
            if self.count < self.n {
                return None;
            }
            self.value /= n;
            return Some(self.value);
        }
        self.value = mul_add(self.value, self.keep, x * self.take);
        Some(self.value)
    }

    /// The recursion once the seed is done, for a dense loop to run in registers (see [`Recursion`]).
    #[inline(always)]
    pub fn seeded(&self) -> Option<Recursion> {
        (self.count >= self.n).then(|| Recursion::new(self.value, self.keep, self.take))
    }

    /// Takes back the state a dense loop reached.
    #[inline(always)]
    pub fn resume(&mut self, r: Recursion) {
        self.value = r.value;
    }
}

/// Weighted moving average with linear weights 1..n (newest heaviest), in O(1) per step.
/// Steps between re-sums of a [`Wma`]. The error of its plain sum enters the weighted sum at every step, so that
/// drifts faster than a plain running sum: re-summed after at most 64 steps (still amortised O(1) for windows up
/// to 16).
fn wma_resum_interval(window: usize) -> usize {
    (window * 4).max(64)
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Wma {
    ring: Ring,
    sum: f64,
    weighted: f64,
    since_resum: usize,
}

impl Wma {
    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), sum: 0.0, weighted: 0.0, since_resum: 0 }
    }

    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let n = self.ring.capacity() as f64;
        match self.ring.push(x) {
            None => {
                self.weighted += x * self.ring.len as f64;
                self.sum += x;
            }
            Some(old) => {
                // Every held weight drops by one (subtract the plain sum), the newest enters with weight n.
                self.weighted += n * x - self.sum;
                self.sum += x - old;
                self.since_resum += 1;
                if self.since_resum >= wma_resum_interval(self.ring.capacity()) {
                    self.since_resum = 0;
                    self.sum = self.ring.iter().sum();
                    self.weighted = self.ring.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum();
                }
            }
        }
        self.ring.is_full().then(|| self.weighted / (n * (n + 1.0) / 2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_totals_of_a_block_equal_the_bar_by_bar_ones() {
        // Mixed magnitudes (each side of the Neumaier test), signed zeros, and a length that leaves a remainder.
        let mut xs: Vec<f64> = (0..1003)
            .map(|i| match i % 7 {
                0 => 1e16 * (i as f64).sin(),
                1 => -0.0,
                2 => 0.0,
                3 => 1e-3 * (i as f64).cos(),
                _ => (i as f64 * 0.37).tan(),
            })
            .collect();
        let mut one = CompensatedSum::default();
        let expected: Vec<u64> = xs.iter().map(|&x| one.add(x).to_bits()).collect();
        let mut blocks = CompensatedSum::default();
        let mut starts = Vec::new();
        blocks.add_all(&mut xs, |i| starts.push(i));
        assert_eq!(xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), expected);
        assert_eq!(starts, (0..1003 / 8).map(|b| b * 8).collect::<Vec<_>>());
        assert_eq!(
            (blocks.sum.to_bits(), blocks.compensation.to_bits()),
            (one.sum.to_bits(), one.compensation.to_bits())
        );
    }

    #[test]
    fn ring_reports_displaced_values_and_ages() {
        let mut r = Ring::new(3);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert_eq!(r.push(3.0), None);
        assert_eq!(r.push(4.0), Some(1.0));
        assert_eq!(r.ago(0), Some(4.0));
        assert_eq!(r.ago(2), Some(2.0));
        assert_eq!(r.ago(3), None);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn a_window_longer_than_the_series_costs_the_series() {
        // The fuzz finding: window 2^33 allocated 64 GiB before the first row.
        let mut r = Ring::new(1 << 33);
        for x in [1.0, 2.0, 3.0] {
            assert_eq!(r.push(x), None);
        }
        assert!(r.buf.capacity() <= RING_EAGER, "{}", r.buf.capacity());
        assert_eq!(
            (r.capacity(), r.is_full(), r.ago(0), r.ago(2), r.ago(3)),
            (1 << 33, false, Some(3.0), Some(1.0), None)
        );
        let mut m = RollingExtreme::new(1 << 33, Extreme::Min);
        assert_eq!((m.push(2.0), m.push(1.0)), (None, None));
    }

    #[test]
    fn a_growing_ring_matches_a_small_one() {
        // Past the eager size the buffer grows; once full it behaves as a ring of exactly `n`.
        let n = RING_EAGER * 3 + 5;
        let mut r = Ring::new(n);
        for i in 0..n {
            assert_eq!(r.push(i as f64), None);
        }
        assert!(r.is_full());
        assert_eq!(r.buf.len(), n);
        assert!(r.buf.capacity() < 2 * n);
        for i in n..3 * n {
            assert_eq!(r.push(i as f64), Some((i - n) as f64));
            assert_eq!(r.ago(n - 1), Some((i + 1 - n) as f64));
        }
        let held: Vec<f64> = r.iter().collect();
        assert_eq!(held, (2 * n..3 * n).map(|i| i as f64).collect::<Vec<_>>());
    }

    #[test]
    fn an_inconsistent_ring_is_refused_on_load() {
        let fields = |buf: Vec<f64>, cap, pos, len| Ring::try_from(RingFields { buf, cap, pos, len });
        assert!(fields(vec![0.0; 3], 3, 0, 0).is_ok());
        assert!(fields(vec![1.0, 2.0, 3.0], 3, 2, 3).is_ok());
        assert!(fields(vec![1.0; RING_EAGER], 1 << 40, 1, 1).is_ok());
        assert!(fields(vec![1.0; RING_EAGER + 2], 1 << 40, RING_EAGER + 2, RING_EAGER + 2).is_ok());
        for (buf, cap, pos, len) in [
            (vec![], 0, 0, 0),
            (vec![1.0; 3], 3, 3, 3),
            (vec![1.0; 2], 3, 0, 3),
            (vec![1.0; 4], 3, 0, 3),
            (vec![1.0; 3], 3, 1, 2),
            (vec![1.0; 1], 5, 2, 2),
            (vec![1.0; 1], 1 << 40, 1, 1),
            (vec![0.0; RING_EAGER + 1], 1 << 20, 0, 0),
        ] {
            assert!(fields(buf.clone(), cap, pos, len).is_err(), "{} {cap} {pos} {len}", buf.len());
        }
    }

    #[test]
    fn rolling_sum_stays_exact_after_many_resums() {
        let mut s = RollingSum::new(3);
        let mut last = None;
        for i in 0..100_000 {
            last = s.push(1e6 + (i % 7) as f64 * 0.1);
        }
        // last three values: i = 99997, 99998, 99999 -> i % 7 = 2, 3, 4
        let expected = 3e6 + (2.0 + 3.0 + 4.0) * 0.1;
        assert!((last.unwrap() - expected).abs() < 1e-6, "{last:?}");
    }

    #[test]
    fn rolling_moments_stay_accurate_on_a_volatile_walk_from_1e6() {
        // 1% steps from 1e6: the level wanders over orders of magnitude while windows stay narrow.
        let mut state = 7u64;
        let mut level = 1e6;
        let xs: Vec<f64> = (0..200_000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                level *= 1.0 + 0.02 * ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                level
            })
            .collect();
        for n in [2, 5, 20] {
            let mut m = RollingMoments::new(n);
            for (i, &x) in xs.iter().enumerate() {
                if let Some((_, m2)) = m.push(x) {
                    let w = &xs[i + 1 - n..=i];
                    let mean = w.iter().sum::<f64>() / n as f64;
                    let exact: f64 = w.iter().map(|v| (v - mean) * (v - mean)).sum();
                    let scale = w.iter().map(|v| v * v).sum::<f64>() * 1e-20;
                    assert!((m2 - exact).abs() <= 1e-9 * exact + scale, "n={n} row {i}: {m2} vs {exact}");
                }
            }
        }
    }

    #[test]
    fn rolling_moments_forget_a_large_value_that_left_the_window() {
        // Found by hypothesis: after 23171 leaves, the window [0, 0] must have exactly zero deviation.
        let mut m = RollingMoments::new(2);
        let got: Vec<f64> =
            [0.0, 23171.0, 3.473565643274924, 0.0, 0.0].iter().filter_map(|&x| m.push(x)).map(|(_, m2)| m2).collect();
        assert_eq!(got.last(), Some(&0.0), "{got:?}");
    }

    #[test]
    fn rolling_moments_match_two_pass_at_price_level_1e6() {
        let xs: Vec<f64> = (0..50_000).map(|i| 1e6 + ((i * 7919) % 101) as f64 * 0.01).collect();
        let n = 20;
        let mut m = RollingMoments::new(n);
        for (i, &x) in xs.iter().enumerate() {
            let got = m.push(x);
            if i + 1 >= n {
                let w = &xs[i + 1 - n..=i];
                let mean = w.iter().sum::<f64>() / n as f64;
                let m2: f64 = w.iter().map(|v| (v - mean) * (v - mean)).sum();
                let (gm, gm2) = got.unwrap();
                assert!((gm - mean).abs() < 1e-8, "row {i}: mean {gm} vs {mean}");
                assert!((gm2 - m2).abs() < 1e-6 * m2.max(1.0), "row {i}: {gm2} vs {m2}");
            } else {
                assert!(got.is_none());
            }
        }
    }

    #[test]
    fn rolling_moments_of_a_constant_window_after_a_long_trend_are_exact() {
        // The shift starts far below the later values; a constant window must still give exactly zero.
        let mut m = RollingMoments::new(2);
        for i in 0..1000 {
            m.push(2.0 + i as f64 * 0.173);
        }
        m.push(175.009995);
        let (mean, m2) = m.push(175.009995).unwrap();
        assert_eq!((mean, m2), (175.009995, 0.0));
        let (_, m2) = m.push(175.01).unwrap();
        let exact = (175.01f64 - 175.009995).powi(2) / 2.0;
        assert!((m2 - exact).abs() < 1e-9 * exact, "{m2} vs {exact}");
    }

    #[test]
    fn rolling_extreme_tracks_max_min_and_age() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut mx = RollingExtreme::new(3, Extreme::Max);
        let mut mn = RollingExtreme::new(3, Extreme::Min);
        let got: Vec<_> = xs.iter().map(|&x| (mx.push(x), mn.push(x))).collect();
        assert_eq!(got[1], (None, None));
        assert_eq!(got[2], (Some((4.0, 0)), Some((1.0, 1))));
        assert_eq!(got[3], (Some((4.0, 1)), Some((1.0, 0))));
        assert_eq!(got[7], (Some((9.0, 2)), Some((2.0, 1))));
    }

    #[test]
    fn ema_and_wilder_seed_with_the_simple_mean() {
        let mut e = Ema::new(3);
        assert_eq!(e.push(1.0), None);
        assert_eq!(e.push(2.0), None);
        assert_eq!(e.push(3.0), Some(2.0));
        assert_eq!(e.push(6.0), Some(4.0));
        let mut w = Wilder::new(2);
        assert_eq!(w.push(1.0), None);
        assert_eq!(w.push(3.0), Some(2.0));
        assert_eq!(w.push(4.0), Some(3.0));
    }

    #[test]
    fn wma_weights_newest_heaviest() {
        let mut w = Wma::new(3);
        w.push(1.0);
        w.push(2.0);
        assert_eq!(w.push(3.0), Some((1.0 + 4.0 + 9.0) / 6.0));
        assert_eq!(w.push(4.0), Some((2.0 + 6.0 + 12.0) / 6.0));
    }
}
