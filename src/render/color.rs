//! Colours, hex parsing, the built-in theme palettes and the premultiplied → straight alpha conversion.

use super::error::RenderError;

/// A straight (not premultiplied) 8-bit RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgba {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha (255 = opaque).
    pub a: u8,
}

impl Rgba {
    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Rgba { r, g, b, a: 255 }
    }

    /// The same colour with another alpha.
    pub const fn with_alpha(self, a: u8) -> Self {
        Rgba { a, ..self }
    }

    /// Parses `#RGB`, `#RRGGBB` or `#RRGGBBAA` (the `#` is required, hex digits in either case).
    /// `param` names the option in the error message.
    pub fn parse_hex(value: &str, param: &str) -> Result<Rgba, RenderError> {
        let bad = || RenderError::InvalidColor { param: param.to_string(), value: value.to_string() };
        let hex = value.strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).map_err(|_| bad());
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        match hex.len() {
            3 => Ok(Rgba::rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Ok(Rgba::rgb(byte(0)?, byte(2)?, byte(4)?)),
            8 => Ok(Rgba { r: byte(0)?, g: byte(2)?, b: byte(4)?, a: byte(6)? }),
            _ => Err(bad()),
        }
    }

    /// `#RRGGBB`, or `#RRGGBBAA` when not opaque.
    pub fn to_hex(self) -> String {
        if self.a == 255 {
            format!("#{:02X}{:02X}{:02X}", self.r, self.g, self.b)
        } else {
            format!("#{:02X}{:02X}{:02X}{:02X}", self.r, self.g, self.b, self.a)
        }
    }

    /// Relative luminance in 0..=1 (Rec. 709 weights on the 8-bit values), used to pick readable text colours.
    pub fn luminance(self) -> f32 {
        (0.2126 * self.r as f32 + 0.7152 * self.g as f32 + 0.0722 * self.b as f32) / 255.0
    }
}

/// A built-in colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Black background, pure green / red candles.
    Classic,
    /// Dark grey background, teal / coral candles.
    #[default]
    Modern,
    /// TradingView's dark palette.
    TradingView,
    /// White background, teal / coral candles.
    Light,
}

impl Theme {
    /// All themes, in documentation order.
    pub const ALL: [Theme; 4] = [Theme::Classic, Theme::Modern, Theme::TradingView, Theme::Light];

    /// Parses `classic`, `modern`, `tradingview` or `light` (case-insensitive).
    pub fn parse(name: &str) -> Result<Theme, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "classic" => Ok(Theme::Classic),
            "modern" => Ok(Theme::Modern),
            "tradingview" => Ok(Theme::TradingView),
            "light" => Ok(Theme::Light),
            _ => Err(RenderError::UnknownTheme(name.to_string())),
        }
    }

    /// The theme's lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Classic => "classic",
            Theme::Modern => "modern",
            Theme::TradingView => "tradingview",
            Theme::Light => "light",
        }
    }

    /// The theme's palette.
    pub fn palette(self) -> Palette {
        let (bg, up, down, grid) = match self {
            Theme::Classic => (0x000000, 0x00FF00, 0xFF0000, 0x333333),
            Theme::Modern => (0x1E1E1E, 0x26A69A, 0xEF5350, 0x424242),
            Theme::TradingView => (0x131722, 0x089981, 0xF23645, 0x2A2E39),
            Theme::Light => (0xFFFFFF, 0x26A69A, 0xEF5350, 0xE0E0E0),
        };
        let background = hex24(bg);
        let dark = background.luminance() < 0.5;
        Palette {
            background,
            up: hex24(up),
            down: hex24(down),
            grid: hex24(grid),
            text: if dark { Rgba::rgb(0xD1, 0xD4, 0xDC) } else { Rgba::rgb(0x13, 0x17, 0x22) },
            axis: if dark { Rgba::rgb(0x78, 0x7B, 0x86) } else { Rgba::rgb(0x9E, 0x9E, 0x9E) },
            line: Rgba::rgb(0x29, 0x62, 0xFF),
            wick_up: hex24(up),
            wick_down: hex24(down),
            edge_up: hex24(up),
            edge_down: hex24(down),
            volume_up: hex24(up).with_alpha(0x99),
            volume_down: hex24(down).with_alpha(0x99),
        }
    }
}

/// Premultiplied → straight alpha, in place (opaque pixels are left alone). tiny-skia and the GPU target store
/// premultiplied pixels; every image format written here wants straight ones.
pub(crate) fn unpremultiply(data: &mut [u8]) {
    for px in data.chunks_exact_mut(4) {
        let a = px[3];
        if a != 255 {
            if a == 0 {
                px[0] = 0;
                px[1] = 0;
                px[2] = 0;
            } else {
                for c in &mut px[..3] {
                    *c = ((*c as u32 * 255 + a as u32 / 2) / a as u32).min(255) as u8;
                }
            }
        }
    }
}

const fn hex24(v: u32) -> Rgba {
    Rgba::rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// The colours a chart is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Background.
    pub background: Rgba,
    /// Rising bars.
    pub up: Rgba,
    /// Falling bars.
    pub down: Rgba,
    /// Gridlines.
    pub grid: Rgba,
    /// Labels and title.
    pub text: Rgba,
    /// Axis lines and tick marks.
    pub axis: Rgba,
    /// Wicks of rising candles (the body colour unless set apart).
    pub wick_up: Rgba,
    /// Wicks of falling candles.
    pub wick_down: Rgba,
    /// Outlines of rising candle bodies (drawn only where they differ from the body colour).
    pub edge_up: Rgba,
    /// Outlines of falling candle bodies.
    pub edge_down: Rgba,
    /// Volume bars under rising bars (the body colour, translucent, unless set apart).
    pub volume_up: Rgba,
    /// Volume bars under falling bars.
    pub volume_down: Rgba,
    /// The price line of `line` / `line_filled` charts.
    pub line: Rgba,
}

/// Colours given to overlays and panel lines without an explicit colour, in order.
pub const SERIES_COLORS: [Rgba; 8] = [
    hex24(0x2962FF),
    hex24(0xFF9800),
    hex24(0xAB47BC),
    hex24(0x00BCD4),
    hex24(0xFFEB3B),
    hex24(0xE91E63),
    hex24(0x8BC34A),
    hex24(0x795548),
];
