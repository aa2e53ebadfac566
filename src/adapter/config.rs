//! Process-wide settings and engine selection.
//!
//! Every setting lives in an atomic, so the hot paths (`tracking_enabled`, `select_engine`) read it without a lock.
//! Writers (`configure`) take one mutex, validate every option first and only then apply them, so a call either
//! changes all its options or none.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

use super::stats;

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// GPU when a hardware adapter exists and the work has at least `gpu_min_candles` candles (a threshold
    /// measured on this machine: unset, the CPU), CPU otherwise.
    Auto,
    /// Always the CPU.
    Cpu,
    /// The GPU (falls back to the CPU when there is none and `gpu_fallback` is on).
    Gpu,
}

impl EngineChoice {
    /// The accepted names.
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

    fn from_u8(v: u8) -> EngineChoice {
        [EngineChoice::Auto, EngineChoice::Cpu, EngineChoice::Gpu][v as usize]
    }
}

/// What actually runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The CPU backend.
    Cpu,
    /// A GPU backend.
    Gpu,
}

impl Engine {
    /// `"cpu"` or `"gpu"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Cpu => "cpu",
            Engine::Gpu => "gpu",
        }
    }
}

/// Default of `gpu_min_candles`: unset. `auto` uses a GPU only from a threshold measured on the machine it runs on
/// (`kf.calibrate_gpu(apply=True)`, or set by hand): the CPU engine draws a full-HD chart in about a millisecond, so
/// whether a GPU's submission and readback ever pay off depends on the hardware.
pub const DEFAULT_GPU_MIN_CANDLES: Option<u64> = None;

/// `GPU_MIN_CANDLES` holds this for "unset".
const UNSET: u64 = u64::MAX;

static DEFAULT_ENGINE: AtomicU8 = AtomicU8::new(EngineChoice::Auto as u8);
static GPU_MIN_CANDLES: AtomicU64 = AtomicU64::new(UNSET);
static GPU_FALLBACK: AtomicBool = AtomicBool::new(true);
static WRITER: Mutex<()> = Mutex::new(());
static GPU_PROBE: OnceLock<fn() -> bool> = OnceLock::new();
static GPU_PRESENT: OnceLock<bool> = OnceLock::new();

/// A setting's value as it crosses the language boundary. `Other` carries the text of a value of any other type,
/// only to be named in the error message.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A string.
    Str(String),
    /// No value (Python's `None`).
    None,
    /// Anything else (its repr).
    Other(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "'{s}'"),
            Value::None => f.write_str("None"),
            Value::Other(s) => f.write_str(s),
        }
    }
}

/// An unknown option or an invalid value; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The option names, sorted.
pub const OPTIONS: [&str; 4] = ["default_engine", "gpu_fallback", "gpu_min_candles", "performance_tracking"];

/// One validated setting.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Setting {
    DefaultEngine(EngineChoice),
    GpuFallback(bool),
    GpuMinCandles(Option<u64>),
    PerformanceTracking(bool),
}

fn validate(key: &str, value: &Value) -> Result<Setting, ConfigError> {
    let bad = |expected: &str| ConfigError(format!("configure: {key} must be {expected}, got {value}"));
    match key {
        "default_engine" => match value {
            Value::Str(s) => EngineChoice::parse(s).map(Setting::DefaultEngine).ok_or_else(|| bad(&choices())),
            _ => Err(bad(&choices())),
        },
        "gpu_min_candles" => match value {
            Value::Int(i) if (0..UNSET as i128).contains(i) => Ok(Setting::GpuMinCandles(Some(*i as u64))),
            Value::None => Ok(Setting::GpuMinCandles(None)),
            _ => Err(bad("an integer >= 0 or None")),
        },
        "gpu_fallback" | "performance_tracking" => match value {
            Value::Bool(b) if key == "gpu_fallback" => Ok(Setting::GpuFallback(*b)),
            Value::Bool(b) => Ok(Setting::PerformanceTracking(*b)),
            _ => Err(bad("True or False")),
        },
        _ => Err(ConfigError(format!("configure: unknown option '{key}'; valid options are {}", OPTIONS.join(", ")))),
    }
}

fn choices() -> String {
    let quoted: Vec<String> = EngineChoice::NAMES.iter().map(|n| format!("'{n}'")).collect();
    format!("one of {}", quoted.join(", "))
}

fn apply(setting: Setting) {
    match setting {
        Setting::DefaultEngine(e) => DEFAULT_ENGINE.store(e as u8, Relaxed),
        Setting::GpuFallback(b) => GPU_FALLBACK.store(b, Relaxed),
        Setting::GpuMinCandles(n) => GPU_MIN_CANDLES.store(n.unwrap_or(UNSET), Relaxed),
        Setting::PerformanceTracking(b) => stats::set_tracking(b),
    }
}

/// Sets the given options: all of them, or none when one is unknown or invalid. Returns the previous values of
/// the options it set (what a temporary `with kf.config(...)` block restores).
pub fn configure(items: &[(String, Value)]) -> Result<Vec<(String, Value)>, ConfigError> {
    let settings = items.iter().map(|(k, v)| validate(k, v)).collect::<Result<Vec<_>, _>>()?;
    let _guard = WRITER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let current = get_config();
    let previous = items
        .iter()
        .map(|(k, _)| (k.clone(), current.iter().find(|(name, _)| name == k).expect("validated key").1.clone()))
        .collect();
    settings.into_iter().for_each(apply);
    Ok(previous)
}

/// Every option with its current value, in `OPTIONS` order.
pub fn get_config() -> Vec<(&'static str, Value)> {
    vec![
        ("default_engine", Value::Str(default_engine().name().to_string())),
        ("gpu_fallback", Value::Bool(GPU_FALLBACK.load(Relaxed))),
        ("gpu_min_candles", gpu_min_candles().map_or(Value::None, |n| Value::Int(n as i128))),
        ("performance_tracking", Value::Bool(stats::tracking_enabled())),
    ]
}

/// Puts every option back to its default.
pub fn reset_config() {
    let _guard = WRITER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    DEFAULT_ENGINE.store(EngineChoice::Auto as u8, Relaxed);
    GPU_FALLBACK.store(true, Relaxed);
    GPU_MIN_CANDLES.store(DEFAULT_GPU_MIN_CANDLES.unwrap_or(UNSET), Relaxed);
    stats::set_tracking(false);
}

/// The configured default engine.
pub fn default_engine() -> EngineChoice {
    EngineChoice::from_u8(DEFAULT_ENGINE.load(Relaxed))
}

/// The configured `gpu_min_candles` (`None`: not set, so `auto` stays on the CPU).
pub fn gpu_min_candles() -> Option<u64> {
    Some(GPU_MIN_CANDLES.load(Relaxed)).filter(|&n| n != UNSET)
}

/// Lets a GPU backend (a later `gpu` cargo feature) tell whether an adapter exists. The first registration wins;
/// the probe runs once, on the first `gpu_available()` call.
pub fn register_gpu_probe(probe: fn() -> bool) -> bool {
    GPU_PROBE.set(probe).is_ok()
}

/// Whether a GPU adapter exists. Without a registered probe (this build has no GPU backend): `false`.
pub fn gpu_available() -> bool {
    *GPU_PRESENT.get_or_init(|| GPU_PROBE.get().is_some_and(|probe| probe()))
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

/// Picks the engine: the explicit `requested` choice, else the configured `default_engine`; `Auto` means the GPU
/// only when `gpu_available` and `gpu_min_candles` is set and `candles >= gpu_min_candles`. A `Gpu` choice without a GPU runs on the CPU and
/// counts a fallback when `gpu_fallback` is on, and is an error otherwise.
pub fn select_engine(requested: Option<EngineChoice>, candles: u64, gpu_available: bool) -> Result<Engine, NoGpu> {
    match requested.unwrap_or_else(default_engine) {
        EngineChoice::Cpu => Ok(Engine::Cpu),
        EngineChoice::Auto if gpu_available && gpu_min_candles().is_some_and(|n| candles >= n) => Ok(Engine::Gpu),
        EngineChoice::Auto => Ok(Engine::Cpu),
        EngineChoice::Gpu if gpu_available => Ok(Engine::Gpu),
        EngineChoice::Gpu if GPU_FALLBACK.load(Relaxed) => {
            stats::record_fallback();
            Ok(Engine::Cpu)
        }
        EngineChoice::Gpu => Err(NoGpu),
    }
}
