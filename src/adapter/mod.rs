//! The adapter: process-wide configuration, engine selection and bounded performance statistics (pure Rust;
//! exposed to Python by `bindings::adapter`).
//!
//! - [`configure`] / [`get_config`]: `default_engine` (`auto` | `cpu` | `gpu`), `gpu_min_candles`,
//!   `gpu_fallback`, `performance_tracking`, held in atomics.
//! - [`select_engine`]: explicit choice > configured default > the auto rule (GPU only when an adapter exists and
//!   the work has at least `gpu_min_candles` candles, a threshold measured on the machine; unset by default, so
//!   `auto` stays on the CPU until it is).
//! - [`Tracked`], [`record`], [`record_fallback`]: what instrumented code calls. With tracking off each is one
//!   relaxed atomic load; on, a handful of relaxed `fetch_add`s into fixed tables ([`snapshot`] reads them).
//!
//! ```
//! use polars_kimsfinance::adapter::{select_engine, Engine, EngineChoice};
//! assert_eq!(select_engine(Some(EngineChoice::Cpu), 1_000_000, true), Ok(Engine::Cpu));
//! assert_eq!(select_engine(Some(EngineChoice::Auto), 10, false), Ok(Engine::Cpu));
//! ```
#![warn(missing_docs)]

mod config;
pub mod histogram;
mod stats;

#[cfg(test)]
mod tests;

pub use config::{
    configure, default_engine, get_config, gpu_available, gpu_min_candles, register_gpu_probe, reset_config,
    select_engine, ConfigError, Engine, EngineChoice, NoGpu, Value, DEFAULT_GPU_MIN_CANDLES, OPTIONS,
};
pub use histogram::LatencySummary;
pub use stats::{
    guard_overhead_ns, memory_bytes, record, record_fallback, reset, snapshot, stress, track_indicator,
    tracking_enabled, Op, OpSnapshot, Snapshot, Tracked,
};
