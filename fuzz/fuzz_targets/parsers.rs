//! The colour and option parsers over arbitrary strings: each accepts or refuses with an error naming the value,
//! never panics, and what it accepts survives a round trip (a parsed colour written back as hex parses to itself;
//! a parsed name's canonical form parses to the same value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use polars_kimsfinance::render::{ChartKind, Engine, Format, LineStyle, MarkerShape, PngSpeed, Rgba, Theme};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s: &str = &text;
    match Rgba::parse_hex(s, "colors.up") {
        Ok(c) => {
            assert_eq!(Rgba::parse_hex(&c.to_hex(), "x").ok(), Some(c), "{s:?}");
            let hex = s.strip_prefix('#').expect("accepted colours start with #");
            assert!(matches!(hex.len(), 3 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()), "{s:?}");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("colors.up"), "{message}");
        }
    }
    if let Ok(kind) = ChartKind::parse(s) {
        assert_eq!(ChartKind::parse(kind.name()).ok(), Some(kind));
    }
    if let Ok(theme) = Theme::parse(s) {
        assert_eq!(Theme::parse(theme.name()).ok(), Some(theme));
    }
    if let Ok(engine) = Engine::parse(s) {
        assert_eq!(Engine::parse(engine.name()).ok(), Some(engine));
    }
    let speed = PngSpeed::parse(s).unwrap_or(PngSpeed::Fast);
    let _ = Format::parse(s, speed);
    let _ = LineStyle::parse(s, "hlines.style");
    let _ = MarkerShape::parse(s, "markers.shape");
});
