//! The renderer's single error type. Every message names the parameter and the value it got.

use std::fmt;

use super::color::Theme;
use super::options::{ChartKind, Format, PngSpeed};

/// Why a chart could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// `width` or `height` outside `64..=16384`.
    InvalidSize {
        /// `"width"` or `"height"`.
        param: &'static str,
        /// The value that was passed.
        value: u32,
    },
    /// No bars (or bricks, or columns) to draw.
    EmptyInput {
        /// What was empty, e.g. `"close"` or `"renko bricks"`.
        what: &'static str,
    },
    /// A column (or overlay / panel series) whose length differs from the bar count.
    LengthMismatch {
        /// The column's name.
        column: String,
        /// The bar count.
        expected: usize,
        /// The column's length.
        got: usize,
    },
    /// A bar whose high is below its low.
    HighBelowLow {
        /// The first offending row (0-based, in the caller's frame).
        row: usize,
        /// Its high.
        high: f64,
        /// Its low.
        low: f64,
    },
    /// A chart kind name that is not one of the known kinds.
    UnknownKind(String),
    /// A theme name that is not one of the known themes.
    UnknownTheme(String),
    /// An output format name that is not one of the known formats.
    UnknownFormat(String),
    /// A PNG speed preset that is not `fast`, `balanced` or `best`.
    UnknownSpeed(String),
    /// A colour string that is not `#RGB`, `#RRGGBB` or `#RRGGBBAA`.
    InvalidColor {
        /// The option that held the colour, e.g. `"up_color"` or `"overlay 'sma20' color"`.
        param: String,
        /// The string that was passed.
        value: String,
    },
    /// Any other invalid parameter; `message` reads like `pnf column 3: box_size must be > 0, got -1`.
    InvalidInput {
        /// The parameter.
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// The image encoder failed.
    Encode(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::InvalidSize { param, value } => {
                write!(f, "render: {param} must be between {} and {}, got {value}", super::MIN_SIZE, super::MAX_SIZE)
            }
            RenderError::EmptyInput { what } => write!(f, "render: {what} is empty, nothing to draw"),
            RenderError::LengthMismatch { column, expected, got } => {
                write!(f, "render: column '{column}' has length {got}, expected {expected} (the bar count)")
            }
            RenderError::HighBelowLow { row, high, low } => {
                write!(f, "render: high < low at row {row} (high={high}, low={low})")
            }
            RenderError::UnknownKind(k) => {
                let names: Vec<&str> = ChartKind::ALL.iter().map(|k| k.name()).collect();
                write!(f, "render: kind must be one of {}; got '{k}'", names.join(", "))
            }
            RenderError::UnknownTheme(t) => {
                let names: Vec<&str> = Theme::ALL.iter().map(|t| t.name()).collect();
                write!(f, "render: theme must be one of {}; got '{t}'", names.join(", "))
            }
            RenderError::UnknownFormat(t) => {
                write!(f, "render: format must be one of {}; got '{t}'", Format::NAMES.join(", "))
            }
            RenderError::UnknownSpeed(t) => {
                write!(f, "render: speed must be one of {}; got '{t}'", PngSpeed::NAMES.join(", "))
            }
            RenderError::InvalidColor { param, value } => {
                write!(f, "render: {param} must be a colour '#RGB', '#RRGGBB' or '#RRGGBBAA', got '{value}'")
            }
            RenderError::InvalidInput { param, message } => write!(f, "render: {param}: {message}"),
            RenderError::Encode(m) => write!(f, "render: encoder failed: {m}"),
        }
    }
}

impl std::error::Error for RenderError {}
