//! Time the pure-Rust kernels on a long random walk (no Python, no Polars): `cargo run --release
//! --no-default-features --example kernel_bench [rows]`. Prints ns per row for each indicator.

use std::time::Instant;

use polars_kimsfinance::kernels::catalogue::compute;

fn main() {
    let rows: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    // A deterministic random walk from a small linear congruential generator.
    let mut state = 42u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut close = Vec::with_capacity(rows);
    let mut level = 100.0;
    for _ in 0..rows {
        level *= 1.0 + 0.01 * next();
        close.push(level);
    }
    let high: Vec<f64> = close.iter().map(|c| c * 1.004).collect();
    let low: Vec<f64> = close.iter().map(|c| c * 0.996).collect();
    let volume: Vec<f64> = close.iter().map(|c| (c * 1000.0).floor()).collect();
    let cases: Vec<(&str, Vec<(&str, f64)>, Vec<&[f64]>)> = vec![
        ("sma", vec![("window", 20.0)], vec![&close]),
        ("ema", vec![("window", 20.0)], vec![&close]),
        ("rsi", vec![("window", 14.0)], vec![&close]),
        ("atr", vec![("window", 14.0)], vec![&high, &low, &close]),
        ("macd", vec![("fastperiod", 12.0), ("slowperiod", 26.0), ("signalperiod", 9.0)], vec![&close]),
        ("bbands", vec![("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)], vec![&close]),
        ("stoch", vec![("fastk_period", 5.0), ("slowk_period", 3.0), ("slowd_period", 3.0)], vec![&high, &low, &close]),
        ("obv", vec![], vec![&close, &volume]),
    ];
    for (name, params, inputs) in cases {
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            let out = compute(name, &params, &inputs).expect("valid parameters");
            std::hint::black_box(&out);
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{name:>8}: {:6.2} ms  {:5.2} ns/row", best * 1e3, best * 1e9 / rows as f64);
    }
}
