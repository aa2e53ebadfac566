//! Times the CPU backend's polyline stroker against tiny-skia's stroke on the same 500-point, 1.5 px line at
//! 1920x1080 (the size of an indicator panel's line), one after the other in one process.
//!
//! `cargo run --release --no-default-features --example stroke_bench`

use std::time::Instant;

use polars_kimsfinance::render::stroke::stroke;

const ROUNDS: u32 = 1000;

/// A deterministic random walk across the bottom panel of a 1080p chart.
fn wavy_line() -> Vec<(f32, f32)> {
    let mut seed = 1u64;
    let mut y = 100.0f32;
    (0..500)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            y = (y + ((seed >> 40) as f32 / 16_777_216.0 - 0.5) * 20.0).clamp(10.0, 190.0);
            (60.0 + i as f32 * 3.6, 800.0 + y)
        })
        .collect()
}

fn main() {
    let points = wavy_line();
    let mut covered = 0usize;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        stroke(1920, 1080, &points, 1.5, |_, _| covered += 1);
    }
    let ours = started.elapsed().as_secs_f64() * 1e6 / ROUNDS as f64;

    let mut pixmap = tiny_skia::Pixmap::new(1920, 1080).expect("a 1920x1080 pixmap");
    let mut builder = tiny_skia::PathBuilder::new();
    builder.move_to(points[0].0, points[0].1);
    for p in &points[1..] {
        builder.line_to(p.0, p.1);
    }
    let path = builder.finish().expect("a 500-point path");
    let style = tiny_skia::Stroke { width: 1.5, line_join: tiny_skia::LineJoin::Round, ..Default::default() };
    let paint = tiny_skia::Paint::default();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        pixmap.stroke_path(&path, &paint, &style, tiny_skia::Transform::identity(), None);
    }
    let theirs = started.elapsed().as_secs_f64() * 1e6 / ROUNDS as f64;

    println!("stroker     {ours:8.1} us per line ({} pixels covered)", covered / ROUNDS as usize);
    println!("tiny-skia   {theirs:8.1} us per line");
    println!("ratio       {:8.2}x (tiny-skia / stroker)", theirs / ours);
}
