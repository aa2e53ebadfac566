//! The shield in front of every Python entry point: a Rust panic inside one becomes an ordinary Python exception
//! naming the function, never a `PanicException` (a `BaseException` that `except Exception` misses) and never an
//! abort. Extension functions stand behind [`shielded`]; the plugin expression uses [`plugin_shielded`], which
//! turns the panic into a Polars `ComputeError` (Polars' own catch would only say "the plugin panicked").
//!
//! Builds with the `test-hooks` feature (the development build the test suite runs on; never the wheel) can make
//! every shielded entry point panic on purpose, so a test proves that each kind of binding really is shielded.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The text a panic carried (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// The message a caught panic in `func` is reported with.
pub fn internal_error_message(func: &str, panic: &(dyn std::any::Any + Send)) -> String {
    format!("{func}: internal error (please report it): {}", panic_message(panic))
}

/// Runs the body of the extension function `func`; a panic in it becomes a `RuntimeError` naming `func`.
pub fn shielded<T>(func: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(|| {
        injected_panic(func);
        body()
    })) {
        Ok(result) => result,
        Err(panic) => Err(PyRuntimeError::new_err(internal_error_message(func, &*panic))),
    }
}

/// Runs the body of the plugin expression for indicator `func`; a panic becomes a `ComputeError` naming it.
pub fn plugin_shielded<T>(
    func: &str,
    body: impl FnOnce() -> polars::prelude::PolarsResult<T>,
) -> polars::prelude::PolarsResult<T> {
    match catch_unwind(AssertUnwindSafe(|| {
        injected_panic(func);
        body()
    })) {
        Ok(result) => result,
        Err(panic) => Err(polars::prelude::polars_err!(ComputeError: "{}", internal_error_message(func, &*panic))),
    }
}

#[cfg(feature = "test-hooks")]
static INJECT_PANIC: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// With the `test-hooks` feature and injection switched on, panics as a bug inside `func` would.
#[inline]
fn injected_panic(func: &str) {
    #[cfg(feature = "test-hooks")]
    if INJECT_PANIC.load(std::sync::atomic::Ordering::Relaxed) {
        panic!("panic injected into {func} for a test");
    }
    let _ = func;
}

/// Switches panic injection on or off (test builds only): while on, every shielded entry point panics.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _inject_panic(on: bool) {
    INJECT_PANIC.store(on, std::sync::atomic::Ordering::Relaxed);
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    #[cfg(feature = "test-hooks")]
    m.add_function(wrap_pyfunction!(_inject_panic, m)?)?;
    let _ = m;
    Ok(())
}
