//! Trend indicators (see the catalogue entries in python/polars_kimsfinance/catalogue/trend.py): Wilder's
//! directional movement family (`plus_di`, `minus_di`, `adx`, `adxr`), Aroon, the parabolic SAR, and three
//! indicators TA-Lib lacks (`tsi`, `elder_ray`, `kst`).

use std::mem::MaybeUninit;

use super::blocks::{init_nan, Ema, Extreme, Ring, RollingExtreme, RollingMean, Wilder, DENSE_EXTREME_TILE};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params, Restart};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "plus_di" => r.run(Di { dm: Directional::new(p.window("window")?), plus: true }),
        "minus_di" => r.run(Di { dm: Directional::new(p.window("window")?), plus: false }),
        "adx" => r.run(Adx::new(p.int_at_least("window", 2)?)),
        "adxr" => {
            let n = p.int_at_least("window", 2)?;
            r.run(Adxr { adx: Adx::new(n), past: Ring::new(n) })
        }
        "aroon" => r.run(Aroon::new(p.int_at_least("window", 2)?)),
        "aroon_osc" => r.run(AroonOsc(Aroon::new(p.int_at_least("window", 2)?))),
        "parabolic_sar" => {
            let acceleration = p.non_negative("acceleration")?;
            let maximum = p.non_negative("maximum")?;
            r.run(Sar::new(acceleration, maximum))
        }
        "tsi" => {
            let (long, short) = (p.window("long")?, p.window("short")?);
            r.run(Tsi { prev: None, num: (Ema::new(long), Ema::new(short)), den: (Ema::new(long), Ema::new(short)) })
        }
        "elder_ray" => r.run(ElderRay(Ema::new(p.window("window")?))),
        "kst" => {
            let rocs = [p.window("roc1")?, p.window("roc2")?, p.window("roc3")?, p.window("roc4")?];
            let smas = [p.window("sma1")?, p.window("sma2")?, p.window("sma3")?, p.window("sma4")?];
            r.run(Kst::new(rocs, smas, p.window("signal")?))
        }
        _ => return Ok(None),
    }))
}

/// Wilder's directional movement as TA-Lib computes it: `+DM`, `-DM` and the true range are summed over the first
/// `n - 1` bar-to-bar changes, then smoothed as `s - s / n + x`; the directional indicators appear after `n` changes.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Directional {
    n: usize,
    prev: Option<[f64; 3]>,
    changes: usize,
    plus: f64,
    minus: f64,
    tr: f64,
}

impl Directional {
    fn new(n: usize) -> Self {
        Self { n, prev: None, changes: 0, plus: 0.0, minus: 0.0, tr: 0.0 }
    }

    /// How a fresh one catches up: one bar for the previous bar, then the three sums forget their start as
    /// `s <- s (1 - 1/n) + x` does.
    fn restart(&self) -> Restart {
        Restart::Window(1).then(Restart::converges(1.0 - 1.0 / self.n as f64, self.n))
    }

    /// `(+DI, -DI)` once `n` changes were seen. A zero true range gives `(0, 0)`, as in TA-Lib. With `n = 1` TA-Lib
    /// returns the unsmoothed ratios `DM / TR` without the factor 100, and so does this.
    #[inline(always)]
    fn push(&mut self, [high, low, close]: [f64; 3]) -> Option<(f64, f64)> {
        let [prev_high, prev_low, prev_close] = self.prev.replace([high, low, close])?;
        let up = high - prev_high;
        let down = prev_low - low;
        let plus_dm = if up > 0.0 && up > down { up } else { 0.0 };
        let minus_dm = if down > 0.0 && down > up { down } else { 0.0 };
        let tr = (high - low).max((high - prev_close).abs()).max((low - prev_close).abs());
        // Counted only up to `n`, so that the state of a warm one is its sums alone (compared at thread seams).
        self.changes = (self.changes + 1).min(self.n);
        if self.n == 1 {
            return Some(if tr == 0.0 { (0.0, 0.0) } else { (plus_dm / tr, minus_dm / tr) });
        }
        if self.changes < self.n {
            self.plus += plus_dm;
            self.minus += minus_dm;
            self.tr += tr;
            return None;
        }
        let n = self.n as f64;
        self.plus = self.plus - self.plus / n + plus_dm;
        self.minus = self.minus - self.minus / n + minus_dm;
        self.tr = self.tr - self.tr / n + tr;
        if self.tr == 0.0 {
            return Some((0.0, 0.0));
        }
        Some((100.0 * (self.plus / self.tr), 100.0 * (self.minus / self.tr)))
    }

    /// The directional index `100 |+DI - -DI| / (+DI + -DI)`; 0 where both indicators are 0.
    #[inline(always)]
    fn dx(&mut self, x: [f64; 3]) -> Option<f64> {
        let (plus, minus) = self.push(x)?;
        let sum = plus + minus;
        Some(if sum == 0.0 { 0.0 } else { 100.0 * ((minus - plus).abs() / sum) })
    }
}

/// `plus_di` or `minus_di`.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Di {
    dm: Directional,
    plus: bool,
}
impl Kernel<3, 1> for Di {
    restarts!(converges self => self.dm.restart());
    #[inline(always)]
    fn step(&mut self, x: [f64; 3]) -> [f64; 1] {
        [self.dm.push(x).map_or(f64::NAN, |(p, m)| if self.plus { p } else { m })]
    }
}

/// Average directional index: Wilder's smoothing of DX (seeded with the mean of the first `n` DX values), first
/// value after `2n - 1` bars.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Adx {
    dm: Directional,
    smooth: Wilder,
}
impl Adx {
    fn new(n: usize) -> Self {
        Self { dm: Directional::new(n), smooth: Wilder::new(n) }
    }

    #[inline(always)]
    fn push(&mut self, x: [f64; 3]) -> Option<f64> {
        self.dm.dx(x).and_then(|dx| self.smooth.push(dx))
    }
}
impl Kernel<3, 1> for Adx {
    restarts!(converges self => self.dm.restart().then(self.smooth.restart()));
    #[inline(always)]
    fn step(&mut self, x: [f64; 3]) -> [f64; 1] {
        [self.push(x).unwrap_or(f64::NAN)]
    }
}

/// ADX rating: the mean of today's ADX and the ADX `n - 1` bars ago.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Adxr {
    adx: Adx,
    past: Ring,
}
impl Kernel<3, 1> for Adxr {
    restarts!(self => self.adx.dm.restart().then(self.adx.smooth.restart()).then(Restart::Window(self.past.capacity())));
    /// The same ADX state and the same past values in the same order (where the ring's slots stand depends on how
    /// many values it was ever given, not on the values).
    fn same_state(&self, other: &Self) -> bool {
        self.adx == other.adx && self.past.iter().map(f64::to_bits).eq(other.past.iter().map(f64::to_bits))
    }
    #[inline(always)]
    fn step(&mut self, x: [f64; 3]) -> [f64; 1] {
        let Some(adx) = self.adx.push(x) else { return [f64::NAN] };
        self.past.push(adx);
        let lag = self.past.capacity() - 1;
        [self.past.ago(lag).map_or(f64::NAN, |old| (adx + old) / 2.0)]
    }
}

/// Aroon over `n + 1` bars: `100 (n - bars since the extreme) / n`. Ties go to the most recent bar, as in TA-Lib.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Aroon {
    n: f64,
    highest: RollingExtreme,
    lowest: RollingExtreme,
}
impl Aroon {
    fn new(n: usize) -> Self {
        Self {
            n: n as f64,
            highest: RollingExtreme::new(n + 1, Extreme::Max),
            lowest: RollingExtreme::new(n + 1, Extreme::Min),
        }
    }

    /// `(bars since the lowest low, bars since the highest high)` once the window is full.
    #[inline(always)]
    fn ages(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let up = self.highest.push(high);
        let down = self.lowest.push(low);
        let ((_, up_age), (_, down_age)) = (up?, down?);
        Some((down_age as f64, up_age as f64))
    }

    /// [`Self::ages`] over a run of valid bars, into `down` and `up` (NaN before the window is full).
    #[inline(always)]
    fn run_dense_ages(&mut self, highs: &[f64], lows: &[f64], down: &mut [f64], up: &mut [f64]) {
        self.highest.run_dense_ages(highs, up);
        self.lowest.run_dense_ages(lows, down);
    }

    #[inline(always)]
    fn line(&self, age: f64) -> f64 {
        100.0 / self.n * (self.n - age)
    }

    #[inline(always)]
    fn oscillator(&self, down: f64, up: f64) -> f64 {
        100.0 / self.n * (down - up)
    }
}
impl Kernel<2, 2> for Aroon {
    restarts!(self => Restart::Window(self.highest.window()));
    const DENSE: bool = true;
    const TILE: usize = DENSE_EXTREME_TILE;
    #[inline(always)]
    fn step(&mut self, [high, low]: [f64; 2]) -> [f64; 2] {
        match self.ages(high, low) {
            Some((down, up)) => [self.line(down), self.line(up)],
            None => [f64::NAN; 2],
        }
    }
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls]: [&[f64]; 2], [down, up]: [&mut [MaybeUninit<f64>]; 2]) {
        let (down, up) = (init_nan(down), init_nan(up));
        self.run_dense_ages(hs, ls, down, up);
        // NaN ages (window not full) stay NaN.
        for (d, u) in down.iter_mut().zip(up.iter_mut()) {
            (*d, *u) = (self.line(*d), self.line(*u));
        }
    }
}

/// Aroon up minus Aroon down.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct AroonOsc(Aroon);
impl Kernel<2, 1> for AroonOsc {
    restarts!(self => Restart::Window(self.0.highest.window()));
    const DENSE: bool = true;
    const TILE: usize = DENSE_EXTREME_TILE;
    #[inline(always)]
    fn step(&mut self, [high, low]: [f64; 2]) -> [f64; 1] {
        [self.0.ages(high, low).map_or(f64::NAN, |(down, up)| self.0.oscillator(down, up))]
    }
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls]: [&[f64]; 2], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut up = [0.0; DENSE_EXTREME_TILE];
        let up = &mut up[..hs.len()];
        let down = init_nan(out);
        self.0.run_dense_ages(hs, ls, down, up);
        for (d, &u) in down.iter_mut().zip(up.iter()) {
            *d = self.0.oscillator(*d, u);
        }
    }
}

/// Wilder's parabolic SAR as TA-Lib computes it. The first trend is long unless the second bar shows downward
/// directional movement; the SAR starts at the first bar's low (long) or high (short), and each output is the SAR in
/// force for that bar, computed from the bars before it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Sar {
    acceleration: f64,
    maximum: f64,
    first: Option<(f64, f64)>,
    started: bool,
    long: bool,
    af: f64,
    ep: f64,
    sar: f64,
    prev_high: f64,
    prev_low: f64,
}
impl Sar {
    fn new(acceleration: f64, maximum: f64) -> Self {
        // TA-Lib caps the step at the maximum.
        let acceleration = acceleration.min(maximum);
        Self {
            acceleration,
            maximum,
            first: None,
            started: false,
            long: true,
            af: acceleration,
            ep: 0.0,
            sar: 0.0,
            prev_high: 0.0,
            prev_low: 0.0,
        }
    }
}
impl Kernel<2, 1> for Sar {
    fn step(&mut self, [high, low]: [f64; 2]) -> [f64; 1] {
        if !self.started {
            let Some((first_high, first_low)) = self.first else {
                self.first = Some((high, low));
                return [f64::NAN];
            };
            self.started = true;
            let up = high - first_high;
            let down = first_low - low;
            self.long = !(down > 0.0 && down > up);
            (self.ep, self.sar) = if self.long { (high, first_low) } else { (low, first_high) };
            (self.prev_high, self.prev_low) = (high, low);
        }
        [self.advance(high, low)]
    }

    const DENSE: bool = true;

    fn run_dense(&mut self, [highs, lows]: [&[f64]; 2], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let mut rows = highs.iter().zip(lows).zip(out.iter_mut());
        for ((&high, &low), slot) in rows.by_ref() {
            slot.write(self.step([high, low])[0]);
            if self.started {
                break;
            }
        }
        // A local copy whose address never escapes: its fields live in registers through the loop.
        let mut sar = self.clone();
        for ((&high, &low), slot) in rows {
            slot.write(sar.advance(high, low));
        }
        *self = sar;
    }
}

impl Sar {
    /// One bar once the trend has started: the SAR in force for it, and the state for the next bar.
    #[inline(always)]
    fn advance(&mut self, high: f64, low: f64) -> f64 {
        let (prev_high, prev_low) = (self.prev_high, self.prev_low);
        (self.prev_high, self.prev_low) = (high, low);
        let out;
        if self.long {
            if low <= self.sar {
                // Reverse to short: the SAR jumps to the extreme point, kept above the last two highs.
                self.long = false;
                out = raise(raise(self.ep, prev_high), high);
                self.af = self.acceleration;
                self.ep = low;
                self.sar = raise(out + self.af * (self.ep - out), raise(prev_high, high));
            } else {
                out = self.sar;
                // A new extreme as selects, not a branch: on a random walk it is taken at random. The limit of the
                // last two lows is taken first, off the bar-to-bar chain, so the SAR waits on one `minsd`, not two:
                // `cap(cap(x, a), b) == cap(x, cap(a, b))` bit for bit, since `cap` keeps `x` on a tie and the
                // missing-bar rule keeps NaN out.
                let stepped = cap(self.af + self.acceleration, self.maximum);
                self.af = if high > self.ep { stepped } else { self.af };
                self.ep = raise(self.ep, high);
                self.sar = cap(out + self.af * (self.ep - out), cap(prev_low, low));
            }
        } else if high >= self.sar {
            // Reverse to long: the SAR jumps to the extreme point, kept below the last two lows.
            self.long = true;
            out = cap(cap(self.ep, prev_low), low);
            self.af = self.acceleration;
            self.ep = high;
            self.sar = cap(out + self.af * (self.ep - out), cap(prev_low, low));
        } else {
            out = self.sar;
            let stepped = cap(self.af + self.acceleration, self.maximum);
            self.af = if low < self.ep { stepped } else { self.af };
            self.ep = cap(self.ep, low);
            self.sar = raise(out + self.af * (self.ep - out), raise(prev_high, high));
        }
        out
    }
}

/// `v` lowered to `limit` if above it, as TA-Lib's `if (sar > limit) sar = limit`: one `minsd`, where `f64::min`'s
/// NaN handling adds two instructions to the SAR's bar-to-bar dependency chain.
#[inline(always)]
fn cap(v: f64, limit: f64) -> f64 {
    if v > limit {
        limit
    } else {
        v
    }
}

/// `v` raised to `limit` if below it (TA-Lib's `if (sar < limit) sar = limit`).
#[inline(always)]
fn raise(v: f64, limit: f64) -> f64 {
    if v < limit {
        limit
    } else {
        v
    }
}

/// True strength index: `100 EMA_short(EMA_long(m)) / EMA_short(EMA_long(|m|))` of the close-to-close change `m`,
/// every EMA seeded with the simple mean of its first values (TA-Lib's convention); 0 where the denominator is 0.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Tsi {
    prev: Option<f64>,
    num: (Ema, Ema),
    den: (Ema, Ema),
}
impl Kernel<1, 1> for Tsi {
    #[inline(always)]
    fn step(&mut self, [close]: [f64; 1]) -> [f64; 1] {
        let Some(prev) = self.prev.replace(close) else { return [f64::NAN] };
        let change = close - prev;
        let num = self.num.0.push(change).and_then(|v| self.num.1.push(v));
        let den = self.den.0.push(change.abs()).and_then(|v| self.den.1.push(v));
        match (num, den) {
            (Some(n), Some(d)) if d != 0.0 => [100.0 * n / d],
            (Some(_), Some(_)) => [0.0],
            _ => [f64::NAN],
        }
    }
}

/// Elder ray: bull power `high - EMA(close)` and bear power `low - EMA(close)`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct ElderRay(Ema);
impl Kernel<3, 2> for ElderRay {
    #[inline(always)]
    fn step(&mut self, [high, low, close]: [f64; 3]) -> [f64; 2] {
        match self.0.push(close) {
            Some(ema) => [high - ema, low - ema],
            None => [f64::NAN; 2],
        }
    }
}

/// Pring's Know Sure Thing: four rates of change, each smoothed by its own SMA, weighted 1, 2, 3, 4 and summed; the
/// signal line is an SMA of that sum. A rate of change against a zero price is 0, as TA-Lib's ROC makes it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Kst {
    closes: Ring,
    rocs: [usize; 4],
    smas: [RollingMean; 4],
    signal: RollingMean,
}
impl Kst {
    fn new(rocs: [usize; 4], smas: [usize; 4], signal: usize) -> Self {
        let longest = *rocs.iter().max().expect("four periods");
        Self {
            closes: Ring::new(longest + 1),
            rocs,
            smas: smas.map(RollingMean::new),
            signal: RollingMean::new(signal),
        }
    }
}
impl Kernel<1, 2> for Kst {
    fn step(&mut self, [close]: [f64; 1]) -> [f64; 2] {
        self.closes.push(close);
        let mut kst = 0.0;
        let mut complete = true;
        for (k, (&period, sma)) in self.rocs.iter().zip(self.smas.iter_mut()).enumerate() {
            let Some(past) = self.closes.ago(period) else {
                complete = false;
                continue;
            };
            let roc = if past == 0.0 { 0.0 } else { (close / past - 1.0) * 100.0 };
            match sma.push(roc) {
                Some(m) => kst += (k + 1) as f64 * m,
                None => complete = false,
            }
        }
        if !complete {
            return [f64::NAN; 2];
        }
        let signal = self.signal.push(kst).unwrap_or(f64::NAN);
        [kst, signal]
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    fn nan_count(v: &[f64]) -> usize {
        v.iter().take_while(|x| x.is_nan()).count()
    }

    fn bars(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let close: Vec<f64> = (0..n).map(|i| 100.0 + ((i * 37) % 11) as f64 - (i as f64) * 0.1).collect();
        let high = close.iter().enumerate().map(|(i, c)| c + 1.0 + (i % 3) as f64 * 0.5).collect();
        let low = close.iter().enumerate().map(|(i, c)| c - 1.0 - (i % 4) as f64 * 0.25).collect();
        (high, low, close)
    }

    #[test]
    fn directional_family_warm_up_matches_talib_lookbacks() {
        let (h, l, c) = bars(60);
        for n in [2usize, 3, 14] {
            let w = n as f64;
            let di = compute("plus_di", &[("window", w)], &[&h, &l, &c]).unwrap();
            assert_eq!(nan_count(&di[0]), n);
            let adx = compute("adx", &[("window", w)], &[&h, &l, &c]).unwrap();
            assert_eq!(nan_count(&adx[0]), 2 * n - 1);
            let adxr = compute("adxr", &[("window", w)], &[&h, &l, &c]).unwrap();
            assert_eq!(nan_count(&adxr[0]), 3 * n - 2);
            assert!(adx[0][2 * n - 1..].iter().all(|v| (0.0..=100.0).contains(v)));
        }
    }

    #[test]
    fn flat_bars_give_zero_not_nan() {
        let x = vec![5.0; 30];
        for name in ["plus_di", "minus_di", "adx", "adxr"] {
            let out = compute(name, &[("window", 3.0)], &[&x, &x, &x]).unwrap();
            assert!(out[0].iter().skip_while(|v| v.is_nan()).all(|&v| v == 0.0), "{name}");
        }
    }

    #[test]
    fn adx_window_below_two_is_an_error() {
        let x = [1.0];
        let err = compute("adx", &[("window", 1.0)], &[&x, &x, &x]).unwrap_err();
        assert_eq!(err.0, "adx: window must be an integer >= 2, got 1");
    }

    #[test]
    fn aroon_ties_go_to_the_newest_bar() {
        let high = [5.0, 5.0, 5.0, 4.0, 3.0];
        let low = [1.0, 1.0, 1.0, 1.0, 2.0];
        let out = compute("aroon", &[("window", 3.0)], &[&high, &low]).unwrap();
        // window of 4 bars; highest 5 last at bar 2, lowest 1 last at bar 3
        assert!((out[1][3] - 100.0 * 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(out[0][3], 100.0);
        assert!((out[1][4] - 100.0 / 3.0).abs() < 1e-12);
        let osc = compute("aroon_osc", &[("window", 3.0)], &[&high, &low]).unwrap();
        assert!((osc[0][4] - (out[1][4] - out[0][4])).abs() < 1e-12);
    }

    #[test]
    fn sar_follows_a_rising_market_then_reverses() {
        let high = [10.0, 11.0, 12.0, 13.0, 9.0];
        let low = [9.0, 10.0, 11.0, 12.0, 8.0];
        let out = compute("parabolic_sar", &[("acceleration", 0.02), ("maximum", 0.2)], &[&high, &low]).unwrap();
        assert!(out[0][0].is_nan());
        assert_eq!(out[0][1], 9.0);
        assert!(out[0][2] > 9.0 && out[0][2] < 10.0);
        // the fall below the SAR reverses to short: the SAR jumps to the highest high
        assert_eq!(out[0][4], 13.0);
    }

    #[test]
    fn tsi_of_a_steady_rise_is_100() {
        let x: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let out = compute("tsi", &[("long", 5.0), ("short", 3.0)], &[&x]).unwrap();
        assert_eq!(nan_count(&out[0]), 5 + 3 - 1);
        assert!(out[0][7..].iter().all(|v| (v - 100.0).abs() < 1e-12));
        let flat = vec![1.0; 20];
        let out = compute("tsi", &[("long", 5.0), ("short", 3.0)], &[&flat]).unwrap();
        assert!(out[0][7..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn kst_warm_up_and_signal() {
        let x: Vec<f64> = (0..80).map(|i| 100.0 + i as f64).collect();
        let p = [
            ("roc1", 10.0),
            ("roc2", 15.0),
            ("roc3", 20.0),
            ("roc4", 30.0),
            ("sma1", 10.0),
            ("sma2", 10.0),
            ("sma3", 10.0),
            ("sma4", 15.0),
            ("signal", 9.0),
        ];
        let out = compute("kst", &p, &[&x]).unwrap();
        assert_eq!(nan_count(&out[0]), 44);
        assert_eq!(nan_count(&out[1]), 52);
    }
}
