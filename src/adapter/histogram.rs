//! A fixed-size, lock-free latency histogram with log-linear buckets (HDR-like).
//!
//! Values are nanoseconds. Below 16 ns every value has its own bucket; above, each power of two is split into 16
//! equal buckets, so a bucket is at most 1/16 (6.25 %) wider than its lower edge. The last power of two ends at
//! 2^37 ns (about 137 s); anything slower lands in the last bucket (the exact maximum is kept separately). The whole
//! histogram is `BUCKETS + 2` atomics, whatever the number of recorded values.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
/// Values at or above `2^MAX_EXP` ns are counted in the last bucket.
const MAX_EXP: u32 = 37;
/// Number of buckets: 16 exact ones, then 16 per power of two from 2^4 to 2^36.
pub const BUCKETS: usize = ((MAX_EXP - SUB_BITS + 1) as u64 * SUB) as usize;

/// The bucket holding `ns`.
#[inline]
pub fn bucket_of(ns: u64) -> usize {
    let v = ns.min((1u64 << MAX_EXP) - 1);
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let sub = (v >> (exp - SUB_BITS)) - SUB; // 0..SUB
    ((exp - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// The smallest and largest value that `bucket_of` maps to `index`.
pub fn bucket_bounds(index: usize) -> (u64, u64) {
    let i = index as u64;
    if i < SUB {
        return (i, i);
    }
    let exp = (i / SUB) as u32 + SUB_BITS - 1;
    let width = 1u64 << (exp - SUB_BITS);
    let low = (SUB + i % SUB) << (exp - SUB_BITS);
    (low, low + width - 1)
}

/// Latency quantiles read from a histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Median (upper edge of its bucket, never above `max_ns`).
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Exact maximum.
    pub max_ns: u64,
    /// Exact mean (sum / count).
    pub mean_ns: f64,
}

/// See the module documentation.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum: AtomicU64,
    max: AtomicU64,
}

/// Adds `v` to a counter that stops at `u64::MAX` instead of wrapping to a small number (2^64 rows or
/// nanoseconds is out of reach in practice, but a wrapped counter would read as nonsense). One `fetch_add` as
/// before; only an add that overflows pays a second store, which pins the counter at the maximum.
#[inline]
pub fn saturating_add(counter: &AtomicU64, v: u64) {
    let old = counter.fetch_add(v, Relaxed);
    if old.checked_add(v).is_none() {
        counter.store(u64::MAX, Relaxed);
    }
}

impl Histogram {
    /// An empty histogram (usable in a `static`).
    pub const fn new() -> Histogram {
        Histogram { buckets: [const { AtomicU64::new(0) }; BUCKETS], sum: AtomicU64::new(0), max: AtomicU64::new(0) }
    }

    /// Counts one value.
    #[inline]
    pub fn record(&self, ns: u64) {
        saturating_add(&self.buckets[bucket_of(ns)], 1);
        saturating_add(&self.sum, ns);
        // Most values are not a new maximum: a plain load avoids the read-modify-write.
        if ns > self.max.load(Relaxed) {
            self.max.fetch_max(ns, Relaxed);
        }
    }

    /// Zeroes every bucket. Values recorded concurrently with a reset may or may not survive it.
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Relaxed);
        }
        self.sum.store(0, Relaxed);
        self.max.store(0, Relaxed);
    }

    /// Quantiles of what was recorded so far (a consistent-enough copy taken bucket by bucket).
    pub fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let count: u64 = counts.iter().fold(0u64, |a, &c| a.saturating_add(c));
        let max_ns = self.max.load(Relaxed);
        if count == 0 {
            return LatencySummary::default();
        }
        let quantile = |q: f64| -> u64 {
            // The smallest value with at least ceil(q * count) values at or below it.
            let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
            let mut seen = 0;
            for (i, &c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return bucket_bounds(i).1.min(max_ns);
                }
            }
            max_ns
        };
        LatencySummary {
            count,
            p50_ns: quantile(0.50),
            p90_ns: quantile(0.90),
            p99_ns: quantile(0.99),
            max_ns,
            mean_ns: self.sum.load(Relaxed) as f64 / count as f64,
        }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counters_saturate_instead_of_wrapping() {
        let h = Histogram::new();
        h.record(u64::MAX - 5);
        h.record(100);
        let s = h.summary();
        assert_eq!(s.count, 2);
        assert_eq!(s.mean_ns, u64::MAX as f64 / 2.0, "the sum stays at u64::MAX, not 94");
        let c = AtomicU64::new(u64::MAX - 1);
        saturating_add(&c, 10);
        assert_eq!(c.load(Relaxed), u64::MAX);
        saturating_add(&c, 1);
        assert_eq!(c.load(Relaxed), u64::MAX);
    }

    use super::*;

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        let mut expected_low = 0;
        for i in 0..BUCKETS {
            let (low, high) = bucket_bounds(i);
            assert_eq!(low, expected_low, "bucket {i}");
            assert!(high >= low);
            assert!((high - low + 1) as f64 <= (low.max(16) as f64) / 16.0 + 1e-9, "bucket {i} too wide");
            assert_eq!(bucket_of(low), i);
            assert_eq!(bucket_of(high), i);
            expected_low = high + 1;
        }
        assert_eq!(expected_low, 1 << MAX_EXP);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        // 100 ns .. 100 s are inside the range with full resolution.
        assert!(bucket_of(100_000_000_000) < BUCKETS - 1);
    }

    #[test]
    fn quantiles_within_bucket_precision() {
        let h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1_000); // 1 us .. 10 ms, uniform
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.max_ns, 10_000_000);
        for (got, want) in [(s.p50_ns, 5_000_000.0), (s.p90_ns, 9_000_000.0), (s.p99_ns, 9_900_000.0)] {
            let rel = (got as f64 - want) / want;
            assert!((0.0..=0.0625).contains(&rel), "{got} vs {want}");
        }
        assert!((s.mean_ns - 5_000_500.0).abs() < 1e-6);
        h.reset();
        assert_eq!(h.summary(), LatencySummary::default());
    }

    #[test]
    fn single_value_and_overflow() {
        let h = Histogram::new();
        h.record(250);
        let s = h.summary();
        assert_eq!((s.p50_ns, s.p99_ns, s.max_ns), (250, 250, 250));
        h.record(500_000_000_000); // 500 s: last bucket, exact max
        let s = h.summary();
        assert_eq!(s.max_ns, 500_000_000_000);
        assert_eq!(s.p99_ns, (1u64 << MAX_EXP) - 1);
    }
}
