//! The SVG backend: the same scene written as SVG elements, text as `<text>`.

use std::fmt::Write;

use super::backend::Backend;
use super::color::Rgba;
use super::error::RenderError;
use super::scene::{Anchor, Scene};
use super::text::{line_metrics, FONT_FAMILY};

/// Writes a scene as an SVG document.
#[derive(Default)]
pub struct SvgBackend {
    out: String,
}

impl SvgBackend {
    /// The SVG text for `scene`.
    pub fn render(scene: &Scene) -> Result<String, RenderError> {
        let mut b = SvgBackend::default();
        b.draw_scene(scene)?;
        b.out.push_str("</svg>\n");
        Ok(b.out)
    }
}

fn paint(attr: &str, c: Rgba) -> String {
    let rgb = Rgba { a: 255, ..c }.to_hex();
    if c.a == 255 {
        format!("{attr}=\"{rgb}\"")
    } else {
        format!("{attr}=\"{rgb}\" {attr}-opacity=\"{:.3}\"", c.a as f32 / 255.0)
    }
}

fn points_attr(points: &[(f32, f32)]) -> String {
    let mut s = String::with_capacity(points.len() * 12);
    for (i, (x, y)) in points.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x},{y}");
    }
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Backend for SvgBackend {
    fn begin(&mut self, width: u32, height: u32, background: Rgba, antialias: bool) -> Result<(), RenderError> {
        let rendering = if antialias { "" } else { " shape-rendering=\"crispEdges\" text-rendering=\"optimizeSpeed\"" };
        let _ = writeln!(
            self.out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"{rendering}>"
        );
        let _ = writeln!(
            self.out,
            "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" {}/>",
            paint("fill", background)
        );
        Ok(())
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgba) {
        let _ = writeln!(self.out, "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" {}/>", paint("fill", color));
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgba, width: f32) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {} stroke-width=\"{width}\"/>",
            paint("stroke", color)
        );
    }

    fn polyline(&mut self, points: &[(f32, f32)], color: Rgba, width: f32) {
        let _ = writeln!(
            self.out,
            "<polyline points=\"{}\" fill=\"none\" {} stroke-width=\"{width}\" stroke-linejoin=\"round\"/>",
            points_attr(points),
            paint("stroke", color)
        );
    }

    fn polygon(&mut self, points: &[(f32, f32)], color: Rgba) {
        let _ = writeln!(self.out, "<polygon points=\"{}\" {}/>", points_attr(points), paint("fill", color));
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgba, width: f32) {
        let _ = writeln!(
            self.out,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"none\" {} stroke-width=\"{width}\"/>",
            paint("stroke", color)
        );
    }

    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, color: Rgba, anchor: Anchor) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.out,
            "<text x=\"{x}\" y=\"{y}\" font-family=\"{FONT_FAMILY}\" font-size=\"{size}\" text-anchor=\"{anchor}\" {}>{}</text>",
            paint("fill", color),
            escape(text)
        );
    }

    fn turned_text(&mut self, cx: f32, cy: f32, text: &str, size: f32, color: Rgba, angle: f32) {
        // Placed level with its middle on the centre, then turned about it (SVG turns clockwise, y being down).
        let (ascent, descent) = line_metrics(size);
        let baseline = cy + ((ascent + descent) * 0.5).round();
        let _ = writeln!(
            self.out,
            "<text x=\"{cx}\" y=\"{baseline}\" transform=\"rotate({} {cx} {cy})\" font-family=\"{FONT_FAMILY}\" font-size=\"{size}\" text-anchor=\"middle\" {}>{}</text>",
            -angle,
            paint("fill", color),
            escape(text)
        );
    }
}
