//! Encoders: pixels → PNG / WebP / raw RGBA. [`encode`] is the one place that picks the encoder for a
//! [`Format`]: the `fast` PNG preset is [`super::png_fast`] (which also reads premultiplied pixels, so the CPU
//! path hands it tiny-skia's buffer as is); `balanced` and `best` use the png crate's zlib levels; WebP is
//! image-webp's lossless encoder.

use std::borrow::Cow;

use super::color::unpremultiply;
use super::error::RenderError;
use super::options::{Format, PngSpeed};
use super::png_fast::{self, Alpha};

/// Pixels on their way to an encoder: `width * height * 4` bytes of RGBA, straight or premultiplied.
pub(crate) struct Pixels<'a> {
    data: Cow<'a, [u8]>,
    alpha: Alpha,
}

impl<'a> Pixels<'a> {
    /// Premultiplied pixels (tiny-skia's pixmap).
    pub fn premultiplied(data: Vec<u8>) -> Self {
        Pixels { data: Cow::Owned(data), alpha: Alpha::Premultiplied }
    }

    /// Straight-alpha pixels, owned (shared with the `fast` encoder's helper threads) or borrowed.
    pub fn straight(data: impl Into<Cow<'a, [u8]>>) -> Self {
        Pixels { data: data.into(), alpha: Alpha::Straight }
    }

    /// The same pixels with straight alpha (copied first when borrowed and premultiplied).
    pub fn into_straight(self) -> Self {
        match self.alpha {
            Alpha::Straight => self,
            Alpha::Premultiplied => {
                let mut data = self.data.into_owned();
                unpremultiply(&mut data);
                Pixels { data: Cow::Owned(data), alpha: Alpha::Straight }
            }
        }
    }

    /// The bytes as straight RGBA, owned.
    pub fn into_rgba(self) -> Vec<u8> {
        self.into_straight().data.into_owned()
    }
}

/// Whether the encoder for `format` reads premultiplied pixels itself (then the caller has no convert pass).
pub(crate) fn reads_premultiplied(format: Format) -> bool {
    format == Format::Png(PngSpeed::Fast)
}

/// Encodes `pixels` in `format` (not SVG, which is written from the scene, not from pixels).
pub(crate) fn encode(pixels: Pixels, width: u32, height: u32, format: Format) -> Result<Vec<u8>, RenderError> {
    // An image needs a pixel: PNG and WebP forbid empty sizes, and the fast PNG encoder divides by the width
    // (found by fuzz/fuzz_targets/png.rs).
    if width == 0 || height == 0 {
        return Err(RenderError::Encode(format!("{}: empty image ({width}x{height} pixels)", format_label(format))));
    }
    let expected = width as usize * height as usize * 4;
    if pixels.data.len() != expected {
        return Err(RenderError::Encode(format!(
            "{}: expected {expected} bytes, got {}",
            format_label(format),
            pixels.data.len()
        )));
    }
    match format {
        Format::Png(PngSpeed::Fast) => Ok(match pixels.data {
            // Owned pixels can be shared with the encoder's helper threads; borrowed ones are encoded on the
            // calling thread (same bytes).
            Cow::Owned(data) => png_fast::encode(data, width, height, pixels.alpha),
            Cow::Borrowed(data) => png_fast::encode_slice(data, width, height, pixels.alpha),
        }),
        Format::Png(PngSpeed::Balanced) => {
            zlib_png(&pixels.into_straight().data, width, height, png::Compression::Balanced)
        }
        Format::Png(PngSpeed::Best) => zlib_png(&pixels.into_straight().data, width, height, png::Compression::High),
        Format::WebP => webp(&pixels.into_straight().data, width, height),
        Format::Rgba => Ok(pixels.into_rgba()),
        Format::Svg => Err(RenderError::Encode("svg is written from the scene, not from pixels".into())),
    }
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::Png(_) => "png",
        Format::WebP => "webp",
        Format::Rgba => "rgba",
        Format::Svg => "svg",
    }
}

/// PNG bytes of straight RGBA data at a speed preset.
pub fn encode_png(rgba: &[u8], width: u32, height: u32, speed: PngSpeed) -> Result<Vec<u8>, RenderError> {
    encode(Pixels::straight(rgba), width, height, Format::Png(speed))
}

/// Lossless WebP (VP8L) bytes of straight RGBA data.
pub fn encode_webp(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    encode(Pixels::straight(rgba), width, height, Format::WebP)
}

/// The png crate at a zlib level. Fully opaque images are written as RGB (less to compress).
fn zlib_png(rgba: &[u8], width: u32, height: u32, compression: png::Compression) -> Result<Vec<u8>, RenderError> {
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

fn webp(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    image_webp::WebPEncoder::new(&mut out)
        .encode(rgba, width, height, image_webp::ColorType::Rgba8)
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_image_is_an_error_in_every_format() {
        // The fuzz finding: width 0 divided by zero in the fast PNG encoder's strip layout.
        for (w, h) in [(0, 5), (5, 0), (0, 0)] {
            for speed in [PngSpeed::Fast, PngSpeed::Balanced, PngSpeed::Best] {
                let e = encode_png(&[], w, h, speed).unwrap_err().to_string();
                assert!(e.contains("empty image"), "{e}");
            }
            assert!(encode_webp(&[], w, h).is_err());
            assert!(encode(Pixels::premultiplied(Vec::new()), w, h, Format::Rgba).is_err());
        }
    }
}
