//! GPU backend tests: tessellation (no device needed) and GPU-versus-CPU pixel comparisons (skipped, with the
//! reason printed, only when no wgpu adapter exists; set `KF_REQUIRE_GPU=1` to make a missing adapter fail).

use super::*;
use crate::render::tests::{pixel as px, pnf_columns, Data, MIN_US};
use crate::render::{
    build_scene, rasterize, render, Brick, ChartKind, Engine, Format, Input, Options, PnfColumn, Series, SubPanel,
    Theme,
};

/// The adapter, or `None` after printing why the test is skipped.
fn adapter_or_skip(test: &str) -> Option<GpuAdapter> {
    match gpu_adapter() {
        Ok(a) => Some(a),
        Err(e) => {
            if std::env::var("KF_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("{test}: KF_REQUIRE_GPU=1 but {e}");
            }
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

fn out_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("kf-gpu-tests");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn write_png(path: &std::path::Path, rgba: &[u8], w: u32, h: u32) {
    if let Ok(bytes) = crate::render::encode_png(rgba, w, h, crate::render::PngSpeed::Fast) {
        let _ = std::fs::write(path, bytes);
    }
}

/// Renders `scene` on both engines and checks they agree: mean absolute difference per channel below `max_mean`
/// and at most `max_far` of the pixels differing by more than 64 in some channel. On failure the GPU image, the
/// CPU image and a difference image (|gpu - cpu| × 4) are written to `$TMPDIR/kf-gpu-tests` (always with
/// `KF_GPU_DUMP=1`).
fn compare(name: &str, scene: &Scene, max_mean: f64, max_far: f64) -> (Vec<u8>, Vec<u8>) {
    let gpu = render_gpu(scene).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_pixels(name, scene, gpu, max_mean, max_far)
}

/// [`compare`] for pixels the GPU has already drawn (by a batch, say).
fn check_pixels(name: &str, scene: &Scene, gpu: Vec<u8>, max_mean: f64, max_far: f64) -> (Vec<u8>, Vec<u8>) {
    let cpu = rasterize(scene).expect("cpu");
    assert_eq!(gpu.len(), cpu.len(), "{name}: buffer size");
    let (w, h) = (scene.width, scene.height);
    let sum: u64 = gpu.iter().zip(&cpu).map(|(a, b)| a.abs_diff(*b) as u64).sum();
    let mean = sum as f64 / cpu.len() as f64;
    let far = gpu
        .chunks_exact(4)
        .zip(cpu.chunks_exact(4))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count() as f64
        / (w * h) as f64;
    eprintln!("{name}: mean |gpu - cpu| = {mean:.3} per channel, {:.3} % of pixels differ by > 64", far * 100.0);
    let failed = mean >= max_mean || far > max_far;
    if failed || std::env::var("KF_GPU_DUMP").as_deref() == Ok("1") {
        let dir = out_dir();
        let diff: Vec<u8> = gpu
            .chunks_exact(4)
            .zip(cpu.chunks_exact(4))
            .flat_map(|(a, b)| {
                let d = |i: usize| (a[i].abs_diff(b[i]) as u32 * 4).min(255) as u8;
                [d(0), d(1), d(2), 255]
            })
            .collect();
        write_png(&dir.join(format!("{name}-actual.png")), &gpu, w, h);
        write_png(&dir.join(format!("{name}-expected.png")), &cpu, w, h);
        write_png(&dir.join(format!("{name}-difference.png")), &diff, w, h);
    }
    if failed {
        let dir = out_dir();
        panic!(
            "{name}: GPU differs from CPU (mean {mean:.3}, far {:.3} %); wrote {name}-actual/-expected/-difference.png to {}",
            far * 100.0,
            dir.display()
        );
    }
    (gpu, cpu)
}

// --- no device needed --------------------------------------------------------------------------------------------

#[test]
fn tessellation_of_each_primitive() {
    let mut t = Tessellator::default();
    t.begin(100, 80, Rgba::rgb(0, 0, 0), true).unwrap();
    let red = Rgba::rgb(255, 0, 0);
    t.rect(1.0, 2.0, 10.0, 5.0, red);
    t.line(0.0, 0.0, 10.0, 0.0, red, 1.0);
    t.polyline(&[(0.0, 0.0), (10.0, 10.0), (20.0, 0.0)], red, 2.0);
    // All opaque and directly drawn: one merged plain run.
    assert_eq!(t.cmds.len(), 1);
    assert_eq!(t.cmds[0], Cmd::Plain(0..t.vertex_count()));
    // Rect 6 + line 6 + 2 segments 12 + one join fan of 8 triangles 24.
    assert_eq!(t.vertex_count(), 6 + 6 + 12 + 24);

    // Empty, zero-alpha and degenerate shapes draw nothing.
    let n = t.vertex_count();
    t.rect(0.0, 0.0, 0.0, 5.0, red);
    t.rect(0.0, 0.0, 5.0, 5.0, red.with_alpha(0));
    t.polyline(&[(1.0, 1.0)], red, 1.0);
    t.polygon(&[(1.0, 1.0), (2.0, 2.0)], red);
    t.line(3.0, 3.0, 3.0, 3.0, red, 1.0);
    assert_eq!(t.vertex_count(), n);

    // A polygon marks the stencil by winding, then fills its bounding box (clamped to the canvas + 1).
    t.polygon(&[(10.0, 10.0), (200.0, 10.0), (50.0, 50.0), (10.0, 50.0)], red.with_alpha(0x50));
    let Some(Cmd::Masked { mark, winding, fill }) = t.cmds.last().cloned() else { panic!("{:?}", t.cmds) };
    assert!(winding);
    assert_eq!(mark.len(), 6);
    assert_eq!(fill.len(), 6);
    let at = |v: u32| {
        let b = &t.bytes[v as usize * VERTEX_SIZE..];
        let f = |i: usize| f32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        (f(0), f(4))
    };
    let corners: Vec<(f32, f32)> = fill.clone().map(at).collect();
    assert!(corners.contains(&(9.0, 9.0)) && corners.contains(&(101.0, 51.0)), "{corners:?}");

    // A translucent polyline is masked (no double blending where segments overlap); an opaque one is not.
    t.polyline(&[(0.0, 0.0), (10.0, 10.0), (0.0, 20.0)], red.with_alpha(0x80), 1.5);
    assert!(matches!(t.cmds.last(), Some(Cmd::Masked { winding: false, .. })));
    t.circle(20.0, 20.0, 5.0, red, 1.0);
    assert!(matches!(t.cmds.last(), Some(Cmd::Plain(_))));
}

#[test]
fn text_goes_through_the_atlas() {
    let mut t = Tessellator::default();
    t.begin(200, 50, Rgba::rgb(0, 0, 0), true).unwrap();
    t.text(10.0, 30.0, "1 2 11", 12.0, Rgba::rgb(255, 255, 255), Anchor::Start);
    // '1' and '2' are placed once each (the space has no bitmap); five glyph quads of 6 vertices.
    assert_eq!(t.atlas.glyphs.len(), 2);
    assert_eq!(t.vertex_count(), 4 * 6);
    let (w, h, aa) = t.atlas.pixels(true);
    assert_eq!(w, ATLAS_WIDTH);
    assert!(aa.iter().any(|&c| c > 0 && c < 255), "antialiased coverage keeps partial values");
    let (_, _, aliased) = t.atlas.pixels(false);
    assert!(aliased.iter().all(|&c| c == 0 || c == 255));
    assert_eq!(aliased.len(), (w * h) as usize);
}

#[test]
fn errors_display_their_cause() {
    let e = GpuError::TooLarge { width: 20000, height: 10, limit: "max_texture_dimension_2d = 16384".into() };
    assert_eq!(e.to_string(), "gpu: a 20000x10 image exceeds the device limit max_texture_dimension_2d = 16384");
    assert!(GpuError::NoAdapter("x".into()).to_string().contains("no adapter"));
}

#[test]
fn limits_are_checked_before_allocating() {
    let small = wgpu::Limits::downlevel_defaults(); // 2048 px textures, 256 MiB buffers
                                                    // Rows are padded to 256 bytes: 100 px * 4 = 400 -> 512.
    assert_eq!(check_limits(100, 50, 1000, 1, &small), Ok(512));
    assert_eq!(check_limits(64, 64, 0, 1, &small), Ok(256));
    let e = check_limits(4096, 100, 0, 1, &small).unwrap_err();
    assert!(matches!(&e, GpuError::TooLarge { width: 4096, height: 100, limit } if limit.contains("2048")), "{e}");
    let tiny_buffers = wgpu::Limits { max_buffer_size: 1 << 20, ..small.clone() };
    let e = check_limits(2048, 2048, 0, 1, &tiny_buffers).unwrap_err();
    assert!(e.to_string().contains("readback buffer needs 16777216"), "{e}");
    let e = check_limits(100, 100, 2 << 20, 1, &tiny_buffers).unwrap_err();
    assert!(e.to_string().contains("vertex buffer"), "{e}");
    let e = check_limits(100, 100, 0, 4000, &small).unwrap_err();
    assert!(e.to_string().contains("glyph atlas"), "{e}");
}

// --- device needed -----------------------------------------------------------------------------------------------

#[test]
fn adapter_is_found() {
    let Some(a) = adapter_or_skip("adapter_is_found") else { return };
    eprintln!("adapter: {a:?}");
    assert!(!a.name.is_empty());
    assert_eq!(gpu_available().as_deref(), Some(a.name.as_str()));
    // Mesa's rasterisers must be recognised as software, so that engine="auto" never picks them.
    let name = a.name.to_ascii_lowercase();
    if name.contains("llvmpipe") || name.contains("lavapipe") {
        assert!(a.software, "{a:?}");
    }
}

#[test]
fn candles_match_the_cpu_backend() {
    if adapter_or_skip("candles_match_the_cpu_backend").is_none() {
        return;
    }
    let d = Data::walk(120, MIN_US, 3);
    for antialias in [true, false] {
        for theme in [Theme::Classic, Theme::Light] {
            let o = Options { width: 640, height: 400, theme, antialias, ..Options::default() };
            let s = build_scene(&Input::Bars(d.cols()), &o).unwrap();
            let name = format!("candles-{}-{}", theme.name(), if antialias { "aa" } else { "aliased" });
            let (gpu, _) = compare(&name, &s, 2.0, 0.01);
            // Probes: an up body has the up colour, a down body the down colour, the corner the background.
            let pal = theme.palette();
            let y = |v: f64| s.price_panel().scale.y(v);
            let up = (0..d.c.len()).find(|&i| d.c[i] - d.o[i] > 1.0).expect("an up bar");
            let down = (0..d.c.len()).find(|&i| d.o[i] - d.c[i] > 1.0).expect("a down bar");
            for (i, want) in [(up, pal.up), (down, pal.down)] {
                let (left, bw) = s.body_span(i);
                let x = left + (bw * 0.5).floor();
                let ymid = ((y(d.o[i]) + y(d.c[i])) * 0.5).floor();
                assert_eq!(px(&gpu, 640, x, ymid), want, "{name}: bar {i}");
            }
            assert_eq!(px(&gpu, 640, 0.0, 0.0), pal.background, "{name}: background");
        }
    }
}

#[test]
fn every_kind_matches_the_cpu_backend() {
    if adapter_or_skip("every_kind_matches_the_cpu_backend").is_none() {
        return;
    }
    let d = Data::walk(60, MIN_US, 5);
    let bricks: Vec<Brick> = (0..20)
        .map(|i| {
            let p = 100.0 + (i as f64 * 0.7).sin() * 10.0;
            let up = i % 3 != 2;
            Brick { bar: i, open: p, close: if up { p + 2.0 } else { p - 2.0 }, direction: if up { 1 } else { -1 } }
        })
        .collect();
    // The renderer tests' columns, the first four.
    let pnf: Vec<PnfColumn> = pnf_columns()[..4].to_vec();
    for kind in ChartKind::ALL {
        let o = Options {
            kind,
            width: 480,
            height: 300,
            theme: Theme::Modern,
            title: Some(format!("{} on the GPU", kind.name())),
            ..Options::default()
        };
        let input = match kind {
            ChartKind::Renko => Input::Renko(&bricks),
            ChartKind::Pnf => Input::Pnf { columns: &pnf, box_size: 1.0 },
            _ => Input::Bars(d.cols()),
        };
        let s = build_scene(&input, &o).unwrap();
        compare(&format!("kind-{}", kind.name()), &s, 2.0, 0.01);
    }
}

#[test]
fn full_chart_with_translucent_overlay_matches() {
    if adapter_or_skip("full_chart_with_translucent_overlay_matches").is_none() {
        return;
    }
    let d = Data::walk(150, MIN_US, 7);
    let ma: Vec<f64> =
        (0..d.c.len()).map(|i| if i < 9 { f64::NAN } else { d.c[i - 9..=i].iter().sum::<f64>() / 10.0 }).collect();
    let diff: Vec<f64> = d.c.iter().zip(&ma).map(|(c, m)| c - m).collect();
    let o = Options {
        width: 800,
        height: 500,
        theme: Theme::TradingView,
        title: Some("overlays, volume, panel".into()),
        overlays: vec![
            Series { label: "MA 10".into(), values: &ma, color: None, ..Default::default() },
            Series {
                label: "MA 10 (translucent)".into(),
                values: &ma,
                color: Some("#FF980080".into()),
                ..Default::default()
            },
        ],
        panels: vec![SubPanel {
            title: "close - MA".into(),
            lines: vec![Series {
                label: "diff".into(),
                values: &diff,
                color: Some("#2962FF".into()),
                ..Default::default()
            }],
            histogram: Some(&diff),
            levels: vec![0.0],
            ..SubPanel::default()
        }],
        ..Options::default()
    };
    let s = build_scene(&Input::Bars(d.cols()), &o).unwrap();
    compare("full-tradingview", &s, 2.0, 0.01);
    let aliased = Options { antialias: false, ..o.clone() };
    let s = build_scene(&Input::Bars(d.cols()), &aliased).unwrap();
    compare("full-aliased", &s, 2.0, 0.01);
}

#[test]
fn aggregated_chart_matches() {
    if adapter_or_skip("aggregated_chart_matches").is_none() {
        return;
    }
    let d = Data::walk(200_000, MIN_US, 9);
    let o = Options { width: 1280, height: 720, title: Some("200k bars".into()), ..Options::default() };
    let s = build_scene(&Input::Bars(d.cols()), &o).unwrap();
    compare("aggregated-200k", &s, 2.0, 0.01);
}

#[test]
fn render_with_the_gpu_engine() {
    if adapter_or_skip("render_with_the_gpu_engine").is_none() {
        return;
    }
    let d = Data::walk(100, MIN_US, 11);
    let cpu = Options { width: 320, height: 200, format: Format::Rgba, ..Options::default() };
    let gpu = Options { engine: Engine::Gpu, ..cpu.clone() };
    let a = render(d.cols(), &cpu).unwrap();
    let b = render(d.cols(), &gpu).unwrap();
    assert_eq!((b.width, b.height, b.bytes.len()), (320, 200, 320 * 200 * 4));
    let mean =
        a.bytes.iter().zip(&b.bytes).map(|(x, y)| x.abs_diff(*y) as u64).sum::<u64>() as f64 / a.bytes.len() as f64;
    assert!(mean < 2.0, "mean {mean}");
    // PNG through the GPU engine too.
    let png = render(d.cols(), &Options { format: Format::default(), ..gpu }).unwrap();
    assert_eq!(&png.bytes[1..4], b"PNG");
}

#[test]
fn threads_share_the_device() {
    if adapter_or_skip("threads_share_the_device").is_none() {
        return;
    }
    let d = Data::walk(80, MIN_US, 13);
    let o = Options { width: 300, height: 200, ..Options::default() };
    let s = build_scene(&Input::Bars(d.cols()), &o).unwrap();
    let want = render_gpu(&s).unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| render_gpu(&s))).collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), want, "same scene, same pixels");
        }
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------------------------------------------

/// A scene of `width` x `height` from its own random walk (so a chart delivered in the wrong place shows).
fn batch_scene(seed: u64, width: u32, height: u32, theme: Theme, antialias: bool) -> Scene {
    let d = Data::walk(60 + seed as usize * 7, MIN_US, seed + 100);
    let o = Options { width, height, theme, antialias, title: Some(format!("chart {seed}")), ..Options::default() };
    build_scene(&Input::Bars(d.cols()), &o).unwrap()
}

#[test]
fn pages_split_by_antialiasing_height_and_pixels() {
    let scene = |w: u32, h: u32, aa: bool| Scene {
        width: w,
        height: h,
        antialias: aa,
        ..batch_scene(1, 64, 64, Theme::Classic, aa)
    };
    // Same settings, small: one page.
    let small: Vec<Scene> = (0..5).map(|_| scene(200, 100, true)).collect();
    assert_eq!(page_groups(&small, 16384), vec![vec![0, 1, 2, 3, 4]]);
    // Antialiasing changes: a new page, in order.
    let mixed = vec![scene(200, 100, true), scene(200, 100, false), scene(200, 100, false), scene(200, 100, true)];
    assert_eq!(page_groups(&mixed, 16384), vec![vec![0], vec![1, 2], vec![3]]);
    // The device's height limit (1000 rows here): two charts of 400 rows per page.
    let tall: Vec<Scene> = (0..5).map(|_| scene(100, 400, true)).collect();
    assert_eq!(page_groups(&tall, 1000), vec![vec![0, 1], vec![2, 3], vec![4]]);
    // The pixel budget: 1920x1080 is 2 Mi pixels, so 4 fit in 8 Mi; a chart above the budget is a page alone.
    let hd: Vec<Scene> = (0..9).map(|_| scene(1920, 1080, true)).collect();
    assert_eq!(page_groups(&hd, 16384), vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8]]);
    let huge = vec![scene(200, 100, true), scene(4096, 4096, true), scene(200, 100, true)];
    assert_eq!(page_groups(&huge, 16384), vec![vec![0], vec![1], vec![2]]);
    assert!(page_groups::<Scene>(&[], 16384).is_empty());
}

#[test]
fn batch_matches_the_cpu_backend_and_single_gpu_charts() {
    if adapter_or_skip("batch_matches_the_cpu_backend_and_single_gpu_charts").is_none() {
        return;
    }
    // Different sizes, themes (so different backgrounds in one page), and antialiasing on and off (two pages).
    let scenes = vec![
        batch_scene(1, 320, 200, Theme::TradingView, true),
        batch_scene(2, 480, 260, Theme::Light, true),
        batch_scene(3, 256, 128, Theme::Classic, false),
        batch_scene(4, 300, 180, Theme::Classic, false),
        batch_scene(5, 640, 360, Theme::Modern, true),
    ];
    let batch = render_gpu_batch(&scenes);
    assert_eq!(batch.len(), scenes.len());
    for (i, (scene, result)) in scenes.iter().zip(batch).enumerate() {
        let pixels = result.unwrap_or_else(|e| panic!("chart {i}: {e}"));
        assert_eq!(pixels.len(), (scene.width * scene.height * 4) as usize, "chart {i}");
        let single = render_gpu(scene).unwrap();
        let (gpu, _) = check_pixels(&format!("batch-{i}"), scene, pixels, 2.0, 0.01);
        let off = gpu.iter().zip(&single).filter(|(a, b)| a != b).count();
        assert!(off * 1000 <= gpu.len(), "chart {i}: {off} bytes differ from the same chart drawn alone");
    }
}

#[test]
fn a_batch_of_many_pages_delivers_every_chart_once_in_place() {
    if adapter_or_skip("a_batch_of_many_pages_delivers_every_chart_once_in_place").is_none() {
        return;
    }
    // 800x450 is 360,000 pixels: 23 charts per page, so 50 charts make three pages.
    let scenes: Vec<Scene> = (0..50).map(|i| batch_scene(i, 800, 450, Theme::TradingView, i % 25 != 24)).collect();
    let mut seen = vec![0usize; scenes.len()];
    let mut pages = 0;
    render_gpu_batch_with(&scenes, |page| {
        pages += 1;
        for (index, result) in page {
            seen[index] += 1;
            let pixels = result.unwrap_or_else(|e| panic!("chart {index}: {e}"));
            if index % 7 == 0 {
                check_pixels(&format!("many-{index}"), &scenes[index], pixels, 2.0, 0.01);
            }
        }
    });
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    assert!(pages >= 4, "{pages} pages");
}

#[test]
fn encoded_batch_matches_the_cpu_backend() {
    if adapter_or_skip("encoded_batch_matches_the_cpu_backend").is_none() {
        return;
    }
    let scenes: Vec<Scene> = (0..6).map(|i| batch_scene(i, 320, 200, Theme::Modern, true)).collect();
    let formats = [Format::default(), Format::Rgba, Format::Svg, Format::WebP, Format::default(), Format::Rgba];
    let batch = crate::render::render_scenes_gpu(&scenes, &formats);
    for (i, (scene, result)) in scenes.iter().zip(batch).enumerate() {
        let got = result.unwrap_or_else(|e| panic!("chart {i}: {e}"));
        assert_eq!((got.format, got.width, got.height), (formats[i], 320, 200), "chart {i}");
        if formats[i] == Format::Svg {
            let svg = crate::render::render_scene(scene, Format::Svg, Engine::Cpu).unwrap();
            assert_eq!(got.bytes, svg.bytes, "chart {i}: SVG is written from the scene");
        } else {
            // Decoded, the pixels are within the GPU tests' tolerance of the CPU backend (the encoders are lossless).
            let rgba = match formats[i] {
                Format::Rgba => got.bytes.clone(),
                Format::WebP => {
                    let mut decoder = image_webp::WebPDecoder::new(std::io::Cursor::new(&got.bytes)).unwrap();
                    let mut buf = vec![0; decoder.output_buffer_size().unwrap()];
                    decoder.read_image(&mut buf).unwrap();
                    assert!(decoder.has_alpha(), "chart {i}: RGBA WebP");
                    buf
                }
                _ => {
                    let mut reader = png::Decoder::new(std::io::Cursor::new(&got.bytes)).read_info().unwrap();
                    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
                    let info = reader.next_frame(&mut buf).unwrap();
                    match info.color_type {
                        png::ColorType::Rgba => buf,
                        // An opaque chart may be written without its alpha channel.
                        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
                        other => panic!("chart {i}: PNG colour type {other:?}"),
                    }
                }
            };
            check_pixels(&format!("encoded-{i}"), scene, rgba, 2.0, 0.01);
        }
    }
}
