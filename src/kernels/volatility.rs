//! Volatility measures and bands.

use super::blocks::Wilder;
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "true_range" => r.run(TrueRange::default()),
        "atr" => r.run(Atr { tr: TrueRange::default(), smooth: Wilder::new(p.window("window")?) }),
        _ => return Ok(None),
    }))
}

/// `max(high, prev close) - min(low, prev close)`; from the second bar on, as TA-Lib's TRANGE.
#[derive(Default)]
pub struct TrueRange {
    prev_close: Option<f64>,
}
impl TrueRange {
    #[inline]
    pub fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        Some(high.max(prev) - low.min(prev))
    }
}
impl Kernel<3, 1> for TrueRange {
    #[inline]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        [self.push(h, l, c).unwrap_or(f64::NAN)]
    }
}

/// Wilder-smoothed true range.
struct Atr {
    tr: TrueRange,
    smooth: Wilder,
}
impl Kernel<3, 1> for Atr {
    #[inline]
    fn step(&mut self, [h, l, c]: [f64; 3]) -> [f64; 1] {
        [self.tr.push(h, l, c).and_then(|tr| self.smooth.push(tr)).unwrap_or(f64::NAN)]
    }
}
