//! `configure` / `get_config` / `reset_config`: every option validated first (by `config`), then each handed to
//! its owner: the engine settings to `config`, `performance_tracking` to the statistics. One mutex serialises the
//! writers, so a call changes all its options or none, and reports exactly what it replaced.

use std::sync::Mutex;

use super::config::{self, ConfigError, Setting, Value};
use super::stats;

static WRITER: Mutex<()> = Mutex::new(());

/// Sets the given options: all of them, or none when one is unknown or invalid. Returns the previous values of
/// the options it set (what a temporary `with kf.config(...)` block restores).
pub fn configure(items: &[(String, Value)]) -> Result<Vec<(String, Value)>, ConfigError> {
    let settings = items.iter().map(|(k, v)| config::validate(k, v)).collect::<Result<Vec<_>, _>>()?;
    let _guard = WRITER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let current = get_config();
    let previous = items
        .iter()
        .filter_map(|(k, _)| current.iter().find(|(name, _)| name == k).map(|(_, v)| (k.clone(), v.clone())))
        .collect();
    for setting in settings {
        match setting {
            Setting::PerformanceTracking(on) => stats::set_tracking(on),
            engine_setting => config::apply(engine_setting),
        }
    }
    Ok(previous)
}

/// Every option with its current value, in `config::OPTIONS` order.
pub fn get_config() -> Vec<(&'static str, Value)> {
    let mut all = config::engine_settings().to_vec();
    all.push(("performance_tracking", Value::Bool(stats::tracking_enabled())));
    all
}

/// Puts every option back to its default.
pub fn reset_config() {
    let _guard = WRITER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    config::reset();
    stats::set_tracking(false);
}
