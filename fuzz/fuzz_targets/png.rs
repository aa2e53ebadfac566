//! The PNG encoders (every speed preset) and the lossless WebP encoder over arbitrary straight-RGBA pixmaps: the
//! output must decode, with independent decoders (the png and image-webp crates), to exactly the input.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use polars_kimsfinance::render::{encode_png, encode_webp, PngSpeed};

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    buf.truncate(info.buffer_size());
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Indexed => panic!("indexed output after EXPAND"),
    };
    (info.width, info.height, rgba)
}

fn decode_webp(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).expect("webp header");
    let (w, h) = decoder.dimensions();
    let mut buf = vec![0; decoder.output_buffer_size().expect("webp size")];
    decoder.read_image(&mut buf).expect("webp data");
    let rgba =
        if decoder.has_alpha() { buf } else { buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect() };
    (w, h, rgba)
}

fuzz_target!(|data: &[u8]| {
    let [w, h, mode, rest @ ..] = data else { return };
    let (width, height) = (u32::from(*w % 64) + 1, u32::from(*h % 64) + 1);
    let n = (width * height * 4) as usize;
    // The pixels: the remaining bytes, repeated to fill the image (so short inputs still make wide images); mode
    // bit 0 makes every pixel opaque (the encoders write those as RGB), bit 1 zeroes alpha-0 pixels' colour.
    let mut rgba: Vec<u8> = if rest.is_empty() { vec![0; n] } else { rest.iter().copied().cycle().take(n).collect() };
    for p in rgba.chunks_exact_mut(4) {
        if mode & 1 == 1 {
            p[3] = 255;
        }
        if mode & 2 == 2 && p[3] == 0 {
            p[..3].fill(0);
        }
    }
    for speed in [PngSpeed::Fast, PngSpeed::Balanced, PngSpeed::Best] {
        if speed == PngSpeed::Best && n > 4096 {
            continue; // the slowest preset on small images only, to keep the executions per second up
        }
        let out = encode_png(&rgba, width, height, speed).expect("encode png");
        assert_eq!(decode_png(&out), (width, height, rgba.clone()), "{speed:?}");
    }
    let out = encode_webp(&rgba, width, height).expect("encode webp");
    assert_eq!(decode_webp(&out), (width, height, rgba.clone()), "webp");
    // A buffer of the wrong length is an error, not a panic; an empty image either.
    assert!(encode_png(&rgba[..n - 1], width, height, PngSpeed::Fast).is_err());
    for speed in [PngSpeed::Fast, PngSpeed::Balanced] {
        let _ = encode_png(&[], 0, height, speed);
        let _ = encode_png(&[], width, 0, speed);
    }
    let _ = encode_webp(&[], 0, 0);
});
