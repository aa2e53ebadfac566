//! Several bars per step for the blocks whose per-bar arithmetic allows it, with exactly the bits (and the state
//! afterwards) of pushing the same bars one at a time, so that live streams, which push bar by bar, stay
//! bit-identical to the batch.
//!
//! * A running sum is one chain of additions between two re-sums, and a chain that starts at a re-sum does not
//!   depend on the one before it: [`RollingSum::run_dense`] advances four such chains side by side.
//! * A short window's extreme is a fold over the window: [`window_extremes`] folds the windows of several
//!   consecutive bars at once, each in the same order as the bar-by-bar fold.

use std::mem::MaybeUninit;

use super::{resum_interval, Extreme, Ring, RollingExtreme, RollingMean, RollingRange, RollingSum, SMALL_WINDOW};

/// Chains advanced side by side in [`RollingSum::run_dense`].
const LANES: usize = 4;

impl Ring {
    /// The state `push`ing every value of `xs` would leave, given that `xs` holds at least `capacity` values: the
    /// last `capacity` values, each in the slot its push would have used.
    fn pushed_all(&mut self, xs: &[f64]) {
        let n = self.buf.len();
        let pos = (self.pos + xs.len()) % n;
        for (k, &v) in xs[xs.len() - n..].iter().enumerate() {
            self.buf[(pos + k) % n] = v;
        }
        self.pos = pos;
        self.len = n;
    }

    /// Push every value of `xs` (the displaced values are not returned); the same state as pushing them one by
    /// one.
    pub fn push_all(&mut self, xs: &[f64]) {
        if xs.len() >= self.buf.len() {
            self.pushed_all(xs);
        } else {
            for &v in xs {
                self.push(v);
            }
        }
    }
}

/// The `sum()` of the window `xs`, in the order (and from the neutral element) [`Ring::iter`]`().sum()` uses.
#[inline(always)]
fn fresh_sum(xs: &[f64]) -> f64 {
    xs.iter().copied().sum()
}

/// Writes the running sums of rows `from..to` into `out`, starting from `sum` (the sum at row `from - 1`); returns
/// the last.
#[inline(always)]
fn chain(xs: &[f64], out: &mut [MaybeUninit<f64>], n: usize, from: usize, to: usize, mut sum: f64) -> f64 {
    for i in from..to {
        sum += xs[i] - xs[i - n];
        out[i].write(sum);
    }
    sum
}

impl RollingSum {
    /// [`RollingSum::push`] over `xs`, writing `finish(window sum)` (NaN before the window is full) to `out`; the
    /// same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense(&mut self, xs: &[f64], out: &mut [MaybeUninit<f64>], finish: impl Fn(f64) -> f64) {
        let n = self.ring.capacity();
        let every = resum_interval(n);
        let len = xs.len();
        // The first n bars one by one (they displace bars held by the ring), then bar i displaces xs[i - n]. A run
        // too short for one whole chain gains nothing.
        let head = if len < 2 * n + every { len } else { n };
        for i in 0..head {
            out[i].write(self.push(xs[i]).map_or(f64::NAN, &finish));
        }
        if head == len {
            return;
        }
        // From row n on the ring was full before every push: a push counts one step, and the step that reaches
        // `every` re-sums. `first` is the first re-sum row.
        let since = self.since_resum;
        let first = n + (every - 1 - since);
        let mut sum = chain(xs, out, n, n, first.min(len), self.sum);
        let mut r = first;
        // Groups of whole chains, each from its re-sum row to the row before the next one.
        while r + LANES * every <= len {
            let mut s: [f64; LANES] = std::array::from_fn(|k| fresh_sum(&xs[r + k * every + 1 - n..=r + k * every]));
            for (k, &v) in s.iter().enumerate() {
                out[r + k * every].write(v);
            }
            for t in 1..every {
                for (k, acc) in s.iter_mut().enumerate() {
                    let i = r + k * every + t;
                    *acc += xs[i] - xs[i - n];
                    out[i].write(*acc);
                }
            }
            sum = s[LANES - 1];
            r += LANES * every;
        }
        // The remaining chains one after another, the last one possibly cut short by the end of the run.
        while r < len {
            let s = fresh_sum(&xs[r + 1 - n..=r]);
            out[r].write(s);
            sum = chain(xs, out, n, r + 1, (r + every).min(len), s);
            r += every;
        }
        for slot in &mut out[n..] {
            // SAFETY: every row from n on was written above (the chains cover n..len).
            let s = unsafe { slot.assume_init() };
            slot.write(finish(s));
        }
        self.sum = sum;
        self.since_resum = (since + len - n) % every;
        self.ring.pushed_all(&xs[n..]);
    }
}

impl RollingMean {
    /// [`RollingMean::push`] over `xs` into `out` (NaN before the window is full); the same bits and state.
    #[inline(always)]
    pub fn run_dense(&mut self, xs: &[f64], out: &mut [MaybeUninit<f64>]) {
        let n = self.n;
        self.sum.run_dense(xs, out, |s| s / n);
    }
}

impl RollingExtreme {
    /// Whether [`window_extremes`] applies: a window short enough to be folded whole every bar.
    pub fn folds_whole_window(&self) -> bool {
        self.ring.capacity() <= SMALL_WINDOW
    }

    /// [`RollingExtreme::push_value`] over `xs` into `out` (NaN before the window is full), for a window that
    /// [`Self::folds_whole_window`]; the same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense_values(&mut self, xs: &[f64], out: &mut [f64]) {
        let n = self.ring.capacity();
        let len = xs.len();
        // Rows whose window reaches back before `xs` one by one; from row n - 1 on the window lies in `xs`. Short
        // runs, and the start of a series (the window not yet full at row n - 1), go bar by bar.
        let head = (n - 1).min(len);
        let dense = len >= 2 * n && self.count + head + 1 >= n;
        let upto = if dense { head } else { len };
        for i in 0..upto {
            out[i] = self.push_value(xs[i]).unwrap_or(f64::NAN);
        }
        if !dense {
            return;
        }
        window_extremes(self.kind, xs, n, &mut out[head..]);
        self.count += len - head;
        self.ring.push_all(&xs[head..]);
    }
}

impl RollingRange {
    /// Whether [`Self::run_dense`] folds whole windows (short windows) rather than going bar by bar.
    pub fn folds_whole_window(&self) -> bool {
        self.high.folds_whole_window()
    }

    /// [`RollingRange::push`] over `highs` and `lows`: the highest highs into `hh`, the lowest lows into `ll` (NaN
    /// before the window is full); the same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense(&mut self, highs: &[f64], lows: &[f64], hh: &mut [f64], ll: &mut [f64]) {
        if self.folds_whole_window() {
            self.high.run_dense_values(highs, hh);
            self.low.run_dense_values(lows, ll);
            return;
        }
        for i in 0..highs.len() {
            let (h, l) = self.push(highs[i], lows[i]).unwrap_or((f64::NAN, f64::NAN));
            hh[i] = h;
            ll[i] = l;
        }
    }
}

/// `out[i]` = the extreme of `xs[i..i + n]`, folded oldest first exactly as [`RollingExtreme::push_value`] folds
/// its window (a later value replaces the extreme only when strictly beyond it), several windows at a time.
#[inline(always)]
fn window_extremes(kind: Extreme, xs: &[f64], n: usize, out: &mut [f64]) {
    // One loop per kind, so that the comparison inside is fixed and the loop vectorises.
    match kind {
        Extreme::Max => fold_windows(xs, n, out, f64::NEG_INFINITY, |v, a| v > a),
        Extreme::Min => fold_windows(xs, n, out, f64::INFINITY, |v, a| v < a),
    }
}

#[inline(always)]
fn fold_windows(xs: &[f64], n: usize, out: &mut [f64], start: f64, beyond: impl Fn(f64, f64) -> bool) {
    const W: usize = 8;
    let m = out.len();
    debug_assert!(xs.len() >= m + n - 1);
    let mut i = 0;
    while i + W <= m {
        let mut acc = [start; W];
        for j in 0..n {
            let w: &[f64; W] = xs[i + j..i + j + W].try_into().unwrap_or_else(|_| unreachable!("W values"));
            for k in 0..W {
                acc[k] = if beyond(w[k], acc[k]) { w[k] } else { acc[k] };
            }
        }
        out[i..i + W].copy_from_slice(&acc);
        i += W;
    }
    for (k, slot) in out[i..].iter_mut().enumerate() {
        *slot = xs[i + k..i + k + n].iter().fold(start, |a, &v| if beyond(v, a) { v } else { a });
    }
}
