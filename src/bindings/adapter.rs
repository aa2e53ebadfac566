//! Python functions for the adapter's configuration and statistics (see `crate::adapter`). The package wraps them
//! in `polars_kimsfinance/config.py` and `stats.py`; the names start with `_` because those modules are the public API.
//!
//! The plugin library Polars loads for `kf_indicator` and this extension module are the same shared object, so
//! the statistics recorded inside Polars' expression engine are the ones read here.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};

use super::guard::shielded;
use crate::adapter::{self, Engine, EngineChoice, GpuPresence, LatencySummary, Op, Value};

fn to_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let repr = || -> PyResult<Value> { Ok(Value::Other(v.repr()?.to_string())) };
    if v.is_none() {
        Ok(Value::None)
    } else if v.is_instance_of::<PyBool>() {
        Ok(Value::Bool(v.extract()?))
    } else if v.is_instance_of::<PyInt>() {
        v.extract::<i128>().map(Value::Int).or_else(|_| repr())
    } else if v.is_instance_of::<PyString>() {
        Ok(Value::Str(v.extract()?))
    } else {
        repr()
    }
}

fn py_none(py: Python<'_>) -> Bound<'_, PyAny> {
    py.None().into_bound(py)
}

fn set_value(d: &Bound<'_, PyDict>, key: &str, v: &Value) -> PyResult<()> {
    match v {
        Value::Bool(b) => d.set_item(key, *b),
        Value::Int(i) => d.set_item(key, *i),
        Value::Str(s) | Value::Other(s) => d.set_item(key, s),
        Value::None => d.set_item(key, py_none(d.py())),
    }
}

/// Sets options from a dict (all or none); returns the previous values of the options it set.
#[pyfunction]
fn _configure<'py>(py: Python<'py>, options: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    shielded("configure", || {
        let items =
            options.iter().map(|(k, v)| Ok((k.extract::<String>()?, to_value(&v)?))).collect::<PyResult<Vec<_>>>()?;
        let previous = adapter::configure(&items).map_err(|e| PyValueError::new_err(e.0))?;
        let out = PyDict::new(py);
        for (k, v) in &previous {
            set_value(&out, k, v)?;
        }
        Ok(out)
    })
}

/// Every option and its value.
#[pyfunction]
fn _get_config(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    shielded("get_config", || {
        let out = PyDict::new(py);
        for (k, v) in adapter::get_config() {
            set_value(&out, k, &v)?;
        }
        Ok(out)
    })
}

/// Puts every option back to its default.
#[pyfunction]
fn _reset_config() -> PyResult<()> {
    shielded("reset_config", || {
        adapter::reset_config();
        Ok(())
    })
}

/// Parses an `engine=` argument of `func` (`None`: the configured default).
pub(crate) fn engine_choice(func: &str, engine: Option<&str>) -> PyResult<Option<EngineChoice>> {
    engine
        .map(|name| {
            EngineChoice::parse(name).ok_or_else(|| {
                PyValueError::new_err(format!("{func}: engine must be {}, got '{name}'", EngineChoice::one_of()))
            })
        })
        .transpose()
}

/// `"cpu"` or `"gpu"` for a call over `candles` candles (see `adapter::select_engine`; records nothing).
/// `gpu_available` stands in for the probe: `True` as a hardware adapter, `False` as none.
#[pyfunction]
#[pyo3(signature = (engine=None, candles=0, gpu_available=None))]
fn _select_engine(engine: Option<&str>, candles: u64, gpu_available: Option<bool>) -> PyResult<&'static str> {
    shielded("select_engine", || {
        let requested = engine_choice("select_engine", engine)?;
        let probe = || match gpu_available {
            Some(true) => GpuPresence::Hardware,
            Some(false) => GpuPresence::None,
            None => adapter::gpu_presence(),
        };
        adapter::select_engine(requested, candles, probe)
            .map(|selection| selection.engine.name())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
    })
}

/// Whether a GPU adapter exists (always `False` in a build without a GPU backend).
#[pyfunction]
fn _gpu_available() -> PyResult<bool> {
    shielded("gpu_available", || Ok(adapter::gpu_available()))
}

/// Counts a GPU → CPU fallback.
#[pyfunction]
fn _record_fallback() -> PyResult<()> {
    shielded("record_fallback", || {
        adapter::record_fallback();
        Ok(())
    })
}

/// Records one call of `op` (unknown names count as "other").
#[pyfunction]
#[pyo3(signature = (op, latency_ns, rows=0, bytes=0, engine="cpu"))]
fn _track(op: &str, latency_ns: u64, rows: u64, bytes: u64, engine: &str) -> PyResult<()> {
    shielded("track", || {
        let engine = Engine::parse(engine)
            .map_err(|_| PyValueError::new_err(format!("_track: engine must be 'cpu' or 'gpu', got '{engine}'")))?;
        adapter::record(Op::parse(op), engine, latency_ns, rows, bytes);
        Ok(())
    })
}

fn latency_dict<'py>(py: Python<'py>, l: &LatencySummary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("p50", l.p50_ns)?;
    d.set_item("p90", l.p90_ns)?;
    d.set_item("p99", l.p99_ns)?;
    d.set_item("max", l.max_ns)?;
    d.set_item("mean", l.mean_ns)?;
    Ok(d)
}

/// The statistics as a dict (see `adapter.get_performance_stats` for the keys).
#[pyfunction]
fn _performance_stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    shielded("get_performance_stats", || {
        let s = adapter::snapshot();
        let out = PyDict::new(py);
        out.set_item("tracking", s.tracking)?;
        out.set_item("total_calls", s.total_calls)?;
        out.set_item("cpu_calls", s.cpu_calls)?;
        out.set_item("gpu_calls", s.gpu_calls)?;
        out.set_item("fallbacks", s.fallbacks)?;
        out.set_item("rows_processed", s.rows_processed)?;
        out.set_item("candles_processed", s.candles_processed)?;
        out.set_item("bytes_produced", s.bytes_produced)?;
        out.set_item("memory_bytes", s.memory_bytes)?;
        let ops = PyDict::new(py);
        for o in &s.ops {
            let d = PyDict::new(py);
            d.set_item("calls", o.calls)?;
            d.set_item(if o.op.counts_candles() { "candles" } else { "rows" }, o.rows)?;
            d.set_item("bytes", o.bytes)?;
            d.set_item("latency_ns", latency_dict(py, &o.latency)?)?;
            ops.set_item(o.op.name(), d)?;
        }
        out.set_item("operations", ops)?;
        Ok(out)
    })
}

/// Zeroes every counter and histogram.
#[pyfunction]
fn _reset_performance_stats() -> PyResult<()> {
    shielded("reset_performance_stats", || {
        adapter::reset();
        Ok(())
    })
}

/// Records `ops` synthetic calls from `threads` Rust threads through the real path (GIL released); returns the
/// wall time in nanoseconds.
#[pyfunction]
#[pyo3(signature = (ops, threads=1))]
fn _stress(py: Python<'_>, ops: u64, threads: usize) -> PyResult<u64> {
    shielded("stress", || Ok(py.detach(|| adapter::stress(ops, threads))))
}

/// Nanoseconds per instrumented call spent on tracking (a start/drop guard, clock reads included).
#[pyfunction]
#[pyo3(signature = (n=1_000_000))]
fn _tracking_overhead_ns(py: Python<'_>, n: u64) -> PyResult<f64> {
    shielded("tracking_overhead_ns", || Ok(py.detach(|| adapter::guard_overhead_ns(n))))
}

/// Whether the extension allocates through Polars' allocator (it falls back to the system allocator when the
/// running Polars does not export one).
#[pyfunction]
fn _allocator_is_polars() -> PyResult<bool> {
    shielded("allocator_is_polars", || Ok(crate::allocator_is_polars()))
}

/// Threads an indicator on a long column is split across (see docs/engine.md).
#[pyfunction]
fn _kernel_threads() -> PyResult<usize> {
    shielded("kernel_threads", || Ok(crate::worker_pool::threads()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ENGINES", EngineChoice::NAMES)?;
    m.add_function(wrap_pyfunction!(_kernel_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_allocator_is_polars, m)?)?;
    m.add_function(wrap_pyfunction!(_configure, m)?)?;
    m.add_function(wrap_pyfunction!(_get_config, m)?)?;
    m.add_function(wrap_pyfunction!(_reset_config, m)?)?;
    m.add_function(wrap_pyfunction!(_select_engine, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_available, m)?)?;
    m.add_function(wrap_pyfunction!(_record_fallback, m)?)?;
    m.add_function(wrap_pyfunction!(_track, m)?)?;
    m.add_function(wrap_pyfunction!(_performance_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_reset_performance_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_stress, m)?)?;
    m.add_function(wrap_pyfunction!(_tracking_overhead_ns, m)?)?;
    Ok(())
}
