//! Moving averages. `sma` shares its kernel with `rolling_mean` (see `rolling`).

use super::blocks::Ema;
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "ema" => r.run(EmaKernel(Ema::new(p.window("window")?))),
        _ => return Ok(None),
    }))
}

/// TA-Lib's EMA: `alpha = 2 / (n + 1)`, seeded with the SMA of the first `n` values.
struct EmaKernel(Ema);
impl Kernel<1, 1> for EmaKernel {
    #[inline]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        [self.0.push(x).unwrap_or(f64::NAN)]
    }
}
