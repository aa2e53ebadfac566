//! Volume-based indicators.

use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, _p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "obv" => r.run(Obv::default()),
        _ => return Ok(None),
    }))
}

/// On-balance volume, starting (as TA-Lib) at the first bar's volume.
#[derive(Default)]
struct Obv {
    prev_close: Option<f64>,
    total: f64,
}
impl Kernel<2, 1> for Obv {
    #[inline]
    fn step(&mut self, [close, volume]: [f64; 2]) -> [f64; 1] {
        match self.prev_close.replace(close) {
            None => self.total = volume,
            Some(prev) if close > prev => self.total += volume,
            Some(prev) if close < prev => self.total -= volume,
            Some(_) => {}
        }
        [self.total]
    }
}
