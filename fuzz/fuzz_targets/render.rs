//! The scene builder and the CPU renderer over arbitrary OHLCV columns (NaN, +-inf, high < low, huge and tiny
//! prices) and arbitrary options: every kind (renko and P&F through their kernels), theme, format, overlays, panels,
//! lines, fills and markers, at small sizes so that it runs fast. A chart may be refused with an error, never panic,
//! and what comes out has the requested size.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use polars_kimsfinance::kernels::bars::{pnf, renko};
use polars_kimsfinance::render::{
    render, ALine, ChartKind, Columns, Fill, Format, HLine, Input, LineLook, LineStyle, MarkerShape, Markers, Options,
    PanelLineKind, PngSpeed, Series, SubPanel, Theme, VLine, MIN_SIZE,
};

/// A float, mostly ordinary prices, sometimes a special value (the raw bits cover every other case).
fn price(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0u8..=15)? {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => f64::from_bits(u.arbitrary()?),
        4 => 0.0,
        5 => f64::MAX,
        6 => -1.0,
        _ => 100.0 + f64::from(u.arbitrary::<i16>()?) / 64.0,
    })
}

fn column(u: &mut Unstructured, n: usize) -> Result<Vec<f64>> {
    (0..n).map(|_| price(u)).collect()
}

fn colour(u: &mut Unstructured) -> Result<Option<String>> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => None,
        1 => Some(format!("#{:06x}", u.arbitrary::<u32>()? & 0xFF_FFFF)),
        2 => Some(format!("#{:08X}", u.arbitrary::<u32>()?)),
        _ => Some(u.arbitrary::<&str>()?.to_string()),
    })
}

fn text(u: &mut Unstructured) -> Result<Option<String>> {
    Ok(if u.arbitrary()? { Some(u.arbitrary::<&str>()?.chars().take(40).collect()) } else { None })
}

fn look(u: &mut Unstructured) -> Result<LineLook> {
    Ok(LineLook {
        color: colour(u)?,
        width: f32::from(u.int_in_range(0u8..=40)?) / 4.0,
        style: *u.choose(&[LineStyle::Solid, LineStyle::Dashed, LineStyle::Dotted])?,
        label: text(u)?,
    })
}

/// One of the drawn series (overlays, panels, fills and markers share them), or the close when there are none.
fn pick<'a>(u: &mut Unstructured, series: &'a [Vec<f64>], close: &'a [f64]) -> Result<&'a [f64]> {
    Ok(if series.is_empty() { close } else { u.choose(series)?.as_slice() })
}

fn chart(u: &mut Unstructured) -> Result<()> {
    let n = u.int_in_range(0usize..=300)?;
    let kind = *u.choose(&ChartKind::ALL)?;
    let format =
        *u.choose(&[Format::Png(PngSpeed::Fast), Format::Rgba, Format::Svg, Format::Png(PngSpeed::Balanced)])?;
    let (open, high, low, close) = (column(u, n)?, column(u, n)?, column(u, n)?, column(u, n)?);
    let volume = if u.arbitrary()? { Some(column(u, n)?) } else { None };
    let times: Option<Vec<i64>> =
        if u.arbitrary()? { Some((0..n).map(|_| u.arbitrary()).collect::<Result<_>>()?) } else { None };
    let series: Vec<Vec<f64>> = (0..u.int_in_range(0usize..=3)?).map(|_| column(u, n)).collect::<Result<_>>()?;

    let mut opts = Options {
        kind,
        width: MIN_SIZE + u.int_in_range(0u32..=200)?,
        height: MIN_SIZE + u.int_in_range(0u32..=150)?,
        theme: *u.choose(&Theme::ALL)?,
        volume: u.arbitrary()?,
        antialias: u.arbitrary()?,
        title: text(u)?,
        format,
        title_center: u.arbitrary()?,
        title_bold: u.arbitrary()?,
        ylabel: text(u)?,
        ylabel_lower: text(u)?,
        volume_exponent: if u.arbitrary()? { Some(u.int_in_range(-30..=30)?) } else { None },
        last_price: u.arbitrary()?,
        last_close: if u.arbitrary()? { Some(price(u)?) } else { None },
        legend: u.arbitrary()?,
        log_scale: u.arbitrary()?,
        ..Default::default()
    };
    for key in ["background", "up", "down", "grid", "text", "line"] {
        if let Some(slot) = opts.colors.slot_mut(key) {
            *slot = if u.ratio(1, 6)? { colour(u)? } else { None };
        }
    }
    for _ in 0..u.int_in_range(0..=2)? {
        opts.overlays.push(Series {
            label: text(u)?.unwrap_or_default(),
            values: pick(u, &series, &close)?,
            color: colour(u)?,
        });
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let lines = (0..u.int_in_range(0..=2)?)
            .map(|_| {
                Ok(Series { label: text(u)?.unwrap_or_default(), values: pick(u, &series, &close)?, color: colour(u)? })
            })
            .collect::<Result<_>>()?;
        let histogram = if u.arbitrary()? { Some(pick(u, &series, &close)?) } else { None };
        let levels = (0..u.int_in_range(0..=3)?).map(|_| price(u)).collect::<Result<_>>()?;
        // Any pair, ordered or not, finite or not: the scene builder refuses a bad range with an error.
        let ylim = if u.arbitrary()? { Some((price(u)?, price(u)?)) } else { None };
        opts.panels.push(SubPanel {
            title: text(u)?.unwrap_or_default(),
            lines,
            histogram,
            levels,
            kind: *u.choose(&[
                PanelLineKind::Line,
                PanelLineKind::Step,
                PanelLineKind::StepPre,
                PanelLineKind::StepMid,
                PanelLineKind::Scatter,
            ])?,
            ylim,
        });
    }
    for _ in 0..u.int_in_range(0..=2)? {
        opts.hlines.push(HLine { price: price(u)?, look: look(u)? });
    }
    for _ in 0..u.int_in_range(0..=2)? {
        opts.vlines.push(VLine { row: u.int_in_range(0..=n + 2)?, look: look(u)? });
    }
    for _ in 0..u.int_in_range(0..=1)? {
        let points =
            (0..u.int_in_range(0..=4)?).map(|_| Ok((u.int_in_range(0..=n + 2)?, price(u)?))).collect::<Result<_>>()?;
        opts.alines.push(ALine { points, look: look(u)? });
    }
    for _ in 0..u.int_in_range(0..=1)? {
        opts.fills.push(Fill {
            y1: pick(u, &series, &close)?,
            y2: pick(u, &series, &close)?,
            color: colour(u)?,
            alpha: u.arbitrary()?,
            label: text(u)?,
        });
    }
    for _ in 0..u.int_in_range(0..=1)? {
        let shape = *u.choose(&[
            MarkerShape::TriangleUp,
            MarkerShape::TriangleDown,
            MarkerShape::Circle,
            MarkerShape::Square,
            MarkerShape::Diamond,
            MarkerShape::Cross,
        ])?;
        let size = f32::from(u.int_in_range(0u8..=60)?);
        opts.markers.push(Markers {
            values: pick(u, &series, &close)?,
            shape,
            size,
            color: colour(u)?,
            label: text(u)?,
        });
    }

    let box_size = f64::from(u.int_in_range(1u16..=400)?) / 16.0;
    let bricks;
    let columns;
    let input = match kind {
        ChartKind::Renko => {
            let Ok(b) = renko(&close, box_size) else { return Ok(()) };
            bricks = b;
            opts.source_times = times.as_deref();
            Input::Renko(&bricks)
        }
        ChartKind::Pnf => {
            let Ok(c) = pnf(&high, &low, box_size, u.int_in_range(1..=4)?) else { return Ok(()) };
            columns = c;
            opts.source_times = times.as_deref();
            Input::Pnf { columns: &columns, box_size }
        }
        _ => Input::Bars(Columns {
            timestamps: times.as_deref(),
            open: &open,
            high: &high,
            low: &low,
            close: &close,
            volume: volume.as_deref(),
        }),
    };
    if let Ok(out) = render(input, &opts) {
        assert_eq!((out.width, out.height), (opts.width, opts.height), "{kind:?}: size");
        match format {
            Format::Rgba => assert_eq!(out.bytes.len(), (opts.width * opts.height * 4) as usize, "rgba length"),
            Format::Svg => assert!(std::str::from_utf8(&out.bytes).is_ok(), "svg is text"),
            _ => assert_eq!(&out.bytes[..8], b"\x89PNG\r\n\x1a\n", "png signature"),
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = chart(&mut Unstructured::new(data));
});
