//! Chart rendering in pure Rust.
//!
//! Data flows one way: [`Input`] (borrowed columns, or the bar kernels' [`Brick`]s / [`PnfColumn`]s) + [`Options`]
//! → [`Scene`] (layout, scales, ticks, draw list; more bars than pixel columns are aggregated per column first) →
//! a [`Backend`] ([`CpuBackend`] on tiny-skia, or [`SvgBackend`]; with the `gpu` feature, `gpu::render_gpu` on
//! wgpu, chosen by [`Options::engine`]) → one encoder chosen by the format in `encode::encode` (PNG `fast` from the
//! premultiplied pixmap, otherwise from straight RGBA: PNG `balanced` / `best`, raw RGBA, lossless WebP; SVG is
//! written from the scene). [`render`] runs the whole pipeline.
//!
//! ```
//! use polars_kimsfinance::render::{render, Columns, Options};
//! let (o, h, l, c) = (vec![1.0, 2.0], vec![2.5, 3.0], vec![0.5, 1.5], vec![2.0, 2.5]);
//! let cols = Columns { open: &o, high: &h, low: &l, close: &c, ..Default::default() };
//! let out = render(cols, &Options { width: 200, height: 120, ..Default::default() }).unwrap();
//! assert_eq!(&out.bytes[1..4], b"PNG");
//! ```

#![warn(missing_docs)]

mod annotations;
mod backend;
mod checksum;
mod color;
mod cpu;
mod data;
mod deflate;
mod encode;
mod error;
pub mod fill;
#[cfg(feature = "gpu")]
pub mod gpu;
mod options;
mod parallel;
mod png_fast;
mod rect_fill;
mod scene;
pub mod stroke;
mod svg;
mod text;
pub mod ticks;
mod tiles;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

pub use backend::{Backend, Recorder};
pub use color::{Palette, Rgba, Theme};
pub use cpu::CpuBackend;
use encode::Pixels;
pub use encode::{encode_png, encode_webp};
pub use error::RenderError;
pub use options::{
    ALine, Brick, ChartKind, ColorOverrides, Columns, Engine, Fill, Format, HLine, Input, LineLook, LineStyle,
    MarkerShape, Markers, Options, PanelLineKind, PnfColumn, PngSpeed, Series, SubPanel, VLine, MAX_SIZE, MIN_SIZE,
};
pub use scene::{build_scene, Anchor, PanelKind, PanelLayout, Primitive, RectF, Scene, XTick, YScale, YTick};
pub use svg::SvgBackend;

/// Where the time went, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Validation, aggregation, layout and draw list.
    pub scene_us: u64,
    /// Rasterising (or writing SVG).
    pub draw_us: u64,
    /// Premultiplied → straight RGBA (0 for the `fast` PNG preset, whose encoder converts as it goes).
    pub convert_us: u64,
    /// PNG / WebP encoding.
    pub encode_us: u64,
}

/// An encoded chart.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The encoded image (PNG, RGBA, SVG text or WebP).
    pub bytes: Vec<u8>,
    /// The format of `bytes`.
    pub format: Format,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Size of the RGBA buffer (`width * height * 4`).
    pub rgba_len: usize,
    /// Bars drawn (after per-pixel aggregation).
    pub slots: usize,
    /// Timings.
    pub timings: Timings,
}

fn micros(since: Instant) -> u64 {
    since.elapsed().as_micros() as u64
}

/// Renders a chart and encodes it in `options.format`.
pub fn render<'a>(input: impl Into<Input<'a>>, options: &Options) -> Result<Rendered, RenderError> {
    let input = input.into();
    let t0 = Instant::now();
    let scene = Arc::new(build_scene(&input, options)?);
    let scene_us = micros(t0);
    let mut out = render_shared(scene, options.format, options.engine)?;
    out.timings.scene_us = scene_us;
    Ok(out)
}

/// Draws a scene built by [`build_scene`] on `engine` and encodes it in `format` (`timings.scene_us` is 0: the
/// scene was built by the caller).
pub fn render_scene(scene: &Scene, format: Format, engine: Engine) -> Result<Rendered, RenderError> {
    if tiles::applies(scene, format, engine) {
        return render_tiled(Arc::new(scene.clone()), format, engine);
    }
    render_whole(scene, format, engine)
}

/// [`render_scene`] for a scene that can be shared with the helper threads (no copy of it for the strips).
fn render_shared(scene: Arc<Scene>, format: Format, engine: Engine) -> Result<Rendered, RenderError> {
    if tiles::applies(&scene, format, engine) {
        return render_tiled(scene, format, engine);
    }
    render_whole(&scene, format, engine)
}

/// A `fast` PNG drawn on the CPU, drawn and encoded strip by strip on every core ([`tiles`]): the same bytes as
/// the whole picture gives, which is drawn instead if a strip held a translucent pixel after all.
fn render_tiled(scene: Arc<Scene>, format: Format, engine: Engine) -> Result<Rendered, RenderError> {
    match tiles::png(scene.clone())? {
        Some((bytes, draw_us, encode_us)) => {
            Ok(finish(bytes, format, &scene, Timings { draw_us, encode_us, ..Timings::default() }))
        }
        None => render_whole(&scene, format, engine),
    }
}

/// [`render_scene`] drawing the whole picture, then encoding it.
fn render_whole(scene: &Scene, format: Format, engine: Engine) -> Result<Rendered, RenderError> {
    let mut timings = Timings::default();
    let (width, height) = (scene.width, scene.height);
    let bytes = match format {
        Format::Svg => {
            let t = Instant::now();
            let svg = SvgBackend::render(scene)?;
            timings.draw_us = micros(t);
            svg.into_bytes()
        }
        format => {
            let pixels = match engine {
                Engine::Cpu => {
                    let t = Instant::now();
                    let pixmap = CpuBackend::rasterize(scene)?;
                    timings.draw_us = micros(t);
                    let pixels = Pixels::premultiplied(pixmap.take());
                    if encode::reads_premultiplied(format) {
                        pixels
                    } else {
                        let t = Instant::now();
                        let straight = pixels.into_straight();
                        timings.convert_us = micros(t);
                        straight
                    }
                }
                Engine::Gpu => {
                    // Drawing, readback and the alpha conversion all count as draw time.
                    let t = Instant::now();
                    let rgba = rasterize_gpu(scene)?;
                    timings.draw_us = micros(t);
                    Pixels::straight(rgba)
                }
            };
            let t = Instant::now();
            let out = encode::encode(pixels, width, height, format)?;
            timings.encode_us = micros(t);
            out
        }
    };
    Ok(finish(bytes, format, scene, timings))
}

/// Draws many scenes with the GPU engine in few submissions (`gpu::render_gpu_batch_with`: pages of stacked
/// charts, one render pass and one readback each) and encodes each in its format on the helper threads while the
/// device draws the next page. Same results, chart for chart, as [`render_scene`] with [`Engine::Gpu`]; a chart
/// the GPU could not draw gets the error [`render`] would give (`param: "engine"`), so the caller can draw it on
/// the CPU. `draw_us` is the page's drawing and readback time shared equally by its charts; SVG charts are
/// written from their scenes directly.
#[cfg(feature = "gpu")]
pub fn render_scenes_gpu<S: std::borrow::Borrow<Scene>>(
    scenes: &[S],
    formats: &[Format],
) -> Vec<Result<Rendered, RenderError>> {
    use std::sync::Mutex;
    assert_eq!(scenes.len(), formats.len(), "render_scenes_gpu: one format per scene");
    let results: Vec<Mutex<Option<Result<Rendered, RenderError>>>> =
        (0..scenes.len()).map(|_| Mutex::new(None)).collect();
    let raster: Vec<usize> = (0..scenes.len()).filter(|&i| formats[i] != Format::Svg).collect();
    for (i, slot) in results.iter().enumerate() {
        if formats[i] == Format::Svg {
            let scene = scenes[i].borrow();
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(render_scene(scene, Format::Svg, Engine::Cpu));
        }
    }
    let batch: Vec<&Scene> = raster.iter().map(|&i| scenes[i].borrow()).collect();
    let mut page_start = Instant::now();
    gpu::render_gpu_batch_with(&batch, |page| {
        let draw_us = micros(page_start) / page.len().max(1) as u64;
        let page: Vec<Mutex<Option<gpu::PageItem>>> = page.into_iter().map(|item| Mutex::new(Some(item))).collect();
        crate::worker_pool::for_each_claimed(page.len(), crate::worker_pool::threads(), |k| {
            let Some((j, pixels)) = page[k].lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
            let (i, scene) = (raster[j], batch[j]);
            let result = pixels
                .map_err(|e| RenderError::InvalidInput { param: "engine".into(), message: e.to_string() })
                .and_then(|rgba| {
                    let t = Instant::now();
                    let bytes = encode::encode(Pixels::straight(rgba), scene.width, scene.height, formats[i])?;
                    let timings = Timings { draw_us, encode_us: micros(t), ..Timings::default() };
                    Ok(finish(bytes, formats[i], scene, timings))
                });
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        });
        page_start = Instant::now();
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(|| {
                Err(RenderError::InvalidInput { param: "engine".into(), message: "gpu: chart not delivered".into() })
            })
        })
        .collect()
}

fn finish(bytes: Vec<u8>, format: Format, scene: &Scene, timings: Timings) -> Rendered {
    let (width, height) = (scene.width, scene.height);
    Rendered {
        bytes,
        format,
        width,
        height,
        rgba_len: width as usize * height as usize * 4,
        slots: scene.slots,
        timings,
    }
}

/// Rasterises a scene to straight RGBA (`width * height * 4` bytes).
pub fn rasterize(scene: &Scene) -> Result<Vec<u8>, RenderError> {
    Ok(Pixels::premultiplied(CpuBackend::rasterize(scene)?.take()).into_rgba())
}

/// The GPU engine: straight RGBA from wgpu, or why not (the caller may retry with [`Engine::Cpu`]).
#[cfg(feature = "gpu")]
fn rasterize_gpu(scene: &Scene) -> Result<Vec<u8>, RenderError> {
    gpu::render_gpu(scene).map_err(|e| RenderError::InvalidInput { param: "engine".into(), message: e.to_string() })
}

/// Without the `gpu` feature the GPU engine is an error.
#[cfg(not(feature = "gpu"))]
fn rasterize_gpu(_scene: &Scene) -> Result<Vec<u8>, RenderError> {
    Err(RenderError::InvalidInput { param: "engine".into(), message: "gpu engine not built (feature \"gpu\")".into() })
}
