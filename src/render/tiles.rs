//! The `fast` PNG of a CPU-drawn chart, drawn and encoded strip by strip.
//!
//! The PNG encoder cuts the image into strips of rows (from the width alone) and compresses each on its own. Here
//! each strip is also drawn on its own, into a buffer of its rows (plus the row above it, the Up filter's
//! reference), and compressed at once while those rows are still in the core's cache. Strips are pieces of one
//! ordered parallel map ([`super::parallel`]), so drawing and encoding run on every core together instead of one
//! after the other, and the picture is never held whole.
//!
//! A strip's pixels equal those rows of the whole picture, byte for byte, when the scene passes
//! [`CpuBackend::draws_rows_exactly`] and its background is opaque (then every pixel is): the PNG is then the same
//! file [`super::render_scene`]'s whole-picture path writes. Other scenes take that path.

use std::sync::Arc;
use std::time::Instant;

use super::cpu::CpuBackend;
use super::error::RenderError;
use super::options::{Engine, Format, PngSpeed};
use super::png_fast::{container, encode_band, strip_rows, Segment};
use super::scene::{Primitive, Scene};
use super::text::{glyph, text_width};

/// Whether `scene` in `format` on `engine` is drawn strip by strip.
pub(crate) fn applies(scene: &Scene, format: Format, engine: Engine) -> bool {
    format == Format::Png(PngSpeed::Fast)
        && engine == Engine::Cpu
        && scene.background.a == 255
        && CpuBackend::draws_rows_exactly(scene)
}

/// A strip's segment, with the microseconds its drawing and its encoding took.
type Piece = Result<Option<(Segment, u64, u64)>, RenderError>;

/// The PNG and the microseconds spent drawing and encoding (the wall time of the strips, split between the two
/// in proportion to the time each took over all strips); `None` when a strip held a translucent pixel after all
/// (the caller then draws the whole picture).
pub(crate) fn png(scene: Arc<Scene>) -> Result<Option<(Vec<u8>, u64, u64)>, RenderError> {
    let start = Instant::now();
    let (w, h) = (scene.width as usize, scene.height as usize);
    let rows = strip_rows(w);
    let strips = h.div_ceil(rows);
    let reaching = reaching(&scene, rows, strips);
    let pieces = super::parallel::map_indexed(strips, usize::MAX, move |i| -> Piece {
        let (first, end) = (i * rows, ((i + 1) * rows).min(h));
        let t = Instant::now();
        let band = CpuBackend::rasterize_rows(&scene, first.saturating_sub(1) as u32..end as u32, &reaching[i])?;
        let drawn = t.elapsed();
        let segment = encode_band(band.data(), w, first == 0, end == h);
        Ok(segment.map(|s| (s, drawn.as_micros() as u64, (t.elapsed() - drawn).as_micros() as u64)))
    });
    let mut segments = Vec::with_capacity(strips);
    let (mut draw, mut encode) = (0u64, 0u64);
    for piece in &pieces {
        match piece.as_ref() {
            Ok(Some((segment, d, e))) => {
                segments.push(segment);
                draw += d;
                encode += e;
            }
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.clone()),
        }
    }
    let bytes = container(w as u32, h as u32, 3, segments.into_iter());
    let wall = start.elapsed().as_micros() as u64;
    let draw_us = (wall * draw).checked_div(draw + encode).unwrap_or(0);
    Ok(Some((bytes, draw_us, wall - draw_us)))
}

/// For each strip of `rows` rows, the indices of the primitives that may reach its rows or the row above it, in
/// draw order: each strip then visits its share of the draw list, not all of it.
fn reaching(scene: &Scene, rows: usize, strips: usize) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); strips];
    for (i, p) in scene.items.iter().enumerate() {
        let Some((top, bottom)) = reach(p) else { continue };
        // Row r is drawn by strip r / rows, and as the row above it by strip (r + 1) / rows.
        let strip_of = |y: f32| if y.is_nan() { 0 } else { (y.clamp(0.0, 1e9) as usize) / rows };
        let (from, to) = (strip_of(top.floor()), strip_of(bottom.ceil() + 1.0).min(strips - 1));
        for list in out.iter_mut().take(to + 1).skip(from) {
            list.push(i as u32);
        }
    }
    out
}

/// The rows a primitive may touch, as a generous (top, bottom) in pixels; `None` when it draws nothing. A
/// non-finite extent reaches every strip, and the rasteriser decides what it draws.
fn reach(p: &Primitive) -> Option<(f32, f32)> {
    let everywhere = Some((f32::NEG_INFINITY, f32::INFINITY));
    let span = |a: f32, b: f32, margin: f32| {
        let (lo, hi) = (a.min(b) - margin, a.max(b) + margin);
        if lo.is_finite() && hi.is_finite() {
            Some((lo, hi))
        } else {
            everywhere
        }
    };
    match p {
        Primitive::Rect { y, h, .. } => span(*y, *y + *h, 2.0),
        Primitive::Line { y1, y2, width, .. } => span(*y1, *y2, width * 0.5 + 2.0),
        Primitive::Polyline { points, width, .. } => {
            // Non-finite points break the line and draw nothing themselves.
            let (lo, hi) = points
                .iter()
                .filter(|q| q.0.is_finite() && q.1.is_finite())
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), q| (lo.min(q.1), hi.max(q.1)));
            (lo <= hi).then(|| span(lo, hi, width * 0.5 + 2.0)).flatten()
        }
        Primitive::Polygon { points, .. } => {
            let (lo, hi) =
                points.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), q| (lo.min(q.1), hi.max(q.1)));
            if points.iter().any(|q| !(q.0.is_finite() && q.1.is_finite())) {
                return None; // the filler draws no polygon through a non-finite point
            }
            (lo <= hi).then(|| span(lo, hi, 2.0)).flatten()
        }
        Primitive::Text { y, text, size, .. } => text_rows(*y, text, *size),
        Primitive::TurnedText { cy, text, size, .. } => span(*cy, *cy, text_width(text, *size) + size * 2.0 + 2.0),
        Primitive::Circle { .. } => everywhere,
    }
}

/// The rows the glyphs of one line of text cover, placed as `CpuBackend::text` places them (the baseline at `y`
/// rounded, each bitmap from its top; the line ends at the first character without a glyph), one row wider.
fn text_rows(y: f32, text: &str, size: f32) -> Option<(f32, f32)> {
    let baseline = y.round() as i32;
    let (mut top, mut bottom) = (i32::MAX, i32::MIN);
    for c in text.chars() {
        let Some(g) = glyph(c, size) else { break };
        let first = baseline.saturating_add(g.top);
        top = top.min(first);
        bottom = bottom.max(first.saturating_add(g.height as i32));
    }
    (top < bottom).then_some((top as f32 - 1.0, bottom as f32 + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::backend::Backend;
    use crate::render::color::Rgba;
    use crate::render::scene::Anchor;

    #[test]
    fn a_text_s_rows_hold_every_row_it_draws() {
        let white = Rgba { r: 255, g: 255, b: 255, a: 255 };
        let black = Rgba { r: 0, g: 0, b: 0, a: 255 };
        for (y, size, text) in [(40.0, 12.0, "Agjy|"), (30.4, 30.0, "ÅÉ€↑ ÿ"), (79.6, 9.0, "q_,"), (-3.0, 20.0, "gy")]
        {
            let mut b = CpuBackend::default();
            b.begin(300, 80, white, true).unwrap();
            b.text(5.0, y, text, size, black, Anchor::Start);
            let pm = b.finish();
            let drawn: Vec<usize> =
                (0..80).filter(|&r| (0..300).any(|x| pm.pixel(x, r as u32).unwrap().red() != 255)).collect();
            assert!(!drawn.is_empty() || y < 0.0, "{text:?} drew nothing");
            let (top, bottom) = text_rows(y, text, size).expect("glyphs");
            for r in drawn {
                assert!(top <= r as f32 && (r as f32) < bottom, "{text:?}: row {r} outside {top}..{bottom}");
            }
        }
    }
}
