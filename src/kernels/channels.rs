//! Price channels and the indicators built on them: Keltner and Donchian channels, the TTM squeeze (LazyBear's
//! formulation), SuperTrend and Ichimoku.

use super::blocks::{Ema, Ring, RollingMean, RollingMoments, RollingRange, Wilder, Wma};
use super::catalogue::Runner;
use super::volatility::TrueRange;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "keltner" => r.run(Keltner {
            middle: Ema::new(p.window("window")?),
            multiplier: p.non_negative("multiplier")?,
            atr: Atr::new(p.window("atr_window")?),
        }),
        "donchian" => r.run(Donchian::new(p.window("window")?)),
        "squeeze" => {
            let bb = p.window("bb_window")?;
            let kc = p.window("kc_window")?;
            r.run(Squeeze {
                bb: RollingMoments::new(bb),
                bb_mult: p.non_negative("bb_mult")?,
                kc_mid: RollingMean::new(kc),
                kc_tr: TrueRange::default(),
                kc_range: RollingMean::new(kc),
                kc_mult: p.non_negative("kc_mult")?,
                range: RollingRange::new(kc),
                reg_wma: Wma::new(kc),
                reg_mean: RollingMean::new(kc),
                bb_n: bb as f64,
            })
        }
        "supertrend" => r.run(SuperTrend {
            atr: Atr::new(p.window("window")?),
            multiplier: p.non_negative("multiplier")?,
            prev: None,
        }),
        "ichimoku" => {
            let tenkan = p.window("tenkan")?;
            let kijun = p.window("kijun")?;
            let senkou = p.window("senkou")?;
            r.run(Ichimoku {
                tenkan: Donchian::new(tenkan),
                kijun: Donchian::new(kijun),
                senkou: Donchian::new(senkou),
                lead_a: Ring::new(kijun + 1),
                lead_b: Ring::new(kijun + 1),
            })
        }
        _ => return Ok(None),
    }))
}

/// Wilder's ATR as TA-Lib computes it: true range from the second bar, first value after `n` true ranges.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Atr {
    tr: TrueRange,
    smooth: Wilder,
}
impl Atr {
    fn new(n: usize) -> Self {
        Self { tr: TrueRange::default(), smooth: Wilder::new(n) }
    }

    #[inline(always)]
    fn push(&mut self, h: f64, l: f64, c: f64) -> Option<f64> {
        self.tr.push(h, l, c).and_then(|tr| self.smooth.push(tr))
    }
}

/// Keltner channel: middle = TA-Lib-seeded EMA of close, bands = middle ± multiplier · ATR (Wilder). All three
/// outputs start on the first bar where both the EMA and the ATR have a value.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Keltner {
    middle: Ema,
    multiplier: f64,
    atr: Atr,
}
impl Kernel<3, 3> for Keltner {
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 3] {
        let mid = self.middle.push(c);
        let atr = self.atr.push(h, l, c);
        match (mid, atr) {
            (Some(m), Some(a)) => [m + self.multiplier * a, m, m - self.multiplier * a],
            _ => [f64::NAN; 3],
        }
    }
}

/// Donchian channel: highest high and lowest low over the window, and their midpoint.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Donchian(RollingRange);
impl Donchian {
    fn new(n: usize) -> Self {
        Self(RollingRange::new(n))
    }

    /// `(upper, middle, lower)` once the window is full.
    #[inline(always)]
    fn push(&mut self, h: f64, l: f64) -> Option<(f64, f64, f64)> {
        let (u, d) = self.0.push(h, l)?;
        Some((u, (u + d) / 2.0, d))
    }
}
impl Kernel<2, 3> for Donchian {
    #[inline(always)]
    fn step(&mut self, [h, l]: [f64; 2]) -> [f64; 3] {
        self.push(h, l).map_or([f64::NAN; 3], |(u, m, d)| [u, m, d])
    }
}

/// The TTM squeeze as LazyBear's TradingView script computes it.
///
/// - Bollinger bands: `SMA(close, bb_window) ± bb_mult · σ`, σ the population standard deviation over `bb_window`.
/// - Keltner channel: `SMA(close, kc_window) ± kc_mult · SMA(true range, kc_window)` (true range from the second bar).
/// - `squeeze_on` = 1 when the Bollinger bands lie strictly inside the channel (lower BB > lower KC and upper BB <
///   upper KC), else 0.
/// - `squeeze_momentum` = the end value of the least-squares line over the last `kc_window` values of
///   `close - ((HH + LL) / 2 + SMA(close)) / 2`, where HH, LL and the SMA are over `kc_window` bars; the end value of
///   the line equals `3 · WMA - 2 · SMA` of those values.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Squeeze {
    bb: RollingMoments,
    bb_mult: f64,
    bb_n: f64,
    kc_mid: RollingMean,
    kc_tr: TrueRange,
    kc_range: RollingMean,
    kc_mult: f64,
    range: RollingRange,
    reg_wma: Wma,
    reg_mean: RollingMean,
}
impl Kernel<3, 2> for Squeeze {
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 2] {
        let bb = self.bb.push(c);
        let kc_mid = self.kc_mid.push(c);
        let kc_range = self.kc_tr.push(h, l, c).and_then(|tr| self.kc_range.push(tr));
        let on = match (bb, kc_mid, kc_range) {
            (Some((mean, m2)), Some(mid), Some(range)) => {
                let width = self.bb_mult * (m2 / self.bb_n).sqrt();
                let kc_width = self.kc_mult * range;
                let inside = mean - width > mid - kc_width && mean + width < mid + kc_width;
                if inside {
                    1.0
                } else {
                    0.0
                }
            }
            _ => f64::NAN,
        };
        let momentum = match (self.range.push(h, l), kc_mid) {
            (Some((hh, ll)), Some(mid)) => {
                let x = c - ((hh + ll) / 2.0 + mid) / 2.0;
                let wma = self.reg_wma.push(x);
                let mean = self.reg_mean.push(x);
                match (wma, mean) {
                    (Some(w), Some(m)) => 3.0 * w - 2.0 * m,
                    _ => f64::NAN,
                }
            }
            _ => f64::NAN,
        };
        [on, momentum]
    }
}

/// SuperTrend. With `mid = (high + low) / 2` and ATR Wilder's (first value on bar `window`):
///
/// - basic bands `mid ± multiplier · ATR`;
/// - the final upper band takes the basic one when it is lower than the previous final upper band or the previous
///   close was above that band, else keeps the previous one; the final lower band mirrors this;
/// - on the first bar with an ATR the trend is down (−1) and the final bands are the basic ones; afterwards a down
///   trend turns up (+1) when close > the final upper band, an up trend turns down when close < the final lower band;
/// - `supertrend` is the final lower band in an up trend and the final upper band in a down trend.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct SuperTrend {
    atr: Atr,
    multiplier: f64,
    /// Previous bar's (final upper, final lower, close, direction).
    prev: Option<(f64, f64, f64, f64)>,
}
impl Kernel<3, 2> for SuperTrend {
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 2] {
        let Some(atr) = self.atr.push(h, l, c) else { return [f64::NAN; 2] };
        let mid = (h + l) / 2.0;
        let (basic_up, basic_low) = (mid + self.multiplier * atr, mid - self.multiplier * atr);
        let (upper, lower, direction) = match self.prev {
            None => (basic_up, basic_low, -1.0),
            Some((prev_up, prev_low, prev_close, prev_dir)) => {
                let upper = if basic_up < prev_up || prev_close > prev_up { basic_up } else { prev_up };
                let lower = if basic_low > prev_low || prev_close < prev_low { basic_low } else { prev_low };
                let direction = if prev_dir < 0.0 {
                    if c > upper {
                        1.0
                    } else {
                        -1.0
                    }
                } else if c < lower {
                    -1.0
                } else {
                    1.0
                };
                (upper, lower, direction)
            }
        };
        self.prev = Some((upper, lower, c, direction));
        [if direction > 0.0 { lower } else { upper }, direction]
    }
}

/// Ichimoku, causal: every output at row `i` uses bars up to `i` only.
///
/// - `tenkan`, `kijun`: midpoints of the highest high and lowest low over `tenkan` / `kijun` bars;
/// - `senkou_a[i] = (tenkan + kijun) / 2` and `senkou_b[i]` = the `senkou`-bar midpoint, both as computed `kijun` bars
///   earlier (the cloud drawn above bar `i`, already shifted forward);
/// - `chikou[i] = close[i]`: the lagging span's value that a chart draws `kijun` bars to the left of bar `i`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Ichimoku {
    tenkan: Donchian,
    kijun: Donchian,
    senkou: Donchian,
    lead_a: Ring,
    lead_b: Ring,
}
impl Kernel<3, 5> for Ichimoku {
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 5] {
        let tenkan = self.tenkan.push(h, l).map_or(f64::NAN, |(_, m, _)| m);
        let kijun = self.kijun.push(h, l).map_or(f64::NAN, |(_, m, _)| m);
        let senkou = self.senkou.push(h, l).map_or(f64::NAN, |(_, m, _)| m);
        self.lead_a.push((tenkan + kijun) / 2.0);
        self.lead_b.push(senkou);
        let shift = self.lead_a.capacity() - 1;
        let a = self.lead_a.ago(shift).unwrap_or(f64::NAN);
        let b = self.lead_b.ago(shift).unwrap_or(f64::NAN);
        [tenkan, kijun, a, b, c]
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * y.abs().max(1.0))
    }

    const N: f64 = f64::NAN;
    const H: [f64; 8] = [2.0, 3.0, 2.5, 3.0, 4.0, 4.0, 5.0, 3.0];
    const L: [f64; 8] = [1.0, 2.0, 1.5, 2.0, 3.0, 3.0, 4.0, 1.0];
    const C: [f64; 8] = [1.5, 2.5, 2.0, 2.8, 3.5, 3.2, 4.5, 1.5];

    #[test]
    fn donchian_bands_and_midpoint() {
        let out = compute("donchian", &[("window", 3.0)], &[&H, &L]).unwrap();
        assert!(close(&out[0], &[N, N, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0]));
        assert!(close(&out[2], &[N, N, 1.0, 1.5, 1.5, 2.0, 3.0, 1.0]));
        assert!(close(&out[1][2..3], &[2.0]));
    }

    #[test]
    fn keltner_starts_when_ema_and_atr_both_have_values() {
        let out =
            compute("keltner", &[("window", 2.0), ("multiplier", 1.0), ("atr_window", 2.0)], &[&H, &L, &C]).unwrap();
        // EMA(2) from bar 1: 2.0, then bar 2: 2.0 + (2.0 - 2.0) * 2/3 = 2.0; ATR(2) from bar 2: mean(1.5, 1.0) = 1.25
        assert!(close(&out[1][..3], &[N, N, 2.0]));
        assert!(close(&out[0][..3], &[N, N, 3.25]));
        assert!(close(&out[2][..3], &[N, N, 0.75]));
    }

    #[test]
    fn supertrend_starts_down_and_flips() {
        let out = compute("supertrend", &[("window", 1.0), ("multiplier", 0.5)], &[&H, &L, &C]).unwrap();
        // bar 1: tr 1.5, mid 2.5 -> bands 3.25 / 1.75, down: supertrend = 3.25
        assert_eq!((out[0][1], out[1][1]), (3.25, -1.0));
        // bar 2: tr 1.0, mid 2.0 -> basic 2.5 / 1.5; upper 2.5 < 3.25 taken; lower: 1.5 > 1.75? no, prev close 2.5 <
        // 1.75? no -> keeps 1.75; close 2.0 > 2.5? no -> still down at 2.5
        assert_eq!((out[0][2], out[1][2]), (2.5, -1.0));
        // bar 3: tr 1.0, mid 2.5 -> basic 3.0 / 2.0; upper: 3.0 < 2.5? no, prev close 2.0 > 2.5? no -> 2.5;
        // lower: 2.0 > 1.75 -> 2.0; close 2.8 > 2.5 -> up, supertrend = lower = 2.0
        assert_eq!((out[0][3], out[1][3]), (2.0, 1.0));
        assert!(out[0][0].is_nan() && out[1][0].is_nan());
    }

    #[test]
    fn ichimoku_shifts_the_cloud_forward_by_kijun_bars() {
        let out = compute("ichimoku", &[("tenkan", 1.0), ("kijun", 2.0), ("senkou", 3.0)], &[&H, &L, &C]).unwrap();
        let tenkan: Vec<f64> = H.iter().zip(&L).map(|(h, l)| (h + l) / 2.0).collect();
        assert!(close(&out[0], &tenkan));
        assert!(close(&out[1][..3], &[N, 2.0, 2.25]));
        // senkou_a at bar 3 = (tenkan[1] + kijun[1]) / 2 = (2.5 + 2.0) / 2
        assert!(close(&out[2][..4], &[N, N, N, 2.25]));
        // senkou_b first computed at bar 2 (= 2.0), shown at bar 4
        assert!(close(&out[3][..5], &[N, N, N, N, 2.0]));
        assert!(close(&out[4], &C));
    }

    #[test]
    fn squeeze_momentum_is_the_end_of_a_least_squares_line() {
        let c: Vec<f64> = (0..12).map(|i| (i as f64 * 0.7).sin() * 3.0 + 10.0).collect();
        let h: Vec<f64> = c.iter().map(|v| v + 0.5).collect();
        let l: Vec<f64> = c.iter().map(|v| v - 0.5).collect();
        let n = 3;
        let out = compute(
            "squeeze",
            &[("bb_window", 3.0), ("bb_mult", 2.0), ("kc_window", n as f64), ("kc_mult", 1.5)],
            &[&h, &l, &c],
        )
        .unwrap();
        let src: Vec<f64> = (0..12)
            .map(|i| {
                if i + 1 < n {
                    return f64::NAN;
                }
                let w = i + 1 - n..=i;
                let hh = h[w.clone()].iter().cloned().fold(f64::MIN, f64::max);
                let ll = l[w.clone()].iter().cloned().fold(f64::MAX, f64::min);
                let sma = c[w].iter().sum::<f64>() / n as f64;
                c[i] - ((hh + ll) / 2.0 + sma) / 2.0
            })
            .collect();
        for i in 0..12 {
            if i + 2 < 2 * n {
                assert!(out[1][i].is_nan());
                continue;
            }
            // fit y = a + b x on x = 0, 1, 2 and evaluate at x = 2
            let y = &src[i + 1 - n..=i];
            let b = (y[2] - y[0]) / 2.0;
            let a = y.iter().sum::<f64>() / 3.0 - b;
            assert!((out[1][i] - (a + 2.0 * b)).abs() < 1e-12, "row {i}");
        }
        assert!(out[0][..3].iter().all(|v| v.is_nan()));
        assert!(out[0][3..].iter().all(|v| *v == 0.0 || *v == 1.0));
    }
}
