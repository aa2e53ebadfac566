//! Chart annotations as options: horizontal, vertical and free lines, shaded regions between two series, and
//! signal markers. Positions are in source rows and prices; [`super::scene`] maps them to pixels and
//! [`stroke`] draws any line style with the backends' plain primitives.

use super::color::{Palette, Rgba};
use super::data::range_of;
use super::error::RenderError;
use super::options::{ChartKind, Options};
use super::scene::{PanelKind, PanelLayout, Primitive, RectF, YScale};

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineStyle {
    /// One continuous stroke.
    #[default]
    Solid,
    /// Dashes five line widths long with gaps of three.
    Dashed,
    /// Dots one and a half line widths long with gaps of two.
    Dotted,
}

impl LineStyle {
    /// The style names, in documentation order.
    pub const NAMES: [&'static str; 3] = ["solid", "dashed", "dotted"];

    /// Parses `solid`, `dashed` or `dotted` (case-insensitive; matplotlib's `-`, `--`, `:` too).
    pub fn parse(name: &str, param: &str) -> Result<LineStyle, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "solid" | "-" => Ok(LineStyle::Solid),
            "dashed" | "--" => Ok(LineStyle::Dashed),
            "dotted" | ":" => Ok(LineStyle::Dotted),
            _ => Err(RenderError::InvalidInput {
                param: param.into(),
                message: format!("style must be one of solid, dashed, dotted; got '{name}'"),
            }),
        }
    }

    /// Lengths of the drawn and the skipped part of one period, in pixels, for a line `width` wide.
    fn pattern(self, width: f32) -> Option<(f32, f32)> {
        let w = width.max(1.0);
        match self {
            LineStyle::Solid => None,
            LineStyle::Dashed => Some(((w * 5.0).max(5.0), (w * 3.0).max(3.0))),
            LineStyle::Dotted => Some((w.max(1.5), (w * 2.0).max(2.5))),
        }
    }
}

/// How a line annotation looks.
#[derive(Debug, Clone, Default)]
pub struct LineLook {
    /// `#RGB` / `#RRGGBB` / `#RRGGBBAA`; `None`: the theme's text colour.
    pub color: Option<String>,
    /// Width in pixels; `0`: the chart's line width.
    pub width: f32,
    /// Solid, dashed or dotted.
    pub style: LineStyle,
    /// Listed in the legend when given.
    pub label: Option<String>,
}

/// A horizontal line across the price panel at a price.
#[derive(Debug, Clone, Default)]
pub struct HLine {
    /// The price.
    pub price: f64,
    /// Colour, width, style, label.
    pub look: LineLook,
}

/// A vertical line through every panel at a source row (the bar's centre).
#[derive(Debug, Clone, Default)]
pub struct VLine {
    /// Source row (0-based).
    pub row: usize,
    /// Colour, width, style, label.
    pub look: LineLook,
}

/// A free line over the price panel through `(source row, price)` points (trend lines are two-point lines).
#[derive(Debug, Clone, Default)]
pub struct ALine {
    /// At least two points, in any order of rows.
    pub points: Vec<(usize, f64)>,
    /// Colour, width, style, label.
    pub look: LineLook,
}

/// A region of a panel (the price panel unless `panel` says otherwise) shaded between two series: rows where either
/// value is NaN are not shaded (a `where` mask arrives as NaN). The panel's y range takes in the region.
#[derive(Debug, Clone, Default)]
pub struct Fill<'a> {
    /// One value per source row.
    pub y1: &'a [f64],
    /// One value per source row.
    pub y2: &'a [f64],
    /// Fill colour; `None`: the theme's line colour.
    pub color: Option<String>,
    /// Opacity 0..=255 over the colour's own alpha.
    pub alpha: u8,
    /// Listed in the legend when given.
    pub label: Option<String>,
    /// The panel shaded: price, volume or a sub-panel (which must be drawn).
    pub panel: PanelKind,
}

/// The shape of a signal marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarkerShape {
    /// ▲, the default for buy signals.
    #[default]
    TriangleUp,
    /// ▼.
    TriangleDown,
    /// ●.
    Circle,
    /// ■.
    Square,
    /// ◆.
    Diamond,
    /// ✕.
    Cross,
}

impl MarkerShape {
    /// The shape names, in documentation order.
    pub const NAMES: [&'static str; 6] = ["triangle_up", "triangle_down", "circle", "square", "diamond", "cross"];

    /// Parses a shape name (case-insensitive; `-` and `_` interchangeable; matplotlib's `^ v o s D x` too).
    pub fn parse(name: &str, param: &str) -> Result<MarkerShape, RenderError> {
        let shape = match name.to_ascii_lowercase().replace('-', "_").as_str() {
            "triangle_up" | "^" => MarkerShape::TriangleUp,
            "triangle_down" | "v" => MarkerShape::TriangleDown,
            "circle" | "o" => MarkerShape::Circle,
            "square" | "s" => MarkerShape::Square,
            "diamond" | "d" => MarkerShape::Diamond,
            "cross" | "x" => MarkerShape::Cross,
            _ => {
                return Err(RenderError::InvalidInput {
                    param: param.into(),
                    message: format!("shape must be one of {}; got '{name}'", MarkerShape::NAMES.join(", ")),
                })
            }
        };
        Ok(shape)
    }
}

/// Signal markers on the price panel: one per source row whose value is not NaN, centred at (bar, value).
#[derive(Debug, Clone, Default)]
pub struct Markers<'a> {
    /// One price per source row; NaN: no marker.
    pub values: &'a [f64],
    /// The shape.
    pub shape: MarkerShape,
    /// Size in pixels; `0`: scaled with the font.
    pub size: f32,
    /// Colour; `None`: up colour for `triangle_up`, down colour for `triangle_down`, else the text colour.
    pub color: Option<String>,
    /// Listed in the legend when given.
    pub label: Option<String>,
}

/// Strokes a polyline in `style`: solid as one primitive, dashed and dotted as one short polyline per dash, the
/// pattern running on across the vertices.
pub(crate) fn stroke(items: &mut Vec<Primitive>, points: &[(f32, f32)], color: Rgba, width: f32, style: LineStyle) {
    if points.len() < 2 {
        return;
    }
    let Some((on, off)) = style.pattern(width) else {
        items.push(Primitive::Polyline { points: points.to_vec(), color, width });
        return;
    };
    // Position within the current period, and the dash being drawn.
    let (period, mut phase) = (on + off, 0.0f32);
    let mut dash: Vec<(f32, f32)> = vec![points[0]];
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        if len.is_nan() || len <= 0.0 {
            continue;
        }
        let mut t = 0.0f32;
        while t < len {
            let drawing = phase < on;
            let to_boundary = if drawing { on - phase } else { period - phase };
            let step = to_boundary.min(len - t);
            t += step;
            phase += step;
            let p = (x0 + (x1 - x0) * t / len, y0 + (y1 - y0) * t / len);
            if drawing {
                dash.push(p);
            }
            if phase >= period {
                phase -= period;
            }
            if drawing && phase >= on {
                items.push(Primitive::Polyline { points: std::mem::take(&mut dash), color, width });
            } else if !drawing && phase < on {
                dash = vec![p];
            }
        }
    }
    if dash.len() >= 2 {
        items.push(Primitive::Polyline { points: dash, color, width });
    }
}

/// The outline of a marker centred at `(cx, cy)`, `size` pixels across, as filled primitives.
pub(crate) fn marker(items: &mut Vec<Primitive>, shape: MarkerShape, cx: f32, cy: f32, size: f32, color: Rgba) {
    let h = size * 0.5;
    match shape {
        MarkerShape::TriangleUp => {
            items.push(Primitive::Polygon { points: vec![(cx, cy - h), (cx + h, cy + h), (cx - h, cy + h)], color })
        }
        MarkerShape::TriangleDown => {
            items.push(Primitive::Polygon { points: vec![(cx - h, cy - h), (cx + h, cy - h), (cx, cy + h)], color })
        }
        MarkerShape::Square => items.push(Primitive::Rect {
            x: (cx - h).round(),
            y: (cy - h).round(),
            w: size.round(),
            h: size.round(),
            color,
        }),
        MarkerShape::Diamond => items
            .push(Primitive::Polygon { points: vec![(cx, cy - h), (cx + h, cy), (cx, cy + h), (cx - h, cy)], color }),
        MarkerShape::Circle => {
            let points = (0..24)
                .map(|k| {
                    let a = k as f32 * std::f32::consts::TAU / 24.0;
                    (cx + h * a.cos(), cy + h * a.sin())
                })
                .collect();
            items.push(Primitive::Polygon { points, color })
        }
        MarkerShape::Cross => {
            let w = (size / 5.0).max(1.5);
            items.push(Primitive::Polyline { points: vec![(cx - h, cy - h), (cx + h, cy + h)], color, width: w });
            items.push(Primitive::Polyline { points: vec![(cx - h, cy + h), (cx + h, cy - h)], color, width: w });
        }
    }
}

/// What drawing the annotations needs of the laid-out chart.
pub(crate) struct Geometry<'g> {
    /// The centre x of the bar drawing a source row.
    pub x_of_row: &'g dyn Fn(usize) -> f32,
    /// The centre x of slot `i` (after aggregation).
    pub x_of_slot: &'g dyn Fn(usize) -> f32,
    /// Per-slot values of a per-row series (the last valid value of the rows a slot covers).
    pub reduce: &'g dyn Fn(&[f64]) -> Vec<f64>,
    /// The price panel's scale and plot rectangle.
    pub price: &'g YScale,
    pub price_rect: RectF,
    /// Top of the first panel and bottom of the last: the extent of vertical lines.
    pub top: f32,
    pub bottom: f32,
    pub line_w: f32,
    pub font: f32,
    /// `Options::font_scale`, by which explicit widths and marker sizes are multiplied.
    pub scale: f32,
    pub palette: &'g Palette,
    /// Every panel, for the shading of panels other than the price panel.
    pub panels: &'g [PanelLayout],
}

/// A legend entry: label and colour.
pub(crate) type Entry = (String, Rgba);

fn checked(param: String, ok: bool, message: impl FnOnce() -> String) -> Result<(), RenderError> {
    if ok {
        Ok(())
    } else {
        Err(RenderError::InvalidInput { param, message: message() })
    }
}

/// Checks every annotation against the number of source rows (lengths, rows in range, finite prices).
pub(crate) fn check(opts: &Options, n_src: usize) -> Result<(), RenderError> {
    let any = !(opts.hlines.is_empty()
        && opts.vlines.is_empty()
        && opts.alines.is_empty()
        && opts.fills.is_empty()
        && opts.markers.is_empty());
    if any && matches!(opts.kind, ChartKind::Renko | ChartKind::Pnf) {
        return Err(RenderError::InvalidInput {
            param: "annotations".into(),
            message: format!(
                "lines, fills and markers need time bars; kind '{}' draws bricks / columns",
                opts.kind.name()
            ),
        });
    }
    for (i, h) in opts.hlines.iter().enumerate() {
        checked(format!("hlines[{i}]"), h.price.is_finite(), || format!("price must be finite, got {}", h.price))?;
    }
    for (i, v) in opts.vlines.iter().enumerate() {
        checked(format!("vlines[{i}]"), v.row < n_src, || format!("row {} is outside the {n_src} bars", v.row))?;
    }
    for (i, a) in opts.alines.iter().enumerate() {
        checked(format!("alines[{i}]"), a.points.len() >= 2, || {
            format!("needs at least 2 points, got {}", a.points.len())
        })?;
        for (j, &(row, price)) in a.points.iter().enumerate() {
            checked(format!("alines[{i}] point {j}"), row < n_src && price.is_finite(), || {
                format!("(row {row}, price {price}) is outside the {n_src} bars or not finite")
            })?;
        }
    }
    for (i, f) in opts.fills.iter().enumerate() {
        for (name, values) in [("y1", f.y1), ("y2", f.y2)] {
            if values.len() != n_src {
                return Err(RenderError::LengthMismatch {
                    column: format!("fill_between[{i}] {name}"),
                    expected: n_src,
                    got: values.len(),
                });
            }
        }
    }
    for (i, m) in opts.markers.iter().enumerate() {
        if m.values.len() != n_src {
            return Err(RenderError::LengthMismatch {
                column: format!("markers[{i}]"),
                expected: n_src,
                got: m.values.len(),
            });
        }
        checked(format!("markers[{i}]"), m.size.is_finite() && m.size >= 0.0, || {
            format!("size must be >= 0, got {}", m.size)
        })?;
    }
    Ok(())
}

/// The price range the annotations need visible, if any.
pub(crate) fn price_range(opts: &Options) -> Option<(f64, f64)> {
    let prices = opts
        .hlines
        .iter()
        .map(|h| h.price)
        .chain(opts.alines.iter().flat_map(|a| a.points.iter().map(|p| p.1)))
        .chain(fill_values(&opts.fills, PanelKind::Price))
        .chain(opts.markers.iter().flat_map(|m| m.values.iter().copied()));
    range_of(prices)
}

/// The values the shaded regions of one panel cover (both ends of every shaded row).
fn fill_values<'f>(fills: &'f [Fill], panel: PanelKind) -> impl Iterator<Item = f64> + 'f {
    fills
        .iter()
        .filter(move |f| f.panel == panel)
        .flat_map(|f| f.y1.iter().zip(f.y2).filter(|(a, b)| !(a.is_nan() || b.is_nan())).flat_map(|(a, b)| [*a, *b]))
}

/// The range the shaded regions of a panel other than the price panel need visible, if any.
pub(crate) fn fills_range(fills: &[Fill], panel: PanelKind) -> Option<(f64, f64)> {
    range_of(fill_values(fills, panel))
}

fn color_of(value: &Option<String>, default: Rgba, param: &str) -> Result<Rgba, RenderError> {
    value.as_deref().map_or(Ok(default), |c| Rgba::parse_hex(c, param))
}

/// Shaded regions, drawn under the bars: one polygon per run of slots where both series have a value.
pub(crate) fn draw_fills(items: &mut Vec<Primitive>, fills: &[Fill], g: &Geometry) -> Result<Vec<Entry>, RenderError> {
    let mut legend = Vec::new();
    for (i, f) in fills.iter().enumerate() {
        let Some(panel) = g.panels.iter().find(|p| p.kind == f.panel) else {
            return Err(RenderError::InvalidInput {
                param: format!("fill_between[{i}] panel"),
                message: format!("the chart draws no {} panel to shade", panel_name(f.panel)),
            });
        };
        // Clamped to the panel, whose range may be fixed (a sub-panel's ylim).
        let (top_px, bottom_px) = (panel.rect.y, panel.rect.bottom());
        let y_of = |v: f64| panel.scale.y(v).clamp(top_px, bottom_px);
        let base = color_of(&f.color, g.palette.line, &format!("fill_between[{i}] color"))?;
        let color = base.with_alpha(((base.a as u32 * f.alpha as u32) / 255) as u8);
        let (y1, y2) = ((g.reduce)(f.y1), (g.reduce)(f.y2));
        let mut run: Vec<usize> = Vec::new();
        let mut flush = |run: &mut Vec<usize>| {
            if run.len() >= 2 {
                let top = run.iter().map(|&k| ((g.x_of_slot)(k), y_of(y1[k])));
                let bottom = run.iter().rev().map(|&k| ((g.x_of_slot)(k), y_of(y2[k])));
                items.push(Primitive::Polygon { points: top.chain(bottom).collect(), color });
            } else if let [k] = run[..] {
                let (a, b) = (y_of(y1[k]), y_of(y2[k]));
                let x = (g.x_of_slot)(k);
                items.push(Primitive::Rect {
                    x: x.floor(),
                    y: a.min(b).floor(),
                    w: 1.0,
                    h: (a - b).abs().max(1.0),
                    color,
                });
            }
            run.clear();
        };
        for k in 0..y1.len() {
            if y1[k].is_nan() || y2[k].is_nan() {
                flush(&mut run);
            } else {
                run.push(k);
            }
        }
        flush(&mut run);
        if let Some(label) = &f.label {
            legend.push((label.clone(), base));
        }
    }
    Ok(legend)
}

fn panel_name(panel: PanelKind) -> String {
    match panel {
        PanelKind::Price => "price".into(),
        PanelKind::Volume => "volume".into(),
        PanelKind::Sub(i) => format!("sub-panel {i} (panels[{i}])"),
    }
}

/// Horizontal, vertical and free lines, drawn over the bars and overlays.
pub(crate) fn draw_lines(items: &mut Vec<Primitive>, opts: &Options, g: &Geometry) -> Result<Vec<Entry>, RenderError> {
    let mut legend = Vec::new();
    let mut look = |items: &mut Vec<Primitive>, param: String, l: &LineLook, points: &[(f32, f32)]| {
        let color = color_of(&l.color, g.palette.text, &format!("{param} color"))?;
        let width = if l.width > 0.0 { l.width * g.scale } else { g.line_w };
        stroke(items, points, color, width, l.style);
        if let Some(label) = &l.label {
            legend.push((label.clone(), color));
        }
        Ok::<_, RenderError>(())
    };
    let (left, right) = (g.price_rect.x, g.price_rect.right());
    // Crisp one-pixel lines sit on pixel centres.
    let crisp = |v: f32| v.round() + 0.5;
    for (i, h) in opts.hlines.iter().enumerate() {
        let y = crisp(g.price.y(h.price));
        look(items, format!("hlines[{i}]"), &h.look, &[(left, y), (right, y)])?;
    }
    for (i, v) in opts.vlines.iter().enumerate() {
        let x = crisp((g.x_of_row)(v.row) - 0.5);
        look(items, format!("vlines[{i}]"), &v.look, &[(x, g.top), (x, g.bottom)])?;
    }
    for (i, a) in opts.alines.iter().enumerate() {
        let points: Vec<(f32, f32)> = a.points.iter().map(|&(row, p)| ((g.x_of_row)(row), g.price.y(p))).collect();
        look(items, format!("alines[{i}]"), &a.look, &points)?;
    }
    Ok(legend)
}

/// Signal markers, drawn last on the price panel.
pub(crate) fn draw_markers(
    items: &mut Vec<Primitive>,
    markers: &[Markers],
    g: &Geometry,
) -> Result<Vec<Entry>, RenderError> {
    let mut legend = Vec::new();
    for (i, m) in markers.iter().enumerate() {
        let default = match m.shape {
            MarkerShape::TriangleUp => g.palette.up,
            MarkerShape::TriangleDown => g.palette.down,
            _ => g.palette.text,
        };
        let color = color_of(&m.color, default, &format!("markers[{i}] color"))?;
        let size = if m.size > 0.0 { m.size * g.scale } else { (g.font * 0.9).round().max(5.0) };
        for (k, v) in (g.reduce)(m.values).into_iter().enumerate() {
            if v.is_finite() {
                marker(items, m.shape, (g.x_of_slot)(k), g.price.y(v), size, color);
            }
        }
        if let Some(label) = &m.label {
            legend.push((label.clone(), color));
        }
    }
    Ok(legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashes(style: LineStyle, points: &[(f32, f32)]) -> Vec<Vec<(f32, f32)>> {
        let mut items = Vec::new();
        stroke(&mut items, points, Rgba::rgb(0, 0, 0), 1.0, style);
        items
            .into_iter()
            .map(|p| match p {
                Primitive::Polyline { points, .. } => points,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn dashed_and_dotted_strokes_follow_their_pattern() {
        assert_eq!(dashes(LineStyle::Solid, &[(0.0, 0.0), (100.0, 0.0)]), vec![vec![(0.0, 0.0), (100.0, 0.0)]]);
        let d = dashes(LineStyle::Dashed, &[(0.0, 0.0), (100.0, 0.0)]);
        // 5 on, 3 off: dashes start every 8 px; the last one is cut at the end.
        assert_eq!(d.len(), 13);
        assert_eq!(d[0], vec![(0.0, 0.0), (5.0, 0.0)]);
        assert_eq!(d[1], vec![(8.0, 0.0), (13.0, 0.0)]);
        assert_eq!(d[12], vec![(96.0, 0.0), (100.0, 0.0)]);
        let drawn: f32 = d.iter().map(|s| s[s.len() - 1].0 - s[0].0).sum();
        assert!((drawn - (12.0 * 5.0 + 4.0)).abs() < 1e-3);
        // The pattern runs on across a vertex: a dash bends around the corner.
        let corner = dashes(LineStyle::Dashed, &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]);
        assert_eq!(corner[1], vec![(8.0, 0.0), (10.0, 0.0), (10.0, 3.0)]);
        let dots = dashes(LineStyle::Dotted, &[(0.0, 0.0), (40.0, 0.0)]);
        assert_eq!(dots.len(), 10, "1.5 on, 2.5 off");
    }

    #[test]
    fn names_parse() {
        assert_eq!(LineStyle::parse("--", "hlines").unwrap(), LineStyle::Dashed);
        assert_eq!(LineStyle::parse("Dotted", "hlines").unwrap(), LineStyle::Dotted);
        let e = LineStyle::parse("wavy", "hlines[0]").unwrap_err().to_string();
        assert!(e.contains("hlines[0]") && e.contains("'wavy'"), "{e}");
        assert_eq!(MarkerShape::parse("triangle-down", "markers").unwrap(), MarkerShape::TriangleDown);
        assert_eq!(MarkerShape::parse("^", "markers").unwrap(), MarkerShape::TriangleUp);
        assert!(MarkerShape::parse("star", "markers[1]").unwrap_err().to_string().contains("markers[1]"));
    }
}
