//! Text: the embedded font (a subset of DejaVu Sans) with a system fallback, measurement for layout, cached glyph
//! bitmaps for the raster backends, and the one rule for what characters of user text are drawn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fontdue::{Font, FontSettings};

/// The embedded font file: DejaVu Sans restricted to Latin-1, Windows-1252's extras and chart symbols (arrows,
/// superscript digits, currency signs; `tools/subset_font.py` lists them; licence in `assets/fonts/LICENSE-DejaVu`).
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// The font family name written into SVG output.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// Spaces a tab stands for.
const TAB_SPACES: usize = 4;

/// Fonts tried, in order, for a character the embedded font lacks: `KF_FALLBACK_FONT`, then common system paths.
const FALLBACK_PATHS: [&str; 5] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

fn font() -> Option<&'static Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| Font::from_bytes(FONT_BYTES, FontSettings::default()).ok()).as_ref()
}

/// The fallback font, loaded the first time a character outside the embedded subset is drawn.
fn fallback() -> Option<&'static Font> {
    static FALLBACK: OnceLock<Option<Font>> = OnceLock::new();
    FALLBACK
        .get_or_init(|| {
            let mut paths: Vec<String> = std::env::var("KF_FALLBACK_FONT").into_iter().collect();
            paths.extend(FALLBACK_PATHS.iter().map(|p| p.to_string()));
            paths
                .iter()
                .filter_map(|path| std::fs::read(path).ok())
                .find_map(|bytes| Font::from_bytes(bytes, FontSettings::default()).ok())
        })
        .as_ref()
}

/// Which font draws `c` and with which glyph: the embedded font when it has the character, else the fallback when it
/// has it, else the embedded font's "missing glyph" box (glyph 0) — never a substituted `?`.
fn resolve(c: char) -> Option<(&'static Font, u16)> {
    let main = font()?;
    let index = main.lookup_glyph_index(c);
    if index != 0 {
        return Some((main, index));
    }
    if let Some(fb) = fallback() {
        let index = fb.lookup_glyph_index(c);
        if index != 0 {
            return Some((fb, index));
        }
    }
    Some((main, 0))
}

/// The lines of user text (titles, labels) as drawn: `\n` (and `\r\n`, `\r`) separates lines, a tab is
/// [`TAB_SPACES`] spaces, other control characters (and U+FFFE, U+FFFF) are dropped, trailing blanks are trimmed. Every backend draws
/// the same lines, so SVG output never carries a control character.
pub fn text_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                match c {
                    '\t' => out.extend(std::iter::repeat_n(' ', TAB_SPACES)),
                    // Control characters and the two XML-invalid non-characters.
                    c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
                    c => out.push(c),
                }
            }
            out.trim_end().to_string()
        })
        .collect()
}

/// One line of user text as drawn: [`text_lines`] joined by spaces (for labels, which have one line).
pub fn one_line(text: &str) -> String {
    text_lines(text).join(" ").trim().to_string()
}

/// Width in pixels of `text` at `size` px.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| match resolve(c) {
            Some((f, index)) => f.metrics_indexed(index, size).advance_width,
            None => size * 0.6,
        })
        .sum()
}

/// Ascent and descent (descent negative) at `size` px.
pub fn line_metrics(size: f32) -> (f32, f32) {
    font().and_then(|f| f.horizontal_line_metrics(size)).map_or((size * 0.93, -size * 0.24), |m| (m.ascent, m.descent))
}

/// A rasterised glyph: coverage bitmap plus placement relative to the pen on the baseline.
#[derive(Debug)]
pub struct Glyph {
    /// Left edge relative to the pen.
    pub xmin: i32,
    /// Top edge relative to the baseline (pixels above the baseline are negative y).
    pub top: i32,
    /// Bitmap width.
    pub width: usize,
    /// Bitmap height.
    pub height: usize,
    /// Pen advance.
    pub advance: f32,
    /// Coverage, row-major, 0..=255.
    pub coverage: Vec<u8>,
}

/// The glyph for `c` at `size` px, rasterised once per process (the cache holds the characters and sizes charts
/// have drawn; sizes come from the image height, so it stays small).
pub fn glyph(c: char, size: f32) -> Option<Arc<Glyph>> {
    type Cache = Mutex<HashMap<(char, u32), Arc<Glyph>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (c, size.to_bits());
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = map.get(&key) {
        return Some(g.clone());
    }
    let (f, index) = resolve(c)?;
    let (m, coverage) = f.rasterize_indexed(index, size);
    let g = Arc::new(Glyph {
        xmin: m.xmin,
        top: -(m.ymin + m.height as i32),
        width: m.width,
        height: m.height,
        advance: m.advance_width,
        coverage,
    });
    map.insert(key, g.clone());
    Some(g)
}

/// A rotation of text about a centre point: counter-clockwise by `degrees` on the screen (y down), as matplotlib
/// turns a label. `to_image` maps text-local coordinates (u along the baseline, v down, origin at the centre) to
/// image pixels; `to_local` is its inverse.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    cx: f32,
    cy: f32,
    cos: f32,
    sin: f32,
}

impl Turn {
    pub fn new(cx: f32, cy: f32, degrees: f32) -> Turn {
        let (sin, cos) = degrees.to_radians().sin_cos();
        Turn { cx, cy, cos, sin }
    }

    pub fn to_image(self, u: f32, v: f32) -> (f32, f32) {
        (self.cx + u * self.cos + v * self.sin, self.cy - u * self.sin + v * self.cos)
    }

    /// How text-local coordinates change for one pixel to the right on the image.
    pub fn local_step_x(self) -> (f32, f32) {
        (self.cos, self.sin)
    }

    pub fn to_local(self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.cx, y - self.cy);
        (dx * self.cos - dy * self.sin, dx * self.sin + dy * self.cos)
    }
}

/// The glyphs of one line of text centred on a point (the middle of its advance, halfway between ascent and
/// descent), each with its bitmap's top-left corner in text-local coordinates (see [`Turn`]). Both raster
/// backends place turned text with it.
pub fn centred_glyphs(text: &str, size: f32) -> Vec<(Arc<Glyph>, f32, f32)> {
    let (ascent, descent) = line_metrics(size);
    let baseline = ((ascent + descent) * 0.5).round();
    let mut pen = (-text_width(text, size) * 0.5).round();
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let Some(g) = glyph(c, size) else { break };
        let (u, v) = (pen + g.xmin as f32, baseline + g.top as f32);
        pen += g.advance;
        out.push((g, u, v));
    }
    out
}

/// The size of text `w` wide at `size` px turned by `degrees`: its axis-aligned bounding box (width, height).
pub fn turned_extent(w: f32, size: f32, degrees: f32) -> (f32, f32) {
    let (ascent, descent) = line_metrics(size);
    let h = ascent - descent;
    let (sin, cos) = degrees.to_radians().sin_cos();
    (w * cos.abs() + h * sin.abs(), w * sin.abs() + h * cos.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_lines() {
        assert_eq!(text_lines("\nINTC Daily"), ["", "INTC Daily"]);
        assert_eq!(text_lines("a\tb\r\nc\x07d\x1b\x00"), ["a    b", "cd"]);
        assert_eq!(one_line("RSI\n14\t"), "RSI 14");
    }

    #[test]
    fn latin1_and_symbols_come_from_the_embedded_font() {
        let main = font().expect("embedded font");
        for c in "é€£¥→↑×⁶−–“”…ÿ".chars() {
            assert_ne!(main.lookup_glyph_index(c), 0, "{c:?} in the embedded subset");
            assert!(glyph(c, 14.0).is_some_and(|g| g.advance > 0.0));
        }
        // Not in the subset: still a glyph (the fallback's, or the missing-glyph box), never a '?'.
        let question = glyph('?', 14.0).unwrap();
        let han = glyph('漢', 14.0).unwrap();
        assert!(han.advance > 0.0 && han.coverage.iter().any(|&v| v > 0));
        assert!(!Arc::ptr_eq(&question, &han) && question.coverage != han.coverage);
    }

    #[test]
    fn turns_are_counter_clockwise_and_invertible() {
        let t = Turn::new(100.0, 50.0, 90.0);
        // Along the baseline at 90 degrees is straight up the screen.
        let (x, y) = t.to_image(10.0, 0.0);
        assert!((x - 100.0).abs() < 1e-4 && (y - 40.0).abs() < 1e-4, "{x} {y}");
        let t = Turn::new(3.0, -7.0, 33.0);
        let (u, v) = t.to_local(t.to_image(12.5, -4.0).0, t.to_image(12.5, -4.0).1);
        assert!((u - 12.5).abs() < 1e-4 && (v + 4.0).abs() < 1e-4);
        let (w, h) = turned_extent(100.0, 14.0, 90.0);
        let (a, d) = line_metrics(14.0);
        assert!((w - (a - d)).abs() < 1e-3 && (h - 100.0).abs() < 1e-3);
    }

    #[test]
    fn centred_glyphs_straddle_the_centre() {
        let glyphs = centred_glyphs("Mar 05", 20.0);
        let (first, last) = (glyphs.first().unwrap(), glyphs.last().unwrap());
        let right = last.1 + last.0.width as f32;
        assert!(first.1 < 0.0 && right > 0.0 && (first.1 + right).abs() <= 4.0, "{} {right}", first.1);
        let (top, bottom) = (first.2, first.2 + first.0.height as f32);
        assert!(top < 0.0 && bottom > 0.0 && (top + bottom).abs() <= 4.0, "{top} {bottom}");
    }
}
