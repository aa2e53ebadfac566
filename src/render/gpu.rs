//! The GPU backend (cargo feature `gpu`): the same [`Scene`] drawn by wgpu into an offscreen texture.
//!
//! How it works:
//!
//! * **Tessellation on the CPU.** A private `Tessellator` implements [`Backend`], so the scene's draw list is walked exactly
//!   as the CPU backend walks it. Rects become 2 triangles, lines quads of their width (butt caps), polylines one
//!   quad per segment plus a small fan at each inner vertex (round joins), circles a ring of quads, polygons a
//!   triangle fan. Everything ends up in one vertex buffer, in painting order.
//! * **Overlap and winding via the stencil buffer.** Opaque strokes, rects and text are drawn directly. A polygon
//!   (possibly concave) is drawn in two steps: its fan marks the stencil with the non-zero winding rule (front
//!   faces increment, back faces decrement), then a bounding box is drawn where the stencil is non-zero, which
//!   also resets it. Translucent strokes use the same two steps, so a pixel where segments or joins overlap is
//!   blended once, as with tiny-skia's path stroking.
//! * **Text from the CPU font rasteriser.** The glyphs the scene uses (same fontdue bitmaps and cache as the CPU
//!   backend) are packed into an `R8Unorm` atlas; each glyph is a pixel-aligned textured quad at the position
//!   the CPU backend would use, so text stays in painting order and its coverage is exactly the CPU's.
//! * **One render pass**, 4x MSAA when the scene is antialiased (resolved into the output texture), premultiplied
//!   source-over blending into an `Rgba8Unorm` texture. The texture is copied into a `MAP_READ` buffer whose rows
//!   are padded to 256 bytes, read back, unpadded and converted to straight alpha.
//!
//! The instance, adapter, device and pipelines are created once per process (on first use) and shared by all
//! threads; if the device is lost, the next call creates a new one. Every failure (no adapter, validation or
//! out-of-memory error, device lost, timeout, even a panic inside wgpu) is a [`GpuError`], so callers can fall
//! back to the CPU backend.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use super::backend::{is_finite_point, Backend};
use super::color::{unpremultiply, Rgba};
use super::error::RenderError;
use super::scene::{Anchor, Scene};
use super::text::{centred_glyphs, glyph, text_width, Glyph, Turn};

const SHADER: &str = include_str!("shaders/scene.wgsl");
/// Bytes per vertex: position (2 × f32), atlas texel (2 × f32), colour (4 × u8).
const VERTEX_SIZE: usize = 20;
/// Width of the glyph atlas.
const ATLAS_WIDTH: u32 = 1024;
/// How long one frame may take before it is reported as a timeout.
const FRAME_TIMEOUT: Duration = Duration::from_secs(120);
/// MSAA sample count when the scene is antialiased.
const MSAA: u32 = 4;
const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
const STENCIL_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Stencil8;

/// Why the GPU backend could not render. Every case is recoverable by rendering on the CPU instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuError {
    /// No wgpu adapter (no Vulkan / GL / Metal / DX12 driver, not even a software one).
    NoAdapter(String),
    /// The adapter refused to create a device.
    RequestDevice(String),
    /// The image exceeds the device's texture or buffer limits.
    TooLarge {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
        /// What was exceeded, e.g. `max_texture_dimension_2d = 8192`.
        limit: String,
    },
    /// A wgpu validation, out-of-memory or internal error.
    Device(String),
    /// The device was lost (driver reset, GPU removed); the next call creates a new one.
    DeviceLost(String),
    /// Reading the image back failed or timed out.
    Readback(String),
    /// A panic inside wgpu or a driver, caught.
    Panic(String),
    /// The scene could not be tessellated.
    Scene(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(m) => write!(f, "gpu: no adapter found ({m})"),
            GpuError::RequestDevice(m) => write!(f, "gpu: could not create a device: {m}"),
            GpuError::TooLarge { width, height, limit } => {
                write!(f, "gpu: a {width}x{height} image exceeds the device limit {limit}")
            }
            GpuError::Device(m) => write!(f, "gpu: device error: {m}"),
            GpuError::DeviceLost(m) => write!(f, "gpu: device lost: {m}"),
            GpuError::Readback(m) => write!(f, "gpu: readback failed: {m}"),
            GpuError::Panic(m) => write!(f, "gpu: panic inside wgpu: {m}"),
            GpuError::Scene(m) => write!(f, "gpu: {m}"),
        }
    }
}

impl std::error::Error for GpuError {}

/// Facts about the adapter the GPU backend uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuAdapter {
    /// Adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)` or `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// `Vulkan`, `Gl`, `Metal` or `Dx12`.
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (a software rasteriser) or `Other`.
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// True for a software rasteriser (llvmpipe, lavapipe, WARP, SwiftShader): never faster than the CPU backend.
    pub software: bool,
}

/// The adapter's name if a GPU device can be created (probing once per process), `None` otherwise.
pub fn gpu_available() -> Option<String> {
    gpu_adapter().ok().map(|a| a.name)
}

/// The adapter the GPU backend uses, or why there is none.
pub fn gpu_adapter() -> Result<GpuAdapter, GpuError> {
    let gpu = context()?;
    let info = &gpu.info;
    Ok(GpuAdapter {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        software: is_software(info),
    })
}

fn is_software(info: &wgpu::AdapterInfo) -> bool {
    let name = info.name.to_ascii_lowercase();
    info.device_type == wgpu::DeviceType::Cpu
        || ["llvmpipe", "lavapipe", "softpipe", "swiftshader", "warp", "microsoft basic render"]
            .iter()
            .any(|s| name.contains(s))
}

/// Draws `scene` on the GPU and returns straight-alpha RGBA (`width * height * 4` bytes), the same layout as
/// [`crate::render::rasterize`].
pub fn render_gpu(scene: &Scene) -> Result<Vec<u8>, GpuError> {
    guarded(|| render_inner(scene))
}

// ---------------------------------------------------------------------------------------------------------------
// Device context
// ---------------------------------------------------------------------------------------------------------------

/// Pipelines for one sample count.
struct Pipelines {
    /// Plain drawing, stencil ignored.
    plain: wgpu::RenderPipeline,
    /// Stencil marking with the non-zero winding rule, no colour.
    mark_winding: wgpu::RenderPipeline,
    /// Stencil marking of covered samples, no colour.
    mark_cover: wgpu::RenderPipeline,
    /// Colour where the stencil is non-zero, resetting it to zero.
    fill: wgpu::RenderPipeline,
}

struct Gpu {
    _instance: wgpu::Instance,
    info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    limits: wgpu::Limits,
    layout: wgpu::BindGroupLayout,
    single: Pipelines,
    msaa: Pipelines,
    lost: Arc<AtomicBool>,
    uncaptured: Arc<Mutex<Option<String>>>,
}

type Slot = Mutex<Option<Result<Arc<Gpu>, GpuError>>>;

fn slot() -> &'static Slot {
    static SLOT: Slot = Mutex::new(None);
    &SLOT
}

/// The shared device, created on first use. A failed probe is remembered (no adapter stays no adapter); a lost
/// device is replaced.
fn context() -> Result<Arc<Gpu>, GpuError> {
    let mut guard = slot().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(Ok(gpu)) = guard.as_ref() {
        if gpu.lost.load(Ordering::SeqCst) {
            *guard = None;
        }
    }
    if guard.is_none() {
        let created = catch_unwind(create_context)
            .unwrap_or_else(|_| Err(GpuError::Panic("while creating the wgpu device".into())));
        *guard = Some(created.map(Arc::new));
    }
    guard.as_ref().cloned().unwrap_or_else(|| Err(GpuError::NoAdapter("not probed".into())))
}

fn forget_context() {
    let mut guard = slot().lock().unwrap_or_else(|e| e.into_inner());
    if matches!(guard.as_ref(), Some(Ok(_))) {
        *guard = None;
    }
}

fn create_context() -> Result<Gpu, GpuError> {
    // Vulkan / Metal / DX12 first, then GL (whose EGL probe is slower and noisier); WGPU_BACKEND (e.g. `gl`,
    // `vulkan`) overrides the choice.
    let options =
        wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let from_env = std::env::var_os("WGPU_BACKEND").is_some();
    let tries: &[wgpu::Backends] =
        if from_env { &[wgpu::Backends::all()] } else { &[wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY] };
    let mut found = None;
    let mut reasons = Vec::new();
    for &backends in tries {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if !from_env {
            desc.backends = backends;
        }
        let instance = wgpu::Instance::new(desc);
        match pollster::block_on(instance.request_adapter(&options)) {
            Ok(adapter) => {
                found = Some((instance, adapter));
                break;
            }
            Err(e) => reasons.push(format!("{backends:?}: {e}")),
        }
    }
    let (instance, adapter) = found.ok_or_else(|| GpuError::NoAdapter(reasons.join("; ")))?;
    let info = adapter.get_info();
    // Ask for the adapter's own limits so large images (up to 16384 px) fit where the hardware allows.
    let limits = adapter.limits();
    let desc = wgpu::DeviceDescriptor {
        label: Some("kimsfinance"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    };
    let (device, queue) =
        pollster::block_on(adapter.request_device(&desc)).map_err(|e| GpuError::RequestDevice(e.to_string()))?;

    let lost = Arc::new(AtomicBool::new(false));
    let lost_flag = lost.clone();
    device.set_device_lost_callback(move |_reason, _msg| lost_flag.store(true, Ordering::SeqCst));
    // Errors outside an error scope would panic by default; keep them instead.
    let uncaptured = Arc::new(Mutex::new(None));
    let sink = uncaptured.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
        s.get_or_insert_with(|| e.to_string());
    }));

    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("kimsfinance scene"),
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("kimsfinance globals + atlas"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            },
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("kimsfinance"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let single = make_pipelines(&device, &pipeline_layout, &shader, 1);
    let msaa = make_pipelines(&device, &pipeline_layout, &shader, MSAA);
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(GpuError::Device(e.to_string()));
    }
    Ok(Gpu { _instance: instance, info, device, queue, limits, layout, single, msaa, lost, uncaptured })
}

fn make_pipelines(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    shader: &wgpu::ShaderModule,
    samples: u32,
) -> Pipelines {
    let face = |compare, pass_op| wgpu::StencilFaceState {
        compare,
        fail_op: wgpu::StencilOperation::Keep,
        depth_fail_op: wgpu::StencilOperation::Keep,
        pass_op,
    };
    use wgpu::{CompareFunction as C, StencilOperation as S};
    let ignore = wgpu::StencilState {
        front: wgpu::StencilFaceState::IGNORE,
        back: wgpu::StencilFaceState::IGNORE,
        read_mask: 0,
        write_mask: 0,
    };
    let winding = wgpu::StencilState {
        front: face(C::Always, S::IncrementWrap),
        back: face(C::Always, S::DecrementWrap),
        read_mask: 0xff,
        write_mask: 0xff,
    };
    let cover = wgpu::StencilState {
        front: face(C::Always, S::IncrementClamp),
        back: face(C::Always, S::IncrementClamp),
        read_mask: 0xff,
        write_mask: 0xff,
    };
    let fill = wgpu::StencilState {
        front: face(C::NotEqual, S::Zero),
        back: face(C::NotEqual, S::Zero),
        read_mask: 0xff,
        write_mask: 0xff,
    };
    let make = |label: &str, stencil: wgpu::StencilState, color: bool| {
        let attributes = [
            wgpu::VertexAttribute { format: wgpu::VertexFormat::Float32x2, offset: 0, shader_location: 0 },
            wgpu::VertexAttribute { format: wgpu::VertexFormat::Float32x2, offset: 8, shader_location: 1 },
            wgpu::VertexAttribute { format: wgpu::VertexFormat::Unorm8x4, offset: 16, shader_location: 2 },
        ];
        let buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: VERTEX_SIZE as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &attributes,
        })];
        let targets = [Some(wgpu::ColorTargetState {
            format: COLOR_FORMAT,
            blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
            write_mask: if color { wgpu::ColorWrites::ALL } else { wgpu::ColorWrites::empty() },
        })];
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(label),
            layout: Some(layout),
            vertex: wgpu::VertexState {
                module: shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &buffers,
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleList,
                cull_mode: None,
                ..Default::default()
            },
            depth_stencil: Some(wgpu::DepthStencilState {
                format: STENCIL_FORMAT,
                depth_write_enabled: None,
                depth_compare: None,
                stencil,
                bias: Default::default(),
            }),
            multisample: wgpu::MultisampleState { count: samples, mask: !0, alpha_to_coverage_enabled: false },
            fragment: Some(wgpu::FragmentState {
                module: shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &targets,
            }),
            multiview_mask: None,
            cache: None,
        })
    };
    Pipelines {
        plain: make("kimsfinance plain", ignore, true),
        mark_winding: make("kimsfinance mark winding", winding, false),
        mark_cover: make("kimsfinance mark cover", cover, false),
        fill: make("kimsfinance stencil fill", fill, true),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tessellation
// ---------------------------------------------------------------------------------------------------------------

/// One step of the render pass.
#[derive(Debug, Clone, PartialEq)]
enum Cmd {
    /// Triangles drawn directly.
    Plain(Range<u32>),
    /// Triangles that mark the stencil (`winding`: non-zero rule, else any coverage), then a bounding box filled
    /// where the stencil is set.
    Masked { mark: Range<u32>, winding: bool, fill: Range<u32> },
}

/// Glyph atlas: shelf-packed coverage bitmaps.
#[derive(Default)]
struct Atlas {
    slots: HashMap<(char, u32), (u32, u32)>,
    glyphs: Vec<(u32, u32, Arc<Glyph>)>,
    x: u32,
    y: u32,
    row_height: u32,
}

impl Atlas {
    /// The atlas position of `g` (keyed by `c` and `size`), placing it on first use.
    fn place(&mut self, c: char, size: f32, g: &Arc<Glyph>) -> (u32, u32) {
        if let Some(&pos) = self.slots.get(&(c, size.to_bits())) {
            return pos;
        }
        let (w, h) = (g.width as u32, g.height as u32);
        if self.x + w > ATLAS_WIDTH {
            self.x = 0;
            self.y += self.row_height + 1;
            self.row_height = 0;
        }
        let pos = (self.x, self.y);
        self.x += w + 1;
        self.row_height = self.row_height.max(h);
        self.slots.insert((c, size.to_bits()), pos);
        self.glyphs.push((pos.0, pos.1, g.clone()));
        pos
    }

    /// Width, height and R8 pixels (coverage thresholded at 50 % when not antialiased).
    fn pixels(&self, antialias: bool) -> (u32, u32, Vec<u8>) {
        let height = (self.y + self.row_height).max(1);
        let mut px = vec![0u8; (ATLAS_WIDTH * height) as usize];
        for (x, y, g) in &self.glyphs {
            for row in 0..g.height {
                let dst = ((y + row as u32) * ATLAS_WIDTH + x) as usize;
                let src = &g.coverage[row * g.width..(row + 1) * g.width];
                for (d, &s) in px[dst..dst + g.width].iter_mut().zip(src) {
                    *d = if antialias {
                        s
                    } else if s >= 128 {
                        255
                    } else {
                        0
                    };
                }
            }
        }
        (ATLAS_WIDTH, height, px)
    }
}

/// Turns a scene into triangles and render-pass commands.
#[derive(Default)]
struct Tessellator {
    width: u32,
    height: u32,
    background: Option<Rgba>,
    bytes: Vec<u8>,
    cmds: Vec<Cmd>,
    atlas: Atlas,
    /// Bounding box of the vertices pushed since the last reset (min x, min y, max x, max y).
    bbox: [f32; 4],
}

const SOLID: [f32; 2] = [-1.0, -1.0];

impl Tessellator {
    fn vertex_count(&self) -> u32 {
        (self.bytes.len() / VERTEX_SIZE) as u32
    }

    fn vertex(&mut self, x: f32, y: f32, uv: [f32; 2], color: Rgba) {
        for v in [x, y, uv[0], uv[1]] {
            self.bytes.extend_from_slice(&v.to_ne_bytes());
        }
        self.bytes.extend_from_slice(&[color.r, color.g, color.b, color.a]);
        self.bbox = [self.bbox[0].min(x), self.bbox[1].min(y), self.bbox[2].max(x), self.bbox[3].max(y)];
    }

    fn triangle(&mut self, a: (f32, f32), b: (f32, f32), c: (f32, f32), color: Rgba) {
        for p in [a, b, c] {
            self.vertex(p.0, p.1, SOLID, color);
        }
    }

    fn quad(&mut self, corners: [(f32, f32); 4], color: Rgba) {
        let [a, b, c, d] = corners;
        self.triangle(a, b, c, color);
        self.triangle(a, c, d, color);
    }

    /// Records the vertices pushed since `start` as directly drawn, merging with the previous plain run.
    fn plain_since(&mut self, start: u32) {
        let end = self.vertex_count();
        if end == start {
            return;
        }
        if let Some(Cmd::Plain(r)) = self.cmds.last_mut() {
            if r.end == start {
                r.end = end;
                return;
            }
        }
        self.cmds.push(Cmd::Plain(start..end));
    }

    /// Records the vertices pushed since `start` as a stencil mark, followed by a fill of their bounding box.
    fn masked_since(&mut self, start: u32, winding: bool, color: Rgba) {
        let end = self.vertex_count();
        if end == start {
            return;
        }
        let (w, h) = (self.width as f32, self.height as f32);
        let [x0, y0, x1, y1] = self.bbox;
        let (x0, y0, x1, y1) =
            ((x0 - 1.0).max(-1.0), (y0 - 1.0).max(-1.0), (x1 + 1.0).min(w + 1.0), (y1 + 1.0).min(h + 1.0));
        if x0 >= x1 || y0 >= y1 {
            self.bytes.truncate(start as usize * VERTEX_SIZE);
            return;
        }
        self.quad([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color);
        self.cmds.push(Cmd::Masked { mark: start..end, winding, fill: end..self.vertex_count() });
    }

    fn reset_bbox(&mut self) {
        self.bbox = [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY];
    }

    /// A segment as a quad of `width` with butt ends.
    fn segment(&mut self, a: (f32, f32), b: (f32, f32), width: f32, color: Rgba) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len.is_nan() || len <= 0.0 || !len.is_finite() {
            return;
        }
        let (nx, ny) = (-dy / len * width * 0.5, dx / len * width * 0.5);
        self.quad([(a.0 + nx, a.1 + ny), (b.0 + nx, b.1 + ny), (b.0 - nx, b.1 - ny), (a.0 - nx, a.1 - ny)], color);
    }

    /// A filled disc (for round joins).
    fn disc(&mut self, c: (f32, f32), r: f32, color: Rgba) {
        let n = if r <= 1.5 { 8 } else { 16 };
        let at = |k: usize| {
            let a = k as f32 * std::f32::consts::TAU / n as f32;
            (c.0 + r * a.cos(), c.1 + r * a.sin())
        };
        for k in 0..n {
            self.triangle(c, at(k), at(k + 1), color);
        }
    }

    fn finish_stroke(&mut self, start: u32, color: Rgba) {
        if color.a == 255 {
            self.plain_since(start);
        } else {
            self.masked_since(start, false, color);
        }
    }
}

/// tiny-skia treats a stroke width of 0 as a one-pixel hairline.
fn stroke_width(width: f32) -> f32 {
    if width > 0.0 {
        width
    } else {
        1.0
    }
}

impl Backend for Tessellator {
    fn begin(&mut self, width: u32, height: u32, background: Rgba, _antialias: bool) -> Result<(), RenderError> {
        // The glyph atlas is kept: the charts of a batch page share one.
        let atlas = std::mem::take(&mut self.atlas);
        // Antialiasing is the page's (its sample count and glyph thresholding), not the tessellator's.
        *self = Tessellator { width, height, background: Some(background), atlas, ..Tessellator::default() };
        self.reset_bbox();
        Ok(())
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgba) {
        if color.a == 0
            || w.is_nan()
            || h.is_nan()
            || w <= 0.0
            || h <= 0.0
            || ![x, y, w, h].iter().all(|v| v.is_finite())
        {
            return;
        }
        let start = self.vertex_count();
        self.quad([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], color);
        self.plain_since(start);
    }

    fn polyline(&mut self, points: &[(f32, f32)], color: Rgba, width: f32) {
        if color.a == 0 || points.len() < 2 {
            return;
        }
        let width = stroke_width(width);
        self.reset_bbox();
        let start = self.vertex_count();
        for pair in points.windows(2) {
            self.segment(pair[0], pair[1], width, color);
        }
        if points.len() > 2 {
            for &p in &points[1..points.len() - 1] {
                if is_finite_point(&p) {
                    self.disc(p, width * 0.5, color);
                }
            }
        }
        self.finish_stroke(start, color);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgba, width: f32) {
        if color.a == 0 {
            return;
        }
        // A single quad never overlaps itself: draw it directly even when translucent.
        let start = self.vertex_count();
        self.segment((x1, y1), (x2, y2), stroke_width(width), color);
        self.plain_since(start);
    }

    fn polygon(&mut self, points: &[(f32, f32)], color: Rgba) {
        if color.a == 0 || points.len() < 3 || !points.iter().all(is_finite_point) {
            return;
        }
        self.reset_bbox();
        let start = self.vertex_count();
        let p0 = points[0];
        for pair in points[1..].windows(2) {
            self.triangle(p0, pair[0], pair[1], color);
        }
        self.masked_since(start, true, color);
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgba, width: f32) {
        if color.a == 0 || r.is_nan() || r <= 0.0 || ![cx, cy, r].iter().all(|v| v.is_finite()) {
            return;
        }
        let width = stroke_width(width);
        let (inner, outer) = ((r - width * 0.5).max(0.0), r + width * 0.5);
        let n = ((std::f32::consts::TAU * outer / 2.0).ceil() as usize).clamp(24, 256);
        let at = |k: usize, rad: f32| {
            let a = k as f32 * std::f32::consts::TAU / n as f32;
            (cx + rad * a.cos(), cy + rad * a.sin())
        };
        self.reset_bbox();
        let start = self.vertex_count();
        for k in 0..n {
            self.quad([at(k, inner), at(k, outer), at(k + 1, outer), at(k + 1, inner)], color);
        }
        self.finish_stroke(start, color);
    }

    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, color: Rgba, anchor: Anchor) {
        if color.a == 0 {
            return;
        }
        // Same placement as the CPU backend: rounded start and baseline, fractional pen advance, truncated x.
        let start_x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - text_width(text, size) * 0.5,
            Anchor::End => x - text_width(text, size),
        };
        let baseline = y.round() as i32;
        let mut pen = start_x.round();
        let start = self.vertex_count();
        for c in text.chars() {
            let Some(g) = glyph(c, size) else { break };
            if g.width > 0 && g.height > 0 {
                let (ax, ay) = self.atlas.place(c, size, &g);
                let gx = (pen as i32 + g.xmin) as f32;
                let gy = (baseline + g.top) as f32;
                let (w, h) = (g.width as f32, g.height as f32);
                let (u0, v0, u1, v1) = (ax as f32, ay as f32, ax as f32 + w, ay as f32 + h);
                let corners = [(gx, gy, u0, v0), (gx + w, gy, u1, v0), (gx + w, gy + h, u1, v1), (gx, gy + h, u0, v1)];
                for i in [0, 1, 2, 0, 2, 3] {
                    let (px, py, u, v) = corners[i];
                    self.vertex(px, py, [u, v], color);
                }
            }
            pen += g.advance;
        }
        self.plain_since(start);
    }

    fn turned_text(&mut self, cx: f32, cy: f32, text: &str, size: f32, color: Rgba, angle: f32) {
        if color.a == 0 {
            return;
        }
        // Each glyph's quad turned about the centre; the atlas is read at the nearest texel.
        let turn = Turn::new(cx, cy, angle);
        let start = self.vertex_count();
        for (c, (g, u, v)) in text.chars().zip(centred_glyphs(text, size)) {
            if g.width == 0 || g.height == 0 {
                continue;
            }
            let (ax, ay) = self.atlas.place(c, size, &g);
            let (w, h) = (g.width as f32, g.height as f32);
            let (u0, v0, u1, v1) = (ax as f32, ay as f32, ax as f32 + w, ay as f32 + h);
            let corners = [(u, v, u0, v0), (u + w, v, u1, v0), (u + w, v + h, u1, v1), (u, v + h, u0, v1)];
            for i in [0, 1, 2, 0, 2, 3] {
                let (lu, lv, tu, tv) = corners[i];
                let (px, py) = turn.to_image(lu, lv);
                self.vertex(px, py, [tu, tv], color);
            }
        }
        self.plain_since(start);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------------------------

fn device_error(e: wgpu::Error) -> GpuError {
    match e {
        wgpu::Error::OutOfMemory { .. } => GpuError::Device(format!("out of memory: {e}")),
        other => GpuError::Device(other.to_string()),
    }
}

/// Checks the image, vertex buffer and atlas against the device limits; returns the padded readback row size.
fn check_limits(
    width: u32,
    height: u32,
    vertex_bytes: usize,
    atlas_height: u32,
    limits: &wgpu::Limits,
) -> Result<u32, GpuError> {
    let too_large = |limit: String| GpuError::TooLarge { width, height, limit };
    let max_dim = limits.max_texture_dimension_2d;
    if width > max_dim || height > max_dim {
        return Err(too_large(format!("max_texture_dimension_2d = {max_dim}")));
    }
    let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let padded_row = (width * 4).div_ceil(align) * align;
    let readback = padded_row as u64 * height as u64;
    let vertices = vertex_bytes.max(VERTEX_SIZE) as u64;
    for (what, size) in [("readback buffer", readback), ("vertex buffer", vertices)] {
        if size > limits.max_buffer_size {
            return Err(too_large(format!("max_buffer_size = {} ({what} needs {size})", limits.max_buffer_size)));
        }
    }
    if atlas_height > max_dim {
        return Err(too_large(format!("max_texture_dimension_2d = {max_dim} (glyph atlas height {atlas_height})")));
    }
    Ok(padded_row)
}

/// The most pixels one page may hold. It bounds what a batch keeps on the device: with 4x MSAA, 8 Mi pixels are
/// 32 MiB of output, 128 MiB of samples and 32 MiB of stencil. A single larger chart gets a page of its own.
const PAGE_PIXELS: u64 = 8 << 20;
/// Pages submitted and not yet read back. Two, so the device draws one page while the CPU converts (and the
/// caller encodes) the previous one.
const PAGES_IN_FLIGHT: usize = 2;

/// One chart of a page: where it sits and what it draws.
struct Placed {
    /// Its position in the caller's list.
    index: usize,
    /// Top row in the page.
    y: u32,
    width: u32,
    height: u32,
    background: Rgba,
    /// Byte offset of its vertices in the page's vertex buffer.
    vertex_offset: u64,
    cmds: Vec<Cmd>,
}

/// Charts stacked top to bottom in one texture: one render pass, one glyph atlas, one copy and one readback.
/// A single chart is a page of one.
struct Page {
    charts: Vec<Placed>,
    antialias: bool,
    width: u32,
    height: u32,
    bytes: Vec<u8>,
    atlas: Atlas,
}

impl Page {
    /// Tessellates the scenes at `indexes` into one page; a scene that cannot be tessellated is returned with its
    /// error instead.
    fn tessellate<S: Borrow<Scene>>(scenes: &[S], indexes: &[usize]) -> (Page, Vec<(usize, GpuError)>) {
        let antialias = indexes.first().is_some_and(|&i| scenes[i].borrow().antialias);
        let mut page =
            Page { charts: Vec::new(), antialias, width: 0, height: 0, bytes: Vec::new(), atlas: Atlas::default() };
        let mut failed = Vec::new();
        for &index in indexes {
            let scene = scenes[index].borrow();
            // The atlas travels from chart to chart, so glyphs the charts share are packed once.
            let mut tess = Tessellator { atlas: std::mem::take(&mut page.atlas), ..Tessellator::default() };
            let drawn = tess.draw_scene(scene);
            page.atlas = std::mem::take(&mut tess.atlas);
            if let Err(e) = drawn {
                failed.push((index, GpuError::Scene(e.to_string())));
                continue;
            }
            page.charts.push(Placed {
                index,
                y: page.height,
                width: scene.width,
                height: scene.height,
                background: tess.background.unwrap_or(scene.background),
                vertex_offset: page.bytes.len() as u64,
                cmds: tess.cmds,
            });
            page.bytes.extend_from_slice(&tess.bytes);
            page.width = page.width.max(scene.width);
            page.height += scene.height;
        }
        (page, failed)
    }
}

/// Splits the scenes, in order, into pages: same antialiasing (one sample count per pass), at most
/// `max_dim` rows and [`PAGE_PIXELS`] pixels each.
fn page_groups<S: Borrow<Scene>>(scenes: &[S], max_dim: u32) -> Vec<Vec<usize>> {
    let mut groups = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let (mut width, mut height) = (0u64, 0u64);
    for (i, scene) in scenes.iter().map(Borrow::borrow).enumerate() {
        if let Some(&first) = current.first() {
            let (w, h) = (width.max(scene.width as u64), height + scene.height as u64);
            if scenes[first].borrow().antialias != scene.antialias || h > max_dim as u64 || w * h > PAGE_PIXELS {
                groups.push(std::mem::take(&mut current));
                (width, height) = (0, 0);
            }
        }
        current.push(i);
        width = width.max(scene.width as u64);
        height += scene.height as u64;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// A submitted page: what to read back, and where each chart is in it.
struct InFlight {
    charts: Vec<(usize, u32, u32, u32)>,
    readback: wgpu::Buffer,
    padded_row: u32,
    submission: wgpu::SubmissionIndex,
    mapped: mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
}

/// Runs one step against the device with panics caught; a panic or a lost device makes the next step create a
/// new device.
fn guarded<T>(step: impl FnOnce() -> Result<T, GpuError>) -> Result<T, GpuError> {
    match catch_unwind(AssertUnwindSafe(step)) {
        Ok(result) => {
            if let Err(GpuError::DeviceLost(_)) = &result {
                forget_context();
            }
            result
        }
        Err(payload) => {
            // The device may be in any state after a panic: start afresh next time.
            forget_context();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(GpuError::Panic(msg))
        }
    }
}

/// The clear colour of a page, premultiplied like everything the fragment shader writes: the charts' common
/// background, or transparent when they differ (each chart then paints its own first).
fn page_clear(page: &Page) -> Option<Rgba> {
    let first = page.charts.first()?.background;
    page.charts.iter().all(|c| c.background == first).then_some(first)
}

fn submit_page(gpu: &Gpu, mut page: Page) -> Result<InFlight, GpuError> {
    let clear_bg = page_clear(&page);
    // A chart whose background is not the clear colour gets a full-size quad of it before its own draw list.
    let mut background_quads = Vec::new();
    if clear_bg.is_none() {
        for chart in &page.charts {
            let mut quad = Tessellator::default();
            let (w, h) = (chart.width as f32, chart.height as f32);
            quad.quad([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], chart.background);
            background_quads.push(page.bytes.len() as u64);
            page.bytes.extend_from_slice(&quad.bytes);
        }
    }
    let (width, height) = (page.width, page.height);
    if gpu.lost.load(Ordering::SeqCst) {
        return Err(GpuError::DeviceLost("before rendering".into()));
    }
    let (atlas_w, atlas_h, atlas_px) = page.atlas.pixels(page.antialias);
    let padded_row = check_limits(width, height, page.bytes.len(), atlas_h, &gpu.limits)?;
    let readback_size = padded_row as u64 * height as u64;
    let vertex_size = page.bytes.len().max(VERTEX_SIZE) as u64;

    let device = &gpu.device;
    let queue = &gpu.queue;
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);

    let samples = if page.antialias { MSAA } else { 1 };
    let pipelines = if samples > 1 { &gpu.msaa } else { &gpu.single };
    let extent = wgpu::Extent3d { width, height, depth_or_array_layers: 1 };
    let texture = |label: &str, format, samples, usage| {
        device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: extent,
            mip_level_count: 1,
            sample_count: samples,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage,
            view_formats: &[],
        })
    };
    let output = texture(
        "kimsfinance output",
        COLOR_FORMAT,
        1,
        wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
    );
    let output_view = output.create_view(&Default::default());
    let msaa_view = (samples > 1).then(|| {
        texture("kimsfinance msaa", COLOR_FORMAT, samples, wgpu::TextureUsages::RENDER_ATTACHMENT)
            .create_view(&Default::default())
    });
    let stencil_view = texture("kimsfinance stencil", STENCIL_FORMAT, samples, wgpu::TextureUsages::RENDER_ATTACHMENT)
        .create_view(&Default::default());

    let atlas_extent = wgpu::Extent3d { width: atlas_w, height: atlas_h, depth_or_array_layers: 1 };
    let atlas = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("kimsfinance glyph atlas"),
        size: atlas_extent,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture: &atlas,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        &atlas_px,
        wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(atlas_w), rows_per_image: Some(atlas_h) },
        atlas_extent,
    );
    let atlas_view = atlas.create_view(&Default::default());

    // Each chart's size in its own uniform slot (slots aligned as the device requires), so the shader maps the
    // chart's pixel coordinates to its viewport exactly as it does for a chart drawn alone.
    const GLOBALS_SIZE: u64 = 16;
    let stride = (gpu.limits.min_uniform_buffer_offset_alignment as u64).max(GLOBALS_SIZE);
    let mut globals = vec![0u8; (stride * page.charts.len().max(1) as u64) as usize];
    for (k, chart) in page.charts.iter().enumerate() {
        let slot = &mut globals[k * stride as usize..][..GLOBALS_SIZE as usize];
        for (j, v) in [chart.width as f32, chart.height as f32, 0.0, 0.0].into_iter().enumerate() {
            slot[j * 4..j * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
    }
    let uniform = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kimsfinance globals"),
        size: globals.len() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    queue.write_buffer(&uniform, 0, &globals);
    let bind_groups: Vec<wgpu::BindGroup> = (0..page.charts.len())
        .map(|k| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("kimsfinance globals + atlas"),
                layout: &gpu.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &uniform,
                            offset: k as u64 * stride,
                            size: wgpu::BufferSize::new(GLOBALS_SIZE),
                        }),
                    },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&atlas_view) },
                ],
            })
        })
        .collect();

    let vertices = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kimsfinance vertices"),
        size: vertex_size,
        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    if !page.bytes.is_empty() {
        queue.write_buffer(&vertices, 0, &page.bytes);
    }

    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("kimsfinance readback"),
        size: readback_size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });

    let clear = match clear_bg {
        Some(bg) => {
            let a = bg.a as f64 / 255.0;
            wgpu::Color { r: bg.r as f64 / 255.0 * a, g: bg.g as f64 / 255.0 * a, b: bg.b as f64 / 255.0 * a, a }
        }
        None => wgpu::Color::TRANSPARENT,
    };

    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("kimsfinance") });
    {
        let (view, resolve, store) = match &msaa_view {
            Some(m) => (m, Some(&output_view), wgpu::StoreOp::Discard),
            None => (&output_view, None, wgpu::StoreOp::Store),
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("kimsfinance scene"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target: resolve,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(clear), store },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &stencil_view,
                depth_ops: None,
                stencil_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0), store: wgpu::StoreOp::Discard }),
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_stencil_reference(0);
        for (k, chart) in page.charts.iter().enumerate() {
            // The chart's rows of the page: the viewport maps its coordinates there, the scissor keeps every
            // fragment (and stencil mark) inside, as the edge of its own image would.
            pass.set_viewport(0.0, chart.y as f32, chart.width as f32, chart.height as f32, 0.0, 1.0);
            pass.set_scissor_rect(0, chart.y, chart.width, chart.height);
            pass.set_bind_group(0, &bind_groups[k], &[]);
            if let Some(&offset) = background_quads.get(k) {
                pass.set_pipeline(&pipelines.plain);
                pass.set_vertex_buffer(0, vertices.slice(offset..offset + 6 * VERTEX_SIZE as u64));
                pass.draw(0..6, 0..1);
            }
            if chart.cmds.is_empty() {
                continue;
            }
            pass.set_vertex_buffer(0, vertices.slice(chart.vertex_offset..));
            for cmd in &chart.cmds {
                match cmd {
                    Cmd::Plain(r) => {
                        pass.set_pipeline(&pipelines.plain);
                        pass.draw(r.clone(), 0..1);
                    }
                    Cmd::Masked { mark, winding, fill } => {
                        pass.set_pipeline(if *winding { &pipelines.mark_winding } else { &pipelines.mark_cover });
                        pass.draw(mark.clone(), 0..1);
                        pass.set_pipeline(&pipelines.fill);
                        pass.draw(fill.clone(), 0..1);
                    }
                }
            }
        }
    }
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture: &output,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row),
                rows_per_image: Some(height),
            },
        },
        extent,
    );
    let submission = queue.submit([encoder.finish()]);

    let (tx, mapped) = mpsc::channel();
    readback.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    if let Some(e) = pollster::block_on(oom.pop()) {
        return Err(device_error(e));
    }
    if let Some(e) = pollster::block_on(validation.pop()) {
        return Err(device_error(e));
    }
    let charts = page.charts.iter().map(|c| (c.index, c.y, c.width, c.height)).collect();
    Ok(InFlight { charts, readback, padded_row, submission, mapped })
}

/// Waits for a submitted page and cuts it into each chart's straight-alpha RGBA.
fn finish_page(gpu: &Gpu, page: InFlight) -> Result<Vec<(usize, Vec<u8>)>, GpuError> {
    gpu.device
        .poll(wgpu::PollType::Wait { submission_index: Some(page.submission), timeout: Some(FRAME_TIMEOUT) })
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    if gpu.lost.load(Ordering::SeqCst) {
        return Err(GpuError::DeviceLost("while rendering".into()));
    }
    if let Some(e) = gpu.uncaptured.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(GpuError::Device(e));
    }
    match page.mapped.recv_timeout(FRAME_TIMEOUT) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(GpuError::Readback(e.to_string())),
        Err(e) => return Err(GpuError::Readback(format!("map callback not called: {e}"))),
    }
    let padded_row = page.padded_row as usize;
    let mut out = Vec::with_capacity(page.charts.len());
    {
        let view = page.readback.get_mapped_range(..).map_err(|e| GpuError::Readback(e.to_string()))?;
        for &(index, y, width, height) in &page.charts {
            let row_bytes = width as usize * 4;
            let mut rgba = Vec::with_capacity(row_bytes * height as usize);
            let rows = &view[y as usize * padded_row..(y + height) as usize * padded_row];
            for row in rows.chunks_exact(padded_row) {
                rgba.extend_from_slice(&row[..row_bytes]);
            }
            out.push((index, rgba));
        }
    }
    page.readback.unmap();
    for (_, rgba) in &mut out {
        unpremultiply(rgba);
    }
    Ok(out)
}

fn render_inner(scene: &Scene) -> Result<Vec<u8>, GpuError> {
    let (page, mut failed) = Page::tessellate(std::slice::from_ref(scene), &[0]);
    if let Some((_, e)) = failed.pop() {
        return Err(e);
    }
    let gpu = context()?;
    let page = submit_page(&gpu, page)?;
    finish_page(&gpu, page)?.pop().map(|(_, rgba)| rgba).ok_or_else(|| GpuError::Readback("no image".into()))
}

/// One chart of a page's results: `(index in the caller's list, straight RGBA or why not)`.
pub type PageItem = (usize, Result<Vec<u8>, GpuError>);
/// One page's results.
pub type PageResult = Vec<PageItem>;

/// Draws many scenes with few submissions: the scenes are stacked, in order, into pages (tall textures of at most
/// 8 Mi pixels and the device's height limit, one antialiasing setting each), and each page is one render pass,
/// one submission and one readback. Returns each scene's straight-alpha RGBA (as [`render_gpu`] does) or its
/// error, in input order.
pub fn render_gpu_batch<S: Borrow<Scene>>(scenes: &[S]) -> Vec<Result<Vec<u8>, GpuError>> {
    let mut out: Vec<Option<Result<Vec<u8>, GpuError>>> = (0..scenes.len()).map(|_| None).collect();
    render_gpu_batch_with(scenes, |page| {
        for (index, result) in page {
            out[index] = Some(result);
        }
    });
    out.into_iter().map(|r| r.unwrap_or_else(|| Err(GpuError::Readback("chart not delivered".into())))).collect()
}

/// [`render_gpu_batch`], handing each page's results to `sink` as soon as they are read back. The next page is
/// already submitted when `sink` runs, so the device draws it while the caller encodes this one. Every scene's
/// index is delivered exactly once; when a page fails (a device error, a lost device, a panic inside wgpu),
/// each of its charts gets that error, and the next page starts on a new device if needed.
pub fn render_gpu_batch_with<S: Borrow<Scene>>(scenes: &[S], mut sink: impl FnMut(PageResult)) {
    let fail_all = |indexes: &[usize], e: &GpuError| indexes.iter().map(|&i| (i, Err(e.clone()))).collect();
    let gpu = match guarded(context) {
        Ok(gpu) => gpu,
        Err(e) => return sink(fail_all(&(0..scenes.len()).collect::<Vec<_>>(), &e)),
    };
    let finish = |indexes: Vec<usize>, submitted: Result<InFlight, GpuError>| -> PageResult {
        match submitted.and_then(|page| guarded(|| finish_page(&gpu, page))) {
            Ok(images) => images.into_iter().map(|(i, rgba)| (i, Ok(rgba))).collect(),
            Err(e) => fail_all(&indexes, &e),
        }
    };
    let mut in_flight = std::collections::VecDeque::with_capacity(PAGES_IN_FLIGHT);
    for group in page_groups(scenes, gpu.limits.max_texture_dimension_2d) {
        let (page, failed) = Page::tessellate(scenes, &group);
        if !failed.is_empty() {
            sink(failed.into_iter().map(|(i, e)| (i, Err(e))).collect());
        }
        if page.charts.is_empty() {
            continue;
        }
        let indexes: Vec<usize> = page.charts.iter().map(|c| c.index).collect();
        in_flight.push_back((indexes, guarded(|| submit_page(&gpu, page))));
        if in_flight.len() >= PAGES_IN_FLIGHT {
            if let Some((indexes, submitted)) = in_flight.pop_front() {
                sink(finish(indexes, submitted));
            }
        }
    }
    while let Some((indexes, submitted)) = in_flight.pop_front() {
        sink(finish(indexes, submitted));
    }
}

#[cfg(test)]
mod tests;
