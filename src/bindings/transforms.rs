//! Python functions for the frame-producing bar transforms (see `kernels::bars`).
//!
//! Each takes Polars Series (any numeric dtype; nulls, NaN and infinities are missing values) and returns a new
//! DataFrame. Bar indices refer to positions in the input Series, so the Python side can attach timestamps. Every
//! problem, including a bad parameter that slipped past the Python checks, is a `ValueError`, never a panic.

use std::fmt::Display;

use super::interop::{FrameOut as PyDataFrame, SeriesArg as PySeries};
use polars::prelude::*;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::guard::shielded;
use crate::kernels::bars::{self, Agg, Brick, TradeRule};

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A numeric Series as `f64` values, missing values as NaN.
fn floats(func: &str, series: &PySeries) -> PyResult<Vec<f64>> {
    let s = &series.0;
    let dtype = s.dtype();
    // Decimal is numeric, as Polars counts it (cast to Float64 below).
    if !(dtype.is_primitive_numeric() || dtype.is_decimal() || dtype.is_null()) {
        return Err(value_error(format_args!(
            "{func}: column '{}' has dtype {dtype}; expected a numeric column",
            s.name()
        )));
    }
    let cast = s.cast(&DataType::Float64).map_err(value_error)?;
    let ca = cast.f64().map_err(value_error)?;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        out.extend(arr.iter().map(|v| v.copied().unwrap_or(f64::NAN)));
    }
    Ok(out)
}

/// An integer parameter of at least 1.
fn count(func: &str, name: &str, value: i64) -> PyResult<usize> {
    if value < 1 {
        return Err(value_error(format_args!("{func}: {name} must be an integer >= 1, got {value}")));
    }
    usize::try_from(value).map_err(value_error)
}

fn float_column(name: &str, values: impl IntoIterator<Item = f64>) -> Column {
    let values: Vec<Option<f64>> = values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect();
    Series::new(name.into(), values).into_column()
}

fn int_column(name: &str, values: impl IntoIterator<Item = i64>) -> Column {
    Series::new(name.into(), values.into_iter().collect::<Vec<i64>>()).into_column()
}

fn str_column(name: &str, values: impl IntoIterator<Item = Option<&'static str>>) -> Column {
    Series::new(name.into(), values.into_iter().collect::<Vec<Option<&str>>>()).into_column()
}

/// Records one transform call over `rows` input rows in the performance statistics when it ends.
fn track(rows: usize) -> crate::adapter::Tracked {
    crate::adapter::Tracked::start(crate::adapter::Op::Transform, rows as u64)
}

fn frame(columns: Vec<Column>) -> PyResult<PyDataFrame> {
    DataFrame::new_infer_height(columns).map(PyDataFrame).map_err(value_error)
}

fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// Aggregate `columns` over runs of equal consecutive `keys` (an Int64 Series without nulls) with `aggs`
/// (`first`, `last`, `max`, `min`, `sum`). Returns `_row` (first row of each run) and one column per input.
#[pyfunction]
fn _resample_runs(py: Python<'_>, keys: PySeries, columns: Vec<PySeries>, aggs: Vec<String>) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("ohlc_resample", || {
            let _stats = track(keys.0.len());
            const F: &str = "ohlc_resample";
            if columns.len() != aggs.len() {
                return Err(value_error(format_args!(
                    "{F}: {} columns but {} aggregations",
                    columns.len(),
                    aggs.len()
                )));
            }
            let keys = keys.0.cast(&DataType::Int64).map_err(value_error)?;
            let keys = keys.i64().map_err(value_error)?;
            if keys.null_count() > 0 {
                return Err(value_error(format_args!("{F}: the time keys contain nulls")));
            }
            let keys: Vec<i64> = keys.downcast_iter().flat_map(|arr| arr.values().iter().copied()).collect();
            let runs = bars::runs(&keys);
            let mut out = vec![int_column("_row", runs.iter().map(|r| index(r.0)))];
            for (series, agg) in columns.iter().zip(&aggs) {
                let values = floats(F, series)?;
                if values.len() != keys.len() {
                    return Err(value_error(format_args!("{F}: column '{}' has a different length", series.0.name())));
                }
                let agg = Agg::parse(F, agg).map_err(value_error)?;
                let result = bars::aggregate(F, &values, &runs, agg).map_err(value_error)?;
                out.push(float_column(series.0.name().as_str(), result));
            }
            frame(out)
        })
    })
}

fn brick_frame(bricks: &[Brick]) -> PyResult<PyDataFrame> {
    frame(vec![
        int_column("bar", bricks.iter().map(|b| index(b.bar))),
        float_column("open", bricks.iter().map(|b| b.open)),
        float_column("close", bricks.iter().map(|b| b.close)),
        int_column("direction", bricks.iter().map(|b| i64::from(b.direction))),
    ])
}

/// Renko bricks from closes: `bar`, `open`, `close`, `direction`.
#[pyfunction]
fn _renko(py: Python<'_>, close: PySeries, box_size: f64) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("renko", || {
            let _stats = track(close.0.len());
            let close = floats("renko", &close)?;
            brick_frame(&bars::renko(&close, box_size).map_err(value_error)?)
        })
    })
}

/// Three-line-break lines from closes: `bar`, `open`, `close`, `direction`.
#[pyfunction]
fn _three_line_break(py: Python<'_>, close: PySeries, lines: i64) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("three_line_break", || {
            let _stats = track(close.0.len());
            const F: &str = "three_line_break";
            let lines = count(F, "lines", lines)?;
            let close = floats(F, &close)?;
            brick_frame(&bars::three_line_break(&close, lines).map_err(value_error)?)
        })
    })
}

/// Kagi vertices from closes: `bar`, `price`, `direction`, `thickness` ("yang" / "yin").
#[pyfunction]
fn _kagi(py: Python<'_>, close: PySeries, reversal: f64, relative: bool) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("kagi", || {
            let _stats = track(close.0.len());
            let close = floats("kagi", &close)?;
            let points = bars::kagi(&close, reversal, relative).map_err(value_error)?;
            let thickness = |t: i8| match t {
                1 => Some("yang"),
                -1 => Some("yin"),
                _ => None,
            };
            frame(vec![
                int_column("bar", points.iter().map(|p| index(p.bar))),
                float_column("price", points.iter().map(|p| p.price)),
                int_column("direction", points.iter().map(|p| i64::from(p.direction))),
                str_column("thickness", points.iter().map(|p| thickness(p.thickness))),
            ])
        })
    })
}

/// Point-and-figure columns: `column`, `kind` ("X" / "O"), `top`, `bottom`, `boxes`, `start_bar`, `end_bar`.
#[pyfunction]
fn _pnf(py: Python<'_>, high: PySeries, low: PySeries, box_size: f64, reversal: i64) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("pnf", || {
            let _stats = track(high.0.len());
            const F: &str = "pnf";
            let reversal = count(F, "reversal", reversal)?;
            let (high, low) = (floats(F, &high)?, floats(F, &low)?);
            let cols = bars::pnf(&high, &low, box_size, reversal).map_err(value_error)?;
            frame(vec![
                int_column("column", (0..cols.len()).map(index)),
                str_column("kind", cols.iter().map(|c| Some(if c.kind > 0 { "X" } else { "O" }))),
                float_column("top", cols.iter().map(|c| c.top as f64 * box_size)),
                float_column("bottom", cols.iter().map(|c| c.bottom as f64 * box_size)),
                int_column("boxes", cols.iter().map(|c| c.top.saturating_sub(c.bottom).saturating_add(1))),
                int_column("start_bar", cols.iter().map(|c| index(c.start_bar))),
                int_column("end_bar", cols.iter().map(|c| index(c.end_bar))),
            ])
        })
    })
}

/// Bars from trades. `rule` is `ticks`, `volume` or `range` with its `threshold`. Returns `first_row`,
/// `last_row`, `open`, `high`, `low`, `close`, `volume`, `trades`.
#[pyfunction]
#[pyo3(signature = (func, price, size, rule, threshold, include_partial))]
fn _trade_bars(
    py: Python<'_>,
    func: &str,
    price: PySeries,
    size: Option<PySeries>,
    rule: &str,
    threshold: f64,
    include_partial: bool,
) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded(func, || {
            let _stats = track(price.0.len());
            let rule = match rule {
                "ticks" => {
                    if !(threshold >= 1.0 && threshold.fract() == 0.0 && threshold < 1e15) {
                        return Err(value_error(format_args!("{func}: n must be an integer >= 1, got {threshold}")));
                    }
                    TradeRule::Ticks(threshold as usize)
                }
                "volume" => TradeRule::Volume(threshold),
                "range" => TradeRule::Range(threshold),
                other => {
                    return Err(value_error(format_args!(
                        "{func}: unknown rule {other:?}; expected ticks, volume or range"
                    )))
                }
            };
            let price = floats(func, &price)?;
            let size = size.map(|s| floats(func, &s)).transpose()?;
            let bars = bars::trade_bars(func, &price, size.as_deref(), rule, include_partial).map_err(value_error)?;
            frame(vec![
                int_column("first_row", bars.iter().map(|b| index(b.first))),
                int_column("last_row", bars.iter().map(|b| index(b.last))),
                float_column("open", bars.iter().map(|b| b.open)),
                float_column("high", bars.iter().map(|b| b.high)),
                float_column("low", bars.iter().map(|b| b.low)),
                float_column("close", bars.iter().map(|b| b.close)),
                float_column("volume", bars.iter().map(|b| b.volume)),
                int_column("trades", bars.iter().map(|b| index(b.trades))),
            ])
        })
    })
}

/// Volume by price level: `price_low`, `price_high`, `price` (centre), `volume`, `is_poc`.
#[pyfunction]
fn _volume_profile(
    py: Python<'_>,
    low: PySeries,
    high: PySeries,
    volume: PySeries,
    bins: i64,
) -> PyResult<PyDataFrame> {
    py.detach(|| {
        shielded("volume_profile", || {
            let _stats = track(low.0.len());
            const F: &str = "volume_profile";
            let bins = count(F, "bins", bins)?;
            let (low, high, volume) = (floats(F, &low)?, floats(F, &high)?, floats(F, &volume)?);
            let levels = bars::volume_profile(&low, &high, &volume, bins).map_err(value_error)?;
            let poc: Vec<bool> = levels.iter().map(|l| l.poc).collect();
            frame(vec![
                float_column("price_low", levels.iter().map(|l| l.low)),
                float_column("price_high", levels.iter().map(|l| l.high)),
                float_column("price", levels.iter().map(|l| l.low + (l.high - l.low) / 2.0)),
                float_column("volume", levels.iter().map(|l| l.volume)),
                Series::new("is_poc".into(), poc).into_column(),
            ])
        })
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_resample_runs, m)?)?;
    m.add_function(wrap_pyfunction!(_renko, m)?)?;
    m.add_function(wrap_pyfunction!(_three_line_break, m)?)?;
    m.add_function(wrap_pyfunction!(_kagi, m)?)?;
    m.add_function(wrap_pyfunction!(_pnf, m)?)?;
    m.add_function(wrap_pyfunction!(_trade_bars, m)?)?;
    m.add_function(wrap_pyfunction!(_volume_profile, m)?)?;
    Ok(())
}
