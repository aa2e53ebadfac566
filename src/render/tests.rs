//! Renderer tests: layout and ticks on the scene (no pixels), pixel probes, determinism, errors, golden images.

use super::data::bars_from_columns;
use super::scene::clip_to_band;
use super::ticks::*;
use super::*;

const T0: i64 = 1_704_187_800_000_000; // 2024-01-02 09:30 UTC
pub(crate) const MIN_US: i64 = 60_000_000;
const DAY_US: i64 = 86_400_000_000;

/// Deterministic random-walk OHLCV bars `step_us` apart (also used by the GPU backend's tests).
pub(crate) struct Data {
    pub(crate) t: Vec<i64>,
    pub(crate) o: Vec<f64>,
    pub(crate) h: Vec<f64>,
    pub(crate) l: Vec<f64>,
    pub(crate) c: Vec<f64>,
    pub(crate) v: Vec<f64>,
}

impl Data {
    pub(crate) fn walk(n: usize, step_us: i64, seed: u64) -> Data {
        let mut s = seed.max(1);
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut d = Data { t: vec![], o: vec![], h: vec![], l: vec![], c: vec![], v: vec![] };
        let mut p = 100.0;
        for i in 0..n {
            let o = p;
            let c = (o + (rnd() - 0.5) * 3.0).max(5.0);
            d.t.push(T0 + i as i64 * step_us);
            d.o.push(o);
            d.c.push(c);
            d.h.push(o.max(c) + rnd());
            d.l.push(o.min(c) - rnd());
            d.v.push(100.0 + rnd() * 900.0);
            p = c;
        }
        d
    }

    pub(crate) fn cols(&self) -> Columns<'_> {
        Columns {
            timestamps: Some(&self.t),
            open: &self.o,
            high: &self.h,
            low: &self.l,
            close: &self.c,
            volume: Some(&self.v),
        }
    }
}

fn opts(w: u32, h: u32) -> Options<'static> {
    Options { width: w, height: h, antialias: false, ..Options::default() }
}

fn scene_of(d: &Data, o: &Options) -> Scene {
    build_scene(&Input::Bars(d.cols()), o).expect("scene")
}

/// The pixel at `(x, y)` of straight RGBA data `w` pixels wide.
pub(crate) fn pixel(rgba: &[u8], w: u32, x: f32, y: f32) -> Rgba {
    let i = (y as usize * w as usize + x as usize) * 4;
    Rgba { r: rgba[i], g: rgba[i + 1], b: rgba[i + 2], a: rgba[i + 3] }
}

// ---------- ticks and formats ----------

#[test]
fn nice_ticks_use_1_2_5_steps() {
    let t = nice_ticks(0.0, 10.0, 5);
    assert_eq!(t.step, 2.0);
    assert_eq!(t.values, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(t.decimals, 0);
    let t = nice_ticks(0.13, 0.87, 4);
    assert!((t.step - 0.2).abs() < 1e-12);
    assert_eq!(t.decimals, 1);
    let labels: Vec<String> = t.values.iter().map(|&v| format_fixed(v, t.decimals)).collect();
    assert_eq!(labels, ["0.2", "0.4", "0.6", "0.8"]);
    assert_eq!(nice_step(1000.0, 4), 500.0);
    assert_eq!(nice_step(1.0e6 * 0.03, 6), 5000.0);
    assert_eq!(
        nice_ticks(999_000.0, 1_001_000.0, 4).values,
        vec![999_000.0, 999_500.0, 1_000_000.0, 1_000_500.0, 1_001_000.0]
    );
    assert_eq!(nice_ticks(999_100.0, 1_000_900.0, 4).values, vec![999_500.0, 1_000_000.0, 1_000_500.0]);
    for (lo, hi, n) in [(3.7, 1234.5, 7), (-0.004, 0.0031, 5), (1e6, 1e6 + 3.0, 8)] {
        let t = nice_ticks(lo, hi, n);
        let m = t.step / 10f64.powf(t.step.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|x| (m - x).abs() < 1e-9), "step {} not 1-2-5", t.step);
        assert!(!t.values.is_empty() && t.values.len() <= n + 1);
        assert!(t.values.iter().all(|&v| v >= lo - 1e-9 && v <= hi + 1e-9));
    }
}

#[test]
fn number_formats() {
    assert_eq!(format_fixed(-0.0001, 2), "0.00");
    assert_eq!(format_fixed(12.345, 1), "12.3");
    // A volume step of 0 (found by fuzzing: a 1e30 volume unit) gave usize::MAX decimals, a formatter panic.
    assert_eq!(format_fixed(1.5e-30, usize::MAX), "1.50e-30");
    assert_eq!(format_fixed(2.0, 21), "2.00e0");
    assert_eq!(format_compact(0.0, 500.0), "0");
    assert_eq!(format_compact(1500.0, 500.0), "1.5K");
    assert_eq!(format_compact(20_000_000.0, 10_000_000.0), "20M");
    assert_eq!(format_compact(3e9, 1e9), "3B");
    assert_eq!(format_compact(250.0, 50.0), "250");
}

#[test]
fn civil_dates() {
    assert_eq!(civil(0), (1970, 1, 1));
    assert_eq!(civil(1_709_164_800 * 1_000_000), (2024, 2, 29));
    assert_eq!(civil(951_868_800 * 1_000_000), (2000, 3, 1));
    assert_eq!(civil(-1), (1969, 12, 31));
    assert_eq!(civil(T0), (2024, 1, 2));
}

#[test]
fn time_label_formats_follow_the_span() {
    assert_eq!(TimeStep::choose(6 * 3600 * 1_000_000, 12), TimeStep::Minutes(30));
    assert_eq!(TimeStep::choose(6 * 3600 * 1_000_000, 12).format(), TimeFormat::HourMinute);
    assert_eq!(TimeStep::choose(60 * DAY_US, 10).format(), TimeFormat::MonthDay);
    assert_eq!(TimeStep::choose(3 * 365 * DAY_US, 20).format(), TimeFormat::YearMonth);
    assert_eq!(TimeStep::choose(40 * 365 * DAY_US, 10).format(), TimeFormat::Year);
    assert_eq!(format_time(T0, TimeFormat::HourMinute, None), "09:30");
    assert_eq!(format_time(T0 + DAY_US, TimeFormat::HourMinute, Some(T0)), "Jan 03");
    assert_eq!(format_time(T0, TimeFormat::MonthDay, None), "Jan 02");
    assert_eq!(format_time(T0, TimeFormat::YearMonth, None), "2024-01");
    assert_eq!(format_time(T0, TimeFormat::Year, None), "2024");
    assert_eq!(TimeStep::Months(3).bucket(T0), (2024 * 12) / 3);
    assert_eq!(format_time(T0, TimeFormat::MonthDay, Some(T0 - 10 * DAY_US)), "2024");
    assert_eq!(format_time(T0, TimeFormat::HourMinute, Some(T0 - 2 * DAY_US)), "2024");
}

#[test]
fn custom_datetime_formats() {
    // T0 is Tuesday 2024-01-02 09:30 UTC.
    assert_eq!(format_custom(T0, "%Y-%m-%d %H:%M:%S"), "2024-01-02 09:30:00");
    assert_eq!(format_custom(T0, "%b %d, %y"), "Jan 02, 24");
    assert_eq!(format_custom(T0, "%a %B %e %I:%M %p %j %%"), "Tue January  2 09:30 AM 002 %");
    assert_eq!(format_custom(T0 + 5 * 3600 * 1_000_000, "%I%p"), "02PM");
    assert_eq!(format_custom(T0 + 365 * DAY_US, "%j"), "001");
    assert_eq!(format_custom(T0, "%q and %"), "%q and %");
    let d = Data::walk(100, DAY_US, 2);
    let s = scene_of(&d, &Options { datetime_format: Some("%d/%m".into()), ..opts(1200, 600) });
    assert!(s.x_ticks.iter().all(|t| t.label.len() == 5 && t.label.as_bytes()[2] == b'/'), "{:?}", s.x_ticks);
}

#[test]
fn scene_time_labels_for_intraday_daily_and_multi_year_data() {
    let is_hhmm = |s: &str| s.len() == 5 && s.as_bytes()[2] == b':';
    let d = Data::walk(300, MIN_US, 1);
    let s = scene_of(&d, &opts(1200, 600));
    assert_eq!(s.time_format, TimeFormat::HourMinute);
    assert!(s.x_ticks.len() >= 3);
    // Within one day and one year: the first tick names the date and the year, the others the time.
    assert_eq!(s.x_ticks[0].label, "Jan 02 2024", "{:?}", s.x_ticks);
    assert!(s.x_ticks[1..].iter().all(|t| is_hhmm(&t.label)), "{:?}", s.x_ticks);
    assert!(s.x_ticks.iter().all(|t| (t.x - s.slot_center(t.slot)).abs() < 1e-3));
    // Ticks sit on the first bar of each interval, so minutes are multiples of the (5, 10, 15, 30 min) step.
    assert!(s.x_ticks[1..].iter().all(|t| t.label[3..].parse::<u32>().unwrap() % 5 == 0), "{:?}", s.x_ticks);

    let d = Data::walk(100, DAY_US, 2);
    let s = scene_of(&d, &opts(1200, 600));
    assert_eq!(s.time_format, TimeFormat::MonthDay);
    assert!(s.x_ticks[0].label.ends_with(" 2024"), "{:?}", s.x_ticks);
    assert!(s.x_ticks[1..].iter().all(|t| t.label.len() == 6 && t.label.as_bytes()[3] == b' '), "{:?}", s.x_ticks);

    // 180 daily bars across New Year: the first tick of the new year shows the year instead of the date.
    let mut d = Data::walk(180, DAY_US, 2);
    for (i, t) in d.t.iter_mut().enumerate() {
        *t = T0 - 120 * DAY_US + i as i64 * DAY_US;
    }
    let s = scene_of(&d, &opts(1200, 600));
    assert_eq!(s.time_format, TimeFormat::MonthDay);
    let years: Vec<&str> = s.x_ticks.iter().map(|t| t.label.as_str()).filter(|l| l.len() == 4).collect();
    assert_eq!(years, ["2024"], "{:?}", s.x_ticks);
    assert!(!s.x_ticks[0].label.contains("2023"), "the year tick names the year: {:?}", s.x_ticks);

    let d = Data::walk(3 * 365, DAY_US, 3);
    let s = scene_of(&d, &opts(1200, 600));
    assert_eq!(s.time_format, TimeFormat::YearMonth);
    assert!(s.x_ticks.iter().all(|t| t.label.len() == 7 && t.label.as_bytes()[4] == b'-'));

    let d = Data::walk(40 * 365, DAY_US, 4);
    let s = scene_of(&d, &opts(800, 400));
    assert_eq!(s.time_format, TimeFormat::Year);
    assert!(s.x_ticks.iter().all(|t| t.label.len() == 4));

    // Labels never overlap.
    for w in s.x_ticks.windows(2) {
        assert!(w[1].x > w[0].x);
    }
}

#[test]
fn gaps_in_time_leave_no_holes() {
    // Weekdays only: Friday → Monday jumps 3 days, but slots are evenly spaced by bar index.
    let mut d = Data::walk(30, DAY_US, 5);
    let mut t = T0;
    for i in 0..30 {
        d.t[i] = t;
        t += if (i + 1) % 5 == 0 { 3 * DAY_US } else { DAY_US };
    }
    let s = scene_of(&d, &opts(600, 300));
    let dx: Vec<f32> = (1..30).map(|i| s.slot_center(i) - s.slot_center(i - 1)).collect();
    assert!(dx.iter().all(|&x| (x - dx[0]).abs() < 1e-3));
    assert!((s.slot_center(29) + s.slot_width * 0.5 - s.price_panel().rect.right()).abs() < 1e-3);
}

#[test]
fn bar_index_labels_without_timestamps() {
    let d = Data::walk(200, MIN_US, 6);
    let cols = Columns { timestamps: None, ..d.cols() };
    let s = build_scene(&Input::Bars(cols), &opts(800, 400)).unwrap();
    assert_eq!(s.time_format, TimeFormat::BarIndex);
    assert_eq!(s.x_ticks[0].label, "0");
    assert!(s.x_ticks.iter().all(|t| t.label.parse::<usize>().unwrap() == t.slot));
}

// ---------- layout ----------

#[test]
fn panels_stack_top_to_bottom() {
    let d = Data::walk(120, MIN_US, 7);
    let rsi: Vec<f64> = d.c.iter().map(|c| c % 100.0).collect();
    let hist: Vec<f64> = d.c.windows(2).map(|w| w[1] - w[0]).chain([0.0]).collect();
    let mut o = opts(800, 600);
    o.title = Some("Stacked".into());
    o.panels = vec![
        SubPanel {
            title: "RSI".into(),
            lines: vec![Series { label: "rsi".into(), values: &rsi, color: None, ..Default::default() }],
            histogram: None,
            levels: vec![30.0, 70.0],
            ..SubPanel::default()
        },
        SubPanel { title: "diff".into(), histogram: Some(&hist), ..SubPanel::default() },
    ];
    let s = scene_of(&d, &o);
    let kinds: Vec<PanelKind> = s.panels.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PanelKind::Price, PanelKind::Volume, PanelKind::Sub(0), PanelKind::Sub(1)]);
    let price = s.price_panel();
    let vol = s.volume_panel().unwrap();
    assert!(vol.rect.y > price.rect.bottom(), "volume panel below price panel");
    assert!(price.rect.h > 2.0 * vol.rect.h);
    for w in s.panels.windows(2) {
        assert!(w[1].rect.y > w[0].rect.bottom());
        assert_eq!(w[0].rect.x, w[1].rect.x);
        assert_eq!(w[0].rect.w, w[1].rect.w);
    }
    assert!(s.panels.last().unwrap().rect.bottom() < 600.0 - s.font_size);
    assert!(price.rect.y > s.font_size, "room for the title");
    // Scales: the price scale covers every high and low; ticks are inside their panel.
    assert!(price.scale.min <= d.l.iter().cloned().fold(f64::INFINITY, f64::min));
    assert!(price.scale.max >= d.h.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    for p in &s.panels {
        assert!(!p.ticks.is_empty());
        assert!(p.ticks.iter().all(|t| t.y >= p.rect.y - 0.5 && t.y <= p.rect.bottom() + 0.5));
    }
    // The histogram panel's range includes 0.
    assert!(s.panels[3].scale.min < 0.0 && s.panels[3].scale.max > 0.0);

    let mut o = opts(800, 600);
    o.volume = false;
    assert!(scene_of(&d, &o).volume_panel().is_none());
    let no_vol = Columns { volume: None, ..d.cols() };
    assert!(build_scene(&Input::Bars(no_vol), &opts(800, 600)).unwrap().volume_panel().is_none());
}

#[test]
fn main_panel_and_volume_panel_place_the_panels_and_the_ratios_follow_the_places() {
    let d = Data::walk(120, MIN_US, 7);
    let rsi: Vec<f64> = d.c.iter().map(|c| c % 100.0 + 1.0).collect();
    let line = |values: &'static [f64]| SubPanel {
        title: "rsi".into(),
        lines: vec![Series { label: "rsi".into(), values, ..Default::default() }],
        ..SubPanel::default()
    };
    let rsi: &'static [f64] = Box::leak(rsi.into_boxed_slice());
    let mut o = opts(800, 600);
    o.panels = vec![line(rsi), line(rsi)];
    // Top to bottom: volume, sub-panel 0, price, sub-panel 1; ratios given top to bottom.
    o.main_panel = 2;
    o.volume_panel = 0;
    o.panel_ratios = Some(vec![1.0, 2.0, 4.0, 2.0]);
    let s = scene_of(&d, &o);
    let kinds: Vec<PanelKind> = s.panels.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PanelKind::Price, PanelKind::Volume, PanelKind::Sub(0), PanelKind::Sub(1)], "list order");
    let top = |k: PanelKind| s.panels.iter().find(|p| p.kind == k).unwrap().rect;
    let (vol, sub0, price, sub1) =
        (top(PanelKind::Volume), top(PanelKind::Sub(0)), top(PanelKind::Price), top(PanelKind::Sub(1)));
    assert!(
        vol.bottom() < sub0.y && sub0.bottom() < price.y && price.bottom() < sub1.y,
        "{vol:?} {sub0:?} {price:?} {sub1:?}"
    );
    assert!(
        (price.h / vol.h - 4.0).abs() < 0.1 && (sub0.h / vol.h - 2.0).abs() < 0.1,
        "{} {} {}",
        price.h,
        sub0.h,
        vol.h
    );
    // The time axis hangs under the lowest panel, whichever it is.
    let tick = s.items.iter().find_map(|p| match p {
        Primitive::Text { y, text, .. } if s.x_ticks.iter().any(|t| &t.label == text) => Some(*y),
        _ => None,
    });
    assert!(tick.unwrap() > sub1.bottom());

    for (main, volume, param) in [(4, 0, "main_panel"), (1, 1, "volume_panel"), (0, 4, "volume_panel")] {
        let bad = Options { main_panel: main, volume_panel: volume, panel_ratios: None, ..o.clone() };
        let err = build_scene(&Input::Bars(d.cols()), &bad).unwrap_err().to_string();
        assert!(
            err.contains(param) && err.contains(&format!("got {}", if param == "main_panel" { main } else { volume })),
            "{err}"
        );
    }
    // Without a volume panel, volume_panel does not count.
    let no_vol = Options { volume: false, main_panel: 2, volume_panel: 2, panel_ratios: None, ..o.clone() };
    let s = scene_of(&d, &no_vol);
    assert!(s.panels[0].rect.y > s.panels[2].rect.y && s.panels[0].rect.y > s.panels[1].rect.y);
}

#[test]
fn face_only_bar_colours_keep_the_wick_and_the_volume_bar() {
    let d = Data::walk(40, MIN_US, 7);
    let overrides: Vec<Option<String>> = (0..40).map(|i| (i == 20).then(|| "#FF00FF".to_string())).collect();
    let magenta = Rgba::parse_hex("#FF00FF", "test").unwrap();
    let colours = |face_only: bool| {
        let o = Options { bar_colors: Some(&overrides), bar_colors_face_only: face_only, ..opts(800, 450) };
        scene_of(&d, &o)
            .items
            .iter()
            .filter(|p| matches!(p, Primitive::Rect { color, .. } if Rgba { a: magenta.a, ..*color } == magenta))
            .count()
    };
    // Body, wick and volume bar (in any alpha) against the body alone.
    assert!(colours(false) >= 3 && colours(true) == 1, "{} {}", colours(false), colours(true));
}

#[test]
fn log_volume_and_log_sub_panel_axes() {
    let d = Data::walk(120, MIN_US, 7);
    let closes: &'static [f64] = Box::leak(d.c.clone().into_boxed_slice());
    let mut o = opts(800, 600);
    o.volume_log_scale = true;
    o.panels = vec![SubPanel {
        title: "close".into(),
        lines: vec![Series { label: "close".into(), values: closes, ..Default::default() }],
        log_scale: true,
        ..SubPanel::default()
    }];
    let s = scene_of(&d, &o);
    let vol = s.volume_panel().unwrap();
    let vmin = d.v.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let vmax = d.v.iter().copied().fold(0.0, f64::max);
    assert!(vol.scale.log && vol.scale.min > 0.0 && vol.scale.min < vmin && vol.scale.max > vmax, "{:?}", vol.scale);
    // Equal ratios are equal distances.
    let (a, b, c) = (vol.scale.y(vmin), vol.scale.y(vmin * 2.0), vol.scale.y(vmin * 4.0));
    assert!(((a - b) - (b - c)).abs() < 0.01);
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    assert!(sub.scale.log && !s.price_panel().scale.log);

    let below: Vec<f64> = closes.iter().map(|c| c - 1000.0).collect();
    let mut bad = o.clone();
    bad.panels[0].lines[0].values = &below;
    let err = build_scene(&Input::Bars(d.cols()), &bad).unwrap_err().to_string();
    assert!(err.contains("panel 'close' yscale") && err.contains("above 0"), "{err}");
}

#[test]
fn xlabel_sits_under_the_time_axis() {
    let d = Data::walk(120, MIN_US, 7);
    let plain = scene_of(&d, &opts(800, 600));
    let labelled = scene_of(&d, &Options { xlabel: Some("DATE\nUTC".into()), ..opts(800, 600) });
    let bottom = |s: &Scene| s.panels.iter().map(|p| p.rect.bottom()).fold(0.0, f32::max);
    assert!(bottom(&labelled) < bottom(&plain), "the panels make room");
    let ys: Vec<f32> = ["DATE", "UTC"]
        .iter()
        .map(|want| {
            labelled
                .items
                .iter()
                .find_map(|p| match p {
                    Primitive::Text { y, text, anchor: Anchor::Middle, .. } if text == want => Some(*y),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{want} not drawn"))
        })
        .collect();
    let tick_y = labelled.items.iter().find_map(|p| match p {
        Primitive::Text { y, text, .. } if labelled.x_ticks.iter().any(|t| &t.label == text) => Some(*y),
        _ => None,
    });
    assert!(ys[0] > tick_y.unwrap() && ys[1] > ys[0] && ys[1] < 600.0, "{ys:?}");
}

#[test]
fn dashed_overlay_lines_are_drawn_in_dashes() {
    let d = Data::walk(120, MIN_US, 7);
    let ma: &'static [f64] = Box::leak(d.c.clone().into_boxed_slice());
    let polylines = |style: LineStyle| {
        let o = Options {
            overlays: vec![Series { label: "ma".into(), values: ma, style, ..Default::default() }],
            ..opts(800, 600)
        };
        scene_of(&d, &o).items.iter().filter(|p| matches!(p, Primitive::Polyline { .. })).count()
    };
    let (solid, dashed, dotted) =
        (polylines(LineStyle::Solid), polylines(LineStyle::Dashed), polylines(LineStyle::Dotted));
    assert!(dashed > solid + 20 && dotted > dashed, "{solid} {dashed} {dotted}");
}

#[test]
fn recorder_sees_the_draw_list() {
    let d = Data::walk(50, MIN_US, 8);
    let s = scene_of(&d, &opts(400, 300));
    let mut r = Recorder::default();
    r.draw_scene(&s).unwrap();
    assert_eq!(r.calls, s.items);
    assert_eq!(r.canvas, Some((400, 300, Theme::Modern.palette().background)));
    let labels: Vec<&str> = r
        .calls
        .iter()
        .filter_map(|p| if let Primitive::Text { text, .. } = p { Some(text.as_str()) } else { None })
        .collect();
    for t in &s.price_panel().ticks {
        assert!(labels.contains(&t.label.as_str()));
    }
}

// ---------- aggregation ----------

#[test]
fn aggregation_per_pixel_column() {
    let o = [1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0];
    let h = [3.0, 9.0, f64::NAN, 5.0, 7.0, 8.0];
    let l = [0.5, 1.0, f64::NAN, 2.0, 4.5, 0.1];
    let c = [2.0, 3.0, f64::NAN, 4.5, 6.0, 7.0];
    let v = [10.0, 20.0, 30.0, 40.0, f64::NAN, 60.0];
    let t = [0, 1, 2, 3, 4, 5];
    let cols = Columns { timestamps: Some(&t), open: &o, high: &h, low: &l, close: &c, volume: Some(&v) };
    let b = bars_from_columns(&cols, 2).unwrap();
    assert_eq!(b.open, [1.0, 4.0]);
    assert_eq!(b.high, [9.0, 8.0]);
    assert_eq!(b.low, [0.5, 0.1]);
    assert_eq!(b.close, [3.0, 7.0]);
    // Mean volume per bar in the column (the missing volume skipped): (10+20+30)/3 and (40+60)/2.
    assert_eq!(b.volume.as_deref(), Some(&[20.0, 50.0][..]));
    assert_eq!(b.time.as_deref(), Some(&[0, 3][..]));
    assert_eq!(b.starts.as_deref(), Some(&[0, 3, 6][..]));
    let b = bars_from_columns(&cols, 6).unwrap();
    assert!(b.starts.is_none() && b.close[2].is_nan() && b.len() == 6);
}

#[test]
fn many_bars_are_aggregated_to_the_plot_width() {
    let d = Data::walk(100_000, MIN_US, 9);
    let s = scene_of(&d, &opts(640, 360));
    let p = s.price_panel();
    assert!(s.slots <= p.rect.w as usize && s.slots > 500);
    assert!((s.slot_width - 1.0).abs() < 1e-3);
    assert_eq!(s.source_len, 100_000);
    assert!(p.scale.max >= d.h.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    assert!(p.scale.min <= d.l.iter().cloned().fold(f64::INFINITY, f64::min));
    assert_eq!(s.last_price, Some(d.c[99_999]));
}

/// Rows of the volume panel whose pixels differ from the background, per x column of the plot.
fn volume_tops(s: &Scene, rgba: &[u8]) -> Vec<Option<usize>> {
    let p = s.volume_panel().expect("volume panel");
    let bg = pixel(rgba, s.width, 0.0, p.rect.y + 1.0);
    let (top, bottom) = (p.rect.y.ceil() as usize, p.rect.bottom().floor() as usize);
    let mut tops = vec![];
    for x in p.rect.x.ceil() as usize..(p.rect.x + p.rect.w).floor() as usize {
        tops.push((top..bottom).find(|&y| pixel(rgba, s.width, x as f32, y as f32) != bg));
    }
    tops
}

#[test]
fn constant_volume_draws_flat_when_bars_share_columns() {
    // 2,335 bars on an 800 px chart: columns hold 3 or 4 bars. A constant volume must draw as one flat row of
    // bars whose height reads as the per-bar volume, not as a comb of 3x and 4x sums.
    let mut d = Data::walk(2_335, DAY_US, 21);
    d.v = vec![100e6; d.v.len()];
    // Gridlines in the background colour, so the first non-background pixel of a column is its volume bar.
    let colors =
        ColorOverrides { background: Some("#000000".into()), grid: Some("#000000".into()), ..Default::default() };
    let o = Options { colors, ..opts(800, 450) };
    let s = scene_of(&d, &o);
    assert!(s.slots < 2_335, "the bars are aggregated");
    let vol = s.volume_panel().unwrap();
    assert!(vol.scale.max >= 100e6 && vol.scale.max < 200e6, "axis reads as per-bar volume: {}", vol.scale.max);
    let rgba = rasterize(&s).unwrap();
    let tops: Vec<usize> = volume_tops(&s, &rgba).into_iter().flatten().collect();
    assert!(tops.len() > 600, "volume bars found in {} columns", tops.len());
    let (lo, hi) = (tops.iter().min().unwrap(), tops.iter().max().unwrap());
    assert!(hi - lo <= 1, "volume tops span rows {lo}..={hi}");
    assert!((vol.scale.y(100e6) - *lo as f32).abs() <= 1.5, "top at the row of 100M");
}

#[test]
fn parallel_aggregation_reports_the_first_bad_row() {
    let n = 2_100_000;
    let o = vec![10.0; n];
    let mut h = vec![11.0; n];
    let l = vec![9.0; n];
    let c = vec![10.5; n];
    h[1_900_000] = 1.0;
    h[1_500_001] = 2.0;
    let cols = Columns { timestamps: None, open: &o, high: &h, low: &l, close: &c, volume: None };
    let e = render(cols, &opts(800, 400)).unwrap_err();
    assert_eq!(e, RenderError::HighBelowLow { row: 1_500_001, high: 2.0, low: 9.0 });
    assert!(e.to_string().contains("row 1500001"), "{e}");
}

// ---------- pixels ----------

#[test]
fn candle_pixels_have_the_theme_colours() {
    for theme in [Theme::Classic, Theme::Modern, Theme::TradingView, Theme::Light] {
        let mut d = Data::walk(40, MIN_US, 10);
        // Bar 5 is missing: a gap.
        for col in [&mut d.o, &mut d.h, &mut d.l, &mut d.c] {
            col[5] = f64::NAN;
        }
        let o = Options { theme, ..opts(640, 400) };
        let s = scene_of(&d, &o);
        let rgba = rasterize(&s).unwrap();
        assert_eq!(rgba.len(), 640 * 400 * 4);
        let pal = theme.palette();
        let y = |v: f64| s.price_panel().scale.y(v);
        let up = (0..40).find(|&i| d.c[i] - d.o[i] > 1.0).expect("an up bar");
        let down = (0..40).find(|&i| d.o[i] - d.c[i] > 1.0).expect("a down bar");
        for (i, want) in [(up, pal.up), (down, pal.down)] {
            let (left, bw) = s.body_span(i);
            let x = left + (bw * 0.5).floor();
            let ymid = ((y(d.o[i]) + y(d.c[i])) * 0.5).floor();
            assert_eq!(pixel(&rgba, 640, x, ymid), want, "theme {theme:?} bar {i}");
            // The edge of the body is coloured too; just outside the slot is not.
            assert_eq!(pixel(&rgba, 640, left, ymid), want);
        }
        assert_eq!(pixel(&rgba, 640, 0.0, 0.0), pal.background);
        // The missing bar's slot has no bar colour anywhere in the price panel.
        let p = s.price_panel();
        let x = s.slot_center(5).floor();
        for yy in (p.rect.y as usize + 1)..(p.rect.bottom() as usize - 1) {
            let px = pixel(&rgba, 640, x, yy as f32);
            assert!(px != pal.up && px != pal.down, "gap at bar 5 drawn at y={yy}");
        }
    }
}

#[test]
fn colour_overrides_apply() {
    let d = Data::walk(40, MIN_US, 11);
    let mut o = opts(320, 200);
    o.colors.up = Some("#00F".into());
    o.colors.background = Some("#102030".into());
    let s = scene_of(&d, &o);
    assert_eq!(s.palette.up, Rgba::rgb(0, 0, 255));
    let rgba = rasterize(&s).unwrap();
    assert_eq!(pixel(&rgba, 320, 1.0, 1.0), Rgba::rgb(0x10, 0x20, 0x30));
    assert_eq!(Rgba::parse_hex("#11223344", "x").unwrap(), Rgba { r: 0x11, g: 0x22, b: 0x33, a: 0x44 });
    assert_eq!(Rgba::parse_hex("#abc", "x").unwrap(), Rgba::rgb(0xAA, 0xBB, 0xCC));
}

// ---------- outputs ----------

#[test]
fn outputs_are_deterministic_and_well_formed() {
    let d = Data::walk(300, MIN_US, 12);
    let ma: Vec<f64> = d.c.iter().map(|c| c + 1.0).collect();
    for format in [Format::Png(PngSpeed::Fast), Format::Png(PngSpeed::Best), Format::Rgba, Format::Svg, Format::WebP] {
        let o = Options {
            format,
            antialias: true,
            title: Some("det <&>".into()),
            overlays: vec![Series {
                label: "ma".into(),
                values: &ma,
                color: Some("#FFAA00".into()),
                ..Default::default()
            }],
            ..opts(500, 300)
        };
        let a = render(d.cols(), &o).unwrap();
        let b = render(d.cols(), &o).unwrap();
        assert_eq!(a.bytes, b.bytes, "{format:?} not deterministic");
        assert_eq!((a.width, a.height, a.rgba_len), (500, 300, 500 * 300 * 4));
        match format {
            Format::Png(_) => assert_eq!(&a.bytes[..8], b"\x89PNG\r\n\x1a\n"),
            Format::Rgba => assert_eq!(a.bytes.len(), 500 * 300 * 4),
            Format::Svg => {
                let s = String::from_utf8(a.bytes).unwrap();
                assert!(
                    s.starts_with("<svg")
                        && s.contains("<text")
                        && s.contains("det &lt;&amp;&gt;")
                        && s.trim_end().ends_with("</svg>")
                );
            }
            Format::WebP => assert!(&a.bytes[..4] == b"RIFF" && &a.bytes[8..12] == b"WEBP"),
        }
    }
}

// ---------- errors ----------

#[test]
fn errors_name_the_parameter_and_value() {
    let d = Data::walk(20, MIN_US, 13);
    let msg = |o: &Options| render(d.cols(), o).unwrap_err().to_string();
    assert!(msg(&opts(10, 300)).contains("width must be between 64 and 16384, got 10"));
    assert!(msg(&opts(300, 20000)).contains("height must be between 64 and 16384, got 20000"));
    let mut o = opts(300, 200);
    o.colors.down = Some("#GG0000".into());
    let m = msg(&o);
    assert!(m.contains("down_color") && m.contains("#GG0000"), "{m}");
    let short = [1.0];
    let o2 = Options {
        overlays: vec![Series { label: "sma".into(), values: &short, color: None, ..Default::default() }],
        ..opts(300, 200)
    };
    let m = msg(&o2);
    assert!(m.contains("overlay 'sma'") && m.contains("length 1"), "{m}");

    let empty: [f64; 0] = [];
    let cols = Columns { open: &empty, high: &empty, low: &empty, close: &empty, ..Default::default() };
    assert_eq!(render(cols, &opts(300, 200)).unwrap_err(), RenderError::EmptyInput { what: "close" });

    let mut bad = Data::walk(20, MIN_US, 14);
    bad.h[7] = bad.l[7] - 1.0;
    bad.h[9] = bad.l[9] - 1.0;
    let e = render(bad.cols(), &opts(300, 200)).unwrap_err();
    assert!(matches!(e, RenderError::HighBelowLow { row: 7, .. }));
    assert!(e.to_string().contains("row 7"));

    let open_short = &d.o[..5];
    let cols = Columns { open: open_short, ..d.cols() };
    assert!(render(cols, &opts(300, 200)).unwrap_err().to_string().contains("'open' has length 5, expected 20"));

    assert_eq!(ChartKind::parse("bogus").unwrap_err(), RenderError::UnknownKind("bogus".into()));
    assert!(ChartKind::parse("bogus").unwrap_err().to_string().contains("got 'bogus'"));
    assert_eq!(ChartKind::parse("Heikin-Ashi").unwrap(), ChartKind::HeikinAshi);
    assert!(Theme::parse("neon").unwrap_err().to_string().contains("theme must be one of"));
    assert!(PngSpeed::parse("turbo").is_err() && Format::parse("gif", PngSpeed::Fast).is_err());

    let renko_opts = Options { kind: ChartKind::Renko, ..opts(300, 200) };
    assert!(render(d.cols(), &renko_opts).unwrap_err().to_string().contains("renko bricks"));
    let cols = [PnfColumn { kind: 1, top: 10, bottom: 5, start_bar: 0, end_bar: 0 }];
    let pnf_opts = Options { kind: ChartKind::Pnf, ..opts(300, 200) };
    let e = render(Input::Pnf { columns: &cols, box_size: 0.0 }, &pnf_opts).unwrap_err();
    assert!(e.to_string().contains("pnf box_size: must be > 0, got 0"), "{e}");
    let upside_down = [PnfColumn { kind: 1, top: 4, bottom: 5, start_bar: 0, end_bar: 0 }];
    let e = render(Input::Pnf { columns: &upside_down, box_size: 1.0 }, &pnf_opts).unwrap_err();
    assert!(e.to_string().contains("pnf column 0: top must be finite and >= bottom"), "{e}");
    // All bars missing.
    let nan = [f64::NAN; 3];
    let cols = Columns { open: &nan, high: &nan, low: &nan, close: &nan, ..Default::default() };
    assert!(matches!(render(cols, &opts(300, 200)), Err(RenderError::EmptyInput { .. })));
}

// ---------- golden images ----------

fn renko_bricks() -> Vec<Brick> {
    let dirs = [1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, -1, 1, 1, -1, 1, 1, 1];
    let mut p = 100.0;
    let mut out = Vec::new();
    let mut last = 1;
    for (bar, d) in dirs.into_iter().enumerate() {
        // A reversal starts one brick back, as Renko does.
        if d != last {
            p += d as f64 * 2.0;
        }
        out.push(Brick { bar, open: p, close: p + d as f64 * 2.0, direction: d });
        p += d as f64 * 2.0;
        last = d;
    }
    out
}

pub(crate) fn pnf_columns() -> Vec<PnfColumn> {
    // (lowest box, highest box) with box size 1: the first column's boxes span prices 100 to 108.
    let levels = [(100, 107), (103, 106), (103, 111), (106, 110), (106, 114), (101, 113)];
    levels
        .iter()
        .enumerate()
        .map(|(i, &(bottom, top))| PnfColumn {
            kind: if i % 2 == 0 { 1 } else { -1 },
            top,
            bottom,
            start_bar: i,
            end_bar: i,
        })
        .collect()
}

fn golden_check(name: &str, rendered: &Rendered) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let path = dir.join(format!("{name}.png"));
    let actual_path = dir.join(format!("{name}-actual.png"));
    if std::env::var("KF_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, &rendered.bytes).unwrap();
        let _ = std::fs::remove_file(&actual_path);
        return;
    }
    let Ok(expected) = std::fs::read(&path) else {
        panic!("missing golden image {} (run with KF_UPDATE_GOLDEN=1 to create it)", path.display());
    };
    let (ew, eh, exp) = decode_rgba(&expected);
    let (aw, ah, act) = decode_rgba(&rendered.bytes);
    if (ew, eh) != (aw, ah) || exp != act {
        std::fs::write(&actual_path, &rendered.bytes).unwrap();
        let diff = exp.iter().zip(&act).filter(|(a, b)| a != b).count();
        panic!("{name}: differs from the golden image ({diff} bytes differ); wrote {}", actual_path.display());
    }
}

/// Decodes a PNG with the png crate, checksums verified: its colour type, size and straight RGBA pixels.
pub(crate) fn decode_png(png_bytes: &[u8]) -> (png::ColorType, u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    dec.ignore_checksums(false);
    let mut reader = dec.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    (info.color_type, info.width, info.height, rgba)
}

fn decode_rgba(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let (_, w, h, rgba) = decode_png(png_bytes);
    (w, h, rgba)
}

/// `n` pseudo-random bytes (xorshift), the same for the same seed.
pub(crate) fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn golden_opts(kind: ChartKind, theme: Theme) -> Options<'static> {
    Options {
        kind,
        theme,
        width: 480,
        height: 300,
        antialias: true,
        title: Some(format!("{} / {}", kind.name(), theme.name())),
        format: Format::Png(PngSpeed::Balanced),
        ..Options::default()
    }
}

#[test]
fn golden_kinds() {
    let d = Data::walk(60, 15 * MIN_US, 15);
    let bricks = renko_bricks();
    let pnf = pnf_columns();
    for kind in ChartKind::ALL {
        let o = golden_opts(kind, Theme::Modern);
        let input = match kind {
            ChartKind::Renko => Input::Renko(&bricks),
            ChartKind::Pnf => Input::Pnf { columns: &pnf, box_size: 1.0 },
            _ => Input::Bars(d.cols()),
        };
        let r = render(input, &o).unwrap();
        golden_check(&format!("kind-{}", kind.name()), &r);
    }
}

#[test]
fn golden_themes() {
    let d = Data::walk(60, DAY_US, 16);
    for theme in [Theme::Classic, Theme::Modern, Theme::TradingView, Theme::Light] {
        let r = render(d.cols(), &golden_opts(ChartKind::Candle, theme)).unwrap();
        golden_check(&format!("theme-{}", theme.name()), &r);
    }
}

#[test]
fn golden_full_and_aliased() {
    let mut d = Data::walk(150, 5 * MIN_US, 17);
    for col in [&mut d.o, &mut d.h, &mut d.l, &mut d.c] {
        col[70] = f64::NAN;
        col[71] = f64::NAN;
    }
    let ma = |n: usize| -> Vec<f64> {
        (0..d.c.len())
            .map(|i| if i + 1 < n { f64::NAN } else { d.c[i + 1 - n..=i].iter().sum::<f64>() / n as f64 })
            .collect()
    };
    let (fast, slow) = (ma(10), ma(30));
    let macd: Vec<f64> = fast.iter().zip(&slow).map(|(a, b)| a - b).collect();
    let o = Options {
        width: 640,
        height: 420,
        theme: Theme::TradingView,
        title: Some("Full: overlays, volume, sub-panel, gap".into()),
        overlays: vec![
            Series { label: "MA 10".into(), values: &fast, color: None, ..Default::default() },
            Series { label: "MA 30".into(), values: &slow, color: Some("#FF9800".into()), ..Default::default() },
        ],
        panels: vec![SubPanel {
            title: "MACD-ish".into(),
            lines: vec![Series {
                label: "fast-slow".into(),
                values: &macd,
                color: Some("#2962FF".into()),
                ..Default::default()
            }],
            histogram: Some(&macd),
            ..SubPanel::default()
        }],
        format: Format::Png(PngSpeed::Balanced),
        ..Options::default()
    };
    golden_check("full-tradingview", &render(d.cols(), &o).unwrap());
    let aliased = Options { antialias: false, ..o.clone() };
    golden_check("full-aliased", &render(d.cols(), &aliased).unwrap());
    let many = Data::walk(50_000, MIN_US, 18);
    let o = Options { title: Some("50k bars, aggregated".into()), ..golden_opts(ChartKind::Candle, Theme::Light) };
    golden_check("aggregated-50k", &render(many.cols(), &o).unwrap());
}

#[test]
fn golden_annotated() {
    // Every annotation kind on one chart, linear and log scale: a dashed and a dotted level, a trend line, a
    // vertical line, a band shaded only where its mask holds, and buy / sell markers.
    let d = Data::walk(120, DAY_US, 21);
    let n = d.c.len();
    let hi: Vec<f64> = (0..n).map(|i| d.h[i.saturating_sub(9)..=i].iter().cloned().fold(f64::MIN, f64::max)).collect();
    let lo: Vec<f64> = (0..n).map(|i| d.l[i.saturating_sub(9)..=i].iter().cloned().fold(f64::MAX, f64::min)).collect();
    let masked: Vec<f64> =
        hi.iter().enumerate().map(|(i, &v)| if (30..80).contains(&i) { v } else { f64::NAN }).collect();
    let buys: Vec<f64> = (0..n).map(|i| if i % 17 == 3 { d.l[i] } else { f64::NAN }).collect();
    let sells: Vec<f64> = (0..n).map(|i| if i % 23 == 11 { d.h[i] } else { f64::NAN }).collect();
    let look = |color: &str, style, label: Option<&str>| LineLook {
        color: Some(color.into()),
        width: 1.0,
        style,
        label: label.map(Into::into),
    };
    let o = Options {
        width: 640,
        height: 400,
        theme: Theme::Light,
        title: Some("Annotated".into()),
        hlines: vec![
            HLine { price: d.c[0], look: look("#D32F2F", LineStyle::Dashed, Some("open level")) },
            HLine { price: d.c[n - 1], look: look("#1976D2", LineStyle::Dotted, None) },
        ],
        vlines: vec![VLine { row: 60, look: look("#7B1FA2", LineStyle::Solid, None) }],
        alines: vec![ALine {
            points: vec![(5, d.l[5]), (110, d.h[110])],
            look: look("#F57C00", LineStyle::Solid, Some("trend")),
        }],
        fills: vec![Fill {
            y1: &masked,
            y2: &lo,
            color: Some("#4CAF50".into()),
            alpha: 64,
            label: Some("band".into()),
            ..Fill::default()
        }],
        markers: vec![
            Markers { values: &buys, shape: MarkerShape::TriangleUp, label: Some("buy".into()), ..Default::default() },
            Markers { values: &sells, shape: MarkerShape::TriangleDown, ..Default::default() },
        ],
        format: Format::Png(PngSpeed::Balanced),
        ..Options::default()
    };
    golden_check("annotated-linear", &render(d.cols(), &o).unwrap());
    golden_check("annotated-log", &render(d.cols(), &Options { log_scale: true, ..o }).unwrap());
}

#[test]
fn golden_second_axes() {
    // A second price axis (dollar volume over the candles), a MACD panel whose lines sit on a second axis over a
    // histogram a hundred times larger (bars 0.8 of a slot, one colour), and shading on the volume panel.
    let d = Data::walk(120, DAY_US, 23);
    let n = d.c.len();
    let ema = |span: f64| {
        let a = 2.0 / (span + 1.0);
        let mut out = Vec::with_capacity(n);
        let mut e = d.c[0];
        for &c in &d.c {
            e += a * (c - e);
            out.push(e);
        }
        out
    };
    let macd: Vec<f64> = ema(12.0).iter().zip(ema(26.0)).map(|(f, s)| f - s).collect();
    let hist: Vec<f64> = macd.iter().map(|m| m * 100.0).collect();
    let dollars: Vec<f64> = d.c.iter().zip(&d.v).map(|(c, v)| c * v).collect();
    let vol_mean = vec![d.v.iter().sum::<f64>() / n as f64; n];
    let o = Options {
        width: 640,
        height: 400,
        theme: Theme::Light,
        title: Some("Second axes".into()),
        overlays: vec![Series {
            label: "dollar volume".into(),
            values: &dollars,
            color: Some("#7B1FA2".into()),
            secondary: true,
            ..Default::default()
        }],
        panels: vec![SubPanel {
            title: "MACD".into(),
            lines: vec![Series {
                label: "macd".into(),
                values: &macd,
                color: Some("#D500F9".into()),
                secondary: true,
                ..Default::default()
            }],
            histogram: Some(&hist),
            histogram_width: Some(0.8),
            histogram_color: Some("#696969".into()),
            ..SubPanel::default()
        }],
        fills: vec![Fill {
            y1: &d.v,
            y2: &vol_mean,
            color: Some("#4CAF50".into()),
            alpha: 96,
            panel: PanelKind::Volume,
            ..Fill::default()
        }],
        format: Format::Png(PngSpeed::Balanced),
        ..Options::default()
    };
    golden_check("second-axes", &render(d.cols(), &o).unwrap());
}

#[test]
fn engine_names_and_the_gpu_engine_without_the_feature() {
    assert_eq!(Engine::parse("CPU").unwrap(), Engine::Cpu);
    assert_eq!(Engine::parse("gpu").unwrap(), Engine::Gpu);
    assert_eq!(Options::default().engine, Engine::Cpu);
    let e = Engine::parse("tpu").unwrap_err();
    assert_eq!(e.to_string(), "render: engine: must be one of cpu, gpu; got 'tpu'");
    let d = Data::walk(20, MIN_US, 19);
    let o = Options { engine: Engine::Gpu, ..opts(200, 120) };
    // SVG output never rasterises, so the engine does not matter.
    assert!(render(d.cols(), &Options { format: Format::Svg, ..o.clone() }).is_ok());
    if cfg!(not(feature = "gpu")) {
        let e = render(d.cols(), &o).unwrap_err();
        assert_eq!(e.to_string(), "render: engine: gpu engine not built (feature \"gpu\")");
    }
}

// ---------- text, labels and markers ----------

/// The text primitives of a scene: (x, baseline y, text, anchor).
fn texts(s: &Scene) -> Vec<(f32, f32, String, Anchor)> {
    s.items
        .iter()
        .filter_map(|p| match p {
            Primitive::Text { x, y, text, anchor, .. } => Some((*x, *y, text.clone(), *anchor)),
            _ => None,
        })
        .collect()
}

#[test]
fn titles_break_lines_expand_tabs_and_drop_control_characters() {
    let d = Data::walk(60, DAY_US, 3);
    let one = scene_of(&d, &Options { title: Some("INTC Daily".into()), ..opts(800, 450) });
    let two = scene_of(&d, &Options { title: Some("\nINTC\tDaily\x07\x1b".into()), ..opts(800, 450) });
    let find = |s: &Scene, t: &str| texts(s).into_iter().find(|x| x.2 == t);
    let (_, y1, _, _) = find(&one, "INTC Daily").expect("one-line title");
    let (_, y2, _, _) = find(&two, "INTC    Daily").expect("tab as spaces, control characters dropped");
    assert!(y2 > y1, "the leading newline is a line: the title moves down");
    assert!(two.price_panel().rect.y > one.price_panel().rect.y, "the title's lines take room");
    assert!(texts(&two).iter().all(|t| !t.2.chars().any(char::is_control)));
}

#[test]
fn centred_bold_title() {
    let d = Data::walk(60, DAY_US, 3);
    let o = Options { title: Some("Centred".into()), title_center: true, title_bold: true, ..opts(800, 450) };
    let s = scene_of(&d, &o);
    let passes: Vec<_> = texts(&s).into_iter().filter(|t| t.2 == "Centred").collect();
    assert_eq!(passes.len(), 2, "bold is a second pass");
    assert!(passes.iter().all(|t| t.3 == Anchor::Middle && (t.0 - 400.0).abs() <= 2.0));
    assert_ne!(passes[0].0, passes[1].0);
}

#[test]
fn last_price_legend_and_labels_are_options() {
    let d = Data::walk(60, DAY_US, 3);
    let avg: Vec<f64> = d.c.clone();
    let overlays = vec![Series { label: "SMA 20".into(), values: &avg, color: None, ..Default::default() }];
    let base = Options { overlays, ..opts(800, 450) };
    let s = scene_of(&d, &base);
    assert_eq!(s.last_price, Some(d.c[59]));
    assert!(texts(&s).iter().any(|t| t.2 == "SMA 20"));
    let bare = Options { last_price: false, legend: false, ..base.clone() };
    let s = scene_of(&d, &bare);
    assert_eq!(s.last_price, None);
    assert!(!texts(&s).iter().any(|t| t.2 == "SMA 20" || t.2 == format_fixed(d.c[59], 2)));
    let labelled = Options { ylabel: Some("Price".into()), ylabel_lower: Some("Volume".into()), ..bare.clone() };
    let s = scene_of(&d, &labelled);
    let price = texts(&s).into_iter().find(|t| t.2 == "Price").expect("ylabel");
    let volume = texts(&s).into_iter().find(|t| t.2 == "Volume").expect("ylabel_lower");
    assert!(s.price_panel().rect.y < price.1 && price.1 < s.price_panel().rect.bottom());
    let vp = s.volume_panel().unwrap();
    assert!(vp.rect.y < volume.1 && volume.1 < vp.rect.bottom());
    let fixed = Options { last_close: Some(d.c[10]), ..base };
    assert_eq!(scene_of(&d, &fixed).last_price, Some(d.c[10]));
}

#[test]
fn volume_ticks_in_units_of_a_power_of_ten() {
    let mut d = Data::walk(60, DAY_US, 3);
    for v in &mut d.v {
        *v *= 1e5; // 10M..90M
    }
    let compact = scene_of(&d, &opts(800, 450));
    let labels = |s: &Scene| s.volume_panel().unwrap().ticks.iter().map(|t| t.label.clone()).collect::<Vec<_>>();
    assert!(labels(&compact).iter().filter(|l| *l != "0").all(|l| l.ends_with('M')), "{:?}", labels(&compact));
    let scaled = scene_of(&d, &Options { volume_exponent: Some(6), ..opts(800, 450) });
    let ticks = &scaled.volume_panel().unwrap().ticks;
    assert!(ticks.len() >= 2);
    for t in ticks {
        assert_eq!(t.label.parse::<f64>().unwrap() * 1e6, t.value, "{} is {} / 10^6", t.label, t.value);
    }
}

#[test]
fn renko_and_pnf_axes_show_dates_of_their_source_rows() {
    let bricks = renko_bricks();
    let times: Vec<i64> = (0..bricks.len() as i64).map(|i| T0 + i * 7 * DAY_US).collect();
    let o = Options { kind: ChartKind::Renko, source_times: Some(&times), ..opts(800, 450) };
    let s = build_scene(&Input::Renko(&bricks), &o).unwrap();
    assert_ne!(s.time_format, TimeFormat::BarIndex);
    assert!(s.x_ticks.iter().any(|t| t.label.contains("Feb") || t.label.contains("Mar")), "{:?}", s.x_ticks);
    let without = build_scene(&Input::Renko(&bricks), &Options { source_times: None, ..o.clone() }).unwrap();
    assert_eq!(without.time_format, TimeFormat::BarIndex);
    let short = &times[..3];
    let e = build_scene(&Input::Renko(&bricks), &Options { source_times: Some(short), ..o }).unwrap_err();
    assert!(e.to_string().contains("renko brick 3 starts at row 3, but there are 3 times"), "{e}");
}

#[test]
fn every_bar_is_drawn_whole_inside_the_plot() {
    for (w, h) in [(517, 287), (640, 400), (800, 450), (1000, 575), (1920, 1080)] {
        for n in (1..400).step_by(7).chain([500, 777, 1500, 5000]) {
            let d = Data::walk(n, DAY_US, n as u64);
            let s = scene_of(&d, &opts(w, h));
            let p = s.price_panel().rect;
            for i in [0, s.slots - 1] {
                let (left, bw) = s.body_span(i);
                assert!(left >= p.x && left + bw <= p.right(), "{w}x{h}, {n} bars: slot {i} at {left}+{bw} in {p:?}");
            }
        }
    }
}

#[test]
fn the_last_ohlc_close_tick_draws_over_the_last_price_line() {
    let mut d = Data::walk(30, DAY_US, 8);
    // The last bar closes at its high, so its close tick sits on the last-price line.
    let last = d.c.len() - 1;
    d.c[last] = d.h[last];
    let s = scene_of(&d, &Options { kind: ChartKind::Ohlc, volume: false, ..opts(640, 400) });
    let rgba = rasterize(&s).unwrap();
    let (left, bw) = s.body_span(last);
    let y = s.price_panel().scale.y(d.c[last]).round();
    let color = if d.c[last] >= d.o[last] { s.palette.up } else { s.palette.down };
    // The close tick: right of the wick, inside the body span.
    let x = left + bw - 1.0;
    let px = pixel(&rgba, 640, x, y);
    assert_eq!((px.r, px.g, px.b), (color.r, color.g, color.b), "close tick at ({x}, {y})");
}

// ---------- annotations ----------

fn flat_opts() -> Options<'static> {
    // One background colour for the plot and its gridlines, so every other pixel was drawn by something.
    let colors =
        ColorOverrides { background: Some("#000000".into()), grid: Some("#000000".into()), ..Default::default() };
    Options { colors, volume: false, last_price: false, ..opts(800, 450) }
}

fn look(color: &str, style: LineStyle) -> LineLook {
    LineLook { color: Some(color.into()), width: 1.0, style, label: None }
}

fn is(px: Rgba, rgb: (u8, u8, u8)) -> bool {
    (px.r, px.g, px.b) == rgb
}

#[test]
fn hline_is_drawn_at_its_price_row_and_dashes_alternate() {
    let d = Data::walk(80, DAY_US, 4);
    let price = d.c[40];
    let solid = HLine { price, look: look("#FF00FF", LineStyle::Solid) };
    let dashed = HLine { price: d.c[60] + 0.37, look: look("#00FFFF", LineStyle::Dashed) };
    let o = Options { hlines: vec![solid, dashed], ..flat_opts() };
    let s = scene_of(&d, &o);
    let rgba = rasterize(&s).unwrap();
    let p = s.price_panel();
    let row = s.price_panel().scale.y(price).round();
    let xs = (p.rect.x as usize + 2..p.rect.right() as usize - 2).map(|x| x as f32);
    let on_row = xs.clone().filter(|&x| is(pixel(&rgba, 800, x, row), (255, 0, 255))).count();
    assert!(on_row > 600, "the solid line covers its row where no bar is drawn: {on_row}");
    assert_eq!(xs.clone().filter(|&x| is(pixel(&rgba, 800, x, row - 2.0), (255, 0, 255))).count(), 0);
    let row2 = p.scale.y(d.c[60] + 0.37).round();
    let pattern: Vec<bool> = xs.map(|x| is(pixel(&rgba, 800, x, row2), (0, 255, 255))).collect();
    let changes = pattern.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changes > 100, "a dashed line alternates drawn and skipped pixels: {changes} changes");
}

#[test]
fn vline_and_aline_follow_their_rows() {
    let d = Data::walk(50, DAY_US, 5);
    let o = Options {
        vlines: vec![VLine { row: 20, look: look("#FF00FF", LineStyle::Solid) }],
        alines: vec![ALine {
            points: vec![(5, d.l[5] - 1.0), (45, d.h[45] + 1.0)],
            look: look("#00FF00", LineStyle::Solid),
        }],
        ..flat_opts()
    };
    let s = scene_of(&d, &o);
    let rgba = rasterize(&s).unwrap();
    let x = s.slot_center(20).round() - 0.5;
    let p = s.price_panel().rect;
    assert!(
        is(pixel(&rgba, 800, x, p.y + 3.0), (255, 0, 255)) || is(pixel(&rgba, 800, x + 1.0, p.y + 3.0), (255, 0, 255))
    );
    // The free line passes through its end points.
    for (row, price) in [(5, d.l[5] - 1.0), (45, d.h[45] + 1.0)] {
        let (px, py) = (s.slot_center(row), s.price_panel().scale.y(price));
        let near =
            (-1..=1).any(|dx| (-1..=1).any(|dy| is(pixel(&rgba, 800, px + dx as f32, py + dy as f32), (0, 255, 0))));
        assert!(near, "aline at row {row}");
    }
    let e = build_scene(
        &Input::Bars(d.cols()),
        &Options { vlines: vec![VLine { row: 50, ..Default::default() }], ..flat_opts() },
    )
    .unwrap_err();
    assert!(e.to_string().contains("vlines[0]") && e.to_string().contains("row 50 is outside the 50 bars"), "{e}");
    let one = ALine { points: vec![(1, 100.0)], ..Default::default() };
    let e = build_scene(&Input::Bars(d.cols()), &Options { alines: vec![one], ..flat_opts() }).unwrap_err();
    assert!(e.to_string().contains("alines[0]") && e.to_string().contains("at least 2 points"), "{e}");
}

#[test]
fn markers_are_centred_at_their_bar_and_value() {
    let d = Data::walk(60, DAY_US, 6);
    let mut at = vec![f64::NAN; 60];
    at[12] = d.h[12] + 2.0;
    at[40] = d.l[40] - 2.0;
    let o = Options {
        markers: vec![Markers {
            values: &at,
            shape: MarkerShape::Diamond,
            size: 11.0,
            color: Some("#FFFF00".into()),
            label: Some("buy".into()),
        }],
        ..flat_opts()
    };
    let s = scene_of(&d, &o);
    let rgba = rasterize(&s).unwrap();
    for i in [12, 40] {
        let (cx, cy) = (s.slot_center(i), s.price_panel().scale.y(at[i]));
        assert!(is(pixel(&rgba, 800, cx, cy), (255, 255, 0)), "marker {i} centre");
        assert!(!is(pixel(&rgba, 800, cx + 8.0, cy), (255, 255, 0)), "marker {i} is 11 px wide");
    }
    assert!(texts(&s).iter().any(|t| t.2 == "buy"), "labelled markers are in the legend");
    let short = [1.0; 3];
    let o = Options { markers: vec![Markers { values: &short, ..Default::default() }], ..flat_opts() };
    let e = build_scene(&Input::Bars(d.cols()), &o).unwrap_err();
    assert!(e.to_string().contains("markers[0]"), "{e}");
}

#[test]
fn fill_where_mask_shades_only_its_rows() {
    let d = Data::walk(60, DAY_US, 7);
    let (mut y1, mut y2) = (vec![f64::NAN; 60], vec![f64::NAN; 60]);
    for i in 20..40 {
        y1[i] = d.h[i] + 3.0;
        y2[i] = d.h[i] + 6.0;
    }
    let fill = Fill { y1: &y1, y2: &y2, color: Some("#0000FF".into()), alpha: 255, ..Fill::default() };
    let o = Options { fills: vec![fill], ..flat_opts() };
    let s = scene_of(&d, &o);
    let rgba = rasterize(&s).unwrap();
    let blue = |i: usize| {
        let y = s.price_panel().scale.y(d.h[i.min(59)] + 4.5);
        is(pixel(&rgba, 800, s.slot_center(i), y), (0, 0, 255))
    };
    assert!((21..39).all(blue), "shaded inside the mask");
    assert!(!blue(10) && !blue(50), "not shaded outside it");
}

#[test]
fn log_scale_ticks_sit_at_their_rows() {
    let n = 100;
    let mut d = Data::walk(n, DAY_US, 8);
    for i in 0..n {
        let p = 10f64.powf(1.0 + 2.0 * i as f64 / (n - 1) as f64); // 10 .. 1000
        d.o[i] = p;
        d.c[i] = p * 1.01;
        d.h[i] = p * 1.02;
        d.l[i] = p * 0.99;
    }
    let s = scene_of(&d, &Options { log_scale: true, ..opts(800, 600) });
    let p = s.price_panel();
    assert!(p.scale.log);
    let values: Vec<f64> = p.ticks.iter().map(|t| t.value).collect();
    assert!(values.contains(&100.0) && values.contains(&1000.0) || values.contains(&20.0), "{values:?}");
    for t in &p.ticks {
        assert!((t.y - p.scale.y(t.value)).abs() < 1e-3);
    }
    // Equal ratios are equal distances.
    let (a, b, c) = (p.scale.y(20.0), p.scale.y(200.0), p.scale.y(2000.0f64.min(p.scale.max)));
    if p.scale.max >= 2000.0 {
        assert!(((a - b) - (b - c)).abs() < 0.01);
    } else {
        assert!(((a - b) - (p.scale.y(10.0) - p.scale.y(100.0))).abs() < 0.01);
    }
    let mut neg = Data::walk(20, DAY_US, 9);
    neg.l[3] = -1.0;
    let e = build_scene(&Input::Bars(neg.cols()), &Options { log_scale: true, ..opts(800, 600) }).unwrap_err();
    assert!(e.to_string().contains("yscale") && e.to_string().contains("-1"), "{e}");
}

#[test]
fn log_ticks_use_decades() {
    let t = log_ticks(10.0, 1000.0, 8);
    assert_eq!(t.values, vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]);
    let t = log_ticks(1.0, 1e6, 4);
    assert_eq!(t.values, vec![1.0, 100.0, 10_000.0, 1_000_000.0]);
    let t = log_ticks(0.05, 3.0, 6);
    assert_eq!((t.values[0], t.decimals), (0.05, 2));
    assert_eq!(log_ticks(100.0, 150.0, 5), nice_ticks(100.0, 150.0, 5), "under a decade: linear ticks");
}

// ---------- sub-panel line kinds and fixed ranges ----------

/// A chart with one sub-panel drawing `values` in a colour no theme uses, and the scene's primitives of that colour.
fn panel_items(values: &[f64], kind: PanelLineKind, ylim: Option<(f64, f64)>) -> (Scene, Vec<Primitive>) {
    let d = Data::walk(values.len(), MIN_US, 3);
    let mut o = opts(800, 600);
    o.panels = vec![SubPanel {
        title: "probe".into(),
        lines: vec![Series { label: "probe".into(), values, color: Some("#123456".into()), ..Default::default() }],
        kind,
        ylim,
        ..SubPanel::default()
    }];
    let s = scene_of(&d, &o);
    let probe = Rgba { r: 0x12, g: 0x34, b: 0x56, a: 0xFF };
    let mine = s
        .items
        .iter()
        .filter(|p| match p {
            // Not the legend's swatch, a Rect.
            Primitive::Polyline { color, .. } | Primitive::Polygon { color, .. } => *color == probe,
            _ => false,
        })
        .cloned()
        .collect();
    (s, mine)
}

#[test]
fn step_panels_hold_each_value_and_step_where_their_kind_says() {
    let values = [1.0, 3.0, 3.0, 2.0, 5.0];
    for kind in [PanelLineKind::Step, PanelLineKind::StepPre, PanelLineKind::StepMid] {
        let (s, items) = panel_items(&values, kind, None);
        let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
        let [Primitive::Polyline { points, .. }] = items.as_slice() else {
            panic!("{kind:?}: one staircase, got {items:?}")
        };
        let near = |p: (f32, f32), x: f32, y: f32| (p.0 - x).abs() < 0.01 && (p.1 - y).abs() < 0.01;
        // Every segment is horizontal or vertical, and every bar's value is drawn at its own centre.
        for w in points.windows(2) {
            assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "{kind:?}: diagonal segment {w:?}");
        }
        for (i, &v) in values.iter().enumerate() {
            let (cx, y) = (s.slot_center(i), sub.scale.y(v));
            assert!(points.iter().any(|&p| near(p, cx, y)), "{kind:?}: bar {i} at ({cx}, {y})");
        }
        // The rise from 1 to 3 happens at bar 1 (post), bar 0 (pre) or halfway between them (mid).
        let (c0, c1) = (s.slot_center(0), s.slot_center(1));
        let at = match kind {
            PanelLineKind::Step => c1,
            PanelLineKind::StepPre => c0,
            _ => (c0 + c1) * 0.5,
        };
        let rise = points.windows(2).position(|w| near(w[0], at, sub.scale.y(1.0)) && near(w[1], at, sub.scale.y(3.0)));
        assert!(rise.is_some(), "{kind:?}: no vertical step at x = {at} in {points:?}");
        // The ends run on half a slot outward where the bar's own side would be empty.
        let half = s.slot_width * 0.5;
        let (first, last) = (points[0], *points.last().unwrap());
        let lead = if kind == PanelLineKind::Step { 0.0 } else { half };
        let trail = if kind == PanelLineKind::StepPre { 0.0 } else { half };
        assert!(near(first, c0 - lead, sub.scale.y(1.0)), "{kind:?}: starts at {first:?}");
        assert!(near(last, s.slot_center(4) + trail, sub.scale.y(5.0)), "{kind:?}: ends at {last:?}");
    }
}

#[test]
fn a_scatter_panel_draws_one_dot_per_valued_bar() {
    let values = [1.0, f64::NAN, 3.0, 2.0, f64::NAN, 4.0];
    let (s, items) = panel_items(&values, PanelLineKind::Scatter, None);
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    assert_eq!(items.len(), 4, "a dot per finite value, no joining line: {items:?}");
    for (item, i) in items.iter().zip([0, 2, 3, 5]) {
        let Primitive::Polygon { points, .. } = item else { panic!("dots are filled circles, got {item:?}") };
        let n = points.len() as f32;
        let (cx, cy) = points.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
        assert!((cx - s.slot_center(i)).abs() < 0.01 && (cy - sub.scale.y(values[i])).abs() < 0.01);
    }
}

#[test]
fn a_fixed_panel_range_is_the_scale_and_clips_what_falls_outside() {
    let values = [10.0, 50.0, 150.0, 60.0, -40.0, 20.0];
    let (s, items) = panel_items(&values, PanelLineKind::Line, Some((0.0, 100.0)));
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    assert_eq!((sub.scale.min, sub.scale.max), (0.0, 100.0));
    let (top, bottom) = (sub.rect.y, sub.rect.bottom());
    let points: Vec<(f32, f32)> = items
        .iter()
        .flat_map(|p| match p {
            Primitive::Polyline { points, .. } => points.clone(),
            other => panic!("lines only, got {other:?}"),
        })
        .collect();
    assert!(points.iter().all(|p| p.1 >= top - 0.01 && p.1 <= bottom + 0.01), "every point inside the panel");
    // 150 and -40 are cut at the top and bottom edges: the line leaves the panel twice, in three pieces.
    assert_eq!(items.len(), 3);
    assert!(points.iter().any(|p| (p.1 - top).abs() < 0.01) && points.iter().any(|p| (p.1 - bottom).abs() < 0.01));
    // Without the fixed range the same values set the scale.
    let (free, _) = panel_items(&values, PanelLineKind::Line, None);
    let sub = free.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    assert!(sub.scale.min < -40.0 && sub.scale.max > 150.0);
}

#[test]
fn a_fixed_panel_range_must_be_finite_and_increasing() {
    let d = Data::walk(10, MIN_US, 3);
    let values = [1.0; 10];
    for ylim in [(5.0, 5.0), (9.0, 1.0), (f64::NAN, 1.0), (0.0, f64::INFINITY)] {
        let mut o = opts(400, 300);
        o.panels = vec![SubPanel {
            lines: vec![Series { label: "x".into(), values: &values, color: None, ..Default::default() }],
            ylim: Some(ylim),
            ..SubPanel::default()
        }];
        let err = build_scene(&Input::Bars(d.cols()), &o).unwrap_err().to_string();
        assert!(err.contains("panel 0 ylim"), "{ylim:?}: {err}");
    }
}

#[test]
fn clipping_to_a_band_cuts_segments_at_its_edges() {
    // Up through the top edge (y = 0) and back: two pieces, each ending / starting on the edge.
    let pieces = clip_to_band(&[(0.0, 10.0), (10.0, -10.0), (20.0, 10.0)], 0.0, 20.0);
    assert_eq!(pieces, vec![vec![(0.0, 10.0), (5.0, 0.0)], vec![(15.0, 0.0), (20.0, 10.0)]]);
    // Wholly outside: nothing; wholly inside: unchanged.
    assert!(clip_to_band(&[(0.0, -5.0), (10.0, -1.0)], 0.0, 20.0).is_empty());
    assert_eq!(clip_to_band(&[(0.0, 1.0), (10.0, 2.0)], 0.0, 20.0), vec![vec![(0.0, 1.0), (10.0, 2.0)]]);
}

#[test]
fn panel_line_kinds_parse_and_reject_unknown_names() {
    assert_eq!(PanelLineKind::parse("Step", "k").unwrap(), PanelLineKind::Step);
    assert_eq!(PanelLineKind::parse("step_pre", "k").unwrap(), PanelLineKind::StepPre);
    assert_eq!(PanelLineKind::parse("STEP_MID", "k").unwrap(), PanelLineKind::StepMid);
    let err = PanelLineKind::parse("area", "panels[0] kind").unwrap_err().to_string();
    assert!(err.contains("panels[0] kind") && err.contains("area"), "{err}");
}

#[test]
fn reference_levels_outside_a_fixed_range_are_not_drawn() {
    let d = Data::walk(30, MIN_US, 3);
    let rsi = [50.0; 30];
    let mut o = opts(600, 500);
    o.panels = vec![SubPanel {
        lines: vec![Series { label: "rsi".into(), values: &rsi, color: None, ..Default::default() }],
        levels: vec![30.0, 45.0, 70.0],
        ylim: Some((40.0, 60.0)),
        ..SubPanel::default()
    }];
    let s = scene_of(&d, &o);
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    let axis = s.palette.axis;
    let dashes: Vec<f32> = s
        .items
        .iter()
        .filter_map(|p| match p {
            Primitive::Polyline { color, points, .. }
                if *color == axis && points.iter().all(|q| q.1 == points[0].1) =>
            {
                Some(points[0].1)
            }
            _ => None,
        })
        .collect();
    assert!(!dashes.is_empty(), "the 45 level is drawn");
    let y45 = sub.scale.y(45.0).round() + 0.5;
    assert!(dashes.iter().all(|&y| y == y45), "only the level inside 40..60: {dashes:?} vs {y45}");
}

// ---------- subtitle and scale ----------

#[test]
fn a_subtitle_sits_under_the_title_in_smaller_text_and_pushes_the_panels_down() {
    let d = Data::walk(60, MIN_US, 5);
    let mut o = opts(800, 500);
    o.title = Some("Title".into());
    let plain = scene_of(&d, &o);
    o.subtitle = Some("first\nsecond".into());
    let s = scene_of(&d, &o);
    let texts: Vec<(f32, f32, &str)> = s
        .items
        .iter()
        .filter_map(|p| match p {
            Primitive::Text { y, size, text, .. } if ["Title", "first", "second"].contains(&text.as_str()) => {
                Some((*y, *size, text.as_str()))
            }
            _ => None,
        })
        .collect();
    let [(ty, tsize, "Title"), (y1, size1, "first"), (y2, size2, "second")] = texts[..] else {
        panic!("title then two subtitle lines, got {texts:?}")
    };
    assert!(ty < y1 && y1 < y2, "in reading order: {texts:?}");
    assert!(size1 < tsize && size1 == size2 && size1 == s.font_size);
    assert!(y2 < s.price_panel().rect.y, "above the price panel");
    assert!(s.price_panel().rect.y > plain.price_panel().rect.y + 1.5 * s.font_size);
    // A subtitle alone (no title) is drawn too.
    o.title = None;
    let alone = scene_of(&d, &o);
    assert!(alone.items.iter().any(|p| matches!(p, Primitive::Text { text, .. } if text == "first")));
}

#[test]
fn scale_multiplies_the_layout_and_the_text() {
    let d = Data::walk(60, MIN_US, 5);
    let mut o = opts(640, 360);
    o.title = Some("T".into());
    let one = scene_of(&d, &o);
    let two = scene_of(&d, &Options { width: 1280, height: 720, font_scale: 2.0, ..o.clone() });
    assert_eq!(two.font_size, 2.0 * one.font_size);
    for (a, b) in one.panels.iter().zip(&two.panels) {
        for (x1, x2) in [(a.rect.x, b.rect.x), (a.rect.y, b.rect.y), (a.rect.w, b.rect.w), (a.rect.h, b.rect.h)] {
            assert!((x2 - 2.0 * x1).abs() <= 3.0, "{:?} vs {:?}", a.rect, b.rect);
        }
    }
    // Without the scale, a chart twice as high only grows its text by the height rule (and stops at its cap).
    let big = scene_of(&d, &Options { width: 6400, height: 3600, ..o.clone() });
    let big_scaled = scene_of(&d, &Options { width: 6400, height: 3600, font_scale: 10.0, ..o.clone() });
    assert_eq!(big.font_size, 36.0);
    assert_eq!(big_scaled.font_size, 10.0 * one.font_size);
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let err = build_scene(&Input::Bars(d.cols()), &Options { font_scale: bad, ..o.clone() }).unwrap_err();
        assert!(err.to_string().contains("scale"), "{bad}: {err}");
    }
}

#[test]
fn a_left_y_axis_mirrors_the_layout() {
    let d = Data::walk(80, DAY_US, 8);
    let right = scene_of(&d, &opts(640, 360));
    let left = scene_of(&d, &Options { y_axis_left: true, ..opts(640, 360) });
    let (r, l) = (right.panels[0].rect, left.panels[0].rect);
    // The axis strip moves from the right to the left: same plot width, the margins swapped.
    assert!((r.w - l.w).abs() <= 1.0, "{r:?} vs {l:?}");
    assert!(l.x > r.x + 20.0 && (640.0 - l.right() - r.x).abs() <= 1.0, "{r:?} vs {l:?}");
    let price_labels = |s: &Scene| -> Vec<(f32, Anchor)> {
        s.items
            .iter()
            .filter_map(|p| match p {
                Primitive::Text { x, y, anchor, .. } if *y < s.panels[0].rect.bottom() && *y > s.panels[0].rect.y => {
                    Some((*x, *anchor))
                }
                _ => None,
            })
            .filter(|(_, a)| *a != Anchor::Middle)
            .collect()
    };
    let on_left: Vec<_> = price_labels(&left).into_iter().filter(|(x, _)| *x < l.x).collect();
    assert!(on_left.len() >= 3 && on_left.iter().all(|(_, a)| *a == Anchor::End), "{on_left:?}");
    assert!(price_labels(&right).iter().all(|(x, a)| *x > r.right() && *a == Anchor::Start));
    // The last-price tag fills the strip left of the axis line.
    let tag = left.items.iter().find_map(|p| match p {
        Primitive::Rect { x, w, h, .. } if *x == 0.0 && *h > 8.0 && (*w - (l.x - 1.0)).abs() < 0.5 => Some(*w),
        _ => None,
    });
    assert!(tag.is_some(), "no tag in the left strip");
}

#[test]
fn turned_time_labels_take_more_height_and_fit_more_ticks() {
    let d = Data::walk(200, DAY_US, 9);
    let level = scene_of(&d, &opts(800, 450));
    let turned = scene_of(&d, &Options { xrotation: 90.0, ..opts(800, 450) });
    let texts = |s: &Scene| s.items.iter().filter(|p| matches!(p, Primitive::TurnedText { .. })).count();
    assert_eq!(texts(&level), 0);
    assert_eq!(texts(&turned), turned.x_ticks.len());
    assert!(turned.x_ticks.len() > level.x_ticks.len(), "{} vs {}", turned.x_ticks.len(), level.x_ticks.len());
    let bottom = |s: &Scene| s.panels.last().unwrap().rect.bottom();
    assert!(bottom(&turned) < bottom(&level) - 20.0, "{} vs {}", bottom(&turned), bottom(&level));
    // Every turned label lies inside the image, below the bottom panel.
    for p in &turned.items {
        if let Primitive::TurnedText { cx, cy, text, size, angle, .. } = p {
            let (w, h) = super::text::turned_extent(super::text::text_width(text, *size), *size, *angle);
            assert!(cx - w / 2.0 >= 0.0 && cx + w / 2.0 <= 800.0 && cy + h / 2.0 <= 450.0, "{text} at {cx},{cy}");
            assert!(cy - h / 2.0 >= bottom(&turned), "{text} above the axis");
        }
    }
    let err = build_scene(&Input::Bars(d.cols()), &Options { xrotation: f32::NAN, ..opts(800, 450) }).unwrap_err();
    assert!(err.to_string().contains("xrotation"), "{err}");
}

#[test]
fn turned_text_draws_the_same_ink_at_any_angle() {
    // A label turned by 90 degrees covers about as many pixels as drawn level, in a tall box instead of a wide one.
    let ink = |angle: f32| {
        let mut b = cpu::CpuBackend::default();
        b.begin(200, 200, Rgba::rgb(0, 0, 0), true).unwrap();
        if angle == 0.0 {
            b.text(100.0, 100.0, "Mar 05 2024", 14.0, Rgba::rgb(255, 255, 255), Anchor::Middle);
        } else {
            b.turned_text(100.0, 100.0, "Mar 05 2024", 14.0, Rgba::rgb(255, 255, 255), angle);
        }
        let pm = b.finish();
        let lit: Vec<(usize, usize)> =
            (0..200 * 200).filter(|i| pm.pixels()[*i].red() > 40).map(|i| (i % 200, i / 200)).collect();
        let (w, h) = (
            lit.iter().map(|p| p.0).max().unwrap() - lit.iter().map(|p| p.0).min().unwrap(),
            lit.iter().map(|p| p.1).max().unwrap() - lit.iter().map(|p| p.1).min().unwrap(),
        );
        (lit.len() as f32, w, h)
    };
    let (level, w0, h0) = ink(0.0);
    let (up, w90, h90) = ink(90.0);
    assert!((up / level - 1.0).abs() < 0.25, "{up} vs {level}");
    assert!(w0 > 3 * h0 && h90 > 3 * w90 && w0.abs_diff(h90) <= 2, "{w0}x{h0} vs {w90}x{h90}");
}

// ---------- second y axes ----------

/// The points of every polyline drawn in `color`.
fn polyline_points(s: &Scene, color: Rgba) -> Vec<(f32, f32)> {
    s.items
        .iter()
        .filter_map(|p| match p {
            Primitive::Polyline { points, color: c, .. } if *c == color => Some(points.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_second_axis_fits_its_own_lines_and_is_labelled_on_the_other_side() {
    let d = Data::walk(120, MIN_US, 11);
    let big: Vec<f64> = d.c.iter().map(|c| c * 1e6).collect();
    let rsi: Vec<f64> = d.c.iter().map(|c| c % 100.0).collect();
    let tiny: Vec<f64> = d.c.iter().map(|c| (c % 7.0) * 1e-3).collect();
    let (big_color, tiny_color) = ("#FF00FF", "#00FFFF");
    let mut o = opts(900, 600);
    o.overlays = vec![Series {
        label: "big".into(),
        values: &big,
        color: Some(big_color.into()),
        secondary: true,
        ..Default::default()
    }];
    o.panels = vec![SubPanel {
        title: "two axes".into(),
        lines: vec![
            Series { label: "rsi".into(), values: &rsi, ..Default::default() },
            Series {
                label: "tiny".into(),
                values: &tiny,
                color: Some(tiny_color.into()),
                secondary: true,
                ..Default::default()
            },
        ],
        ..SubPanel::default()
    }];
    let s = scene_of(&d, &o);
    let price = s.price_panel();
    let high = d.h.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    // The first axis fits the bars alone; the second fits its line.
    assert!(price.scale.max >= high && price.scale.max < high * 1.5, "{:?}", price.scale);
    let second = price.secondary.as_ref().expect("a second price axis");
    let big_max = big.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!(second.scale.max >= big_max && second.scale.min <= big.iter().cloned().fold(f64::INFINITY, f64::min));
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    assert!(sub.scale.max <= 110.0 && sub.scale.min < 1.0, "{:?}", sub.scale);
    let sub_second = sub.secondary.as_ref().expect("a second sub-panel axis");
    assert!(sub_second.scale.max < 0.01 && sub_second.scale.max >= 6e-3, "{:?}", sub_second.scale);
    assert!(s.volume_panel().unwrap().secondary.is_none());
    // Each second-axis line stays inside its panel, spanning most of its height.
    for (color, panel) in [(big_color, price), (tiny_color, sub)] {
        let ys: Vec<f32> = polyline_points(&s, Rgba::parse_hex(color, "t").unwrap()).iter().map(|p| p.1).collect();
        assert!(!ys.is_empty());
        let (lo, hi) = ys.iter().fold((f32::MAX, f32::MIN), |(a, b), &y| (a.min(y), b.max(y)));
        assert!(lo >= panel.rect.y && hi <= panel.rect.bottom(), "{color}: {lo}..{hi} in {:?}", panel.rect);
        assert!(hi - lo > panel.rect.h * 0.6, "{color}: spans {lo}..{hi} of {:?}", panel.rect);
    }
    // The first axis's labels stay on the right; the second's are drawn left of the plot, which makes room.
    let texts = |anchor: Anchor| -> Vec<(f32, String)> {
        s.items
            .iter()
            .filter_map(|p| match p {
                Primitive::Text { x, text, anchor: a, .. } if *a == anchor => Some((*x, text.clone())),
                _ => None,
            })
            .collect()
    };
    for t in &second.ticks {
        assert!(texts(Anchor::End).iter().any(|(x, l)| *l == t.label && *x < price.rect.x), "{}", t.label);
    }
    assert!(texts(Anchor::Start).iter().any(|(x, l)| *l == price.ticks[0].label && *x > price.rect.right()));
    let mut one_axis = opts(900, 600);
    one_axis.overlays = vec![Series { label: "big".into(), values: &big, ..Default::default() }];
    let plain = scene_of(&d, &one_axis);
    assert!(price.rect.x > plain.price_panel().rect.x + 20.0, "{} vs {}", price.rect.x, plain.price_panel().rect.x);
    // With every line on its first axis, the price axis stretches to the big line.
    assert!(plain.price_panel().scale.max >= big_max);
}

#[test]
fn histogram_width_sets_the_bars_share_of_the_slot_and_histogram_color_their_colour() {
    let d = Data::walk(60, MIN_US, 5);
    let hist: Vec<f64> = (0..60).map(|i| (i as f64 - 30.0) / 10.0).collect();
    let bars_in = |s: &Scene, color: Rgba| -> Vec<f32> {
        let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap().rect;
        s.items
            .iter()
            .filter_map(|p| match p {
                Primitive::Rect { y, w, color: c, .. } if *c == color && *y >= sub.y && *y < sub.bottom() => Some(*w),
                _ => None,
            })
            .collect()
    };
    let gray = Rgba::parse_hex("#696969", "t").unwrap();
    for share in [0.3_f32, 0.8, 1.0] {
        let mut o = opts(900, 600);
        o.panels = vec![SubPanel {
            title: "h".into(),
            histogram: Some(&hist),
            histogram_width: Some(share),
            histogram_color: Some("#696969".into()),
            ..SubPanel::default()
        }];
        let s = scene_of(&d, &o);
        let widths = bars_in(&s, gray);
        assert_eq!(widths.len(), 60, "a bar per row (the one at 0 is 1 px high): {widths:?}");
        assert!(widths.iter().all(|w| *w == (s.slot_width * share).round()), "{share}: {widths:?}");
    }
    for bad in [0.0_f32, 1.5, f32::NAN] {
        let mut o = opts(900, 600);
        o.panels = vec![SubPanel { histogram: Some(&hist), histogram_width: Some(bad), ..SubPanel::default() }];
        let err = build_scene(&Input::Bars(d.cols()), &o).unwrap_err().to_string();
        assert!(err.contains("histogram_width") && err.contains(&bad.to_string()), "{err}");
    }
    let mut o = opts(900, 600);
    o.panels = vec![SubPanel { histogram: Some(&hist), histogram_color: Some("grey".into()), ..SubPanel::default() }];
    let err = build_scene(&Input::Bars(d.cols()), &o).unwrap_err().to_string();
    assert!(err.contains("histogram_color") && err.contains("grey"), "{err}");
}

#[test]
fn fills_shade_the_volume_panel_and_sub_panels_whose_ranges_take_them_in() {
    let d = Data::walk(60, DAY_US, 9);
    let v = d.v.clone();
    let vmax = v.iter().cloned().fold(0.0, f64::max);
    let above: Vec<f64> = v.iter().map(|x| x * 1.5).collect();
    let rsi: Vec<f64> = (0..60).map(|i| 50.0 + (i as f64 / 5.0).sin() * 20.0).collect();
    let (lo, hi) = (vec![-40.0; 60], vec![40.0; 60]);
    let blue = Some("#0000FF".into());
    let mut o = Options { volume: true, ..flat_opts() };
    o.panels = vec![SubPanel {
        lines: vec![Series { label: "rsi".into(), values: &rsi, ..Default::default() }],
        ..SubPanel::default()
    }];
    o.fills = vec![
        Fill { y1: &v, y2: &above, color: blue.clone(), alpha: 255, panel: PanelKind::Volume, ..Fill::default() },
        Fill {
            y1: &lo,
            y2: &hi,
            color: Some("#FF0000".into()),
            alpha: 255,
            panel: PanelKind::Sub(0),
            ..Fill::default()
        },
    ];
    let s = scene_of(&d, &o);
    let (vp, sub) =
        (s.volume_panel().unwrap().clone(), s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap().clone());
    assert!(vp.scale.max >= vmax * 1.5, "the volume axis takes in the shading: {:?}", vp.scale);
    assert!(sub.scale.min <= -40.0 && sub.scale.max >= 70.0, "the sub-panel takes in its shading: {:?}", sub.scale);
    assert!(s.price_panel().scale.max < d.h.iter().cloned().fold(0.0, f64::max) * 1.2, "the price axis does not");
    let rgba = rasterize(&s).unwrap();
    let at = |panel: &PanelLayout, i: usize, value: f64| pixel(&rgba, 800, s.slot_center(i), panel.scale.y(value));
    for i in [5, 30, 55] {
        assert!(is(at(&vp, i, v[i] * 1.25), (0, 0, 255)), "volume shading at bar {i}");
        assert!(is(at(&sub, i, -20.0), (255, 0, 0)), "sub-panel shading at bar {i}");
    }
    // A panel the chart does not draw is an error naming the fill.
    for (panel, words) in [(PanelKind::Sub(3), "sub-panel 3"), (PanelKind::Volume, "volume")] {
        let mut o = flat_opts();
        o.volume = false;
        o.fills = vec![Fill { y1: &lo, y2: &hi, panel, ..Fill::default() }];
        let err = build_scene(&Input::Bars(d.cols()), &o).unwrap_err().to_string();
        assert!(err.contains("fill_between[0] panel") && err.contains(words), "{err}");
    }
    assert!(PanelKind::parse("vol", "p").unwrap_err().to_string().contains("'vol'"));
    assert_eq!(PanelKind::parse("2", "p").unwrap(), PanelKind::Sub(2));
}

#[test]
fn a_line_width_scales_with_the_font_and_a_bad_one_names_the_line() {
    let d = Data::walk(80, DAY_US, 3);
    let ma: Vec<f64> = d.c.iter().map(|c| c + 1.0).collect();
    let rsi: Vec<f64> = d.c.iter().map(|c| c % 100.0).collect();
    let widths = |s: &Scene, color: Rgba| -> Vec<f32> {
        s.items
            .iter()
            .filter_map(|p| match p {
                Primitive::Polyline { color: c, width, .. } if *c == color => Some(*width),
                _ => None,
            })
            .collect()
    };
    let (red, blue) = ("#FF0000", "#0000FF");
    for scale in [1.0_f32, 2.0] {
        let o = Options {
            font_scale: scale,
            overlays: vec![Series {
                label: "ma".into(),
                values: &ma,
                color: Some(red.into()),
                width: 6.0,
                ..Default::default()
            }],
            panels: vec![SubPanel {
                lines: vec![Series {
                    label: "rsi".into(),
                    values: &rsi,
                    color: Some(blue.into()),
                    ..Default::default()
                }],
                ..SubPanel::default()
            }],
            ..opts(900, 600)
        };
        let s = scene_of(&d, &o);
        let wide = widths(&s, Rgba::parse_hex(red, "t").unwrap());
        assert!(!wide.is_empty() && wide.iter().all(|w| *w == 6.0 * scale), "{wide:?}");
        let default = widths(&s, Rgba::parse_hex(blue, "t").unwrap());
        assert!(!default.is_empty() && default.iter().all(|w| *w < 6.0 * scale), "{default:?}");
    }
    for bad in [-1.0_f32, 2001.0, f32::NAN] {
        let o = Options {
            overlays: vec![Series { label: "ma".into(), values: &ma, width: bad, ..Default::default() }],
            ..opts(900, 600)
        };
        let err = build_scene(&Input::Bars(d.cols()), &o).unwrap_err().to_string();
        assert!(err.contains("overlay 'ma' width") && err.contains(&bad.to_string()), "{err}");
    }
}

#[test]
fn an_overlay_on_the_volume_panel_stretches_the_volume_axis_not_the_price_axis() {
    let d = Data::walk(60, DAY_US, 4);
    let triple: Vec<f64> = d.v.iter().map(|v| v * 3.0).collect();
    let vmax = d.v.iter().cloned().fold(0.0, f64::max);
    let line = Series { label: "avg".into(), values: &triple, on_volume: true, ..Default::default() };
    let s = scene_of(&d, &Options { overlays: vec![line.clone()], ..opts(800, 500) });
    assert!(s.volume_panel().unwrap().scale.max >= vmax * 3.0);
    assert!(s.price_panel().scale.max < vmax, "the price axis ignores it: {:?}", s.price_panel().scale);
    let second = Series { secondary: true, ..line.clone() };
    let s = scene_of(&d, &Options { overlays: vec![second], ..opts(800, 500) });
    let vp = s.volume_panel().unwrap();
    assert!(vp.scale.max < vmax * 1.5 && vp.secondary.as_ref().unwrap().scale.max >= vmax * 3.0);
    let err = build_scene(&Input::Bars(d.cols()), &Options { overlays: vec![line], volume: false, ..opts(800, 500) })
        .unwrap_err()
        .to_string();
    assert!(err.contains("overlay 'avg' panel") && err.contains("volume panel"), "{err}");
}

#[test]
fn a_histogram_on_the_second_axis_leaves_the_first_to_the_lines() {
    let d = Data::walk(60, DAY_US, 6);
    let hist: Vec<f64> = (0..60).map(|i| (i as f64 - 20.0) * 1e-3).collect();
    let o = Options {
        panels: vec![SubPanel {
            lines: vec![Series { label: "close".into(), values: &d.c, ..Default::default() }],
            histogram: Some(&hist),
            histogram_secondary: true,
            ..SubPanel::default()
        }],
        ..opts(800, 500)
    };
    let s = scene_of(&d, &o);
    let sub = s.panels.iter().find(|p| p.kind == PanelKind::Sub(0)).unwrap();
    let low = d.c.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(sub.scale.min > low * 0.8, "the first axis fits the closes alone: {:?}", sub.scale);
    let second = &sub.secondary.as_ref().expect("a second axis for the histogram").scale;
    assert!(second.min <= -0.02 && second.max >= 0.039 && second.max < 0.1, "{second:?}");
}

// ---------- strips ----------

#[test]
fn a_fast_png_drawn_strip_by_strip_is_the_file_of_the_whole_picture() {
    // Every kind of primitive the strips must cut exactly: candles, lines (dashed, on a second axis), a shaded
    // band, markers, straight and turned text, sub-panels; at sizes whose strips end mid-chart and mid-candle.
    let d = Data::walk(300, DAY_US, 41);
    let n = d.c.len();
    let hi: Vec<f64> = d.h.iter().map(|v| v + 2.0).collect();
    let lo: Vec<f64> = d.l.iter().map(|v| v - 2.0).collect();
    let buys: Vec<f64> = (0..n).map(|i| if i % 13 == 5 { d.l[i] } else { f64::NAN }).collect();
    let diff: Vec<f64> = d.c.iter().zip(&d.o).map(|(c, o)| c - o).collect();
    let dashed = LineLook { color: Some("#D32F2F".into()), width: 1.5, style: LineStyle::Dashed, label: None };
    for (width, height, rotation, scale) in
        [(1920, 1080, 0.0, 1.0), (801, 333, 30.0, 1.0), (333, 777, 90.0, 2.0), (64, 64, 0.0, 1.0)]
    {
        let o = Options {
            width,
            height,
            antialias: true,
            font_scale: scale,
            xrotation: rotation,
            title: Some("Strips\nof rows".into()),
            hlines: vec![HLine { price: d.c[n / 2], look: dashed.clone() }],
            overlays: vec![Series { label: "hi".into(), values: &hi, secondary: true, ..Default::default() }],
            fills: vec![Fill { y1: &hi, y2: &lo, alpha: 60, ..Fill::default() }],
            markers: vec![Markers { values: &buys, shape: MarkerShape::TriangleUp, ..Default::default() }],
            panels: vec![SubPanel {
                title: "diff".into(),
                lines: vec![Series { label: "diff".into(), values: &diff, ..Default::default() }],
                histogram: Some(&diff),
                levels: vec![0.0],
                ..Default::default()
            }],
            format: Format::Png(PngSpeed::Fast),
            ..Options::default()
        };
        let scene = scene_of(&d, &o);
        assert!(tiles::applies(&scene, o.format, Engine::Cpu), "{width}x{height}");
        let (tiled, _, _) = tiles::png(std::sync::Arc::new(scene.clone())).unwrap().expect("opaque");
        let whole = render_whole(&scene, o.format, Engine::Cpu).unwrap().bytes;
        assert!(tiled == whole, "{width}x{height}: the strips differ from the whole picture");
        assert_eq!(render(d.cols(), &o).unwrap().bytes, whole);
    }
}

#[test]
fn scenes_the_strips_cannot_copy_exactly_are_drawn_whole() {
    let d = Data::walk(50, DAY_US, 3);
    let fast = Format::Png(PngSpeed::Fast);
    let aliased = scene_of(&d, &opts(320, 200));
    assert!(!tiles::applies(&aliased, fast, Engine::Cpu));
    let mut circle = scene_of(&d, &Options { antialias: true, ..opts(320, 200) });
    assert!(tiles::applies(&circle, fast, Engine::Cpu));
    assert!(!tiles::applies(&circle, Format::Png(PngSpeed::Balanced), Engine::Cpu));
    circle.items.push(Primitive::Circle {
        cx: 10.0,
        cy: 10.0,
        r: 5.0,
        color: Rgba { r: 0, g: 0, b: 0, a: 255 },
        width: 1.0,
    });
    assert!(!tiles::applies(&circle, fast, Engine::Cpu));
    // Drawn whole, the circle is there.
    let png = render_scene(&circle, fast, Engine::Cpu).unwrap().bytes;
    let (_, _, rgba) = decode_rgba(&png);
    assert_eq!(&rgba, &rasterize(&circle).unwrap());
}
