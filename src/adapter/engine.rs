//! Engine selection: the one place that turns what a caller asked for (`auto`, `cpu`, `gpu`, or nothing) into the
//! engine that runs. It is a pure query: it reads the settings and the GPU probe and records nothing; a render that
//! really falls back to the CPU counts that itself.

use std::fmt;
use std::sync::OnceLock;

use super::config;
pub use crate::render::Engine;

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// GPU when a hardware adapter exists and the work has at least `gpu_min_candles` candles (a threshold
    /// measured on this machine: unset, the CPU), CPU otherwise.
    Auto,
    /// Always the CPU.
    Cpu,
    /// The GPU, software adapters included (falls back to the CPU when there is none and `gpu_fallback` is on).
    Gpu,
}

impl EngineChoice {
    /// The accepted names, in this order (exported to Python as `ENGINES`).
    pub const NAMES: [&'static str; 3] = ["auto", "cpu", "gpu"];

    /// Parses `auto`, `cpu` or `gpu` (case-insensitive).
    pub fn parse(name: &str) -> Option<EngineChoice> {
        match name.to_ascii_lowercase().as_str() {
            "auto" => Some(EngineChoice::Auto),
            "cpu" => Some(EngineChoice::Cpu),
            "gpu" => Some(EngineChoice::Gpu),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub(super) fn from_u8(v: u8) -> EngineChoice {
        [EngineChoice::Auto, EngineChoice::Cpu, EngineChoice::Gpu][usize::from(v).min(2)]
    }

    /// `"one of 'auto', 'cpu', 'gpu'"`, for messages.
    pub fn one_of() -> String {
        let quoted: Vec<String> = Self::NAMES.iter().map(|n| format!("'{n}'")).collect();
        format!("one of {}", quoted.join(", "))
    }
}

/// What kind of GPU adapter the machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuPresence {
    /// No adapter (or a build without the GPU backend).
    None,
    /// A software rasteriser (Mesa's llvmpipe / lavapipe, ...): `gpu` may use it, `auto` never does, since it is
    /// never faster than the CPU backend.
    Software,
    /// A hardware adapter.
    Hardware,
}

/// The engine a call runs on, and whether that is a fallback from an explicit `gpu` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// What runs.
    pub engine: Engine,
    /// `gpu` was asked for, there is none, and `gpu_fallback` is on: the CPU draws instead. The caller counts it
    /// (`record_fallback`) when the work really runs.
    pub fallback: bool,
}

impl Selection {
    const fn on(engine: Engine) -> Selection {
        Selection { engine, fallback: false }
    }
}

/// The engine was asked for explicitly (`engine="gpu"`, or `default_engine="gpu"`) but there is no GPU and
/// `gpu_fallback` is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoGpu;

impl fmt::Display for NoGpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "engine 'gpu' requested but no GPU adapter is available; \
             use engine='cpu' or 'auto', or configure(gpu_fallback=True)",
        )
    }
}

impl std::error::Error for NoGpu {}

/// Picks the engine for work over `candles` candles: the explicit `requested` choice, else the configured
/// `default_engine`.
/// * `cpu`: the CPU.
/// * `auto`: the GPU only when `gpu_min_candles` is set, `candles >= gpu_min_candles` and the adapter is hardware.
/// * `gpu`: the GPU on any adapter; without one, the CPU as a fallback when `gpu_fallback` is on, else [`NoGpu`].
///
/// `gpu` is asked only when the answer matters (probing loads a GPU driver: tens of MiB).
pub fn select_engine(
    requested: Option<EngineChoice>,
    candles: u64,
    gpu: impl FnOnce() -> GpuPresence,
) -> Result<Selection, NoGpu> {
    match requested.unwrap_or_else(config::default_engine) {
        EngineChoice::Cpu => Ok(Selection::on(Engine::Cpu)),
        EngineChoice::Auto => {
            let large = config::gpu_min_candles().is_some_and(|n| candles >= n);
            let hardware = large && gpu() == GpuPresence::Hardware;
            Ok(Selection::on(if hardware { Engine::Gpu } else { Engine::Cpu }))
        }
        EngineChoice::Gpu if gpu() != GpuPresence::None => Ok(Selection::on(Engine::Gpu)),
        EngineChoice::Gpu if config::gpu_fallback() => Ok(Selection { engine: Engine::Cpu, fallback: true }),
        EngineChoice::Gpu => Err(NoGpu),
    }
}

static GPU_PROBE: OnceLock<fn() -> GpuPresence> = OnceLock::new();
static GPU_PRESENT: OnceLock<GpuPresence> = OnceLock::new();

/// Lets a GPU backend (the `gpu` cargo feature) tell what adapter exists. The first registration wins; the probe
/// runs once, on the first [`gpu_presence`] call.
pub fn register_gpu_probe(probe: fn() -> GpuPresence) -> bool {
    GPU_PROBE.set(probe).is_ok()
}

/// The machine's GPU adapter, probed once per process. Without a registered probe (no GPU backend): `None`.
pub fn gpu_presence() -> GpuPresence {
    *GPU_PRESENT.get_or_init(|| GPU_PROBE.get().map_or(GpuPresence::None, |probe| probe()))
}

/// Whether any GPU adapter exists, software ones included.
pub fn gpu_available() -> bool {
    gpu_presence() != GpuPresence::None
}
