//! The drawing interface between a scene and an output, plus a recording backend for layout tests.

use super::color::Rgba;
use super::error::RenderError;
use super::scene::{Anchor, Primitive, Scene};

/// Whether a point can be drawn: every backend skips shapes (or segments) through a non-finite point, whose
/// coverage is undefined (and which trips tiny-skia's scanner in debug builds).
#[inline]
pub(crate) fn is_finite_point(p: &(f32, f32)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

/// Something that can draw a scene's primitives.
///
/// `rect`, `polyline`, `polygon` and `text` are required; `line` and `circle` fall back to polylines, and
/// `draw_scene` walks the draw list in order.
pub trait Backend {
    /// Starts a picture of the given size filled with `background`.
    fn begin(&mut self, width: u32, height: u32, background: Rgba, antialias: bool) -> Result<(), RenderError>;
    /// A filled axis-aligned rectangle.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgba);
    /// A stroked open polyline.
    fn polyline(&mut self, points: &[(f32, f32)], color: Rgba, width: f32);
    /// A filled polygon.
    fn polygon(&mut self, points: &[(f32, f32)], color: Rgba);
    /// One line of text with its baseline at `y`.
    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, color: Rgba, anchor: Anchor);
    /// One line of text centred on `(cx, cy)`, turned `angle` degrees counter-clockwise.
    fn turned_text(&mut self, cx: f32, cy: f32, text: &str, size: f32, color: Rgba, angle: f32);

    /// A stroked segment.
    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: Rgba, width: f32) {
        self.polyline(&[(x1, y1), (x2, y2)], color, width);
    }

    /// A stroked circle.
    fn circle(&mut self, cx: f32, cy: f32, r: f32, color: Rgba, width: f32) {
        let pts: Vec<(f32, f32)> = (0..=48)
            .map(|k| {
                let a = k as f32 * std::f32::consts::TAU / 48.0;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        self.polyline(&pts, color, width);
    }

    /// Draws one primitive.
    fn draw(&mut self, p: &Primitive) {
        match p {
            Primitive::Rect { x, y, w, h, color } => self.rect(*x, *y, *w, *h, *color),
            Primitive::Line { x1, y1, x2, y2, color, width } => self.line(*x1, *y1, *x2, *y2, *color, *width),
            Primitive::Polyline { points, color, width } => self.polyline(points, *color, *width),
            Primitive::Polygon { points, color } => self.polygon(points, *color),
            Primitive::Circle { cx, cy, r, color, width } => self.circle(*cx, *cy, *r, *color, *width),
            Primitive::Text { x, y, text, size, color, anchor } => self.text(*x, *y, text, *size, *color, *anchor),
            Primitive::TurnedText { cx, cy, text, size, color, angle } => {
                self.turned_text(*cx, *cy, text, *size, *color, *angle)
            }
        }
    }

    /// Draws a whole scene.
    fn draw_scene(&mut self, scene: &Scene) -> Result<(), RenderError> {
        self.begin(scene.width, scene.height, scene.background, scene.antialias)?;
        for p in &scene.items {
            self.draw(p);
        }
        Ok(())
    }
}

/// A backend that records what it is asked to draw (for tests without pixels).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Size and background from `begin`.
    pub canvas: Option<(u32, u32, Rgba)>,
    /// Everything drawn, in order.
    pub calls: Vec<Primitive>,
}

impl Backend for Recorder {
    fn begin(&mut self, width: u32, height: u32, background: Rgba, _antialias: bool) -> Result<(), RenderError> {
        self.canvas = Some((width, height, background));
        self.calls.clear();
        Ok(())
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgba) {
        self.calls.push(Primitive::Rect { x, y, w, h, color });
    }
    fn polyline(&mut self, points: &[(f32, f32)], color: Rgba, width: f32) {
        self.calls.push(Primitive::Polyline { points: points.to_vec(), color, width });
    }
    fn polygon(&mut self, points: &[(f32, f32)], color: Rgba) {
        self.calls.push(Primitive::Polygon { points: points.to_vec(), color });
    }
    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, color: Rgba, anchor: Anchor) {
        self.calls.push(Primitive::Text { x, y, text: text.to_string(), size, color, anchor });
    }
    fn turned_text(&mut self, cx: f32, cy: f32, text: &str, size: f32, color: Rgba, angle: f32) {
        self.calls.push(Primitive::TurnedText { cx, cy, text: text.to_string(), size, color, angle });
    }
}
