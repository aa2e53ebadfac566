//! From an indicator's name and parameters to its kernel. Each family module owns a `dispatch` for its names;
//! this module only chains them.

// No unwrap()/expect() on what a user can influence: errors are returned, never panicked on (make lint).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use super::{averages, channels, levels, momentum, rolling, trend, volatility, volume, Kernel, KernelError, Params};

/// Something that runs a kernel: the Polars driver, or the plain-slice runner the tests use.
pub trait Runner {
    type Out;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out;
}

/// Build the kernel for `name` from `params` and hand it to `runner`.
pub fn dispatch<R: Runner>(name: &str, params: &Params, runner: &mut R) -> Result<R::Out, KernelError> {
    let families = [
        rolling::dispatch::<R>,
        averages::dispatch::<R>,
        momentum::dispatch::<R>,
        trend::dispatch::<R>,
        volatility::dispatch::<R>,
        channels::dispatch::<R>,
        volume::dispatch::<R>,
        levels::dispatch::<R>,
    ];
    for family in families {
        if let Some(out) = family(name, params, runner)? {
            return Ok(out);
        }
    }
    Err(KernelError(format!("unknown indicator '{name}'")))
}

/// Runs a kernel over plain slices (NaN marks a missing bar); used by tests and benchmarks of the pure core.
pub struct SliceRunner<'a> {
    pub inputs: Vec<&'a [f64]>,
}

impl Runner for SliceRunner<'_> {
    type Out = Result<Vec<Vec<f64>>, KernelError>;

    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let inputs: [&[f64]; I] = self
            .inputs
            .as_slice()
            .try_into()
            .map_err(|_| KernelError(format!("expected {I} input columns, got {}", self.inputs.len())))?;
        Ok(super::run_slices(kernel, inputs).into_iter().collect())
    }
}

/// Compute indicator `name` on slices: `compute("sma", &[("window", 3.0)], &[&close])`.
pub fn compute(name: &str, params: &[(&str, f64)], inputs: &[&[f64]]) -> Result<Vec<Vec<f64>>, KernelError> {
    let values = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let mut runner = SliceRunner { inputs: inputs.to_vec() };
    dispatch(name, &Params::new(name, &values), &mut runner)?
}
