//! `_Stream`: a live stream (`kernels::stream::Stream`) behind a lock, for `polars_kimsfinance.Stream`.
//!
//! Python checks the columns and dtypes and casts the key to Int64 or String, the time to its Int64 physical values
//! and the inputs to Float64; this layer borrows the Arrow buffers (or compacts a column once, nulls as NaN), releases
//! the GIL, takes the stream's lock (so updates of one stream run one after another, and different streams in
//! parallel) and builds the output frame. A panic becomes a `RuntimeError`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::Bitmap;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::interop::{FrameOut, SeriesArg};
use crate::kernels::stream::{Key, KeyRef, Rows, Spec, Stream, UpdateError};

#[pyclass(frozen, module = "polars_kimsfinance._internal")]
pub struct _Stream {
    inner: Mutex<Stream>,
}

fn polars_error(e: PolarsError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A Float64 input as one slice, NaN where it is null (borrowed when it is one chunk without nulls).
fn values(series: &Series) -> PyResult<Cow<'_, [f64]>> {
    let ca = series.f64().map_err(polars_error)?;
    if let Ok(slice) = ca.cont_slice() {
        return Ok(Cow::Borrowed(slice));
    }
    Ok(Cow::Owned(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect()))
}

fn keys(series: &Series) -> PyResult<Vec<KeyRef<'_>>> {
    Ok(match series.dtype() {
        DataType::Int64 => {
            series.i64().map_err(polars_error)?.iter().map(|k| k.map_or(KeyRef::Null, KeyRef::Int)).collect()
        }
        DataType::String => {
            series.str().map_err(polars_error)?.iter().map(|k| k.map_or(KeyRef::Null, KeyRef::Str)).collect()
        }
        other => return Err(PyValueError::new_err(format!("stream keys must be Int64 or String, got {other}"))),
    })
}

/// Float64 (or Float32) column with nulls where the value is NaN, as the plugin expression writes them.
fn output_series(name: &str, values: Vec<f64>, float32: bool) -> PyResult<Column> {
    let bitmap =
        values.iter().any(|v| v.is_nan()).then(|| Bitmap::from_trusted_len_iter(values.iter().map(|v| !v.is_nan())));
    let arr = PrimitiveArray::new(ArrowDataType::Float64, values.into(), bitmap);
    let series = Float64Chunked::with_chunk(name.into(), arr).into_series();
    let series = if float32 { series.cast(&DataType::Float32).map_err(polars_error)? } else { series };
    Ok(series.into_column())
}

/// Output columns in indicator order: `names[i][j]` for output j of indicator i.
fn output_frame(
    mut columns: Vec<Column>,
    outputs: Vec<Vec<Vec<f64>>>,
    names: &[Vec<String>],
    float32: &[bool],
) -> PyResult<DataFrame> {
    for (i, out) in outputs.into_iter().enumerate() {
        for (j, values) in out.into_iter().enumerate() {
            let name =
                names.get(i).and_then(|n| n.get(j)).ok_or_else(|| PyValueError::new_err("missing output name"))?;
            columns.push(output_series(name, values, float32.get(i).copied().unwrap_or(false))?);
        }
    }
    DataFrame::new_infer_height(columns).map_err(polars_error)
}

fn internal_error(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!("Stream.{what}: internal error"))
}

thread_local! {
    /// The outputs of one value, reused from call to call: on the per-value path of `talib.stream` handles an
    /// allocation and its release are a tenth of the call.
    static ONE_VALUE: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl _Stream {
    fn step_one_value(&self, value: f64, commit: bool) -> PyResult<f64> {
        let mut stream = self.lock()?;
        ONE_VALUE.with_borrow_mut(|out| {
            out.clear();
            match catch_unwind(AssertUnwindSafe(|| stream.step_single(&[value], commit, out))) {
                Ok(Ok(())) if out.len() == 1 => Ok(out[0]),
                Ok(Ok(())) => Err(PyValueError::new_err(format!("update: {} outputs, expected 1", out.len()))),
                Ok(Err(UpdateError::Shape(msg))) => Err(PyValueError::new_err(format!("update: {msg}"))),
                Ok(Err(e)) => Err(PyValueError::new_err(format!("update: {e:?}"))),
                Err(_) => Err(internal_error("update")),
            }
        })
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Stream>> {
        self.inner.lock().map_err(|_| PyRuntimeError::new_err("Stream: unusable after an internal error"))
    }
}

/// What `update` hands back: the output frame, or where the rows went back in time (row, key, previous, time).
type UpdateResult = (Option<FrameOut>, Option<(usize, String, i64, i64)>);

#[pymethods]
impl _Stream {
    /// `specs`: (catalogue name, kernel parameters, input column positions) per indicator.
    #[new]
    fn new(
        specs: Vec<(String, BTreeMap<String, f64>, Vec<usize>)>,
        columns: usize,
        timed: bool,
        meta: String,
    ) -> PyResult<Self> {
        let specs = specs.into_iter().map(|(name, params, columns)| Spec { name, params, columns }).collect();
        let stream = Stream::new(specs, columns, timed, meta).map_err(|e| PyValueError::new_err(e.0))?;
        Ok(_Stream { inner: Mutex::new(stream) })
    }

    /// Feeds rows; `commit=False` previews them. With `names`, returns `prefix` plus the outputs as a frame.
    #[pyo3(signature = (keys, times, columns, commit, prefix, names, float32))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        keys: Option<SeriesArg>,
        times: Option<SeriesArg>,
        columns: Vec<SeriesArg>,
        commit: bool,
        prefix: Vec<SeriesArg>,
        names: Option<Vec<Vec<String>>>,
        float32: Vec<bool>,
    ) -> PyResult<UpdateResult> {
        let key_refs = keys.as_ref().map(|k| self::keys(&k.0)).transpose()?;
        let times = times.map(|t| t.0.rechunk());
        let time_values = match &times {
            Some(t) => Some(t.i64().map_err(polars_error)?.cont_slice().map_err(polars_error)?),
            None => None,
        };
        let values = columns.iter().map(|c| values(&c.0)).collect::<PyResult<Vec<_>>>()?;
        let rows = Rows { keys: key_refs, times: time_values, columns: values.iter().map(|v| &v[..]).collect() };
        let want = names.is_some();
        let result = py.detach(|| {
            let mut stream = self.lock()?;
            catch_unwind(AssertUnwindSafe(|| stream.update(&rows, commit, want))).map_err(|_| internal_error("update"))
        })?;
        match result {
            Ok(outputs) => match names {
                Some(names) => {
                    let prefix = prefix.into_iter().map(|s| s.0.into_column()).collect();
                    Ok((Some(FrameOut(output_frame(prefix, outputs, &names, &float32)?)), None))
                }
                None => Ok((None, None)),
            },
            Err(UpdateError::OutOfOrder { row, key, previous, time }) => Ok((None, Some((row, key, previous, time)))),
            Err(UpdateError::Shape(msg)) => Err(PyValueError::new_err(format!("Stream.update: {msg}"))),
        }
    }

    /// The newest outputs per key: `(keys, times, outputs)`; keys as Int64 or String (`int_keys`), in order of
    /// first appearance.
    fn latest(
        &self,
        key_name: String,
        int_keys: bool,
        time_name: Option<String>,
        names: Vec<Vec<String>>,
        float32: Vec<bool>,
    ) -> PyResult<FrameOut> {
        let stream = self.lock()?;
        let latest = stream.latest();
        let mut columns = Vec::new();
        let key_column = if int_keys {
            let ca: Int64Chunked =
                latest.keys.iter().map(|k| if let Key::Int(v) = k { Some(*v) } else { None }).collect();
            ca.with_name(key_name.into()).into_series()
        } else {
            let ca: StringChunked =
                latest.keys.iter().map(|k| if let Key::Str(s) = k { Some(s.as_str()) } else { None }).collect();
            ca.with_name(key_name.into()).into_series()
        };
        columns.push(key_column.into_column());
        if let (Some(name), Some(times)) = (time_name, latest.times) {
            columns.push(Int64Chunked::from_slice(name.into(), times).into_series().into_column());
        }
        let keys = latest.keys.len();
        let outputs: Vec<Vec<Vec<f64>>> = latest
            .outputs
            .iter()
            .map(|&(o, last)| (0..o).map(|j| (0..keys).map(|k| last[k * o + j]).collect()).collect())
            .collect();
        Ok(FrameOut(output_frame(columns, outputs, &names, &float32)?))
    }

    /// One row of a stream without keys or times, with the GIL held (the work is a few nanoseconds): the outputs
    /// of every indicator, in order.
    fn step(&self, values: Vec<f64>, commit: bool) -> PyResult<Vec<f64>> {
        let mut out = Vec::with_capacity(8);
        let mut stream = self.lock()?;
        match catch_unwind(AssertUnwindSafe(|| stream.step_single(&values, commit, &mut out))) {
            Ok(Ok(())) => Ok(out),
            Ok(Err(UpdateError::Shape(msg))) => Err(PyValueError::new_err(format!("update: {msg}"))),
            Ok(Err(e)) => Err(PyValueError::new_err(format!("update: {e:?}"))),
            Err(_) => Err(internal_error("update")),
        }
    }

    /// [`_Stream::step`] for a stream of one input and one output, committed: the per-value path of `talib.stream`
    /// handles (no lists built).
    fn push1(&self, value: f64) -> PyResult<f64> {
        self.step_one_value(value, true)
    }

    /// [`_Stream::push1`] without keeping the value.
    fn peek1(&self, value: f64) -> PyResult<f64> {
        self.step_one_value(value, false)
    }

    /// The newest outputs of the first key (the one series of a stream without keys), every indicator in order.
    fn newest(&self) -> PyResult<Vec<f64>> {
        let stream = self.lock()?;
        let latest = stream.latest();
        Ok(latest
            .outputs
            .iter()
            .flat_map(|&(o, last)| last.get(..o).unwrap_or(&[]).iter().copied())
            .collect::<Vec<_>>())
        .map(|v| if v.is_empty() { vec![f64::NAN; stream.output_counts().iter().sum()] } else { v })
    }

    fn copy(&self) -> PyResult<_Stream> {
        Ok(_Stream { inner: Mutex::new(self.lock()?.clone()) })
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.detach(|| self.lock().and_then(|s| s.save().map_err(PyRuntimeError::new_err)))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn restore(py: Python<'_>, blob: &Bound<'_, PyBytes>) -> PyResult<_Stream> {
        let bytes = blob.as_bytes();
        let stream = py.detach(|| catch_unwind(|| Stream::load(bytes)));
        match stream {
            Ok(Ok(stream)) => Ok(_Stream { inner: Mutex::new(stream) }),
            Ok(Err(e)) => Err(PyValueError::new_err(format!("Stream.restore: {}", e.0))),
            Err(_) => Err(internal_error("restore")),
        }
    }

    #[getter]
    fn meta(&self) -> PyResult<String> {
        Ok(self.lock()?.meta.clone())
    }

    fn key_count(&self) -> PyResult<usize> {
        Ok(self.lock()?.key_count())
    }

    fn memory_bytes(&self) -> PyResult<usize> {
        Ok(self.lock()?.memory_bytes())
    }

    fn bytes_per_key(&self) -> PyResult<Vec<usize>> {
        Ok(self.lock()?.bytes_per_key())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<_Stream>()
}
