//! Axis-aligned filled rectangles, most of a chart's draw list, without building a tiny-skia raster pipeline per
//! rectangle (about a microsecond each, more than the pixels of a candle cost).
//!
//! The result must be the pixels tiny-skia's `fill_rect` gives with an identity transform, so that the golden
//! images and the other primitives (still drawn by tiny-skia) are unaffected. So this follows its arithmetic:
//! the rectangle is clipped to the image in f32, converted to 24.8 fixed point, split into full pixels and partial
//! edge pixels with 8-bit coverage, and each pixel is blended with the 8-bit formulas of its low-precision
//! pipeline: `div255(v) = (v + 255) >> 8`; an opaque colour replaces the pixel by `div255(d*(255-c) + s*c)`; a
//! translucent one is scaled by the coverage and composited source-over. Aliased drawing rounds the edges instead
//! (a rectangle is at least one pixel wide and high) and fills whole pixels. Tests compare against tiny-skia.

use tiny_skia::{Color, PixmapMut};

use super::color::Rgba;

/// tiny-skia switches to a tiled path (through general path filling) above this size; callers fall back to it.
pub const MAX_DIMENSION: u32 = 8191;

/// One fill colour, prepared the way tiny-skia prepares a solid paint.
#[derive(Debug, Clone, Copy)]
pub struct Fill {
    /// Premultiplied channels as the pipeline holds them (0..=255 in u32 lanes).
    src: [u32; 4],
    /// The premultiplied pixel written where an opaque colour covers a pixel fully.
    solid: [u8; 4],
    opaque: bool,
}

impl Fill {
    /// The pipeline's uniform colour: the straight u8 channels as f32 in 0..=1, premultiplied in f32, then
    /// `(v * 255 + 0.5)` truncated, computed with tiny-skia's own colour type so the rounding is the same.
    pub fn new(color: Rgba) -> Fill {
        let c = Color::from_rgba8(color.r, color.g, color.b, color.a).premultiply();
        let to = |v: f32| (v * 255.0 + 0.5) as u32;
        let src = [to(c.red()), to(c.green()), to(c.blue()), to(c.alpha())];
        let u8c = c.to_color_u8();
        Fill { src, solid: [u8c.red(), u8c.green(), u8c.blue(), u8c.alpha()], opaque: color.a == 255 }
    }
}

#[inline(always)]
fn div255(v: u32) -> u32 {
    (v + 255) >> 8
}

/// Red and blue (bytes 0 and 2 of a little-endian RGBA pixel) or, shifted down 8, green and alpha: two channels
/// in 16-bit lanes, so one u32 multiply serves two channels (255 * 255 + 255 still fits a lane).
const LANES: u32 = 0x00FF_00FF;

/// `div255` of both lanes.
#[inline(always)]
fn div255_lanes(v: u32) -> u32 {
    ((v + LANES) >> 8) & LANES
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn blend_avx2(row: &mut [u8], blend: &Blend) {
    blend.apply(row)
}

/// `fill` at one coverage, reduced to `out = (src + d * inv [+ 255]) >> 8`-style lane arithmetic per pixel.
struct Blend {
    /// Source red/blue and green/alpha lanes (for the lerp: already multiplied by the coverage).
    s_rb: u32,
    s_ga: u32,
    /// What the destination is multiplied by.
    inv: u32,
    /// Lerp (opaque colour, partial coverage) or source-over (translucent colour).
    lerp: bool,
}

impl Blend {
    fn new(fill: &Fill, c: u32) -> Blend {
        let [r, g, b, a] = fill.src;
        if fill.opaque {
            // Source mode (an opaque source-over): lerp from the pixel to the colour by c.
            Blend { s_rb: (r | b << 16) * c, s_ga: (g | a << 16) * c, inv: 255 - c, lerp: true }
        } else {
            // Source-over with the colour scaled by the coverage first (at c = 255 the scale is exact).
            let (r, g, b, a) = (div255(r * c), div255(g * c), div255(b * c), div255(a * c));
            Blend { s_rb: r | b << 16, s_ga: g | a << 16, inv: 255 - a, lerp: false }
        }
    }

    /// Blends into a row of pixels; two channels per 16-bit-lane multiply.
    #[inline(always)]
    fn apply(&self, row: &mut [u8]) {
        let Blend { s_rb, s_ga, inv, lerp } = *self;
        for px in row.chunks_exact_mut(4) {
            let d = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
            let (rb, ga) = if lerp {
                (div255_lanes((d & LANES) * inv + s_rb), div255_lanes((d >> 8 & LANES) * inv + s_ga))
            } else {
                (s_rb + div255_lanes((d & LANES) * inv), s_ga + div255_lanes((d >> 8 & LANES) * inv))
            };
            px.copy_from_slice(&(rb | ga << 8).to_le_bytes());
        }
    }
}

/// A pixmap's bytes with its size, and the blending of one colour at a coverage.
pub struct Canvas<'a> {
    /// The rows `first_row..first_row + data.len() / (width * 4)` of the image.
    data: &'a mut [u8],
    width: i32,
    height: i32,
    first_row: i32,
}

impl<'a> Canvas<'a> {
    /// Wraps a pixmap.
    #[cfg(test)]
    pub fn new(pm: &'a mut PixmapMut<'_>) -> Canvas<'a> {
        let (width, height) = (pm.width() as i32, pm.height() as i32);
        Canvas { data: pm.data_mut(), width, height, first_row: 0 }
    }

    /// Wraps the rows of a `width` x `height` image from `first_row` on, held in `pm`: rectangles are clipped to
    /// the image as a whole, so those rows get the bytes the whole image would have there.
    pub fn rows(pm: &'a mut PixmapMut<'_>, height: u32, first_row: u32) -> Canvas<'a> {
        let width = pm.width() as i32;
        Canvas { data: pm.data_mut(), width, height: height as i32, first_row: first_row as i32 }
    }

    /// Blends `fill` at coverage `c` into the `w x h` pixels from column `x`, row `y` (already clipped).
    #[inline]
    fn block(&mut self, x: i32, y: i32, w: i32, h: i32, fill: &Fill, c: u32) {
        // The rows held: the whole image, or a strip of it.
        let held = (self.data.len() / (self.width.max(1) as usize * 4)) as i32;
        let (top, bottom) = (y.max(self.first_row), (y + h).min(self.first_row + held));
        let (y, h) = (top - self.first_row, bottom - top);
        if c == 0 || w <= 0 || h <= 0 {
            return; // tiny-skia skips zero coverage; its blend at 0 would leave the pixel as is anyway
        }
        let stride = self.width as usize * 4;
        let start = (y as usize * self.width as usize + x as usize) * 4;
        let end = start + (h as usize - 1) * stride + w as usize * 4;
        let rows = self.data[start..end].chunks_mut(stride).map(|r| &mut r[..w as usize * 4]);
        if fill.opaque && c == 255 {
            for row in rows {
                for px in row.chunks_exact_mut(4) {
                    px.copy_from_slice(&fill.solid);
                }
            }
            return;
        }
        let blend = Blend::new(fill, c);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            for row in rows {
                // SAFETY: the CPU has just been checked for AVX2.
                unsafe { blend_avx2(row, &blend) };
            }
            return;
        }
        for row in rows {
            blend.apply(row);
        }
    }

    /// One row between 24.8 fixed-point `l` and `r` at coverage `alpha`: partial end pixels get `alpha` times their
    /// covered fraction (`(alpha * frac256) >> 8`).
    fn scanline(&mut self, l: i32, y: i32, r: i32, alpha: u32, fill: &Fill) {
        let mul = |a256: i32| (alpha as i32 * a256) as u32 >> 8;
        if l >> 8 == (r - 1) >> 8 {
            self.block(l >> 8, y, 1, 1, fill, mul(r - l));
            return;
        }
        let mut left = l >> 8;
        if l & 0xFF != 0 {
            self.block(left, y, 1, 1, fill, mul(256 - (l & 0xFF)));
            left += 1;
        }
        let right = r >> 8;
        self.block(left, y, right - left, 1, fill, alpha);
        if r & 0xFF != 0 {
            self.block(right, y, 1, 1, fill, mul(r & 0xFF));
        }
    }

    /// Fills the rectangle `x, y, w, h` (pixels, top-left origin). Returns false where tiny-skia would not use its
    /// rectangle path (an image over [`MAX_DIMENSION`]), leaving the pixels untouched for the caller to draw.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: &Fill, antialias: bool) -> bool {
        if self.width as u32 > MAX_DIMENSION || self.height as u32 > MAX_DIMENSION {
            return false;
        }
        // tiny-skia's Rect::from_xywh: right = w + x, bottom = h + y; rejects non-finite or inverted rectangles.
        let (l, t, r, b) = (x, y, w + x, h + y);
        let drawable = [l, t, r, b].iter().all(|v| v.is_finite())
            && l <= r
            && t <= b
            && (r - l).is_finite()
            && (b - t).is_finite();
        if !drawable {
            return true;
        }
        if antialias {
            self.fill_aa(l, t, r, b, fill);
        } else {
            self.fill_aliased(l, t, r, b, fill);
        }
        true
    }

    fn fill_aa(&mut self, l: f32, t: f32, r: f32, b: f32, fill: &Fill) {
        let (l, t) = (l.max(0.0), t.max(0.0));
        let (r, b) = (r.min(self.width as f32), b.min(self.height as f32));
        if !(l <= r && t <= b) {
            return;
        }
        // f32 → 16.16 (truncated) → 24.8 (rounded).
        let fx = |v: f32| (((v * 65536.0) as i32) + 0x80) >> 8;
        let (l, t, r, b) = (fx(l), fx(t), fx(r), fx(b));
        if l >= r || t >= b {
            return;
        }
        let mut top = t >> 8;
        if top == (b - 1) >> 8 {
            // One row: its coverage is the covered height, less one (tiny-skia's rounding).
            self.scanline(l, top, r, (b - t - 1) as u32, fill);
            return;
        }
        if t & 0xFF != 0 {
            self.scanline(l, top, r, (256 - (t & 0xFF)) as u32, fill);
            top += 1;
        }
        let bottom = b >> 8;
        let height = bottom - top;
        if height > 0 {
            let mut left = l >> 8;
            if left == (r - 1) >> 8 {
                // One column: again the covered width less one.
                self.block(left, top, 1, height, fill, (r - l - 1) as u32);
            } else {
                if l & 0xFF != 0 {
                    self.block(left, top, 1, height, fill, (256 - (l & 0xFF)) as u32);
                    left += 1;
                }
                let right = r >> 8;
                self.block(left, top, right - left, height, fill, 255);
                if r & 0xFF != 0 {
                    self.block(right, top, 1, height, fill, (r & 0xFF) as u32);
                }
            }
        }
        if b & 0xFF != 0 {
            self.scanline(l, bottom, r, (b & 0xFF) as u32, fill);
        }
    }

    fn fill_aliased(&mut self, l: f32, t: f32, r: f32, b: f32, fill: &Fill) {
        // tiny-skia rounds an edge as `floor(v) + 0.5` clamped to the i32 range that f32 holds and truncated toward
        // zero (so -0.3 becomes 0), keeps at least one pixel in each direction, and draws nothing when the right or
        // bottom edge would overflow i32.
        const MAX: f32 = 2_147_483_520.0;
        let round = |v: f32| (v.floor() + 0.5).clamp(-MAX, MAX) as i32;
        let (l, t) = (round(l), round(t));
        let (w, h) = (round(r).saturating_sub(l).max(1), round(b).saturating_sub(t).max(1));
        let (Some(r), Some(b)) = (l.checked_add(w), t.checked_add(h)) else { return };
        let (l, t, r, b) = (l.max(0), t.max(0), r.min(self.width), b.min(self.height));
        if r <= l || b <= t {
            return;
        }
        self.block(l, t, r - l, b - t, fill, 255);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiny_skia::{Paint, Pixmap, Rect, Transform};

    /// Draws the same rectangles with tiny-skia and with [`Canvas::fill_rect`] and compares every byte.
    fn compare(rects: &[(f32, f32, f32, f32, Rgba)], antialias: bool, background: Rgba, size: (u32, u32)) {
        let mut expected = Pixmap::new(size.0, size.1).unwrap();
        expected.fill(Color::from_rgba8(background.r, background.g, background.b, background.a));
        let mut actual = expected.clone();
        for &(x, y, w, h, c) in rects {
            let mut paint = Paint::default();
            paint.set_color_rgba8(c.r, c.g, c.b, c.a);
            paint.anti_alias = antialias;
            if let Some(r) = Rect::from_xywh(x, y, w, h) {
                expected.fill_rect(r, &paint, Transform::identity(), None);
            }
            let mut pm = actual.as_mut();
            assert!(Canvas::new(&mut pm).fill_rect(x, y, w, h, &Fill::new(c), antialias));
        }
        let diff = expected.data().iter().zip(actual.data()).filter(|(a, b)| a != b).count();
        assert_eq!(diff, 0, "{diff} bytes differ (antialias {antialias}, {} rects)", rects.len());
    }

    fn random_rects(n: usize, seed: u64, size: (u32, u32)) -> Vec<(f32, f32, f32, f32, Rgba)> {
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        (0..n)
            .map(|i| {
                let u = |v: u64, scale: f32| (v % 100_000) as f32 / 100_000.0 * scale;
                // A mix of sizes: hairlines, sub-pixel slivers, candles, big blocks; some partly outside the image.
                let (wmax, hmax) = match i % 4 {
                    0 => (1.5, 1.5),
                    1 => (6.0, 60.0),
                    2 => (size.0 as f32, 3.0),
                    _ => (size.0 as f32 * 0.7, size.1 as f32 * 0.7),
                };
                let x = u(next(), size.0 as f32 + 20.0) - 10.0;
                let y = u(next(), size.1 as f32 + 20.0) - 10.0;
                let (w, h) = (u(next(), wmax), u(next(), hmax));
                // Integer-aligned edges too, as the scene often snaps them.
                let (x, y) = if i % 3 == 0 { (x.round(), y.round()) } else { (x, y) };
                let v = next();
                let alpha = [255u8, 255, 0x99, 0xB3, 0x50, 1, 0][(v % 7) as usize];
                (x, y, w, h, Rgba { r: (v >> 8) as u8, g: (v >> 16) as u8, b: (v >> 24) as u8, a: alpha })
            })
            .collect()
    }

    #[test]
    fn random_rectangles_match_tiny_skia() {
        for (seed, bg) in [
            (1u64, Rgba { r: 19, g: 23, b: 34, a: 255 }),
            (2, Rgba { r: 255, g: 255, b: 255, a: 255 }),
            (3, Rgba { r: 40, g: 80, b: 120, a: 128 }),
        ] {
            for aa in [true, false] {
                compare(&random_rects(3000, seed, (301, 203)), aa, bg, (301, 203));
            }
        }
    }

    #[test]
    fn the_avx2_blend_gives_the_portable_blends_bytes() {
        let row: Vec<u8> = (0..4000u32).map(|i| ((i * 2654435761) >> 13) as u8).collect();
        for color in [Rgba { r: 200, g: 10, b: 60, a: 255 }, Rgba { r: 30, g: 200, b: 90, a: 0x99 }] {
            for c in [1, 77, 128, 254, 255] {
                let blend = Blend::new(&Fill::new(color), c);
                let (mut a, mut b) = (row.clone(), row.clone());
                blend.apply(&mut a);
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: checked just above.
                    unsafe { blend_avx2(&mut b, &blend) };
                } else {
                    blend.apply(&mut b);
                }
                #[cfg(not(target_arch = "x86_64"))]
                blend.apply(&mut b);
                assert!(a == b, "coverage {c}");
                assert!(a != row, "the blend changed nothing");
            }
        }
    }

    #[test]
    fn edge_cases_match_tiny_skia() {
        let c = Rgba { r: 200, g: 10, b: 60, a: 255 };
        let t = Rgba { r: 200, g: 10, b: 60, a: 0x99 };
        let mut rects = Vec::new();
        for col in [c, t] {
            for (x, y, w, h) in [
                (10.0, 10.0, 0.0, 5.0),    // zero width: nothing antialiased, one pixel aliased
                (10.0, 10.0, 5.0, 0.0),    // zero height
                (10.2, 10.7, 0.3, 0.2),    // inside one pixel
                (10.9, 20.5, 0.2, 10.0),   // straddles a pixel boundary, thinner than a pixel
                (-5.0, -5.0, 10.0, 10.0),  // clipped at the top-left
                (95.5, 45.5, 10.0, 10.0),  // clipped at the bottom-right
                (-0.3, 3.0, 4.0, 4.0),     // aliased rounding toward zero
                (200.0, 200.0, 5.0, 5.0),  // entirely outside
                (0.0, 0.0, 100.0, 50.0),   // the whole image
                (3.5, 3.5, 1.0, 1.0),      // one pixel split four ways
                (20.0, 30.0, 1.0, 15.25),  // candle wick
                (f32::NAN, 1.0, 2.0, 2.0), // rejected
                (1.0, 1.0, f32::INFINITY, 2.0),
                (5.0, 5.0, -3.0, 2.0),   // inverted
                (-3e9, 5.0, 6e9, 4.0),   // beyond i32 when rounded: the width saturates
                (-1e9, 7.0, 2e9, 3.0),   // far outside on the left, reaching in
                (2.5, -1e38, 3.0, 2e38), // taller than any image
            ] {
                rects.push((x, y, w, h, col));
            }
        }
        for aa in [true, false] {
            compare(&rects, aa, Rgba { r: 250, g: 250, b: 250, a: 255 }, (100, 50));
        }
    }
}
