//! Python entry point of the renderer: reads a frame's Arrow buffers and calls `crate::render`.
//!
//! Columns arrive as Polars Series through the Arrow C interface (no copy). A Float64 column in one chunk without
//! nulls is drawn straight from its Arrow value buffer; any other numeric column is cast / compacted once into a
//! `Vec<f64>` with nulls as NaN (a missing bar). The GIL is released while the chart is drawn and encoded, and a
//! panic in the renderer becomes a `RuntimeError` instead of reaching the interpreter.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::io::Cursor;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::guard::{panic_message, shielded};
use super::interop::SeriesArg as PySeries;
use polars::prelude::*;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::adapter::{self, Engine};
use crate::kernels::bars;
use crate::render::{
    self, ALine, ChartKind, ColorOverrides, Columns, Fill, Format, HLine, Input, LineLook, LineStyle, MarkerShape,
    Markers, Options, PanelKind, PanelLineKind, PngSpeed, RenderError, Series as Line, SubPanel, Theme, VLine,
    MAX_SIZE, MIN_SIZE,
};

/// `(time, open, high, low, close, volume)`; time and volume optional.
pub(super) type BarsArg = (Option<PySeries>, PySeries, PySeries, PySeries, PySeries, Option<PySeries>);
/// `(label, values, colour, style, on the panel's second y axis, width in pixels or 0, on the volume panel)`.
pub(super) type LineArg = (String, PySeries, Option<String>, String, bool, f32, bool);
/// How a sub-panel draws: `(line kind "line" | "step" | ..., fixed y range, log scale, histogram bar width as a
/// share of the bar's slot, histogram colour, histogram on the second axis)`.
pub(super) type PanelLookArg = (String, Option<(f64, f64)>, bool, Option<f32>, Option<String>, bool);
/// `(title, lines, histogram, reference levels, look)`.
pub(super) type PanelArg = (String, Vec<LineArg>, Option<PySeries>, Vec<f64>, PanelLookArg);
/// `(y1, y2, colour, alpha 0..=255, label, panel)`: a shaded region (NaN in either series: that row is not shaded)
/// of the panel `"price"`, `"volume"` or `"<index of a sub-panel>"`.
pub(super) type FillArg = (PySeries, PySeries, Option<String>, u8, Option<String>, String);
/// `(prices, shape, size, colour, label)`: a marker at each row whose price is not NaN.
pub(super) type MarkerArg = (PySeries, String, f32, Option<String>, Option<String>);
/// How a line looks: `(colour, width, style, label)`.
pub(super) type LookArg = (Option<String>, f32, String, Option<String>);
/// One chart's annotation lines and price scale: `(hlines, vlines, alines, log_scale)`, with `hlines` as
/// `(price, look)`, `vlines` as `(row, look)` and `alines` as `([(row, price), ...], look)`; rows count from the
/// chart's first row.
pub(super) type LinesArg = (Vec<(f64, LookArg)>, Vec<(usize, LookArg)>, Vec<(Vec<(usize, f64)>, LookArg)>, bool);
/// `(close, box_size)`: the bricks are computed here by `kernels::bars::renko`, as `df.kf.renko` does.
type RenkoArg = (PySeries, f64);
/// `(high, low, box_size, reversal)`: the columns are computed here by `kernels::bars::pnf`, as `df.kf.pnf` does.
type PnfArg = (PySeries, PySeries, f64, i64);

fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Copies a Float64 column into one buffer, nulls as NaN.
fn compact(ca: &Float64Chunked) -> Vec<f64> {
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        match arr.validity() {
            Some(valid) if valid.unset_bits() > 0 => {
                out.extend(arr.values().iter().zip(valid.iter()).map(|(&v, ok)| if ok { v } else { f64::NAN }))
            }
            _ => out.extend_from_slice(arr.values()),
        }
    }
    out
}

/// A numeric column's values as `f64`, missing values as NaN: borrowed from the Arrow buffer when the column is
/// Float64 in a single chunk without nulls, otherwise cast and/or compacted once.
fn floats<'a>(param: &str, s: &'a Series) -> PyResult<Cow<'a, [f64]>> {
    let dtype = s.dtype();
    if dtype == &DataType::Float64 {
        let ca = s.f64().map_err(value_error)?;
        if let (1, 0, Some(arr)) = (ca.chunks().len(), ca.null_count(), ca.downcast_iter().next()) {
            return Ok(Cow::Borrowed(arr.values().as_slice()));
        }
        return Ok(Cow::Owned(compact(ca)));
    }
    // Decimal is numeric, as Polars counts it (cast to Float64 below).
    if !(dtype.is_primitive_numeric() || dtype.is_decimal() || dtype.is_null()) {
        return Err(PyTypeError::new_err(format!(
            "render: {param} column '{}' has dtype {dtype}; expected a numeric column",
            s.name()
        )));
    }
    let cast = s.cast(&DataType::Float64).map_err(value_error)?;
    Ok(Cow::Owned(compact(cast.f64().map_err(value_error)?)))
}

/// A Date / Datetime column as epoch microseconds (UTC): borrowed from the Arrow buffer for a single-chunk
/// `Datetime("us")` column without nulls, converted otherwise. Nulls take the previous valid time (the first valid
/// one at the start) so the axis stays monotone; the bar itself is drawn from its prices.
fn timestamps(s: &Series) -> PyResult<Cow<'_, [i64]>> {
    if let DataType::Datetime(TimeUnit::Microseconds, _) = s.dtype() {
        let ca = s.datetime().map_err(value_error)?.physical();
        if let (1, 0, Some(arr)) = (ca.chunks().len(), ca.null_count(), ca.downcast_iter().next()) {
            return Ok(Cow::Borrowed(arr.values().as_slice()));
        }
    }
    let (mul, div) = match s.dtype() {
        DataType::Datetime(TimeUnit::Nanoseconds, _) => (1, 1000),
        DataType::Datetime(TimeUnit::Microseconds, _) => (1, 1),
        DataType::Datetime(TimeUnit::Milliseconds, _) => (1000, 1),
        DataType::Date => (86_400_000_000, 1),
        other => {
            return Err(PyTypeError::new_err(format!(
                "render: time column '{}' has dtype {other}; expected Date or Datetime",
                s.name()
            )))
        }
    };
    let physical = s.to_physical_repr().cast(&DataType::Int64).map_err(value_error)?;
    let ca = physical.i64().map_err(value_error)?;
    let scale = |v: i64| v.saturating_mul(mul).div_euclid(div);
    let mut out = Vec::with_capacity(ca.len());
    if ca.null_count() == 0 {
        for arr in ca.downcast_iter() {
            out.extend(arr.values().iter().map(|&v| scale(v)));
        }
        return Ok(Cow::Owned(out));
    }
    let mut last = ca.iter().flatten().next().map_or(0, scale);
    for v in ca.iter() {
        if let Some(v) = v {
            last = scale(v);
        }
        out.push(last);
    }
    Ok(Cow::Owned(out))
}

fn parse_colors(colors: Option<HashMap<String, String>>) -> PyResult<ColorOverrides> {
    let mut out = ColorOverrides::default();
    for (key, value) in colors.unwrap_or_default() {
        let Some(slot) = out.slot_mut(&key) else {
            return Err(value_error(format_args!(
                "render: colors has an unknown key '{key}'; valid keys: {}",
                ColorOverrides::KEYS.join(", ")
            )));
        };
        *slot = Some(value);
    }
    Ok(out)
}

fn size(param: &str, value: i64) -> PyResult<u32> {
    match u32::try_from(value) {
        Ok(v) if (MIN_SIZE..=MAX_SIZE).contains(&v) => Ok(v),
        _ => Err(value_error(format_args!("render: {param} must be between {MIN_SIZE} and {MAX_SIZE}, got {value}"))),
    }
}

/// Column names for error messages.
pub(super) struct Names {
    high: String,
    low: String,
}

pub(super) fn render_error(e: RenderError, names: Option<&Names>) -> PyErr {
    match (&e, names) {
        (RenderError::HighBelowLow { row, high, low }, Some(n)) => value_error(format_args!(
            "render: high < low at row {row}: column '{}' = {high}, column '{}' = {low}",
            n.high, n.low
        )),
        (RenderError::Encode(_), _) => PyRuntimeError::new_err(e.to_string()),
        _ => value_error(e),
    }
}

/// A line's `(label, values, colour, style, second axis, width, on the volume panel)` with its values as a Series.
type HeldLine = (String, Series, Option<String>, LineStyle, bool, f32, bool);
/// The same with its values borrowed (or compacted) as floats.
type BorrowedLine<'a> = (String, Cow<'a, [f64]>, Option<String>, LineStyle, bool, f32, bool);
/// The result `_render` hands back: `(bytes, width, height, format, timings)`.
type RenderResult<'py> = (Bound<'py, PyBytes>, u32, u32, &'static str, Bound<'py, PyDict>);

/// The Series one chart (or a batch of charts laid end to end) reads, kept alive while their slices are borrowed.
pub(super) struct Held {
    bars: Option<(Option<Series>, [Series; 4], Option<Series>)>,
    /// Renko: the closes; point-and-figure: the highs and lows.
    bricks: Option<(Series, Option<Series>)>,
    /// Renko / point-and-figure: the time of each source row (the x axis shows dates).
    brick_times: Option<Series>,
    overlays: Vec<HeldLine>,
    panels: Vec<HeldPanel>,
    fills: Vec<(Series, Series, FillLook)>,
    markers: Vec<(Series, MarkerLook)>,
    bar_colors: Option<Series>,
}

/// A sub-panel's `(title, lines, histogram, levels, look)`.
type HeldPanel = (String, Vec<HeldLine>, Option<Series>, Vec<f64>, PanelLookArg);

/// A fill's `(colour, alpha, label, panel)`.
type FillLook = (Option<String>, u8, Option<String>, PanelKind);
/// A marker series' `(shape, size, colour, label)`.
type MarkerLook = (String, f32, Option<String>, Option<String>);

/// The annotation columns of a chart (or a batch): shaded regions and markers.
#[derive(Default)]
pub(super) struct Marks {
    pub fills: Vec<FillArg>,
    pub markers: Vec<MarkerArg>,
    /// A String column: per bar, a colour replacing the up / down colour (null: the default).
    pub bar_colors: Option<PySeries>,
}

fn lines_of(lines: Vec<LineArg>) -> PyResult<Vec<HeldLine>> {
    lines
        .into_iter()
        .map(|(label, s, color, style, secondary, width, on_volume)| {
            let style = LineStyle::parse(&style, &format!("line '{label}'")).map_err(value_error)?;
            Ok((label, s.0, color, style, secondary, width, on_volume))
        })
        .collect()
}

impl Held {
    pub(super) fn new(
        bars: Option<BarsArg>,
        bricks: Option<(PySeries, Option<PySeries>)>,
        brick_times: Option<PySeries>,
        overlays: Vec<LineArg>,
        panels: Vec<PanelArg>,
        marks: Marks,
    ) -> PyResult<Held> {
        Ok(Held {
            bars: bars.map(|(t, o, h, l, c, v)| (t.map(|s| s.0), [o.0, h.0, l.0, c.0], v.map(|s| s.0))),
            bricks: bricks.map(|(a, b)| (a.0, b.map(|s| s.0))),
            brick_times: brick_times.map(|s| s.0),
            overlays: lines_of(overlays)?,
            panels: panels
                .into_iter()
                .map(|(title, lines, hist, levels, look)| {
                    Ok((title, lines_of(lines)?, hist.map(|s| s.0), levels, look))
                })
                .collect::<PyResult<_>>()?,
            fills: marks
                .fills
                .into_iter()
                .enumerate()
                .map(|(i, (y1, y2, color, alpha, label, panel))| {
                    let panel = PanelKind::parse(&panel, &format!("fill_between[{i}] panel")).map_err(value_error)?;
                    Ok((y1.0, y2.0, (color, alpha, label, panel)))
                })
                .collect::<PyResult<_>>()?,
            markers: marks
                .markers
                .into_iter()
                .map(|(values, shape, size, color, label)| (values.0, (shape, size, color, label)))
                .collect(),
            bar_colors: marks.bar_colors.map(|s| s.0),
        })
    }

    /// Every column as floats (or timestamps), borrowed from the Arrow buffers where possible. Needs the GIL only
    /// because the Series came from Python; the slices are then read by any thread.
    pub(super) fn bind(&self) -> PyResult<Data<'_>> {
        let mut names = None;
        let bars = match &self.bars {
            Some((time, [o, h, l, c], v)) => {
                names = Some(Names { high: h.name().to_string(), low: l.name().to_string() });
                let t = time.as_ref().map(timestamps).transpose()?;
                let v = v.as_ref().map(|s| floats("volume", s)).transpose()?;
                Some((t, [floats("open", o)?, floats("high", h)?, floats("low", l)?, floats("close", c)?], v))
            }
            None => None,
        };
        let bricks = match &self.bricks {
            Some((close, None)) => Some((floats("close", close)?, None)),
            Some((high, Some(low))) => Some((floats("high", high)?, Some(floats("low", low)?))),
            None => None,
        };
        let brick_times = self.brick_times.as_ref().map(timestamps).transpose()?;
        let overlays = borrow_lines("overlay", &self.overlays)?;
        let panels = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, (title, lines, hist, levels, (kind, ylim, log, bar_width, bar_color, bar_secondary)))| {
                let hist = hist.as_ref().map(|s| floats(&format!("panel '{title}' histogram"), s)).transpose()?;
                let kind = PanelLineKind::parse(kind, &format!("panels[{i}] kind")).map_err(value_error)?;
                let lines = borrow_lines(&format!("panel '{title}' line"), lines)?;
                let look = (kind, *ylim, *log, *bar_width, bar_color.clone(), *bar_secondary);
                Ok((title.clone(), lines, hist, levels.clone(), look))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let fills = self
            .fills
            .iter()
            .enumerate()
            .map(|(i, (y1, y2, look))| {
                Ok((floats(&format!("fill_between[{i}] y1"), y1)?, floats(&format!("fill_between[{i}] y2"), y2)?, look))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let markers = self
            .markers
            .iter()
            .enumerate()
            .map(|(i, (values, look))| {
                let shape = MarkerShape::parse(&look.0, &format!("markers[{i}] shape")).map_err(value_error)?;
                Ok((floats(&format!("markers[{i}]"), values)?, shape, look))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let bar_colors = match &self.bar_colors {
            Some(s) => {
                let ca = s.str().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "render: marketcolor_overrides has dtype {}; expected String colours",
                        s.dtype()
                    ))
                })?;
                Some(ca.iter().map(|c| c.map(str::to_owned)).collect())
            }
            None => None,
        };
        Ok(Data { bars, bricks, brick_times, overlays, panels, fills, markers, bar_colors, names })
    }
}

/// `(time, [open, high, low, close], volume)` as slices.
type BarData<'a> = (Option<Cow<'a, [i64]>>, [Cow<'a, [f64]>; 4], Option<Cow<'a, [f64]>>);

/// Renko: the closes; point-and-figure: the highs and lows, as slices.
type BrickData<'a> = (Cow<'a, [f64]>, Option<Cow<'a, [f64]>>);
/// A sub-panel's `(title, lines, histogram, levels, (line kind, fixed y range, log scale, bar width, bar colour))`
/// as slices.
type PanelData<'a> = (
    String,
    Vec<BorrowedLine<'a>>,
    Option<Cow<'a, [f64]>>,
    Vec<f64>,
    (PanelLineKind, Option<(f64, f64)>, bool, Option<f32>, Option<String>, bool),
);

/// A shaded region's `(y1, y2, look)` as slices.
type FillData<'a> = (Cow<'a, [f64]>, Cow<'a, [f64]>, &'a FillLook);

/// The columns of [`Held`] as slices: one chart's rows are a range of them.
pub(super) struct Data<'a> {
    bars: Option<BarData<'a>>,
    bricks: Option<BrickData<'a>>,
    brick_times: Option<Cow<'a, [i64]>>,
    overlays: Vec<BorrowedLine<'a>>,
    panels: Vec<PanelData<'a>>,
    fills: Vec<FillData<'a>>,
    markers: Vec<(Cow<'a, [f64]>, MarkerShape, &'a MarkerLook)>,
    bar_colors: Option<Vec<Option<String>>>,
    names: Option<Names>,
}

fn borrow_lines<'a>(what: &str, held: &'a [HeldLine]) -> PyResult<Vec<BorrowedLine<'a>>> {
    held.iter()
        .map(|(label, s, color, style, secondary, width, on_volume)| {
            let values = floats(&format!("{what} '{label}'"), s)?;
            Ok((label.clone(), values, color.clone(), *style, *secondary, *width, *on_volume))
        })
        .collect()
}

fn to_lines<'a>(lines: &'a [BorrowedLine<'a>], rows: &Range<usize>) -> PyResult<Vec<Line<'a>>> {
    lines
        .iter()
        .map(|(label, v, color, style, secondary, width, on_volume)| {
            Ok(Line {
                label: label.clone(),
                values: rows_of(&format!("overlay '{label}'"), v, rows)?,
                color: color.clone(),
                style: *style,
                secondary: *secondary,
                width: *width,
                on_volume: *on_volume,
            })
        })
        .collect()
}

/// `rows` of a column, or an error when the column is shorter (a caller's mistake, never a panic).
fn rows_of<'a, T>(what: &str, values: &'a [T], rows: &Range<usize>) -> PyResult<&'a [T]> {
    values.get(rows.clone()).ok_or_else(|| {
        value_error(format_args!(
            "render: {what} has {} values, rows {}..{} asked for",
            values.len(),
            rows.start,
            rows.end
        ))
    })
}

/// One chart's options, parsed. `volume: None` draws the volume panel when the chart's volume column has some
/// volume (an all-zero / null / NaN column, e.g. index data, would only draw an empty panel).
pub(super) struct ChartOptions {
    pub kind: ChartKind,
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
    pub colors: ColorOverrides,
    pub volume: Option<bool>,
    pub antialias: bool,
    pub title: Option<String>,
    pub format: Format,
    pub engine: Option<adapter::EngineChoice>,
    /// Renko brick / point-and-figure box size, and the point-and-figure reversal.
    pub box_size: f64,
    pub reversal: usize,
    pub decor: Decor,
}

/// The decorations of one chart as `chart.py`'s `_check_decorations` returns them: a dict with one item per field
/// (plus `lines`, the chart's annotation lines, placed per chart).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(super) struct DecorArg {
    title_center: bool,
    title_bold: bool,
    ylabel: Option<String>,
    ylabel_lower: Option<String>,
    volume_exponent: Option<i32>,
    last_price: bool,
    legend: bool,
    datetime_format: Option<String>,
    panel_ratios: Option<Vec<f32>>,
    subtitle: Option<String>,
    scale: f32,
    yaxis: String,
    xrotation: f32,
    main_panel: usize,
    volume_panel: usize,
    volume_log_scale: bool,
    xlabel: Option<String>,
    mco_faceonly: bool,
    lines: Option<LinesArg>,
}

/// One chart's title style, labels, last-price marker, legend, annotation lines and price scale (see
/// `render::Options`).
#[derive(Debug, Clone)]
pub(super) struct Decor {
    pub title_center: bool,
    pub title_bold: bool,
    pub ylabel: Option<String>,
    pub ylabel_lower: Option<String>,
    pub volume_exponent: Option<i32>,
    pub last_price: bool,
    pub legend: bool,
    pub datetime_format: Option<String>,
    pub panel_ratios: Option<Vec<f32>>,
    pub subtitle: Option<String>,
    pub scale: f32,
    pub y_axis_left: bool,
    pub xrotation: f32,
    pub main_panel: usize,
    pub volume_panel: usize,
    pub volume_log_scale: bool,
    pub xlabel: Option<String>,
    pub bar_colors_face_only: bool,
    pub hlines: Vec<HLine>,
    pub vlines: Vec<VLine>,
    pub alines: Vec<ALine>,
    pub log_scale: bool,
}

fn look_of(what: &str, (color, width, style, label): LookArg) -> PyResult<LineLook> {
    if !(width.is_finite() && width >= 0.0) {
        return Err(value_error(format_args!("render: {what} width must be a number >= 0, got {width}")));
    }
    Ok(LineLook { color, width, style: LineStyle::parse(&style, what).map_err(value_error)?, label })
}

/// Each `(position, look)` of one kind of line, its look parsed, as `make(position, look)`.
fn with_looks<P, L>(option: &str, lines: Vec<(P, LookArg)>, make: impl Fn(P, LineLook) -> L) -> PyResult<Vec<L>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (at, look))| Ok(make(at, look_of(&format!("{option}[{i}]"), look)?)))
        .collect()
}

impl Decor {
    pub(super) fn parse(arg: DecorArg) -> PyResult<Decor> {
        let (hlines, vlines, alines, log_scale) = arg.lines.unwrap_or_default();
        let hlines = with_looks("hlines", hlines, |price, look| HLine { price, look })?;
        let vlines = with_looks("vlines", vlines, |row, look| VLine { row, look })?;
        let alines = with_looks("alines", alines, |points, look| ALine { points, look })?;
        let y_axis_left = match arg.yaxis.as_str() {
            "left" => true,
            "right" => false,
            other => return Err(value_error(format_args!("render: yaxis must be 'left' or 'right', got {other:?}"))),
        };
        Ok(Decor {
            title_center: arg.title_center,
            title_bold: arg.title_bold,
            ylabel: arg.ylabel,
            ylabel_lower: arg.ylabel_lower,
            volume_exponent: arg.volume_exponent,
            last_price: arg.last_price,
            legend: arg.legend,
            datetime_format: arg.datetime_format,
            panel_ratios: arg.panel_ratios,
            subtitle: arg.subtitle,
            scale: arg.scale,
            y_axis_left,
            xrotation: arg.xrotation,
            main_panel: arg.main_panel,
            volume_panel: arg.volume_panel,
            volume_log_scale: arg.volume_log_scale,
            xlabel: arg.xlabel,
            bar_colors_face_only: arg.mco_faceonly,
            hlines,
            vlines,
            alines,
            log_scale,
        })
    }
}

impl Default for Decor {
    /// The renderer's own defaults (`render::Options::default()`), so the two never disagree.
    fn default() -> Decor {
        let o = Options::default();
        Decor {
            title_center: o.title_center,
            title_bold: o.title_bold,
            ylabel: o.ylabel,
            ylabel_lower: o.ylabel_lower,
            volume_exponent: o.volume_exponent,
            last_price: o.last_price,
            legend: o.legend,
            datetime_format: o.datetime_format,
            panel_ratios: o.panel_ratios,
            subtitle: o.subtitle,
            scale: o.font_scale,
            y_axis_left: o.y_axis_left,
            xrotation: o.xrotation,
            main_panel: o.main_panel,
            volume_panel: o.volume_panel,
            volume_log_scale: o.volume_log_scale,
            xlabel: o.xlabel,
            bar_colors_face_only: o.bar_colors_face_only,
            hlines: o.hlines,
            vlines: o.vlines,
            alines: o.alines,
            log_scale: o.log_scale,
        }
    }
}

impl ChartOptions {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse(
        kind: &str,
        width: i64,
        height: i64,
        theme: &str,
        colors: Option<HashMap<String, String>>,
        volume: Option<bool>,
        antialias: bool,
        title: Option<String>,
        format: &str,
        speed: &str,
        engine: Option<&str>,
        box_size: f64,
        reversal: i64,
        decor: Decor,
    ) -> PyResult<ChartOptions> {
        let engine = super::adapter::engine_choice("render", engine)?;
        let kind = ChartKind::parse(kind).map_err(value_error)?;
        let reversal = usize::try_from(reversal)
            .ok()
            .filter(|&r| r >= 1)
            .ok_or_else(|| value_error(format_args!("render: reversal must be an integer >= 1, got {reversal}")))?;
        Ok(ChartOptions {
            kind,
            width: size("width", width)?,
            height: size("height", height)?,
            theme: Theme::parse(theme).map_err(value_error)?,
            colors: parse_colors(colors)?,
            volume,
            antialias,
            title,
            format: Format::parse(format, PngSpeed::parse(speed).map_err(value_error)?).map_err(value_error)?,
            engine,
            box_size,
            reversal,
            decor,
        })
    }
}

fn internal_error(what: &str, panic: &(dyn std::any::Any + Send)) -> PyErr {
    PyRuntimeError::new_err(format!("render: internal error in {what}: {}", panic_message(panic)))
}

/// Runs a brick kernel; its error (or a panic) becomes a `ValueError` / `RuntimeError`.
fn bricks_of<T>(what: &str, kernel: impl FnOnce() -> Result<Vec<T>, crate::kernels::KernelError>) -> PyResult<Vec<T>> {
    match catch_unwind(AssertUnwindSafe(kernel)) {
        Ok(Ok(out)) => Ok(out),
        // docs/render.md: every render error starts with "render: ", the kernel's own message after it.
        Ok(Err(e)) => Err(value_error(format_args!("render: {e}"))),
        Err(panic) => Err(internal_error(what, &*panic)),
    }
}

/// Draws the chart made of `rows` of `data`: bricks or columns for renko / pnf, engine selection (and the GPU's
/// fallback to the CPU), statistics, panics caught. Needs no GIL; one chart and every chart of a batch come here.
pub(super) fn draw_chart(
    data: &Data<'_>,
    rows: Range<usize>,
    opts: &ChartOptions,
) -> PyResult<(render::Rendered, Engine)> {
    let kind = opts.kind;
    let (bricks, columns) = match (kind, &data.bricks) {
        (ChartKind::Renko, Some((close, None))) => {
            let close = rows_of("close", close, &rows)?;
            (bricks_of("renko", || bars::renko(close, opts.box_size))?, Vec::new())
        }
        (ChartKind::Pnf, Some((high, Some(low)))) => {
            let (high, low) = (rows_of("high", high, &rows)?, rows_of("low", low, &rows)?);
            (Vec::new(), bricks_of("pnf", || bars::pnf(high, low, opts.box_size, opts.reversal))?)
        }
        (ChartKind::Renko | ChartKind::Pnf, _) => {
            return Err(value_error(format_args!(
                "render: kind '{0}' needs its price columns and box size ({0}=...)",
                kind.name()
            )))
        }
        _ => (Vec::new(), Vec::new()),
    };
    if kind == ChartKind::Renko && bricks.is_empty() {
        return Err(value_error(
            "render: the closes never move a full box, so there are no renko bricks; pass a smaller box_size",
        ));
    }
    if kind == ChartKind::Pnf && columns.is_empty() {
        return Err(value_error(format_args!(
            "render: the prices never span {} boxes of {:?}, so there are no point-and-figure columns; pass a \
             smaller box_size or reversal",
            opts.reversal, opts.box_size
        )));
    }
    let mut volume = opts.volume.unwrap_or(false);
    let input = match (kind, &data.bars) {
        (ChartKind::Renko, _) => Input::Renko(&bricks),
        (ChartKind::Pnf, _) => Input::Pnf { columns: &columns, box_size: opts.box_size },
        (_, Some((t, [o, h, l, c], v))) => {
            let v = v.as_deref().map(|v| rows_of("volume", v, &rows)).transpose()?;
            if opts.volume.is_none() {
                // NaN > 0 is false, so an all-NaN column counts as no volume, like Series.max.
                volume = v.is_some_and(|v| v.iter().any(|&x| x > 0.0));
            }
            Input::Bars(Columns {
                timestamps: t.as_deref().map(|t| rows_of("time", t, &rows)).transpose()?,
                open: rows_of("open", o, &rows)?,
                high: rows_of("high", h, &rows)?,
                low: rows_of("low", l, &rows)?,
                close: rows_of("close", c, &rows)?,
                volume: v,
            })
        }
        (_, None) => return Err(value_error(format_args!("render: kind '{}' needs bars", kind.name()))),
    };
    let panels = data
        .panels
        .iter()
        .map(|(title, lines, hist, levels, (kind, ylim, log_scale, histogram_width, histogram_color, hist_second))| {
            let histogram =
                hist.as_deref().map(|h| rows_of(&format!("panel '{title}' histogram"), h, &rows)).transpose()?;
            let lines = to_lines(lines, &rows)?;
            Ok(SubPanel {
                title: title.clone(),
                lines,
                histogram,
                levels: levels.clone(),
                kind: *kind,
                ylim: *ylim,
                log_scale: *log_scale,
                histogram_width: *histogram_width,
                histogram_color: histogram_color.clone(),
                histogram_secondary: *hist_second,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let source_times = data.brick_times.as_deref().map(|t| rows_of("time", t, &rows)).transpose()?;
    // Renko's last-price tag shows the last close, which lies inside the last brick rather than on its edge.
    let last_close = match (kind, &data.bricks) {
        (ChartKind::Renko, Some((close, None))) => {
            rows_of("close", close, &rows)?.iter().rev().copied().find(|c| c.is_finite())
        }
        _ => None,
    };
    let d = &opts.decor;
    let mut options = Options {
        kind,
        width: opts.width,
        height: opts.height,
        theme: opts.theme,
        colors: opts.colors.clone(),
        volume,
        antialias: opts.antialias,
        title: opts.title.clone(),
        overlays: to_lines(&data.overlays, &rows)?,
        panels,
        format: opts.format,
        engine: Engine::Cpu,
        title_center: d.title_center,
        title_bold: d.title_bold,
        ylabel: d.ylabel.clone(),
        ylabel_lower: d.ylabel_lower.clone(),
        volume_exponent: d.volume_exponent,
        last_price: d.last_price,
        last_close,
        legend: d.legend,
        source_times,
        hlines: d.hlines.clone(),
        vlines: d.vlines.clone(),
        alines: d.alines.clone(),
        fills: data
            .fills
            .iter()
            .enumerate()
            .map(|(i, (y1, y2, (color, alpha, label, panel)))| {
                Ok(Fill {
                    y1: rows_of(&format!("fill_between[{i}] y1"), y1, &rows)?,
                    y2: rows_of(&format!("fill_between[{i}] y2"), y2, &rows)?,
                    color: color.clone(),
                    alpha: *alpha,
                    label: label.clone(),
                    panel: *panel,
                })
            })
            .collect::<PyResult<_>>()?,
        markers: data
            .markers
            .iter()
            .enumerate()
            .map(|(i, (values, shape, (_, size, color, label)))| {
                Ok(Markers {
                    values: rows_of(&format!("markers[{i}]"), values, &rows)?,
                    shape: *shape,
                    size: *size,
                    color: color.clone(),
                    label: label.clone(),
                })
            })
            .collect::<PyResult<_>>()?,
        log_scale: d.log_scale,
        datetime_format: d.datetime_format.clone(),
        panel_ratios: d.panel_ratios.clone(),
        subtitle: d.subtitle.clone(),
        font_scale: d.scale,
        y_axis_left: d.y_axis_left,
        xrotation: d.xrotation,
        main_panel: d.main_panel,
        volume_panel: d.volume_panel,
        volume_log_scale: d.volume_log_scale,
        xlabel: d.xlabel.clone(),
        bar_colors_face_only: d.bar_colors_face_only,
        bar_colors: data.bar_colors.as_deref().map(|c| rows_of("marketcolor_overrides", c, &rows)).transpose()?,
    };

    let candles = match &input {
        Input::Bars(c) => c.close.len(),
        Input::Renko(b) => b.len(),
        Input::Pnf { columns, .. } => columns.len(),
    };
    let mut stats = adapter::Tracked::start(adapter::Op::Render, candles as u64);
    let selection = adapter::select_engine(opts.engine, candles as u64, adapter::gpu_presence).map_err(value_error)?;
    options.engine = selection.engine;
    let draw = |options: &Options| catch_unwind(AssertUnwindSafe(|| render::render(input, options)));
    let mut result = draw(&options);
    if selection.fallback {
        // `gpu` was asked for and there is none: this chart is drawn on the CPU instead.
        adapter::record_fallback();
    } else if options.engine == Engine::Gpu && !matches!(result, Ok(Ok(_))) {
        // A GPU failure (device lost, a driver panic) is counted and the chart drawn on the CPU.
        adapter::record_fallback();
        options.engine = Engine::Cpu;
        result = draw(&options);
    }
    stats.set_engine(options.engine);
    let out = match result {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(render_error(e, data.names.as_ref())),
        Err(panic) => return Err(internal_error("the renderer", &*panic)),
    };
    stats.set_bytes(out.bytes.len() as u64);
    Ok((out, options.engine))
}

pub(super) fn timings_dict<'py>(
    py: Python<'py>,
    out: &render::Rendered,
    engine: Engine,
    bind_us: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let t = out.timings;
    let ms = |us: u64| us as f64 / 1000.0;
    let d = PyDict::new(py);
    d.set_item("bind_ms", ms(bind_us))?;
    d.set_item("scene_ms", ms(t.scene_us))?;
    d.set_item("draw_ms", ms(t.draw_us))?;
    d.set_item("convert_ms", ms(t.convert_us))?;
    d.set_item("encode_ms", ms(t.encode_us))?;
    d.set_item("total_ms", ms(t.scene_us + t.draw_us + t.convert_us + t.encode_us))?;
    d.set_item("slots", out.slots)?;
    d.set_item("engine", engine.name())?;
    Ok(d)
}

pub(super) fn format_name(f: Format) -> &'static str {
    match f {
        Format::Png(_) => "png",
        Format::Rgba => "rgba",
        Format::Svg => "svg",
        Format::WebP => "webp",
    }
}

/// Draws a chart. `bars` for the time-bar kinds; `renko=(close, box_size)` / `pnf=(high, low, box_size, reversal)`
/// for those kinds, whose bricks / columns are computed here. `volume=None` draws the volume panel when the volume
/// column has some volume. Returns `(bytes, width, height, format, timings)`.
#[pyfunction]
#[pyo3(signature = (
    kind, bars=None, *, renko=None, pnf=None, overlays=Vec::new(), panels=Vec::new(), width=1920, height=1080,
    theme="modern", colors=None, volume=Some(true), antialias=true, title=None, format="png", speed="fast",
    engine=None, decor=None, brick_times=None, fills=Vec::new(), markers=Vec::new(), bar_colors=None
))]
#[allow(clippy::too_many_arguments)]
fn _render<'py>(
    py: Python<'py>,
    kind: &str,
    bars: Option<BarsArg>,
    renko: Option<RenkoArg>,
    pnf: Option<PnfArg>,
    overlays: Vec<LineArg>,
    panels: Vec<PanelArg>,
    width: i64,
    height: i64,
    theme: &str,
    colors: Option<HashMap<String, String>>,
    volume: Option<bool>,
    antialias: bool,
    title: Option<String>,
    format: &str,
    speed: &str,
    engine: Option<&str>,
    decor: Option<DecorArg>,
    brick_times: Option<PySeries>,
    fills: Vec<FillArg>,
    markers: Vec<MarkerArg>,
    bar_colors: Option<PySeries>,
) -> PyResult<RenderResult<'py>> {
    shielded("render", || {
        let t0 = Instant::now();
        let (bricks, box_size, reversal) = match (renko, pnf) {
            (Some((close, box_size)), _) => (Some((close, None)), box_size, 1),
            (None, Some((high, low, box_size, reversal))) => (Some((high, Some(low))), box_size, reversal),
            (None, None) => (None, 0.0, 1),
        };
        let opts = ChartOptions::parse(
            kind,
            width,
            height,
            theme,
            colors,
            volume,
            antialias,
            title,
            format,
            speed,
            engine,
            box_size,
            reversal,
            decor.map(Decor::parse).transpose()?.unwrap_or_default(),
        )?;
        let held = Held::new(bars, bricks, brick_times, overlays, panels, Marks { fills, markers, bar_colors })?;
        // Borrow (or compact) every column while holding the GIL; the drawing below only reads these slices.
        let data = held.bind()?;
        let rows = match (&data.bars, &data.bricks) {
            (Some((_, [.., c], _)), _) => c.len(),
            (None, Some((p, _))) => p.len(),
            (None, None) => 0,
        };
        let bind_us = t0.elapsed().as_micros() as u64;
        let (out, engine) = py.detach(|| draw_chart(&data, 0..rows, &opts))?;
        let timings = timings_dict(py, &out, engine, bind_us)?;
        Ok((PyBytes::new(py, &out.bytes), out.width, out.height, format_name(out.format), timings))
    })
}

/// What kind of adapter the GPU backend finds (probed once per process by `adapter::gpu_presence`).
#[cfg(feature = "gpu")]
fn gpu_probe() -> adapter::GpuPresence {
    match render::gpu::gpu_adapter() {
        Ok(a) if a.software => adapter::GpuPresence::Software,
        Ok(_) => adapter::GpuPresence::Hardware,
        Err(_) => adapter::GpuPresence::None,
    }
}

/// Adapter facts for `kf.gpu_info()`: `None` when this build has no GPU backend or no adapter exists.
#[pyfunction]
fn _gpu_info(py: Python<'_>) -> PyResult<Option<Bound<'_, PyDict>>> {
    shielded("gpu_info", || {
        #[cfg(feature = "gpu")]
        {
            if let Ok(a) = py.detach(render::gpu::gpu_adapter) {
                let d = PyDict::new(py);
                d.set_item("name", a.name)?;
                d.set_item("backend", a.backend)?;
                d.set_item("device_type", a.device_type)?;
                d.set_item("driver", a.driver)?;
                d.set_item("software", a.software)?;
                return Ok(Some(d));
            }
        }
        let _ = py;
        Ok(None)
    })
}

/// The header's size is checked before the pixels are allocated: a header is a few bytes, and one claiming
/// 2^31 x 2^31 pixels would otherwise ask for exabytes. Charts are at most `MAX_SIZE` a side.
fn check_decoded_size(width: u32, height: u32) -> Result<(), String> {
    if width > MAX_SIZE || height > MAX_SIZE {
        return Err(format!("image of {width}x{height} pixels: at most {MAX_SIZE} a side is decoded"));
    }
    Ok(())
}

/// Decodes a PNG or lossless WebP image to `(width, height, rgba)` (straight RGBA, row-major).
#[pyfunction]
fn _decode_image<'py>(py: Python<'py>, data: &[u8]) -> PyResult<(u32, u32, Bound<'py, PyBytes>)> {
    shielded("decode_image", || {
        let decoded = py.detach(|| -> Result<(u32, u32, Vec<u8>), String> {
            if data.starts_with(b"\x89PNG") {
                let mut decoder = png::Decoder::new_with_limits(Cursor::new(data), png::Limits { bytes: usize::MAX });
                decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
                let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
                check_decoded_size(reader.info().width, reader.info().height)?;
                let mut buf = vec![0; reader.output_buffer_size().ok_or("png: image too large")?];
                let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
                buf.truncate(info.buffer_size());
                let rgba: Vec<u8> = match info.color_type {
                    png::ColorType::Rgba => buf,
                    png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
                    png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
                    png::ColorType::GrayscaleAlpha => {
                        buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect()
                    }
                    png::ColorType::Indexed => return Err("png: unexpected indexed output".into()),
                };
                Ok((info.width, info.height, rgba))
            } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
                let mut decoder = image_webp::WebPDecoder::new(Cursor::new(data)).map_err(|e| e.to_string())?;
                let (w, h) = decoder.dimensions();
                check_decoded_size(w, h)?;
                let mut buf = vec![0; decoder.output_buffer_size().ok_or("webp: image too large")?];
                decoder.read_image(&mut buf).map_err(|e| e.to_string())?;
                let rgba = if decoder.has_alpha() {
                    buf
                } else {
                    buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
                };
                Ok((w, h, rgba))
            } else {
                Err("not a PNG or WebP image".into())
            }
        });
        let (w, h, rgba) = decoded.map_err(|e| value_error(format_args!("decode_image: {e}")))?;
        Ok((w, h, PyBytes::new(py, &rgba)))
    })
}

/// Encodes straight RGBA (`width * height * 4` bytes) as PNG.
#[pyfunction]
#[pyo3(signature = (rgba, width, height, speed="fast"))]
fn _encode_png<'py>(
    py: Python<'py>,
    rgba: &[u8],
    width: u32,
    height: u32,
    speed: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    shielded("encode_png", || {
        let speed = PngSpeed::parse(speed).map_err(value_error)?;
        if width == 0 || height == 0 {
            return Err(value_error(format_args!(
                "encode_png: width and height must be at least 1, got {width}x{height}"
            )));
        }
        if rgba.len() != width as usize * height as usize * 4 {
            return Err(value_error(format_args!(
                "encode_png: expected {} bytes for {width}x{height} RGBA, got {}",
                width as usize * height as usize * 4,
                rgba.len()
            )));
        }
        let png = py.detach(|| render::encode_png(rgba, width, height, speed)).map_err(|e| render_error(e, None))?;
        Ok(PyBytes::new(py, &png))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    #[cfg(feature = "gpu")]
    adapter::register_gpu_probe(gpu_probe);
    m.add_function(wrap_pyfunction!(_gpu_info, m)?)?;
    m.add_function(wrap_pyfunction!(_render, m)?)?;
    m.add_function(wrap_pyfunction!(_decode_image, m)?)?;
    m.add_function(wrap_pyfunction!(_encode_png, m)?)?;
    // The option vocabularies, so Python documents and checks the names this renderer accepts.
    m.add("KINDS", ChartKind::ALL.map(ChartKind::name))?;
    m.add("THEMES", Theme::ALL.map(Theme::name))?;
    m.add("FORMATS", Format::NAMES)?;
    m.add("SPEEDS", PngSpeed::NAMES)?;
    m.add("COLOR_KEYS", ColorOverrides::KEYS)?;
    m.add("LINE_STYLES", LineStyle::NAMES)?;
    m.add("MARKER_SHAPES", MarkerShape::NAMES)?;
    m.add("PANEL_LINE_KINDS", PanelLineKind::NAMES)?;
    m.add("MIN_SIZE", MIN_SIZE)?;
    m.add("MAX_SIZE", MAX_SIZE)?;
    Ok(())
}
