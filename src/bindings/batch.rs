//! Python entry point for a batch of charts: the columns of many charts laid end to end (one chart = a range of
//! rows), drawn on the process's one pool of helper threads (`crate::worker_pool`) with the GIL released.
//!
//! Each chart goes through the same `render::draw_chart` as a single `_render` call (bricks, engine selection,
//! GPU fallback, statistics: one recorded render per chart). A chart's failure is its own result, returned in
//! its place while the others carry on. Between charts the calling thread takes the GIL for a moment to look for
//! a pending signal, so Ctrl-C stops the batch after the charts in flight (a few milliseconds), never in the middle
//! of writing a file: files are written under a temporary name and renamed into place.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::interop::SeriesArg as PySeries;
use super::render::{
    draw_chart, format_name, timings_dict, BarsArg, ChartOptions, Decor, DecorArg, FillArg, Held, LineArg, MarkerArg,
    Marks, PanelArg,
};
use crate::render::{Engine, Rendered};

/// One chart's `(width, height, theme, colors, volume, antialias, title, format, speed, engine, (box_size,
/// reversal), decorations)`; `volume=None` draws the volume panel when the chart has some volume.
type ChartArg = (
    i64,
    i64,
    String,
    Option<HashMap<String, String>>,
    Option<bool>,
    bool,
    Option<String>,
    String,
    String,
    Option<String>,
    (f64, i64),
    DecorArg,
);

/// How often (at most) the calling thread looks for a pending signal such as Ctrl-C.
const SIGNAL_CHECK_US: u64 = 10_000;

/// Writes `bytes` to a temporary file beside `path`, then renames it into place: a reader (or an interrupted
/// batch) never sees a partial file.
fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let target = Path::new(path);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, target));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Draws `len(charts)` charts; chart `i` is rows `offsets[i]..offsets[i + 1]` of the columns. With `paths`, chart
/// `i` is written to `paths[i]` and its bytes are not returned. Returns one entry per chart, in order:
/// `(bytes or None, width, height, format, timings)`, or the exception that chart raised. `workers` threads at
/// most draw (the calling one included).
#[pyfunction]
#[pyo3(signature = (
    kind, offsets, charts, bars=None, *, bricks=None, brick_times=None, overlays=Vec::new(), panels=Vec::new(),
    fills=Vec::new(), markers=Vec::new(), bar_colors=None, workers=1, paths=None
))]
#[allow(clippy::too_many_arguments)]
fn _render_batch<'py>(
    py: Python<'py>,
    kind: &str,
    offsets: Vec<usize>,
    charts: Vec<ChartArg>,
    bars: Option<BarsArg>,
    bricks: Option<(PySeries, Option<PySeries>)>,
    brick_times: Option<PySeries>,
    overlays: Vec<LineArg>,
    panels: Vec<PanelArg>,
    fills: Vec<FillArg>,
    markers: Vec<MarkerArg>,
    bar_colors: Option<PySeries>,
    workers: usize,
    paths: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyList>> {
    let t0 = Instant::now();
    let n = charts.len();
    if offsets.len() != n + 1 || offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(PyValueError::new_err(format!(
            "render_batch: offsets must be {} non-decreasing row numbers (one more than the charts), got {}",
            n + 1,
            offsets.len()
        )));
    }
    if paths.as_ref().is_some_and(|p| p.len() != n) {
        return Err(PyValueError::new_err("render_batch: paths must hold one path per chart"));
    }
    let results: Vec<OnceLock<PyResult<(Rendered, Engine)>>> = (0..n).map(|_| OnceLock::new()).collect();
    let options: Vec<Option<ChartOptions>> = charts
        .into_iter()
        .zip(&results)
        .map(|((w, h, theme, colors, volume, aa, title, format, speed, engine, (box_size, reversal), decor), slot)| {
            let parsed = Decor::parse(decor).and_then(|decor| {
                ChartOptions::parse(
                    kind,
                    w,
                    h,
                    &theme,
                    colors,
                    volume,
                    aa,
                    title,
                    &format,
                    &speed,
                    engine.as_deref(),
                    box_size,
                    reversal,
                    decor,
                )
            });
            parsed.map_err(|e| slot.set(Err(e))).ok()
        })
        .collect();
    let held = Held::new(bars, bricks, brick_times, overlays, panels, Marks { fills, markers, bar_colors })?;
    let data = held.bind()?;
    py.check_signals()?;
    let bind_us = t0.elapsed().as_micros() as u64 / n.max(1) as u64;

    let caller = std::thread::current().id();
    let cancelled = AtomicBool::new(false);
    let interrupt: Mutex<Option<PyErr>> = Mutex::new(None);
    let last_check_us = AtomicU64::new(0);
    py.detach(|| {
        crate::worker_pool::for_each_claimed(n, workers.max(1) - 1, |i| {
            if cancelled.load(Ordering::Relaxed) {
                return;
            }
            if let Some(opts) = &options[i] {
                // Each chart on this thread alone: the batch spreads its charts over the pool, not their strips.
                let drawn = crate::worker_pool::alone(|| draw_chart(&data, offsets[i]..offsets[i + 1], opts));
                let done = match (drawn, &paths) {
                    (Ok((mut out, engine)), Some(paths)) => match write_atomically(&paths[i], &out.bytes) {
                        Ok(()) => {
                            out.bytes = Vec::new();
                            Ok((out, engine))
                        }
                        Err(e) => Err(PyOSError::new_err(format!("render: could not write {}: {e}", paths[i]))),
                    },
                    (drawn, _) => drawn,
                };
                let _ = results[i].set(done);
            }
            let now = t0.elapsed().as_micros() as u64;
            if std::thread::current().id() == caller && now - last_check_us.load(Ordering::Relaxed) >= SIGNAL_CHECK_US {
                last_check_us.store(now, Ordering::Relaxed);
                if let Err(e) = Python::attach(|py| py.check_signals()) {
                    cancelled.store(true, Ordering::Relaxed);
                    *interrupt.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                }
            }
        })
    });
    if let Some(e) = interrupt.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let out = PyList::empty(py);
    for slot in results {
        match slot.into_inner() {
            Some(Ok((rendered, engine))) => {
                let bytes = if paths.is_some() {
                    py.None().into_bound(py)
                } else {
                    PyBytes::new(py, &rendered.bytes).into_any()
                };
                let timings = timings_dict(py, &rendered, engine, bind_us)?;
                let entry = PyTuple::new(
                    py,
                    [
                        bytes,
                        rendered.width.into_pyobject(py)?.into_any(),
                        rendered.height.into_pyobject(py)?.into_any(),
                        format_name(rendered.format).into_pyobject(py)?.into_any(),
                        timings.into_any(),
                    ],
                )?;
                out.append(entry)?;
            }
            Some(Err(e)) => out.append(e.into_value(py))?,
            // Every chart has a result unless the batch was interrupted, which returned above.
            None => return Err(PyRuntimeError::new_err("render_batch: internal error: a chart was never drawn")),
        }
    }
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_render_batch, m)?)
}
