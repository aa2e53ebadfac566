//! Rolling and cumulative aggregations: sums, means, variances, extremes, and pandas-style exponential means.

use std::mem::MaybeUninit;

use super::blocks::{
    init_nan, CompensatedSum, Extreme, RollingExtreme, RollingMean, RollingMoments, RollingSum, DENSE_SUM_TILE,
};
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params, Restart};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "rolling_sum" => r.run(Sum(RollingSum::new(p.window("window")?))),
        "rolling_mean" | "sma" => {
            let n = p.window("window")?;
            r.run(Mean(RollingMean::new(n)))
        }
        "rolling_var" | "rolling_std" => {
            let n = p.window("window")?;
            let ddof = p.float("ddof")?;
            if ddof < 0.0 || ddof.fract() != 0.0 {
                return Err(p.error(format_args!("ddof must be an integer >= 0, got {ddof}")));
            }
            r.run(Var { moments: RollingMoments::new(n), denominator: n as f64 - ddof, sqrt: name == "rolling_std" })
        }
        "rolling_max" => r.run(Ext(RollingExtreme::new(p.window("window")?, Extreme::Max))),
        "rolling_min" => r.run(Ext(RollingExtreme::new(p.window("window")?, Extreme::Min))),
        "cumulative_sum" => r.run(CumSum::default()),
        "ewm_mean" => {
            let alpha = p.float("alpha")?;
            if !(alpha > 0.0 && alpha <= 1.0) {
                return Err(p.error(format_args!("alpha must be in (0, 1], got {alpha}")));
            }
            let min_periods = p.int_at_least("min_periods", 0)?;
            r.run(EwmMean { alpha, adjust: p.flag("adjust")?, min_periods, count: 0, num: 0.0, den: 0.0 })
        }
        _ => return Ok(None),
    }))
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Sum(RollingSum);
impl Kernel<1, 1> for Sum {
    restarts!(self => Restart::Window(self.0.window()));
    const DENSE: bool = true;
    const TILE: usize = DENSE_SUM_TILE;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        self.0.run_dense(xs, out, |s| s);
    }
}

/// The simple moving average (`sma`, `rolling_mean`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Mean(pub(crate) RollingMean);
impl Kernel<1, 1> for Mean {
    restarts!(self => Restart::Window(self.0.window()));
    const DENSE: bool = true;
    const TILE: usize = DENSE_SUM_TILE;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        self.0.run_dense(xs, out);
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Var {
    moments: RollingMoments,
    denominator: f64,
    sqrt: bool,
}
impl Kernel<1, 1> for Var {
    restarts!(self => Restart::Window(self.moments.window()));
    const DENSE: bool = true;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [variance(self.denominator, self.sqrt, self.moments.push(x))]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let (denominator, sqrt) = (self.denominator, self.sqrt);
        self.moments.run_dense(xs, |i, moments| {
            out[i].write(variance(denominator, sqrt, moments));
        });
    }
}

/// The variance (or with `sqrt` the standard deviation) from a window's moments; NaN before the window is full
/// and where `ddof` leaves no positive denominator.
#[inline(always)]
fn variance(denominator: f64, sqrt: bool, moments: Option<(f64, f64)>) -> f64 {
    let Some((_, m2)) = moments else { return f64::NAN };
    if denominator <= 0.0 {
        return f64::NAN;
    }
    let var = m2 / denominator;
    if sqrt {
        var.sqrt()
    } else {
        var
    }
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Ext(RollingExtreme);
impl Kernel<1, 1> for Ext {
    restarts!(self => Restart::Window(self.0.window()));
    const DENSE: bool = true;
    // Long tiles: the rows whose window reaches back into the previous tile go bar by bar.
    const TILE: usize = 1 << 14;
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push_value(x).unwrap_or(f64::NAN)]
    }
    #[inline(always)]
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        let out = init_nan(out);
        self.0.run_dense_values(xs, out);
    }
}

/// Running total of the valid bars, compensated so it is exact enough over 10M rows at any price level.
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct CumSum(CompensatedSum);
impl Kernel<1, 1> for CumSum {
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.add(x)]
    }
}

/// pandas' `ewm(alpha=..., adjust=...).mean()` over the valid values (pandas' `ignore_na=True`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct EwmMean {
    alpha: f64,
    adjust: bool,
    min_periods: usize,
    count: usize,
    num: f64,
    den: f64,
}
impl Kernel<1, 1> for EwmMean {
    #[inline(always)]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        self.count += 1;
        let value = if self.count == 1 {
            self.num = x;
            self.den = 1.0;
            x
        } else if self.adjust {
            // y_t = sum (1-a)^i x_{t-i} / sum (1-a)^i
            self.num = self.num * (1.0 - self.alpha) + x;
            self.den = self.den * (1.0 - self.alpha) + 1.0;
            self.num / self.den
        } else {
            self.num = (1.0 - self.alpha) * self.num + self.alpha * x;
            self.num
        };
        [if self.count >= self.min_periods.max(1) { value } else { f64::NAN }]
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    fn nan_eq(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn sma_and_rolling_sum() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let out = compute("sma", &[("window", 2.0)], &[&x]).unwrap();
        assert!(nan_eq(&out[0], &[f64::NAN, 1.5, 2.5, 3.5, 4.5]));
        let out = compute("rolling_sum", &[("window", 3.0)], &[&x]).unwrap();
        assert!(nan_eq(&out[0], &[f64::NAN, f64::NAN, 6.0, 9.0, 12.0]));
    }

    #[test]
    fn window_longer_than_series_is_all_missing() {
        let x = [1.0, 2.0];
        let out = compute("rolling_mean", &[("window", 5.0)], &[&x]).unwrap();
        assert!(out[0].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn rolling_std_uses_ddof() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let sample = compute("rolling_std", &[("window", 4.0), ("ddof", 1.0)], &[&x]).unwrap();
        assert!((sample[0][3] - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let population = compute("rolling_var", &[("window", 4.0), ("ddof", 0.0)], &[&x]).unwrap();
        assert!((population[0][3] - 1.25).abs() < 1e-12);
    }

    #[test]
    fn cumulative_sum_is_compensated() {
        let x: Vec<f64> = std::iter::once(1e16).chain(std::iter::repeat_n(1.0, 1000)).collect();
        let out = compute("cumulative_sum", &[], &[&x]).unwrap();
        assert_eq!(out[0][1000], 1e16 + 1000.0);
    }

    #[test]
    fn ewm_mean_adjusted_and_not() {
        let x = [1.0, 2.0, 3.0];
        let adj = compute("ewm_mean", &[("alpha", 0.5), ("adjust", 1.0), ("min_periods", 0.0)], &[&x]).unwrap();
        // pandas: [1.0, 1.6666666666666667, 2.4285714285714284]
        assert!(nan_eq(&adj[0], &[1.0, 5.0 / 3.0, 17.0 / 7.0]));
        let rec = compute("ewm_mean", &[("alpha", 0.5), ("adjust", 0.0), ("min_periods", 2.0)], &[&x]).unwrap();
        assert!(nan_eq(&rec[0], &[f64::NAN, 1.5, 2.25]));
    }

    #[test]
    fn unknown_parameters_and_names_are_errors() {
        assert_eq!(
            compute("sma", &[("window", 0.0)], &[&[1.0]]).unwrap_err().0,
            "sma: window must be an integer >= 1, got 0"
        );
        assert!(compute("nope", &[], &[&[1.0]]).unwrap_err().0.contains("unknown indicator"));
    }
}
