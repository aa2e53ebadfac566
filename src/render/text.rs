//! The embedded font (an ASCII subset of DejaVu Sans): text measurement for layout and cached glyph bitmaps
//! for the CPU backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fontdue::{Font, FontSettings};

/// The embedded font file (DejaVu Sans, U+0020..U+007E; licence in `assets/fonts/LICENSE-DejaVu`).
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-ascii.ttf");

/// The font family name written into SVG output.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

fn font() -> Option<&'static Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| Font::from_bytes(FONT_BYTES, FontSettings::default()).ok()).as_ref()
}

/// Characters outside the subset are drawn as `?`.
fn map_char(c: char) -> char {
    if (' '..='~').contains(&c) {
        c
    } else {
        '?'
    }
}

/// Width in pixels of `text` at `size` px.
pub fn text_width(text: &str, size: f32) -> f32 {
    match font() {
        Some(f) => text.chars().map(|c| f.metrics(map_char(c), size).advance_width).sum(),
        None => text.chars().count() as f32 * size * 0.6,
    }
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

/// The glyph for `c` at `size` px, rasterised once per process.
pub fn glyph(c: char, size: f32) -> Option<Arc<Glyph>> {
    type Cache = Mutex<HashMap<(char, u32), Arc<Glyph>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let f = font()?;
    let c = map_char(c);
    let key = (c, size.to_bits());
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(g) = map.get(&key) {
        return Some(g.clone());
    }
    let (m, coverage) = f.rasterize(c, size);
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
