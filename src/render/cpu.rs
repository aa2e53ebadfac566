//! The CPU backend: our own rectangle filler (tiny-skia's arithmetic without its per-call pipeline setup) for the
//! many axis-aligned rectangles, our own area-coverage filler for antialiased polygons and stroker for antialiased
//! lines (each visits only the pixels the shape reaches), tiny-skia for the aliased ones and lines wider than the
//! stroker takes, the embedded font's cached glyph bitmaps for text.
use std::ops::Range;

use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Rect, Stroke, Transform,
};

use super::backend::is_finite_point;
use super::backend::Backend;
use super::color::Rgba;
use super::error::RenderError;
use super::fill;
use super::rect_fill::{Canvas, Fill, MAX_DIMENSION};
use super::scene::{Anchor, Primitive, Scene};
use super::stroke;
use super::text::{centred_glyphs, glyph, text_width, Glyph, Turn};

/// Rasterises scenes into a premultiplied RGBA pixmap: the whole picture, or a strip of its rows.
#[derive(Default)]
pub struct CpuBackend {
    /// The rows drawn (`band`, or all of them), as a pixmap of their height.
    pixmap: Option<Pixmap>,
    antialias: bool,
    /// Only these rows of the picture are drawn, when set.
    band: Option<Range<u32>>,
    /// The picture's rows drawn, from `begin`.
    rows: Range<u32>,
    /// The picture's height, from `begin`.
    image_height: u32,
}

impl CpuBackend {
    /// Draws `scene` and returns the pixmap.
    pub fn rasterize(scene: &Scene) -> Result<Pixmap, RenderError> {
        let mut b = CpuBackend::default();
        b.draw_scene(scene)?;
        b.pixmap.ok_or_else(|| RenderError::Encode("no pixmap".into()))
    }

    /// Draws the rows `rows` of `scene` only, as a pixmap `scene.width` wide and as high as `rows`. Its bytes are
    /// those rows of [`CpuBackend::rasterize`]'s pixmap where [`CpuBackend::draws_rows_exactly`] holds.
    /// Only the primitives of `scene.items` at `items` are drawn (those that reach the rows; in order).
    pub fn rasterize_rows(scene: &Scene, rows: Range<u32>, items: &[u32]) -> Result<Pixmap, RenderError> {
        let mut b = CpuBackend { band: Some(rows), ..CpuBackend::default() };
        b.begin(scene.width, scene.height, scene.background, scene.antialias)?;
        for &i in items {
            b.draw(&scene.items[i as usize]);
        }
        b.pixmap.ok_or_else(|| RenderError::Encode("no pixmap".into()))
    }

    /// Whether every primitive of `scene` is drawn by one of our own rasterisers, which compute a strip of rows
    /// exactly as the whole picture has it: antialiased, no circle, no line wider than the stroker takes, an image
    /// within the rectangle filler's size. tiny-skia's paths (the others) would be drawn shifted, which may round
    /// differently.
    pub fn draws_rows_exactly(scene: &Scene) -> bool {
        scene.antialias
            && scene.width <= MAX_DIMENSION
            && scene.height <= MAX_DIMENSION
            && scene.items.iter().all(|p| match p {
                Primitive::Circle { .. } => false,
                Primitive::Line { width, .. } | Primitive::Polyline { width, .. } => *width <= stroke::MAX_WIDTH,
                _ => true,
            })
    }

    /// tiny-skia's transform for the rows held: the picture moved up by the first row drawn.
    fn shift(&self) -> Transform {
        Transform::from_translate(0.0, -(self.rows.start as f32))
    }

    /// The pixmap drawn so far (tests draw single primitives).
    #[cfg(test)]
    pub(crate) fn finish(self) -> Pixmap {
        self.pixmap.expect("begin() first")
    }

    fn paint(&self, color: Rgba) -> Paint<'static> {
        let mut p = Paint::default();
        p.set_color_rgba8(color.r, color.g, color.b, color.a);
        p.anti_alias = self.antialias;
        p
    }
}

impl Backend for CpuBackend {
    fn begin(&mut self, width: u32, height: u32, background: Rgba, antialias: bool) -> Result<(), RenderError> {
        // One pass writing the background (Pixmap::new would zero the buffer first, then fill would write it again).
        let bg = tiny_skia::Color::from_rgba8(background.r, background.g, background.b, background.a)
            .premultiply()
            .to_color_u8();
        let rows = match &self.band {
            Some(band) => band.start.min(height)..band.end.min(height),
            None => 0..height,
        };
        let size = tiny_skia::IntSize::from_wh(width, rows.len() as u32)
            .ok_or(RenderError::InvalidSize { param: "width", value: width })?;
        let row = [bg.red(), bg.green(), bg.blue(), bg.alpha()].repeat(width as usize);
        let mut data = Vec::with_capacity(row.len() * rows.len());
        for _ in rows.clone() {
            data.extend_from_slice(&row); // copies from a cache-resident row: stores only
        }
        let pm = Pixmap::from_vec(data, size).ok_or(RenderError::InvalidSize { param: "width", value: width })?;
        self.pixmap = Some(pm);
        self.antialias = antialias;
        self.rows = rows;
        self.image_height = height;
        Ok(())
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgba) {
        let (antialias, height, first) = (self.antialias, self.image_height, self.rows.start);
        let Some(pm) = self.pixmap.as_mut() else { return };
        if Canvas::rows(&mut pm.as_mut(), height, first).fill_rect(x, y, w, h, &Fill::new(color), antialias) {
            return;
        }
        // Images too large for tiny-skia's rectangle path: its general path filling.
        let (paint, shift) = (self.paint(color), self.shift());
        if let (Some(pm), Some(r)) = (self.pixmap.as_mut(), Rect::from_xywh(x, y, w, h)) {
            pm.fill_rect(r, &paint, shift, None);
        }
    }

    fn polyline(&mut self, points: &[(f32, f32)], color: Rgba, width: f32) {
        // A width of 0 (or NaN) is a one-pixel hairline, as in tiny-skia.
        let width = if width > 0.0 { width } else { 1.0 };
        if self.antialias && width <= stroke::MAX_WIDTH {
            let Some(pm) = self.pixmap.as_mut() else { return };
            if color.a == 0 {
                return;
            }
            let (w, rows) = (pm.width(), self.rows.clone());
            let offset = self.rows.start as usize * w as usize;
            let local = move |i: usize| i.wrapping_sub(offset);
            let bytes = self.pixmap.as_mut().expect("checked above").data_mut();
            stroke::stroke_rows(w, self.image_height, rows, points, width, |i, c| {
                let i = local(i);
                if let Some(px) = bytes.get_mut(i * 4..i * 4 + 4) {
                    let out = blend_rgba([px[0], px[1], px[2], px[3]], color, c as u32);
                    px.copy_from_slice(&out);
                }
            });
            return;
        }
        let Some(path) = build_path(points, false) else { return };
        let (paint, shift) = (self.paint(color), self.shift());
        let stroke = Stroke { width, line_cap: LineCap::Butt, line_join: LineJoin::Round, ..Stroke::default() };
        if let Some(pm) = self.pixmap.as_mut() {
            pm.stroke_path(&path, &paint, &stroke, shift, None);
        }
    }

    fn polygon(&mut self, points: &[(f32, f32)], color: Rgba) {
        if self.antialias {
            let Some(pm) = self.pixmap.as_mut() else { return };
            if color.a == 0 {
                return;
            }
            let (w, rows) = (pm.width(), self.rows.clone());
            let offset = self.rows.start as usize * w as usize;
            let local = move |i: usize| i.wrapping_sub(offset);
            let bytes = self.pixmap.as_mut().expect("checked above").data_mut();
            fill::fill_rows(w, self.image_height, rows, points, |start, coverage| {
                let start = local(start);
                blend_span(&mut bytes[start * 4..(start + coverage.len()) * 4], color, coverage);
            });
            return;
        }
        let Some(path) = build_path(points, true) else { return };
        let (paint, shift) = (self.paint(color), self.shift());
        if let Some(pm) = self.pixmap.as_mut() {
            pm.fill_path(&path, &paint, FillRule::Winding, shift, None);
        }
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgba, width: f32) {
        let Some(path) = PathBuilder::from_circle(cx, cy, r) else { return };
        let (paint, shift) = (self.paint(color), self.shift());
        let stroke = Stroke { width, ..Stroke::default() };
        if let Some(pm) = self.pixmap.as_mut() {
            pm.stroke_path(&path, &paint, &stroke, shift, None);
        }
    }

    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, color: Rgba, anchor: Anchor) {
        let Some(pm) = self.pixmap.as_mut() else { return };
        let start = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - text_width(text, size) * 0.5,
            Anchor::End => x - text_width(text, size),
        };
        let (pw, r0, r1) = (pm.width() as i32, self.rows.start as i32, self.rows.end as i32);
        let baseline = y.round() as i32;
        let pixels = pm.pixels_mut();
        let mut pen = start.round();
        for c in text.chars() {
            let Some(g) = glyph(c, size) else { return };
            // Saturating: a label placed far outside the image (an absurd price) must not overflow.
            let gx = (pen as i32).saturating_add(g.xmin);
            let gy = baseline.saturating_add(g.top);
            for row in 0..g.height as i32 {
                let py = gy.saturating_add(row);
                if py < r0 || py >= r1 {
                    continue;
                }
                for col in 0..g.width as i32 {
                    let px = gx.saturating_add(col);
                    if px < 0 || px >= pw {
                        continue;
                    }
                    let mut cov = g.coverage[(row * g.width as i32 + col) as usize] as u32;
                    if !self.antialias {
                        cov = if cov >= 128 { 255 } else { 0 };
                    }
                    if cov == 0 {
                        continue;
                    }
                    let dst = &mut pixels[((py - r0) * pw + px) as usize];
                    *dst = blend(*dst, color, cov);
                }
            }
            pen += g.advance;
        }
    }

    fn turned_text(&mut self, cx: f32, cy: f32, text: &str, size: f32, color: Rgba, angle: f32) {
        let antialias = self.antialias;
        let Some(pm) = self.pixmap.as_mut() else { return };
        let (pw, r0, r1) = (pm.width() as i32, self.rows.start as i32, self.rows.end as i32);
        let pixels = pm.pixels_mut();
        let turn = Turn::new(cx, cy, angle);
        for (g, u, v) in centred_glyphs(text, size) {
            let (w, h) = (g.width as f32, g.height as f32);
            if g.width == 0 || g.height == 0 {
                continue;
            }
            // The rows the turned bitmap can touch; on each, only the run of pixels whose centres map back inside
            // the bitmap (widened half a texel for the bilinear read), stepped along the row incrementally.
            let corners = [(u, v), (u + w, v), (u + w, v + h), (u, v + h)].map(|(a, b)| turn.to_image(a, b));
            let (y0, y1) = corners.iter().fold((f32::MAX, f32::MIN), |(lo, hi), c| (lo.min(c.1), hi.max(c.1)));
            let (du, dv) = turn.local_step_x();
            for py in (y0.floor() as i32).max(r0)..(y1.ceil() as i32).min(r1) {
                let (lu0, lv0) = turn.to_local(0.5, py as f32 + 0.5);
                let (su, sv) = (lu0 - u - 0.5, lv0 - v - 0.5);
                let Some((first, last)) = inside_run(su, du, -1.0, w, sv, dv, -1.0, h) else { continue };
                let (first, last) = (first.max(0), last.min(pw - 1));
                let row = ((py - r0) * pw) as usize;
                for px in first..=last {
                    let mut cov = sample(&g, su + px as f32 * du, sv + px as f32 * dv);
                    if !antialias {
                        cov = if cov >= 128 { 255 } else { 0 };
                    }
                    if cov > 0 {
                        let dst = &mut pixels[row + px as usize];
                        *dst = blend(*dst, color, cov);
                    }
                }
            }
        }
    }
}

/// The whole pixel columns `x` for which `a + x * da` lies strictly inside `(a_lo, a_hi)` and `b + x * db` inside
/// `(b_lo, b_hi)`, as a first and last column; None when there are none.
#[allow(clippy::too_many_arguments)]
fn inside_run(a: f32, da: f32, a_lo: f32, a_hi: f32, b: f32, db: f32, b_lo: f32, b_hi: f32) -> Option<(i32, i32)> {
    let mut lo = f32::NEG_INFINITY;
    let mut hi = f32::INFINITY;
    for (start, step, low, high) in [(a, da, a_lo, a_hi), (b, db, b_lo, b_hi)] {
        if step.abs() < 1e-6 {
            if start <= low || start >= high {
                return None;
            }
        } else {
            let (t0, t1) = ((low - start) / step, (high - start) / step);
            lo = lo.max(t0.min(t1));
            hi = hi.min(t0.max(t1));
        }
    }
    let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
    (lo.is_finite() && hi.is_finite() && first <= last).then_some((first, last))
}

/// A glyph's coverage at fractional texel `(x, y)` (texel centres at whole numbers), bilinear, 0 outside.
/// Floors and rounds by truncation of positive values: libm's `floorf` / `roundf` are calls, this runs per pixel.
fn sample(g: &Glyph, x: f32, y: f32) -> u32 {
    if !(x > -1.0 && y > -1.0) {
        return 0;
    }
    let (c, r) = ((x + 1.0) as i32 - 1, (y + 1.0) as i32 - 1);
    let (tx, ty) = (x - c as f32, y - r as f32);
    let at = |col: i32, row: i32| -> f32 {
        if col < 0 || row < 0 || col >= g.width as i32 || row >= g.height as i32 {
            0.0
        } else {
            g.coverage[row as usize * g.width + col as usize] as f32
        }
    };
    let top = at(c, r) * (1.0 - tx) + at(c + 1, r) * tx;
    let bottom = at(c, r + 1) * (1.0 - tx) + at(c + 1, r + 1) * tx;
    (top * (1.0 - ty) + bottom * ty + 0.5) as u32
}

/// Source-over of `color` at `coverage` (0..=255) onto a premultiplied pixel.
fn blend(dst: PremultipliedColorU8, color: Rgba, coverage: u32) -> PremultipliedColorU8 {
    let [r, g, b, a] = blend_rgba([dst.red(), dst.green(), dst.blue(), dst.alpha()], color, coverage);
    PremultipliedColorU8::from_rgba(r, g, b, a).unwrap_or(dst)
}

/// `v / 255` rounded to nearest, exact for `v <= 255 * 255`.
#[inline(always)]
fn div255(v: u32) -> u32 {
    (v + 128 + ((v + 128) >> 8)) >> 8
}

/// Source-over of `color` at `coverage` (0..=255) onto premultiplied RGBA bytes; the colour channels never
/// exceed alpha, so the result is a valid premultiplied pixel.
#[inline(always)]
fn blend_rgba(dst: [u8; 4], color: Rgba, coverage: u32) -> [u8; 4] {
    let sa = div255(color.a as u32 * coverage);
    let inv = 255 - sa;
    let a = (sa + div255(dst[3] as u32 * inv)).min(255);
    let ch = |s: u8, d: u8| (div255(s as u32 * sa) + div255(d as u32 * inv)).min(a) as u8;
    [ch(color.r, dst[0]), ch(color.g, dst[1]), ch(color.b, dst[2]), a as u8]
}

/// Source-over of `color` onto consecutive premultiplied pixels at per-pixel `coverage`, one stretch of equal
/// coverage at a time: inside a polygon the coverage is the same for hundreds of pixels.
fn blend_span(bytes: &mut [u8], color: Rgba, coverage: &[u8]) {
    let mut from = 0;
    while from < coverage.len() {
        let level = coverage[from];
        let to = from + coverage[from..].iter().take_while(|&&c| c == level).count();
        blend_run(&mut bytes[from * 4..to * 4], color, level as u32);
        from = to;
    }
}

/// `blend_rgba` for pixels that share one coverage, in 16-bit lanes the compiler vectorises. It gives the same
/// bytes: with `sa + inv = 255` and colour at most alpha in `dst`, neither clamp of `blend_rgba` ever binds.
fn blend_run(bytes: &mut [u8], color: Rgba, coverage: u32) {
    let sa = div255(color.a as u32 * coverage);
    let inv = (255 - sa) as u16;
    let one = [div255(color.r as u32 * sa), div255(color.g as u32 * sa), div255(color.b as u32 * sa), sa];
    let source: [u16; 16] = std::array::from_fn(|i| one[i % 4] as u16);
    let over = |d: u8, s: u16| {
        let v = d as u16 * inv + 128;
        (s + ((v + (v >> 8)) >> 8)) as u8
    };
    let mut chunks = bytes.chunks_exact_mut(16);
    for chunk in &mut chunks {
        for (d, &s) in chunk.iter_mut().zip(&source) {
            *d = over(*d, s);
        }
    }
    for (d, &s) in chunks.into_remainder().iter_mut().zip(&source) {
        *d = over(*d, s);
    }
}

/// The path through `points`, or `None` when it has none or a point is not finite: tiny-skia's scanner asserts (in
/// debug builds) on the edges a NaN coordinate makes, and what such a path covers is undefined anyway. The
/// antialiased filler refuses the same points ([`fill::fill`]).
fn build_path(points: &[(f32, f32)], close: bool) -> Option<tiny_skia::Path> {
    if !points.iter().all(is_finite_point) {
        return None;
    }
    let (first, rest) = points.split_first()?;
    let mut pb = PathBuilder::with_capacity(points.len() + 1, points.len() + 1);
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_with_a_non_finite_point_draws_nothing_with_or_without_antialiasing() {
        // Found by fuzzing with debug assertions: an aliased fill through a NaN point tripped tiny-skia's scanner.
        let white = Rgba { r: 255, g: 255, b: 255, a: 255 };
        let black = Rgba { r: 0, g: 0, b: 0, a: 255 };
        for antialias in [false, true] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut b = CpuBackend::default();
                b.begin(40, 20, white, antialias).unwrap();
                b.polygon(&[(2.0, 2.0), (30.0, bad), (30.0, 18.0), (2.0, 18.0)], black);
                b.polyline(&[(2.0, 2.0), (30.0, bad), (38.0, 18.0)], black, 2.0);
                assert!(b.finish().pixels().iter().all(|p| p.red() == 255), "antialias {antialias}, {bad}");
            }
        }
    }

    #[test]
    fn text_placed_far_outside_the_image_draws_nothing() {
        // Found by fuzzing with overflow checks: the glyph offsets overflowed i32 at a saturated baseline.
        let white = Rgba { r: 255, g: 255, b: 255, a: 255 };
        let black = Rgba { r: 0, g: 0, b: 0, a: 255 };
        let mut b = CpuBackend::default();
        b.begin(40, 20, white, true).unwrap();
        for (x, y) in [(5.0, 3e9), (5.0, -3e9), (3e9, 10.0), (-3e9, 10.0), (f32::MAX, f32::MAX)] {
            b.text(x, y, "Ag", 12.0, black, Anchor::Start);
        }
        assert!(b.finish().pixels().iter().all(|p| p.red() == 255 && p.alpha() == 255));
    }

    #[test]
    fn a_run_blends_to_the_same_bytes_as_one_pixel_at_a_time() {
        // Premultiplied destinations: every alpha, colour channels spread over 0..=alpha.
        let dst: Vec<u8> =
            (0..=255u32).flat_map(|a| [a * 7 % (a + 1), a * 3 % (a + 1), a, a]).map(|v| v as u8).collect();
        for color in [Rgba { r: 31, g: 119, b: 180, a: 51 }, Rgba { r: 255, g: 0, b: 77, a: 255 }] {
            for coverage in [0u32, 1, 64, 128, 200, 254, 255] {
                let mut run = dst.clone();
                blend_run(&mut run, color, coverage);
                for (got, want) in run.chunks_exact(4).zip(dst.chunks_exact(4)) {
                    let want = blend_rgba([want[0], want[1], want[2], want[3]], color, coverage);
                    assert_eq!(got, want, "color {color:?} coverage {coverage}");
                }
            }
        }
    }
}
