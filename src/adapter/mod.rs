//! The adapter: process-wide configuration, engine selection and bounded performance statistics (pure Rust;
//! exposed to Python by `bindings::adapter`).
//!
//! - [`configure`] / [`get_config`]: `default_engine` (`auto` | `cpu` | `gpu`), `gpu_min_candles`,
//!   `gpu_fallback`, `performance_tracking`, held in atomics.
//! - [`select_engine`]: explicit choice > configured default > the auto rule (GPU only on a hardware adapter and
//!   when the work has at least `gpu_min_candles` candles, a threshold measured on the machine; unset by default,
//!   so `auto` stays on the CPU until it is). A pure query: fallbacks are counted by the render that falls back.
//! - [`Tracked`], [`record`], [`record_fallback`]: what instrumented code calls. With tracking off each is one
//!   relaxed atomic load; on, a handful of relaxed `fetch_add`s into fixed tables ([`snapshot`] reads them).
//!
//! ```
//! use polars_kimsfinance::adapter::{select_engine, Engine, EngineChoice, GpuPresence};
//! let hardware = || GpuPresence::Hardware;
//! assert_eq!(select_engine(Some(EngineChoice::Cpu), 1_000_000, hardware).unwrap().engine, Engine::Cpu);
//! assert_eq!(select_engine(Some(EngineChoice::Gpu), 10, hardware).unwrap().engine, Engine::Gpu);
//! ```
#![warn(missing_docs)]

mod config;
mod engine;
pub mod histogram;
mod settings;
mod stats;

#[cfg(test)]
mod tests;

pub use config::{default_engine, gpu_fallback, gpu_min_candles, ConfigError, Value, DEFAULT_GPU_MIN_CANDLES, OPTIONS};
pub use engine::{
    gpu_available, gpu_presence, register_gpu_probe, select_engine, Engine, EngineChoice, GpuPresence, NoGpu, Selection,
};
pub use histogram::LatencySummary;
pub use settings::{configure, get_config, reset_config};
pub use stats::{
    guard_overhead_ns, memory_bytes, record, record_fallback, reset, snapshot, stress, track_indicator,
    tracking_enabled, Op, OpSnapshot, Snapshot, Tracked,
};
