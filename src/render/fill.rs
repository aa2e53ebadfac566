//! Antialiased polygon fills for the CPU backend.
//!
//! Coverage is the exact area of each pixel inside the polygon, found by accumulating, per edge and pixel row, the
//! change in covered area from one pixel to the next; a running sum along the row then gives each pixel's coverage.
//! The winding is nonzero for the shapes a chart draws (a band whose two lines cross winds -1 between them, and is
//! filled all the same). tiny-skia fills by 4x vertical supersampling over the path's whole bounds, which made a
//! `fill_between` band the largest draw cost of an annotated chart; this touches each crossed cell once per edge
//! and reads the rest in one pass per row.

use super::backend::is_finite_point;

/// The accumulation buffer holds at most this many cells: a polygon over a large image is filled in strips of rows.
const STRIP_CELLS: usize = 1 << 16;

/// Cells hold area in fixed point, `ONE` for a whole pixel: an integer running sum has no float add's latency
/// chain, and the rounding (half a unit per cell) stays far below a coverage step (`ONE / 255`).
const SHIFT: u32 = 20;
const ONE: i64 = 1 << SHIFT;

/// Fills the polygon through `points` (closed back to the first) on an image of `image_width` x `image_height`,
/// handing each row's covered run to `span` once: the image index of its first pixel and the coverage (0..=255)
/// of it and the pixels after it. A polygon with a non-finite point, or fewer than three points, draws nothing.
pub fn fill(image_width: u32, image_height: u32, points: &[(f32, f32)], span: impl FnMut(usize, &[u8])) {
    fill_rows(image_width, image_height, 0..image_height, points, span);
}

/// [`fill`] for the image rows in `drawn` only, with the coverage the whole fill gives them: the polygon is cut
/// into the same strips of rows as in [`fill`] (from its bounds in the whole image), the strips outside `drawn` are
/// skipped and only rows inside hand on their spans. The tiled renderer draws a strip of rows at a time with it.
pub fn fill_rows(
    image_width: u32,
    image_height: u32,
    drawn: std::ops::Range<u32>,
    points: &[(f32, f32)],
    mut span: impl FnMut(usize, &[u8]),
) {
    if points.len() < 3 || !points.iter().all(is_finite_point) {
        return;
    }
    let (x0, x1, y0, y1) = points
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY), |(x0, x1, y0, y1), p| {
            (x0.min(p.0), x1.max(p.0), y0.min(p.1), y1.max(p.1))
        });
    let left = (x0.floor() as f64).max(0.0);
    let right = (x1.ceil() as f64).min(image_width as f64);
    let top = (y0.floor() as f64).max(0.0);
    let bottom = (y1.ceil() as f64).min(image_height as f64);
    if left >= right || top >= bottom {
        return;
    }
    let (left, top) = (left as usize, top as usize);
    let (cols, rows) = (right as usize - left, bottom as usize - top);
    // Two spare cells per row: an edge at the right bound spills into them, and they are never read.
    let stride = cols + 2;
    let strip_rows = (STRIP_CELLS / stride).clamp(1, rows);
    let mut acc = vec![0i32; stride * strip_rows];
    // Every cell range an edge changed, as (row, first, last): grouped by row and sorted, they give each row's
    // cells to sum, and between them the sum is constant, so the bounding box's empty stretches are never read.
    let mut ranges: Vec<(u32, u32, u32)> = Vec::new();
    let mut by_row: Vec<(u32, u32)> = Vec::new();
    let mut row_ends = vec![0u32; strip_rows + 1];
    let mut coverage = vec![0u8; cols];
    let edges: Vec<((f64, f64), (f64, f64))> = (0..points.len())
        .map(|i| {
            let local = |p: (f32, f32)| (p.0 as f64 - left as f64, p.1 as f64 - top as f64);
            (local(points[i]), local(points[(i + 1) % points.len()]))
        })
        .collect();
    let level = |sum: i64| ((sum.abs().min(ONE) * 255 + ONE / 2) >> SHIFT) as u8;
    let mut strip_top = 0;
    // The drawn rows, counted from the polygon's top.
    let shown = (drawn.start as usize).saturating_sub(top)..(drawn.end as usize).saturating_sub(top);
    while strip_top < rows {
        let height = strip_rows.min(rows - strip_top);
        if strip_top + height <= shown.start || strip_top >= shown.end {
            strip_top += height;
            continue;
        }
        let strip = Strip { stride, cols: cols as f64, top: strip_top as f64, height };
        // An edge a row or more away from the strip adds nothing to it (the margin covers rounding).
        let (above, below) = (strip.top - 1.0, strip.top + height as f64 + 1.0);
        for &(a, b) in &edges {
            if a.1.max(b.1) >= above && a.1.min(b.1) <= below {
                add_edge(&mut acc, &mut ranges, strip, a, b);
            }
        }
        group_by_row(&ranges, &mut row_ends[..=height], &mut by_row);
        for row in 0..height {
            let row_ranges = &mut by_row[row_ends[row] as usize..row_ends[row + 1] as usize];
            if row_ranges.is_empty() {
                continue;
            }
            // A row has a few ranges (two per edge crossing it): an insertion sort's size.
            row_ranges.sort_unstable();
            let cells = &mut acc[row * stride..(row + 1) * stride];
            let row_start = (top + strip_top + row) * image_width as usize + left;
            let emit = shown.contains(&(strip_top + row));
            let mut run = Run { start: None, row_start, emit, coverage: &mut coverage, span: &mut span };
            let (mut sum, mut next) = (0i64, 0usize);
            let mut k = 0;
            while k < row_ranges.len() {
                let (first, mut last) = (row_ranges[k].0 as usize, row_ranges[k].1 as usize);
                k += 1;
                while k < row_ranges.len() && row_ranges[k].0 as usize <= last + 1 {
                    last = last.max(row_ranges[k].1 as usize);
                    k += 1;
                }
                run.constant(next, first.min(cols), level(sum));
                for (j, cell) in cells.iter_mut().enumerate().take(last + 1).skip(first) {
                    sum += *cell as i64;
                    *cell = 0;
                    if j < cols {
                        run.pixel(j, level(sum));
                    }
                }
                next = last + 1;
            }
            run.constant(next.min(cols), cols, level(sum));
            run.close(cols);
        }
        ranges.clear();
        strip_top += height;
    }
}

/// `ranges` as (first, last) pairs in `out`, grouped by row (a counting sort: the rows are few and known), with
/// row r's pairs at `out[ends[r]..ends[r + 1]]`.
fn group_by_row(ranges: &[(u32, u32, u32)], ends: &mut [u32], out: &mut Vec<(u32, u32)>) {
    ends.fill(0);
    for r in ranges {
        ends[r.0 as usize + 1] += 1;
    }
    for i in 1..ends.len() {
        ends[i] += ends[i - 1];
    }
    out.clear();
    out.resize(ranges.len(), (0, 0));
    // `ends[r]` is row r's start; placing its pairs moves it to the row's end, which is row r + 1's start.
    for r in ranges {
        let slot = &mut ends[r.0 as usize];
        out[*slot as usize] = (r.1, r.2);
        *slot += 1;
    }
    ends.copy_within(..ends.len() - 1, 1);
    ends[0] = 0;
}

/// One row's output: consecutive covered pixels gathered into one span, handed on when a pixel is empty.
struct Run<'a, F: FnMut(usize, &[u8])> {
    start: Option<usize>,
    row_start: usize,
    /// Whether the row is drawn (a row outside the drawn ones is still summed, which clears its cells).
    emit: bool,
    coverage: &'a mut [u8],
    span: &'a mut F,
}

impl<F: FnMut(usize, &[u8])> Run<'_, F> {
    fn pixel(&mut self, col: usize, level: u8) {
        if level == 0 {
            self.close(col);
        } else {
            self.start.get_or_insert(col);
            self.coverage[col] = level;
        }
    }

    /// Pixels `from..to` share one coverage (no edge crosses them).
    fn constant(&mut self, from: usize, to: usize, level: u8) {
        if from >= to {
            return;
        }
        if level == 0 {
            self.close(from);
        } else {
            self.start.get_or_insert(from);
            self.coverage[from..to].fill(level);
        }
    }

    /// Ends the open span just before `col`.
    fn close(&mut self, col: usize) {
        if let Some(start) = self.start.take().filter(|_| self.emit) {
            (self.span)(self.row_start + start, &self.coverage[start..col]);
        }
    }
}

/// A strip of the polygon's rows: the cells' row stride, the polygon's width in pixels, the strip's first row
/// (relative to the polygon's top) and its number of rows.
#[derive(Clone, Copy)]
struct Strip {
    stride: usize,
    cols: f64,
    top: f64,
    height: usize,
}

/// Adds the edge `a -> b` (in the polygon's local pixels) to the rows of `strip`.
/// The parts left of 0 or right of `cols` are moved onto those bounds (vertical there): everything right of an
/// edge is covered by it, so the pixels inside see the same sums.
fn add_edge(acc: &mut [i32], ranges: &mut Vec<(u32, u32, u32)>, strip: Strip, a: (f64, f64), b: (f64, f64)) {
    let cols = strip.cols;
    if a.1 == b.1 {
        return;
    }
    // Split where the edge crosses x = 0 or x = cols, so each piece lies on one side and clamps exactly.
    let mut cuts = [0.0, 1.0, 1.0, 1.0];
    let mut n = 1;
    for bound in [0.0, cols] {
        let t = (bound - a.0) / (b.0 - a.0);
        if t > 0.0 && t < 1.0 {
            cuts[n] = t;
            n += 1;
        }
    }
    cuts[1..n].sort_by(f64::total_cmp);
    cuts[n] = 1.0;
    let at = |t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    for w in cuts[..=n].windows(2) {
        let (p, q) = (at(w[0]), at(w[1]));
        let clamp = |v: (f64, f64)| (v.0.clamp(0.0, cols), v.1 - strip.top);
        add_piece(acc, ranges, strip, clamp(p), clamp(q));
    }
}

/// One piece of an edge, within 0..=cols across, in rows relative to the strip.
fn add_piece(acc: &mut [i32], ranges: &mut Vec<(u32, u32, u32)>, strip: Strip, p: (f64, f64), q: (f64, f64)) {
    let (stride, height) = (strip.stride, strip.height);
    let (dir, p, q) = if p.1 < q.1 { (1.0, p, q) } else { (-1.0, q, p) };
    let (y_start, y_end) = (p.1.max(0.0), q.1.min(height as f64));
    if y_start >= y_end {
        return;
    }
    let dxdy = (q.0 - p.0) / (q.1 - p.1);
    let mut x = p.0 + (y_start - p.1) * dxdy;
    let mut y = y_start;
    for row in y_start as usize..ceil(y_end).min(height) {
        let y_next = ((row + 1) as f64).min(y_end);
        let x_next = (x + (y_next - y) * dxdy).clamp(p.0.min(q.0), p.0.max(q.0));
        let (first, last) = add_crossing(&mut acc[row * stride..(row + 1) * stride], x, x_next, dir * (y_next - y));
        ranges.push((row as u32, first as u32, last as u32));
        (x, y) = (x_next, y_next);
    }
}

/// A line crossing one pixel row from `xa` to `xb`, `d` of the row high (signed by direction). A pixel's share is
/// the area of it right of the line: with `h(x)` the integral of the covered height left of `x`, pixel j covers
/// `h(j + 1) - h(j)`, and the cell holds that minus its left neighbour's, a second difference of `h`. Returns the
/// first and last cell it changed.
fn add_crossing(cells: &mut [i32], xa: f64, xb: f64, d: f64) -> (usize, usize) {
    let (l, r) = (xa.min(xb), xa.max(xb));
    let d = d * ONE as f64;
    let h = |x: f64| {
        if x <= l {
            0.0
        } else if x >= r {
            d * (x - 0.5 * (l + r))
        } else {
            d * (x - l) * (x - l) / (2.0 * (r - l))
        }
    };
    let first = l as usize;
    let last = ceil(r).max(first + 1).min(cells.len() - 1);
    let (mut before, mut here) = (h(first as f64 - 1.0), h(first as f64));
    for (j, cell) in cells.iter_mut().enumerate().take(last + 1).skip(first) {
        let after = h(j as f64 + 1.0);
        // Wrapping: only thousands of edges through one pixel could overflow, and that pixel is a blot anyway.
        let change = after - 2.0 * here + before;
        *cell = cell.wrapping_add((change + 0.5f64.copysign(change)) as i32);
        (before, here) = (here, after);
    }
    (first, last)
}

/// The ceiling of a non-negative `v` as an index. `f64::ceil`, `floor` and `round` are calls into libm on the
/// x86-64 baseline (no SSE4.1 rounding instruction), a tenth of the time spent here; casts truncate in one.
/// (`v as usize` is the floor of a non-negative `v`, and `(v + 0.5 * sign) as i32` rounds half away from zero.)
#[inline]
fn ceil(v: f64) -> usize {
    let whole = v as usize;
    whole + ((whole as f64) < v) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(w: u32, h: u32, points: &[(f32, f32)]) -> Vec<u8> {
        let mut out = vec![0u8; (w * h) as usize];
        let mut seen = vec![false; (w * h) as usize];
        fill(w, h, points, |start, coverage| {
            assert_eq!(start / w as usize, (start + coverage.len() - 1) / w as usize, "a span leaves its row");
            for (i, &c) in coverage.iter().enumerate() {
                assert!(!seen[start + i], "pixel {} blended twice", start + i);
                seen[start + i] = true;
                out[start + i] = c;
            }
        });
        out
    }

    fn total(cov: &[u8]) -> f64 {
        cov.iter().map(|&c| c as f64 / 255.0).sum()
    }

    #[test]
    fn an_axis_aligned_rectangle_fills_whole_pixels_and_fractions_at_its_edges() {
        let cov = filled(10, 10, &[(2.0, 3.0), (7.0, 3.0), (7.0, 6.0), (2.0, 6.0)]);
        for y in 0..10 {
            for x in 0..10 {
                let inside = (2..7).contains(&x) && (3..6).contains(&y);
                assert_eq!(cov[y * 10 + x], if inside { 255 } else { 0 }, "pixel ({x}, {y})");
            }
        }
        let half = filled(10, 10, &[(2.5, 3.0), (7.0, 3.0), (7.0, 6.0), (2.5, 6.0)]);
        assert_eq!(half[4 * 10 + 2], 128);
        assert_eq!(half[4 * 10 + 3], 255);
    }

    #[test]
    fn coverage_sums_to_the_polygon_area_whatever_its_winding() {
        let triangle = [(1.3, 1.1), (17.6, 4.2), (6.2, 13.7)];
        let area: f64 = 0.5 * ((17.6 - 1.3) * (13.7 - 1.1) - (6.2 - 1.3) * (4.2 - 1.1));
        let mut reversed = triangle;
        reversed.reverse();
        for pts in [&triangle[..], &reversed[..]] {
            let got = total(&filled(20, 16, pts));
            assert!((got - area).abs() < 0.05 * 20.0 * 16.0 / 255.0 + 0.05, "{got} vs {area}");
        }
        assert_eq!(filled(20, 16, &triangle), filled(20, 16, &reversed));
    }

    #[test]
    fn a_band_whose_lines_cross_is_filled_on_both_sides_of_the_crossing() {
        // Upper line from y 2 to 8, lower from 8 to 2: a bow tie that winds +1 on the left and -1 on the right.
        let cov = filled(12, 10, &[(1.0, 2.0), (11.0, 8.0), (11.0, 2.0), (1.0, 8.0)]);
        assert_eq!(cov[5 * 12 + 2], 255);
        assert_eq!(cov[5 * 12 + 9], 255);
        assert_eq!(cov[2 * 12 + 6], 0);
    }

    #[test]
    fn parts_outside_the_image_are_clipped_and_the_inside_is_still_covered() {
        let cov = filled(10, 10, &[(-50.0, -40.0), (60.0, -40.0), (60.0, 70.0), (-50.0, 70.0)]);
        assert!(cov.iter().all(|&c| c == 255));
        // A triangle whose left half is off the image: the columns inside match the same triangle drawn wider.
        let shifted = filled(10, 10, &[(-5.0, 0.0), (5.0, 5.0), (-5.0, 10.0)]);
        let wide = filled(20, 10, &[(5.0, 0.0), (15.0, 5.0), (5.0, 10.0)]);
        for y in 0..10 {
            for x in 0..10 {
                let (a, b) = (shifted[y * 10 + x] as i32, wide[y * 20 + x + 10] as i32);
                assert!((a - b).abs() <= 1, "pixel ({x}, {y}): {a} vs {b}");
            }
        }
        assert!(filled(10, 10, &[(20.0, 0.0), (30.0, 5.0), (20.0, 10.0)]).iter().all(|&c| c == 0));
    }

    #[test]
    fn a_polygon_taller_than_one_strip_is_filled_the_same_in_every_strip() {
        let (w, h) = (4000u32, 600u32);
        let cov = filled(w, h, &[(10.5, 0.0), (3990.5, 0.0), (3990.5, 600.0), (10.5, 600.0)]);
        assert!(STRIP_CELLS / (w as usize + 2) < h as usize, "the test needs several strips");
        for y in [0, 261, 262, 263, 599] {
            let row = &cov[y * w as usize..(y + 1) * w as usize];
            assert_eq!((row[10], row[11], row[3990], row[3991]), (128, 255, 128, 0), "row {y}");
        }
    }

    #[test]
    fn degenerate_and_non_finite_polygons_draw_nothing() {
        assert!(filled(10, 10, &[(1.0, 1.0), (8.0, 8.0)]).iter().all(|&c| c == 0));
        assert!(filled(10, 10, &[(1.0, 1.0), (8.0, 1.0), (4.0, 1.0)]).iter().all(|&c| c == 0));
        assert!(filled(10, 10, &[(1.0, 1.0), (8.0, f32::NAN), (4.0, 6.0)]).iter().all(|&c| c == 0));
        assert!(filled(10, 10, &[(1.0, 1.0), (f32::INFINITY, 1.0), (4.0, 6.0)]).iter().all(|&c| c == 0));
        filled(10, 10, &[(-1e30, -1e30), (1e30, 3.0), (2.0, 1e30)]);
    }

    #[test]
    fn rows_filled_alone_get_the_coverage_of_the_whole_fill() {
        let (w, h) = (3000u32, 300u32);
        // A wavy band over several strips of the filler, and a triangle with a point far outside the image.
        let wave: Vec<(f32, f32)> =
            (0..=300).map(|i| (i as f32 * 9.7 + 5.3, 120.0 + (i as f32 * 0.37).sin() * 90.3)).collect();
        let band: Vec<(f32, f32)> = wave.iter().copied().chain(wave.iter().rev().map(|p| (p.0, p.1 + 40.25))).collect();
        for points in [band, vec![(7.5, -1e6), (2900.2, 150.7), (40.0, 299.5)]] {
            let whole = filled(w, h, &points);
            for rows in [0..1, 0..68, 67..135, 131..132, 250..300, 299..300, 280..400] {
                let mut part = vec![0u8; (w * h) as usize];
                fill_rows(w, h, rows.clone(), &points, |start, c| part[start..start + c.len()].copy_from_slice(c));
                let (a, b) = (rows.start as usize * w as usize, rows.end.min(h) as usize * w as usize);
                assert!(part[a..b] == whole[a..b], "rows {rows:?}");
                assert!(part[..a].iter().chain(&part[b..]).all(|&c| c == 0), "rows {rows:?}: drawn outside them");
            }
        }
    }
}
