//! Several bars per step for the blocks whose per-bar arithmetic allows it, with exactly the bits (and the state
//! afterwards) of pushing the same bars one at a time, so that live streams, which push bar by bar, stay
//! bit-identical to the batch.
//!
//! * A running sum is one chain of additions between two re-sums, and a chain that starts at a re-sum does not
//!   depend on the one before it: [`RollingSum::run_dense`] advances four such chains side by side.
//! * A window's extreme is a fold of a selection (the largest value, the newest of equal ones), which any grouping
//!   of the window gives alike: [`van_herk`] builds every window from two partial folds.

use std::mem::MaybeUninit;

use super::{
    newest_wins, recentre_interval, resum_interval, wma_resum_interval, Extreme, Ring, RollingExtreme, RollingMean,
    RollingMoments, RollingRange, RollingSum, Wma, ZeroAwareSum, SMALL_WINDOW,
};

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
        if self.is_full() && xs.len() >= self.cap {
            self.pushed_all(xs);
        } else {
            for &v in xs {
                self.push(v);
            }
        }
    }

    /// `out[i] = f(xs[i], the value n pushes before it)` (NaN while there is none) for every value of `xs`,
    /// pushed; the same bits and state as pushing them one by one. From row n on, that value lies in `xs`.
    #[inline(always)]
    pub fn run_dense_lagged(&mut self, xs: &[f64], out: &mut [MaybeUninit<f64>], f: impl Fn(f64, f64) -> f64) {
        let n = self.cap;
        let head = n.min(xs.len());
        for i in 0..head {
            out[i].write(self.push(xs[i]).map_or(f64::NAN, |old| f(xs[i], old)));
        }
        for i in head..xs.len() {
            out[i].write(f(xs[i], xs[i - n]));
        }
        self.push_all(&xs[head..]);
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

/// Advances one running sum over rows `from..to` (each displacing the bar n rows back, all in `xs`), re-summing
/// at row `*next` and every `every` rows after; writes each row's sum to `out`.
#[inline(always)]
fn advance(
    xs: &[f64],
    out: &mut [MaybeUninit<f64>],
    (n, every): (usize, usize),
    (from, to): (usize, usize),
    sum: &mut f64,
    next: &mut usize,
) {
    let mut i = from;
    while i < to {
        let stop = (*next).min(to);
        *sum = chain(xs, out, n, i, stop, *sum);
        i = stop;
        if i < to {
            *sum = fresh_sum(&xs[i + 1 - n..=i]);
            out[i].write(*sum);
            *next += every;
            i += 1;
        }
    }
}

impl RollingSum {
    /// `K` running sums over one tile, sum `k` pushing `xs[k]` and writing its window sums (NaN before the window
    /// is full) to `out[k]`: the same bits and state as pushing bar by bar, but the sums advance in one loop, so
    /// that their chains of additions overlap instead of running one after another.
    #[inline(always)]
    pub fn run_dense_together<const K: usize>(
        sums: [&mut RollingSum; K],
        xs: [&[f64]; K],
        mut out: [&mut [MaybeUninit<f64>]; K],
    ) {
        let len = xs.first().map_or(0, |x| x.len());
        let n: [usize; K] = std::array::from_fn(|k| sums[k].ring.capacity());
        let every = n.map(resum_interval);
        // Each sum's first n rows displace bars pushed before the tile.
        for k in 0..K {
            for i in 0..n[k].min(len) {
                out[k][i].write(sums[k].push(xs[k][i]).unwrap_or(f64::NAN));
            }
        }
        let since = sums.each_ref().map(|s| s.since_resum);
        let mut sum = sums.each_ref().map(|s| s.sum);
        // The row of each sum's next re-sum (see `run_dense`).
        let mut next: [usize; K] = std::array::from_fn(|k| n[k] + (every[k] - 1 - since[k]));
        // Rows up to the longest window each sum alone, then all of them together.
        let together = n.iter().copied().max().unwrap_or(0).min(len);
        for k in 0..K {
            let from = n[k].min(len);
            advance(xs[k], out[k], (n[k], every[k]), (from, together), &mut sum[k], &mut next[k]);
        }
        let mut i = together;
        while i < len {
            let stop = next.iter().copied().min().unwrap_or(len).min(len);
            // Each sum's rows i..stop as equal-length slices, so that the loop needs no bounds checks; every
            // step reads all its terms before it writes a sum, so no load waits on a store that merely shares
            // its address bits (the scratch columns lie a power of two apart).
            let new: [&[f64]; K] = std::array::from_fn(|k| &xs[k][i..stop]);
            let old: [&[f64]; K] = std::array::from_fn(|k| &xs[k][i - n[k]..stop - n[k]]);
            let rows = out.each_mut().map(|o| &mut o[i..stop]);
            for r in 0..stop - i {
                let step: [f64; K] = std::array::from_fn(|k| new[k][r] - old[k][r]);
                for k in 0..K {
                    sum[k] += step[k];
                    rows[k][r].write(sum[k]);
                }
            }
            i = stop;
            if i < len {
                for k in 0..K {
                    advance(xs[k], out[k], (n[k], every[k]), (i, i + 1), &mut sum[k], &mut next[k]);
                }
                i += 1;
            }
        }
        for k in 0..K {
            if n[k] < len {
                sums[k].sum = sum[k];
                sums[k].since_resum = (since[k] + len - n[k]) % every[k];
                sums[k].ring.push_all(&xs[k][n[k]..]);
            }
        }
    }
}

impl ZeroAwareSum {
    /// [`ZeroAwareSum::push`] over a tile for several counted sums at once (sum `k` over `xs[k]`), writing each
    /// window's sum (NaN until the window is full) to `out[k]`; the same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense_together<const K: usize>(
        sums: [&mut ZeroAwareSum; K],
        xs: [&[f64]; K],
        mut out: [&mut [MaybeUninit<f64>]; K],
    ) {
        let mut sums = sums;
        RollingSum::run_dense_together(sums.each_mut().map(|s| &mut s.sum), xs, out.each_mut().map(|o| &mut **o));
        for k in 0..K {
            sums[k].zero_empty_windows(xs[k], out[k]);
        }
    }

    /// Counts the runs of zeros in `xs` on from the run before it, writing 0 to `out` where one fills the window.
    /// Only a window ending on a zero can be empty, so a tile without zeros (the common case) is one vector scan.
    #[inline(always)]
    fn zero_empty_windows(&mut self, xs: &[f64], out: &mut [MaybeUninit<f64>]) {
        let n = self.window();
        if !xs.iter().fold(false, |any, &x| any | (x == 0.0)) {
            if !xs.is_empty() {
                self.zeros = 0;
            }
            return;
        }
        let mut zeros = self.zeros;
        for (x, slot) in xs.iter().zip(out) {
            zeros = if *x == 0.0 { (zeros + 1).min(n) } else { 0 };
            if zeros == n {
                slot.write(0.0);
            }
        }
        self.zeros = zeros;
    }
}

impl Wma {
    /// [`Wma::push`] over `xs` into `out` (NaN before the window is full), with the same bits and state: once the
    /// ring is full, the bar displaced is read from `xs` itself rather than through the ring.
    #[inline(always)]
    pub fn run_dense(&mut self, xs: &[f64], out: &mut [MaybeUninit<f64>]) {
        let cap = self.ring.capacity();
        let len = xs.len();
        // A bar from `cap` on displaces bar i - cap of `xs`, and the ring is full before it (it lacks at most `cap`).
        let head = cap.min(len);
        for i in 0..head {
            out[i].write(self.push(xs[i]).unwrap_or(f64::NAN));
        }
        if head == len {
            return;
        }
        let n = cap as f64;
        let denominator = n * (n + 1.0) / 2.0;
        let every = wma_resum_interval(cap);
        let (mut sum, mut weighted, mut since) = (self.sum, self.weighted, self.since_resum);
        for i in head..len {
            let x = xs[i];
            weighted += n * x - sum;
            sum += x - xs[i - cap];
            since += 1;
            if since >= every {
                since = 0;
                let window = &xs[i + 1 - cap..=i];
                sum = window.iter().sum();
                weighted = window.iter().enumerate().map(|(k, v)| (k + 1) as f64 * v).sum();
            }
            out[i].write(weighted / denominator);
        }
        (self.sum, self.weighted, self.since_resum) = (sum, weighted, since);
        self.ring.pushed_all(xs);
    }
}

impl RollingMoments {
    /// [`RollingMoments::push`] over `xs`, `emit(i, moments)` for each bar, with the same bits and state: once the
    /// ring is full the bar displaced is read from `xs`, and a recentre sums the window's slice of `xs`.
    #[inline(always)]
    pub fn run_dense(&mut self, xs: &[f64], mut emit: impl FnMut(usize, Option<(f64, f64)>)) {
        let cap = self.ring.capacity();
        let len = xs.len();
        // A bar from `cap` on displaces bar i - cap of `xs`, and the ring is full before it.
        let head = cap.min(len);
        for (i, &x) in xs[..head].iter().enumerate() {
            emit(i, self.push(x));
        }
        if head == len {
            return;
        }
        let inv_n = 1.0 / cap as f64;
        let every = recentre_interval(cap);
        let (mut shift, mut s1, mut s2, mut peak, mut since) =
            (self.shift, self.s1, self.s2, self.peak, self.since_recentre);
        let recentre = |window: &[f64], shift: f64| {
            let (mut s1, mut s2, mut peak) = (0.0, 0.0, 0.0f64);
            for &v in window {
                let d = v - shift;
                s1 += d;
                s2 += d * d;
                peak = peak.max(d * d);
            }
            (s1, s2, peak)
        };
        for i in head..len {
            let x = xs[i];
            let d = x - shift;
            peak = peak.max(d * d);
            let o = xs[i - cap] - shift;
            s1 += d - o;
            s2 += (d - o) * (d + o);
            since += 1;
            let window = &xs[i + 1 - cap..=i];
            if since >= every {
                (since, shift) = (0, x);
                (s1, s2, peak) = recentre(window, shift);
            }
            let mut m2 = s2 - s1 * s1 * inv_n;
            let cancelled = m2 < s2 * 1e-3 || s2 < peak * 1e-3;
            if cancelled && since != 0 {
                (since, shift) = (0, x);
                (s1, s2, peak) = recentre(window, shift);
                m2 = s2 - s1 * s1 * inv_n;
            }
            emit(i, Some((shift + s1 * inv_n, m2.max(0.0))));
        }
        (self.shift, self.s1, self.s2, self.peak, self.since_recentre) = (shift, s1, s2, peak, since);
        self.ring.pushed_all(xs);
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
    /// [`RollingExtreme::push_value`] over `xs` into `out` (NaN before the window is full); the same bits and state
    /// as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense_values(&mut self, xs: &[f64], out: &mut [f64]) {
        let Some(head) = self.dense_head(xs, |i, e| out[i] = e.push_value(xs[i]).unwrap_or(f64::NAN)) else { return };
        let (n, out) = (self.window(), &mut out[head..]);
        // A short window folded whole for eight bars at a time is a few vector instructions per bar, cheaper than
        // the three dependent picks per bar of `van_herk`.
        match (self.kind, n <= SMALL_WINDOW) {
            (Extreme::Max, true) => fold_windows(xs, n, out, f64::NEG_INFINITY, |a, b| newest_wins(Extreme::Max, a, b)),
            (Extreme::Min, true) => fold_windows(xs, n, out, f64::INFINITY, |a, b| newest_wins(Extreme::Min, a, b)),
            (Extreme::Max, false) => van_herk(xs.len(), n, out, |j| xs[j], |a, b| newest_wins(Extreme::Max, a, b)),
            (Extreme::Min, false) => van_herk(xs.len(), n, out, |j| xs[j], |a, b| newest_wins(Extreme::Min, a, b)),
        }
        self.pushed_dense(&xs[head..]);
    }

    /// [`RollingExtreme::push`] over `xs`, writing the bars since each window's extreme to `ages` (NaN before the
    /// window is full); the same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense_ages(&mut self, xs: &[f64], ages: &mut [f64]) {
        for (xs, ages) in xs.chunks(DENSE_EXTREME_TILE).zip(ages.chunks_mut(DENSE_EXTREME_TILE)) {
            self.tile_ages(xs, ages);
        }
    }

    #[inline(always)]
    fn tile_ages(&mut self, xs: &[f64], ages: &mut [f64]) {
        let age_of = |e: Option<(f64, usize)>| e.map_or(f64::NAN, |(_, age)| age as f64);
        let Some(head) = self.dense_head(xs, |i, e| ages[i] = age_of(e.push(xs[i]))) else { return };
        // The extremes with their rows, in scratch on the stack; ties to the newest row as in `push`.
        let n = self.window();
        let mut found = [(0.0, 0usize); DENSE_EXTREME_TILE];
        let found = &mut found[..xs.len() - head];
        let at = |j: usize| (xs[j], j);
        match self.kind {
            Extreme::Max => van_herk(xs.len(), n, found, at, |a, b| if a.0 > b.0 { a } else { b }),
            Extreme::Min => van_herk(xs.len(), n, found, at, |a, b| if a.0 < b.0 { a } else { b }),
        }
        for (j, (&(_, row), age)) in found.iter().zip(&mut ages[head..]).enumerate() {
            *age = (j + n - 1 - row) as f64;
        }
        self.pushed_dense(&xs[head..]);
    }

    /// The rows of `xs` whose window reaches back before it, pushed one by one through `bar_by_bar(row, self)`;
    /// returns how many, or `None` when the whole run went that way (a run shorter than two windows gains nothing).
    #[inline(always)]
    fn dense_head(&mut self, xs: &[f64], mut bar_by_bar: impl FnMut(usize, &mut Self)) -> Option<usize> {
        let n = self.window();
        let head = if xs.len() < 2 * n { xs.len() } else { n - 1 };
        for i in 0..head {
            bar_by_bar(i, self);
        }
        (head < xs.len()).then_some(head)
    }

    /// The state pushing `xs` after the head would leave: the window, the count and the tracked extreme.
    fn pushed_dense(&mut self, xs: &[f64]) {
        self.count += xs.len();
        self.ring.push_all(xs);
        if self.window() > SMALL_WINDOW {
            self.rescan(self.count - 1);
        }
    }
}

/// Rows per tile of [`RollingExtreme::run_dense_ages`] (and of the Aroon kernels), whose scratch is on the stack.
pub const DENSE_EXTREME_TILE: usize = 4096;

impl RollingRange {
    /// [`RollingRange::push`] over `highs` and `lows`: the highest highs into `hh`, the lowest lows into `ll` (NaN
    /// before the window is full); the same bits and state as pushing bar by bar.
    #[inline(always)]
    pub fn run_dense(&mut self, highs: &[f64], lows: &[f64], hh: &mut [f64], ll: &mut [f64]) {
        self.high.run_dense_values(highs, hh);
        self.low.run_dense_values(lows, ll);
    }
}

/// Blocks advanced side by side in [`van_herk`], so that the picks of independent blocks overlap.
const BLOCK_LANES: usize = 4;

/// `out[j]` = `pick` folded over items `j..j + n` (oldest first, `pick(older, newer)`), for the `len + 1 - n`
/// windows of `len` items read by `item`, by van Herk's and Gil-Werman's method: cut into blocks of `n` items, a
/// window is the end of one block followed by the start of the next, so one backward pass (every block's suffix
/// folds) and one forward pass (its prefix folds) give every window with three picks per item whatever `n` is.
/// `pick` must select one of its arguments by a fixed rule (the largest, the newest of equal ones): then any
/// grouping of a window selects the same item, and the result has the bits of the plain fold.
#[inline(always)]
fn van_herk<T: Copy>(len: usize, n: usize, out: &mut [T], item: impl Fn(usize) -> T, pick: impl Fn(T, T) -> T) {
    const L: usize = BLOCK_LANES;
    let m = out.len();
    debug_assert_eq!(m + n, len + 1);
    // Backward: out[j] = the fold of j's block from j on. A block that holds a window start lies whole in the items.
    let mut k = 0;
    while (k + L) * n <= m {
        let mut acc: [T; L] = std::array::from_fn(|l| item((k + l) * n + n - 1));
        for (l, &a) in acc.iter().enumerate() {
            out[(k + l) * n + n - 1] = a;
        }
        for t in (0..n - 1).rev() {
            for (l, a) in acc.iter_mut().enumerate() {
                let j = (k + l) * n + t;
                *a = pick(item(j), *a);
                out[j] = *a;
            }
        }
        k += L;
    }
    while k * n < m {
        let end = (k + 1) * n;
        let mut acc = item(end - 1);
        for j in (k * n..end - 1).rev() {
            acc = pick(item(j), acc);
            if j < m {
                out[j] = acc;
            }
        }
        if end - 1 < m {
            out[end - 1] = item(end - 1);
        }
        k += 1;
    }
    // Forward: the window ending at item e of block k >= 1, short of the block's last item, starts at j = e + 1 - n
    // in block k - 1: the suffix there, then block k's prefix up to e. (A window that starts a block is that block
    // whole, which the backward pass gave.)
    let mut k = 1;
    while (k + L) * n <= len {
        let mut acc: [T; L] = std::array::from_fn(|l| item((k + l) * n));
        for t in 0..n - 1 {
            for (l, a) in acc.iter_mut().enumerate() {
                let e = (k + l) * n + t;
                if t > 0 {
                    *a = pick(*a, item(e));
                }
                out[e + 1 - n] = pick(out[e + 1 - n], *a);
            }
        }
        k += L;
    }
    while k * n < len {
        let start = k * n;
        let mut acc = item(start);
        for e in start..(start + n - 1).min(len) {
            if e > start {
                acc = pick(acc, item(e));
            }
            out[e + 1 - n] = pick(out[e + 1 - n], acc);
        }
        k += 1;
    }
}

/// `out[i]` = the extreme of `xs[i..i + n]` folded oldest first from `start` by `pick(older, newer)`, as
/// [`RollingExtreme::push_value`] folds a short window, eight windows at a time.
#[inline(always)]
fn fold_windows(xs: &[f64], n: usize, out: &mut [f64], start: f64, pick: impl Fn(f64, f64) -> f64) {
    const W: usize = 8;
    let m = out.len();
    debug_assert!(xs.len() >= m + n - 1);
    let mut i = 0;
    while i + W <= m {
        let mut acc = [start; W];
        for j in 0..n {
            let w: &[f64; W] = xs[i + j..i + j + W].try_into().unwrap_or_else(|_| unreachable!("W values"));
            for k in 0..W {
                acc[k] = pick(acc[k], w[k]);
            }
        }
        out[i..i + W].copy_from_slice(&acc);
        i += W;
    }
    for (k, slot) in out[i..].iter_mut().enumerate() {
        *slot = xs[i + k..i + k + n].iter().fold(start, |a, &v| pick(a, v));
    }
}

#[cfg(test)]
mod tests {
    use super::van_herk;

    #[test]
    fn van_herk_selects_the_item_of_the_plain_fold_for_every_length_and_window() {
        // Few distinct values, so that ties are common; the item's row tells which of equal values was kept.
        let xs: Vec<f64> = (0..70u64).map(|i| ((i * 7919) % 5) as f64).collect();
        let newest_largest = |a: (f64, usize), b: (f64, usize)| if a.0 > b.0 { a } else { b };
        for len in 1..=xs.len() {
            for n in 1..=len {
                let mut got = vec![(f64::NAN, usize::MAX); len + 1 - n];
                van_herk(len, n, &mut got, |j| (xs[j], j), newest_largest);
                for (j, g) in got.iter().enumerate() {
                    let want = (j + 1..j + n).fold((xs[j], j), |a, k| newest_largest(a, (xs[k], k)));
                    assert_eq!(*g, want, "len {len}, window {n}, start {j}");
                }
            }
        }
    }
}
