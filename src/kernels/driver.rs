//! Runs a [`Kernel`] over columns with the missing-bar rule, writing its output buffers.
//!
//! Input arrives as segments: runs of rows where every input column is one contiguous slice (a Polars series with
//! several chunks becomes several segments, so nothing is copied to make it contiguous). The driver only allocates
//! the output vectors.
//!
//! Long inputs are split into parts when the kernel can start mid-series ([`Kernel::restart`]); the calling thread
//! and the helpers of the process's one pool ([`crate::worker_pool`]) compute them, or the calling thread alone
//! when its caller already runs in parallel ([`Split::on_caller_only`]). Where a part starts, a fresh kernel first
//! steps over the bars just before it (its warm-up) without writing. The parts depend only on the number of rows,
//! never on the chunk layout or the number of cores, so a column gives the same bits however it is chunked and
//! wherever it runs:
//! * [`Restart::Window`] kernels (moving sums, extremes) hold the same window after the warm-up; only running
//!   sums can differ from an unsplit run, in their last bits.
//! * [`Restart::Converges`] kernels (EMA, Wilder) forget their start geometrically. The state a part's warm-up
//!   reached is compared with the state the previous part really ended in; if they differ in any bit (a flat
//!   stretch can keep a recursion from converging), the part is recomputed from the real state. Their outputs are
//!   therefore bit-identical to an unsplit run.

// No unwrap()/expect() on what a user can influence: errors are returned, never panicked on (make lint).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::{Mutex, TryLockError};

use super::blocks::assume_written;
use super::{Kernel, Restart};

/// An input column's values as they are stored: kernels compute in `f64`, and Float32 values are widened a block
/// at a time as the driver reaches them (see [`run_rows`]), never as a whole widened copy of the column.
#[derive(Clone, Copy)]
pub enum Values<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
}

impl<'a> Values<'a> {
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::F32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline(always)]
    fn get(&self, i: usize) -> f64 {
        match self {
            Values::F64(v) => v[i],
            Values::F32(v) => f64::from(v[i]),
        }
    }

    pub fn slice(&self, a: usize, b: usize) -> Self {
        match self {
            Values::F64(v) => Values::F64(&v[a..b]),
            Values::F32(v) => Values::F32(&v[a..b]),
        }
    }
}

impl<'a> From<&'a [f64]> for Values<'a> {
    fn from(v: &'a [f64]) -> Self {
        Values::F64(v)
    }
}

impl<'a> From<&'a [f32]> for Values<'a> {
    fn from(v: &'a [f32]) -> Self {
        Values::F32(v)
    }
}

/// One input column over a segment: its values and, when it has nulls, its Arrow validity bits.
#[derive(Clone, Copy)]
pub struct Column<'a> {
    pub values: Values<'a>,
    /// Arrow validity bitmap bytes and the bit offset of `values[0]` in them.
    pub validity: Option<(&'a [u8], usize)>,
}

impl<'a> Column<'a> {
    pub fn dense(values: &'a [f64]) -> Self {
        Self { values: Values::F64(values), validity: None }
    }

    #[inline]
    fn is_valid(&self, i: usize) -> bool {
        match self.validity {
            None => true,
            Some((bytes, offset)) => {
                let bit = offset + i;
                bytes[bit >> 3] & (1 << (bit & 7)) != 0
            }
        }
    }

    /// Whether rows `a..b` are all valid (no null), read 64 rows at a time from the bitmap.
    fn all_valid(&self, a: usize, b: usize) -> bool {
        let Some((bytes, offset)) = self.validity else { return true };
        let bit = |i: usize| bytes[i >> 3] & (1 << (i & 7)) != 0;
        let (mut lo, hi) = (offset + a, offset + b);
        while lo < hi && lo % 8 != 0 {
            if !bit(lo) {
                return false;
            }
            lo += 1;
        }
        let whole = &bytes[lo / 8..lo / 8 + (hi.max(lo) - lo) / 8];
        let words = whole.chunks_exact(8);
        let tail = words.remainder();
        let full = words.fold(true, |ok, w| ok & (u64::from_le_bytes(w.try_into().unwrap_or([0; 8])) == u64::MAX));
        if !(full && tail.iter().all(|&b| b == u8::MAX)) {
            return false;
        }
        lo += whole.len() * 8;
        (lo..hi).all(bit)
    }

    /// Rows `a..b` of this column.
    fn slice(&self, a: usize, b: usize) -> Self {
        Self { values: self.values.slice(a, b), validity: self.validity.map(|(bytes, offset)| (bytes, offset + a)) }
    }
}

/// A run of rows, starting at row `start`, in which every input column is one slice.
#[derive(Clone, Copy)]
pub struct Segment<'a, const I: usize> {
    pub start: usize,
    pub columns: [Column<'a>; I],
}

impl<const I: usize> Segment<'_, I> {
    fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// Whether row `i` of the segment is a valid bar: no input null, NaN or infinite (the missing-bar rule; an
    /// infinity fed to a running sum would leave `inf - inf = NaN` behind long after it left the window).
    #[inline]
    fn is_valid_bar(&self, i: usize) -> bool {
        self.columns.iter().all(|c| !is_missing_value(c.values.get(i)) && c.is_valid(i))
    }
}

/// The missing-bar rule for one input value (besides a null): NaN and +-inf are missing bars. The one place it is
/// spelled, shared by the driver and the live streams (`super::stream`), so that both skip exactly the same rows.
#[inline(always)]
pub fn is_missing_value(v: f64) -> bool {
    !v.is_finite()
}

/// The value type of an output column. Kernels compute in `f64`; a Float32 output (the output of Float32 inputs)
/// is each `f64` result rounded once, as a cast rounds, a block at a time as the driver goes.
pub trait OutValue: Copy + Send + Sync + 'static {
    /// Whether the kernel's `f64` results are stored as they are (then [`run_rows`] needs no blocks for them).
    const F64: bool;

    /// Runs `fill` on `f64` slots for `slots` (as many per output, one block) and stores what it wrote there:
    /// `slots` themselves for `f64`, a scratch block rounded into `slots` afterwards for `f32`.
    fn fill_via_f64<const O: usize, R>(
        slots: [&mut [MaybeUninit<Self>]; O],
        scratch: &mut [Vec<f64>; O],
        fill: impl FnOnce([&mut [MaybeUninit<f64>]; O]) -> R,
    ) -> R;

    fn is_nan(self) -> bool;
}

impl OutValue for f64 {
    const F64: bool = true;

    #[inline(always)]
    fn fill_via_f64<const O: usize, R>(
        slots: [&mut [MaybeUninit<f64>]; O],
        _: &mut [Vec<f64>; O],
        fill: impl FnOnce([&mut [MaybeUninit<f64>]; O]) -> R,
    ) -> R {
        fill(slots)
    }

    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl OutValue for f32 {
    const F64: bool = false;

    #[inline(always)]
    fn fill_via_f64<const O: usize, R>(
        slots: [&mut [MaybeUninit<f32>]; O],
        scratch: &mut [Vec<f64>; O],
        fill: impl FnOnce([&mut [MaybeUninit<f64>]; O]) -> R,
    ) -> R {
        let n = slots.first().map_or(0, |s| s.len());
        for buf in scratch.iter_mut() {
            buf.clear();
            buf.reserve(n);
        }
        let result = fill(scratch.each_mut().map(|buf| &mut buf.spare_capacity_mut()[..n]));
        for (out, buf) in slots.into_iter().zip(scratch.iter_mut()) {
            // SAFETY: `fill` wrote all `n` slots (the contract of the driver's loops it runs).
            unsafe { buf.set_len(n) };
            for (slot, &v) in out.iter_mut().zip(buf.iter()) {
                slot.write(v as f32);
            }
        }
        result
    }

    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

/// Which rows of a finished output hold values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// The first `n` rows are null (warm-up), every later row is valid.
    Prefix(usize),
    /// Nulls are scattered: exactly the rows whose value is NaN.
    NaNMask,
}

/// How long inputs are cut into parts, and whether helper threads may compute them.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    /// Rows per part at least: below twice this, an input is one part.
    pub min_part_rows: usize,
    /// Parts at most.
    pub max_parts: usize,
    /// Whether the pool's helper threads may take parts. Without them the calling thread computes the same parts
    /// one after another: the parts, and so the bits, stay a function of the length alone (a window kernel's
    /// running sums restart at each part), only the threads change.
    pub helpers: bool,
}

impl Split {
    /// 1M rows per part (a few milliseconds of work, against microseconds to hand a part to a pool thread), up to
    /// 16 parts.
    pub const DEFAULT: Split = Split { min_part_rows: 1 << 20, max_parts: 16, helpers: true };
    /// Never split.
    pub const NONE: Split = Split { min_part_rows: usize::MAX, max_parts: 1, helpers: false };

    /// The same parts, all computed on the calling thread: for a caller that already runs in parallel (Polars
    /// evaluating several expressions at once), where helpers would only compete with its own threads.
    pub const fn on_caller_only(self) -> Split {
        Split { helpers: false, ..self }
    }

    /// Part boundaries for `len` rows: a function of `len` alone.
    fn boundaries(&self, len: usize) -> Vec<usize> {
        let parts = (len / self.min_part_rows.max(1)).clamp(1, self.max_parts.max(1));
        (0..=parts).map(|p| p * len / parts).collect()
    }
}

/// Runs `kernel` over `segments` (consecutive, covering rows `0..len`) and returns each output with a description
/// of where its nulls are.
// Invariant, not user data: one buffer per output was made above.
#[allow(clippy::expect_used)]
pub fn drive<K: Kernel<I, O>, T: OutValue, const I: usize, const O: usize>(
    kernel: K,
    segments: &[Segment<'_, I>],
    len: usize,
    split: Split,
) -> [(Vec<T>, Validity); O] {
    let mut outputs: [Vec<T>; O] = std::array::from_fn(|_| super::output_buffer::output_buffer(len));
    let nan_counts = {
        let spare: [&mut [MaybeUninit<T>]; O] = outputs.each_mut().map(|out| &mut out.spare_capacity_mut()[..len]);
        drive_into(kernel, segments, len, split, spare)
    };
    for out in &mut outputs {
        // SAFETY: every row 0..len of every output was written by run_rows, in one part or another.
        unsafe { out.set_len(len) };
    }
    let mut outputs = outputs.into_iter();
    std::array::from_fn(|j| {
        let values = outputs.next().expect("one buffer per output");
        let leading = values.iter().take_while(|v| v.is_nan()).count();
        let validity = if leading == nan_counts[j] { Validity::Prefix(leading) } else { Validity::NaNMask };
        (values, validity)
    })
}

/// [`drive`] into the caller's buffers (`len` slots each, every one written); returns each output's NaN count. The
/// numpy functions use it to write straight into arrays allocated by numpy.
pub fn drive_into<K: Kernel<I, O>, T: OutValue, const I: usize, const O: usize>(
    kernel: K,
    segments: &[Segment<'_, I>],
    len: usize,
    split: Split,
    spare: [&mut [MaybeUninit<T>]; O],
) -> [usize; O] {
    let mut nan_counts = [0usize; O];
    let plan = kernel.restart().and_then(|how| {
        let bounds = part_starts(segments, &split.boundaries(len), how.warm_up_bars());
        (bounds.len() > 2).then_some((how, bounds))
    });
    let spare = spare.map(|s| &mut s[..len]);
    match plan {
        None => {
            run_rows(kernel, segments, 0..len, spare, &mut nan_counts, split.helpers);
        }
        Some((how, bounds)) => run_parts(kernel, how, segments, &bounds, split.helpers, spare, &mut nan_counts),
    }
    nan_counts
}

/// Keeps the boundaries that have `warm_up` valid bars before them (a part cannot start earlier), and for each
/// kept boundary `b` the row `s <= b` from which those bars run: returns `[(0, 0), (b1, s1), ..., (len, len)]`.
fn part_starts<const I: usize>(
    segments: &[Segment<'_, I>],
    boundaries: &[usize],
    warm_up: usize,
) -> Vec<(usize, usize)> {
    let len = *boundaries.last().unwrap_or(&0);
    let mut kept = vec![(0, 0)];
    for &b in &boundaries[1..boundaries.len() - 1] {
        if let Some(s) = warm_up_start(segments, b, warm_up) {
            kept.push((b, s));
        }
    }
    kept.push((len, len));
    kept
}

/// The latest row `s` such that rows `s..end` hold `bars` valid bars; `None` if rows `0..end` hold fewer.
fn warm_up_start<const I: usize>(segments: &[Segment<'_, I>], end: usize, bars: usize) -> Option<usize> {
    let mut needed = bars;
    if needed == 0 {
        return Some(end);
    }
    for seg in segments.iter().rev().filter(|s| s.start < end) {
        let upto = (end - seg.start).min(seg.len());
        for i in (0..upto).rev() {
            if seg.is_valid_bar(i) {
                needed -= 1;
                if needed == 0 {
                    return Some(seg.start + i);
                }
            }
        }
    }
    None
}

/// What a part's thread hands back: the kernel's state at the part's end, its state where the part began (after
/// the warm-up), and the NaN count of each output over the part.
struct PartResult<K, const O: usize> {
    end: K,
    begin: K,
    nan_counts: [usize; O],
}

/// A part not yet claimed: the kernel that computes it and its output slices.
type PendingPart<'a, K, T, const O: usize> = (K, [&'a mut [MaybeUninit<T>]; O]);

/// Computes the parts `bounds[p].0 .. bounds[p + 1].0` on the calling thread and (with `helpers`) the pool's, then
/// checks (or, for converging kernels, repairs) the seams in order.
// Invariants, not user data: the first part's kernel is taken once, each part is claimed once, every part runs.
#[allow(clippy::expect_used)]
fn run_parts<K: Kernel<I, O>, T: OutValue, const I: usize, const O: usize>(
    first: K,
    how: Restart,
    segments: &[Segment<'_, I>],
    bounds: &[(usize, usize)],
    helpers: bool,
    mut spare: [&mut [MaybeUninit<T>]; O],
    nan_counts: &mut [usize; O],
) {
    let parts = bounds.len() - 1;
    // The kernel the later parts start from, copied before the first part runs.
    let fresh = first.copy();
    let results: Vec<PartResult<K, O>> = {
        // Each part's slice of every output, in part order.
        let mut slices: Vec<[&mut [MaybeUninit<T>]; O]> = Vec::with_capacity(parts);
        let mut rest = spare.each_mut().map(|s| &mut s[..]);
        for p in 0..parts {
            let rows = bounds[p + 1].0 - bounds[p].0;
            let (head, tail): (Vec<_>, Vec<_>) = rest.into_iter().map(|s| s.split_at_mut(rows)).unzip();
            slices.push(head.try_into().unwrap_or_else(|_| unreachable!("O outputs")));
            rest = tail.try_into().unwrap_or_else(|_| unreachable!("O outputs"));
        }
        // Parts waiting to be claimed, each with its kernel and output slices; the first part's kernel is the
        // caller's, the others start fresh.
        let mut first = Some(first);
        let pending: Vec<Mutex<Option<PendingPart<'_, K, T, O>>>> = slices
            .into_iter()
            .enumerate()
            .map(|(p, out)| {
                Mutex::new(Some((if p == 0 { first.take().expect("first part") } else { fresh.copy() }, out)))
            })
            .collect();
        let done: Vec<Mutex<Option<PartResult<K, O>>>> = (0..parts).map(|_| Mutex::new(None)).collect();
        // The calling thread and the shared pool's helpers claim parts until none is left (see
        // `crate::worker_pool`); a panic in a kernel comes back on the caller's thread, where the plugin layer
        // catches it.
        let helpers = if helpers { crate::worker_pool::threads().min(parts).saturating_sub(1) } else { 0 };
        crate::worker_pool::for_each_claimed(parts, helpers, |p| {
            let (kernel, out) =
                pending[p].lock().unwrap_or_else(|e| e.into_inner()).take().expect("each part is claimed once");
            let result = run_part(kernel, segments, bounds, p, out);
            *done[p].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        });
        let results: Vec<Option<PartResult<K, O>>> =
            done.into_iter().map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner())).collect();
        results.into_iter().map(|r| r.expect("every part ran")).collect()
    };
    // Seams, in order: `exact` is the state an unsplit run would have at the start of part p.
    let mut exact: Option<K> = None;
    for (p, result) in results.into_iter().enumerate() {
        let PartResult { end, begin, nan_counts: counts } = result;
        let redo = match (&exact, how) {
            (Some(real), Restart::Converges(_)) => !real.same_state(&begin),
            _ => false,
        };
        if !redo {
            for j in 0..O {
                nan_counts[j] += counts[j];
            }
            exact = Some(end);
            continue;
        }
        #[cfg(test)]
        tests::REDONE.with(|n| n.set(n.get() + 1));
        let kernel = exact.take().expect("a previous part");
        let (a, b) = (bounds[p].0, bounds[p + 1].0);
        let out = spare.each_mut().map(|s| &mut s[a..b]);
        exact = Some(run_rows(kernel, segments, a..b, out, nan_counts, false));
    }
}

/// One part, on whichever thread claimed it: warm up (from the second part on), remember the state, then write it.
fn run_part<K: Kernel<I, O>, T: OutValue, const I: usize, const O: usize>(
    mut kernel: K,
    segments: &[Segment<'_, I>],
    bounds: &[(usize, usize)],
    p: usize,
    out: [&mut [MaybeUninit<T>]; O],
) -> PartResult<K, O> {
    let (start, warm_from) = bounds[p];
    if p > 0 {
        warm_up(&mut kernel, segments, warm_from..start);
    }
    let begin = kernel.copy();
    let mut nan_counts = [0; O];
    let end = run_rows(kernel, segments, start..bounds[p + 1].0, out, &mut nan_counts, false);
    PartResult { end, begin, nan_counts }
}

/// Steps the kernel over the valid bars of `rows` without writing anything.
fn warm_up<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    segments: &[Segment<'_, I>],
    rows: Range<usize>,
) {
    for_each_piece(segments, rows, |seg, a, b, _| {
        for i in a..b {
            if seg.is_valid_bar(i) {
                kernel.step(std::array::from_fn(|j| seg.columns[j].values.get(i)));
            }
        }
    });
}

/// Writes the kernel's outputs for `rows` into `out` (whose first slot is row `rows.start`); returns the kernel.
/// `helpers`: whether a pool thread may map ahead for a [`Kernel::MAPS_AHEAD`] kernel (its caller is not one part
/// of a parallel run).
// Invariant, not user data: the kernel is put back after every piece.
#[allow(clippy::expect_used)]
fn run_rows<K: Kernel<I, O>, T: OutValue, const I: usize, const O: usize>(
    kernel: K,
    segments: &[Segment<'_, I>],
    rows: Range<usize>,
    mut out: [&mut [MaybeUninit<T>]; O],
    nan_counts: &mut [usize; O],
    helpers: bool,
) -> K {
    let first = rows.start;
    let mut slot = Some(kernel);
    // Float32 columns widened, and Float32 outputs rounded, one block at a time in buffers that stay in the cache.
    let mut widened: [Vec<f64>; I] = std::array::from_fn(|_| Vec::new());
    let mut results: [Vec<f64>; O] = std::array::from_fn(|_| Vec::new());
    for_each_piece(segments, rows, |seg, a, b, row| {
        let all_f64 = T::F64 && seg.columns.iter().all(|c| matches!(c.values, Values::F64(_)));
        let block = if all_f64 { b - a } else { F32_BLOCK };
        let mut lo = a;
        while lo < b {
            let hi = (lo + block).min(b);
            let cols: [Column<'_>; I] = std::array::from_fn(|j| seg.columns[j].slice(lo, hi));
            for (col, buf) in cols.iter().zip(&mut widened) {
                if let Values::F32(v) = col.values {
                    buf.clear();
                    buf.extend(v.iter().map(|&x| f64::from(x)));
                }
            }
            let values: [&[f64]; I] = std::array::from_fn(|j| match cols[j].values {
                Values::F64(v) => v,
                Values::F32(_) => &widened[j][..],
            });
            let at = row + (lo - a) - first;
            let written = out.each_mut().map(|o| &mut o[at..at + (hi - lo)]);
            let kernel = slot.take().expect("the kernel is put back after every piece");
            slot = Some(T::fill_via_f64(written, &mut results, |slots| {
                feed_piece(kernel, nan_counts, &cols, values, slots, helpers)
            }));
            lo = hi;
        }
    });
    slot.expect("the kernel is put back after every piece")
}

/// Rows per block in which Float32 inputs are widened and outputs rounded: 128 KB per column, so that the widened
/// values and the results stay in the core's own cache between their pass and the kernel's.
const F32_BLOCK: usize = 1 << 14;

/// [`feed_rows_fast`] over one piece whose inputs are `values` (the widened values of `cols` where they are
/// Float32), with the validity bits of `cols`.
#[inline(always)]
fn feed_piece<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: K,
    nan_counts: &mut [usize; O],
    cols: &[Column<'_>; I],
    values: [&[f64]; I],
    written: [&mut [MaybeUninit<f64>]; O],
    helpers: bool,
) -> K {
    // Two copies of the loop, so the common case (no null bitmap) carries no validity test at all.
    if cols.iter().any(|c| c.validity.is_some()) {
        let valid = |i| cols.iter().all(|c| c.is_valid(i));
        let all_valid = |a, b| cols.iter().all(|c| c.all_valid(a, b));
        feed_rows_fast(kernel, nan_counts, values, written, valid, all_valid, helpers)
    } else {
        feed_rows_fast(kernel, nan_counts, values, written, |_| true, |_, _| true, helpers)
    }
}

/// Calls `f(segment, a, b, row)` for each segment's share `a..b` of `rows`, in order; `row` is the absolute row of
/// `a`.
fn for_each_piece<const I: usize>(
    segments: &[Segment<'_, I>],
    rows: Range<usize>,
    mut f: impl FnMut(&Segment<'_, I>, usize, usize, usize),
) {
    for seg in segments {
        let (lo, hi) = (rows.start.max(seg.start), rows.end.min(seg.start + seg.len()));
        if lo < hi {
            f(seg, lo - seg.start, hi - seg.start, lo);
        }
    }
}

/// [`feed_rows`] compiled for the processor's fused multiply-add when it has one, so the recursions' `mul_add`
/// (see [`super::blocks::mul_add`]) is one instruction instead of a library call.
#[inline(always)]
fn feed_rows_fast<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: K,
    counts: &mut [usize; O],
    values: [&[f64]; I],
    written: [&mut [MaybeUninit<f64>]; O],
    valid: impl Fn(usize) -> bool,
    all_valid: impl Fn(usize, usize) -> bool,
    helpers: bool,
) -> K {
    #[cfg(target_arch = "x86_64")]
    if super::blocks::has_fma() {
        // SAFETY: the processor supports FMA (checked just above).
        return unsafe { feed_rows_fma(kernel, counts, values, written, valid, all_valid, helpers) };
    }
    feed_rows(kernel, counts, values, written, valid, all_valid, helpers)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn feed_rows_fma<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: K,
    counts: &mut [usize; O],
    values: [&[f64]; I],
    written: [&mut [MaybeUninit<f64>]; O],
    valid: impl Fn(usize) -> bool,
    all_valid: impl Fn(usize, usize) -> bool,
    helpers: bool,
) -> K {
    feed_rows(kernel, counts, values, written, valid, all_valid, helpers)
}

/// The per-row loop: skip missing rows, step the kernel on the others, write every output. The kernel and the
/// counts are locals here (taken by value, handed back), so the compiler keeps a recursion's state in registers
/// instead of storing it to memory between bars, which would lengthen its dependency chain.
///
/// A kernel with a [`Kernel::run_dense`] of its own gets the rows in tiles of [`Kernel::TILE`]: a tile whose rows
/// are all valid bars (no null in the bitmaps, checked 64 rows at a time, and every value finite) goes to
/// `run_dense` whole; a tile with a missing bar goes through the per-row loop. A long run of a
/// [`Kernel::MAPS_AHEAD`] kernel has its tiles mapped ahead on a helper thread (with `helpers`; see
/// [`feed_tiles_mapped_ahead`]).
#[inline(always)]
fn feed_rows<K: Kernel<I, O>, const I: usize, const O: usize>(
    mut kernel: K,
    counts: &mut [usize; O],
    values: [&[f64]; I],
    mut written: [&mut [MaybeUninit<f64>]; O],
    valid: impl Fn(usize) -> bool,
    all_valid: impl Fn(usize, usize) -> bool,
    helpers: bool,
) -> K {
    let mut nan_counts = *counts;
    let len = values.first().map_or(0, |v| v.len());
    if !K::DENSE {
        feed_range(&mut kernel, &mut nan_counts, values, &mut written, &valid, 0..len);
    } else if K::MAPS_AHEAD && helpers && len >= MAP_AHEAD_MIN_ROWS && crate::worker_pool::threads() > 1 {
        feed_tiles_mapped_ahead(&mut kernel, &mut nan_counts, values, written, &valid, &all_valid);
    } else {
        let mut a = 0;
        while a < len {
            let b = (a + K::TILE).min(len);
            let tile = written.each_mut().map(|w| &mut w[a..b]);
            feed_tile(&mut kernel, &mut nan_counts, values, tile, &valid, &all_valid, a..b, None);
            a = b;
        }
    }
    *counts = nan_counts;
    kernel
}

/// Rows from which a [`Kernel::MAPS_AHEAD`] kernel's tiles are mapped on a helper thread: a quarter of a
/// million bars of AD take about half a millisecond, against some microseconds to start the helper.
const MAP_AHEAD_MIN_ROWS: usize = 1 << 18;

/// One tile of [`feed_rows`], rows `rows` (`out` holds their slots): whole to the kernel's dense loop when every
/// row is a valid bar, else row by row. `mapped`: `Some(finite)` when the first output already holds the map
/// (then the dense loop is [`Kernel::scan_mapped`]), with whether every input value of the tile is finite, which
/// the thread that mapped it checked.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn feed_tile<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    values: [&[f64]; I],
    mut out: [&mut [MaybeUninit<f64>]; O],
    valid: &impl Fn(usize) -> bool,
    all_valid: &impl Fn(usize, usize) -> bool,
    rows: Range<usize>,
    mapped: Option<bool>,
) {
    let (a, b) = (rows.start, rows.end);
    let dense = all_valid(a, b)
        && match mapped {
            Some(finite) => finite,
            None => values.iter().all(|v| all_finite(&v[a..b])),
        };
    if !dense {
        feed_range(kernel, nan_counts, values, &mut out, valid, rows);
        return;
    }
    let tile = values.map(|v| &v[a..b]);
    if mapped.is_some() {
        kernel.scan_mapped(tile, out.each_mut().map(|o| &mut o[..]));
    } else {
        kernel.run_dense(tile, out.each_mut().map(|o| &mut o[..]));
    }
    for (count, slots) in nan_counts.iter_mut().zip(out) {
        // SAFETY: the dense loop wrote every slot of the tile (its contract).
        *count += count_nan(unsafe { assume_written(slots) });
    }
}

/// [`feed_rows`]' tiles for a [`Kernel::MAPS_AHEAD`] kernel, with a pool thread mapping tiles in order while
/// this thread scans them. Each tile's slots sit behind a lock, with whether they hold the map yet. The helper
/// skips a tile that is locked (this thread is at it) or mapped; this thread maps a tile the helper has not
/// reached. So the scan never waits for a helper that has not started (or has failed: a poisoned lock still
/// hands over the slots, and a tile half-mapped is mapped again), and the bits are those of `run_dense`.
#[inline(always)]
fn feed_tiles_mapped_ahead<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    values: [&[f64]; I],
    written: [&mut [MaybeUninit<f64>]; O],
    valid: &impl Fn(usize) -> bool,
    all_valid: &impl Fn(usize, usize) -> bool,
) {
    let len = values.first().map_or(0, |v| v.len());
    let mut tiles = Vec::with_capacity(len.div_ceil(K::TILE));
    let mut rest = written;
    let mut a = 0;
    while a < len {
        let b = (a + K::TILE).min(len);
        let slots = std::array::from_fn(|j| {
            let (head, tail) = std::mem::take(&mut rest[j]).split_at_mut(b - a);
            rest[j] = tail;
            head
        });
        tiles.push(Mutex::new(MappedTile { slots, rows: a..b, mapped: None }));
        a = b;
    }
    let tiles = &tiles[..];
    // Each loop runs in a closure, which does not inherit `feed_rows_fma`'s target features: it calls a function
    // compiled with them.
    crate::worker_pool::beside(
        || {
            #[cfg(target_arch = "x86_64")]
            if super::blocks::has_fma() {
                // SAFETY: the processor supports FMA (checked just above).
                return unsafe { map_tiles_ahead_fma::<K, I, O>(tiles, values) };
            }
            map_tiles_ahead::<K, I, O>(tiles, values)
        },
        || {
            #[cfg(target_arch = "x86_64")]
            if super::blocks::has_fma() {
                // SAFETY: the processor supports FMA (checked just above).
                return unsafe { scan_tiles_fma(kernel, nan_counts, tiles, values, valid, all_valid) };
            }
            scan_tiles(kernel, nan_counts, tiles, values, valid, all_valid)
        },
    );
}

/// A tile's output slots in [`feed_tiles_mapped_ahead`] and its rows; once the first output holds its map,
/// `mapped` says whether every input value of the tile is finite (checked by the mapping thread, which reads
/// them anyway: the scanning thread then reads none).
struct MappedTile<'a, const O: usize> {
    slots: [&'a mut [MaybeUninit<f64>]; O],
    rows: Range<usize>,
    mapped: Option<bool>,
}

impl<const O: usize> MappedTile<'_, O> {
    /// Maps the tile unless that is done; returns whether its inputs are all finite.
    #[inline(always)]
    fn map<K: Kernel<I, O>, const I: usize>(&mut self, values: [&[f64]; I]) -> bool {
        // Not `get_or_insert_with`: its closure would be compiled apart, without the caller's target features.
        if let Some(finite) = self.mapped {
            return finite;
        }
        let tile = values.map(|v| &v[self.rows.clone()]);
        K::map_dense(tile, &mut self.slots[0][..]);
        let finite = tile.iter().all(|v| all_finite(v));
        self.mapped = Some(finite);
        finite
    }
}

/// The helper's loop of [`feed_tiles_mapped_ahead`]: maps the tiles in order, skipping those held or mapped.
#[inline(always)]
fn map_tiles_ahead<K: Kernel<I, O>, const I: usize, const O: usize>(
    tiles: &[Mutex<MappedTile<'_, O>>],
    values: [&[f64]; I],
) {
    for tile in tiles {
        if let Ok(mut tile) = tile.try_lock() {
            tile.map::<K, I>(values);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn map_tiles_ahead_fma<K: Kernel<I, O>, const I: usize, const O: usize>(
    tiles: &[Mutex<MappedTile<'_, O>>],
    values: [&[f64]; I],
) {
    map_tiles_ahead::<K, I, O>(tiles, values)
}

/// The calling thread's loop of [`feed_tiles_mapped_ahead`]: each tile in order, mapped here if the helper has
/// not, then scanned. While the helper holds the next tile (the map, which reads every input, is the slower
/// pass), this thread maps a later tile instead of waiting.
#[inline(always)]
fn scan_tiles<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    tiles: &[Mutex<MappedTile<'_, O>>],
    values: [&[f64]; I],
    valid: &impl Fn(usize) -> bool,
    all_valid: &impl Fn(usize, usize) -> bool,
) {
    // Tiles before `ahead` are mapped or held by the helper.
    let mut ahead = 0;
    for (t, tile) in tiles.iter().enumerate() {
        let mut tile = loop {
            match tile.try_lock() {
                Ok(tile) => break tile,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
            // A plain loop, not an iterator adaptor: a closure would be compiled apart, without the target
            // features of this function, and the map inside it with them.
            ahead = ahead.max(t + 1);
            let mut mapped_one = false;
            while ahead < tiles.len() && !mapped_one {
                if let Ok(mut later) = tiles[ahead].try_lock() {
                    mapped_one = later.mapped.is_none();
                    later.map::<K, I>(values);
                }
                ahead += 1;
            }
            if !mapped_one {
                break tile.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        #[cfg(test)]
        if tile.mapped.is_some() {
            tests::MAPPED_BY_HELPER.with(|n| n.set(n.get() + 1));
        }
        // A helper that failed inside `map_dense` left `mapped` unset: the tile is mapped again here.
        let finite = tile.map::<K, I>(values);
        let rows = tile.rows.clone();
        let out = tile.slots.each_mut().map(|s| &mut s[..]);
        feed_tile(kernel, nan_counts, values, out, valid, all_valid, rows, Some(finite));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn scan_tiles_fma<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    tiles: &[Mutex<MappedTile<'_, O>>],
    values: [&[f64]; I],
    valid: &impl Fn(usize) -> bool,
    all_valid: &impl Fn(usize, usize) -> bool,
) {
    scan_tiles(kernel, nan_counts, tiles, values, valid, all_valid)
}

/// [`feed_rows`]' per-row loop over `rows`; `written` holds their slots (its first is row `rows.start`).
#[inline(always)]
fn feed_range<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    values: [&[f64]; I],
    written: &mut [&mut [MaybeUninit<f64>]; O],
    valid: &impl Fn(usize) -> bool,
    rows: Range<usize>,
) {
    let first = rows.start;
    for i in rows {
        let x: [f64; I] = std::array::from_fn(|j| values[j][i]);
        // Folded with `|` rather than `any`, so the check compiles branch-free.
        let nan = x.iter().fold(false, |acc, &v| acc | is_missing_value(v));
        let y = if nan || !valid(i) { [f64::NAN; O] } else { kernel.step(x) };
        for j in 0..O {
            written[j][i - first].write(y[j]);
            nan_counts[j] += y[j].is_nan() as usize;
        }
    }
}

/// Whether no value is a missing bar, without a branch per value (so it vectorises).
#[inline(always)]
fn all_finite(xs: &[f64]) -> bool {
    xs.chunks(64).fold(true, |ok, c| ok & c.iter().fold(true, |t, v| t & !is_missing_value(*v)))
}

#[inline(always)]
fn count_nan(xs: &[f64]) -> usize {
    xs.chunks(64).map(|c| c.iter().fold(0usize, |n, v| n + v.is_nan() as usize)).sum()
}

/// Run a kernel over plain slices in which NaN (or an infinity) marks a missing bar; returns the outputs with NaN for no value.
pub fn run_slices<K: Kernel<I, O>, const I: usize, const O: usize>(kernel: K, inputs: [&[f64]; I]) -> [Vec<f64>; O] {
    run_slices_split(kernel, inputs, Split::DEFAULT)
}

/// [`run_slices`] with an explicit [`Split`].
pub fn run_slices_split<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: K,
    inputs: [&[f64]; I],
    split: Split,
) -> [Vec<f64>; O] {
    let len = inputs.first().map_or(0, |c| c.len());
    let segment = Segment { start: 0, columns: inputs.map(Column::dense) };
    drive(kernel, &[segment], len, split).map(|(values, _)| values)
}

#[cfg(test)]
mod tests;
