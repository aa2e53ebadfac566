//! Building blocks shared by many kernels: ring buffers, running window sums and moments, monotonic deques for
//! window extremes, and the two recursive smoothers (EMA and Wilder's) with TA-Lib's seeding.

use std::collections::VecDeque;

/// How many steps a running sum may take before it is re-summed from its window, bounding drift over long series.
fn resum_interval(window: usize) -> usize {
    (window * 4).max(4096)
}

/// The last `n` values pushed.
#[derive(Clone)]
pub struct Ring {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
}

impl Ring {
    pub fn new(n: usize) -> Self {
        Self { buf: vec![0.0; n.max(1)], pos: 0, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Push a value; once full, returns the value it displaced (the one `n` pushes ago).
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let old = self.buf[self.pos];
        self.buf[self.pos] = x;
        self.pos += 1;
        if self.pos == self.buf.len() {
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            Some(old)
        } else {
            self.len += 1;
            None
        }
    }

    /// The value pushed `k` pushes ago (`k = 0` is the newest); `None` if not that many were pushed.
    pub fn ago(&self, k: usize) -> Option<f64> {
        if k >= self.len {
            return None;
        }
        let n = self.buf.len();
        Some(self.buf[(self.pos + n - 1 - k) % n])
    }

    /// The values held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let n = self.buf.len();
        let start = (self.pos + n - self.len) % n;
        (0..self.len).map(move |i| self.buf[(start + i) % n])
    }
}

/// Sum of the last `n` values, re-summed periodically so it does not drift.
#[derive(Clone)]
pub struct RollingSum {
    ring: Ring,
    sum: f64,
    since_resum: usize,
}

impl RollingSum {
    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), sum: 0.0, since_resum: 0 }
    }

    /// Push a value; returns the window sum once `n` values were seen.
    #[inline]
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

/// Mean and sum of squared deviations of the last `n` values, accurate at any price level: sums are kept of the
/// values minus a shift near the current level, and the shift is re-centred (and the sums recomputed) periodically.
#[derive(Clone)]
pub struct RollingMoments {
    ring: Ring,
    shift: f64,
    s1: f64,
    s2: f64,
    since_resum: usize,
}

impl RollingMoments {
    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), shift: f64::NAN, s1: 0.0, s2: 0.0, since_resum: 0 }
    }

    /// Push a value; once `n` values were seen, returns `(mean, sum of squared deviations)` over the window.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<(f64, f64)> {
        if self.shift.is_nan() {
            self.shift = x;
        }
        let d = x - self.shift;
        match self.ring.push(x) {
            None => {
                self.s1 += d;
                self.s2 += d * d;
            }
            Some(old) => {
                let o = old - self.shift;
                self.s1 += d - o;
                self.s2 += d * d - o * o;
                self.since_resum += 1;
                if self.since_resum >= resum_interval(self.ring.capacity()) {
                    self.since_resum = 0;
                    self.recentre();
                }
            }
        }
        if !self.ring.is_full() {
            return None;
        }
        let n = self.ring.capacity() as f64;
        let mut m2 = self.s2 - self.s1 * self.s1 / n;
        if m2 < self.s2 * 1e-3 {
            // The window has drifted far from the shift (or is nearly constant): the difference above cancelled
            // more than three digits. Re-centre on the window so the moments stay accurate to the last digits.
            self.since_resum = 0;
            self.recentre();
            m2 = self.s2 - self.s1 * self.s1 / n;
        }
        Some((self.shift + self.s1 / n, m2.max(0.0)))
    }

    /// Shift to the held value nearest the window's mean (so a constant window sums exact zeros, and the shift's
    /// offset from the mean adds at most the window's own variance) and re-sum the shifted sums.
    fn recentre(&mut self) {
        let n = self.ring.len as f64;
        let mean = self.ring.iter().sum::<f64>() / n;
        self.shift = self.ring.iter().fold(f64::NAN, |best, v| {
            if best.is_nan() || (v - mean).abs() < (best - mean).abs() {
                v
            } else {
                best
            }
        });
        let shift = self.shift;
        self.s1 = self.ring.iter().map(|v| v - shift).sum();
        self.s2 = self.ring.iter().map(|v| (v - shift) * (v - shift)).sum();
    }
}

/// Neumaier-compensated running total, so a cumulative line does not drift over long series.
#[derive(Default, Clone, Copy)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Add `x`; returns the running total.
    #[inline]
    pub fn add(&mut self, x: f64) -> f64 {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
        self.sum + self.compensation
    }
}

/// Which extreme a [`RollingExtreme`] tracks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

/// Maximum or minimum of the last `n` values in amortised O(1) (monotonic deque), with the age of the extreme.
#[derive(Clone)]
pub struct RollingExtreme {
    n: usize,
    kind: Extreme,
    count: usize,
    deque: VecDeque<(usize, f64)>,
}

impl RollingExtreme {
    pub fn new(n: usize, kind: Extreme) -> Self {
        Self { n, kind, count: 0, deque: VecDeque::with_capacity(n + 1) }
    }

    /// Push a value; once `n` values were seen, returns `(extreme, bars since it)`. Ties go to the most recent bar.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<(f64, usize)> {
        let i = self.count;
        self.count += 1;
        let dominated = |v: f64| match self.kind {
            Extreme::Max => v <= x,
            Extreme::Min => v >= x,
        };
        while self.deque.back().is_some_and(|&(_, v)| dominated(v)) {
            self.deque.pop_back();
        }
        self.deque.push_back((i, x));
        while self.deque.front().is_some_and(|&(j, _)| j + self.n <= i) {
            self.deque.pop_front();
        }
        if self.count < self.n {
            return None;
        }
        let &(j, v) = self.deque.front().expect("the newest value is always held");
        Some((v, i - j))
    }
}

/// Maximum or minimum of the last `n` values where ties go to the *oldest* bar, as TA-Lib's AROON reports them.
#[derive(Clone)]
pub struct RollingExtremeOldest {
    inner: RollingExtreme,
}

impl RollingExtremeOldest {
    pub fn new(n: usize, kind: Extreme) -> Self {
        Self { inner: RollingExtreme::new(n, kind) }
    }

    pub fn push(&mut self, x: f64) -> Option<(f64, usize)> {
        let i = self.inner.count;
        self.inner.count += 1;
        let dominated = |v: f64| match self.inner.kind {
            Extreme::Max => v < x,
            Extreme::Min => v > x,
        };
        while self.inner.deque.back().is_some_and(|&(_, v)| dominated(v)) {
            self.inner.deque.pop_back();
        }
        self.inner.deque.push_back((i, x));
        while self.inner.deque.front().is_some_and(|&(j, _)| j + self.inner.n <= i) {
            self.inner.deque.pop_front();
        }
        if self.inner.count < self.inner.n {
            return None;
        }
        let &(j, v) = self.inner.deque.front().expect("the newest value is always held");
        Some((v, i - j))
    }
}

/// Exponential moving average with smoothing factor `alpha`, seeded (as TA-Lib does) with the simple mean of the
/// first `seed` values; emits from the `seed`-th value on.
#[derive(Clone)]
pub struct Ema {
    alpha: f64,
    seed: usize,
    count: usize,
    value: f64,
}

impl Ema {
    /// The standard `2 / (n + 1)` EMA of period `n`, seeded with the SMA of the first `n` values.
    pub fn new(n: usize) -> Self {
        Self::with_alpha(2.0 / (n as f64 + 1.0), n)
    }

    pub fn with_alpha(alpha: f64, seed: usize) -> Self {
        Self { alpha, seed: seed.max(1), count: 0, value: 0.0 }
    }

    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        if self.count < self.seed {
            self.count += 1;
            self.value += x;
            if self.count < self.seed {
                return None;
            }
            self.value /= self.seed as f64;
            return Some(self.value);
        }
        self.value = (x - self.value) * self.alpha + self.value;
        Some(self.value)
    }
}

/// Wilder's smoothing of period `n`: seeded with the mean of the first `n` values, then `(prev·(n−1) + x) / n`.
#[derive(Clone)]
pub struct Wilder {
    n: usize,
    count: usize,
    value: f64,
}

impl Wilder {
    pub fn new(n: usize) -> Self {
        Self { n, count: 0, value: 0.0 }
    }

    #[inline]
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
        self.value = (self.value * (n - 1.0) + x) / n;
        Some(self.value)
    }
}

/// Weighted moving average with linear weights 1..n (newest heaviest), in O(1) per step.
#[derive(Clone)]
pub struct Wma {
    ring: Ring,
    sum: f64,
    weighted: f64,
    since_resum: usize,
}

impl Wma {
    pub fn new(n: usize) -> Self {
        Self { ring: Ring::new(n), sum: 0.0, weighted: 0.0, since_resum: 0 }
    }

    #[inline]
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
                // The error of `sum` enters `weighted` at every step, so `weighted` drifts faster than a plain
                // running sum: re-sum after at most 64 steps (still amortised O(1) for windows up to 16).
                if self.since_resum >= (self.ring.capacity() * 4).max(64) {
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
