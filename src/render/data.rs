//! Validation and per-pixel-column aggregation of the input bars.
//!
//! When there are more bars than pixel columns, each column gets one aggregated bar: the first open, the highest
//! high, the lowest low, the last close and the mean volume of the bars it covers (missing bars skipped). This
//! keeps the picture correct (every extreme is still drawn) and makes the cost of drawing independent of the bar
//! count. Volume is averaged rather than summed so that the volume axis still reads as volume per bar: columns that
//! happen to cover 3 or 4 bars would otherwise draw a constant volume as a comb of 3x and 4x bars.

use std::sync::{Mutex, OnceLock};

use super::error::RenderError;
use super::options::{Brick, Columns, PnfColumn};

/// Bars ready to draw: one entry per x slot. NaN in open/high/low/close marks a missing bar.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bars {
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Option<Vec<f64>>,
    /// Epoch microseconds of each slot's first source row.
    pub time: Option<Vec<i64>>,
    /// When aggregated: `starts[j]..starts[j + 1]` are the source rows of slot `j` (length `len() + 1`).
    pub starts: Option<Vec<usize>>,
    /// Number of source rows.
    pub source_len: usize,
}

impl Bars {
    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_missing(&self, i: usize) -> bool {
        self.close[i].is_nan()
    }

    /// The lowest low and highest high over the non-missing bars, if any.
    pub fn price_range(&self) -> Option<(f64, f64)> {
        range_of(self.low.iter().copied().chain(self.high.iter().copied()))
    }

    /// Reduces a per-source-row series to one value per slot (the last non-NaN value of each slot).
    /// The slot that draws source row `row` (rows past the end map to the last slot).
    pub fn slot_of_row(&self, row: usize) -> usize {
        match &self.starts {
            None => row.min(self.len().saturating_sub(1)),
            Some(starts) => starts[..self.len()].partition_point(|&s| s <= row).saturating_sub(1),
        }
    }

    pub fn reduce_series(&self, values: &[f64]) -> Vec<f64> {
        match &self.starts {
            None => values.to_vec(),
            Some(starts) => starts
                .windows(2)
                .map(|w| values[w[0]..w[1]].iter().rev().copied().find(|v| !v.is_nan()).unwrap_or(f64::NAN))
                .collect(),
        }
    }
}

/// Min and max of the finite values, if any.
pub(crate) fn range_of(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values {
        if v.is_finite() {
            if v < lo {
                lo = v;
            }
            if v > hi {
                hi = v;
            }
        }
    }
    (lo <= hi).then_some((lo, hi))
}

fn check_len(column: &str, expected: usize, got: usize) -> Result<(), RenderError> {
    if expected == got {
        Ok(())
    } else {
        Err(RenderError::LengthMismatch { column: column.to_string(), expected, got })
    }
}

/// Checks the columns' lengths and returns the bar count.
pub(crate) fn check_columns(c: &Columns) -> Result<usize, RenderError> {
    let n = c.close.len();
    if n == 0 {
        return Err(RenderError::EmptyInput { what: "close" });
    }
    check_len("open", n, c.open.len())?;
    check_len("high", n, c.high.len())?;
    check_len("low", n, c.low.len())?;
    if let Some(v) = c.volume {
        check_len("volume", n, v.len())?;
    }
    if let Some(t) = c.timestamps {
        check_len("timestamps", n, t.len())?;
    }
    Ok(n)
}

/// One aggregated slot.
#[derive(Clone, Copy)]
struct Agg {
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
}

const MISSING: Agg = Agg { o: f64::NAN, h: f64::NAN, l: f64::NAN, c: f64::NAN, v: f64::NAN };

/// Aggregates rows `s..e`; returns the first row with high < low as the error.
#[inline]
fn agg_range(o: &[f64], h: &[f64], l: &[f64], c: &[f64], v: Option<&[f64]>, s: usize, e: usize) -> Result<Agg, usize> {
    let mut first = usize::MAX;
    let mut last = 0;
    let mut hi = f64::NEG_INFINITY;
    let mut lo = f64::INFINITY;
    for i in s..e {
        let (oi, hi_, li, ci) = (o[i], h[i], l[i], c[i]);
        if (oi + hi_ + li + ci).is_nan() {
            continue;
        }
        if li > hi_ {
            return Err(i);
        }
        if first == usize::MAX {
            first = i;
        }
        last = i;
        if hi_ > hi {
            hi = hi_;
        }
        if li < lo {
            lo = li;
        }
    }
    if first == usize::MAX {
        let vol = v.map_or(f64::NAN, |v| mean_volume(&v[s..e]));
        return Ok(Agg { v: vol, ..MISSING });
    }
    let vol = v.map_or(f64::NAN, |v| mean_volume(&v[s..e]));
    Ok(Agg { o: o[first], h: hi, l: lo, c: c[last], v: vol })
}

/// Mean of the non-missing volumes, NaN when all are missing.
fn mean_volume(v: &[f64]) -> f64 {
    let mut sum = 0.0;
    let mut count = 0usize;
    for &x in v {
        if !x.is_nan() {
            sum += x;
            count += 1;
        }
    }
    if count > 0 {
        sum / count as f64
    } else {
        f64::NAN
    }
}

/// Bucket boundaries splitting `n` rows into `buckets` contiguous, near-equal slots.
fn bucket_starts(n: usize, buckets: usize) -> Vec<usize> {
    (0..=buckets).map(|j| ((j as u128 * n as u128) / buckets as u128) as usize).collect()
}

/// Builds the bars from the columns, aggregating to at most `max_slots` slots and validating every row.
pub(crate) fn bars_from_columns(c: &Columns, max_slots: usize) -> Result<Bars, RenderError> {
    let n = check_columns(c)?;
    let high_below_low = |row: usize| RenderError::HighBelowLow { row, high: c.high[row], low: c.low[row] };
    if n <= max_slots {
        let mut bars = Bars {
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: c.volume.map(|v| v.to_vec()),
            time: c.timestamps.map(|t| t.to_vec()),
            starts: None,
            source_len: n,
        };
        for i in 0..n {
            let a = agg_range(c.open, c.high, c.low, c.close, None, i, i + 1).map_err(high_below_low)?;
            bars.open.push(a.o);
            bars.high.push(a.h);
            bars.low.push(a.l);
            bars.close.push(a.c);
        }
        return Ok(bars);
    }
    let starts = bucket_starts(n, max_slots);
    let mut out = vec![MISSING; max_slots];
    // Slots are cut into pieces for the process's pool (`crate::worker_pool`): a few per thread, so that a thread
    // that is descheduled holds back a small piece only. Each slot's aggregate depends on its bucket alone, so the
    // result does not depend on the cut.
    let pieces = if n >= 1 << 20 { (crate::worker_pool::threads() * 4).min(max_slots) } else { 1 };
    let chunk = max_slots.div_ceil(pieces);
    let slices: Vec<Mutex<&mut [Agg]>> = out.chunks_mut(chunk).map(Mutex::new).collect();
    // Per piece, the first bad row in it.
    let bad: Vec<OnceLock<usize>> = slices.iter().map(|_| OnceLock::new()).collect();
    crate::worker_pool::for_each_claimed(slices.len(), usize::MAX, |k| {
        let mut dst = slices[k].lock().unwrap_or_else(|e| e.into_inner());
        let j0 = k * chunk;
        for (dj, slot) in dst.iter_mut().enumerate() {
            let j = j0 + dj;
            match agg_range(c.open, c.high, c.low, c.close, c.volume, starts[j], starts[j + 1]) {
                Ok(a) => *slot = a,
                Err(row) => {
                    let _ = bad[k].set(row);
                    return;
                }
            }
        }
    });
    drop(slices);
    // Pieces are in row order, so the first piece with an error holds the first bad row.
    let first_bad = bad.iter().find_map(|b| b.get().copied());
    if let Some(row) = first_bad {
        return Err(high_below_low(row));
    }
    Ok(Bars {
        open: out.iter().map(|a| a.o).collect(),
        high: out.iter().map(|a| a.h).collect(),
        low: out.iter().map(|a| a.l).collect(),
        close: out.iter().map(|a| a.c).collect(),
        volume: c.volume.map(|_| out.iter().map(|a| a.v).collect()),
        time: c.timestamps.map(|t| starts[..max_slots].iter().map(|&s| t[s]).collect()),
        starts: Some(starts),
        source_len: n,
    })
}

/// The time of each brick or column: the time of the source row it starts at (`times` indexed by `rows`).
fn source_times(
    times: Option<&[i64]>,
    rows: impl Iterator<Item = usize>,
    what: &str,
) -> Result<Option<Vec<i64>>, RenderError> {
    let Some(times) = times else { return Ok(None) };
    rows.enumerate()
        .map(|(i, row)| {
            times.get(row).copied().ok_or_else(|| RenderError::InvalidInput {
                param: "source_times".into(),
                message: format!("{what} {i} starts at row {row}, but there are {} times", times.len()),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Renko bricks as bars (open/close from the brick, high/low its extent), dated by `times` when given.
pub(crate) fn bars_from_renko(bricks: &[Brick], times: Option<&[i64]>, max_slots: usize) -> Result<Bars, RenderError> {
    if bricks.is_empty() {
        return Err(RenderError::EmptyInput { what: "renko bricks" });
    }
    if let Some((i, b)) = bricks.iter().enumerate().find(|(_, b)| !(b.open.is_finite() && b.close.is_finite())) {
        return Err(RenderError::InvalidInput {
            param: format!("renko brick {i}"),
            message: format!("open and close must be finite, got open={} close={}", b.open, b.close),
        });
    }
    let open: Vec<f64> = bricks.iter().map(|b| b.open).collect();
    let close: Vec<f64> = bricks.iter().map(|b| b.close).collect();
    let high: Vec<f64> = bricks.iter().map(|b| b.open.max(b.close)).collect();
    let low: Vec<f64> = bricks.iter().map(|b| b.open.min(b.close)).collect();
    let t = source_times(times, bricks.iter().map(|b| b.bar), "renko brick")?;
    let cols = Columns { timestamps: t.as_deref(), open: &open, high: &high, low: &low, close: &close, volume: None };
    bars_from_columns(&cols, max_slots)
}

/// The price span of a point-and-figure column: the lower edge of its lowest box and the upper edge of its highest.
pub(crate) fn pnf_span(c: &PnfColumn, box_size: f64) -> (f64, f64) {
    (c.bottom as f64 * box_size, c.top as f64 * box_size + box_size)
}

/// Point-and-figure columns as bars: X columns rise from bottom to top, O columns fall from top to bottom.
pub(crate) fn bars_from_pnf(
    columns: &[PnfColumn],
    box_size: f64,
    times: Option<&[i64]>,
    max_slots: usize,
) -> Result<Bars, RenderError> {
    if columns.is_empty() {
        return Err(RenderError::EmptyInput { what: "pnf columns" });
    }
    if !(box_size.is_finite() && box_size > 0.0) {
        return Err(RenderError::InvalidInput {
            param: "pnf box_size".into(),
            message: format!("must be > 0, got {box_size}"),
        });
    }
    for (i, c) in columns.iter().enumerate() {
        let (bottom, top) = pnf_span(c, box_size);
        if !(top.is_finite() && bottom.is_finite()) || c.top < c.bottom {
            return Err(RenderError::InvalidInput {
                param: format!("pnf column {i}"),
                message: format!("top must be finite and >= bottom, got top={} bottom={}", c.top, c.bottom),
            });
        }
    }
    let spans: Vec<(f64, f64)> = columns.iter().map(|c| pnf_span(c, box_size)).collect();
    let x = |i: usize| columns[i].kind > 0;
    let open: Vec<f64> = spans.iter().enumerate().map(|(i, s)| if x(i) { s.0 } else { s.1 }).collect();
    let close: Vec<f64> = spans.iter().enumerate().map(|(i, s)| if x(i) { s.1 } else { s.0 }).collect();
    let high: Vec<f64> = spans.iter().map(|s| s.1).collect();
    let low: Vec<f64> = spans.iter().map(|s| s.0).collect();
    let t = source_times(times, columns.iter().map(|c| c.start_bar), "pnf column")?;
    let cols = Columns { timestamps: t.as_deref(), open: &open, high: &high, low: &low, close: &close, volume: None };
    bars_from_columns(&cols, max_slots)
}
