//! Volume-based indicators: on-balance volume, the accumulation/distribution family (AD, ADOSC, CMF), force index,
//! ease of movement, and the volume-weighted average price (cumulative and per session) with bands.

use std::mem::MaybeUninit;

use super::blocks::{
    assume_written, fill_with, has_fma, mul_add, prefetch_ahead, CompensatedSum, Ema, RollingMean, RollingSum,
};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "obv" => r.run(Obv::default()),
        "ad" => r.run(Ad::default()),
        "adosc" => {
            let fast = p.int_at_least("fastperiod", 2)?;
            let slow = p.int_at_least("slowperiod", 2)?;
            r.run(AdOsc {
                ad: Ad::default(),
                fast: SeededAtFirst::new(fast),
                slow: SeededAtFirst::new(slow),
                lookback: fast.max(slow) - 1,
                seen: 0,
            })
        }
        "cmf" => {
            let n = p.window("window")?;
            r.run(Cmf { flow: RollingSum::new(n), volume: RollingSum::new(n) })
        }
        "force_index" => r.run(ForceIndex { prev_close: None, ema: Ema::new(p.window("window")?) }),
        "emv" => {
            let n = p.window("window")?;
            r.run(Emv { prev_mid: None, scale: p.positive("scale")?, mean: RollingMean::new(n) })
        }
        "vwap" => r.run(Vwap { acc: WeightedMoments::default(), bands: p.non_negative("bands")? }),
        "vwap_anchored" => r.run(VwapAnchored {
            vwap: Vwap { acc: WeightedMoments::default(), bands: p.non_negative("bands")? },
            session: None,
        }),
        _ => return Ok(None),
    }))
}

/// On-balance volume, starting (as TA-Lib) at the first bar's volume.
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct Obv {
    prev_close: Option<f64>,
    total: f64,
}
impl Kernel<2, 1> for Obv {
    #[inline(always)]
    fn step(&mut self, [close, volume]: [f64; 2]) -> [f64; 1] {
        match self.prev_close.replace(close) {
            None => self.total = volume,
            // Branch-free: up and down closes are a coin toss, which a branch predictor cannot learn.
            Some(prev) => self.total += volume * ((close > prev) as i8 - (close < prev) as i8) as f64,
        }
        [self.total]
    }
}

/// The money-flow volume of one bar: `((close - low) - (high - close)) / (high - low) * volume`, 0 when the bar has
/// no range (TA-Lib adds nothing then).
#[inline(always)]
fn money_flow_volume(high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 {
        ((close - low) - (high - close)) / range * volume
    } else {
        0.0
    }
}

/// Chaikin's accumulation/distribution line (TA-Lib AD): the running total of money-flow volume, from the first bar.
#[derive(Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Ad(CompensatedSum);
impl Ad {
    #[inline(always)]
    fn push(&mut self, h: f64, l: f64, c: f64, v: f64) -> f64 {
        self.0.add(money_flow_volume(h, l, c, v))
    }
}
impl Kernel<4, 1> for Ad {
    const DENSE: bool = true;
    const MAPS_AHEAD: bool = true;
    #[inline(always)]
    fn step(&mut self, [h, l, c, v]: [f64; 4]) -> [f64; 1] {
        [self.push(h, l, c, v)]
    }
    /// The tile's money-flow volumes, then their running total in registers (bar by bar it went through memory).
    /// While the total's chain runs, the next tile's inputs are fetched for the next map.
    #[inline(always)]
    fn run_dense(&mut self, inputs: [&[f64]; 4], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let flows = money_flow_volumes(inputs, &mut out[..inputs[0].len()]);
        self.0.add_all(flows, |i| prefetch_ahead(inputs.map(<[f64]>::as_ptr), i, Self::TILE));
    }
    #[inline(always)]
    fn map_dense(inputs: [&[f64]; 4], out: &mut [MaybeUninit<f64>]) {
        money_flow_volumes(inputs, out);
    }
    /// The running total alone: another thread mapped the tile, and reads its inputs.
    #[inline(always)]
    fn scan_mapped(&mut self, inputs: [&[f64]; 4], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        // SAFETY: `map_dense` wrote every slot of the tile (the contract of `scan_mapped`).
        let flows = unsafe { assume_written(&mut out[..inputs[0].len()]) };
        self.0.add_all(flows, |_| {});
    }
}

/// The money-flow volume of every bar of a tile, written to `out` (a loop without a dependency between bars, so
/// its divisions run several at a time), for a second loop to sum.
#[inline(always)]
fn money_flow_volumes<'a>([h, l, c, v]: [&[f64]; 4], out: &'a mut [MaybeUninit<f64>]) -> &'a mut [f64] {
    fill_with(out, |i| money_flow_volume(h[i], l[i], c[i], v[i]))
}

/// An EMA seeded with the first value (TA-Lib's ADOSC seeds both of its EMAs so, not with an SMA).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct SeededAtFirst {
    alpha: f64,
    value: Option<f64>,
}
impl SeededAtFirst {
    fn new(n: usize) -> Self {
        Self { alpha: 2.0 / (n as f64 + 1.0), value: None }
    }

    #[inline(always)]
    fn push(&mut self, x: f64) -> f64 {
        let v = match self.value {
            None => x,
            // One fused multiply-add from one bar's value to the next (see `Ema::push`).
            Some(prev) => mul_add(prev, 1.0 - self.alpha, self.alpha * x),
        };
        self.value = Some(v);
        v
    }
}

/// Chaikin's A/D oscillator (TA-Lib ADOSC): EMA(fast) - EMA(slow) of the AD line, both EMAs seeded with the first AD
/// value; the first `max(fast, slow) - 1` bars are warm-up.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct AdOsc {
    ad: Ad,
    fast: SeededAtFirst,
    slow: SeededAtFirst,
    lookback: usize,
    seen: usize,
}
impl AdOsc {
    /// Past the warm-up, the line and both averages stay in registers: three short chains side by side per bar.
    /// `flows` holds the money-flow volume of every bar of the tile; `prefetch`: fetch the next tile's inputs
    /// while the chains run, for a map on this thread.
    #[inline(always)]
    fn scan(&mut self, [h, l, c, v]: [&[f64]; 4], flows: &mut [f64], prefetch: bool) {
        let len = h.len();
        let mut start = 0;
        while start < len && self.seen <= self.lookback {
            flows[start] = self.step([h[start], l[start], c[start], v[start]])[0];
            start += 1;
        }
        let (Some(mut fast), Some(mut slow)) = (self.fast.value, self.slow.value) else { return };
        let (fast_alpha, slow_alpha) = (self.fast.alpha, self.slow.alpha);
        let (fast_keep, slow_keep) = (1.0 - fast_alpha, 1.0 - slow_alpha);
        // Read once, outside the loop (as `Recursion` does): the compiler then keeps one copy of the loop per case.
        let fused = has_fma();
        let mut line = self.ad.0;
        for (i, slot) in flows[start..len].iter_mut().enumerate() {
            if prefetch {
                prefetch_ahead([h, l, c, v].map(<[f64]>::as_ptr), start + i, Self::TILE);
            }
            let ad = line.add(*slot);
            (fast, slow) = if fused {
                (fast.mul_add(fast_keep, fast_alpha * ad), slow.mul_add(slow_keep, slow_alpha * ad))
            } else {
                (fast * fast_keep + fast_alpha * ad, slow * slow_keep + slow_alpha * ad)
            };
            *slot = fast - slow;
        }
        self.ad.0 = line;
        (self.fast.value, self.slow.value) = (Some(fast), Some(slow));
        self.seen += len - start;
    }
}
impl Kernel<4, 1> for AdOsc {
    const DENSE: bool = true;
    const MAPS_AHEAD: bool = true;
    #[inline(always)]
    fn step(&mut self, [h, l, c, v]: [f64; 4]) -> [f64; 1] {
        let ad = self.ad.push(h, l, c, v);
        let osc = self.fast.push(ad) - self.slow.push(ad);
        self.seen += 1;
        [if self.seen > self.lookback { osc } else { f64::NAN }]
    }
    #[inline(always)]
    fn run_dense(&mut self, inputs: [&[f64]; 4], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let flows = money_flow_volumes(inputs, &mut out[..inputs[0].len()]);
        self.scan(inputs, flows, true);
    }
    #[inline(always)]
    fn map_dense(inputs: [&[f64]; 4], out: &mut [MaybeUninit<f64>]) {
        money_flow_volumes(inputs, out);
    }
    #[inline(always)]
    fn scan_mapped(&mut self, inputs: [&[f64]; 4], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        // SAFETY: `map_dense` wrote every slot of the tile (the contract of `scan_mapped`).
        let flows = unsafe { assume_written(&mut out[..inputs[0].len()]) };
        self.scan(inputs, flows, false);
    }
}

/// Chaikin money flow: sum of money-flow volume over the window divided by the window's volume (0 when that is 0).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Cmf {
    flow: RollingSum,
    volume: RollingSum,
}
impl Kernel<4, 1> for Cmf {
    #[inline(always)]
    fn step(&mut self, [h, l, c, v]: [f64; 4]) -> [f64; 1] {
        let flow = self.flow.push(money_flow_volume(h, l, c, v));
        let volume = self.volume.push(v);
        match (flow, volume) {
            (Some(f), Some(vol)) if vol != 0.0 => [f / vol],
            (Some(_), Some(_)) => [0.0],
            _ => [f64::NAN],
        }
    }
}

/// Elder's force index: TA-Lib-seeded EMA of `(close - previous close) * volume`; first value after `n` changes.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct ForceIndex {
    prev_close: Option<f64>,
    ema: Ema,
}
impl Kernel<2, 1> for ForceIndex {
    #[inline(always)]
    fn step(&mut self, [close, volume]: [f64; 2]) -> [f64; 1] {
        let Some(prev) = self.prev_close.replace(close) else { return [f64::NAN] };
        [self.ema.push((close - prev) * volume).unwrap_or(f64::NAN)]
    }
}

/// Ease of movement: SMA over `n` bars of `(mid - previous mid) / ((volume / scale) / (high - low))`, with
/// `mid = (high + low) / 2`; a bar with zero volume or zero range contributes 0.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Emv {
    prev_mid: Option<f64>,
    scale: f64,
    mean: RollingMean,
}
impl Kernel<3, 1> for Emv {
    #[inline(always)]
    fn step(&mut self, [h, l, v]: [f64; 3]) -> [f64; 1] {
        let mid = (h + l) / 2.0;
        let Some(prev) = self.prev_mid.replace(mid) else { return [f64::NAN] };
        let box_ratio = (v / self.scale) / (h - l);
        let emv = if v != 0.0 && h != l { (mid - prev) / box_ratio } else { 0.0 };
        [self.mean.push(emv).unwrap_or(f64::NAN)]
    }
}

/// Volume-weighted running mean and variance of a value (West's weighted update: stable at any price level).
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct WeightedMoments {
    weight: f64,
    mean: f64,
    m2: f64,
}
impl WeightedMoments {
    #[inline(always)]
    fn push(&mut self, x: f64, w: f64) {
        if w == 0.0 {
            return;
        }
        self.weight += w;
        let delta = x - self.mean;
        self.mean += delta * (w / self.weight);
        self.m2 += w * delta * (x - self.mean);
    }
}

/// Cumulative VWAP of the typical price `(high + low + close) / 3` with bands `vwap ± bands * sigma`, sigma the
/// volume-weighted population standard deviation of the typical price. No value until some volume was traded.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Vwap {
    acc: WeightedMoments,
    bands: f64,
}
impl Vwap {
    #[inline(always)]
    fn push(&mut self, h: f64, l: f64, c: f64, v: f64) -> [f64; 3] {
        self.acc.push((h + l + c) / 3.0, v);
        if self.acc.weight == 0.0 {
            return [f64::NAN; 3];
        }
        let sigma = (self.acc.m2 / self.acc.weight).max(0.0).sqrt();
        let mean = self.acc.mean;
        [mean, mean + self.bands * sigma, mean - self.bands * sigma]
    }
}
impl Kernel<4, 3> for Vwap {
    #[inline(always)]
    fn step(&mut self, [h, l, c, v]: [f64; 4]) -> [f64; 3] {
        self.push(h, l, c, v)
    }
}

/// VWAP restarted at every session: a bar whose `session` key differs from the previous valid bar's starts a new
/// accumulation. A key rather than a "new session" flag, so that a missing first bar cannot merge two sessions.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct VwapAnchored {
    vwap: Vwap,
    session: Option<f64>,
}
impl Kernel<5, 3> for VwapAnchored {
    #[inline(always)]
    fn step(&mut self, [h, l, c, v, session]: [f64; 5]) -> [f64; 3] {
        if self.session.replace(session) != Some(session) {
            self.vwap.acc = WeightedMoments::default();
        }
        self.vwap.push(h, l, c, v)
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    const H: [f64; 6] = [2.0, 3.0, 2.5, 3.0, 4.0, 4.0];
    const L: [f64; 6] = [1.0, 2.0, 1.5, 3.0, 3.0, 3.0];
    const C: [f64; 6] = [1.7, 2.7, 2.2, 3.0, 3.7, 3.7];
    const V: [f64; 6] = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0];

    #[test]
    fn ad_adds_money_flow_and_skips_zero_range_bars() {
        let out = compute("ad", &[], &[&H, &L, &C, &V]).unwrap();
        // mfm = 0.4 on every bar with a range; bar 3 has none.
        let expected = [4.0, 12.0, 24.0, 24.0, 44.0, 68.0];
        assert!(close(&out[0], &expected), "{:?}", out[0]);
    }

    #[test]
    fn adosc_seeds_both_emas_at_the_first_ad_value() {
        let out = compute("adosc", &[("fastperiod", 2.0), ("slowperiod", 3.0)], &[&H, &L, &C, &V]).unwrap();
        let ad = [4.0, 12.0, 24.0, 24.0, 44.0, 68.0];
        let (mut f, mut s) = (ad[0], ad[0]);
        let mut expected = vec![f64::NAN, f64::NAN];
        for (i, &x) in ad.iter().enumerate().skip(1) {
            f += (x - f) * 2.0 / 3.0;
            s += (x - s) * 0.5;
            if i >= 2 {
                expected.push(f - s);
            }
        }
        assert!(close(&out[0], &expected), "{:?} vs {expected:?}", out[0]);
        let err = compute("adosc", &[("fastperiod", 1.0), ("slowperiod", 3.0)], &[&H, &L, &C, &V]).unwrap_err();
        assert_eq!(err.0, "adosc: fastperiod must be an integer >= 2, got 1");
    }

    #[test]
    fn cmf_is_zero_without_volume() {
        let zero = [0.0; 6];
        let out = compute("cmf", &[("window", 2.0)], &[&H, &L, &C, &zero]).unwrap();
        assert!(close(&out[0], &[f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0]));
        let out = compute("cmf", &[("window", 2.0)], &[&H, &L, &C, &V]).unwrap();
        assert!(close(&out[0][1..2], &[(4.0 + 8.0) / 30.0]));
    }

    #[test]
    fn force_index_and_emv_warm_up_after_window_changes() {
        let fi = compute("force_index", &[("window", 2.0)], &[&C, &V]).unwrap();
        assert!(close(&fi[0][..3], &[f64::NAN, f64::NAN, (20.0 + -15.0) / 2.0]));
        let emv = compute("emv", &[("window", 1.0), ("scale", 1.0)], &[&H, &L, &V]).unwrap();
        // bar 1: mid 1.5 -> 2.5, box ratio 20 / 1
        assert!(close(&emv[0][..2], &[f64::NAN, 1.0 / 20.0]));
        assert!(emv[0][3].abs() < 1e-15); // zero range
    }

    #[test]
    fn vwap_bands_and_anchored_reset() {
        let h = [2.0, 4.0, 6.0];
        let l = h;
        let c = h;
        let v = [1.0, 1.0, 2.0];
        let out = compute("vwap", &[("bands", 2.0)], &[&h, &l, &c, &v]).unwrap();
        assert!(close(&out[0], &[2.0, 3.0, 4.5]));
        // weighted variance at bar 2: (1*6.25 + 1*0.25 + 2*2.25) / 4 = 2.75
        assert!(close(&out[1][2..], &[4.5 + 2.0 * 2.75f64.sqrt()]));
        assert!(close(&out[2][..2], &[2.0, 1.0]));
        let session = [7.0, 7.0, 8.0];
        let out = compute("vwap_anchored", &[("bands", 1.0)], &[&h, &l, &c, &v, &session]).unwrap();
        assert!(close(&out[0], &[2.0, 3.0, 6.0]));
        assert!(close(&out[1], &[2.0, 4.0, 6.0]));
        // the first bar of session 8 is missing: the session still restarts on its next valid bar
        let (h2, v2, s2) = ([2.0, 4.0, f64::NAN, 6.0], [1.0, 1.0, 1.0, 2.0], [7.0, 7.0, 8.0, 8.0]);
        let out = compute("vwap_anchored", &[("bands", 1.0)], &[&h2, &h2, &h2, &v2, &s2]).unwrap();
        assert!(close(&out[0], &[2.0, 3.0, f64::NAN, 6.0]));
        let zero = [0.0, 0.0, 1.0];
        let out = compute("vwap", &[("bands", 1.0)], &[&h, &l, &c, &zero]).unwrap();
        assert!(close(&out[0], &[f64::NAN, f64::NAN, 6.0]));
    }
}
