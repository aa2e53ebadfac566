//! Layout, scales, ticks and the draw list: everything about a chart except pixels.

// No unwrap()/expect() on what a user can influence: errors are returned, never panicked on (make lint).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use super::annotations;
use super::color::{Palette, Rgba, SERIES_COLORS};
use super::data::{self, range_of, Bars};
use super::error::RenderError;
use super::options::{ChartKind, Input, LineStyle, Options, PanelLineKind, PnfColumn, SubPanel, MAX_SIZE, MIN_SIZE};
use super::text::{line_metrics, one_line, text_lines, text_width, turned_extent};
use super::ticks::{
    format_compact, format_custom, format_fixed, format_time, log_ticks, nice_ticks, with_year, TimeFormat, TimeStep,
};

/// Horizontal text alignment relative to the text's `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// `x` is the left edge.
    Start,
    /// `x` is the centre.
    Middle,
    /// `x` is the right edge.
    End,
}

/// One thing to draw. Coordinates are pixels from the top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Primitive {
    /// A filled axis-aligned rectangle.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        color: Rgba,
    },
    /// A straight stroked segment.
    Line {
        /// Start x.
        x1: f32,
        /// Start y.
        y1: f32,
        /// End x.
        x2: f32,
        /// End y.
        y2: f32,
        /// Stroke colour.
        color: Rgba,
        /// Stroke width.
        width: f32,
    },
    /// A stroked open polyline.
    Polyline {
        /// Vertices.
        points: Vec<(f32, f32)>,
        /// Stroke colour.
        color: Rgba,
        /// Stroke width.
        width: f32,
    },
    /// A filled closed polygon.
    Polygon {
        /// Vertices.
        points: Vec<(f32, f32)>,
        /// Fill.
        color: Rgba,
    },
    /// A stroked circle.
    Circle {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// Radius.
        r: f32,
        /// Stroke colour.
        color: Rgba,
        /// Stroke width.
        width: f32,
    },
    /// A single line of text.
    Text {
        /// Anchor x.
        x: f32,
        /// Baseline y.
        y: f32,
        /// One line of text (characters outside the embedded font come from a fallback font or draw as its
        /// missing-glyph box).
        text: String,
        /// Font size in pixels.
        size: f32,
        /// Colour.
        color: Rgba,
        /// Horizontal alignment.
        anchor: Anchor,
    },
    /// A single line of text turned about its centre (the middle of its advance, halfway between ascent and
    /// descent).
    TurnedText {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// One line of text, as for `Text`.
        text: String,
        /// Font size in pixels.
        size: f32,
        /// Colour.
        color: Rgba,
        /// Degrees counter-clockwise on the screen.
        angle: f32,
    },
}

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RectF {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl RectF {
    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
}

/// A linear value → pixel-row mapping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YScale {
    /// Value drawn at `bottom`.
    pub min: f64,
    /// Value drawn at `top`.
    pub max: f64,
    /// Pixel row of `max`.
    pub top: f32,
    /// Pixel row of `min`.
    pub bottom: f32,
    /// Logarithmic (`min > 0`): equal ratios are equal distances.
    pub log: bool,
}

impl YScale {
    /// The pixel row of a value.
    pub fn y(&self, v: f64) -> f32 {
        // Linear: halved first, since `max - min` of prices spanning more than f64::MAX (1e308 down to -1e308, or
        // f64::MAX down to 0 plus padding) would be inf and every row NaN (a blank panel); halving is exact for
        // normal numbers, so the ratio is the same. Logarithmic: the logs never overflow.
        let (min, max, v) =
            if self.log { (self.min.ln(), self.max.ln(), v.ln()) } else { (self.min * 0.5, self.max * 0.5, v * 0.5) };
        let span = max - min;
        let f = if span > 0.0 { (max - v) / span } else { 0.5 };
        self.top + (f * (self.bottom - self.top) as f64) as f32
    }
}

/// A y-axis tick.
#[derive(Debug, Clone, PartialEq)]
pub struct YTick {
    /// Value.
    pub value: f64,
    /// Pixel row.
    pub y: f32,
    /// Label.
    pub label: String,
}

/// An x-axis tick.
#[derive(Debug, Clone, PartialEq)]
pub struct XTick {
    /// The slot (bar index after aggregation).
    pub slot: usize,
    /// Pixel column of the slot's centre.
    pub x: f32,
    /// Label.
    pub label: String,
}

/// Which panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanelKind {
    /// Price (bars and overlays).
    #[default]
    Price,
    /// Volume bars.
    Volume,
    /// The n-th extra sub-panel.
    Sub(usize),
}

impl PanelKind {
    /// `price`, `volume`, or a sub-panel's index (`0` for the first of `Options::panels`); `param` names the
    /// option in the error.
    pub fn parse(name: &str, param: &str) -> Result<PanelKind, RenderError> {
        match name {
            "price" => Ok(PanelKind::Price),
            "volume" => Ok(PanelKind::Volume),
            _ => name.parse::<usize>().map(PanelKind::Sub).map_err(|_| RenderError::InvalidInput {
                param: param.to_string(),
                message: format!("must be 'price', 'volume' or a sub-panel's index from 0, got '{name}'"),
            }),
        }
    }

    /// The panel's height weight when `Options::panel_ratios` is not given.
    fn default_weight(self) -> f32 {
        match self {
            PanelKind::Price => 4.0,
            PanelKind::Volume => 1.0,
            PanelKind::Sub(_) => 1.4,
        }
    }

    /// The panel's place in the scene's panel list (price, volume, then the sub-panels in order), whatever its
    /// place on the image.
    fn list_rank(self) -> usize {
        match self {
            PanelKind::Price => 0,
            PanelKind::Volume => 1,
            PanelKind::Sub(i) => 2 + i,
        }
    }

    /// The panel as error messages name it.
    fn name(self) -> &'static str {
        match self {
            PanelKind::Price => "price",
            PanelKind::Volume => "volume",
            PanelKind::Sub(_) => "sub-panel",
        }
    }
}

/// A panel's rectangle, scale and ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelLayout {
    /// Which panel.
    pub kind: PanelKind,
    /// Plot area (excludes the y-axis labels).
    pub rect: RectF,
    /// Value → row mapping.
    pub scale: YScale,
    /// Y ticks.
    pub ticks: Vec<YTick>,
    /// The second y axis, when any of the panel's lines is drawn against one.
    pub secondary: Option<SecondAxis>,
}

/// A panel's second y axis: the scale of its second-axis lines and their ticks, labelled on the side opposite the
/// first axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondAxis {
    /// Value → row mapping (linear).
    pub scale: YScale,
    /// Y ticks.
    pub ticks: Vec<YTick>,
}

impl PanelLayout {
    /// The scale a line is drawn against: the second axis's for a second-axis line (when the panel has one).
    fn scale_for(&self, secondary: bool) -> &YScale {
        match &self.secondary {
            Some(axis) if secondary => &axis.scale,
            _ => &self.scale,
        }
    }
}

/// A laid-out chart: geometry for tests and the draw list for backends.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Background colour.
    pub background: Rgba,
    /// Whether backends should antialias.
    pub antialias: bool,
    /// The colours used.
    pub palette: Palette,
    /// Panels top to bottom: price, then volume (if shown), then sub-panels.
    pub panels: Vec<PanelLayout>,
    /// X ticks (shared by all panels, labelled under the bottom panel).
    pub x_ticks: Vec<XTick>,
    /// How x labels are written.
    pub time_format: TimeFormat,
    /// Number of x slots (bars after aggregation).
    pub slots: usize,
    /// Number of input rows (bars, bricks or columns).
    pub source_len: usize,
    /// Width of one slot in pixels.
    pub slot_width: f32,
    /// The last close and its row, when any bar is present.
    pub last_price: Option<f64>,
    /// Font size used for labels.
    pub font_size: f32,
    /// Draw list, in painting order.
    pub items: Vec<Primitive>,
}

impl Scene {
    /// The price panel.
    pub fn price_panel(&self) -> &PanelLayout {
        &self.panels[0]
    }

    /// The volume panel, if shown.
    pub fn volume_panel(&self) -> Option<&PanelLayout> {
        self.panels.iter().find(|p| p.kind == PanelKind::Volume)
    }

    /// Left pixel column of slot `i`.
    pub fn slot_left(&self, i: usize) -> f32 {
        self.panels[0].rect.x + i as f32 * self.slot_width
    }

    /// Centre pixel column of slot `i`.
    pub fn slot_center(&self, i: usize) -> f32 {
        self.slot_left(i) + self.slot_width * 0.5
    }

    /// Body (left, width) in whole pixels for slot `i`, as drawn by candles and volume bars.
    pub fn body_span(&self, i: usize) -> (f32, f32) {
        let (bw, _) = body_and_wick(self.slot_width, self.font_size);
        let left = (self.slot_left(i) + (self.slot_width - bw) * 0.5).floor();
        (left, bw)
    }
}

fn body_and_wick(slot: f32, font: f32) -> (f32, f32) {
    let wick = (font / 14.0).round().max(1.0);
    if slot < 3.0 {
        return (slot.floor().max(1.0), 1.0);
    }
    let mut body = (slot * 0.7).floor().max(1.0);
    let wick = wick.min(body);
    if body >= 4.0 && (body - wick) % 2.0 != 0.0 {
        body -= 1.0;
    }
    (body.max(wick), wick)
}

fn resolve_palette(opts: &Options) -> Result<Palette, RenderError> {
    let mut p = opts.theme.palette();
    let c = &opts.colors;
    let apply = |slot: &mut Rgba, v: &Option<String>, name: &str| -> Result<(), RenderError> {
        if let Some(s) = v {
            *slot = Rgba::parse_hex(s, name)?;
        }
        Ok(())
    };
    apply(&mut p.background, &c.background, "background_color")?;
    apply(&mut p.up, &c.up, "up_color")?;
    apply(&mut p.down, &c.down, "down_color")?;
    apply(&mut p.grid, &c.grid, "grid_color")?;
    apply(&mut p.text, &c.text, "text_color")?;
    apply(&mut p.line, &c.line, "line_color")?;
    // Wicks and volume follow the body colours unless set apart.
    (p.wick_up, p.wick_down, p.edge_up, p.edge_down) = (p.up, p.down, p.up, p.down);
    (p.volume_up, p.volume_down) = (p.up.with_alpha(0x99), p.down.with_alpha(0x99));
    apply(&mut p.wick_up, &c.wick_up, "wick_up_color")?;
    apply(&mut p.wick_down, &c.wick_down, "wick_down_color")?;
    apply(&mut p.edge_up, &c.edge_up, "edge_up_color")?;
    apply(&mut p.edge_down, &c.edge_down, "edge_down_color")?;
    apply(&mut p.volume_up, &c.volume_up, "volume_up_color")?;
    apply(&mut p.volume_down, &c.volume_down, "volume_down_color")?;
    Ok(p)
}

/// A series after validation: colour resolved, values reduced to slots later.
struct ResolvedSeries<'a> {
    label: &'a str,
    values: &'a [f64],
    color: Rgba,
    style: LineStyle,
    secondary: bool,
    /// Pixels before the font scale; 0: the chart's line width.
    width: f32,
    on_volume: bool,
}

impl ResolvedSeries<'_> {
    /// The stroke width drawn.
    fn stroke_width(&self, m: &Metrics) -> f32 {
        if self.width > 0.0 {
            self.width * m.scale
        } else {
            m.line_w
        }
    }
}

fn resolve_series<'a>(
    s: &'a super::options::Series<'a>,
    what: &str,
    n: usize,
    next_color: &mut usize,
) -> Result<ResolvedSeries<'a>, RenderError> {
    if s.values.len() != n {
        return Err(RenderError::LengthMismatch {
            column: format!("{what} '{}'", s.label),
            expected: n,
            got: s.values.len(),
        });
    }
    let color = match &s.color {
        Some(c) => Rgba::parse_hex(c, &format!("{what} '{}' color", s.label))?,
        None => {
            let c = SERIES_COLORS[*next_color % SERIES_COLORS.len()];
            *next_color += 1;
            c
        }
    };
    if !(0.0..=2000.0).contains(&s.width) {
        return Err(RenderError::InvalidInput {
            param: format!("{what} '{}' width", s.label),
            message: format!("must be a number of pixels from 0 to 2000, got {}", s.width),
        });
    }
    Ok(ResolvedSeries {
        label: &s.label,
        values: s.values,
        color,
        style: s.style,
        secondary: s.secondary,
        width: s.width,
        on_volume: s.on_volume,
    })
}

/// The range widened by `frac` of its span on each side, kept within the finite floats (prices near f64::MAX
/// must not widen to inf: the scale and the ticks need finite ends).
fn pad_range((lo, hi): (f64, f64), frac: f64) -> (f64, f64) {
    let half_span = hi * 0.5 - lo * 0.5;
    let (lo, hi) = if half_span > 0.0 {
        let pad = half_span * (2.0 * frac);
        (lo - pad, hi + pad)
    } else {
        let d = if lo != 0.0 { lo.abs() * 0.01 } else { 1.0 };
        (lo - d, hi + d)
    };
    (lo.max(f64::MIN), hi.min(f64::MAX))
}

/// A range of values above 0 padded by `frac` of its decades on each side (a log axis's range).
fn pad_log_range((lo, hi): (f64, f64), frac: f64) -> (f64, f64) {
    let (lo, hi) = pad_range((lo.ln(), hi.ln()), frac);
    (lo.exp(), hi.exp().min(f64::MAX))
}

/// Builds the scene: validates the input and options, aggregates, lays out and fills the draw list.
pub fn build_scene(input: &Input, opts: &Options) -> Result<Scene, RenderError> {
    check_size(opts)?;
    let palette = resolve_palette(opts)?;
    let bars = build_bars(input, opts, opts.width as usize)?;
    let series = resolve_all_series(opts, bars.source_len)?;
    annotations::check(opts, bars.source_len)?;
    let m = Metrics::new(opts.height as f32, opts.font_scale);
    let x_labels = XLabels::new(m.font, opts.xrotation);
    let axis_h = x_labels.axis_height(&bars, opts.datetime_format.as_deref());
    let show_volume = opts.volume && bars.volume.is_some();
    if let Some(o) = series.overlays.iter().find(|o| o.on_volume && !show_volume) {
        return Err(RenderError::InvalidInput {
            param: format!("overlay '{}' panel", o.label),
            message: "'volume' needs the volume panel, which this chart does not draw".into(),
        });
    }
    let volume_extra = volume_extra(opts, &series);
    let rows = vertical_layout(&m, opts, axis_h, show_volume, series.subs.len())?;

    // The y axes' label width decides the plot width, which decides the final aggregation.
    let (axes, mut labels_w, second_labels_w) = y_axes(&rows, &bars, &series, &m, opts, volume_extra)?;
    let price_decimals = axes[0].decimals;
    let last_price = if opts.last_price {
        opts.last_close
            .filter(|c| c.is_finite())
            .or_else(|| (0..bars.len()).rev().map(|i| bars.close[i]).find(|c| !c.is_nan()))
    } else {
        None
    };
    if let Some(lp) = last_price {
        labels_w = labels_w.max(text_width(&format_fixed(lp, price_decimals.max(2)), m.font));
    }
    let (plot_left, plot_px) = horizontal_layout(opts.width as f32, labels_w, second_labels_w, &m, opts.y_axis_left);
    // Aggregate again from the source when the plot is narrower than the first pass (a mean of first-pass means
    // would weigh unequal buckets wrongly).
    let bars = if bars.len() > plot_px as usize { build_bars(input, opts, plot_px as usize)? } else { bars };
    let x = XLayout::new(plot_left, plot_px, bars.len(), m.font, opts.y_axis_left);
    let panels = final_panels(&rows, axes, &bars, &x, &m, opts, volume_extra);

    let mut scene = Scene {
        width: opts.width,
        height: opts.height,
        background: palette.background,
        antialias: opts.antialias,
        palette,
        panels,
        x_ticks: Vec::new(),
        time_format: TimeFormat::BarIndex,
        slots: bars.len(),
        source_len: bars.source_len,
        slot_width: x.slot_width,
        last_price,
        font_size: m.font,
        items: Vec::with_capacity(bars.len() * 3 + 256),
    };
    x_ticks(&mut scene, &bars, &x, &x_labels, opts.datetime_format.as_deref());
    draw_grid(&mut scene);
    let price = scene.panels[0].clone();
    let items = &mut scene.items;
    let x_of_row = |row: usize| x.center(bars.slot_of_row(row));
    let x_of_slot = |i: usize| x.center(i);
    let reduce = |values: &[f64]| bars.reduce_series(values);
    let geometry = annotations::Geometry {
        x_of_row: &x_of_row,
        x_of_slot: &x_of_slot,
        reduce: &reduce,
        price: &price.scale,
        price_rect: price.rect,
        top: scene.panels.iter().map(|p| p.rect.y).fold(price.rect.y, f32::min),
        bottom: plots_bottom(&scene.panels),
        line_w: m.line_w,
        font: m.font,
        scale: m.scale,
        palette: &palette,
        panels: &scene.panels,
    };
    // Shading and the last-price line go under the bars, so that neither hides a bar (nor the last close tick).
    let mut legend = annotations::draw_fills(items, &opts.fills, &geometry)?;
    if let Some(lp) = last_price {
        draw_last_price_line(items, lp, &bars, &price, &x, &m, &palette);
    }
    let bar_colors = bar_colors(opts, &bars)?;
    let colors =
        BarColors { palette: &palette, overrides: bar_colors.as_deref(), face_only: opts.bar_colors_face_only };
    draw_bars(items, input, opts.kind, &bars, &price, &x, &m, &colors);
    if let Some(vp) = scene.panels.iter().find(|p| p.kind == PanelKind::Volume) {
        draw_volume(items, vp, &bars, &x, &colors);
    }
    let mut marks = Vec::new();
    legend.extend(annotations::draw_lines(&mut marks, opts, &geometry)?);
    legend.extend(annotations::draw_markers(&mut marks, &opts.markers, &geometry)?);
    let label = |text: &Option<String>| text.as_deref().map(one_line).filter(|l| !l.is_empty());
    let ylabel = label(&opts.ylabel);
    let volume_panel = scene.panels.iter().find(|p| p.kind == PanelKind::Volume);
    let (on_price, on_volume): (Vec<&ResolvedSeries>, Vec<&ResolvedSeries>) =
        series.overlays.iter().partition(|o| !o.on_volume);
    draw_overlays(items, &on_price, legend, ylabel.as_deref(), opts.legend, &bars, &price, &x, &m, &palette);
    items.append(&mut marks);
    draw_sub_panels(items, &series, &scene.panels, opts.legend, &bars, &x, &m, &palette);
    if let Some(vp) = volume_panel {
        let title = label(&opts.ylabel_lower);
        draw_volume_lines(items, &on_volume, title, opts.legend, vp, &bars, &x, &m, &palette);
    }
    draw_axes(items, &scene.panels, &scene.x_ticks, &x, &x_labels, &m, &palette, opts.width as f32, opts.height as f32);
    if let Some(label) = opts.xlabel.as_deref() {
        draw_xlabel(items, label, plots_bottom(&scene.panels) + axis_h, &x, &m, &palette);
    }
    if let Some(lp) = last_price {
        draw_last_price_tag(items, lp, price_decimals, &bars, &price, &x, &m, &palette, opts.width as f32);
    }
    draw_title(items, opts, plot_left, &m, &palette);
    Ok(scene)
}

fn check_size(opts: &Options) -> Result<(), RenderError> {
    for (param, value) in [("width", opts.width), ("height", opts.height)] {
        if !(MIN_SIZE..=MAX_SIZE).contains(&value) {
            return Err(RenderError::InvalidSize { param, value });
        }
    }
    if !opts.xrotation.is_finite() {
        return Err(RenderError::InvalidInput {
            param: "xrotation".into(),
            message: format!("must be a finite number of degrees, got {}", opts.xrotation),
        });
    }
    if !(opts.font_scale.is_finite() && opts.font_scale > 0.0) {
        return Err(RenderError::InvalidInput {
            param: "scale".into(),
            message: format!("must be a finite number > 0, got {}", opts.font_scale),
        });
    }
    Ok(())
}

/// The overlays and the sub-panels with their lines (and histogram colour), checked against the bar count.
struct AllSeries<'a> {
    overlays: Vec<ResolvedSeries<'a>>,
    subs: Vec<(&'a SubPanel<'a>, Vec<ResolvedSeries<'a>>)>,
    histogram_colors: Vec<Option<Rgba>>,
}

fn resolve_all_series<'a>(opts: &'a Options, n_src: usize) -> Result<AllSeries<'a>, RenderError> {
    // One colour sequence over overlays then panel lines, so no two default-coloured lines share a colour.
    let mut next_color = 0;
    let overlays = opts
        .overlays
        .iter()
        .map(|s| resolve_series(s, "overlay", n_src, &mut next_color))
        .collect::<Result<Vec<_>, _>>()?;
    let mut subs = Vec::new();
    let mut histogram_colors = Vec::new();
    for (i, p) in opts.panels.iter().enumerate() {
        let lines = p
            .lines
            .iter()
            .map(|s| resolve_series(s, &format!("panel {i} line"), n_src, &mut next_color))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((lo, hi)) = p.ylim {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(RenderError::InvalidInput {
                    param: format!("panel {i} ylim"),
                    message: format!("must be (low, high) with finite numbers, low < high, got ({lo}, {hi})"),
                });
            }
        }
        if let Some(share) = p.histogram_width {
            if !(share > 0.0 && share <= 1.0) {
                return Err(RenderError::InvalidInput {
                    param: format!("panel {i} histogram_width"),
                    message: format!("must be a share of the bar's slot in (0, 1], got {share}"),
                });
            }
        }
        if let Some(hist) = p.histogram {
            if hist.len() != n_src {
                return Err(RenderError::LengthMismatch {
                    column: format!("panel {i} histogram"),
                    expected: n_src,
                    got: hist.len(),
                });
            }
        }
        let color = p.histogram_color.as_deref().map(|c| Rgba::parse_hex(c, &format!("panel {i} histogram_color")));
        histogram_colors.push(color.transpose()?);
        subs.push((p, lines));
    }
    Ok(AllSeries { overlays, subs, histogram_colors })
}

/// Sizes that follow from the image height through the font size.
struct Metrics {
    font: f32,
    /// `Options::font_scale`: explicit pixel sizes (line widths, marker sizes) are multiplied by it.
    scale: f32,
    line_w: f32,
    ascent: f32,
    descent: f32,
    /// Added to a row, gives a baseline that centres digits on it.
    text_center_dy: f32,
}

impl Metrics {
    /// The sizes of a chart `h` pixels high drawn at `scale` times the resolution of one `h / scale` high.
    fn new(h: f32, scale: f32) -> Metrics {
        let font = ((h / scale / 70.0).clamp(9.0, 36.0) * scale).round().max(1.0);
        let (ascent, descent) = line_metrics(font);
        let line_w = (font / 10.0).max(scale.max(1.0));
        Metrics { font, scale, line_w, ascent, descent, text_center_dy: (ascent + descent) * 0.5 }
    }

    fn title_h(&self, opts: &Options) -> f32 {
        let subtitle = opts.subtitle.as_deref().map_or(0.0, |s| text_lines(s).len() as f32 * self.subtitle_line_h());
        match &opts.title {
            Some(title) => {
                let extra_lines = text_lines(title).len().saturating_sub(1) as f32;
                (self.font * 2.2 + extra_lines * self.title_line_h() + subtitle).round()
            }
            None if subtitle > 0.0 => (self.font * 1.0 + subtitle).round(),
            None => (self.font * 0.7).round(),
        }
    }

    /// The room under the time axis for `Options::xlabel`'s lines.
    fn xlabel_h(&self, opts: &Options) -> f32 {
        opts.xlabel.as_deref().map_or(0.0, |label| (text_lines(label).len() as f32 * self.subtitle_line_h()).round())
    }

    /// Baseline-to-baseline distance of the subtitle's lines (drawn at the label size).
    fn subtitle_line_h(&self) -> f32 {
        (self.font * 1.3).round()
    }

    fn title_size(&self) -> f32 {
        (self.font * 1.2).round()
    }

    /// Baseline-to-baseline distance of the title's lines.
    fn title_line_h(&self) -> f32 {
        (self.title_size() * 1.25).round()
    }
}

/// One panel's place in the vertical layout: which panel, its top row and its height.
#[derive(Clone, Copy)]
struct Row {
    kind: PanelKind,
    top: f32,
    height: f32,
}

/// The panels top to bottom: the price panel at `Options::main_panel`, the volume panel (when drawn) at
/// `Options::volume_panel`, the sub-panels in the other places in their order.
fn panel_order(opts: &Options, show_volume: bool, subs: usize) -> Result<Vec<PanelKind>, RenderError> {
    let count = 1 + usize::from(show_volume) + subs;
    let invalid = |param: &str, message: String| RenderError::InvalidInput { param: param.into(), message };
    if opts.main_panel >= count {
        return Err(invalid(
            "main_panel",
            format!("must be a panel position from 0 to {} ({count} panels drawn), got {}", count - 1, opts.main_panel),
        ));
    }
    let mut order: Vec<Option<PanelKind>> = vec![None; count];
    order[opts.main_panel] = Some(PanelKind::Price);
    if show_volume {
        if opts.volume_panel >= count || opts.volume_panel == opts.main_panel {
            return Err(invalid(
                "volume_panel",
                format!(
                    "must be a panel position from 0 to {} other than main_panel ({}), got {}",
                    count - 1,
                    opts.main_panel,
                    opts.volume_panel
                ),
            ));
        }
        order[opts.volume_panel] = Some(PanelKind::Volume);
    }
    let mut next_sub = 0;
    Ok(order
        .into_iter()
        .map(|kind| {
            kind.unwrap_or_else(|| {
                next_sub += 1;
                PanelKind::Sub(next_sub - 1)
            })
        })
        .collect())
}

/// Panels stacked top to bottom under the title in `panel_order`, heights by weight (price 4, volume 1, each
/// sub-panel 1.4, or `Options::panel_ratios` top to bottom); the last panel takes the rounding remainder, above
/// the time axis (`axis_h` high). The rows come back in list order (price, volume, sub-panels).
fn vertical_layout(
    m: &Metrics,
    opts: &Options,
    axis_h: f32,
    show_volume: bool,
    subs: usize,
) -> Result<Vec<Row>, RenderError> {
    let h = opts.height as f32;
    let title_h = m.title_h(opts);
    let gap = (m.font * 0.5).round();
    let mut weights: Vec<(PanelKind, f32)> =
        panel_order(opts, show_volume, subs)?.into_iter().map(|kind| (kind, kind.default_weight())).collect();
    if let Some(ratios) = &opts.panel_ratios {
        if ratios.len() != weights.len() || !ratios.iter().all(|r| r.is_finite() && *r > 0.0) {
            let names: Vec<&str> = weights.iter().map(|(kind, _)| kind.name()).collect();
            return Err(RenderError::InvalidInput {
                param: "panel_ratios".into(),
                message: format!(
                    "needs one number > 0 per panel ({} here, top to bottom: {}), got {ratios:?}",
                    weights.len(),
                    names.join(", ")
                ),
            });
        }
        for (w, r) in weights.iter_mut().zip(ratios) {
            w.1 = *r;
        }
    }
    let total_w: f32 = weights.iter().map(|p| p.1).sum();
    let avail =
        (h - title_h - axis_h - m.xlabel_h(opts) - gap * (weights.len() - 1) as f32).max(weights.len() as f32 * 8.0);
    let mut y = title_h;
    let mut rows = Vec::new();
    for (i, (kind, wgt)) in weights.iter().enumerate() {
        let ph = if i + 1 == weights.len() {
            (title_h + avail + gap * i as f32 - y).max(4.0)
        } else {
            (avail * wgt / total_w).round()
        };
        rows.push(Row { kind: *kind, top: y, height: ph });
        y += ph + gap;
    }
    rows.sort_by_key(|row| row.kind.list_rank());
    Ok(rows)
}

/// A panel's y axis from the first aggregation pass.
struct Axis {
    scale: YScale,
    ticks: Vec<YTick>,
    decimals: usize,
    secondary: Option<SecondAxis>,
}

/// The volume axis's range: from 0 (on a log axis from the smallest volume above 0) to the highest volume, taking
/// in the panel's shading (`fills`).
fn volume_range(bars: &Bars, log: bool, fills: Option<(f64, f64)>) -> (f64, f64) {
    let shaded = fills.into_iter().flat_map(|(lo, hi)| [lo, hi]);
    if log {
        // From the smallest volume above zero (bars of no volume are not drawn), padded by 5 % of the decades.
        let positive = bars.volume.iter().flatten().copied().chain(shaded).filter(|v| *v > 0.0);
        return range_of(positive).map_or((1.0, 10.0), |r| pad_log_range(r, 0.05));
    }
    let vmax = range_of(bars.volume.iter().flatten().copied().chain(shaded)).map_or(1.0, |r| r.1.max(0.0));
    (0.0, if vmax > 0.0 { (vmax * 1.08).min(f64::MAX) } else { 1.0 })
}

fn axis_ticks(kind: PanelKind, scale: &YScale, font: f32, volume_exponent: Option<i32>) -> (Vec<YTick>, usize) {
    let ph = scale.bottom - scale.top;
    let target = ((ph / (font * 3.2)).floor() as usize).clamp(1, 12);
    let target = if kind == PanelKind::Volume { target.min(3) } else { target };
    let nt = if scale.log { log_ticks(scale.min, scale.max, target) } else { nice_ticks(scale.min, scale.max, target) };
    let ticks: Vec<YTick> = nt
        .values
        .iter()
        .map(|&v| YTick {
            value: v,
            y: scale.y(v),
            label: match (kind, volume_exponent) {
                (PanelKind::Volume, Some(k)) => {
                    let unit = 10f64.powi(k);
                    let step = nt.step / unit;
                    let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil() as usize };
                    format_fixed(v / unit, decimals)
                }
                (PanelKind::Volume, None) => format_compact(v, nt.step),
                _ => format_fixed(v, nt.decimals),
            },
        })
        .collect();
    (ticks, nt.decimals)
}

/// Value ranges, scales and ticks per panel, the widest y label, and the widest second-axis label (None when no
/// panel has a second axis).
fn y_axes(
    rows: &[Row],
    bars: &Bars,
    series: &AllSeries,
    m: &Metrics,
    opts: &Options,
    volume_extra: Option<(f64, f64)>,
) -> Result<(Vec<Axis>, f32, Option<f32>), RenderError> {
    let price_range = {
        let mut lo_hi = bars.price_range().ok_or(RenderError::EmptyInput { what: "bars (every bar is missing)" })?;
        let mut merge = |r: Option<(f64, f64)>| {
            if let Some((lo, hi)) = r {
                lo_hi = (lo_hi.0.min(lo), lo_hi.1.max(hi));
            }
        };
        for o in series.overlays.iter().filter(|o| !o.secondary && !o.on_volume) {
            merge(range_of(o.values.iter().copied()));
        }
        merge(annotations::price_range(opts));
        if opts.log_scale {
            if lo_hi.0.is_nan() || lo_hi.0 <= 0.0 {
                return Err(RenderError::InvalidInput {
                    param: "yscale".into(),
                    message: format!(
                        "'log' needs every price, overlay and annotation above 0; the lowest is {}",
                        lo_hi.0
                    ),
                });
            }
            pad_log_range(lo_hi, 0.05)
        } else {
            pad_range(lo_hi, 0.05)
        }
    };
    let volume_exponent = opts.volume_exponent;
    let mut axes = Vec::new();
    let mut labels_w: f32 = 0.0;
    let mut second_labels_w = None::<f32>;
    for row in rows {
        let (min, max) = match row.kind {
            PanelKind::Price => price_range,
            PanelKind::Volume => volume_range(bars, opts.volume_log_scale, volume_extra),
            PanelKind::Sub(i) => sub_panel_range(&series.subs[i], annotations::fills_range(&opts.fills, row.kind))?,
        };
        let log = match row.kind {
            PanelKind::Price => opts.log_scale,
            PanelKind::Volume => opts.volume_log_scale,
            PanelKind::Sub(i) => series.subs[i].0.log_scale,
        };
        let scale = YScale { min, max, top: row.top, bottom: row.top + row.height, log };
        let (ticks, decimals) = axis_ticks(row.kind, &scale, m.font, volume_exponent);
        for t in &ticks {
            labels_w = labels_w.max(text_width(&t.label, m.font));
        }
        let second_lines: Vec<&ResolvedSeries> = match row.kind {
            PanelKind::Price => series.overlays.iter().filter(|o| o.secondary && !o.on_volume).collect(),
            PanelKind::Volume => series.overlays.iter().filter(|o| o.secondary && o.on_volume).collect(),
            PanelKind::Sub(i) => series.subs[i].1.iter().filter(|l| l.secondary).collect(),
        };
        // A histogram on the second axis counts from 0, as on the first.
        let second_histogram = match row.kind {
            PanelKind::Sub(i) => series.subs[i].0.histogram.filter(|_| series.subs[i].0.histogram_secondary),
            _ => None,
        };
        let second_range = union([
            lines_range(&second_lines),
            second_histogram.and_then(|h| union([range_of(h.iter().copied()), Some((0.0, 0.0))])),
        ]);
        let secondary = (!second_lines.is_empty() || second_histogram.is_some()).then(|| {
            let pad = if row.kind == PanelKind::Price { 0.05 } else { 0.08 };
            let (min, max) = pad_range(second_range.unwrap_or((0.0, 1.0)), pad);
            let scale = YScale { min, max, log: false, ..scale };
            let ticks = axis_ticks(row.kind, &scale, m.font, None).0;
            let widest = ticks.iter().map(|t| text_width(&t.label, m.font)).fold(0.0, f32::max);
            second_labels_w = Some(second_labels_w.unwrap_or(0.0).max(widest));
            SecondAxis { scale, ticks }
        });
        axes.push(Axis { scale, ticks, decimals, secondary });
    }
    Ok((axes, labels_w, second_labels_w))
}

/// What the volume axis must show besides the volume bars: its shading and its first-axis lines.
fn volume_extra(opts: &Options, series: &AllSeries) -> Option<(f64, f64)> {
    let lines: Vec<&ResolvedSeries> = series.overlays.iter().filter(|o| o.on_volume && !o.secondary).collect();
    union([annotations::fills_range(&opts.fills, PanelKind::Volume), lines_range(&lines)])
}

/// The lowest and highest finite value of the lines, if any.
fn lines_range(lines: &[&ResolvedSeries]) -> Option<(f64, f64)> {
    range_of(lines.iter().flat_map(|l| l.values.iter().copied()))
}

/// The smallest range holding every given range, if any is given.
fn union(ranges: impl IntoIterator<Item = Option<(f64, f64)>>) -> Option<(f64, f64)> {
    range_of(ranges.into_iter().flatten().flat_map(|(lo, hi)| [lo, hi]))
}

/// A sub-panel's padded value range over its first-axis lines, its histogram (whose range includes 0) and its
/// shading (`fills`); on a log scale, padded in decades, and every value must be above 0.
fn sub_panel_range(
    (p, lines): &(&SubPanel, Vec<ResolvedSeries>),
    fills: Option<(f64, f64)>,
) -> Result<(f64, f64), RenderError> {
    if let Some(fixed) = p.ylim {
        if p.log_scale && fixed.0 <= 0.0 {
            return Err(RenderError::InvalidInput {
                param: format!("panel '{}' ylim", p.title),
                message: format!("a log scale needs ylim above 0, got {fixed:?}"),
            });
        }
        return Ok(fixed);
    }
    let mut r = None::<(f64, f64)>;
    let mut merge = |x: Option<(f64, f64)>| {
        if let Some((lo, hi)) = x {
            r = Some(r.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    };
    for l in lines.iter().filter(|l| !l.secondary) {
        merge(range_of(l.values.iter().copied()));
    }
    if let Some(hv) = p.histogram.filter(|_| !p.histogram_secondary) {
        merge(range_of(hv.iter().copied()));
        merge(Some((0.0, 0.0)));
    }
    merge(range_of(p.levels.iter().copied()));
    merge(fills);
    if !p.log_scale {
        return Ok(pad_range(r.unwrap_or((0.0, 1.0)), 0.08));
    }
    match r {
        Some(range) if range.0 > 0.0 => Ok(pad_log_range(range, 0.08)),
        None => Ok((1.0, 10.0)),
        Some((lo, _)) => Err(RenderError::InvalidInput {
            param: format!("panel '{}' yscale", p.title),
            message: format!(
                "'log' needs every value of the panel above 0 (a histogram counts from 0); the lowest is {lo}"
            ),
        }),
    }
}

/// The plot's left edge and width in whole pixels: the y labels on one side, and on the other the second axis's
/// labels (`second_labels_w`) or a small margin.
fn horizontal_layout(w: f32, labels_w: f32, second_labels_w: Option<f32>, m: &Metrics, axis_left: bool) -> (f32, f32) {
    let axis_w = (labels_w + m.font * 1.4).ceil();
    let other = second_labels_w.map_or((m.font * 0.6).round(), |lw| (lw + m.font * 1.4).ceil());
    let (plot_left, plot_right) = if axis_left {
        (axis_w.min(w - other - 8.0).max(0.0), w - other)
    } else {
        (other, (w - axis_w).max(other + 8.0))
    };
    (plot_left, (plot_right - plot_left).floor().max(1.0))
}

/// The horizontal geometry of the slots: where slot `i` is and how wide bodies and wicks are drawn.
struct XLayout {
    plot_left: f32,
    plot_px: f32,
    /// The y axes are left of the plot (else right).
    axis_left: bool,
    slot_width: f32,
    /// Body width.
    bw: f32,
    /// Wick width.
    ww: f32,
}

impl XLayout {
    fn new(plot_left: f32, plot_px: f32, slots: usize, font: f32, axis_left: bool) -> XLayout {
        let slot_width = plot_px / slots as f32;
        let (bw, ww) = body_and_wick(slot_width, font);
        XLayout { plot_left, plot_px, axis_left, slot_width, bw, ww }
    }

    /// The x of the y-axis line: the column just outside the plot, on the axis side.
    fn axis_x(&self) -> f32 {
        self.edge_x(self.axis_left)
    }

    /// The column just outside the plot on its left (`left`) or right side.
    fn edge_x(&self, left: bool) -> f32 {
        if left {
            self.plot_left - 1.0
        } else {
            self.plot_left + self.plot_px
        }
    }

    /// Centre of slot `i`.
    fn center(&self, i: usize) -> f32 {
        scene_x(self.plot_left, self.slot_width, i)
    }

    /// Left pixel of the body and of the wick of slot `i`.
    fn body(&self, i: usize) -> (f32, f32) {
        let left = (self.plot_left + i as f32 * self.slot_width + (self.slot_width - self.bw) * 0.5).floor();
        (left, left + ((self.bw - self.ww) * 0.5).floor())
    }
}

/// The panels at the final plot width; the volume axis is redone, as mean volumes depend on the bucket size.
fn final_panels(
    rows: &[Row],
    axes: Vec<Axis>,
    bars: &Bars,
    x: &XLayout,
    m: &Metrics,
    opts: &Options,
    volume_extra: Option<(f64, f64)>,
) -> Vec<PanelLayout> {
    rows.iter()
        .zip(axes)
        .map(|(row, axis)| {
            let (scale, ticks) = if row.kind == PanelKind::Volume {
                let (min, max) = volume_range(bars, axis.scale.log, volume_extra);
                let scale = YScale { min, max, ..axis.scale };
                (scale, axis_ticks(row.kind, &scale, m.font, opts.volume_exponent).0)
            } else {
                (axis.scale, axis.ticks)
            };
            PanelLayout {
                kind: row.kind,
                rect: RectF { x: x.plot_left, y: row.top, w: x.plot_px, h: row.height },
                scale,
                ticks,
                secondary: axis.secondary,
            }
        })
        .collect()
}

/// When no tick label names a year (a span within one year, labelled by day or by time), the first tick whose
/// longer label fits inside the image shows its year too; ticks that label would overlap make way for it.
fn name_the_year(scene: &mut Scene, t: &[i64], labels: &XLabels, w: f32) {
    let font = labels.font;
    let shows_year = |label: &str| label.len() == 4 && label.bytes().all(|b| b.is_ascii_digit());
    if scene.x_ticks.iter().any(|tick| shows_year(&tick.label)) {
        return;
    }
    let found = scene.x_ticks.iter().take(3).enumerate().find_map(|(k, tick)| {
        let label = with_year(*t.get(tick.slot)?, scene.time_format)?;
        let (half, room) = (labels.half_box(&label), labels.room(&label) * 0.5);
        (tick.x - half >= 0.0 && tick.x + half <= w).then_some((k, label, tick.x - room, tick.x + room))
    });
    let Some((k, label, left, right)) = found else { return };
    scene.x_ticks[k].label = label;
    let mut i = 0;
    scene.x_ticks.retain(|tick| {
        i += 1;
        if i - 1 == k {
            return true;
        }
        let half = labels.room(&tick.label) * 0.5;
        tick.x + half + font <= left || tick.x - half >= right + font
    });
}

/// How the time-axis labels take up room: level, or turned by `angle` degrees (`Options::xrotation`).
#[derive(Debug, Clone, Copy)]
struct XLabels {
    font: f32,
    /// Degrees counter-clockwise, in 0..360.
    angle: f32,
}

impl XLabels {
    fn new(font: f32, xrotation: f32) -> XLabels {
        XLabels { font, angle: xrotation.rem_euclid(360.0) }
    }

    fn turned(&self) -> bool {
        self.angle != 0.0
    }

    /// The width and height of a label's box on the image.
    fn label_box(&self, label: &str) -> (f32, f32) {
        turned_extent(text_width(label, self.font), self.font, self.angle)
    }

    /// Half the width of a label's box on the image (which must stay inside it).
    fn half_box(&self, label: &str) -> f32 {
        self.label_box(label).0 * 0.5
    }

    /// The width a label takes along the axis against its neighbours: a level label its own width; turned
    /// labels lie side by side, so at most a line height across their slant.
    fn room(&self, label: &str) -> f32 {
        if !self.turned() {
            return text_width(label, self.font);
        }
        let (ascent, descent) = line_metrics(self.font);
        let sin = self.angle.to_radians().sin().abs();
        let across = if sin > 1e-3 { (ascent - descent) / sin } else { f32::MAX };
        self.label_box(label).0.min(across)
    }

    /// The height the time axis takes under the bottom panel. Turned labels need the height of the longest one
    /// the axis may show: custom labels as formatted at the first and last bar, default ones as a day with its
    /// year (the longest the axis draws), bar numbers as the last one.
    fn axis_height(&self, bars: &Bars, custom: Option<&str>) -> f32 {
        if !self.turned() {
            return (self.font * 1.8).round();
        }
        let samples = match (&bars.time, custom) {
            (Some(t), Some(pattern)) if !t.is_empty() => {
                vec![format_custom(t[0], pattern), format_custom(t[t.len() - 1], pattern)]
            }
            (Some(_), _) => vec!["Mar 05 2024".to_string()],
            _ => vec![bars.source_len.saturating_sub(1).to_string()],
        };
        let tallest = samples.iter().map(|label| self.label_box(label).1).fold(0.0, f32::max);
        (self.font * 0.8 + tallest).round()
    }
}

/// X ticks: at time-bucket boundaries when the bars have times (labels kept apart and inside the image), else at
/// nice bar numbers.
fn x_ticks(scene: &mut Scene, bars: &Bars, x: &XLayout, labels: &XLabels, custom: Option<&str>) {
    let (n, font, w) = (bars.len(), labels.font, scene.width as f32);
    let sample = match (custom, &bars.time) {
        (Some(pattern), Some(t)) if n > 0 => format_custom(t[0], pattern),
        _ => "Mar 05".to_string(),
    };
    let label_w = labels.room(&sample).max(labels.room("Mar 05"));
    let gap = if labels.turned() { font } else { font * 2.5 };
    let max_labels = ((x.plot_px / (label_w + gap)).floor() as usize).max(1);
    match &bars.time {
        Some(t) if n > 0 => {
            let span = t[n - 1].saturating_sub(t[0]).max(1);
            let step = TimeStep::choose(span, max_labels);
            scene.time_format = step.format();
            let mut prev_t = None;
            let mut last_right = f32::NEG_INFINITY;
            for i in 1..n {
                if step.bucket(t[i]) == step.bucket(t[i - 1]) {
                    continue;
                }
                let x = scene.slot_center(i);
                let label = match custom {
                    Some(pattern) => format_custom(t[i], pattern),
                    None => format_time(t[i], scene.time_format, prev_t),
                };
                let (room, half) = (labels.room(&label) * 0.5, labels.half_box(&label));
                if x - room < last_right + font || x + half > w {
                    continue;
                }
                last_right = x + room;
                prev_t = Some(t[i]);
                scene.x_ticks.push(XTick { slot: i, x, label });
            }
            if scene.x_ticks.is_empty() {
                let label = match custom {
                    Some(pattern) => format_custom(t[0], pattern),
                    None => format_time(t[0], scene.time_format, None),
                };
                scene.x_ticks.push(XTick { slot: 0, x: scene.slot_center(0), label });
            }
            if custom.is_none() {
                name_the_year(scene, t, labels, w);
            }
        }
        _ => {
            let n_src = bars.source_len;
            let nt = nice_ticks(0.0, (n_src - 1) as f64, max_labels);
            let step = nt.step.max(1.0);
            let mut v = 0.0;
            while v <= (n_src - 1) as f64 {
                let row = v as usize;
                let slot = bars.slot_of_row(row);
                scene.x_ticks.push(XTick { slot, x: scene.slot_center(slot), label: row.to_string() });
                v += step;
            }
        }
    }
}

/// Gridlines: horizontal per panel tick, vertical per x tick.
fn draw_grid(scene: &mut Scene) {
    let grid = scene.palette.grid;
    for p in &scene.panels {
        for t in &p.ticks {
            scene.items.push(Primitive::Rect { x: p.rect.x, y: t.y.round(), w: p.rect.w, h: 1.0, color: grid });
        }
        for t in &scene.x_ticks {
            scene.items.push(Primitive::Rect { x: t.x.floor(), y: p.rect.y, w: 1.0, h: p.rect.h, color: grid });
        }
    }
}

/// The per-bar body colours of `Options::bar_colors`, parsed, one per slot; `None` where they do not apply (no
/// overrides, renko / point-and-figure, or bars aggregated into shared pixel columns).
fn bar_colors(opts: &Options, bars: &Bars) -> Result<Option<Vec<Option<Rgba>>>, RenderError> {
    let Some(given) = opts.bar_colors else { return Ok(None) };
    if given.len() != bars.source_len {
        return Err(RenderError::LengthMismatch {
            column: "marketcolor_overrides".into(),
            expected: bars.source_len,
            got: given.len(),
        });
    }
    let parsed = given
        .iter()
        .enumerate()
        .map(|(i, c)| c.as_deref().map(|c| Rgba::parse_hex(c, &format!("marketcolor_overrides[{i}]"))).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let per_slot = bars.starts.is_none() && bars.len() == given.len();
    Ok((per_slot && !matches!(opts.kind, ChartKind::Renko | ChartKind::Pnf)).then_some(parsed))
}

/// The colours of bar `i`: its body (and OHLC ticks), its wick and its volume bar.
struct BarColors<'a> {
    palette: &'a Palette,
    overrides: Option<&'a [Option<Rgba>]>,
    /// The overrides colour only the bodies (mplfinance's `mco_faceonly`).
    face_only: bool,
}

impl BarColors<'_> {
    /// `(body, wick, volume, edge)`.
    fn pick(&self, i: usize, up: bool) -> (Rgba, Rgba, Rgba, Rgba) {
        let p = self.palette;
        let default = if up {
            (p.up, p.wick_up, p.volume_up, p.edge_up)
        } else {
            (p.down, p.wick_down, p.volume_down, p.edge_down)
        };
        match self.overrides.and_then(|o| o.get(i).copied().flatten()) {
            Some(c) if self.face_only => (c, default.1, default.2, default.3),
            Some(c) => (c, c, c.with_alpha(((c.a as u32 * 0x99) / 255) as u8), c),
            None => default,
        }
    }
    fn body(&self, i: usize, up: bool) -> Rgba {
        self.pick(i, up).0
    }
}

/// Whether slot `i` closed at or above its open (drawn in the up colour).
fn up_of(bars: &Bars, i: usize) -> bool {
    bars.close[i] >= bars.open[i]
}

/// The price panel's bars, bricks or columns.
#[allow(clippy::too_many_arguments)]
fn draw_bars(
    items: &mut Vec<Primitive>,
    input: &Input,
    kind: ChartKind,
    bars: &Bars,
    price: &PanelLayout,
    x: &XLayout,
    m: &Metrics,
    colors: &BarColors,
) {
    let palette = colors.palette;
    let (n, bw, ww, slot_width, plot_left, line_w) = (bars.len(), x.bw, x.ww, x.slot_width, x.plot_left, m.line_w);
    let ys = |v: f64| price.scale.y(v).round();
    let up_of = |i: usize| up_of(bars, i);
    let aggregated = bars.starts.is_some();
    let candle = |items: &mut Vec<Primitive>, i: usize, (color, wick, edge): (Rgba, Rgba, Rgba), hollow: bool| {
        let (bx, wx) = x.body(i);
        let (o, c) = (bars.open[i], bars.close[i]);
        let yt = ys(o.max(c));
        let yb = ys(o.min(c)).max(yt + 1.0);
        let yh = ys(bars.high[i]);
        let yl = ys(bars.low[i]).max(yh + 1.0);
        if hollow && bw >= 3.0 {
            if yt > yh {
                items.push(Primitive::Rect { x: wx, y: yh, w: ww, h: yt - yh, color: wick });
            }
            if yl > yb {
                items.push(Primitive::Rect { x: wx, y: yb, w: ww, h: yl - yb, color: wick });
            }
            outline(items, bx, yt, bw, yb - yt, ww, color);
        } else {
            items.push(Primitive::Rect { x: wx, y: yh, w: ww, h: yl - yh, color: wick });
            items.push(Primitive::Rect { x: bx, y: yt, w: bw, h: yb - yt, color });
            if edge != color && bw >= 3.0 {
                outline(items, bx, yt, bw, yb - yt, ww, edge);
            }
        }
    };
    let body_and_wick = |i: usize, up: bool| {
        let (body, wick, _, edge) = colors.pick(i, up);
        (body, wick, edge)
    };
    match kind {
        ChartKind::Candle | ChartKind::HeikinAshi => {
            for i in (0..n).filter(|&i| !bars.is_missing(i)) {
                candle(items, i, body_and_wick(i, up_of(i)), false);
            }
        }
        ChartKind::Hollow => {
            let mut prev_close = None;
            for i in (0..n).filter(|&i| !bars.is_missing(i)) {
                let rising = prev_close.map_or(up_of(i), |p| bars.close[i] >= p);
                candle(items, i, body_and_wick(i, rising), bars.close[i] > bars.open[i]);
                prev_close = Some(bars.close[i]);
            }
        }
        ChartKind::Ohlc => {
            for i in (0..n).filter(|&i| !bars.is_missing(i)) {
                let color = colors.body(i, up_of(i));
                let (bx, wx) = x.body(i);
                let yh = ys(bars.high[i]);
                let yl = ys(bars.low[i]).max(yh + 1.0);
                items.push(Primitive::Rect { x: wx, y: yh, w: ww, h: yl - yh, color });
                if bw >= 3.0 {
                    let th = ww;
                    items.push(Primitive::Rect {
                        x: bx,
                        y: (ys(bars.open[i]) - (th * 0.5).floor()),
                        w: wx - bx,
                        h: th,
                        color,
                    });
                    items.push(Primitive::Rect {
                        x: wx + ww,
                        y: (ys(bars.close[i]) - (th * 0.5).floor()),
                        w: bx + bw - wx - ww,
                        h: th,
                        color,
                    });
                }
            }
        }
        ChartKind::Line | ChartKind::LineFilled => {
            let segments = segments(&bars.close, |i| x.center(i), |v| price.scale.y(v));
            for seg in segments {
                if kind == ChartKind::LineFilled && seg.len() > 1 {
                    let mut poly = seg.clone();
                    poly.push((seg[seg.len() - 1].0, price.rect.bottom()));
                    poly.push((seg[0].0, price.rect.bottom()));
                    items.push(Primitive::Polygon { points: poly, color: palette.line.with_alpha(0x50) });
                }
                if seg.len() == 1 {
                    let (x, y) = seg[0];
                    items.push(Primitive::Rect {
                        x: x.floor(),
                        y: y.floor(),
                        w: line_w.ceil(),
                        h: line_w.ceil(),
                        color: palette.line,
                    });
                } else {
                    items.push(Primitive::Polyline { points: seg, color: palette.line, width: line_w * 1.5 });
                }
            }
        }
        ChartKind::Renko => {
            for i in 0..n {
                let color = if up_of(i) { palette.up } else { palette.down };
                if aggregated || slot_width < 3.0 {
                    candle(items, i, (color, color, color), false);
                } else {
                    let g = (slot_width * 0.1).floor().max(1.0);
                    let x = (plot_left + i as f32 * slot_width).floor() + g;
                    let xr = (plot_left + (i + 1) as f32 * slot_width).floor();
                    let yt = ys(bars.high[i]);
                    let yb = ys(bars.low[i]).max(yt + 1.0);
                    items.push(Primitive::Rect { x, y: yt, w: (xr - x).max(1.0), h: yb - yt, color });
                }
            }
        }
        ChartKind::Pnf => {
            let (cols, box_size): (&[PnfColumn], f64) =
                if let Input::Pnf { columns, box_size } = input { (columns, *box_size) } else { (&[], 1.0) };
            let box_px = price.scale.y(0.0) - price.scale.y(box_size);
            for i in 0..n {
                let color = if up_of(i) { palette.up } else { palette.down };
                let col = (!aggregated).then(|| cols.get(i)).flatten();
                let boxes = col.map_or(0, |c| c.top - c.bottom + 1);
                match col {
                    Some(c) if box_px >= 4.0 && slot_width >= 4.0 && boxes <= 4096 => {
                        // Square boxes centred in the slot.
                        let side = slot_width.min(box_px);
                        let inset = (side * 0.15).max(1.0);
                        let cx = x.center(i);
                        let (x0, x1) = (cx - side * 0.5 + inset, cx + side * 0.5 - inset);
                        let (bottom, _) = data::pnf_span(c, box_size);
                        for k in 0..boxes as usize {
                            let lo = bottom + k as f64 * box_size;
                            let (y0, y1) = (price.scale.y(lo + box_size) + inset, price.scale.y(lo) - inset);
                            if c.kind > 0 {
                                items.push(Primitive::Line { x1: x0, y1: y0, x2: x1, y2: y1, color, width: line_w });
                                items.push(Primitive::Line { x1: x0, y1, x2: x1, y2: y0, color, width: line_w });
                            } else {
                                let r = ((x1 - x0).min(y1 - y0) * 0.5).max(1.0);
                                items.push(Primitive::Circle {
                                    cx: (x0 + x1) * 0.5,
                                    cy: (y0 + y1) * 0.5,
                                    r,
                                    color,
                                    width: line_w,
                                });
                            }
                        }
                    }
                    _ => candle(items, i, (color, color, color), false),
                }
            }
        }
    }
}

/// Volume bars from the volume panel's baseline, in the colour of their price bar.
fn draw_volume(items: &mut Vec<Primitive>, vp: &PanelLayout, bars: &Bars, x: &XLayout, colors: &BarColors) {
    let Some(vol) = &bars.volume else { return };
    let base = vp.rect.bottom();
    for (i, &v) in vol.iter().enumerate() {
        if v.is_nan() || v <= 0.0 {
            continue;
        }
        let (_, _, color, _) = colors.pick(i, bars.is_missing(i) || up_of(bars, i));
        let (bx, _) = x.body(i);
        let yt = vp.scale.y(v).round().min(base - 1.0);
        items.push(Primitive::Rect { x: bx, y: yt, w: x.bw, h: base - yt, color });
    }
}

fn legend_size(m: &Metrics) -> f32 {
    (m.font * 0.95).round()
}

/// Lines over the price panel and their legend.
#[allow(clippy::too_many_arguments)]
fn draw_overlays(
    items: &mut Vec<Primitive>,
    overlays: &[&ResolvedSeries],
    annotation_legend: Vec<(String, Rgba)>,
    ylabel: Option<&str>,
    legend: bool,
    bars: &Bars,
    price: &PanelLayout,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
) {
    let size = legend_size(m);
    let mut entries: Vec<(String, Rgba)> = Vec::new();
    for o in overlays {
        let vals = bars.reduce_series(o.values);
        let scale = price.scale_for(o.secondary);
        for seg in segments(&vals, |i| x.center(i), |v| scale.y(v)) {
            push_series(items, seg, o.color, o.stroke_width(m), o.style);
        }
        entries.push((o.label.to_string(), o.color));
    }
    entries.extend(annotation_legend);
    let (lx, mut ly) = (x.plot_left + m.font * 0.6, price.rect.y + m.font * 0.5);
    let ascent = m.ascent * size / m.font;
    if let Some(text) = ylabel {
        draw_legend(items, lx, ly, &[(text.to_string(), Rgba { a: 0, ..palette.text })], size, palette.text, ascent);
        ly += (size * 1.4).round();
    }
    if legend {
        draw_legend(items, lx, ly, &entries, size, palette.text, ascent);
    }
}

/// The volume panel's lines, and its legend: the `ylabel_lower` title, then the lines' labels.
#[allow(clippy::too_many_arguments)]
fn draw_volume_lines(
    items: &mut Vec<Primitive>,
    lines: &[&ResolvedSeries],
    title: Option<String>,
    legend: bool,
    vp: &PanelLayout,
    bars: &Bars,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
) {
    let mut entries: Vec<(String, Rgba)> =
        title.map(|text| (text, Rgba { a: 0, ..palette.text })).into_iter().collect();
    for o in lines {
        let scale = vp.scale_for(o.secondary);
        for seg in segments(&bars.reduce_series(o.values), |i| x.center(i), |v| scale.y(v)) {
            stroke_in_panel(items, &seg, vp, o, m);
        }
        if legend {
            entries.push((o.label.to_string(), o.color));
        }
    }
    let (lx, ly) = (x.plot_left + m.font * 0.6, vp.rect.y + m.font * 0.3);
    let size = legend_size(m);
    draw_legend(items, lx, ly, &entries, size, palette.text, m.ascent * size / m.font);
}

/// A line's points stroked in its look, cut where they leave the panel's rows.
fn stroke_in_panel(
    items: &mut Vec<Primitive>,
    points: &[(f32, f32)],
    panel: &PanelLayout,
    line: &ResolvedSeries,
    m: &Metrics,
) {
    for piece in clip_to_band(points, panel.rect.y, panel.rect.bottom()) {
        push_series(items, piece, line.color, line.stroke_width(m), line.style);
    }
}

/// Each sub-panel's histogram, lines and legend.
#[allow(clippy::too_many_arguments)]
fn draw_sub_panels(
    items: &mut Vec<Primitive>,
    series: &AllSeries,
    panels: &[PanelLayout],
    legend: bool,
    bars: &Bars,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
) {
    let size = legend_size(m);
    for (idx, (p, lines)) in series.subs.iter().enumerate() {
        let Some(sp) = panels.iter().find(|q| q.kind == PanelKind::Sub(idx)) else { continue };
        let (top_px, bottom_px) = (sp.rect.y, sp.rect.bottom());
        for &level in p.levels.iter().filter(|v| v.is_finite()) {
            // Crisp one-pixel lines sit on pixel centres; a level outside a fixed range is not drawn.
            let y = sp.scale.y(level).round() + 0.5;
            if (top_px..=bottom_px).contains(&y) {
                let ends = [(sp.rect.x, y), (sp.rect.right(), y)];
                annotations::stroke(items, &ends, palette.axis, 1.0, annotations::LineStyle::Dashed);
            }
        }
        if let Some(hv) = p.histogram {
            let vals = bars.reduce_series(hv);
            // With a fixed range the bars are cut at the panel's edges (and start there when 0 is outside it).
            let hscale = sp.scale_for(p.histogram_secondary);
            let y0_free = hscale.y(0.0).round();
            let y0 = y0_free.clamp(top_px, bottom_px);
            let bar_w = p.histogram_width.map_or(x.bw, |share| (x.slot_width * share).round().max(1.0));
            for (i, &v) in vals.iter().enumerate() {
                if v.is_nan() {
                    continue;
                }
                let bx = if p.histogram_width.is_some() { (x.center(i) - bar_w * 0.5).round() } else { x.body(i).0 };
                let yv_free = hscale.y(v).round();
                let yv = yv_free.clamp(top_px, bottom_px);
                if yv == y0 && yv_free != y0_free {
                    continue; // wholly outside the fixed range
                }
                let (top, hgt) = if yv < y0 { (yv, y0 - yv) } else { (y0, (yv - y0).max(1.0)) };
                let color = series.histogram_colors[idx]
                    .unwrap_or_else(|| if v >= 0.0 { palette.up } else { palette.down }.with_alpha(0xB3));
                items.push(Primitive::Rect { x: bx, y: top, w: bar_w, h: hgt, color });
            }
        }
        let mut entries = Vec::new();
        // The panel's title, unless its only line already carries the same label (no "rsi_14 ■ rsi_14").
        let title_repeats_label = legend && matches!(lines.as_slice(), [only] if only.label == p.title);
        if !p.title.is_empty() && !title_repeats_label {
            entries.push((p.title.clone(), Rgba { a: 0, ..palette.text }));
        }
        for l in lines {
            let vals = bars.reduce_series(l.values);
            let scale = sp.scale_for(l.secondary);
            match p.kind {
                PanelLineKind::Scatter => {
                    let size = (m.font * 0.45).max(3.0);
                    for (i, &v) in vals.iter().enumerate() {
                        let y = scale.y(v);
                        if v.is_finite() && (top_px..=bottom_px).contains(&y) {
                            annotations::marker(items, annotations::MarkerShape::Circle, x.center(i), y, size, l.color);
                        }
                    }
                }
                kind => {
                    for seg in segments(&vals, |i| x.center(i), |v| scale.y(v)) {
                        let seg = if kind == PanelLineKind::Line { seg } else { staircase(&seg, x.slot_width, kind) };
                        stroke_in_panel(items, &seg, sp, l, m);
                    }
                }
            }
            if legend {
                entries.push((l.label.to_string(), l.color));
            }
        }
        let (lx, ly) = (x.plot_left + m.font * 0.6, sp.rect.y + m.font * 0.3);
        draw_legend(items, lx, ly, &entries, size, palette.text, m.ascent * size / m.font);
    }
}

/// Where the y labels are drawn: their start right of the plot, or their end left of it.
fn label_x(x: &XLayout, m: &Metrics) -> (f32, Anchor) {
    side_label_x(x, m, x.axis_left)
}

/// Where the labels of an axis on the left (`left`) or right side are drawn.
fn side_label_x(x: &XLayout, m: &Metrics, left: bool) -> (f32, Anchor) {
    if left {
        (x.plot_left - m.font * 0.5, Anchor::End)
    } else {
        (x.plot_left + x.plot_px + m.font * 0.5, Anchor::Start)
    }
}

/// Axes: an edge line per panel on the axis side with its ticks and y labels (and the second axis's on the other
/// side); x labels under the bottom panel.
#[allow(clippy::too_many_arguments)]
fn draw_axes(
    items: &mut Vec<Primitive>,
    panels: &[PanelLayout],
    x_ticks: &[XTick],
    x: &XLayout,
    labels: &XLabels,
    m: &Metrics,
    palette: &Palette,
    w: f32,
    h: f32,
) {
    let (font, ascent) = (m.font, m.ascent);
    let axis_color = palette.axis;
    for p in panels {
        draw_y_axis(items, p, &p.ticks, x.axis_left, x, m, palette);
        if let Some(second) = &p.secondary {
            draw_y_axis(items, p, &second.ticks, !x.axis_left, x, m, palette);
        }
        // The bottom edge, from axis line to axis line (or to the plot's edge where no axis is).
        let left = p.rect.x - if x.axis_left || p.secondary.is_some() { 1.0 } else { 0.0 };
        let right = p.rect.right() + if !x.axis_left || p.secondary.is_some() { 1.0 } else { 0.0 };
        items.push(Primitive::Rect { x: left, y: p.rect.bottom(), w: right - left, h: 1.0, color: axis_color });
    }
    let bottom = if panels.is_empty() { h } else { plots_bottom(panels) };
    for t in x_ticks {
        items.push(Primitive::Rect { x: t.x.floor(), y: bottom, w: 1.0, h: (font * 0.3).round(), color: axis_color });
        // Centred under its tick, but kept inside the image (the first label would otherwise be clipped); a
        // turned label's box hangs centred under it, as matplotlib places rotated tick labels.
        let (box_w, box_h) = labels.label_box(&t.label);
        let half = box_w * 0.5;
        let x = t.x.min(w - half - 2.0).max(half + 2.0);
        if labels.turned() {
            items.push(Primitive::TurnedText {
                cx: x,
                cy: bottom + font * 0.45 + box_h * 0.5,
                text: t.label.clone(),
                size: font,
                color: palette.text,
                angle: labels.angle,
            });
            continue;
        }
        items.push(Primitive::Text {
            x,
            y: (bottom + font * 0.45 + ascent).round(),
            text: t.label.clone(),
            size: font,
            color: palette.text,
            anchor: Anchor::Middle,
        });
    }
}

/// One y axis of a panel: its line just outside the plot on the left (`left`) or right side, the ticks pointing
/// outwards, and their labels (those that would stick out far past the panel are left out).
fn draw_y_axis(
    items: &mut Vec<Primitive>,
    p: &PanelLayout,
    ticks: &[YTick],
    left: bool,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
) {
    let (font, ascent, descent) = (m.font, m.ascent, m.descent);
    let (label_x, label_anchor) = side_label_x(x, m, left);
    let (axis_x, tick_len) = (x.edge_x(left), (font * 0.3).round());
    let tick_x = if left { axis_x + 1.0 - tick_len } else { axis_x };
    items.push(Primitive::Rect { x: axis_x, y: p.rect.y, w: 1.0, h: p.rect.h, color: palette.axis });
    for t in ticks {
        let ty = t.y.round();
        items.push(Primitive::Rect { x: tick_x, y: ty, w: tick_len, h: 1.0, color: palette.axis });
        let by = (t.y + m.text_center_dy).round();
        if by - ascent < p.rect.y - font * 0.2 || by - descent > p.rect.bottom() + font * 0.6 {
            continue;
        }
        items.push(Primitive::Text {
            x: label_x,
            y: by,
            text: t.label.clone(),
            size: font,
            color: palette.text,
            anchor: label_anchor,
        });
    }
}

/// The bottom edge of the lowest panel, where the time axis starts.
fn plots_bottom(panels: &[PanelLayout]) -> f32 {
    panels.iter().map(|p| p.rect.bottom()).fold(0.0, f32::max)
}

/// The colour of the last-price marker: that of the last drawn bar.
fn last_price_color(bars: &Bars, palette: &Palette) -> Rgba {
    let last_up = (0..bars.len()).rev().find(|&i| !bars.is_missing(i)).is_none_or(|i| up_of(bars, i));
    if last_up {
        palette.up
    } else {
        palette.down
    }
}

/// Last-price marker, first half: a dashed line across the price panel (drawn before the bars).
fn draw_last_price_line(
    items: &mut Vec<Primitive>,
    lp: f64,
    bars: &Bars,
    price: &PanelLayout,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
) {
    let (plot_left, plot_px) = (x.plot_left, x.plot_px);
    let color = last_price_color(bars, palette);
    let y = price.scale.y(lp).round();
    let dash = (m.font * 0.4).round().max(2.0);
    let mut dx = plot_left;
    while dx < plot_left + plot_px {
        items.push(Primitive::Rect {
            x: dx,
            y,
            w: dash.min(plot_left + plot_px - dx),
            h: 1.0,
            color: color.with_alpha(0xCC),
        });
        dx += dash * 2.0;
    }
}

/// Last-price marker, second half: the tag on the price axis (drawn over the axis labels).
#[allow(clippy::too_many_arguments)]
fn draw_last_price_tag(
    items: &mut Vec<Primitive>,
    lp: f64,
    price_decimals: usize,
    bars: &Bars,
    price: &PanelLayout,
    x: &XLayout,
    m: &Metrics,
    palette: &Palette,
    w: f32,
) {
    let font = m.font;
    let color = last_price_color(bars, palette);
    let y = price.scale.y(lp).round();
    let tag_h = (font * 1.4).round();
    // The tag fills the axis strip from the axis line to the image's edge.
    let (tag_x, tag_w) = if x.axis_left { (0.0, x.axis_x()) } else { (x.axis_x() + 1.0, w - x.axis_x() - 1.0) };
    items.push(Primitive::Rect { x: tag_x, y: y - (tag_h * 0.5).floor(), w: tag_w, h: tag_h, color });
    let text_color = if color.luminance() > 0.6 { Rgba::rgb(0, 0, 0) } else { Rgba::rgb(255, 255, 255) };
    let (text_x, anchor) = label_x(x, m);
    items.push(Primitive::Text {
        x: text_x,
        y: (y + m.text_center_dy).round(),
        text: format_fixed(lp, price_decimals.max(2)),
        size: font,
        color: text_color,
        anchor,
    });
}

/// `Options::xlabel`'s lines centred under the plot, from `top` (the time axis' lower edge) down.
fn draw_xlabel(items: &mut Vec<Primitive>, label: &str, top: f32, x: &XLayout, m: &Metrics, palette: &Palette) {
    let line_h = m.subtitle_line_h();
    let center = x.plot_left + x.plot_px * 0.5;
    for (i, line) in text_lines(label).into_iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        items.push(Primitive::Text {
            x: center,
            y: (top + line_h * i as f32 + m.ascent).round(),
            text: line,
            size: m.font,
            color: palette.text,
            anchor: Anchor::Middle,
        });
    }
}

/// The title's lines, then the subtitle's (smaller), vertically centred in the space above the price panel, at
/// the plot's left edge or centred over the image; bold is drawn as a second pass one pixel to the right (the
/// embedded font has one weight).
fn draw_title(items: &mut Vec<Primitive>, opts: &Options, plot_left: f32, m: &Metrics, palette: &Palette) {
    let title = opts.title.as_deref().map(text_lines).unwrap_or_default();
    let subtitle = opts.subtitle.as_deref().map(text_lines).unwrap_or_default();
    if title.is_empty() && subtitle.is_empty() {
        return;
    }
    let (size, line_h) = (m.title_size(), m.title_line_h());
    let (sub_size, sub_line_h) = (m.font, m.subtitle_line_h());
    let (a, d) = line_metrics(if title.is_empty() { sub_size } else { size });
    // From the first line's baseline to the last one's, then the first line's ascent and the last one's descent.
    let span = if title.is_empty() {
        sub_line_h * (subtitle.len() - 1) as f32
    } else {
        line_h * (title.len() - 1) as f32 + sub_line_h * subtitle.len() as f32
    };
    let last_descent = if subtitle.is_empty() { d } else { line_metrics(sub_size).1 };
    let first_baseline = (m.title_h(opts) - (a + span - last_descent)) * 0.5 + a;
    let (x, anchor) =
        if opts.title_center { (opts.width as f32 * 0.5, Anchor::Middle) } else { (plot_left, Anchor::Start) };
    let passes: &[f32] = if opts.title_bold { &[0.0, (size / 16.0).round().max(1.0)] } else { &[0.0] };
    for (i, line) in title.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        for dx in passes {
            items.push(Primitive::Text {
                x: x + dx,
                y: (first_baseline + line_h * i as f32).round(),
                text: line.clone(),
                size,
                color: palette.text,
                anchor,
            });
        }
    }
    let sub_first =
        if title.is_empty() { first_baseline } else { first_baseline + line_h * (title.len() - 1) as f32 + sub_line_h };
    for (j, line) in subtitle.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        items.push(Primitive::Text {
            x,
            y: (sub_first + sub_line_h * j as f32).round(),
            text: line.clone(),
            size: sub_size,
            color: palette.text,
            anchor,
        });
    }
}

/// Validates the input against the kind and builds at most `max_slots` bars from it.
fn build_bars(input: &Input, opts: &Options, max_slots: usize) -> Result<Bars, RenderError> {
    let (kind, times) = (opts.kind, opts.source_times);
    match (input, kind) {
        (Input::Renko(b), ChartKind::Renko) => data::bars_from_renko(b, times, max_slots),
        (Input::Pnf { columns, box_size }, ChartKind::Pnf) => data::bars_from_pnf(columns, *box_size, times, max_slots),
        (Input::Bars(c), k) if !matches!(k, ChartKind::Renko | ChartKind::Pnf) => data::bars_from_columns(c, max_slots),
        (Input::Bars(_), k) => Err(RenderError::InvalidInput {
            param: "kind".into(),
            message: format!(
                "'{}' needs {} input, got OHLC columns",
                k.name(),
                if k == ChartKind::Renko { "renko bricks" } else { "pnf columns" }
            ),
        }),
        (Input::Renko(_), k) | (Input::Pnf { .. }, k) => Err(RenderError::InvalidInput {
            param: "kind".into(),
            message: format!(
                "'{}' does not match the input (renko bricks need kind renko, pnf columns kind pnf)",
                k.name()
            ),
        }),
    }
}

fn scene_x(plot_left: f32, slot: f32, i: usize) -> f32 {
    plot_left + (i as f32 + 0.5) * slot
}

/// Splits a series at NaNs into runs of points.
fn segments(values: &[f64], x: impl Fn(usize) -> f32, y: impl Fn(f64) -> f32) -> Vec<Vec<(f32, f32)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(f32, f32)> = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        if v.is_finite() {
            cur.push((x(i), y(v)));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A run of points as a staircase of `kind`: each value held across to where the line steps to the next, at the
/// later bar (`Step`), the earlier bar (`StepPre`) or halfway (`StepMid`). The first and last values run on half a
/// slot outward where their side of the bar would otherwise show nothing, so every bar shows its value.
fn staircase(points: &[(f32, f32)], slot: f32, kind: PanelLineKind) -> Vec<(f32, f32)> {
    let (Some(&(x_first, y_first)), Some(&(x_last, y_last))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let half = slot * 0.5;
    let (lead, trail) = match kind {
        PanelLineKind::StepPre => (half, 0.0),
        PanelLineKind::StepMid => (half, half),
        _ => (0.0, half),
    };
    let mut out = Vec::with_capacity(points.len() * 3 + 2);
    out.push((x_first - lead, y_first));
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let at = match kind {
            PanelLineKind::StepPre => x0,
            PanelLineKind::StepMid => (x0 + x1) * 0.5,
            _ => x1,
        };
        // The bar's own point, then the step; equal values make repeated points, removed below.
        out.extend([(x0, y0), (at, y0), (at, y1)]);
    }
    out.extend([(x_last, y_last), (x_last + trail, y_last)]);
    out.dedup();
    out
}

/// The parts of a polyline inside the horizontal band `top..=bottom` (each segment cut where it crosses an edge).
pub(crate) fn clip_to_band(points: &[(f32, f32)], top: f32, bottom: f32) -> Vec<Vec<(f32, f32)>> {
    let inside = |y: f32| (top..=bottom).contains(&y);
    let mut out = Vec::new();
    let mut cur: Vec<(f32, f32)> = Vec::new();
    if let [only] = points {
        if inside(only.1) {
            out.push(vec![*only]);
        }
        return out;
    }
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        // The segment's parameter range inside the band.
        let (mut t0, mut t1) = (0.0f32, 1.0f32);
        let dy = y1 - y0;
        if dy == 0.0 {
            if !inside(y0) {
                t0 = 1.0;
                t1 = 0.0;
            }
        } else {
            let (ta, tb) = ((top - y0) / dy, (bottom - y0) / dy);
            t0 = t0.max(ta.min(tb));
            t1 = t1.min(ta.max(tb));
        }
        if t0 > t1 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let at = |t: f32| (x0 + (x1 - x0) * t, y0 + dy * t);
        let (a, b) = (at(t0), at(t1));
        if cur.last() != Some(&a) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(a);
        }
        cur.push(b);
        if t1 < 1.0 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn push_series(items: &mut Vec<Primitive>, seg: Vec<(f32, f32)>, color: Rgba, width: f32, style: LineStyle) {
    if seg.len() == 1 {
        let (x, y) = seg[0];
        items.push(Primitive::Rect { x: x.floor(), y: y.floor(), w: width.ceil(), h: width.ceil(), color });
    } else if style == LineStyle::Solid {
        items.push(Primitive::Polyline { points: seg, color, width });
    } else {
        annotations::stroke(items, &seg, color, width, style);
    }
}

fn outline(items: &mut Vec<Primitive>, x: f32, y: f32, w: f32, h: f32, t: f32, color: Rgba) {
    if w <= 2.0 * t || h <= 2.0 * t {
        items.push(Primitive::Rect { x, y, w, h, color });
        return;
    }
    items.push(Primitive::Rect { x, y, w, h: t, color });
    items.push(Primitive::Rect { x, y: y + h - t, w, h: t, color });
    items.push(Primitive::Rect { x, y: y + t, w: t, h: h - 2.0 * t, color });
    items.push(Primitive::Rect { x: x + w - t, y: y + t, w: t, h: h - 2.0 * t, color });
}

/// Legend entries left to right: a colour swatch (skipped when transparent) and the label.
fn draw_legend(
    items: &mut Vec<Primitive>,
    x: f32,
    y: f32,
    entries: &[(String, Rgba)],
    size: f32,
    text: Rgba,
    ascent: f32,
) {
    let mut x = x.round();
    let sw = (size * 0.8).round();
    for (label, color) in entries {
        let label = &one_line(label);
        if label.is_empty() {
            continue;
        }
        if color.a > 0 {
            items.push(Primitive::Rect {
                x,
                y: (y + (ascent - sw) * 0.5 + size * 0.1).round(),
                w: sw,
                h: sw,
                color: *color,
            });
            x += sw + (size * 0.35).round();
        }
        items.push(Primitive::Text {
            x,
            y: (y + ascent).round(),
            text: label.to_string(),
            size,
            color: text,
            anchor: Anchor::Start,
        });
        x += (text_width(label, size) + size * 1.2).round();
    }
}
