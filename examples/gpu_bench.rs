//! CPU versus GPU rasterising of the same scene: 500 candles and 1M candles (aggregated to the plot width), at
//! 1920x1080 with volume, an SMA overlay and a title.
//!
//! `cargo run --release --no-default-features --features gpu --example gpu_bench [reps [candles...]]`
//! (`WGPU_BACKEND=vulkan` or `gl` picks the wgpu backend.)
//!
//! Columns: `scene` builds the draw list (shared by both engines); `cpu` is tiny-skia plus the straight-alpha
//! conversion; `gpu` is tessellation, upload, one render pass, readback and conversion; `png cpu` / `png gpu` are
//! whole `render()` calls to PNG. Times are the median of `reps` runs (default 15) after one warm-up run.

use std::time::Instant;

use polars_kimsfinance::render::gpu::{gpu_adapter, render_gpu};
use polars_kimsfinance::render::{build_scene, rasterize, render, Columns, Engine, Input, Options, Series};

/// Timestamps, open, high, low, close, volume.
type Walk = (Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

fn walk(n: usize) -> Walk {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut cols = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut price = 100.0;
    for i in 0..n {
        let open = price;
        let close = (open + (rnd() - 0.5) * 2.0).max(1.0);
        cols.0.push(1_704_187_800_000_000 + i as i64 * 60_000_000);
        cols.1.push(open);
        cols.2.push(open.max(close) + rnd() * 0.8);
        cols.3.push(open.min(close) - rnd() * 0.8);
        cols.4.push(close);
        cols.5.push(1000.0 + rnd() * 9000.0);
        price = close;
    }
    cols
}

fn moving_average(x: &[f64], n: usize) -> Vec<f64> {
    let mut sum = 0.0;
    (0..x.len())
        .map(|i| {
            sum += x[i];
            if i >= n {
                sum -= x[i - n];
            }
            if i + 1 >= n {
                sum / n as f64
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Median milliseconds of `reps` runs of `f`, after one untimed run.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let reps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let t = Instant::now();
    let adapter = match gpu_adapter() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("no GPU: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "adapter: {} ({}, {}, driver {}){}; device creation {:.0} ms",
        adapter.name,
        adapter.backend,
        adapter.device_type,
        adapter.driver,
        if adapter.software { ", software" } else { "" },
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "{:>10} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "candles", "aa", "scene", "cpu", "gpu", "png cpu", "png gpu", "mean|diff|"
    );
    let sizes: Vec<usize> = std::env::args().skip(2).filter_map(|s| s.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![500, 1_000_000] } else { sizes };
    for n in sizes {
        let (ts, o, h, l, c, v) = walk(n);
        let ma = moving_average(&c, 20);
        let cols = Columns { timestamps: Some(&ts), open: &o, high: &h, low: &l, close: &c, volume: Some(&v) };
        for antialias in [true, false] {
            let opts = Options {
                width: 1920,
                height: 1080,
                antialias,
                title: Some(format!("{n} candles")),
                overlays: vec![Series { label: "SMA 20".into(), values: &ma, color: None }],
                ..Options::default()
            };
            let reps = if n > 100_000 { reps.min(7) } else { reps };
            let scene_ms = median_ms(reps, || {
                build_scene(&Input::Bars(cols), &opts).expect("scene");
            });
            let scene = build_scene(&Input::Bars(cols), &opts).expect("scene");
            let cpu_ms = median_ms(reps, || {
                rasterize(&scene).expect("cpu");
            });
            let gpu_ms = median_ms(reps, || {
                render_gpu(&scene).expect("gpu");
            });
            let png_cpu = median_ms(reps, || {
                render(cols, &opts).expect("render cpu");
            });
            let gpu_opts = Options { engine: Engine::Gpu, ..opts.clone() };
            let png_gpu = median_ms(reps, || {
                render(cols, &gpu_opts).expect("render gpu");
            });
            let a = rasterize(&scene).expect("cpu");
            let b = render_gpu(&scene).expect("gpu");
            let diff = a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y) as u64).sum::<u64>() as f64 / a.len() as f64;
            println!(
                "{n:>10} {:>6} {scene_ms:>9.2} {cpu_ms:>9.2} {gpu_ms:>9.2} {png_cpu:>9.2} {png_gpu:>9.2} {diff:>12.4}",
                antialias
            );
        }
    }
}
