//! Momentum oscillators.

use super::blocks::Wilder;
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "rsi" => {
            let n = p.window("window")?;
            r.run(Rsi { prev: None, gain: Wilder::new(n), loss: Wilder::new(n) })
        }
        _ => return Ok(None),
    }))
}

/// Wilder's RSI as TA-Lib computes it: gains and losses smoothed separately, first value after `n` changes.
struct Rsi {
    prev: Option<f64>,
    gain: Wilder,
    loss: Wilder,
}
impl Kernel<1, 1> for Rsi {
    #[inline]
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        let Some(prev) = self.prev.replace(x) else { return [f64::NAN] };
        let change = x - prev;
        let gain = self.gain.push(change.max(0.0));
        let loss = self.loss.push((-change).max(0.0));
        match (gain, loss) {
            (Some(g), Some(l)) if g + l != 0.0 => [100.0 * g / (g + l)],
            (Some(_), Some(_)) => [0.0],
            _ => [f64::NAN],
        }
    }
}
