//! Encoders: pixmap → straight RGBA → PNG / WebP. The `fast` PNG preset is [`super::png_fast`]; `balanced` and
//! `best` use the png crate's zlib levels.

use tiny_skia::Pixmap;

use super::error::RenderError;
use super::options::PngSpeed;
use super::png_fast;

/// Straight-alpha RGBA bytes of a premultiplied pixmap (a no-op copy-free pass for opaque pixels).
pub fn to_rgba(pixmap: Pixmap) -> Vec<u8> {
    let mut data = pixmap.take();
    unpremultiply(&mut data);
    data
}

/// Premultiplied → straight alpha, in place (opaque pixels are left alone).
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

/// PNG bytes of straight RGBA data. Fully opaque images are written as RGB (less to compress).
pub fn encode_png(rgba: &[u8], width: u32, height: u32, speed: PngSpeed) -> Result<Vec<u8>, RenderError> {
    if rgba.len() != width as usize * height as usize * 4 {
        return Err(RenderError::Encode(format!(
            "png: expected {} bytes, got {}",
            width as usize * height as usize * 4,
            rgba.len()
        )));
    }
    let compression = match speed {
        PngSpeed::Fast => return Ok(png_fast::encode_slice(rgba, width, height, png_fast::Alpha::Straight)),
        PngSpeed::Balanced => png::Compression::Balanced,
        PngSpeed::Best => png::Compression::High,
    };
    let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
    let rgb: Vec<u8>;
    let (data, color) = if opaque {
        rgb = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        (&rgb[..], png::ColorType::Rgb)
    } else {
        (rgba, png::ColorType::Rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 8 + 1024);
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(compression);
    let err = |e: png::EncodingError| RenderError::Encode(e.to_string());
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(data).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// Lossless WebP (VP8L) bytes of straight RGBA data.
pub fn encode_webp(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    if rgba.len() != width as usize * height as usize * 4 {
        return Err(RenderError::Encode(format!(
            "webp: expected {} bytes, got {}",
            width as usize * height as usize * 4,
            rgba.len()
        )));
    }
    let mut out = Vec::new();
    image_webp::WebPEncoder::new(&mut out)
        .encode(rgba, width, height, image_webp::ColorType::Rgba8)
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}
