//! The engine settings (`default_engine`, `gpu_min_candles`, `gpu_fallback`) and the validation of every option
//! `configure` accepts. Each engine setting lives in an atomic, so `select_engine` reads it without a lock.
//! `performance_tracking` is validated here but stored by the statistics (`super::stats`), which own their switch;
//! `super::settings` routes each validated option to its owner.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};

use super::engine::EngineChoice;

/// Default of `gpu_min_candles`: unset. `auto` uses a GPU only from a threshold measured on the machine it runs on
/// (`kf.calibrate_gpu(apply=True)`, or set by hand): the CPU engine draws a full-HD chart in about a millisecond, so
/// whether a GPU's submission and readback ever pay off depends on the hardware.
pub const DEFAULT_GPU_MIN_CANDLES: Option<u64> = None;

/// `GPU_MIN_CANDLES` holds this for "unset".
const UNSET: u64 = u64::MAX;

static DEFAULT_ENGINE: AtomicU8 = AtomicU8::new(EngineChoice::Auto as u8);
static GPU_MIN_CANDLES: AtomicU64 = AtomicU64::new(UNSET);
static GPU_FALLBACK: AtomicBool = AtomicBool::new(true);

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
pub(super) enum Setting {
    DefaultEngine(EngineChoice),
    GpuFallback(bool),
    GpuMinCandles(Option<u64>),
    PerformanceTracking(bool),
}

pub(super) fn validate(key: &str, value: &Value) -> Result<Setting, ConfigError> {
    let bad = |expected: &str| ConfigError(format!("configure: {key} must be {expected}, got {value}"));
    match key {
        "default_engine" => match value {
            Value::Str(s) => {
                EngineChoice::parse(s).map(Setting::DefaultEngine).ok_or_else(|| bad(&EngineChoice::one_of()))
            }
            _ => Err(bad(&EngineChoice::one_of())),
        },
        "gpu_min_candles" => match value {
            Value::Int(i) if (0..i128::from(UNSET)).contains(i) => Ok(Setting::GpuMinCandles(u64::try_from(*i).ok())),
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

/// Stores an engine setting; `PerformanceTracking` is not one (the caller hands it to the statistics).
pub(super) fn apply(setting: Setting) {
    match setting {
        Setting::DefaultEngine(e) => DEFAULT_ENGINE.store(e as u8, Relaxed),
        Setting::GpuFallback(b) => GPU_FALLBACK.store(b, Relaxed),
        Setting::GpuMinCandles(n) => GPU_MIN_CANDLES.store(n.unwrap_or(UNSET), Relaxed),
        Setting::PerformanceTracking(_) => unreachable!("performance_tracking is stored by the statistics"),
    }
}

/// The engine settings with their current values, in `OPTIONS` order.
pub(super) fn engine_settings() -> [(&'static str, Value); 3] {
    [
        ("default_engine", Value::Str(default_engine().name().to_string())),
        ("gpu_fallback", Value::Bool(gpu_fallback())),
        ("gpu_min_candles", gpu_min_candles().map_or(Value::None, |n| Value::Int(i128::from(n)))),
    ]
}

/// Puts the engine settings back to their defaults.
pub(super) fn reset() {
    DEFAULT_ENGINE.store(EngineChoice::Auto as u8, Relaxed);
    GPU_FALLBACK.store(true, Relaxed);
    GPU_MIN_CANDLES.store(DEFAULT_GPU_MIN_CANDLES.unwrap_or(UNSET), Relaxed);
}

/// The configured default engine.
pub fn default_engine() -> EngineChoice {
    EngineChoice::from_u8(DEFAULT_ENGINE.load(Relaxed))
}

/// The configured `gpu_min_candles` (`None`: not set, so `auto` stays on the CPU).
pub fn gpu_min_candles() -> Option<u64> {
    Some(GPU_MIN_CANDLES.load(Relaxed)).filter(|&n| n != UNSET)
}

/// Whether an explicit `gpu` request falls back to the CPU when there is no GPU.
pub fn gpu_fallback() -> bool {
    GPU_FALLBACK.load(Relaxed)
}
