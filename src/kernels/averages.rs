//! Moving averages. `sma` shares its kernel with `rolling_mean` (see `rolling`).
//!
//! The TA-Lib ones (`ema`, `wma`, `dema`, `tema`, `trima`, `kama`, `t3`) follow TA-Lib's seeding, so their first
//! value lands on the same bar as TA-Lib's. Composed EMAs (DEMA, TEMA, T3) seed every stage with the simple mean of
//! its first `n` inputs, which are the first `n` outputs of the stage before. `hma`, `vwma` and `zlema` have no
//! TA-Lib counterpart; their definitions are spelled out on their kernels.

use super::blocks::{
    assume_written, has_fma, mul_add, Ema, Recursion, Ring, RollingMean, RollingSum, Wma, ZeroAwareSum, DENSE_SUM_TILE,
};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params, Restart};
use std::mem::MaybeUninit;

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "ema" => r.run(EmaKernel(Ema::new(p.window("window")?))),
        "wma" => r.run(WmaKernel(Wma::new(p.window("window")?))),
        "dema" => r.run(Dema::new(p.window("window")?)),
        "tema" => r.run(Tema::new(p.window("window")?)),
        "trima" => r.run(Trima::new(p.window("window")?)),
        "kama" => r.run(Kama::new(p.window("window")?)),
        "t3" => {
            let n = p.window("window")?;
            let vfactor = p.float("vfactor")?;
            if !(0.0..=1.0).contains(&vfactor) {
                return Err(p.error(format_args!("vfactor must be in [0, 1], got {vfactor}")));
            }
            r.run(T3::new(n, vfactor))
        }
        "hma" => {
            let n = p.window("window")?;
            if n < 2 {
                return Err(p.error(format_args!("window must be an integer >= 2, got {n}")));
            }
            r.run(Hma::new(n))
        }
        "vwma" => r.run(Vwma::new(p.window("window")?)),
        "zlema" => r.run(Zlema::new(p.window("window")?)),
        _ => return Ok(None),
    }))
}

/// TA-Lib's EMA: `alpha = 2 / (n + 1)`, seeded with the SMA of the first `n` values.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct EmaKernel(Ema);
impl Kernel<1, 1> for EmaKernel {
    restarts!(converges self => self.0.restart());
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).unwrap_or(f64::NAN)]
    }
    /// Once seeded, the recursion runs in a register: one fused multiply-add and one store per bar.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut start = 0;
        while start < xs.len() && self.0.seeded().is_none() {
            out[start].write(self.step([xs[start]])[0]);
            start += 1;
        }
        let Some(mut ema) = self.0.seeded() else { return };
        for (x, slot) in xs[start..].iter().zip(&mut out[start..]) {
            slot.write(ema.next(*x));
        }
        self.0.resume(ema);
    }
}

/// TA-Lib's WMA: linear weights `1..=n`, newest heaviest; first value on the `n`-th bar.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct WmaKernel(Wma);
impl Kernel<1, 1> for WmaKernel {
    restarts!(self => Restart::Window(self.0.window()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        self.0.run_dense(xs, out);
    }
}

/// TA-Lib's DEMA: `2·e1 − e2` where `e1 = EMA(x)` and `e2 = EMA(e1)`; first value after `2·(n−1)` bars.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Dema {
    e1: Ema,
    e2: Ema,
}
impl Dema {
    fn new(n: usize) -> Self {
        Self { e1: Ema::new(n), e2: Ema::new(n) }
    }
}
impl Kernel<1, 1> for Dema {
    restarts!(converges self => self.e1.restart().then(self.e2.restart()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let Some(e1) = self.e1.push(x) else { return [f64::NAN] };
        let Some(e2) = self.e2.push(e1) else { return [f64::NAN] };
        [2.0 * e1 - e2]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        run_chained(self, xs, out, |k| [&mut k.e1, &mut k.e2], |[e1, e2]| 2.0 * e1 - e2);
    }
}

/// The dense loop of a kernel made of `K` chained EMAs (`stages` borrows them in order): bar by bar until the
/// last stage is seeded, then the chain in registers ([`Recursion::run_chain`]), `combine` giving each output.
#[inline(always)]
fn run_chained<T: Kernel<1, 1>, const K: usize>(
    kernel: &mut T,
    xs: &[f64],
    out: &mut [MaybeUninit<f64>],
    stages: impl Fn(&mut T) -> [&mut Ema; K],
    combine: impl Fn([f64; K]) -> f64,
) {
    let mut start = 0;
    while start < xs.len() && stages(kernel)[K - 1].seeded().is_none() {
        out[start].write(kernel.step([xs[start]])[0]);
        start += 1;
    }
    if start == xs.len() {
        return;
    }
    let emas = stages(kernel);
    let mut chain: [Recursion; K] =
        std::array::from_fn(|k| emas[k].seeded().expect("a stage is seeded before the one it feeds"));
    let out = &mut out[start..];
    Recursion::run_chain(&mut chain, &xs[start..], |i, e| {
        out[i].write(combine(e));
    });
    for (ema, r) in emas.into_iter().zip(chain) {
        ema.resume(r);
    }
}

/// TA-Lib's TEMA: `3·e1 − 3·e2 + e3` over three chained EMAs; first value after `3·(n−1)` bars.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Tema {
    e1: Ema,
    e2: Ema,
    e3: Ema,
}
impl Tema {
    fn new(n: usize) -> Self {
        Self { e1: Ema::new(n), e2: Ema::new(n), e3: Ema::new(n) }
    }
}
impl Kernel<1, 1> for Tema {
    restarts!(converges self => self.e1.restart().then(self.e2.restart()).then(self.e3.restart()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let Some(e1) = self.e1.push(x) else { return [f64::NAN] };
        let Some(e2) = self.e2.push(e1) else { return [f64::NAN] };
        let Some(e3) = self.e3.push(e2) else { return [f64::NAN] };
        [3.0 * (e1 - e2) + e3]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        run_chained(self, xs, out, |k| [&mut k.e1, &mut k.e2, &mut k.e3], |[e1, e2, e3]| 3.0 * (e1 - e2) + e3);
    }
}

/// TA-Lib's TRIMA: triangular weights `1, 2, …, 2, 1` over `n` bars, computed as a simple mean of simple means.
///
/// Odd `n`: two means of `(n+1)/2` bars (weights `1..(n+1)/2..1`). Even `n`: a mean of `n/2` bars, then of
/// `n/2 + 1` (weights `1..n/2, n/2..1`), as TA-Lib weighs them. The first value lands on bar `n`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Trima {
    inner: RollingMean,
    outer: RollingMean,
    /// The inner means of a dense tile (capacity only: empty between calls, so copies and snapshots carry nothing).
    #[serde(skip)]
    means: Vec<f64>,
}
impl Trima {
    fn new(n: usize) -> Self {
        let half = n / 2;
        let (a, b) = if n % 2 == 1 { (half + 1, half + 1) } else { (half, half + 1) };
        Self { inner: RollingMean::new(a), outer: RollingMean::new(b), means: Vec::new() }
    }
}
impl Kernel<1, 1> for Trima {
    restarts!(self => Restart::Window(self.inner.window()).then(Restart::Window(self.outer.window())));
    const DENSE: bool = true;
    const TILE: usize = DENSE_SUM_TILE;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let Some(m) = self.inner.push(x) else { return [f64::NAN] };
        [self.outer.push(m).unwrap_or(f64::NAN)]
    }
    /// Both means with the dense running sums: the inner one over the tile into a scratch column, the outer one
    /// over the rows where the inner had a mean.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let len = xs.len();
        let skip = self.inner.bars_before_first().min(len);
        self.means.clear();
        self.means.reserve(len);
        let means = &mut self.means.spare_capacity_mut()[..len];
        self.inner.run_dense(xs, means);
        // SAFETY: `run_dense` wrote every row of `means`.
        let means = unsafe { assume_written(means) };
        for slot in &mut out[..skip] {
            slot.write(f64::NAN);
        }
        self.outer.run_dense(&means[skip..], &mut out[skip..len]);
    }
}

/// TA-Lib's KAMA (Kaufman adaptive moving average) with its fixed fast period 2 and slow period 30.
///
/// Efficiency ratio `er = |x_t − x_{t−n}| / Σ|x_i − x_{i−1}|` over the last `n` changes (1 when the sum is below
/// `1e-8`, TA-Lib's zero test, or not above the signed change); smoothing constant
/// `sc = (er·(2/3 − 2/31) + 2/31)²`; `kama_t = kama_{t−1} + sc·(x_t − kama_{t−1})`, seeded with `x_{t−1}` on the
/// first bar that has `n` changes (bar `n + 1`). `n = 1` returns the input unchanged, as TA-Lib does.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Kama {
    identity: bool,
    prices: Ring,
    changes: RollingSum,
    value: Option<f64>,
    /// A dense tile's changes and then smoothing constants (capacity only: empty between calls, so copies and
    /// snapshots carry nothing).
    #[serde(skip)]
    scratch: Vec<f64>,
}
impl Kama {
    const FAST: f64 = 2.0 / 3.0;
    const SLOW: f64 = 2.0 / 31.0;

    fn new(n: usize) -> Self {
        Self {
            identity: n == 1,
            prices: Ring::new(n + 1),
            changes: RollingSum::new(n),
            value: None,
            scratch: Vec::new(),
        }
    }

    /// The smoothing constant of a bar from its signed change over the window and the path length (the sum of the
    /// absolute changes).
    #[inline(always)]
    fn smoothing(change: f64, path: f64) -> f64 {
        let er = if path <= change || path.abs() < 1e-8 { 1.0 } else { (change / path).abs() };
        let sc = er * (Self::FAST - Self::SLOW) + Self::SLOW;
        sc * sc
    }
}
impl Kernel<1, 1> for Kama {
    const DENSE: bool = true;
    const TILE: usize = 1 << 14;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        if self.identity {
            return [x];
        }
        let prev = self.prices.ago(0);
        self.prices.push(x);
        let Some(prev) = prev else { return [f64::NAN] };
        let Some(path) = self.changes.push((x - prev).abs()) else { return [f64::NAN] };
        let oldest = self.prices.ago(self.prices.capacity() - 1).expect("n changes means n + 1 prices");
        let sc = Self::smoothing(x - oldest, path);
        let base = self.value.unwrap_or(prev);
        // `base (1 - sc) + sc x`: the chain from one bar's value to the next is one fused multiply-add, where
        // TA-Lib's `(x - base) sc + base` is a subtraction, a multiplication and an addition (as in the EMA).
        let kama = mul_add(base, 1.0 - sc, sc * x);
        self.value = Some(kama);
        [kama]
    }
    /// From the bar whose window lies in the tile on: the absolute changes in one pass, their window sums with the
    /// dense running sum, the recursion's two terms in another pass, and the recursion alone in the last.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let len = xs.len();
        let n = self.changes.window();
        let mut start = 0;
        while start < len && (start <= n || self.value.is_none() || self.identity) {
            out[start].write(self.step([xs[start]])[0]);
            start += 1;
        }
        let Some(mut kama) = self.value else { return };
        if start == len {
            return;
        }
        let rows = len - start;
        self.scratch.clear();
        self.scratch.resize(rows, 0.0);
        for (slot, pair) in self.scratch.iter_mut().zip(xs[start - 1..].windows(2)) {
            *slot = (pair[1] - pair[0]).abs();
        }
        let paths = &mut out[start..];
        self.changes.run_dense(&self.scratch, paths, |s| s);
        // SAFETY: the running sum wrote every row (it was full: n changes before the tile's first dense bar).
        let paths = unsafe { assume_written(paths) };
        // `keep = 1 - sc` into the scratch column, `sc x` over the path length.
        for (k, (keep, slot)) in self.scratch.iter_mut().zip(paths.iter_mut()).enumerate() {
            let i = start + k;
            let sc = Self::smoothing(xs[i] - xs[i - n], *slot);
            (*keep, *slot) = (1.0 - sc, sc * xs[i]);
        }
        let steps = paths.iter_mut().zip(&self.scratch);
        if has_fma() {
            for (slot, &keep) in steps {
                kama = kama.mul_add(keep, *slot);
                *slot = kama;
            }
        } else {
            for (slot, &keep) in steps {
                kama = kama * keep + *slot;
                *slot = kama;
            }
        }
        self.value = Some(kama);
        self.prices.push_all(&xs[start..]);
        self.scratch.clear();
    }
}

/// TA-Lib's T3 (Tillson): six chained EMAs of period `n` (each seeded with the mean of its first `n` inputs)
/// combined as `c1·e6 + c2·e5 + c3·e4 + c4·e3` with `a = vfactor`:
/// `c1 = −a³`, `c2 = 3a² + 3a³`, `c3 = −6a² − 3a − 3a³`, `c4 = 1 + 3a + a³ + 3a²`. First value after `6·(n−1)` bars.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct T3 {
    emas: [Ema; 6],
    c: [f64; 4],
}
impl T3 {
    fn new(n: usize, a: f64) -> Self {
        let (a2, a3) = (a * a, a * a * a);
        let c = [-a3, 3.0 * a2 + 3.0 * a3, -6.0 * a2 - 3.0 * a - 3.0 * a3, 1.0 + 3.0 * a + a3 + 3.0 * a2];
        Self { emas: std::array::from_fn(|_| Ema::new(n)), c }
    }
}
impl T3 {
    #[inline(always)]
    fn combine(c: &[f64; 4], e: &[f64; 6]) -> f64 {
        c[0] * e[5] + c[1] * e[4] + c[2] * e[3] + c[3] * e[2]
    }
}
impl Kernel<1, 1> for T3 {
    restarts!(converges self => self.emas[1..].iter().fold(self.emas[0].restart(), |r, e| r.then(e.restart())));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let mut e = [0.0; 6];
        let mut v = x;
        for (k, ema) in self.emas.iter_mut().enumerate() {
            let Some(next) = ema.push(v) else { return [f64::NAN] };
            e[k] = next;
            v = next;
        }
        [Self::combine(&self.c, &e)]
    }
    /// Once the sixth average is seeded, the six recursions run in registers, chained bar by bar.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let c = self.c;
        run_chained(self, xs, out, |k| k.emas.each_mut(), |e| Self::combine(&c, &e));
    }
}

/// Hull moving average: `WMA(2·WMA(x, ⌊n/2⌋) − WMA(x, n), ⌊√n⌋)`. The inner difference starts on bar `n`, so the
/// first value lands on bar `n + ⌊√n⌋ − 1`. Needs `n >= 2` (so that `⌊n/2⌋ >= 1`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Hma {
    half: Wma,
    full: Wma,
    outer: Wma,
}
impl Hma {
    fn new(n: usize) -> Self {
        Self { half: Wma::new(n / 2), full: Wma::new(n), outer: Wma::new(n.isqrt()) }
    }
}
impl Kernel<1, 1> for Hma {
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let half = self.half.push(x);
        let Some(full) = self.full.push(x) else { return [f64::NAN] };
        let half = half.expect("the half window fills before the full one");
        [self.outer.push(2.0 * half - full).unwrap_or(f64::NAN)]
    }
}

/// Volume-weighted moving average: `Σ close·volume / Σ volume` over the last `n` bars; first value on bar `n`.
/// A window whose volumes are all zero has no value (null); the zero test follows the run of zero volumes, so it
/// is exact however long the series.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Vwma {
    weighted: RollingSum,
    volume: ZeroAwareSum,
}
impl Vwma {
    fn new(n: usize) -> Self {
        Self { weighted: RollingSum::new(n), volume: ZeroAwareSum::new(n) }
    }
}
impl Kernel<2, 1> for Vwma {
    #[inline(always)]
    fn step(&mut self, [close, volume]: [f64; 2]) -> [f64; 1] {
        let weighted = self.weighted.push(close * volume);
        let Some(total) = self.volume.push(volume) else { return [f64::NAN] };
        if self.volume.all_zero() {
            return [f64::NAN];
        }
        [weighted.expect("both sums fill together") / total]
    }
}

/// Zero-lag EMA: the TA-Lib-seeded EMA of period `n` over the de-lagged series `2·x_t − x_{t−lag}`,
/// `lag = ⌊(n−1)/2⌋`. The de-lagged series starts on bar `lag + 1` and the EMA is seeded with the mean of its first
/// `n` values, so the first value lands on bar `lag + n`. With `n <= 2` (lag 0) it is the plain EMA.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Zlema {
    lag: usize,
    past: Ring,
    ema: Ema,
}
impl Zlema {
    fn new(n: usize) -> Self {
        let lag = (n - 1) / 2;
        Self { lag, past: Ring::new(lag + 1), ema: Ema::new(n) }
    }
}
impl Kernel<1, 1> for Zlema {
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        self.past.push(x);
        let Some(lagged) = self.past.ago(self.lag) else { return [f64::NAN] };
        [self.ema.push(2.0 * x - lagged).unwrap_or(f64::NAN)]
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    fn run(name: &str, params: &[(&str, f64)], x: &[f64]) -> Vec<f64> {
        compute(name, params, &[x]).unwrap().remove(0)
    }

    fn warm_up(v: &[f64]) -> usize {
        v.iter().take_while(|v| v.is_nan()).count()
    }

    fn series(n: usize) -> Vec<f64> {
        (0..n).map(|i| 100.0 + ((i * 7919) % 23) as f64 * 0.5 - (i % 5) as f64).collect()
    }

    #[test]
    fn warm_up_rows_follow_talib_lookbacks() {
        let x = series(200);
        for n in [1usize, 2, 3, 4, 5, 10] {
            let w = |name: &str| warm_up(&run(name, &[("window", n as f64)], &x));
            assert_eq!(w("wma"), n - 1);
            assert_eq!(w("dema"), 2 * (n - 1));
            assert_eq!(w("tema"), 3 * (n - 1));
            assert_eq!(w("trima"), n - 1);
            assert_eq!(w("kama"), if n == 1 { 0 } else { n });
            assert_eq!(warm_up(&run("t3", &[("window", n as f64), ("vfactor", 0.7)], &x)), 6 * (n - 1));
            assert_eq!(w("zlema"), (n - 1) / 2 + n - 1);
        }
        for n in [2usize, 3, 4, 9, 10, 16] {
            assert_eq!(warm_up(&run("hma", &[("window", n as f64)], &x)), n - 1 + n.isqrt() - 1, "hma {n}");
        }
    }

    #[test]
    fn window_one_is_the_identity() {
        let x = series(30);
        for name in ["wma", "dema", "tema", "trima", "kama", "zlema"] {
            assert!(close(&run(name, &[("window", 1.0)], &x), &x), "{name}");
        }
        assert!(close(&run("t3", &[("window", 1.0), ("vfactor", 0.7)], &x), &x));
    }

    #[test]
    fn trima_weights_are_triangular() {
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        let odd = run("trima", &[("window", 5.0)], &x);
        assert!((odd[4] - (1.0 + 4.0 + 12.0 + 16.0 + 16.0) / 9.0).abs() < 1e-12);
        let even = run("trima", &[("window", 4.0)], &x);
        assert!((even[3] - (1.0 + 4.0 + 8.0 + 8.0) / 6.0).abs() < 1e-12);
    }

    #[test]
    fn dema_and_tema_of_a_constant_are_the_constant() {
        let x = vec![3.5; 40];
        assert!(run("dema", &[("window", 5.0)], &x)[8..].iter().all(|v| (v - 3.5).abs() < 1e-12));
        assert!(run("tema", &[("window", 5.0)], &x)[12..].iter().all(|v| (v - 3.5).abs() < 1e-12));
        assert!(run("t3", &[("window", 3.0), ("vfactor", 0.7)], &x)[12..].iter().all(|v| (v - 3.5).abs() < 1e-12));
    }

    #[test]
    fn kama_first_value_by_hand() {
        // n = 2: er = |4 − 1| / (1 + 2) = 1, sc = (2/3)², seed x[1] = 2.
        let out = run("kama", &[("window", 2.0)], &[1.0, 2.0, 4.0]);
        assert!((out[2] - (2.0 + 4.0 / 9.0 * 2.0)).abs() < 1e-12);
    }

    #[test]
    fn hma_by_hand() {
        // n = 4: WMA(2) and WMA(4), outer WMA(2).
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        let wma = |w: &[f64]| {
            let n = w.len() as f64;
            w.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum::<f64>() / (n * (n + 1.0) / 2.0)
        };
        let d = |t: usize| 2.0 * wma(&x[t - 1..=t]) - wma(&x[t - 3..=t]);
        let out = run("hma", &[("window", 4.0)], &x);
        assert!(out[3].is_nan());
        assert!((out[4] - wma(&[d(3), d(4)])).abs() < 1e-12);
    }

    #[test]
    fn vwma_is_null_when_the_window_has_no_volume() {
        let c = [10.0, 20.0, 30.0, 40.0];
        let v = [1.0, 0.0, 0.0, 3.0];
        let out = compute("vwma", &[("window", 2.0)], &[&c, &v]).unwrap().remove(0);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 10.0);
        assert!(out[2].is_nan());
        assert_eq!(out[3], 40.0);
    }

    #[test]
    fn zlema_delags_then_seeds_with_the_mean() {
        // n = 3: lag 1, de-lagged values from bar 2: 2·x_t − x_{t−1}.
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        let out = run("zlema", &[("window", 3.0)], &x);
        let d = [3.0, 6.0, 12.0, 24.0];
        assert!(out[..3].iter().all(|v| v.is_nan()));
        let seed = (d[0] + d[1] + d[2]) / 3.0;
        assert!((out[3] - seed).abs() < 1e-12);
        assert!((out[4] - (seed + 0.5 * (d[3] - seed))).abs() < 1e-12);
    }

    #[test]
    fn wma_does_not_drift_at_price_level_1e6() {
        let x: Vec<f64> = (0..100_000).map(|i| 1e6 + ((i * 7919) % 1013) as f64 * 0.37).collect();
        for n in [2usize, 3, 30] {
            let out = run("wma", &[("window", n as f64)], &x);
            let denom = (n * (n + 1) / 2) as f64;
            for t in (x.len() - 500..x.len()).chain(n - 1..n + 500) {
                let direct: f64 = (0..n).map(|k| (n - k) as f64 * x[t - k]).sum::<f64>() / denom;
                assert!((out[t] - direct).abs() <= 1e-13 * direct, "n {n} row {t}: {} vs {direct}", out[t]);
            }
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let x = [1.0, 2.0];
        assert_eq!(
            compute("hma", &[("window", 1.0)], &[&x]).unwrap_err().0,
            "hma: window must be an integer >= 2, got 1"
        );
        assert_eq!(
            compute("t3", &[("window", 5.0), ("vfactor", 1.5)], &[&x]).unwrap_err().0,
            "t3: vfactor must be in [0, 1], got 1.5"
        );
    }
}
