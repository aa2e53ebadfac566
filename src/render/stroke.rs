//! Antialiased polyline strokes for the CPU backend.
//!
//! A pixel's coverage is the box-filtered distance from its centre to the nearest segment: round joins, butt caps
//! at the two ends of each unbroken run. Coverage is kept as the maximum over the segments in a buffer, so the
//! overlap at a join is blended once (a translucent line shows no beads), and is then composited span by span.
//! tiny-skia strokes by building the outline as a path and filling it, which made the 500-point lines of an
//! indicator panel the largest draw cost of a chart; this visits only the pixels within reach of the line.

use super::backend::is_finite_point;

/// Widths above this are left to the general path stroker.
pub const MAX_WIDTH: f32 = 256.0;

/// Strokes `points` at `width` pixels onto an image of `image_width` x `image_height`, handing each covered pixel
/// (its index in the image, coverage 1..=255) to `blend` once. Non-finite points break the line (each run gets its
/// caps); repeated points are dropped (a zero-length segment has no direction). A width outside (0, `MAX_WIDTH`]
/// draws nothing: the caller picks another stroker for those.
pub fn stroke(image_width: u32, image_height: u32, points: &[(f32, f32)], width: f32, blend: impl FnMut(usize, u8)) {
    stroke_rows(image_width, image_height, 0..image_height, points, width, blend);
}

/// [`stroke`] for the image rows in `rows` only: the same coverage, pixel for pixel, as the whole stroke has
/// there (every coordinate is taken relative to the line's reach in the whole image, as in [`stroke`]), and
/// nothing is computed for the rows outside. The tiled renderer draws a strip of rows at a time with it.
pub fn stroke_rows(
    image_width: u32,
    image_height: u32,
    rows: std::ops::Range<u32>,
    points: &[(f32, f32)],
    width: f32,
    mut blend: impl FnMut(usize, u8),
) {
    if !(width > 0.0 && width <= MAX_WIDTH) {
        return;
    }
    let half = width * 0.5;
    let finite = |p: &&(f32, f32)| is_finite_point(p);
    // The buffer covers the line's reach within the image, not the image: a short dash allocates a few bytes.
    let (x0, x1, y0, y1) = points
        .iter()
        .filter(finite)
        .fold((f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY), |(x0, x1, y0, y1), p| {
            (x0.min(p.0), x1.max(p.0), y0.min(p.1), y1.max(p.1))
        });
    let reach = half + 1.0;
    let (left, right) = ((x0 - reach).floor().max(0.0), (x1 + reach).ceil().min(image_width as f32));
    let (top, bottom) = ((y0 - reach).floor().max(0.0), (y1 + reach).ceil().min(image_height as f32));
    if !(left < right && top < bottom) {
        return;
    }
    let (width, height) = ((right - left) as usize, (bottom - top) as usize);
    // The rows of the reach that are drawn, counted from its top.
    let first = (rows.start as usize).saturating_sub(top as usize).min(height);
    let last = (rows.end as usize).saturating_sub(top as usize).min(height);
    if first >= last {
        return;
    }
    let mut cov = Coverage { width, height, first, last, cells: vec![0; width * (last - first)], runs: Vec::new() };
    let local = |p: &(f32, f32)| (p.0 - left, p.1 - top);
    for run in points.split(|p| !finite(&p)) {
        let mut kept: Vec<(f32, f32)> = Vec::with_capacity(run.len());
        for p in run.iter().map(local) {
            match kept.as_slice() {
                [.., q] if *q == p => continue,
                // A run of points along one row or column (a level line, a step) is one segment.
                [.., o, q] if straight_on(*o, *q, p) => *kept.last_mut().expect("two points") = p,
                _ => kept.push(p),
            }
        }
        let last = kept.len().saturating_sub(2);
        // A segment whose reach misses the drawn rows by a row or more draws nothing there (the margin covers
        // rounding): skipped before its arithmetic.
        let (above, below) = (cov.first as f32 - reach - 1.0, cov.last as f32 + reach + 1.0);
        for (i, pair) in kept.windows(2).enumerate() {
            if pair[0].1.max(pair[1].1) >= above && pair[0].1.min(pair[1].1) <= below {
                cov.segment(pair[0], pair[1], half, i == 0, i == last);
            }
        }
    }
    // Runs may overlap (neighbouring segments): a cell is cleared as it is blended, so it is blended once.
    let (left, top, stride) = (left as usize, top as usize, image_width as usize);
    for (y, first, last) in cov.runs {
        let row = (y as usize - cov.first) * width;
        let image_row = (y as usize + top) * stride + left;
        for x in first as usize..last as usize {
            let c = std::mem::take(&mut cov.cells[row + x]);
            if c != 0 {
                blend(image_row + x, c);
            }
        }
    }
}

/// Whether `p` continues the segment `o`-`q` straight on along a row or a column.
fn straight_on(o: (f32, f32), q: (f32, f32), p: (f32, f32)) -> bool {
    let forward = |a: f32, b: f32, c: f32| (a < b && b < c) || (a > b && b > c);
    (o.1 == q.1 && q.1 == p.1 && forward(o.0, q.0, p.0)) || (o.0 == q.0 && q.0 == p.0 && forward(o.1, q.1, p.1))
}

/// Coverage of a region of the image, zero outside the runs being drawn.
struct Coverage {
    width: usize,
    height: usize,
    /// The rows `first..last` are drawn; `cells` holds those rows only.
    first: usize,
    last: usize,
    cells: Vec<u8>,
    /// The runs of cells written, as (row, first column, one past the last). Per segment and row rather than one
    /// span per row: a wavy line crosses a row many times across the width, and a span from its first crossing to
    /// its last would make the final pass scan the whole plot.
    runs: Vec<(u32, u32, u32)>,
}

impl Coverage {
    /// One segment from `a` to `b` with half-width `half`; `cap_a` / `cap_b` end it flat at that point (the ends
    /// of a run), otherwise it is rounded there so that consecutive segments join.
    fn segment(&mut self, a: (f32, f32), b: (f32, f32), half: f32, cap_a: bool, cap_b: bool) {
        // Pixel centres farther than `reach` from the segment get nothing.
        let reach = half + 0.5;
        let (w, h) = (self.width as f32, self.height as f32);
        // Far-away ends are first brought to the image's neighbourhood: the coverage arithmetic is in f32.
        let Some((a, b)) = clip(a, b, -reach - 1.0, w + reach + 1.0, -reach - 1.0, h + reach + 1.0) else { return };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if !(len > 0.0 && len.is_finite()) {
            return;
        }
        let (ux, uy) = (dx / len, dy / len);
        // Along the segment: where the distance is measured to the line (past a round end it is to the end point),
        // and where flat ends cut it.
        let (round_from, flat_from) = if cap_a { (f32::NEG_INFINITY, 0.0) } else { (0.0, f32::NEG_INFINITY) };
        let (round_to, flat_to) = if cap_b { (f32::INFINITY, len) } else { (len, f32::INFINITY) };
        let y0 = (a.1.min(b.1) - reach).floor().max(self.first as f32);
        let y1 = (a.1.max(b.1) + reach).ceil().min(self.last as f32);
        let x_lo = (a.0.min(b.0) - reach).floor().max(0.0);
        let x_hi = (a.0.max(b.0) + reach).ceil().min(w);
        if !(y0 < y1 && x_lo < x_hi) {
            return;
        }
        // In a row, the pixels within `reach` of the infinite line lie within `slab` of where the line crosses it.
        let slab = if uy.abs() > 1e-6 { reach / uy.abs() } else { f32::INFINITY };
        for py in y0 as usize..y1 as usize {
            let cy = py as f32 + 0.5;
            let (mut c0, mut c1) = (x_lo, x_hi);
            if slab.is_finite() {
                let cross = a.0 + (cy - a.1) * ux / uy;
                c0 = c0.max((cross - slab - 0.5).floor());
                c1 = c1.min((cross + slab + 0.5).ceil());
            }
            // An empty span, or a NaN bound, has nothing to draw.
            if c0.partial_cmp(&c1) != Some(std::cmp::Ordering::Less) {
                continue;
            }
            let (c0, c1) = (c0 as usize, c1 as usize);
            let qy = cy - a.1;
            let row = (py - self.first) * self.width;
            // Branch-free per pixel, so the row vectorises: the distance runs past an end only where that end is
            // round, and a flat end fades the coverage over the half pixel around it.
            for (px, cell) in (c0..c1).zip(&mut self.cells[row + c0..row + c1]) {
                let qx = px as f32 + 0.5 - a.0;
                let along = qx * ux + qy * uy;
                let across = qx * uy - qy * ux;
                let over = along - along.clamp(round_from, round_to);
                let distance = (over * over + across * across).sqrt();
                let ends = (along - flat_from + 0.5).clamp(0.0, 1.0) * (flat_to - along + 0.5).clamp(0.0, 1.0);
                let c = (box_coverage(distance, half) * ends * 255.0 + 0.5) as u8;
                *cell = (*cell).max(c);
            }
            self.runs.push((py as u32, c0 as u32, c1 as u32));
        }
    }
}

/// The part of segment `a`-`b` inside the box `[x0, x1] x [y0, y1]`, or None when it misses the box. Each end
/// outside a side is moved onto it along the segment, in f64 and from the ends themselves, so that a line with ends
/// at 1e30 keeps its slope (and a horizontal one its row exactly).
fn clip(a: (f32, f32), b: (f32, f32), x0: f32, x1: f32, y0: f32, y1: f32) -> Option<((f32, f32), (f32, f32))> {
    let (mut a, mut b) = ((a.0 as f64, a.1 as f64), (b.0 as f64, b.1 as f64));
    // (axis, bound, whether the inside is above the bound)
    let sides = [(0, x0 as f64, true), (0, x1 as f64, false), (1, y0 as f64, true), (1, y1 as f64, false)];
    for (axis, bound, above) in sides {
        let coord = |p: (f64, f64)| if axis == 0 { p.0 } else { p.1 };
        let inside = |p: (f64, f64)| if above { coord(p) >= bound } else { coord(p) <= bound };
        match (inside(a), inside(b)) {
            (true, true) => continue,
            (false, false) => return None,
            (a_in, _) => {
                let t = (bound - coord(a)) / (coord(b) - coord(a));
                let other = if axis == 0 { a.1 + t * (b.1 - a.1) } else { a.0 + t * (b.0 - a.0) };
                let p = if axis == 0 { (bound, other) } else { (other, bound) };
                if a_in {
                    b = p;
                } else {
                    a = p;
                }
            }
        }
    }
    Some(((a.0 as f32, a.1 as f32), (b.0 as f32, b.1 as f32)))
}

/// The share of a one-pixel box centred `distance` from the middle of a line `2 * half` wide that the line
/// covers (across the line; exact for a straight edge parallel to a pixel side).
fn box_coverage(distance: f32, half: f32) -> f32 {
    ((distance + 0.5).min(half) - (distance - 0.5).max(-half)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(w: u32, h: u32, points: &[(f32, f32)], width: f32) -> Vec<u8> {
        let mut out = vec![0u8; (w * h) as usize];
        stroke(w, h, points, width, |i, c| {
            assert_eq!(out[i], 0, "pixel {i} blended twice");
            out[i] = c
        });
        out
    }

    #[test]
    fn a_horizontal_line_on_pixel_rows_covers_them_fully_and_nothing_else() {
        // Centred on y = 5.0 with width 2: rows 4 and 5 exactly.
        let out = drawn(20, 10, &[(2.0, 5.0), (18.0, 5.0)], 2.0);
        for y in 0..10 {
            for x in 0..20 {
                let expected = if (4..6).contains(&y) && (2..18).contains(&x) { 255 } else { 0 };
                assert_eq!(out[y * 20 + x], expected, "pixel ({x}, {y})");
            }
        }
    }

    #[test]
    fn a_line_between_pixel_rows_splits_its_coverage() {
        // Width 1 centred on y = 5.0: half of row 4 and half of row 5; flat caps at x = 2 and 8.
        let out = drawn(10, 10, &[(2.0, 5.0), (8.0, 5.0)], 1.0);
        assert_eq!(out[4 * 10 + 5], 128);
        assert_eq!(out[5 * 10 + 5], 128);
        assert_eq!(out[3 * 10 + 5], 0);
        assert_eq!(out[4 * 10 + 1], 0, "butt cap: nothing before the first point");
        assert_eq!(out[4 * 10 + 8], 0, "butt cap: nothing after the last point");
    }

    #[test]
    fn a_join_is_round_and_blends_once() {
        // An L turn: the corner's outside is filled by the round join, and the overlap keeps the larger coverage
        // (255), not a double blend.
        let out = drawn(20, 20, &[(2.0, 10.0), (10.0, 10.0), (10.0, 2.0)], 4.0);
        assert_eq!(out[10 * 20 + 10], 255, "corner pixel just outside both segments' slabs is inside the join");
        assert_eq!(out[9 * 20 + 9], 255);
        let far_corner = out[11 * 20 + 11];
        assert!(far_corner > 0 && far_corner < 255, "round, not mitred: {far_corner}");
    }

    #[test]
    fn a_steep_line_covers_one_pixel_per_row_in_total() {
        // Width 1 at a slope of 4: each row's coverage sums to about the line's horizontal thickness (~1.03 px).
        let out = drawn(40, 40, &[(10.0, 2.0), (17.5, 32.0)], 1.0);
        for y in 6..28 {
            let sum: u32 = out[y * 40..(y + 1) * 40].iter().map(|&c| c as u32).sum();
            let expected = 255.0 * (1.0f32 + 0.25 * 0.25).sqrt();
            assert!((sum as f32 - expected).abs() < 0.12 * 255.0, "row {y}: {sum} vs {expected}");
        }
    }

    #[test]
    fn points_outside_the_image_and_non_finite_points_are_clipped_or_break_the_line() {
        let out = drawn(10, 10, &[(-1e30, 5.0), (1e30, 5.0)], 2.0);
        assert!(out[4 * 10..6 * 10].iter().all(|&c| c == 255));
        let out = drawn(10, 10, &[(-1e30, -1e30), (1e30, 1e30)], 1.0);
        let peak = |y: usize| (0..10).max_by_key(|&x| out[y * 10 + x]).unwrap();
        assert!((3..7).all(|y| out[y * 10 + peak(y)] > 0 && peak(y + 1) == peak(y) + 1), "45 degrees: {out:?}");
        let out = drawn(10, 10, &[(1.0, 1.0), (f32::NAN, 3.0), (1.0, 8.0), (8.0, 8.0)], 2.0);
        assert!(out[..6 * 10].iter().all(|&c| c == 0), "no segment through the NaN point");
        assert!(out[7 * 10 + 4] == 255 && out[8 * 10 + 4] == 255);
        let out = drawn(10, 10, &[(3.0, 3.0), (3.0, 3.0)], 2.0);
        assert!(out.iter().all(|&c| c == 0), "a zero-length line draws nothing (butt caps)");
    }

    #[test]
    fn points_along_a_row_merge_into_one_segment_and_draw_the_same() {
        let many: Vec<(f32, f32)> = (0..=16).map(|i| (2.0 + i as f32, 5.3)).collect();
        assert_eq!(drawn(20, 10, &many, 1.5), drawn(20, 10, &[(2.0, 5.3), (18.0, 5.3)], 1.5));
        // Turning back along the row is not straight on: the way back stays a segment of its own.
        assert!(!straight_on((0.0, 1.0), (5.0, 1.0), (2.0, 1.0)));
        assert!(straight_on((1.0, 0.0), (1.0, 5.0), (1.0, 9.0)));
    }

    #[test]
    fn widths_outside_the_stroker_range_draw_nothing() {
        let line = [(2.0, 5.0), (18.0, 5.0)];
        assert!(drawn(20, 10, &line, MAX_WIDTH).iter().any(|&c| c > 0));
        for width in [0.0, -1.0, f32::NAN, f32::INFINITY, MAX_WIDTH * 1.5] {
            assert!(drawn(20, 10, &line, width).iter().all(|&c| c == 0), "width {width}");
        }
    }

    #[test]
    fn rows_stroked_alone_get_the_coverage_of_the_whole_stroke() {
        let (w, h) = (700u32, 240u32);
        let wave: Vec<(f32, f32)> =
            (0..=140).map(|i| (i as f32 * 5.1 - 3.0, 110.0 + (i as f32 * 0.9).sin() * 100.7)).collect();
        let level: Vec<(f32, f32)> = (0..50).map(|i| (i as f32 * 14.0, 67.5)).collect();
        let far = vec![(-1e7, -3e6), (350.2, 120.4), (1e7, 9e6)];
        for (points, width) in [(wave, 1.0), (level, 2.5), (far, 7.0)] {
            let whole = drawn(w, h, &points, width);
            for rows in [0..1, 0..68, 66..68, 67..135, 200..240, 239..240, 230..500] {
                let mut part = vec![0u8; (w * h) as usize];
                stroke_rows(w, h, rows.clone(), &points, width, |i, c| part[i] = c);
                let (a, b) = (rows.start as usize * w as usize, rows.end.min(h) as usize * w as usize);
                assert!(part[a..b] == whole[a..b], "rows {rows:?}, width {width}");
                assert!(part[..a].iter().chain(&part[b..]).all(|&c| c == 0), "rows {rows:?}: drawn outside them");
            }
        }
    }
}
