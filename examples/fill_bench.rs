//! Times the CPU backend's antialiased polygon fill (area coverage, then blending) against tiny-skia's fill of the
//! same path with the same paint: a `fill_between` band of 500 points per side at 20% alpha across the price panel
//! of a 1920x1080 chart, one after the other in one process.
//!
//! `cargo run --release --no-default-features --example fill_bench`

use std::time::Instant;

use polars_kimsfinance::render::{Backend, CpuBackend, Rgba};

const ROUNDS: u32 = 300;
const BAND: Rgba = Rgba { r: 31, g: 119, b: 180, a: 51 };

/// A deterministic random-walk band: an upper line, then the lower line back, 30 to 130 px apart.
fn band() -> Vec<(f32, f32)> {
    let mut seed = 7u64;
    let mut mid = 400.0f32;
    let mut upper = Vec::with_capacity(500);
    let mut lower = Vec::with_capacity(500);
    for i in 0..500 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        mid = (mid + ((seed >> 40) as f32 / 16_777_216.0 - 0.5) * 16.0).clamp(150.0, 650.0);
        let half = 15.0 + (seed >> 56) as f32 / 255.0 * 50.0;
        let x = 60.0 + i as f32 * 3.6;
        upper.push((x, mid - half));
        lower.push((x, mid + half));
    }
    upper.extend(lower.into_iter().rev());
    upper
}

fn main() {
    let points = band();
    let white = Rgba { r: 255, g: 255, b: 255, a: 255 };

    let mut ours = CpuBackend::default();
    ours.begin(1920, 1080, white, true).expect("a 1920x1080 canvas");
    ours.polygon(&points, BAND);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        ours.polygon(&points, BAND);
    }
    let ours_us = started.elapsed().as_secs_f64() * 1e6 / ROUNDS as f64;

    let mut pixmap = tiny_skia::Pixmap::new(1920, 1080).expect("a 1920x1080 pixmap");
    pixmap.fill(tiny_skia::Color::WHITE);
    let mut builder = tiny_skia::PathBuilder::new();
    builder.move_to(points[0].0, points[0].1);
    for p in &points[1..] {
        builder.line_to(p.0, p.1);
    }
    builder.close();
    let path = builder.finish().expect("a 1000-point path");
    let mut paint = tiny_skia::Paint::default();
    paint.set_color_rgba8(BAND.r, BAND.g, BAND.b, BAND.a);
    paint.anti_alias = true;
    let fill = |pm: &mut tiny_skia::Pixmap| {
        pm.fill_path(&path, &paint, tiny_skia::FillRule::Winding, tiny_skia::Transform::identity(), None)
    };
    fill(&mut pixmap);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        fill(&mut pixmap);
    }
    let theirs_us = started.elapsed().as_secs_f64() * 1e6 / ROUNDS as f64;

    println!("area filler {ours_us:8.1} us per band (coverage and blend)");
    println!("tiny-skia   {theirs_us:8.1} us per band");
    println!("ratio       {:8.2}x (tiny-skia / area filler)", theirs_us / ours_us);
}
