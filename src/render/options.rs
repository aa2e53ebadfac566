//! What to draw (`Input`: bars, Renko bricks or point-and-figure columns) and how (`Options`). Bricks and columns
//! are the bar kernels' own types (`kernels::bars`), so a chart draws what the transforms return.

pub use super::annotations::{ALine, Fill, HLine, LineLook, LineStyle, MarkerShape, Markers, VLine};
use super::color::Theme;
use super::error::RenderError;
pub use crate::kernels::bars::{Brick, PnfColumn};

/// Smallest accepted image side.
pub const MIN_SIZE: u32 = 64;
/// Largest accepted image side.
pub const MAX_SIZE: u32 = 16384;

/// The chart type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartKind {
    /// Filled candlesticks.
    #[default]
    Candle,
    /// OHLC bars (open tick left, close tick right).
    Ohlc,
    /// Close-price line.
    Line,
    /// Close-price line with the area below it filled.
    LineFilled,
    /// Hollow candles: hollow when close > open, coloured by close versus the previous close.
    Hollow,
    /// Renko bricks (input: [`Input::Renko`]).
    Renko,
    /// Point-and-figure columns (input: [`Input::Pnf`]).
    Pnf,
    /// Heikin-Ashi candles; the bars arrive already transformed and are drawn as candles.
    HeikinAshi,
}

impl ChartKind {
    /// All kinds, in documentation order.
    pub const ALL: [ChartKind; 8] = [
        ChartKind::Candle,
        ChartKind::Ohlc,
        ChartKind::Line,
        ChartKind::LineFilled,
        ChartKind::Hollow,
        ChartKind::Renko,
        ChartKind::Pnf,
        ChartKind::HeikinAshi,
    ];

    /// Parses a kind name (case-insensitive; `-` and `_` are interchangeable).
    pub fn parse(name: &str) -> Result<ChartKind, RenderError> {
        let n = name.to_ascii_lowercase().replace('-', "_");
        ChartKind::ALL.into_iter().find(|k| k.name() == n).ok_or_else(|| RenderError::UnknownKind(name.to_string()))
    }

    /// The kind's canonical name.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Candle => "candle",
            ChartKind::Ohlc => "ohlc",
            ChartKind::Line => "line",
            ChartKind::LineFilled => "line_filled",
            ChartKind::Hollow => "hollow",
            ChartKind::Renko => "renko",
            ChartKind::Pnf => "pnf",
            ChartKind::HeikinAshi => "heikin_ashi",
        }
    }
}

/// PNG compression presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PngSpeed {
    /// Our chart-oriented encoder (`png_fast`: Up filter, run matches, per-strip Huffman codes, strips in
    /// parallel): the fastest, and smaller than mplfinance's PNGs on charts.
    #[default]
    Fast,
    /// `png::Compression::Balanced` (zlib level 6).
    Balanced,
    /// `png::Compression::High` (zlib level 9).
    Best,
}

impl PngSpeed {
    /// The preset names, in documentation order.
    pub const NAMES: [&'static str; 3] = ["fast", "balanced", "best"];

    /// Parses `fast`, `balanced` or `best`.
    pub fn parse(name: &str) -> Result<PngSpeed, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "fast" => Ok(PngSpeed::Fast),
            "balanced" => Ok(PngSpeed::Balanced),
            "best" => Ok(PngSpeed::Best),
            _ => Err(RenderError::UnknownSpeed(name.to_string())),
        }
    }
}

/// The output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG at the given speed preset.
    Png(PngSpeed),
    /// Raw straight-alpha RGBA, row-major, `width * height * 4` bytes.
    Rgba,
    /// SVG text (the same scene; text as `<text>`).
    Svg,
    /// Lossless WebP (VP8L).
    WebP,
}

impl Default for Format {
    fn default() -> Self {
        Format::Png(PngSpeed::Fast)
    }
}

impl Format {
    /// The format names, in documentation order (`raw` is also accepted for `rgba`).
    pub const NAMES: [&'static str; 4] = ["png", "svg", "webp", "rgba"];

    /// Parses `png`, `rgba`, `svg` or `webp`; `speed` is used for PNG only.
    pub fn parse(name: &str, speed: PngSpeed) -> Result<Format, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "png" => Ok(Format::Png(speed)),
            "rgba" | "raw" => Ok(Format::Rgba),
            "svg" => Ok(Format::Svg),
            "webp" => Ok(Format::WebP),
            _ => Err(RenderError::UnknownFormat(name.to_string())),
        }
    }
}

/// OHLC(V) bars as borrowed columns. All present slices must have the same length.
/// A row where any of open/high/low/close is NaN is a missing bar: it keeps its slot and is drawn as a gap.
#[derive(Debug, Clone, Copy, Default)]
pub struct Columns<'a> {
    /// Bar times as epoch microseconds (UTC); without them the x axis is labelled with bar numbers.
    pub timestamps: Option<&'a [i64]>,
    /// Opens.
    pub open: &'a [f64],
    /// Highs.
    pub high: &'a [f64],
    /// Lows.
    pub low: &'a [f64],
    /// Closes.
    pub close: &'a [f64],
    /// Volumes (needed for the volume panel; NaN = none).
    pub volume: Option<&'a [f64]>,
}

/// The data to draw. Build it with `Input::from(columns)`, or the variants directly.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Time bars (candle, ohlc, line, line_filled, hollow, heikin_ashi).
    Bars(Columns<'a>),
    /// Renko bricks (kind renko), as `kernels::bars::renko` computes them.
    Renko(&'a [Brick]),
    /// Point-and-figure columns (kind pnf), as `kernels::bars::pnf` computes them: box levels in units of
    /// `box_size` (a column spans `bottom * box_size .. (top + 1) * box_size`).
    Pnf {
        /// The columns.
        columns: &'a [PnfColumn],
        /// Box height in price units (> 0).
        box_size: f64,
    },
}

impl<'a> From<Columns<'a>> for Input<'a> {
    fn from(c: Columns<'a>) -> Self {
        Input::Bars(c)
    }
}

/// A named line drawn over the price panel (e.g. a moving average) or in a sub-panel, listed in the legend.
#[derive(Debug, Clone, Default)]
pub struct Series<'a> {
    /// Legend label.
    pub label: String,
    /// One value per bar (NaN = gap).
    pub values: &'a [f64],
    /// `#RGB` / `#RRGGBB` / `#RRGGBBAA`; `None` picks the next default series colour.
    pub color: Option<String>,
    /// Solid, dashed or dotted (on a scatter panel: dots whatever the style).
    pub style: LineStyle,
    /// Drawn against the panel's second y axis, fitted to the panel's second-axis lines alone and labelled on
    /// the side opposite the first (mplfinance's `secondary_y`): for lines of another order of magnitude.
    pub secondary: bool,
    /// Stroke width in pixels, multiplied by `Options::font_scale` (0: the chart's line width); 0..=2000.
    pub width: f32,
    /// An overlay drawn on the volume panel, against the volume axis (or its second axis), which takes it in
    /// (e.g. a moving average of the volume). The chart must draw the volume panel; ignored for sub-panel lines.
    pub on_volume: bool,
}

/// An extra sub-panel below the price (and volume) panel, with its own y axis.
#[derive(Debug, Clone, Default)]
pub struct SubPanel<'a> {
    /// Shown at the panel's top-left corner.
    pub title: String,
    /// Lines, one value per bar.
    pub lines: Vec<Series<'a>>,
    /// An optional histogram (e.g. MACD's), drawn from 0, up colour when >= 0 and down colour when < 0.
    pub histogram: Option<&'a [f64]>,
    /// Reference levels (RSI's 30 and 70, MACD's zero), drawn as dashed lines in the axis colour.
    pub levels: Vec<f64>,
    /// How the lines are drawn.
    pub kind: PanelLineKind,
    /// A fixed y range `(low, high)` of the first axis, low < high, both finite; `None` fits the data. What falls
    /// outside is clipped.
    pub ylim: Option<(f64, f64)>,
    /// A logarithmic y axis (every value drawn must be > 0).
    pub log_scale: bool,
    /// The histogram's bar width as a share of a bar's slot, in (0, 1] (matplotlib's `bar(width=)`); `None`
    /// draws them as wide as the candle bodies.
    pub histogram_width: Option<f32>,
    /// One colour for every histogram bar (`#RGB` / `#RRGGBB` / `#RRGGBBAA`); `None` draws bars from 0 upwards
    /// in the up colour and downwards in the down colour, a little transparent.
    pub histogram_color: Option<String>,
    /// The histogram is drawn against the panel's second y axis (with the second-axis lines), not the first.
    pub histogram_secondary: bool,
}

/// How a sub-panel draws its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanelLineKind {
    /// Points joined by straight segments.
    #[default]
    Line,
    /// A staircase stepping at the later bar: each value held from its bar to the next (matplotlib's `post`).
    Step,
    /// A staircase stepping at the earlier bar: each value held from the bar before it to its own (`pre`, the
    /// step of mplfinance's `make_addplot(type="step")`).
    StepPre,
    /// A staircase stepping halfway between bars: each value held across its own bar's slot (`mid`).
    StepMid,
    /// A dot per bar.
    Scatter,
}

impl PanelLineKind {
    /// The kind names, in documentation order (`histogram` is the panel's histogram, not a line kind).
    pub const NAMES: [&'static str; 5] = ["line", "step", "step_pre", "step_mid", "scatter"];

    /// Parses one of [`PanelLineKind::NAMES`]; `param` names the option in the error.
    pub fn parse(name: &str, param: &str) -> Result<PanelLineKind, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "line" => Ok(PanelLineKind::Line),
            "step" => Ok(PanelLineKind::Step),
            "step_pre" => Ok(PanelLineKind::StepPre),
            "step_mid" => Ok(PanelLineKind::StepMid),
            "scatter" => Ok(PanelLineKind::Scatter),
            _ => Err(RenderError::InvalidInput {
                param: param.to_string(),
                message: format!("unknown panel kind '{name}'; known: {}", PanelLineKind::NAMES.join(", ")),
            }),
        }
    }
}

/// Colour overrides (hex strings); `None` keeps the theme's colour.
#[derive(Debug, Clone, Default)]
pub struct ColorOverrides {
    /// Background.
    pub background: Option<String>,
    /// Rising bars.
    pub up: Option<String>,
    /// Falling bars.
    pub down: Option<String>,
    /// Gridlines.
    pub grid: Option<String>,
    /// Labels and title.
    pub text: Option<String>,
    /// Line-chart price line.
    pub line: Option<String>,
    /// Wicks of rising candles (default: the body colour).
    pub wick_up: Option<String>,
    /// Wicks of falling candles (default: the body colour).
    pub wick_down: Option<String>,
    /// Outline of rising candle bodies (default: none, the body colour).
    pub edge_up: Option<String>,
    /// Outline of falling candle bodies (default: none, the body colour).
    pub edge_down: Option<String>,
    /// Volume bars under rising bars (default: the body colour at 60 % opacity).
    pub volume_up: Option<String>,
    /// Volume bars under falling bars (default: the body colour at 60 % opacity).
    pub volume_down: Option<String>,
}

impl ColorOverrides {
    /// The override keys, in documentation order.
    pub const KEYS: [&'static str; 12] = [
        "background",
        "up",
        "down",
        "grid",
        "text",
        "line",
        "wick_up",
        "wick_down",
        "edge_up",
        "edge_down",
        "volume_up",
        "volume_down",
    ];

    /// The override for `key` (one of [`ColorOverrides::KEYS`]), or `None` for an unknown key.
    pub fn slot_mut(&mut self, key: &str) -> Option<&mut Option<String>> {
        match key {
            "background" => Some(&mut self.background),
            "up" => Some(&mut self.up),
            "down" => Some(&mut self.down),
            "grid" => Some(&mut self.grid),
            "text" => Some(&mut self.text),
            "line" => Some(&mut self.line),
            "wick_up" => Some(&mut self.wick_up),
            "wick_down" => Some(&mut self.wick_down),
            "edge_up" => Some(&mut self.edge_up),
            "edge_down" => Some(&mut self.edge_down),
            "volume_up" => Some(&mut self.volume_up),
            "volume_down" => Some(&mut self.volume_down),
            _ => None,
        }
    }
}

/// Which rasteriser draws the scene (SVG output is always written by the SVG backend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// tiny-skia on the CPU.
    #[default]
    Cpu,
    /// wgpu (needs the `gpu` cargo feature and an adapter); errors instead of falling back.
    Gpu,
}

impl Engine {
    /// `"cpu"` or `"gpu"`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Cpu => "cpu",
            Engine::Gpu => "gpu",
        }
    }

    /// Parses `cpu` or `gpu` (case-insensitive).
    pub fn parse(name: &str) -> Result<Engine, RenderError> {
        match name.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Engine::Cpu),
            "gpu" => Ok(Engine::Gpu),
            _ => Err(RenderError::InvalidInput {
                param: "engine".into(),
                message: format!("must be one of cpu, gpu; got '{name}'"),
            }),
        }
    }
}

/// How to draw the chart.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Chart type.
    pub kind: ChartKind,
    /// Image width in pixels, 64..=16384.
    pub width: u32,
    /// Image height in pixels, 64..=16384.
    pub height: u32,
    /// Built-in palette.
    pub theme: Theme,
    /// Colour overrides on top of the theme.
    pub colors: ColorOverrides,
    /// Draw the volume panel (when the input has volume).
    pub volume: bool,
    /// Antialiased drawing (off: crisp, aliased edges and text).
    pub antialias: bool,
    /// Title drawn above the price panel.
    pub title: Option<String>,
    /// Lines over the price panel.
    pub overlays: Vec<Series<'a>>,
    /// Sub-panels below the price (and volume) panel.
    pub panels: Vec<SubPanel<'a>>,
    /// Output encoding.
    pub format: Format,
    /// Rasteriser for PNG / RGBA / WebP output.
    pub engine: Engine,
    /// The title centred over the image (else at the plot's left edge).
    pub title_center: bool,
    /// The title in bold.
    pub title_bold: bool,
    /// A label at the top left of the price panel (e.g. "Price").
    pub ylabel: Option<String>,
    /// A label at the top left of the volume panel (e.g. "Volume").
    pub ylabel_lower: Option<String>,
    /// Volume tick labels in units of `10^k` ("2", "4" for 2M, 4M with `k = 6`), for a label that names the
    /// multiplier; `None`: compact labels ("2M").
    pub volume_exponent: Option<i32>,
    /// Draw the last-price line and its tag on the price axis.
    pub last_price: bool,
    /// The price the last-price marker shows; `None`: the last drawn close. Renko and point-and-figure charts pass
    /// the source's last close, which lies inside the last brick or column rather than on its edge.
    pub last_close: Option<f64>,
    /// Draw the legends of the overlays and of the sub-panel lines.
    pub legend: bool,
    /// Renko / point-and-figure: epoch microseconds of the source rows that the bricks' `bar` and the columns'
    /// `start_bar` index, so that the time axis shows dates rather than brick numbers.
    pub source_times: Option<&'a [i64]>,
    /// Horizontal lines across the price panel.
    pub hlines: Vec<HLine>,
    /// Vertical lines through every panel.
    pub vlines: Vec<VLine>,
    /// Free lines (and trend lines) over the price panel.
    pub alines: Vec<ALine>,
    /// Shaded regions of the price panel, drawn under the bars.
    pub fills: Vec<Fill<'a>>,
    /// Signal markers on the price panel.
    pub markers: Vec<Markers<'a>>,
    /// A logarithmic price axis (every drawn price must be > 0).
    pub log_scale: bool,
    /// Per source row, a body colour (`#RRGGBB[AA]`) that replaces the up / down colour of that bar's body, wick
    /// and volume bar; `None` entries keep the default. Applies where each bar has its own slot (not to bars
    /// aggregated into a shared pixel column, nor to renko / point-and-figure).
    pub bar_colors: Option<&'a [Option<String>]>,
    /// `bar_colors` colour only the bodies; wicks, edges and volume bars keep the up / down colours.
    pub bar_colors_face_only: bool,
    /// Relative panel heights, one per panel top to bottom (by default price, volume when drawn, each sub-panel;
    /// `main_panel` and `volume_panel` change that order); `None`: 4 : 1 : 1.4 each.
    pub panel_ratios: Option<Vec<f32>>,
    /// Time-axis labels in strftime-style codes (`ticks::format_custom`); `None`: chosen by the span.
    pub datetime_format: Option<String>,
    /// A smaller line (or lines) under the title, in the axis colour.
    pub subtitle: Option<String>,
    /// Multiplies every text size, line width and margin: an image `s` times as wide and high drawn with
    /// `font_scale = s` is the chart at `width / s` by `height / s` at `s` times the resolution. > 0, finite.
    pub font_scale: f32,
    /// The y axes (tick labels and the last-price tag) left of the plot instead of right.
    pub y_axis_left: bool,
    /// Time-axis labels turned by this many degrees counter-clockwise (as matplotlib's `rotation`), each label's
    /// box centred under its tick as matplotlib places rotated tick labels; 0: level labels. Any finite angle.
    pub xrotation: f32,
    /// Where the price panel sits among the panels, counted from the top (mplfinance's `main_panel`).
    pub main_panel: usize,
    /// Where the volume panel sits among the panels when it is drawn, counted from the top; the sub-panels fill
    /// the other places in their order.
    pub volume_panel: usize,
    /// A logarithmic volume axis (bars of zero volume are not drawn).
    pub volume_log_scale: bool,
    /// A label centred under the time axis.
    pub xlabel: Option<String>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            kind: ChartKind::Candle,
            width: 1920,
            height: 1080,
            theme: Theme::default(),
            colors: ColorOverrides::default(),
            volume: true,
            antialias: true,
            title: None,
            overlays: Vec::new(),
            panels: Vec::new(),
            format: Format::default(),
            engine: Engine::Cpu,
            title_center: false,
            title_bold: false,
            ylabel: None,
            ylabel_lower: None,
            volume_exponent: None,
            last_price: true,
            last_close: None,
            legend: true,
            source_times: None,
            hlines: Vec::new(),
            vlines: Vec::new(),
            alines: Vec::new(),
            fills: Vec::new(),
            markers: Vec::new(),
            log_scale: false,
            bar_colors: None,
            bar_colors_face_only: false,
            panel_ratios: None,
            datetime_format: None,
            subtitle: None,
            font_scale: 1.0,
            y_axis_left: false,
            xrotation: 0.0,
            main_panel: 0,
            volume_panel: 1,
            volume_log_scale: false,
            xlabel: None,
        }
    }
}
