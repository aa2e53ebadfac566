//! Times the renderer: 500 candles at 1920x1080 to PNG (with volume and axes), and 10M candles.
//!
//! `cargo run --release --no-default-features --example render_bench [out_dir]` (writes the PNGs when given a dir).

use std::time::Instant;

use polars_kimsfinance::render::{render, Columns, Format, Options, PngSpeed, Series};

/// Deterministic random-walk OHLCV bars, one minute apart from 2024-01-02 09:30 UTC.
fn walk(n: usize) -> (Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut t, mut o, mut h, mut l, mut c, mut v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut price = 100.0;
    for i in 0..n {
        let open = price;
        let close = (open + (rnd() - 0.5) * 2.0).max(1.0);
        t.push(1_704_187_800_000_000 + i as i64 * 60_000_000);
        o.push(open);
        c.push(close);
        h.push(open.max(close) + rnd() * 0.8);
        l.push(open.min(close) - rnd() * 0.8);
        v.push(1000.0 + rnd() * 9000.0);
        price = close;
    }
    (t, o, h, l, c, v)
}

fn sma(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    let mut sum = 0.0;
    for i in 0..x.len() {
        sum += x[i];
        if i >= n {
            sum -= x[i - n];
        }
        if i + 1 >= n {
            out[i] = sum / n as f64;
        }
    }
    out
}

fn main() {
    let out_dir = std::env::args().nth(1);
    for (n, reps) in [(500usize, 20usize), (10_000_000, 3)] {
        let (t, o, h, l, c, v) = walk(n);
        let ma = sma(&c, 20);
        let cols = Columns { timestamps: Some(&t), open: &o, high: &h, low: &l, close: &c, volume: Some(&v) };
        for format in [Format::Png(PngSpeed::Fast), Format::Png(PngSpeed::Balanced), Format::WebP, Format::Svg] {
            if n > 1000 && matches!(format, Format::WebP | Format::Svg) {
                continue;
            }
            let opts = Options {
                width: 1920,
                height: 1080,
                title: Some(format!("{n} candles")),
                overlays: vec![Series { label: "SMA 20".into(), values: &ma, color: None }],
                format,
                ..Options::default()
            };
            let mut best = f64::INFINITY;
            let mut last = None;
            for _ in 0..reps {
                let t0 = Instant::now();
                let r = render(cols, &opts).expect("render");
                best = best.min(t0.elapsed().as_secs_f64() * 1e3);
                last = Some(r);
            }
            let r = last.expect("at least one rep");
            let tm = r.timings;
            println!(
                "{n:>9} candles 1920x1080 {format:?}: best {best:.2} ms (scene {:.2} draw {:.2} convert {:.2} encode {:.2} ms, last run) {} bytes, {} slots",
                tm.scene_us as f64 / 1e3,
                tm.draw_us as f64 / 1e3,
                tm.convert_us as f64 / 1e3,
                tm.encode_us as f64 / 1e3,
                r.bytes.len(),
                r.slots
            );
            if let Some(dir) = &out_dir {
                std::fs::write(format!("{dir}/bench-{n}-{format:?}.bin"), &r.bytes).expect("write png");
            }
        }
    }
}
