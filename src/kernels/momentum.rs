//! Momentum oscillators, each equal to its TA-Lib 0.8 namesake, warm-up rows and zero denominators included.
//!
//! Where a ratio's denominator is zero, TA-Lib reports 0 and so do the kernels: no output is NaN once warm. TA-Lib
//! 0.8 decides "zero" in three ways, found by probing it and reproduced here:
//! - exactly zero (RSI, CMO, ROC, TRIX, BOP, ULTOSC's sums), or not positive (MFI's total money flow);
//! - below `1e-14` in absolute value (PPO's slow average);
//! - zero relative to the magnitude of the values compared: `|a - b| <= 1e-14 (|a| + |b|)` for the high-low range of
//!   STOCH, STOCHF and WILLR and for MFI's typical-price move, and `|d| <= 1e-14 |mean|` for CCI's distance from the
//!   mean and its mean deviation; so values equal but for rounding (an RSI flat up to its last bits, the mean of
//!   equal decimal prices) count as equal.
//!
//! Window sums that TA-Lib keeps by adding and subtracting are kept here with a count of their non-zero terms, so a
//! window of zeros (no money flow, no true range) sums to exactly zero rather than to rounding residue.

use std::mem::MaybeUninit;

use super::blocks::{assume_written, init_nan, Ema, Recursion, Ring, RollingMean, RollingRange, Wilder, ZeroAwareSum};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params, Restart};

/// TA-Lib's zero tolerance: absolute for PPO's denominator, relative to the magnitudes compared elsewhere.
const TA_EPSILON: f64 = 1e-14;

/// `a` and `b` are equal up to TA-Lib's relative tolerance.
#[inline(always)]
fn same_level(a: f64, b: f64) -> bool {
    (a - b).abs() <= TA_EPSILON * (a.abs() + b.abs())
}

/// `v` is zero at the scale of `level`.
#[inline(always)]
fn negligible(v: f64, level: f64) -> bool {
    v.abs() <= TA_EPSILON * level.abs()
}

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "rsi" => r.run(Rsi::new(p.window("window")?)),
        "cmo" => r.run(Cmo(Rsi::new(p.window("window")?))),
        "macd" => {
            let (fast, slow) = fast_slow(p)?;
            r.run(Macd::new(fast, slow, p.window("signalperiod")?))
        }
        "ppo" | "apo" => {
            let (fast, slow) = fast_slow(p)?;
            let average = match p.float("matype")? {
                0.0 => Average::Sma(RollingMean::new(fast), RollingMean::new(slow)),
                1.0 => Average::Ema(Ema::new(fast), Ema::new(slow)),
                m => return Err(p.error(format_args!("matype must be 0 (SMA) or 1 (EMA), got {m}"))),
            };
            r.run(PriceOscillator { average, percent: name == "ppo" })
        }
        "stoch" => r.run(Stoch {
            fast: FastK::new(p.window("fastk_period")?),
            slow_k: RollingMean::new(p.window("slowk_period")?),
            slow_d: RollingMean::new(p.window("slowd_period")?),
        }),
        "stochf" => r.run(StochF::new(p.window("fastk_period")?, p.window("fastd_period")?)),
        "stochrsi" => r.run(StochRsi {
            rsi: Rsi::new(p.window("window")?),
            stoch: StochF::new(p.window("fastk_period")?, p.window("fastd_period")?),
        }),
        "willr" => r.run(WillR(FastK::new(p.window("window")?))),
        "cci" => r.run(Cci { typical: Ring::new(p.window("window")?) }),
        "roc" => r.run(Roc { closes: Ring::new(p.window("window")?) }),
        "mom" => r.run(Mom { closes: Ring::new(p.window("window")?) }),
        "trix" => {
            let n = p.window("window")?;
            r.run(Trix { emas: [Ema::new(n), Ema::new(n), Ema::new(n)], prev: None })
        }
        "bop" => r.run(Bop),
        "mfi" => {
            let n = p.window("window")?;
            r.run(Mfi { prev: None, positive: ZeroAwareSum::new(n), negative: ZeroAwareSum::new(n) })
        }
        "ultosc" => {
            let mut periods = [p.window("timeperiod1")?, p.window("timeperiod2")?, p.window("timeperiod3")?];
            // TA-Lib weights the shortest period 4, the middle 2, the longest 1, whatever order they come in.
            periods.sort_unstable();
            r.run(UltOsc { prev_close: None, sums: periods.map(|n| (ZeroAwareSum::new(n), ZeroAwareSum::new(n))) })
        }
        _ => return Ok(None),
    }))
}

/// `fastperiod` and `slowperiod`, with `slowperiod >= fastperiod` (TA-Lib swaps them silently; we refuse).
fn fast_slow(p: &Params) -> Result<(usize, usize), KernelError> {
    let fast = p.window("fastperiod")?;
    let slow = p.window("slowperiod")?;
    if slow < fast {
        return Err(p.error(format_args!("slowperiod must be >= fastperiod ({fast}), got {slow}")));
    }
    Ok((fast, slow))
}

/// `num / den`, or 0 where the denominator is exactly zero (TA-Lib's convention for these oscillators).
#[inline(always)]
fn ratio_or_zero(num: f64, den: f64) -> f64 {
    if den != 0.0 {
        num / den
    } else {
        0.0
    }
}

/// A scratch column of one dense tile, every slot initialised so that it can be read back whatever was written.
struct Scratch([MaybeUninit<f64>; SCRATCH_TILE]);
impl Scratch {
    fn new() -> Self {
        Self([MaybeUninit::new(0.0); SCRATCH_TILE])
    }
    fn slots(&mut self, len: usize) -> &mut [MaybeUninit<f64>] {
        &mut self.0[..len]
    }
    fn get(&self, i: usize) -> f64 {
        // SAFETY: every slot was initialised in `new`, and the dense blocks only ever write values into them.
        unsafe { self.0[i].assume_init() }
    }
}

/// Wilder-smoothed average gain and loss of the bar-to-bar changes; first value after `n` changes.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Rsi {
    prev: Option<f64>,
    gain: Wilder,
    loss: Wilder,
}
impl Rsi {
    fn new(n: usize) -> Self {
        Self { prev: None, gain: Wilder::new(n), loss: Wilder::new(n) }
    }

    /// `(average gain, average loss)` once warm.
    #[inline(always)]
    fn push(&mut self, x: f64) -> Option<(f64, f64)> {
        let prev = self.prev.replace(x)?;
        let change = x - prev;
        let gain = self.gain.push(change.max(0.0));
        let loss = self.loss.push((-change).max(0.0));
        gain.zip(loss)
    }

    #[inline(always)]
    fn value(&mut self, x: f64) -> Option<f64> {
        self.push(x).map(|(g, l)| rsi_value(g, l))
    }

    /// [`Rsi::push`] over a tile of valid bars, `emit(i, average gain, average loss)` for each: bar by bar until
    /// both smoothers are seeded, then the two recursions side by side in registers.
    #[inline(always)]
    fn run_dense(&mut self, xs: &[f64], mut emit: impl FnMut(usize, Option<(f64, f64)>)) {
        let mut i = 0;
        while i < xs.len() && !(self.prev.is_some() && self.gain.seeded().is_some()) {
            emit(i, self.push(xs[i]));
            i += 1;
        }
        let (Some(mut prev), Some(mut gain), Some(mut loss)) = (self.prev, self.gain.seeded(), self.loss.seeded())
        else {
            return;
        };
        for (k, &x) in xs.iter().enumerate().skip(i) {
            let change = x - prev;
            prev = x;
            emit(k, Some((gain.next(change.max(0.0)), loss.next((-change).max(0.0)))));
        }
        self.prev = Some(prev);
        self.gain.resume(gain);
        self.loss.resume(loss);
    }
}

/// RSI from the average gain and loss.
#[inline(always)]
fn rsi_value(gain: f64, loss: f64) -> f64 {
    100.0 * ratio_or_zero(gain, gain + loss)
}
/// Wilder's RSI as TA-Lib computes it: gains and losses smoothed separately, first value after `n` changes.
impl Kernel<1, 1> for Rsi {
    // One bar for the first change, then the two smoothers side by side.
    restarts!(converges self => Restart::Window(1).then(self.gain.restart()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.value(x).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let out = &mut out[..xs.len()];
        Rsi::run_dense(self, xs, |i, gl| {
            out[i].write(gl.map_or(f64::NAN, |(g, l)| rsi_value(g, l)));
        });
    }
}

/// Chande momentum oscillator, TA-Lib's way: RSI's Wilder-smoothed gains and losses, `100 (g - l) / (g + l)`.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Cmo(Rsi);
impl Kernel<1, 1> for Cmo {
    restarts!(converges self => Restart::Window(1).then(self.0.gain.restart()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).map_or(f64::NAN, |(g, l)| cmo_value(g, l))]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let out = &mut out[..xs.len()];
        self.0.run_dense(xs, |i, gl| {
            out[i].write(gl.map_or(f64::NAN, |(g, l)| cmo_value(g, l)));
        });
    }
}

#[inline(always)]
fn cmo_value(gain: f64, loss: f64) -> f64 {
    100.0 * ratio_or_zero(gain - loss, gain + loss)
}

/// TA-Lib's MACD: the fast EMA starts late so that its SMA seed window ends on the same bar as the slow one's; the
/// signal EMA of the MACD line is seeded with its first `signal` values; all three outputs start together.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Macd {
    /// Bars seen, counted only up to `fast_delay` (so a warm MACD's state is its three averages).
    bars: usize,
    fast_delay: usize,
    fast: Ema,
    slow: Ema,
    signal: Ema,
}
impl Macd {
    fn new(fast: usize, slow: usize, signal: usize) -> Self {
        Self { bars: 0, fast_delay: slow - fast, fast: Ema::new(fast), slow: Ema::new(slow), signal: Ema::new(signal) }
    }
}
impl Kernel<1, 3> for Macd {
    restarts!(converges self => self.slow.restart().then(self.signal.restart()));
    const DENSE: bool = true;

    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 3] {
        let skip_fast = self.bars < self.fast_delay;
        if skip_fast {
            self.bars += 1;
        }
        let slow = self.slow.push(x);
        if skip_fast {
            return [f64::NAN; 3];
        }
        let fast = self.fast.push(x);
        let Some(line) = fast.zip(slow).map(|(f, s)| f - s) else { return [f64::NAN; 3] };
        match self.signal.push(line) {
            Some(signal) => [line, signal, line - signal],
            None => [f64::NAN; 3],
        }
    }
    /// Once the signal line is seeded, the three averages run in registers: the fast and slow ones side by side,
    /// the signal on their difference.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [lines, signals, histograms]: [&mut [MaybeUninit<f64>]; 3]) {
        let mut write = |i: usize, [line, signal, histogram]: [f64; 3]| {
            lines[i].write(line);
            signals[i].write(signal);
            histograms[i].write(histogram);
        };
        let mut start = 0;
        while start < xs.len() && self.signal.seeded().is_none() {
            write(start, self.step([xs[start]]));
            start += 1;
        }
        let (Some(mut fast), Some(mut slow), Some(mut sig)) =
            (self.fast.seeded(), self.slow.seeded(), self.signal.seeded())
        else {
            return;
        };
        for (i, &x) in xs.iter().enumerate().skip(start) {
            let line = fast.next(x) - slow.next(x);
            let signal = sig.next(line);
            write(i, [line, signal, line - signal]);
        }
        self.fast.resume(fast);
        self.slow.resume(slow);
        self.signal.resume(sig);
    }
}

/// The two averages of APO/PPO, each seeded on its own from the first bar (TA-Lib does not align them as in MACD).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
enum Average {
    Sma(RollingMean, RollingMean),
    Ema(Ema, Ema),
}

/// Absolute (APO) or percentage (PPO) price oscillator: fast average minus slow, or that over the slow one × 100.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct PriceOscillator {
    average: Average,
    percent: bool,
}
impl Kernel<1, 1> for PriceOscillator {
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let pair = match &mut self.average {
            Average::Sma(f, s) => f.push(x).zip(s.push(x)),
            Average::Ema(f, s) => f.push(x).zip(s.push(x)),
        };
        let Some((fast, slow)) = pair else { return [f64::NAN] };
        [if !self.percent {
            fast - slow
        } else if slow.abs() < TA_EPSILON {
            0.0
        } else {
            ((fast - slow) / slow) * 100.0
        }]
    }
}

/// Where the close lies in the range of the last `n` highs and lows, as TA-Lib's fast %K (0 when the highest high
/// and lowest low are the same level).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct FastK(RollingRange);
impl FastK {
    fn new(n: usize) -> Self {
        Self(RollingRange::new(n))
    }

    /// `(highest high, lowest low)` over the window, once warm.
    #[inline(always)]
    fn range(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        self.0.push(high, low)
    }

    #[inline(always)]
    fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let (hh, ll) = self.range(high, low)?;
        Some(fast_k(hh, ll, close))
    }

    /// [`FastK::push`] over a tile of valid bars (at most `SCRATCH_TILE`), %K into `k`: the window extremes of the
    /// whole tile first (several windows at a time), then %K in one pass; the same bits and state. Returns how many
    /// bars lead with NaN (the window not full yet, which only the bars at a series' start can be: the inputs here
    /// are finite, so an extreme never is NaN).
    #[inline(always)]
    fn run_dense(&mut self, hs: &[f64], ls: &[f64], cs: &[f64], k: &mut [f64]) -> usize {
        let len = hs.len();
        let mut ll = [0.0; SCRATCH_TILE];
        let ll = &mut ll[..len];
        // The highest highs go to `k`, which each bar's %K then replaces.
        self.0.run_dense(hs, ls, k, ll);
        let head = k.iter().take_while(|hh| hh.is_nan()).count();
        for i in head..len {
            k[i] = fast_k(k[i], ll[i], cs[i]);
        }
        head
    }
}

#[inline(always)]
fn fast_k(hh: f64, ll: f64, close: f64) -> f64 {
    if same_level(hh, ll) {
        0.0
    } else {
        (close - ll) / (hh - ll) * 100.0
    }
}

#[inline(always)]
fn williams_r(hh: f64, ll: f64, close: f64) -> f64 {
    if same_level(hh, ll) {
        0.0
    } else {
        (hh - close) / (hh - ll) * -100.0
    }
}

/// Rows per tile of the kernels whose dense loops keep per-bar scratch on the stack (ULTOSC's nine columns take
/// 288 KiB).
const SCRATCH_TILE: usize = 4096;

/// Fast stochastic: %K and its simple average %D, both emitted once %D is.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct StochF {
    fast_k: FastK,
    fast_d: RollingMean,
}
impl StochF {
    fn new(k: usize, d: usize) -> Self {
        Self { fast_k: FastK::new(k), fast_d: RollingMean::new(d) }
    }

    #[inline(always)]
    fn push(&mut self, high: f64, low: f64, close: f64) -> [f64; 2] {
        let Some(k) = self.fast_k.push(high, low, close) else { return [f64::NAN; 2] };
        match self.fast_d.push(k) {
            Some(d) => [k, d],
            None => [f64::NAN; 2],
        }
    }
}
impl Kernel<3, 2> for StochF {
    restarts!(self => Restart::Window(self.fast_k.0.window()).then(Restart::Window(self.fast_d.window())));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 2] {
        self.push(h, l, c)
    }
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [k_out, d_out]: [&mut [MaybeUninit<f64>]; 2]) {
        StochF::run_dense(self, hs, ls, cs, k_out, d_out);
    }
}
impl StochF {
    /// [`StochF::push`] over a tile of valid bars (at most `SCRATCH_TILE`), the same bits and state: %K of the
    /// tile ([`FastK::run_dense`]), then its mean, each one pass.
    #[inline(always)]
    fn run_dense(
        &mut self,
        hs: &[f64],
        ls: &[f64],
        cs: &[f64],
        k_out: &mut [MaybeUninit<f64>],
        d_out: &mut [MaybeUninit<f64>],
    ) {
        let len = hs.len();
        let k = init_nan(&mut k_out[..len]);
        let head = self.fast_k.run_dense(hs, ls, cs, k);
        init_nan(&mut d_out[..head]);
        self.fast_d.run_dense(&k[head..], &mut d_out[head..len]);
        // SAFETY: `d_out[..head]` was just filled with NaN and `run_dense` wrote the rest.
        let d = unsafe { assume_written(&mut d_out[..len]) };
        // Both stay NaN until %D has its first value.
        for (k, d) in k.iter_mut().zip(d) {
            if d.is_nan() {
                *k = f64::NAN;
            }
        }
    }
}

/// Slow stochastic: %K smoothed by an SMA, and that smoothed again for %D; both emitted once %D is.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Stoch {
    fast: FastK,
    slow_k: RollingMean,
    slow_d: RollingMean,
}
impl Kernel<3, 2> for Stoch {
    restarts!(self => Restart::Window(self.fast.0.window())
        .then(Restart::Window(self.slow_k.window()))
        .then(Restart::Window(self.slow_d.window())));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 2] {
        let Some(k) = self.fast.push(h, l, c).and_then(|k| self.slow_k.push(k)) else { return [f64::NAN; 2] };
        self.smoothed(k)
    }
    /// %K of the whole tile first ([`FastK::run_dense`]), then the two smoothers bar by bar.
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [k_out, d_out]: [&mut [MaybeUninit<f64>]; 2]) {
        let len = hs.len();
        let mut fast = [0.0; SCRATCH_TILE];
        let fast = &mut fast[..len];
        let head = self.fast.run_dense(hs, ls, cs, fast);
        for i in 0..len {
            let k = if i < head { None } else { self.slow_k.push(fast[i]) };
            let [k, d] = k.map_or([f64::NAN; 2], |k| self.smoothed(k));
            k_out[i].write(k);
            d_out[i].write(d);
        }
    }
}
impl Stoch {
    #[inline(always)]
    fn smoothed(&mut self, k: f64) -> [f64; 2] {
        match self.slow_d.push(k) {
            Some(d) => [k, d],
            None => [f64::NAN; 2],
        }
    }
}

/// The fast stochastic of the RSI series (its high, low and close all being the RSI).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct StochRsi {
    rsi: Rsi,
    stoch: StochF,
}
impl Kernel<1, 2> for StochRsi {
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 2] {
        match self.rsi.value(x) {
            Some(v) => self.stoch.push(v, v, v),
            None => [f64::NAN; 2],
        }
    }
    /// The RSI of the whole tile first (its two recursions in registers), then the fast stochastic of it densely.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [k_out, d_out]: [&mut [MaybeUninit<f64>]; 2]) {
        let len = xs.len();
        let mut rsi = [0.0; SCRATCH_TILE];
        let rsi = &mut rsi[..len];
        // The bars before the RSI's first value (a series' start) push nothing into the stochastic.
        let mut warm_from = 0;
        Rsi::run_dense(&mut self.rsi, xs, |i, gl| match gl {
            Some((g, l)) => rsi[i] = rsi_value(g, l),
            None => warm_from = i + 1,
        });
        init_nan(&mut k_out[..warm_from]);
        init_nan(&mut d_out[..warm_from]);
        let rsi = &rsi[warm_from..];
        self.stoch.run_dense(rsi, rsi, rsi, &mut k_out[warm_from..len], &mut d_out[warm_from..len]);
    }
}

/// Williams' %R: `-100 (highest high - close) / (highest high - lowest low)`, 0 when the highest high and lowest low
/// are the same level.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct WillR(FastK);
impl Kernel<3, 1> for WillR {
    restarts!(self => Restart::Window(self.0 .0.window()));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        [self.0.range(h, l).map_or(f64::NAN, |(hh, ll)| williams_r(hh, ll, c))]
    }
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let len = hs.len();
        let mut ll = [0.0; SCRATCH_TILE];
        let ll = &mut ll[..len];
        let hh = init_nan(out);
        self.0 .0.run_dense(hs, ls, hh, ll);
        for i in 0..len {
            // NaN stays NaN: the window is not full yet.
            hh[i] = if hh[i].is_nan() { f64::NAN } else { williams_r(hh[i], ll[i], cs[i]) };
        }
    }
}

/// Commodity channel index over the typical price `(h + l + c) / 3`: its distance from the window mean over 0.015
/// times the mean absolute deviation; 0 when either is negligible next to the mean.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Cci {
    typical: Ring,
}
impl Kernel<3, 1> for Cci {
    restarts!(self => Restart::Window(self.typical.capacity()));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        let tp = typical_price(h, l, c);
        self.typical.push(tp);
        if !self.typical.is_full() {
            return [f64::NAN];
        }
        // The mean absolute deviation needs the whole window each bar anyway, so the mean is summed afresh too
        // (exact, no running-sum drift).
        let n = self.typical.capacity() as f64;
        let mean = self.typical.iter().sum::<f64>() / n;
        let deviation = self.typical.iter().map(|v| (v - mean).abs()).sum::<f64>() / n;
        [cci_value(tp, mean, deviation)]
    }
    /// Eight bars at a time: each bar's window is summed in the order `step` sums it (oldest first, from the same
    /// neutral element), so the bits are the same, but eight sums advance side by side.
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        const W: usize = 8;
        let n = self.typical.capacity();
        let len = hs.len();
        // Rows whose window reaches back before the tile go through `step`, and all of them at the start of a
        // series (the window not yet full).
        let head = (n - 1).min(len);
        for i in 0..head {
            out[i].write(self.step([hs[i], ls[i], cs[i]])[0]);
        }
        if head == len || (!self.typical.is_full() && n > 1) {
            for i in head..len {
                out[i].write(self.step([hs[i], ls[i], cs[i]])[0]);
            }
            return;
        }
        let mut tp = [0.0; SCRATCH_TILE];
        let tp = &mut tp[..len];
        for i in 0..len {
            tp[i] = typical_price(hs[i], ls[i], cs[i]);
        }
        let nf = n as f64;
        let zero = std::iter::empty::<f64>().sum::<f64>();
        let mut i = head;
        while i < len {
            let w = W.min(len - i);
            let window = |k: usize| &tp[i + k + 1 - n..=i + k];
            let (mut sum, mut dev) = ([zero; W], [zero; W]);
            if w == W {
                for j in 0..n {
                    for k in 0..W {
                        sum[k] += tp[i + k + 1 - n + j];
                    }
                }
                let mean: [f64; W] = std::array::from_fn(|k| sum[k] / nf);
                for j in 0..n {
                    for k in 0..W {
                        dev[k] += (tp[i + k + 1 - n + j] - mean[k]).abs();
                    }
                }
                for k in 0..W {
                    out[i + k].write(cci_value(tp[i + k], mean[k], dev[k] / nf));
                }
            } else {
                for k in 0..w {
                    let mean = window(k).iter().sum::<f64>() / nf;
                    let deviation = window(k).iter().map(|v| (v - mean).abs()).sum::<f64>() / nf;
                    out[i + k].write(cci_value(tp[i + k], mean, deviation));
                }
            }
            i += w;
        }
        self.typical.push_all(&tp[head..]);
    }
}

#[inline(always)]
fn typical_price(h: f64, l: f64, c: f64) -> f64 {
    (h + l + c) / 3.0
}

/// CCI from the bar's typical price and its window's mean and mean absolute deviation.
#[inline(always)]
fn cci_value(tp: f64, mean: f64, deviation: f64) -> f64 {
    let distance = tp - mean;
    if negligible(distance, mean) || negligible(deviation, mean) {
        0.0
    } else {
        distance / (0.015 * deviation)
    }
}

/// Rate of change in percent over `n` bars: `(close / close n bars ago - 1) × 100`, 0 when that close is 0.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Roc {
    closes: Ring,
}
impl Kernel<1, 1> for Roc {
    restarts!(self => Restart::Window(self.closes.capacity()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.closes.push(x).map_or(f64::NAN, |old| rate_of_change(x, old))]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        self.closes.run_dense_lagged(xs, out, rate_of_change);
    }
}

/// Percent change from `old` to `x`; 0 from a zero.
#[inline(always)]
fn rate_of_change(x: f64, old: f64) -> f64 {
    if old != 0.0 {
        (x / old - 1.0) * 100.0
    } else {
        0.0
    }
}

/// Momentum: `close - close n bars ago`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Mom {
    closes: Ring,
}
impl Kernel<1, 1> for Mom {
    restarts!(self => Restart::Window(self.closes.capacity()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.closes.push(x).map_or(f64::NAN, |old| x - old)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        self.closes.run_dense_lagged(xs, out, |x, old| x - old);
    }
}

/// One-bar rate of change (percent) of a triple EMA, each EMA seeded with the SMA of its first `n` inputs.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Trix {
    emas: [Ema; 3],
    prev: Option<f64>,
}
impl Kernel<1, 1> for Trix {
    restarts!(converges self => self.emas[0].restart().then(self.emas[1].restart()).then(self.emas[2].restart())
        .then(Restart::Window(1)));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let [a, b, c] = &mut self.emas;
        let Some(v) = a.push(x).and_then(|v| b.push(v)).and_then(|v| c.push(v)) else { return [f64::NAN] };
        [self.prev.replace(v).map_or(f64::NAN, |old| trix_value(old, v))]
    }
    /// Once the third average has a previous value, the three recursions run in registers, chained bar by bar.
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut start = 0;
        while start < xs.len() && self.prev.is_none() {
            out[start].write(self.step([xs[start]])[0]);
            start += 1;
        }
        let Some(mut prev) = self.prev else { return };
        let mut chain: [Recursion; 3] =
            std::array::from_fn(|k| self.emas[k].seeded().expect("the last average has a value, so all are seeded"));
        let out = &mut out[start..];
        Recursion::run_chain(&mut chain, &xs[start..], |i, e| {
            out[i].write(trix_value(prev, e[2]));
            prev = e[2];
        });
        for (ema, r) in self.emas.iter_mut().zip(chain) {
            ema.resume(r);
        }
        self.prev = Some(prev);
    }
}

/// TRIX's percent change from the previous triple average to this one (0 from a previous value of 0).
#[inline(always)]
fn trix_value(old: f64, v: f64) -> f64 {
    if old != 0.0 {
        (v / old - 1.0) * 100.0
    } else {
        0.0
    }
}

/// Balance of power: `(close - open) / (high - low)`, 0 when the range is not positive. Inputs open, high, low,
/// close.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Bop;
impl Kernel<4, 1> for Bop {
    #[inline(always)]
    fn step(&mut self, [o, h, l, c]: [f64; 4]) -> [f64; 1] {
        let range = h - l;
        [if range > 0.0 { (c - o) / range } else { 0.0 }]
    }
}

/// Money flow index: money flow (typical price × volume) summed over `n` bars where the typical price rose and where
/// it fell (a move within rounding of the previous typical price counts as none); `100 up / (up + down)` (see
/// [`mfi_value`]). Inputs high, low, close, volume.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Mfi {
    prev: Option<f64>,
    positive: ZeroAwareSum,
    negative: ZeroAwareSum,
}
impl Kernel<4, 1> for Mfi {
    restarts!(self => Restart::Window(1 + self.positive.window()));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c, v]: [f64; 4]) -> [f64; 1] {
        let tp = typical_price(h, l, c);
        let Some(prev) = self.prev.replace(tp) else { return [f64::NAN] };
        let (up, down) = money_flows(tp, prev, v);
        let up = self.positive.push(up);
        let down = self.negative.push(down);
        [up.zip(down).map_or(f64::NAN, |(u, d)| mfi_value(u, d))]
    }
    /// The tile's money flows first, then each window sum over the whole tile.
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs, vs]: [&[f64]; 4], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut start = 0;
        if self.prev.is_none() && !hs.is_empty() {
            out[0].write(self.step([hs[0], ls[0], cs[0], vs[0]])[0]);
            start = 1;
        }
        let (Some(mut prev), len) = (self.prev, hs.len() - start) else { return };
        let (mut up, mut down) = ([0.0; SCRATCH_TILE], [0.0; SCRATCH_TILE]);
        for i in 0..len {
            let j = start + i;
            let tp = typical_price(hs[j], ls[j], cs[j]);
            (up[i], down[i]) = money_flows(tp, prev, vs[j]);
            prev = tp;
        }
        self.prev = Some(prev);
        let (mut u, mut d) = (Scratch::new(), Scratch::new());
        ZeroAwareSum::run_dense_together(
            [&mut self.positive, &mut self.negative],
            [&up[..len], &down[..len]],
            [u.slots(len), d.slots(len)],
        );
        for (i, slot) in out[start..start + len].iter_mut().enumerate() {
            slot.write(mfi_value(u.get(i), d.get(i)));
        }
    }
}

/// The money flow `tp × volume` as `(up, down)`: up where the typical price rose, down where it fell, neither where
/// it moved within rounding of the previous one.
#[inline(always)]
fn money_flows(tp: f64, prev: f64, volume: f64) -> (f64, f64) {
    let flow = tp * volume;
    if same_level(tp, prev) {
        (0.0, 0.0)
    } else if tp > prev {
        (flow, 0.0)
    } else {
        (0.0, flow)
    }
}

/// `100 up / (up + down)`, NaN where either window is not full. As TA-Lib 0.8 does (found by probing it with
/// negative prices, whose money flows are negative): 0 where the total is not positive, and the share kept within
/// 0..=100 where one of the sums is negative.
#[inline(always)]
fn mfi_value(up: f64, down: f64) -> f64 {
    let total = up + down;
    if total <= 0.0 {
        0.0
    } else {
        (100.0 * (up / total)).clamp(0.0, 100.0)
    }
}

/// Ultimate oscillator: buying pressure over true range summed over three windows (sorted shortest first),
/// weighted 4 : 2 : 1; a window whose true-range sum is 0 adds nothing.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct UltOsc {
    prev_close: Option<f64>,
    /// `(buying pressure sum, true range sum)` per window.
    sums: [(ZeroAwareSum, ZeroAwareSum); 3],
}
impl Kernel<3, 1> for UltOsc {
    restarts!(self => Restart::Window(1 + self.sums[2].0.window()));
    const DENSE: bool = true;
    const TILE: usize = SCRATCH_TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        let Some(pc) = self.prev_close.replace(c) else { return [f64::NAN] };
        let (pressure, range) = pressure_and_range(h, l, c, pc);
        let mut total = 0.0;
        let mut warm = true;
        for ((bp, tr), weight) in self.sums.iter_mut().zip(ULTOSC_WEIGHTS) {
            match bp.push(pressure).zip(tr.push(range)) {
                Some((b, t)) if t != 0.0 => total += weight * (b / t),
                Some(_) => {}
                None => warm = false,
            }
        }
        [if warm { 100.0 * (total / 7.0) } else { f64::NAN }]
    }
    /// The tile's buying pressures and true ranges first, then the six window sums over the whole tile together, then
    /// the weighted ratios, added in the order `step` adds them.
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut start = 0;
        if self.prev_close.is_none() && !hs.is_empty() {
            out[0].write(self.step([hs[0], ls[0], cs[0]])[0]);
            start = 1;
        }
        let (Some(mut pc), len) = (self.prev_close, hs.len() - start) else { return };
        let (mut pressure, mut range) = ([0.0; SCRATCH_TILE], [0.0; SCRATCH_TILE]);
        for i in 0..len {
            let j = start + i;
            (pressure[i], range[i]) = pressure_and_range(hs[j], ls[j], cs[j], pc);
            pc = cs[j];
        }
        self.prev_close = Some(pc);
        let mut sums: [Scratch; 6] = std::array::from_fn(|_| Scratch::new());
        let [b0, b1, b2, t0, t1, t2] = &mut sums;
        let [(p0, r0), (p1, r1), (p2, r2)] = &mut self.sums;
        let (pressure, range) = (&pressure[..len], &range[..len]);
        // Three sums per loop, not six: six kept more pointers and ring positions than there are registers.
        ZeroAwareSum::run_dense_together([p0, p1, p2], [pressure; 3], [b0, b1, b2].map(|s| s.slots(len)));
        ZeroAwareSum::run_dense_together([r0, r1, r2], [range; 3], [t0, t1, t2].map(|s| s.slots(len)));
        for (i, slot) in out[start..start + len].iter_mut().enumerate() {
            let mut total = 0.0;
            for (w, weight) in ULTOSC_WEIGHTS.into_iter().enumerate() {
                let (b, t) = (sums[w].get(i), sums[w + 3].get(i));
                if t != 0.0 {
                    total += weight * (b / t);
                }
            }
            // The longest window fills last; its true-range sum is NaN until then.
            let warm = !sums[5].get(i).is_nan();
            slot.write(if warm { 100.0 * (total / 7.0) } else { f64::NAN });
        }
    }
}

/// ULTOSC's weights, shortest window first.
const ULTOSC_WEIGHTS: [f64; 3] = [4.0, 2.0, 1.0];

/// The buying pressure `close - true low` and the true range of a bar, given the close before it.
#[inline(always)]
fn pressure_and_range(h: f64, l: f64, c: f64, prev_close: f64) -> (f64, f64) {
    let true_low = l.min(prev_close);
    (c - true_low, h.max(prev_close) - true_low)
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    const NAN: f64 = f64::NAN;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    fn run(name: &str, params: &[(&str, f64)], inputs: &[&[f64]]) -> Vec<Vec<f64>> {
        compute(name, params, inputs).unwrap()
    }

    fn err(name: &str, params: &[(&str, f64)], inputs: &[&[f64]]) -> String {
        compute(name, params, inputs).unwrap_err().0
    }

    #[test]
    fn mom_and_roc_look_n_bars_back() {
        let x = [1.0, 2.0, 4.0, 0.0, 3.0];
        assert!(close(&run("mom", &[("window", 2.0)], &[&x])[0], &[NAN, NAN, 3.0, -2.0, -1.0]));
        // ROC: 0 where the close n bars ago is 0
        assert!(close(&run("roc", &[("window", 1.0)], &[&x])[0], &[NAN, 100.0, 100.0, -100.0, 0.0]));
    }

    #[test]
    fn cmo_is_zero_on_flat_prices_and_signed_otherwise() {
        let flat = [5.0; 6];
        assert!(close(&run("cmo", &[("window", 2.0)], &[&flat])[0], &[NAN, NAN, 0.0, 0.0, 0.0, 0.0]));
        let x = [1.0, 2.0, 1.5, 2.5];
        // changes +1, -0.5 -> g = 0.5, l = 0.25 -> 100 * 0.25 / 0.75; then g = 0.75, l = 0.125
        let got = run("cmo", &[("window", 2.0)], &[&x]);
        assert!(close(&got[0], &[NAN, NAN, 100.0 / 3.0, 100.0 * 0.625 / 0.875]));
    }

    #[test]
    fn macd_seeds_both_emas_on_the_same_bar() {
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        // fast = 2 (alpha 2/3) seeded with mean(2, 4) = 3 at bar 2; slow = 3 (alpha 1/2) seeded with 7/3 at bar 2.
        // bar 3: fast = 3 + (8 - 3)·2/3 = 19/3, slow = 7/3 + (8 - 7/3)/2 = 31/6 -> line 7/6.
        let out = run("macd", &[("fastperiod", 2.0), ("slowperiod", 3.0), ("signalperiod", 2.0)], &[&x]);
        let line2 = 3.0 - 7.0 / 3.0;
        let line3 = 19.0 / 3.0 - 31.0 / 6.0;
        assert!(close(&out[0], &[NAN, NAN, NAN, line3, out[0][4]]));
        let signal3 = (line2 + line3) / 2.0;
        assert!(close(&out[1][..4], &[NAN, NAN, NAN, signal3]));
        assert!((out[2][3] - (line3 - signal3)).abs() < 1e-12);
    }

    #[test]
    fn stochastics_are_zero_when_the_range_is_zero() {
        let flat = [3.0; 6];
        let out = run(
            "stoch",
            &[("fastk_period", 2.0), ("slowk_period", 2.0), ("slowd_period", 2.0)],
            &[&flat, &flat, &flat],
        );
        assert!(close(&out[0], &[NAN, NAN, NAN, 0.0, 0.0, 0.0]));
        let out = run("willr", &[("window", 2.0)], &[&flat, &flat, &flat]);
        assert!(close(&out[0], &[NAN, 0.0, 0.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn stochf_and_willr_place_the_close_in_the_range() {
        let h = [2.0, 3.0, 4.0];
        let l = [1.0, 1.0, 2.0];
        let c = [1.5, 2.5, 3.0];
        let out = run("stochf", &[("fastk_period", 2.0), ("fastd_period", 2.0)], &[&h, &l, &c]);
        // %K: bar 1 (2.5 - 1) / (3 - 1) = 75, bar 2 (3 - 1) / (4 - 1) = 66.67; %D bar 2 = mean
        assert!(close(&out[0], &[NAN, NAN, 200.0 / 3.0]));
        assert!(close(&out[1], &[NAN, NAN, (75.0 + 200.0 / 3.0) / 2.0]));
        let out = run("willr", &[("window", 2.0)], &[&h, &l, &c]);
        assert!(close(&out[0], &[NAN, -25.0, -100.0 / 3.0]));
    }

    #[test]
    fn bop_cci_and_ultosc_handle_zero_ranges() {
        let flat = [2.0; 4];
        assert!(close(&run("bop", &[], &[&flat, &flat, &flat, &flat])[0], &[0.0; 4]));
        // high below low is not a positive range either
        assert_eq!(run("bop", &[], &[&[1.0], &[1.0], &[2.0], &[3.0]])[0], vec![0.0]);
        assert!(close(&run("cci", &[("window", 2.0)], &[&flat, &flat, &flat])[0], &[NAN, 0.0, 0.0, 0.0]));
        let p = [("timeperiod1", 1.0), ("timeperiod2", 2.0), ("timeperiod3", 3.0)];
        assert!(close(&run("ultosc", &p, &[&flat, &flat, &flat])[0], &[NAN, NAN, NAN, 0.0]));
    }

    #[test]
    fn ultosc_sorts_its_periods() {
        let h = [3.0, 4.0, 5.0, 4.5, 6.0, 5.0];
        let l = [1.0, 2.0, 3.0, 3.0, 4.0, 3.5];
        let c = [2.0, 3.5, 3.5, 4.0, 5.5, 4.0];
        let sorted = run("ultosc", &[("timeperiod1", 1.0), ("timeperiod2", 2.0), ("timeperiod3", 3.0)], &[&h, &l, &c]);
        let shuffled =
            run("ultosc", &[("timeperiod1", 3.0), ("timeperiod2", 1.0), ("timeperiod3", 2.0)], &[&h, &l, &c]);
        assert!(close(&sorted[0], &shuffled[0]));
        assert!(sorted[0][..3].iter().all(|v| v.is_nan()) && !sorted[0][3].is_nan());
    }

    #[test]
    fn mfi_splits_flow_by_the_typical_price_move() {
        let h = [2.0, 3.0, 3.0, 2.0];
        let l = [2.0, 3.0, 3.0, 2.0];
        let c = [2.0, 3.0, 3.0, 2.0];
        let v = [10.0, 10.0, 10.0, 5.0];
        // flows: +30, 0 (unchanged), -10
        let out = run("mfi", &[("window", 2.0)], &[&h, &l, &c, &v]);
        assert!(close(&out[0], &[NAN, NAN, 100.0, 0.0]));
        let flat = [1.0; 4];
        assert!(close(&run("mfi", &[("window", 2.0)], &[&flat, &flat, &flat, &flat])[0], &[NAN, NAN, 0.0, 0.0]));
    }

    #[test]
    fn ppo_apo_and_trix() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let sma = [("fastperiod", 1.0), ("slowperiod", 2.0), ("matype", 0.0)];
        assert!(close(&run("apo", &sma, &[&x])[0], &[NAN, 0.5, 0.5, 0.5]));
        assert!(close(&run("ppo", &sma, &[&x])[0], &[NAN, 100.0 / 3.0, 20.0, 100.0 / 7.0]));
        let tiny = [1e-15, 2e-15, 3e-15];
        assert!(close(&run("ppo", &sma, &[&tiny])[0], &[NAN, 0.0, 0.0]));
        assert!(close(&run("trix", &[("window", 1.0)], &[&x])[0], &[NAN, 100.0, 50.0, 100.0 / 3.0]));
        assert!(close(&run("trix", &[("window", 2.0)], &[&[0.0; 6]])[0], &[NAN, NAN, NAN, NAN, 0.0, 0.0]));
    }

    #[test]
    fn stochrsi_is_the_stochastic_of_rsi() {
        let x = [1.0, 2.0, 1.5, 2.5, 3.0, 2.0, 2.2];
        let rsi = run("rsi", &[("window", 2.0)], &[&x]).remove(0);
        let out = run("stochrsi", &[("window", 2.0), ("fastk_period", 2.0), ("fastd_period", 1.0)], &[&x]);
        for i in 3..x.len() {
            let (hi, lo) = (rsi[i].max(rsi[i - 1]), rsi[i].min(rsi[i - 1]));
            let k = if hi > lo { 100.0 * (rsi[i] - lo) / (hi - lo) } else { 0.0 };
            assert!((out[0][i] - k).abs() < 1e-9 && (out[1][i] - k).abs() < 1e-9, "bar {i}");
        }
        assert!(out[0][..3].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn values_equal_but_for_rounding_count_as_equal() {
        // a range of a few ulps is no range: %K and %R are 0, as in TA-Lib
        let h = [1.0, 1.0 + 4.0 * f64::EPSILON];
        let l = [1.0, 1.0];
        let out = run("stochf", &[("fastk_period", 2.0), ("fastd_period", 1.0)], &[&h, &l, &h]);
        assert_eq!(out[0][1], 0.0);
        assert_eq!(run("willr", &[("window", 2.0)], &[&h, &l, &l])[0][1], 0.0);
        // but a small range at a small price level is a range
        let h = [1e-12, 2e-12];
        assert_eq!(run("stochf", &[("fastk_period", 2.0), ("fastd_period", 1.0)], &[&h, &h, &h])[0][1], 100.0);
        // a flat window of decimal prices: the mean is off by rounding, the CCI is still 0
        let tp = [0.1, 0.7, 0.3, 0.3, 0.3, 0.3];
        let out = run("cci", &[("window", 3.0)], &[&tp, &tp, &tp]);
        assert_eq!(&out[0][4..], &[0.0, 0.0]);
        // typical prices equal but for rounding: no money flow either way
        let (h, l, c) = ([0.1, 0.2], [0.2, 0.3], [0.3, 0.1]);
        let out = run("mfi", &[("window", 1.0)], &[&h, &l, &c, &[1.0, 1.0]]);
        assert_eq!(out[0][1], 0.0);
    }

    #[test]
    fn invalid_parameters_name_function_and_parameter() {
        let x = [1.0];
        assert_eq!(
            err("macd", &[("fastperiod", 12.0), ("slowperiod", 5.0), ("signalperiod", 9.0)], &[&x]),
            "macd: slowperiod must be >= fastperiod (12), got 5"
        );
        assert_eq!(
            err("ppo", &[("fastperiod", 2.0), ("slowperiod", 5.0), ("matype", 3.0)], &[&x]),
            "ppo: matype must be 0 (SMA) or 1 (EMA), got 3"
        );
        assert_eq!(
            err("stoch", &[("fastk_period", 0.0), ("slowk_period", 3.0), ("slowd_period", 3.0)], &[&x, &x, &x]),
            "stoch: fastk_period must be an integer >= 1, got 0"
        );
        assert_eq!(err("cci", &[("window", 1.5)], &[&x, &x, &x]), "cci: window must be an integer >= 1, got 1.5");
    }
}
