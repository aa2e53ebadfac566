//! CRC-32 and Adler-32 throughput over a 1920x1080 RGBA chart's worth of bytes (8.3 MB).
//!
//! `cargo run --release --no-default-features --example crc_bench`

use std::time::Instant;

#[path = "../src/render/checksum.rs"]
#[allow(dead_code)]
mod checksum;

const BYTES: usize = 1920 * 1080 * 4;
const ROUNDS: usize = 25;

/// Median GB/s of `f` over `data`.
fn throughput(data: &[u8], mut f: impl FnMut(&[u8]) -> u32) -> (f64, u32) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut sum = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        sum = std::hint::black_box(f(std::hint::black_box(data)));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (data.len() as f64 / times[ROUNDS / 2] / 1e9, sum)
}

fn main() {
    // Pseudo-random bytes: no checksum here has a fast path for repeated data.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let data: Vec<u8> = (0..BYTES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect();
    println!("{BYTES} bytes, median of {ROUNDS}");
    // The hand-written slice-by-8 CRC-32 this replaced measured 1.58 GB/s here against crc32fast's 21 GB/s
    // (docs/render.md, "Encoder").
    let (gbs, _) = throughput(&data, crc32fast::hash);
    println!("crc32fast::hash:       {gbs:.2} GB/s ({:.2} ms)", BYTES as f64 / gbs / 1e6);
    let (gbs, _) = throughput(&data, |d| {
        let mut a = checksum::Adler32::default();
        a.update(d);
        a.finish()
    });
    println!("adler32 (byte loop):   {gbs:.2} GB/s ({:.2} ms)", BYTES as f64 / gbs / 1e6);
}
