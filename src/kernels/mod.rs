//! Indicator kernels: pure Rust state machines over `f64` bars, with no Python or Polars in sight.
//!
//! Every indicator is a [`Kernel`]: it consumes one *valid* bar at a time and returns its outputs, `NaN` meaning
//! "no value yet" (warm-up). The [`driver`] applies the project's missing-bar rule around it: a row whose needed
//! inputs are null or NaN yields no value and is not fed to the kernel, so the valid rows of the output equal the
//! indicator computed on the series with the missing rows removed. One rule, for windowed and recursive kernels alike.
//!
//! [`catalogue::dispatch`] maps an indicator's name and parameters to its kernel; the Polars expressions and the
//! tests both go through it.

/// The [`Kernel`] methods of a kernel that can start mid-series, inside its `impl Kernel` block:
/// `restarts!(self => Restart::Window(n))` for window kernels (which derive `Clone`), `restarts!(converges self =>
/// ...)` for recursions (which also derive `PartialEq`, compared at the seams).
macro_rules! restarts {
    ($self:ident => $how:expr) => {
        fn restart(&$self) -> Option<$crate::kernels::Restart> {
            Some($how)
        }
        fn copy(&self) -> Self {
            self.clone()
        }
    };
    (converges $self:ident => $how:expr) => {
        restarts!($self => $how);
        fn same_state(&self, other: &Self) -> bool {
            self == other
        }
    };
}

pub mod averages;
pub mod bars;
pub mod blocks;
pub mod catalogue;
pub mod channels;
pub mod driver;
pub mod footprint;
pub mod levels;
pub mod momentum;
pub mod output_buffer;
pub mod params;
pub mod rolling;
pub mod stream;
pub mod trend;
pub mod volatility;
pub mod volume;

pub use catalogue::{dispatch, Runner};
pub use driver::{drive, drive_into, run_slices, Column, Segment, Split, Validity, Values};
pub use params::{KernelError, Params};

/// One indicator as a state machine over valid bars.
///
/// `I` is the number of input columns (in the order the catalogue declares them), `O` the number of outputs.
///
/// Every kernel is `Clone` and a serde type, so that a live stream (see [`stream`]) can fork it and save it.
pub trait Kernel<const I: usize, const O: usize>:
    Send + Sync + Sized + Clone + serde::Serialize + serde::de::DeserializeOwned + 'static
{
    /// Consume the next valid bar and return the outputs for it; `NaN` where there is no value yet.
    fn step(&mut self, x: [f64; I]) -> [f64; O];

    /// Whether the kernel overrides [`Kernel::run_dense`]: the driver then hands it whole tiles of valid bars.
    const DENSE: bool = false;

    /// Rows per tile handed to [`Kernel::run_dense`]: small enough that a tile's inputs, checked by the driver just
    /// before, are still in the cache when the kernel reads them.
    const TILE: usize = 4096;

    /// Consume a run of valid bars (`inputs[j][i]` is input `j` of bar `i`, all the same length) and write each
    /// bar's outputs to `out[j][i]`, with exactly the bits that calling [`Kernel::step`] bar by bar gives, and the
    /// same state afterwards. Kernels that can compute several bars per step override it and set
    /// [`Kernel::DENSE`] (see docs/engine.md); live streams keep calling `step`, so they stay bit-identical.
    #[inline(always)]
    fn run_dense(&mut self, inputs: [&[f64]; I], out: [&mut [std::mem::MaybeUninit<f64>]; O]) {
        let len = inputs.first().map_or(0, |v| v.len());
        for i in 0..len {
            let y = self.step(std::array::from_fn(|j| inputs[j][i]));
            for j in 0..O {
                out[j][i].write(y[j]);
            }
        }
    }

    /// Whether the kernel's dense loop is a map, then a scan: [`Kernel::map_dense`] gives each bar one value from
    /// its inputs alone (no state), and [`Kernel::scan_mapped`] carries the state over those values. A kernel
    /// that cannot split its series (a running total) still shares work this way: the [`driver`] maps tiles ahead
    /// on a helper thread while the calling thread scans. Its `run_dense` must be the two passes in turn.
    const MAPS_AHEAD: bool = false;

    /// The map of [`Kernel::MAPS_AHEAD`]: one value per bar of `inputs` into `out`, the first output's slots.
    #[inline(always)]
    fn map_dense(_inputs: [&[f64]; I], _out: &mut [std::mem::MaybeUninit<f64>]) {}

    /// The scan of [`Kernel::MAPS_AHEAD`]: `out[0]` holds what [`Kernel::map_dense`] wrote for these bars; writes
    /// every output as [`Kernel::run_dense`] does. By default `run_dense` itself, which ignores the mapped values.
    #[inline(always)]
    fn scan_mapped(&mut self, inputs: [&[f64]; I], out: [&mut [std::mem::MaybeUninit<f64>]; O]) {
        self.run_dense(inputs, out);
    }

    /// Whether and how the kernel can start mid-series, which lets the [`driver`] split long inputs across
    /// threads. `None` (the default): its state depends on the whole history (cumulative sums, trend-following
    /// state machines). Called on a fresh kernel.
    fn restart(&self) -> Option<Restart> {
        None
    }

    /// A copy with the same state. Kernels whose [`Kernel::restart`] is `Some` derive `Clone` and return a clone.
    fn copy(&self) -> Self {
        unreachable!("copy() called on a kernel that cannot restart")
    }

    /// Whether two kernels are in exactly the same state, so that they give the same outputs from here on. Needed
    /// by [`Restart::Converges`] kernels (derive `PartialEq`); `false` by default.
    fn same_state(&self, _other: &Self) -> bool {
        false
    }
}

/// How a kernel started mid-series catches up with one that saw the whole history (see [`Kernel::restart`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// After this many valid bars it holds the same window of bars (running sums may differ in the last bits).
    Window(usize),
    /// A recursion that forgets its start geometrically: after this many valid bars the difference has usually
    /// vanished below the last bit. The driver checks the state bit for bit and recomputes when it has not.
    Converges(usize),
}

impl Restart {
    /// A chain of stages (each fed by the one before): their warm-ups add up.
    pub fn then(self, next: Restart) -> Restart {
        match (self, next) {
            (Restart::Window(a), Restart::Window(b)) => Restart::Window(a + b),
            (a, b) => Restart::Converges(a.warm_up_bars() + b.warm_up_bars()),
        }
    }

    /// Valid bars to step through before the first row a part writes.
    pub fn warm_up_bars(self) -> usize {
        match self {
            Restart::Window(n) | Restart::Converges(n) => n,
        }
    }

    /// Bars for a recursion `v ← keep·v + …` to shrink a difference in its state below 2⁻⁶⁴ of its size, plus the
    /// `seed` bars it averages before it starts.
    pub fn converges(keep: f64, seed: usize) -> Self {
        let bars = if keep <= 0.0 { 0.0 } else { (64.0 * std::f64::consts::LN_2 / -keep.ln()).ceil() };
        Restart::Converges(seed + bars as usize)
    }
}
