//! Indicator kernels: pure Rust state machines over `f64` bars, with no Python or Polars in sight.
//!
//! Every indicator is a [`Kernel`]: it consumes one *valid* bar at a time and returns its outputs, `NaN` meaning
//! "no value yet" (warm-up). The [`driver`] applies the project's missing-bar rule around it: a row whose needed
//! inputs are null or NaN yields no value and is not fed to the kernel, so the valid rows of the output equal the
//! indicator computed on the series with the missing rows removed. One rule, for windowed and recursive kernels alike.
//!
//! [`catalogue::dispatch`] maps an indicator's name and parameters to its kernel; the Polars expressions and the
//! tests both go through it.

pub mod alloc;
pub mod averages;
pub mod bars;
pub mod blocks;
pub mod catalogue;
pub mod channels;
pub mod driver;
pub mod levels;
pub mod momentum;
pub mod params;
pub mod rolling;
pub mod trend;
pub mod volatility;
pub mod volume;

pub use catalogue::{dispatch, Runner};
pub use driver::{run_slices, Column, Drive};
pub use params::{KernelError, Params};

/// One indicator as a state machine over valid bars.
///
/// `I` is the number of input columns (in the order the catalogue declares them), `O` the number of outputs.
pub trait Kernel<const I: usize, const O: usize> {
    /// Consume the next valid bar and return the outputs for it; `NaN` where there is no value yet.
    fn step(&mut self, x: [f64; I]) -> [f64; O];
}
