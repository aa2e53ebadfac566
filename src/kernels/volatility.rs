//! Volatility measures and bands.

use super::blocks::{prefetch_ahead, RollingMoments, Wilder};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params, Restart};
use std::mem::MaybeUninit;

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "true_range" => r.run(TrueRange::default()),
        "atr" => r.run(Atr { tr: TrueRange::default(), smooth: Wilder::new(p.window("window")?) }),
        "natr" => {
            let n = p.window("window")?;
            r.run(Natr { atr: Atr { tr: TrueRange::default(), smooth: Wilder::new(n) }, unit: n == 1 })
        }
        "bbands" => {
            let n = p.int_at_least("window", 2)?;
            r.run(Bbands { moments: RollingMoments::new(n), n, up: p.float("nbdevup")?, down: p.float("nbdevdn")? })
        }
        "stddev" => {
            let n = p.int_at_least("window", 2)?;
            r.run(StdDev { moments: RollingMoments::new(n), n, k: p.float("nbdev")? })
        }
        _ => return Ok(None),
    }))
}

/// `max(high, prev close) - min(low, prev close)`; from the second bar on, as TA-Lib's TRANGE.
#[derive(Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrueRange {
    prev_close: Option<f64>,
}
impl TrueRange {
    #[inline(always)]
    pub fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        Some(high.max(prev) - low.min(prev))
    }
}
impl Kernel<3, 1> for TrueRange {
    restarts!(self => Restart::Window(1));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        [self.push(h, l, c).unwrap_or(f64::NAN)]
    }
    /// From the tile's second bar on the previous close lies in the tile: one loop without a dependency between
    /// bars, so it vectorises.
    #[inline(always)]
    fn run_dense(&mut self, [hs, ls, cs]: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let Some(&last) = cs.last() else { return };
        out[0].write(self.step([hs[0], ls[0], cs[0]])[0]);
        for (slot, ((&h, &l), &prev)) in out[1..hs.len()].iter_mut().zip(hs[1..].iter().zip(&ls[1..]).zip(cs)) {
            slot.write(h.max(prev) - l.min(prev));
        }
        self.prev_close = Some(last);
    }
}

/// Wilder-smoothed true range.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Atr {
    tr: TrueRange,
    smooth: Wilder,
}
/// Rows per dense tile of the Wilder-smoothed ranges (the true ranges of a tile are held on the stack).
const TILE: usize = 4096;

impl Kernel<3, 1> for Atr {
    restarts!(converges self => Restart::Window(1).then(self.smooth.restart()));
    const DENSE: bool = true;
    const TILE: usize = TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        [self.tr.push(h, l, c).and_then(|tr| self.smooth.push(tr)).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, inputs: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let out = &mut out[..inputs[0].len()];
        self.run_dense_with(inputs, |i, atr| {
            out[i].write(atr);
        });
    }
}
impl Atr {
    /// [`Kernel::step`] over a tile of valid bars, `emit(i, atr)` for each (NaN in the warm-up): bar by bar until
    /// the previous close is known and the smoother seeded, then the true range and the recursion in registers.
    #[inline(always)]
    fn run_dense_with(&mut self, [hs, ls, cs]: [&[f64]; 3], mut emit: impl FnMut(usize, f64)) {
        let mut i = 0;
        while i < hs.len() && !(self.tr.prev_close.is_some() && self.smooth.seeded().is_some()) {
            emit(i, self.step([hs[i], ls[i], cs[i]])[0]);
            i += 1;
        }
        let (Some(prev), Some(mut atr)) = (self.tr.prev_close, self.smooth.seeded()) else { return };
        // The true ranges of the tile first (a loop without a dependency, so it vectorises), then the recursion.
        let (hs, ls, cs) = (&hs[i..], &ls[i..], &cs[i..]);
        let Some(&last) = cs.last() else { return };
        let mut trs = [0.0; TILE];
        let trs = &mut trs[..hs.len()];
        trs[0] = hs[0].max(prev) - ls[0].min(prev);
        for (tr, ((&h, &l), &p)) in trs[1..].iter_mut().zip(hs[1..].iter().zip(&ls[1..]).zip(cs)) {
            *tr = h.max(p) - l.min(p);
        }
        let columns = [hs.as_ptr(), ls.as_ptr(), cs.as_ptr()];
        atr.run(trs, |k, v| {
            prefetch_ahead(columns, k, TILE);
            emit(i + k, v)
        });
        self.tr.prev_close = Some(last);
        self.smooth.resume(atr);
    }
}

/// ATR as a percentage of the close (0 where the close is 0). As in TA-Lib, `window = 1` gives the plain true range.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Natr {
    atr: Atr,
    unit: bool,
}
impl Kernel<3, 1> for Natr {
    restarts!(converges self => Restart::Window(1).then(self.atr.smooth.restart()));
    const DENSE: bool = true;
    const TILE: usize = TILE;
    #[inline(always)]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        let [atr] = self.atr.step([h, l, c]);
        [natr_value(self.unit, atr, c)]
    }
    #[inline(always)]
    fn run_dense(&mut self, inputs: [&[f64]; 3], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let (unit, closes) = (self.unit, &inputs[2][..inputs[0].len()]);
        let out = &mut out[..inputs[0].len()];
        self.atr.run_dense_with(inputs, |i, atr| {
            out[i].write(natr_value(unit, atr, closes[i]));
        });
    }
}
#[inline(always)]
fn natr_value(unit: bool, atr: f64, close: f64) -> f64 {
    if atr.is_nan() || unit {
        return atr;
    }
    if close == 0.0 {
        0.0
    } else {
        (atr / close) * 100.0
    }
}

/// Population standard deviation of a window from its moments; never NaN (a rounding-negative variance is 0).
#[inline(always)]
fn population_std(m2: f64, n: usize) -> f64 {
    let var = m2 * (1.0 / n as f64);
    if var > 0.0 {
        var.sqrt()
    } else {
        0.0
    }
}

/// Bollinger bands: SMA middle band, bands `nbdevup` and `nbdevdn` population standard deviations away.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Bbands {
    moments: RollingMoments,
    n: usize,
    up: f64,
    down: f64,
}
/// The three bands from a window's moments (`n` bars, `up` and `down` deviations); NaN before the window is full.
#[inline(always)]
fn bands((n, up, down): (usize, f64, f64), moments: Option<(f64, f64)>) -> [f64; 3] {
    let Some((mean, m2)) = moments else { return [f64::NAN; 3] };
    let std = population_std(m2, n);
    [mean + up * std, mean, mean - down * std]
}
impl Kernel<1, 3> for Bbands {
    restarts!(self => Restart::Window(self.moments.window()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 3] {
        bands((self.n, self.up, self.down), self.moments.push(x))
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [upper, middle, lower]: [&mut [MaybeUninit<f64>]; 3]) {
        let shape = (self.n, self.up, self.down);
        self.moments.run_dense(xs, |i, moments| {
            let [u, m, l] = bands(shape, moments);
            upper[i].write(u);
            middle[i].write(m);
            lower[i].write(l);
        });
    }
}

/// Population standard deviation times `nbdev`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct StdDev {
    moments: RollingMoments,
    n: usize,
    k: f64,
}
impl Kernel<1, 1> for StdDev {
    restarts!(self => Restart::Window(self.moments.window()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.moments.push(x).map_or(f64::NAN, |(_, m2)| population_std(m2, self.n) * self.k)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let (n, k) = (self.n, self.k);
        self.moments.run_dense(xs, |i, moments| {
            out[i].write(moments.map_or(f64::NAN, |(_, m2)| population_std(m2, n) * k));
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    #[test]
    fn bbands_use_the_population_std() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let out = compute("bbands", &[("window", 4.0), ("nbdevup", 2.0), ("nbdevdn", 1.0)], &[&x]).unwrap();
        let std = 1.25f64.sqrt();
        assert!(out.iter().all(|o| o[2].is_nan()));
        assert!((out[0][3] - (2.5 + 2.0 * std)).abs() < 1e-12);
        assert_eq!(out[1][3], 2.5);
        assert!((out[2][3] - (2.5 - std)).abs() < 1e-12);
        let sd = compute("stddev", &[("window", 4.0), ("nbdev", 1.0)], &[&x]).unwrap();
        assert!((sd[0][3] - std).abs() < 1e-12);
        let flat = compute("stddev", &[("window", 2.0), ("nbdev", 1.0)], &[&[3.0, 3.0, 3.0]]).unwrap();
        assert_eq!(&flat[0][1..], &[0.0, 0.0]);
    }

    #[test]
    fn natr_is_atr_over_close_in_percent() {
        let h = [2.0, 3.0, 2.5, 3.0];
        let l = [1.0, 1.5, 1.0, 2.0];
        let c = [1.5, 2.0, 2.2, 2.8];
        let natr = compute("natr", &[("window", 2.0)], &[&h, &l, &c]).unwrap();
        let atr = compute("atr", &[("window", 2.0)], &[&h, &l, &c]).unwrap();
        assert!(natr[0][1].is_nan());
        assert!((natr[0][3] - atr[0][3] / 2.8 * 100.0).abs() < 1e-12);
        let zero = compute("natr", &[("window", 2.0)], &[&h, &l, &[1.0, 1.0, 0.0, 0.0]]).unwrap();
        assert_eq!(zero[0][3], 0.0);
    }
}
