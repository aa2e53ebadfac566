//! Bar transforms whose output is a new frame rather than one value per row: renko, point-and-figure, kagi,
//! three-line break, tick/volume/range bars, resampling runs and the volume profile.
//!
//! Every function takes plain `f64` columns in which a non-finite value (the Python layer turns nulls into NaN)
//! marks a missing bar that is skipped. Bar indices in the outputs are positions in the input slices, so the caller
//! can look up timestamps. Bad parameters and outputs that would not fit in memory are errors, never panics.

// No unwrap()/expect() on what a user can influence: errors are returned, never panicked on (make lint).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use super::KernelError;

/// The most rows a transform may produce; a box size tiny relative to the prices would otherwise exhaust memory.
pub const MAX_OUTPUT_ROWS: usize = 10_000_000;

/// Grid levels (price / box) must stay exactly representable.
const MAX_LEVEL: f64 = 4.0e15;

fn error(func: &str, msg: impl std::fmt::Display) -> KernelError {
    KernelError(format!("{func}: {msg}"))
}

/// A finite, strictly positive parameter.
pub fn positive(func: &str, name: &str, value: f64) -> Result<f64, KernelError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(error(func, format_args!("{name} must be a finite number > 0, got {value}")))
    }
}

fn same_length(func: &str, columns: &[&[f64]]) -> Result<usize, KernelError> {
    let n = columns.first().map_or(0, |c| c.len());
    if columns.iter().any(|c| c.len() != n) {
        return Err(error(func, "input columns have different lengths"));
    }
    Ok(n)
}

fn too_many(func: &str, rows: usize, what: &str) -> Result<(), KernelError> {
    if rows > MAX_OUTPUT_ROWS {
        return Err(error(
            func,
            format_args!("{rows} {what}, more than {MAX_OUTPUT_ROWS}; box_size is too small for these prices"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Resampling: aggregate runs of equal keys.

/// How a column is aggregated over a run of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    /// The first valid value.
    First,
    /// The last valid value.
    Last,
    /// The largest valid value.
    Max,
    /// The smallest valid value.
    Min,
    /// The (compensated) sum of the valid values.
    Sum,
}

impl Agg {
    /// Parse `"first" | "last" | "max" | "min" | "sum"`.
    pub fn parse(func: &str, name: &str) -> Result<Self, KernelError> {
        Ok(match name {
            "first" => Agg::First,
            "last" => Agg::Last,
            "max" => Agg::Max,
            "min" => Agg::Min,
            "sum" => Agg::Sum,
            other => {
                return Err(error(
                    func,
                    format_args!("aggregation must be one of first, last, max, min, sum; got {other:?}"),
                ))
            }
        })
    }
}

/// Half-open row ranges `[start, end)` of maximal runs of equal consecutive keys.
pub fn runs(keys: &[i64]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i] != keys[start] {
            if i > start {
                out.push((start, i));
            }
            start = i;
        }
    }
    out
}

/// Aggregate `values` over each run, skipping non-finite values; a run without valid values gives NaN.
pub fn aggregate(func: &str, values: &[f64], runs: &[(usize, usize)], agg: Agg) -> Result<Vec<f64>, KernelError> {
    let mut out = Vec::with_capacity(runs.len());
    for &(start, end) in runs {
        if start > end || end > values.len() {
            return Err(error(func, "run outside the column"));
        }
        let mut valid = values[start..end].iter().copied().filter(|v| v.is_finite());
        let value = match agg {
            Agg::First => valid.next(),
            Agg::Last => valid.next_back(),
            Agg::Max => valid.reduce(f64::max),
            Agg::Min => valid.reduce(f64::min),
            Agg::Sum => {
                let mut any = false;
                let (mut sum, mut comp) = (0.0f64, 0.0f64);
                for v in valid {
                    any = true;
                    let t = sum + v;
                    comp += if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
                    sum = t;
                }
                any.then_some(sum + comp)
            }
        };
        out.push(value.unwrap_or(f64::NAN));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Renko.

/// One renko brick (or three-line-break line): completed at source row `bar`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Brick {
    pub bar: usize,
    pub open: f64,
    pub close: f64,
    pub direction: i8,
}

/// Grid of prices `anchor + j * step`, with exact comparisons against that expression.
struct Grid {
    anchor: f64,
    step: f64,
}

impl Grid {
    #[inline]
    fn level(&self, j: i64) -> f64 {
        self.anchor + (j as f64) * self.step
    }

    fn estimate(&self, func: &str, p: f64) -> Result<f64, KernelError> {
        let x = (p - self.anchor) / self.step;
        // NaN fails this test too.
        if x.is_nan() || x.abs() >= MAX_LEVEL {
            return Err(error(func, format_args!("box_size {} is too small for price {p}", self.step)));
        }
        Ok(x)
    }

    /// The largest `j` with `level(j) <= p`.
    fn at_or_below(&self, func: &str, p: f64) -> Result<i64, KernelError> {
        let mut j = self.estimate(func, p)?.floor() as i64;
        while self.level(j + 1) <= p {
            j += 1;
        }
        while self.level(j) > p {
            j -= 1;
        }
        Ok(j)
    }

    /// The smallest `j` with `level(j) >= p`.
    fn at_or_above(&self, func: &str, p: f64) -> Result<i64, KernelError> {
        let mut j = self.estimate(func, p)?.ceil() as i64;
        while self.level(j - 1) >= p {
            j -= 1;
        }
        while self.level(j) < p {
            j += 1;
        }
        Ok(j)
    }
}

/// The smallest renko box, relative to the largest price, whose grid levels stay exact enough: `anchor + j * box`
/// then rises strictly with `j` and `(p - anchor) / box` lands within a level of the right one, so locating a price
/// on the grid takes a step or two. Below it, a box under the price's float resolution would make the grid walk
/// (or the bricks) endless: 2^-40 keeps about 12 significant digits per box.
const MIN_RELATIVE_BOX: f64 = 1.0 / (1u64 << 40) as f64;

/// Classic close-based renko. The grid is anchored at the first valid close; a brick is added each time the close
/// reaches the next level in the current direction, and a reversal needs the close to go two boxes past the last
/// brick's close (the reversal brick opens at the last brick's open). A bar may add several bricks.
///
/// The bricks are counted before any is stored (one pass over the bars, without the bricks), so a box too small
/// for the prices fails at once with the count it would give, instead of after a long loop or an exhausted memory.
pub fn renko(close: &[f64], box_size: f64) -> Result<Vec<Brick>, KernelError> {
    const F: &str = "renko";
    let step = positive(F, "box_size", box_size)?;
    let Some(first) = close.iter().position(|v| v.is_finite()) else {
        return Ok(Vec::new());
    };
    let largest = close.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
    let smallest_box = largest * MIN_RELATIVE_BOX;
    if step < smallest_box {
        return Err(error(
            F,
            format_args!(
                "box_size {step:?} is too small: below the resolution of prices up to {largest:?}; \
                 it must be at least {smallest_box:?} (2^-40 of the largest price)"
            ),
        ));
    }
    let grid = Grid { anchor: close[first], step };
    let mut count = 0usize;
    renko_walk(&grid, close, first, |_, from, to, _| {
        count = count.saturating_add((to - from).unsigned_abs() as usize)
    })?;
    too_many(F, count, "bricks")?;
    let mut out: Vec<Brick> = Vec::with_capacity(count);
    renko_walk(&grid, close, first, |bar, from, to, d| {
        let mut j = from;
        while j != to {
            let next = j + i64::from(d);
            out.push(Brick { bar, open: grid.level(j), close: grid.level(next), direction: d });
            j = next;
        }
    })?;
    Ok(out)
}

/// Steps renko's state over the closes after `first`, calling `bricks(bar, from, to, direction)` for each run of
/// bricks a bar adds (grid levels `from` to `to`).
fn renko_walk(
    grid: &Grid,
    close: &[f64],
    first: usize,
    mut bricks: impl FnMut(usize, i64, i64, i8),
) -> Result<(), KernelError> {
    const F: &str = "renko";
    let (mut k, mut dir) = (0i64, 0i8);
    for (bar, &p) in close.iter().enumerate().skip(first + 1) {
        if !p.is_finite() {
            continue;
        }
        let up = grid.at_or_below(F, p)?;
        let down = grid.at_or_above(F, p)?;
        match dir {
            1 => {
                if up > k {
                    bricks(bar, k, up, 1);
                    k = up;
                } else if down <= k - 2 {
                    bricks(bar, k - 1, down, -1);
                    (k, dir) = (down, -1);
                }
            }
            -1 => {
                if down < k {
                    bricks(bar, k, down, -1);
                    k = down;
                } else if up >= k + 2 {
                    bricks(bar, k + 1, up, 1);
                    (k, dir) = (up, 1);
                }
            }
            _ => {
                if up >= 1 {
                    bricks(bar, 0, up, 1);
                    (k, dir) = (up, 1);
                } else if down <= -1 {
                    bricks(bar, 0, down, -1);
                    (k, dir) = (down, -1);
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Three-line break.

/// Three-line break on closes. The first line runs from the first valid close to the first close that differs.
/// A close beyond the last line's close extends the trend with a new line from that close; a close beyond the
/// extreme of the last `lines` lines (all of them when there are fewer) in the other direction draws a reversal
/// line from the last line's open. Other closes draw nothing.
pub fn three_line_break(close: &[f64], lines: usize) -> Result<Vec<Brick>, KernelError> {
    const F: &str = "three_line_break";
    if lines == 0 {
        return Err(error(F, "lines must be an integer >= 1, got 0"));
    }
    let Some(first) = close.iter().position(|v| v.is_finite()) else {
        return Ok(Vec::new());
    };
    let start = close[first];
    let mut out: Vec<Brick> = Vec::new();
    for (bar, &p) in close.iter().enumerate().skip(first + 1) {
        if !p.is_finite() {
            continue;
        }
        let Some(last) = out.last().copied() else {
            if p != start {
                out.push(Brick { bar, open: start, close: p, direction: if p > start { 1 } else { -1 } });
            }
            continue;
        };
        let recent = &out[out.len().saturating_sub(lines)..];
        if last.direction > 0 {
            let low = recent.iter().map(|b| b.open.min(b.close)).fold(f64::INFINITY, f64::min);
            if p > last.close {
                out.push(Brick { bar, open: last.close, close: p, direction: 1 });
            } else if p < low {
                out.push(Brick { bar, open: last.open, close: p, direction: -1 });
            }
        } else {
            let high = recent.iter().map(|b| b.open.max(b.close)).fold(f64::NEG_INFINITY, f64::max);
            if p < last.close {
                out.push(Brick { bar, open: last.close, close: p, direction: -1 });
            } else if p > high {
                out.push(Brick { bar, open: last.open, close: p, direction: 1 });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Kagi.

/// One kagi vertex: the line reached `price` at source row `bar` going in `direction` (0 for the starting point);
/// `thickness` is +1 (yang, thick) or -1 (yin, thin) at that point, 0 while no line has formed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KagiPoint {
    pub bar: usize,
    pub price: f64,
    pub direction: i8,
    pub thickness: i8,
}

/// Kagi on closes. The line starts at the first valid close and takes the direction of the first move of at least
/// the reversal amount; it then follows new extremes and turns when the close retreats from the extreme by the
/// reversal amount (`reversal` itself, or `reversal * |extreme|` when `relative`). It turns yang when it rises above
/// the previous shoulder (the last top) and yin when it falls below the previous waist (the last bottom).
/// Output: the starting point, every turning point, and the extreme of the last, still-open line.
pub fn kagi(close: &[f64], reversal: f64, relative: bool) -> Result<Vec<KagiPoint>, KernelError> {
    const F: &str = "kagi";
    let reversal = positive(F, "reversal", reversal)?;
    let amount = |x: f64| if relative { reversal * x.abs() } else { reversal };
    let Some(first) = close.iter().position(|v| v.is_finite()) else {
        return Ok(Vec::new());
    };
    let mut out = vec![KagiPoint { bar: first, price: close[first], direction: 0, thickness: 0 }];
    let (mut extreme, mut ext_bar, mut dir, mut thick) = (close[first], first, 0i8, 0i8);
    let (mut last_top, mut last_bottom): (Option<f64>, Option<f64>) = (None, None);
    for (bar, &p) in close.iter().enumerate().skip(first + 1) {
        if !p.is_finite() {
            continue;
        }
        match dir {
            0 => {
                let r = amount(extreme);
                if p > extreme && p - extreme >= r {
                    (dir, thick) = (1, 1);
                } else if p < extreme && extreme - p >= r {
                    (dir, thick) = (-1, -1);
                } else {
                    continue;
                }
                out[0].thickness = thick;
                (extreme, ext_bar) = (p, bar);
            }
            1 => {
                if p > extreme {
                    (extreme, ext_bar) = (p, bar);
                    if last_top.is_some_and(|t| p > t) {
                        thick = 1;
                    }
                } else if extreme - p >= amount(extreme) && p < extreme {
                    out.push(KagiPoint { bar: ext_bar, price: extreme, direction: 1, thickness: thick });
                    last_top = Some(extreme);
                    (extreme, ext_bar, dir) = (p, bar, -1);
                    if last_bottom.is_some_and(|b| p < b) {
                        thick = -1;
                    }
                }
            }
            _ => {
                if p < extreme {
                    (extreme, ext_bar) = (p, bar);
                    if last_bottom.is_some_and(|b| p < b) {
                        thick = -1;
                    }
                } else if p - extreme >= amount(extreme) && p > extreme {
                    out.push(KagiPoint { bar: ext_bar, price: extreme, direction: -1, thickness: thick });
                    last_bottom = Some(extreme);
                    (extreme, ext_bar, dir) = (p, bar, 1);
                    if last_top.is_some_and(|t| p > t) {
                        thick = 1;
                    }
                }
            }
        }
    }
    if dir != 0 {
        out.push(KagiPoint { bar: ext_bar, price: extreme, direction: dir, thickness: thick });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Point and figure.

/// One point-and-figure column on the grid of multiples of the box size: `kind` +1 for X (rising), -1 for O.
/// `top` and `bottom` are grid levels (price / box size), inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PnfColumn {
    pub kind: i8,
    pub top: i64,
    pub bottom: i64,
    pub start_bar: usize,
    pub end_bar: usize,
}

fn grid_level(value: f64, box_size: f64, up: bool) -> Result<i64, KernelError> {
    let x = value / box_size;
    if x.is_nan() || x.abs() >= MAX_LEVEL {
        return Err(error("pnf", format_args!("box_size {box_size} is too small for price {value}")));
    }
    Ok(if up { x.floor() } else { x.ceil() } as i64)
}

/// Point and figure with the high/low method (pass the closes as both for the close method). A bar's high counts
/// the boxes at or below it (`floor(high / box)`), its low those at or above it (`ceil(low / box)`). The first
/// column forms once the range since the first valid bar spans `reversal` boxes, as X when that bar extended the
/// high and O when it extended the low (X when it did both). An X column extends when the high reaches a new box;
/// otherwise it reverses when the low is `reversal` boxes below its top, starting an O column one box below the
/// top. O columns mirror this. A bar is valid when both its high and low are finite.
pub fn pnf(high: &[f64], low: &[f64], box_size: f64, reversal: usize) -> Result<Vec<PnfColumn>, KernelError> {
    const F: &str = "pnf";
    let box_size = positive(F, "box_size", box_size)?;
    if reversal == 0 || reversal > 1_000_000 {
        return Err(error(F, format_args!("reversal must be an integer between 1 and 1000000, got {reversal}")));
    }
    let n = same_length(F, &[high, low])?;
    let r = reversal as i64;
    let mut out: Vec<PnfColumn> = Vec::new();
    let mut current: Option<PnfColumn> = None;
    let mut range: Option<(i64, i64, usize)> = None; // (hi, lo, first bar) before the first column
    for bar in 0..n {
        let (h, l) = (high[bar], low[bar]);
        if !(h.is_finite() && l.is_finite()) {
            continue;
        }
        let (hl, ll) = (grid_level(h, box_size, true)?, grid_level(l, box_size, false)?);
        match current.as_mut() {
            None => {
                let (hi, lo, start) = range.unwrap_or((hl, ll, bar));
                let first = range.is_none();
                let (up, down) = (first || hl > hi, first || ll < lo);
                let (hi, lo) = (hi.max(hl), lo.min(ll));
                range = Some((hi, lo, start));
                if hi - lo >= r {
                    let kind = if up {
                        1
                    } else if down {
                        -1
                    } else {
                        1
                    };
                    current = Some(PnfColumn { kind, top: hi, bottom: lo, start_bar: start, end_bar: bar });
                }
            }
            Some(col) if col.kind > 0 => {
                if hl > col.top {
                    col.top = hl;
                    col.end_bar = bar;
                } else if ll <= col.top - r {
                    let next = PnfColumn { kind: -1, top: col.top - 1, bottom: ll, start_bar: bar, end_bar: bar };
                    out.push(*col);
                    *col = next;
                }
            }
            Some(col) => {
                if ll < col.bottom {
                    col.bottom = ll;
                    col.end_bar = bar;
                } else if hl >= col.bottom + r {
                    let next = PnfColumn { kind: 1, top: hl, bottom: col.bottom + 1, start_bar: bar, end_bar: bar };
                    out.push(*col);
                    *col = next;
                }
            }
        }
        too_many(F, out.len(), "columns")?;
    }
    out.extend(current);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Bars from trades.

/// When a bar built from trades closes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TradeRule {
    /// After this many trades.
    Ticks(usize),
    /// When the bar's summed size reaches this amount (the trade that reaches it belongs to the bar).
    Volume(f64),
    /// When the bar's high - low reaches this amount (the trade that reaches it belongs to the bar).
    Range(f64),
}

/// An OHLCV bar made of trades `first..=last` (source rows), `trades` of them valid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeBar {
    pub first: usize,
    pub last: usize,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub trades: usize,
}

/// Group consecutive trades into bars by `rule`. A trade is skipped when its price (or its size, when sizes are
/// given) is not finite. Without sizes, volume is 0. The last, unfinished bar is kept when `include_partial`.
pub fn trade_bars(
    func: &str,
    price: &[f64],
    size: Option<&[f64]>,
    rule: TradeRule,
    include_partial: bool,
) -> Result<Vec<TradeBar>, KernelError> {
    match rule {
        TradeRule::Ticks(0) => return Err(error(func, "n must be an integer >= 1, got 0")),
        TradeRule::Volume(v) => {
            positive(func, "volume", v)?;
        }
        TradeRule::Range(v) => {
            positive(func, "range", v)?;
        }
        TradeRule::Ticks(_) => {}
    }
    if let Some(size) = size {
        same_length(func, &[price, size])?;
    }
    let mut out = Vec::new();
    let mut bar: Option<TradeBar> = None;
    for (i, &p) in price.iter().enumerate() {
        let s = size.map_or(0.0, |s| s[i]);
        if !(p.is_finite() && s.is_finite()) {
            continue;
        }
        let b = bar.get_or_insert(TradeBar {
            first: i,
            last: i,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: 0.0,
            trades: 0,
        });
        b.last = i;
        b.high = b.high.max(p);
        b.low = b.low.min(p);
        b.close = p;
        b.volume += s;
        b.trades += 1;
        let done = match rule {
            TradeRule::Ticks(n) => b.trades >= n,
            TradeRule::Volume(v) => b.volume >= v,
            TradeRule::Range(r) => b.high - b.low >= r,
        };
        if done {
            out.push(*b);
            bar = None;
        }
    }
    if include_partial {
        out.extend(bar);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Volume profile.

/// One price level of a volume profile: `[low, high]`, the volume traded there, and whether it is the point of
/// control (the first level with the largest volume, none when all volume is 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileLevel {
    pub low: f64,
    pub high: f64,
    pub volume: f64,
    pub poc: bool,
}

/// Volume by price: `bins` equal levels between the lowest low and the highest high; each bar's volume is spread
/// evenly over the levels its `[low, high]` touches (a bar with high < low is read as `[high, low]`). A bar is
/// valid when low, high and volume are all finite. When every valid price is equal there is one level.
pub fn volume_profile(
    low: &[f64],
    high: &[f64],
    volume: &[f64],
    bins: usize,
) -> Result<Vec<ProfileLevel>, KernelError> {
    const F: &str = "volume_profile";
    if bins == 0 || bins > 10_000_000 {
        return Err(error(F, format_args!("bins must be an integer between 1 and 10000000, got {bins}")));
    }
    let n = same_length(F, &[low, high, volume])?;
    let valid = |i: usize| low[i].is_finite() && high[i].is_finite() && volume[i].is_finite();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in (0..n).filter(|&i| valid(i)) {
        lo = lo.min(low[i].min(high[i]));
        hi = hi.max(low[i].max(high[i]));
    }
    if lo > hi {
        return Ok(Vec::new());
    }
    let width = (hi - lo) / bins as f64;
    let bins = if width > 0.0 && width.is_finite() { bins } else { 1 };
    let index = |x: f64| -> usize {
        if bins == 1 {
            return 0;
        }
        let k = ((x - lo) / width).floor();
        if k <= 0.0 {
            0
        } else {
            (k as usize).min(bins - 1)
        }
    };
    // Each bar adds its share to a run of levels. Summing it level by level would cost bars x bins; instead the
    // share is added where the run starts and taken off after it ends, and a running sum over the levels gives each
    // level its volume: bars + bins steps. A level no bar covers (counted exactly, in integers) is exactly 0
    // rather than the rounding residue of the running sum. The sum is compensated (Neumaier).
    let mut delta = vec![0.0f64; bins + 1];
    let mut covering = vec![0i64; bins + 1];
    for i in (0..n).filter(|&i| valid(i)) {
        let (a, b) = (index(low[i].min(high[i])), index(low[i].max(high[i])));
        let share = volume[i] / (b - a + 1) as f64;
        delta[a] += share;
        delta[b + 1] -= share;
        covering[a] += 1;
        covering[b + 1] -= 1;
    }
    let (mut sum, mut comp, mut bars_here) = (0.0f64, 0.0f64, 0i64);
    let mut levels: Vec<ProfileLevel> = Vec::with_capacity(bins);
    for k in 0..bins {
        let d = delta[k];
        let t = sum + d;
        comp += if sum.abs() >= d.abs() { (sum - t) + d } else { (d - t) + sum };
        sum = t;
        bars_here += covering[k];
        levels.push(ProfileLevel {
            low: if bins == 1 { lo } else { lo + k as f64 * width },
            high: if k + 1 == bins { hi } else { lo + (k + 1) as f64 * width },
            volume: if bars_here > 0 { sum + comp } else { 0.0 },
            poc: false,
        });
    }
    let mut best: Option<usize> = None;
    for (k, level) in levels.iter().enumerate() {
        if level.volume > 0.0 && best.is_none_or(|b| level.volume > levels[b].volume) {
            best = Some(k);
        }
    }
    if let Some(b) = best {
        levels[b].poc = true;
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn runs_and_aggregates_skip_missing_values() {
        let keys = [1, 1, 1, 2, 3, 3];
        let r = runs(&keys);
        assert_eq!(r, vec![(0, 3), (3, 4), (4, 6)]);
        let v = [NAN, 2.0, 5.0, NAN, 1.0, 4.0];
        assert_eq!(aggregate("t", &v, &r, Agg::First).unwrap()[0], 2.0);
        assert_eq!(aggregate("t", &v, &r, Agg::Last).unwrap()[2], 4.0);
        assert_eq!(aggregate("t", &v, &r, Agg::Max).unwrap()[0], 5.0);
        assert_eq!(aggregate("t", &v, &r, Agg::Min).unwrap()[2], 1.0);
        let sums = aggregate("t", &v, &r, Agg::Sum).unwrap();
        assert_eq!(sums[0], 7.0);
        assert!(sums[1].is_nan());
        assert!(runs(&[]).is_empty());
        assert!(aggregate("t", &[1.0], &[(0, 2)], Agg::Sum).is_err());
        assert!(Agg::parse("t", "mean").is_err());
    }

    #[test]
    fn renko_needs_two_boxes_to_reverse() {
        let close = [10.0, 11.0, 12.5, 11.5, 10.9, 10.0, NAN, 13.0];
        let b = renko(&close, 1.0).unwrap();
        let got: Vec<(usize, f64, f64, i8)> = b.iter().map(|b| (b.bar, b.open, b.close, b.direction)).collect();
        assert_eq!(
            got,
            vec![(1, 10.0, 11.0, 1), (2, 11.0, 12.0, 1), (5, 11.0, 10.0, -1), (7, 11.0, 12.0, 1), (7, 12.0, 13.0, 1),]
        );
        assert!(renko(&close, 0.0).is_err());
        assert!(renko(&close, f64::NAN).is_err());
        assert!(renko(&[], 1.0).unwrap().is_empty());
        assert!(renko(&[5.0; 10], 1.0).unwrap().is_empty());
        assert!(renko(&[1.0, 1e300], 1e-300).is_err());
    }

    #[test]
    fn renko_refuses_a_box_below_the_price_resolution_before_any_loop() {
        // Each of these used to step a grid whose levels no longer move: endless, or seconds before an error.
        for (close, box_size) in [(vec![1e6, 1e6], 1e-300), (vec![1e6, 1e6 + 1e-9], 1e-20), (vec![1.8e19; 100], 1.0)] {
            let e = renko(&close, box_size).unwrap_err().0;
            assert!(e.starts_with("renko: box_size") && e.contains("resolution"), "{e}");
        }
        // The smallest accepted box still walks a strictly rising grid.
        let b = renko(&[1e6, 1e6 + 1e-5], 1e-6).unwrap();
        assert!(!b.is_empty() && b.iter().all(|b| b.close > b.open));
        // The brick budget is checked on the count, before the bricks are stored.
        let e = renko(&[0.0, 1e9], 1.0).unwrap_err().0;
        assert!(e.contains(&format!("1000000000 bricks, more than {MAX_OUTPUT_ROWS}")), "{e}");
    }

    #[test]
    fn volume_profile_equals_the_level_by_level_sum() {
        let (mut low, mut high, mut vol) = (Vec::new(), Vec::new(), Vec::new());
        let mut x = 0.3f64;
        for i in 0..500 {
            x = (x * 3.7 + 0.11).fract();
            low.push(100.0 + 50.0 * x);
            high.push(100.0 + 50.0 * x + 10.0 * ((i % 7) as f64) / 7.0);
            vol.push(1.0 + (i % 13) as f64);
        }
        let bins = 97;
        let p = volume_profile(&low, &high, &vol, bins).unwrap();
        let (lo, hi) = (p[0].low, p[bins - 1].high);
        let width = (hi - lo) / bins as f64;
        let mut naive = vec![0.0; bins];
        for i in 0..low.len() {
            let idx = |v: f64| (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
            let (a, b) = (idx(low[i]), idx(high[i]));
            for level in &mut naive[a..=b] {
                *level += vol[i] / (b - a + 1) as f64;
            }
        }
        for (level, want) in p.iter().zip(&naive) {
            assert!((level.volume - want).abs() <= 1e-9 * want.abs().max(1.0), "{} vs {want}", level.volume);
        }
    }

    #[test]
    fn three_line_break_reverses_past_three_lines() {
        let close = [10.0, 10.0, 11.0, 12.0, 13.0, 11.5, 10.5, 14.0, 9.0];
        let l = three_line_break(&close, 3).unwrap();
        let got: Vec<(usize, f64, f64, i8)> = l.iter().map(|b| (b.bar, b.open, b.close, b.direction)).collect();
        assert_eq!(
            got,
            vec![(2, 10.0, 11.0, 1), (3, 11.0, 12.0, 1), (4, 12.0, 13.0, 1), (7, 13.0, 14.0, 1), (8, 13.0, 9.0, -1)]
        );
        assert!(three_line_break(&close, 0).is_err());
    }

    #[test]
    fn kagi_turns_and_changes_thickness() {
        let close = [100.0, 101.0, 110.0, 104.0, 108.0, 112.0, 100.0, 103.0];
        let k = kagi(&close, 5.0, false).unwrap();
        let got: Vec<(usize, f64, i8, i8)> = k.iter().map(|p| (p.bar, p.price, p.direction, p.thickness)).collect();
        assert_eq!(
            got,
            vec![(0, 100.0, 0, 1), (2, 110.0, 1, 1), (3, 104.0, -1, 1), (5, 112.0, 1, 1), (6, 100.0, -1, -1)]
        );
        assert!(kagi(&close, -1.0, true).is_err());
        assert_eq!(kagi(&[5.0, 5.0], 0.04, true).unwrap().len(), 1);
    }

    #[test]
    fn pnf_columns_with_three_box_reversal() {
        let c = [100.0, 101.0, 103.2, 102.0, 99.5, 98.0, 101.0];
        let cols = pnf(&c, &c, 1.0, 3).unwrap();
        assert_eq!(
            cols,
            vec![
                PnfColumn { kind: 1, top: 103, bottom: 100, start_bar: 0, end_bar: 2 },
                PnfColumn { kind: -1, top: 102, bottom: 98, start_bar: 4, end_bar: 5 },
                PnfColumn { kind: 1, top: 101, bottom: 99, start_bar: 6, end_bar: 6 },
            ]
        );
        assert!(pnf(&c, &c, 0.0, 3).is_err());
        assert!(pnf(&c, &c, 1.0, 0).is_err());
        assert!(pnf(&c, &c[..2], 1.0, 3).is_err());
    }

    #[test]
    fn trade_bars_close_on_rules() {
        let p = [1.0, 2.0, NAN, 3.0, 1.5, 2.5];
        let s = [1.0, 1.0, 1.0, 2.0, 1.0, 5.0];
        let t = trade_bars("tick_bars", &p, Some(&s), TradeRule::Ticks(2), true).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!((t[1].first, t[1].last, t[1].open, t[1].close, t[1].volume), (3, 4, 3.0, 1.5, 3.0));
        assert_eq!(trade_bars("tick_bars", &p, Some(&s), TradeRule::Ticks(2), false).unwrap().len(), 2);
        let v = trade_bars("volume_bars", &p, Some(&s), TradeRule::Volume(3.0), true).unwrap();
        assert_eq!(v.iter().map(|b| b.last).collect::<Vec<_>>(), vec![3, 5]);
        let r = trade_bars("range_bars", &p, None, TradeRule::Range(1.0), true).unwrap();
        assert_eq!(r.iter().map(|b| b.last).collect::<Vec<_>>(), vec![1, 4, 5]);
        assert!(trade_bars("volume_bars", &p, None, TradeRule::Volume(0.0), true).is_err());
    }

    #[test]
    fn volume_profile_spreads_volume() {
        let low = [0.0, 2.0, NAN];
        let high = [4.0, 3.0, 1.0];
        let vol = [8.0, 6.0, 1.0];
        let p = volume_profile(&low, &high, &vol, 4).unwrap();
        let v: Vec<f64> = p.iter().map(|l| l.volume).collect();
        assert_eq!(v, vec![2.0, 2.0, 5.0, 5.0]);
        assert!(p[2].poc && !p[3].poc);
        let flat = volume_profile(&[1.0, 1.0], &[1.0, 1.0], &[0.0, 0.0], 10).unwrap();
        assert_eq!(flat.len(), 1);
        assert!(!flat[0].poc);
        assert!(volume_profile(&low, &high, &vol, 0).is_err());
        assert!(volume_profile(&[], &[], &[], 3).unwrap().is_empty());
    }
}
