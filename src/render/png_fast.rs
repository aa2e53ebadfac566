//! The `fast` PNG preset: an encoder made for charts, which are mostly flat colour.
//!
//! Every row uses the Up filter (the difference to the row above), so a row that repeats the one above, and the
//! stretches of a row that do, become zeros. Deflate then needs one kind of match only: a filtered pixel equal to
//! the one before it is copied from `bpp` bytes back, so runs of any repeated pixel (zeros, or the constant
//! difference along a horizontal edge) cost a few bits per 258 bytes, and the run search compares 8 pixels at a
//! time. Adler-32 folds a run in O(1) instead of byte by byte.
//!
//! The image is cut into horizontal strips whose height depends on the width only; each strip is an independent
//! deflate segment with its own Huffman codes, ended by an empty stored block so that segments join at byte
//! boundaries. Strips are encoded in parallel ([`super::parallel`]) and concatenated in order, so the bytes are the
//! same for any number of cores.
//!
//! Opaque images (the common case) are written as RGB: the encoder assumes opacity, checks it row by row and
//! starts again as RGBA at the first translucent pixel. Input may be premultiplied (tiny-skia's pixmap): opaque
//! pixels need no conversion, and in the RGBA case each row is converted as it is filtered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::checksum::Adler32;
use super::color::unpremultiply;
use super::deflate::{write_block, write_sync_flush, BitWriter, Tokens};
use super::parallel::map_indexed;

/// Whether colour channels are premultiplied by alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alpha {
    /// Straight (PNG's own convention).
    Straight,
    /// Premultiplied (tiny-skia's pixmap).
    Premultiplied,
}

/// Raw RGBA bytes per strip: 512 KiB, 16 strips for a full-HD chart. Small enough that a strip redone by the
/// caller for a late helper is cheap and that each strip's Huffman codes fit its content (smaller files than 1 MiB
/// strips, measured), large enough that a strip's code table (~100 bytes) is noise.
const STRIP_BYTES: usize = 1 << 19;
/// The PNG filter type byte for Up.
const FILTER_UP: u8 = 2;

/// Rows per strip: from the width alone, never from the machine.
pub(crate) fn strip_rows(width: usize) -> usize {
    (STRIP_BYTES / (width * 4)).max(1)
}

/// PNG bytes of `width * height` RGBA pixels, strips encoded in parallel (the pixels are shared with the helper
/// threads, hence owned).
pub fn encode(pixels: Vec<u8>, width: u32, height: u32, alpha: Alpha) -> Vec<u8> {
    encode_on(pixels, width, height, alpha, usize::MAX)
}

/// [`encode`] for borrowed pixels, on the calling thread only (same bytes).
pub fn encode_slice(pixels: &[u8], width: u32, height: u32, alpha: Alpha) -> Vec<u8> {
    let (w, h, rows, strips) = layout(pixels.len(), width, height);
    let run =
        |bpp: usize| (0..strips).map(|i| strip(pixels, w, h, rows, i, bpp, alpha, strips)).collect::<Option<Vec<_>>>();
    let (segments, bpp) = match run(3) {
        Some(s) => (s, 3),
        None => (run(4).expect("RGBA accepts every pixel"), 4),
    };
    container(width, height, bpp, segments.iter())
}

/// [`encode`] with at most `max_helpers` helper threads (tests pin it to show that the bytes do not depend on it).
fn encode_on(pixels: Vec<u8>, width: u32, height: u32, alpha: Alpha, max_helpers: usize) -> Vec<u8> {
    let (w, h, rows, strips) = layout(pixels.len(), width, height);
    let pixels = Arc::new(pixels);
    let run = |bpp: usize| {
        // Once a strip finds a translucent pixel the opaque attempt is void: the other strips stop early.
        let translucent = Arc::new(AtomicBool::new(false));
        let px = pixels.clone();
        let segments = map_indexed(strips, max_helpers, move |i| {
            if translucent.load(Ordering::Relaxed) {
                return None;
            }
            let seg = strip(&px, w, h, rows, i, bpp, alpha, strips);
            if seg.is_none() {
                translucent.store(true, Ordering::Relaxed);
            }
            seg
        });
        segments.iter().all(|s| s.is_some()).then_some(segments)
    };
    let (segments, bpp) = match run(3) {
        Some(s) => (s, 3),
        None => (run(4).expect("RGBA accepts every pixel"), 4),
    };
    container(width, height, bpp, segments.iter().map(|s| s.as_ref().as_ref().expect("checked above")))
}

/// Width, height, rows per strip and strip count, after checking the buffer size.
fn layout(len: usize, width: u32, height: u32) -> (usize, usize, usize, usize) {
    let (w, h) = (width as usize, height as usize);
    assert_eq!(len, w * h * 4, "png_fast: {w}x{h} needs {} bytes, got {len}", w * h * 4);
    let rows = strip_rows(w);
    (w, h, rows, h.div_ceil(rows))
}

/// Strip `i` of `strips`.
#[allow(clippy::too_many_arguments)]
fn strip(
    pixels: &[u8],
    w: usize,
    h: usize,
    rows: usize,
    i: usize,
    bpp: usize,
    alpha: Alpha,
    strips: usize,
) -> Option<Segment> {
    encode_strip(pixels, w, i * rows, ((i + 1) * rows).min(h), bpp, alpha, i + 1 == strips)
}

/// The segment of one strip of an opaque image from its premultiplied rows alone, for a strip drawn by itself:
/// `band` holds the strip's rows, after the row above the strip (the Up filter's reference) unless the strip
/// begins the image. The same bytes as the strip gets in [`encode`]; `None` when a pixel is not opaque.
pub(crate) fn encode_band(band: &[u8], w: usize, begins_image: bool, last: bool) -> Option<Segment> {
    let held = band.len() / (w * 4);
    let first = usize::from(!begins_image);
    encode_strip(band, w, first, held, 3, Alpha::Premultiplied, last)
}

/// One strip's deflate bytes and the Adler-32 of its uncompressed (filtered) bytes.
pub(crate) struct Segment {
    bytes: Vec<u8>,
    adler: Adler32,
}

/// Filters and compresses rows `y0..y1`; `None` when `bpp` is 3 and a pixel is not opaque. With AVX2 the same
/// code is compiled for 256-bit vectors (the output bytes are the same either way).
fn encode_strip(
    pixels: &[u8],
    w: usize,
    y0: usize,
    y1: usize,
    bpp: usize,
    alpha: Alpha,
    last: bool,
) -> Option<Segment> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has just been checked for AVX2.
        return unsafe { encode_strip_avx2(pixels, w, y0, y1, bpp, alpha, last) };
    }
    strip_body(pixels, w, y0, y1, bpp, alpha, last)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn encode_strip_avx2(
    pixels: &[u8],
    w: usize,
    y0: usize,
    y1: usize,
    bpp: usize,
    alpha: Alpha,
    last: bool,
) -> Option<Segment> {
    strip_body(pixels, w, y0, y1, bpp, alpha, last)
}

#[inline(always)]
fn strip_body(pixels: &[u8], w: usize, y0: usize, y1: usize, bpp: usize, alpha: Alpha, last: bool) -> Option<Segment> {
    let stride = w * 4;
    let row = |y: usize| &pixels[y * stride..(y + 1) * stride];
    // RGBA from premultiplied input needs straight rows: this one and the one above (the filter's reference).
    let convert = bpp == 4 && alpha == Alpha::Premultiplied;
    let straight = |y: usize, buf: &mut Vec<u8>| {
        buf.clear();
        buf.extend_from_slice(row(y));
        unpremultiply(buf);
    };
    let (mut cur_buf, mut prev_buf) = (Vec::new(), Vec::new());
    if y0 == 0 {
        prev_buf = vec![0u8; stride]; // the row above the image counts as zeros
    } else if convert {
        straight(y0 - 1, &mut prev_buf);
    }
    // The alpha channel's difference is masked off for RGB output.
    let mask: u32 = if bpp == 3 { 0x00FF_FFFF } else { u32::MAX };
    let mut filtered = vec![0u32; w];
    let mut tokens = Tokens::with_capacity((y1 - y0) * 64);
    let mut adler = Adler32::default();

    for y in y0..y1 {
        let cur: &[u8] = if convert {
            straight(y, &mut cur_buf);
            &cur_buf
        } else {
            row(y)
        };
        let prev: &[u8] = if y == 0 || convert { &prev_buf } else { row(y - 1) };
        // One pass: the Up difference of each pixel and the AND of all pixels (its top byte is the row's
        // minimum alpha bitwise, 0xFF only when every pixel is opaque).
        let mut all = u32::MAX;
        for ((f, c), p) in filtered.iter_mut().zip(cur.chunks_exact(4)).zip(prev.chunks_exact(4)) {
            let c = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            let p = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
            all &= c;
            *f = sub_bytes(c, p) & mask;
        }
        if bpp == 3 && all >> 24 != 0xFF {
            return None;
        }
        tokens.literal(FILTER_UP);
        adler.update(&[FILTER_UP]);
        compress_row(&filtered, bpp, &mut tokens, &mut adler);
        if convert {
            std::mem::swap(&mut cur_buf, &mut prev_buf);
        }
    }

    let mut bits = BitWriter::with_capacity(tokens.len() / 2 + 64);
    write_block(&mut bits, &tokens, last);
    let bytes = if last { bits.finish() } else { write_sync_flush(bits) };
    Some(Segment { bytes, adler })
}

/// Bytewise wrapping `c - p` of four bytes at once: the high bit of each byte is handled apart so that no
/// borrow crosses into the next byte.
#[inline]
fn sub_bytes(c: u32, p: u32) -> u32 {
    const H: u32 = 0x8080_8080;
    ((c | H).wrapping_sub(p & !H)) ^ ((c ^ !p) & H)
}

/// Tokens for one filtered row: a pixel equal to the previous one extends a run, copied from `bpp` bytes back.
#[inline(always)]
fn compress_row(f: &[u32], bpp: usize, tokens: &mut Tokens, adler: &mut Adler32) {
    let literal = |v: u32, tokens: &mut Tokens, adler: &mut Adler32| {
        let bytes = v.to_le_bytes();
        for &b in &bytes[..bpp] {
            tokens.literal(b);
        }
        adler.update(&bytes[..bpp]);
    };
    let w = f.len();
    literal(f[0], tokens, adler);
    let mut x = 1;
    while x < w {
        let v = f[x - 1];
        if f[x] != v {
            literal(f[x], tokens, adler);
            x += 1;
            continue;
        }
        let start = x;
        // Eight pixels per step (one vector compare); the tail one by one.
        while x + 8 <= w && f[x..x + 8].iter().fold(0, |acc, &p| acc | (p ^ v)) == 0 {
            x += 8;
        }
        while x < w && f[x] == v {
            x += 1;
        }
        let n = x - start;
        tokens.repeat(n * bpp, bpp as u16);
        adler.repeat(&v.to_le_bytes()[..bpp], n as u64);
    }
}

/// Signature, IHDR, one IDAT holding the zlib stream (header, segments, Adler-32), IEND.
pub(crate) fn container<'a>(
    width: u32,
    height: u32,
    bpp: usize,
    segments: impl Iterator<Item = &'a Segment> + Clone,
) -> Vec<u8> {
    let body: usize = segments.clone().map(|s| s.bytes.len()).sum();
    let mut out = Vec::with_capacity(body + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&width.to_be_bytes());
    ihdr[4..8].copy_from_slice(&height.to_be_bytes());
    ihdr[8] = 8; // bits per channel
    ihdr[9] = if bpp == 3 { 2 } else { 6 }; // colour type: RGB or RGBA
                                            // Compression, filter method and interlacing stay 0 (deflate, adaptive filtering, none).
    chunk(&mut out, b"IHDR", &[&ihdr]);

    // zlib header: deflate with a 32 KiB window (0x78), no dictionary, check bits making 0x7801 a multiple of 31.
    let adler = segments.clone().fold(Adler32::default(), |acc, s| acc.combine(s.adler));
    let trailer = adler.finish().to_be_bytes();
    let mut parts: Vec<&[u8]> = vec![&[0x78, 0x01]];
    parts.extend(segments.map(|s| &s.bytes[..]));
    parts.push(&trailer);
    chunk(&mut out, b"IDAT", &parts);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends a chunk: length, type, data (given in pieces), CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.extend_from_slice(&(len as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    for p in parts {
        out.extend_from_slice(p);
    }
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::{decode_png as decode, noise};
    use crate::render::{rasterize, Columns, Options};

    fn opaque_noise(w: usize, h: usize, seed: u64) -> Vec<u8> {
        let mut px = noise(w * h * 4, seed);
        px.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        px
    }

    /// The Adler-32 stored in the zlib trailer must match the Up-filtered rows recomputed from the pixels.
    fn check_trailer(png_bytes: &[u8], rgba: &[u8], w: usize, bpp: usize) {
        let iend = png_bytes.len() - 12;
        let stored = u32::from_be_bytes(png_bytes[iend - 8..iend - 4].try_into().unwrap());
        let (mut a, mut b) = (1u64, 0u64);
        let mut feed = |x: u8| {
            a = (a + x as u64) % 65_521;
            b = (b + a) % 65_521;
        };
        let zero = vec![0u8; w * 4];
        for (y, row) in rgba.chunks_exact(w * 4).enumerate() {
            let prev = if y == 0 { &zero[..] } else { &rgba[(y - 1) * w * 4..y * w * 4] };
            feed(FILTER_UP);
            for (c, p) in row.chunks_exact(4).zip(prev.chunks_exact(4)) {
                for k in 0..bpp {
                    feed(c[k].wrapping_sub(p[k]));
                }
            }
        }
        assert_eq!(stored, ((b << 16) | a) as u32, "zlib trailer");
    }

    /// Every chunk's stored CRC-32 must match a bitwise reference over its type and data.
    fn check_chunk_crcs(png_bytes: &[u8]) {
        let bitwise = |data: &[u8]| {
            let mut r = 0xFFFF_FFFFu32;
            for &b in data {
                r ^= b as u32;
                for _ in 0..8 {
                    r = if r & 1 != 0 { 0xEDB8_8320 ^ (r >> 1) } else { r >> 1 };
                }
            }
            !r
        };
        let mut at = 8; // after the signature
        while at < png_bytes.len() {
            let len = u32::from_be_bytes(png_bytes[at..at + 4].try_into().unwrap()) as usize;
            let body = &png_bytes[at + 4..at + 8 + len];
            let stored = u32::from_be_bytes(png_bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(stored, bitwise(body), "CRC of chunk {:?}", String::from_utf8_lossy(&body[..4]));
            at += 12 + len;
        }
        assert_eq!(at, png_bytes.len());
        assert_eq!(&png_bytes[png_bytes.len() - 4..], &[0xAE, 0x42, 0x60, 0x82], "IEND's CRC");
    }

    fn round_trip(rgba: &[u8], w: usize, h: usize) -> Vec<u8> {
        let out = encode(rgba.to_vec(), w as u32, h as u32, Alpha::Straight);
        assert_eq!(encode_slice(rgba, w as u32, h as u32, Alpha::Straight), out, "{w}x{h}: threads changed the bytes");
        let (color, dw, dh, back) = decode(&out);
        assert_eq!((dw as usize, dh as usize), (w, h));
        assert!(back == rgba, "{w}x{h}: decoded pixels differ");
        let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
        assert_eq!(color, if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
        check_trailer(&out, rgba, w, if opaque { 3 } else { 4 });
        check_chunk_crcs(&out);
        out
    }

    #[test]
    fn round_trips_many_shapes_and_contents() {
        for (w, h) in
            [(1, 1), (2, 1), (1, 2), (3, 3), (5, 7), (13, 11), (64, 64), (257, 3), (1, 700), (4001, 2), (333, 517)]
        {
            round_trip(&opaque_noise(w, h, (w * 31 + h) as u64), w, h);
            let one_colour: Vec<u8> = [12u8, 200, 99, 255].repeat(w * h);
            round_trip(&one_colour, w, h);
            // Translucent noise: written as RGBA.
            round_trip(&noise(w * h * 4, (w + h * 7) as u64), w, h);
        }
    }

    #[test]
    fn runs_and_edges() {
        // Long flat stretches with a few changed pixels: runs of every length around the 258-byte match limit,
        // horizontal lines (constant non-zero differences), and a translucent pixel deep into the image.
        let (w, h) = (1000, 300);
        let mut px = [250u8, 250, 250, 255].repeat(w * h);
        for y in 0..h {
            for x in (y % 97..w).step_by(83 + y % 5) {
                px[(y * w + x) * 4] = (x * y) as u8;
            }
            if y % 50 == 7 {
                px[y * w * 4..(y + 1) * w * 4].chunks_exact_mut(4).for_each(|p| p[..3].copy_from_slice(&[1, 2, 3]));
            }
        }
        round_trip(&px, w, h);
        px[(250 * w + 999) * 4 + 3] = 128;
        round_trip(&px, w, h);
    }

    #[test]
    fn premultiplied_input_is_unpremultiplied() {
        let (w, h) = (97, 41);
        let mut premul = noise(w * h * 4, 11);
        for p in premul.chunks_exact_mut(4) {
            for k in 0..3 {
                p[k] = p[k].min(p[3]);
            }
        }
        let mut straight = premul.clone();
        unpremultiply(&mut straight);
        let out = encode(premul.clone(), w as u32, h as u32, Alpha::Premultiplied);
        assert_eq!(encode_slice(&premul, w as u32, h as u32, Alpha::Premultiplied), out);
        let (color, _, _, back) = decode(&out);
        assert_eq!(color, png::ColorType::Rgba);
        assert!(back == straight);
        // Opaque premultiplied pixels are their straight values: same bytes as the straight encoding.
        let opaque = opaque_noise(w, h, 12);
        assert_eq!(
            encode(opaque.clone(), w as u32, h as u32, Alpha::Premultiplied),
            encode_slice(&opaque, w as u32, h as u32, Alpha::Straight)
        );
    }

    #[test]
    fn strips_join_into_one_stream_and_bytes_do_not_depend_on_threads() {
        // 1000 rows of 800 pixels: strip_rows(800) = 163, so seven strips, the last one short. Later a translucent
        // pixel in the last strip only: the opaque attempt must give up and restart as RGBA.
        let (w, h) = (800usize, 1000usize);
        assert!(h.div_ceil(strip_rows(w)) >= 3);
        let mut px = opaque_noise(w, h, 5);
        for y in 0..h {
            // Flat bands so every strip has runs as well as literals.
            if (y / 40) % 2 == 0 {
                px[y * w * 4..(y + 1) * w * 4]
                    .chunks_exact_mut(4)
                    .for_each(|p| p[..3].copy_from_slice(&[9, 9, (y / 40) as u8]));
            }
        }
        let opaque_png = round_trip(&px, w, h);
        for helpers in [0, 1, 2, 16] {
            assert_eq!(
                encode_on(px.clone(), w as u32, h as u32, Alpha::Straight, helpers),
                opaque_png,
                "{helpers} helpers"
            );
        }
        // Each non-final strip ends with the sync-flush marker 00 00 FF FF, and the stream has no other stored block.
        let markers = opaque_png.windows(4).filter(|x| x == &[0, 0, 0xFF, 0xFF]).count();
        assert!(markers >= h.div_ceil(strip_rows(w)) - 1);
        px[(h - 1) * w * 4 + 3] = 7;
        let rgba_png = round_trip(&px, w, h);
        assert_eq!(encode_on(px.clone(), w as u32, h as u32, Alpha::Straight, 0), rgba_png);
    }

    #[test]
    fn the_avx2_build_of_a_strip_gives_the_portable_builds_bytes() {
        // encode_strip picks the AVX2 compilation where the CPU has it; strip_body is the portable one.
        let (w, h) = (301, 90);
        let mut px = opaque_noise(w, h, 21);
        px[..w * 4 * 40].chunks_exact_mut(4).for_each(|p| p.copy_from_slice(&[7, 7, 7, 255]));
        for (bpp, alpha) in [(3, Alpha::Straight), (4, Alpha::Straight), (4, Alpha::Premultiplied)] {
            let a = encode_strip(&px, w, 10, 80, bpp, alpha, false).unwrap();
            let b = strip_body(&px, w, 10, 80, bpp, alpha, false).unwrap();
            assert_eq!((a.bytes, a.adler), (b.bytes, b.adler));
        }
    }

    #[test]
    fn repeated_calls_give_identical_bytes() {
        let px = opaque_noise(640, 480, 99);
        let first = encode(px.clone(), 640, 480, Alpha::Straight);
        for _ in 0..5 {
            assert_eq!(encode(px.clone(), 640, 480, Alpha::Straight), first);
        }
    }

    #[test]
    fn a_real_chart_round_trips_and_is_smaller_than_the_raw_pixels() {
        let n = 300;
        let close: Vec<f64> = (0..n).map(|i| 100.0 + (i as f64 * 0.37).sin() * 5.0 + i as f64 * 0.02).collect();
        let open: Vec<f64> = close.iter().enumerate().map(|(i, c)| c + if i % 3 == 0 { 0.8 } else { -0.6 }).collect();
        let high: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.max(*c) + 0.5).collect();
        let low: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.min(*c) - 0.5).collect();
        let vol: Vec<f64> = (0..n).map(|i| 1000.0 + (i * 37 % 101) as f64 * 10.0).collect();
        let cols =
            Columns { open: &open, high: &high, low: &low, close: &close, volume: Some(&vol), ..Default::default() };
        let scene =
            crate::render::build_scene(&cols.into(), &Options { width: 1280, height: 720, ..Default::default() })
                .unwrap();
        let rgba = rasterize(&scene).unwrap();
        let out = round_trip(&rgba, 1280, 720);
        assert!(out.len() < rgba.len() / 20, "{} bytes for a chart", out.len());
    }
}
