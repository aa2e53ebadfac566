//! Axis ticks: "nice" numeric steps (1-2-5 × 10^k), number formatting, and calendar-aware time ticks.

/// Numeric ticks covering a range.
#[derive(Debug, Clone, PartialEq)]
pub struct NiceTicks {
    /// The step between ticks (1, 2 or 5 times a power of ten).
    pub step: f64,
    /// Decimals needed to tell the ticks apart.
    pub decimals: usize,
    /// Tick values inside `[min, max]`, ascending.
    pub values: Vec<f64>,
}

/// The 1-2-5 step that gives at most about `target` intervals over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let target = target.max(1) as f64;
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let mult = if norm <= 1.0 + 1e-9 {
        1.0
    } else if norm <= 2.0 + 1e-9 {
        2.0
    } else if norm <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    mult * mag
}

/// Ticks at multiples of a nice step inside `[min, max]`.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> NiceTicks {
    let span = max - min;
    // A span beyond f64::MAX: the nice step of half of it, doubled (2, 4 or 10 times a power of ten).
    let step = if span.is_finite() { nice_step(span, target) } else { 2.0 * nice_step(max * 0.5 - min * 0.5, target) };
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    let mut values = Vec::new();
    if min.is_finite() && max.is_finite() && max >= min {
        let first = (min / step - 1e-9).ceil();
        let mut k = 0.0;
        loop {
            let v = (first + k) * step;
            if v > max + step * 1e-9 || values.len() > 1000 {
                break;
            }
            values.push(v);
            k += 1.0;
        }
    }
    NiceTicks { step, decimals, values }
}

/// Ticks for a logarithmic axis over `[min, max]` (`min > 0`): at 1-2-5, then 1-3, then 1 × 10^k (whichever first
/// gives at most `target + 1` ticks; every n-th decade past that) when the range spans a decade or more, else the
/// linear nice ticks (a log axis over a narrow range is nearly linear). `step` is the smallest tick, for formatting.
pub fn log_ticks(min: f64, max: f64, target: usize) -> NiceTicks {
    if !(min > 0.0 && max > min && max.is_finite()) || (max / min).log10() < 1.0 {
        return nice_ticks(min, max, target);
    }
    let (k0, k1) = (min.log10().floor() as i32, max.log10().ceil() as i32);
    let inside = |v: f64| v >= min * (1.0 - 1e-12) && v <= max * (1.0 + 1e-12);
    let mut values: Vec<f64> = Vec::new();
    for mults in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0][..], &[1.0][..]] {
        values = (k0..=k1).flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k))).filter(|&v| inside(v)).collect();
        if values.len() <= target + 1 {
            break;
        }
    }
    if values.len() > target + 1 {
        let every = ((k1 - k0) as f64 / target.max(1) as f64).ceil() as i32;
        values = (k0..=k1).filter(|k| k.rem_euclid(every) == 0).map(|k| 10f64.powi(k)).filter(|&v| inside(v)).collect();
    }
    let smallest = values.first().copied().unwrap_or(min);
    let decimals = (-(smallest.log10() + 1e-9).floor()).max(0.0) as usize;
    NiceTicks { step: smallest, decimals, values }
}

/// Beyond this magnitude a label is written in scientific notation (`1.5e308`), not with all its digits.
const SCIENTIFIC_FROM: f64 = 1e15;

/// Beyond this many decimals a label is written in scientific notation: a step far below a price's resolution (or
/// a step of 0, whose decimals are unbounded) would otherwise ask the formatter for more digits than it accepts.
const MAX_DECIMALS: usize = 20;

/// Formats a number with `decimals` decimals, never printing `-0`; huge numbers, and numbers needing more than
/// [`MAX_DECIMALS`] decimals, in scientific notation with 3 significant digits (a tick label of 1e308 would
/// otherwise be 309 digits wide and push the plot off the chart).
pub fn format_fixed(v: f64, decimals: usize) -> String {
    if v.abs() >= SCIENTIFIC_FROM || decimals > MAX_DECIMALS {
        return format!("{v:.2e}");
    }
    let s = format!("{:.*}", decimals, v);
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Formats a volume-like number compactly (`950`, `1.5K`, `12M`, `3B`) with precision from the tick step.
pub fn format_compact(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = step.abs().max(v.abs());
    let (unit, suffix) = if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e3 {
        (1e3, "K")
    } else {
        (1.0, "")
    };
    let decimals = (-((step / unit).log10() + 1e-9).floor()).max(0.0) as usize;
    format!("{}{}", format_fixed(v / unit, decimals.min(6)), suffix)
}

/// How the x-axis labels are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// `14:30` (a tick on a new day reads `Mar 05`).
    HourMinute,
    /// `Mar 05`.
    MonthDay,
    /// `2024-03`.
    YearMonth,
    /// `2024`.
    Year,
    /// Bar numbers (no timestamps).
    BarIndex,
}

/// A calendar interval between time ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStep {
    /// n minutes.
    Minutes(i64),
    /// n hours.
    Hours(i64),
    /// n days.
    Days(i64),
    /// n months.
    Months(i64),
    /// n years.
    Years(i64),
}

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

impl TimeStep {
    const CANDIDATES: [TimeStep; 24] = [
        TimeStep::Minutes(1),
        TimeStep::Minutes(2),
        TimeStep::Minutes(5),
        TimeStep::Minutes(10),
        TimeStep::Minutes(15),
        TimeStep::Minutes(30),
        TimeStep::Hours(1),
        TimeStep::Hours(2),
        TimeStep::Hours(3),
        TimeStep::Hours(4),
        TimeStep::Hours(6),
        TimeStep::Hours(12),
        TimeStep::Days(1),
        TimeStep::Days(2),
        TimeStep::Days(7),
        TimeStep::Days(14),
        TimeStep::Months(1),
        TimeStep::Months(2),
        TimeStep::Months(3),
        TimeStep::Months(6),
        TimeStep::Years(1),
        TimeStep::Years(2),
        TimeStep::Years(5),
        TimeStep::Years(10),
    ];

    /// Approximate length in microseconds.
    pub fn approx_us(self) -> i64 {
        match self {
            TimeStep::Minutes(n) => n * MINUTE,
            TimeStep::Hours(n) => n * HOUR,
            TimeStep::Days(n) => n * DAY,
            TimeStep::Months(n) => n * 30 * DAY + n * DAY / 2,
            TimeStep::Years(n) => n * 365 * DAY + n * DAY / 4,
        }
    }

    /// The smallest candidate step giving at most `max_labels` ticks over `span_us`.
    pub fn choose(span_us: i64, max_labels: usize) -> TimeStep {
        let max_labels = max_labels.max(1) as i64;
        for step in TimeStep::CANDIDATES {
            if span_us / step.approx_us() <= max_labels {
                return step;
            }
        }
        let years = span_us / TimeStep::Years(1).approx_us() / max_labels + 1;
        TimeStep::Years(nice_step(years as f64, 1).max(10.0) as i64)
    }

    /// Which interval a time falls in; a tick goes on the first bar of each new interval.
    pub fn bucket(self, t_us: i64) -> i64 {
        match self {
            TimeStep::Minutes(n) => t_us.div_euclid(n * MINUTE),
            TimeStep::Hours(n) => t_us.div_euclid(n * HOUR),
            TimeStep::Days(n) => t_us.div_euclid(DAY).div_euclid(n),
            TimeStep::Months(n) => {
                let (y, m, _) = civil(t_us);
                (y * 12 + (m as i64 - 1)).div_euclid(n)
            }
            TimeStep::Years(n) => civil(t_us).0.div_euclid(n),
        }
    }

    /// The label format for this step.
    pub fn format(self) -> TimeFormat {
        match self {
            TimeStep::Minutes(_) | TimeStep::Hours(_) => TimeFormat::HourMinute,
            TimeStep::Days(_) => TimeFormat::MonthDay,
            TimeStep::Months(_) => TimeFormat::YearMonth,
            TimeStep::Years(_) => TimeFormat::Year,
        }
    }
}

/// Civil date (year, month 1..=12, day 1..=31) of an epoch-microsecond time, UTC, proleptic Gregorian.
pub fn civil(t_us: i64) -> (i64, u32, u32) {
    // Days since 1970-01-01, shifted so eras of 400 years start on 0000-03-01.
    let z = t_us.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Formats a time label. `prev` is the previous tick's time: an intraday tick on a new day shows the date, and a
/// date tick in a new year shows the year, so that a span across New Year says which year each part is in.
pub fn format_time(t_us: i64, format: TimeFormat, prev: Option<i64>) -> String {
    let (y, m, d) = civil(t_us);
    let new_year = prev.is_some_and(|p| civil(p).0 != y);
    match format {
        TimeFormat::HourMinute => {
            let new_day = prev.is_some_and(|p| p.div_euclid(DAY) != t_us.div_euclid(DAY));
            if new_year {
                format!("{y:04}")
            } else if new_day {
                format!("{} {:02}", MONTHS[m as usize - 1], d)
            } else {
                let secs = t_us.div_euclid(1_000_000).rem_euclid(86_400);
                format!("{:02}:{:02}", secs / 3600, secs / 60 % 60)
            }
        }
        TimeFormat::MonthDay if new_year => format!("{y:04}"),
        TimeFormat::MonthDay => format!("{} {:02}", MONTHS[m as usize - 1], d),
        TimeFormat::YearMonth => format!("{y:04}-{m:02}"),
        TimeFormat::Year => format!("{y:04}"),
        TimeFormat::BarIndex => String::new(),
    }
}

/// The first tick's label with its year, for an axis whose labels would otherwise name no year (a few months
/// of daily bars, or days of intraday bars); `None` when the format already shows years.
pub fn with_year(t_us: i64, format: TimeFormat) -> Option<String> {
    let (y, m, d) = civil(t_us);
    match format {
        TimeFormat::MonthDay | TimeFormat::HourMinute => Some(format!("{} {:02} {y:04}", MONTHS[m as usize - 1], d)),
        _ => None,
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Formats a time with strftime-style codes (UTC): `%Y %y %m %d %e %b %B %a %H %I %M %S %p %j %%`; any other
/// `%x` is kept as written.
pub fn format_custom(t_us: i64, pattern: &str) -> String {
    let (y, m, d) = civil(t_us);
    let secs = t_us.div_euclid(1_000_000).rem_euclid(86_400);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let days = t_us.div_euclid(DAY);
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('y') => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('e') => out.push_str(&format!("{d:>2}")),
            Some('b') => out.push_str(MONTHS[m as usize - 1]),
            Some('B') => out.push_str(MONTH_NAMES[m as usize - 1]),
            // 1970-01-01 was a Thursday.
            Some('a') => out.push_str(WEEKDAYS[(days + 3).rem_euclid(7) as usize]),
            Some('H') => out.push_str(&format!("{hh:02}")),
            Some('I') => out.push_str(&format!("{:02}", (hh + 11) % 12 + 1)),
            Some('M') => out.push_str(&format!("{mm:02}")),
            Some('S') => out.push_str(&format!("{ss:02}")),
            Some('p') => out.push_str(if hh < 12 { "AM" } else { "PM" }),
            Some('j') => {
                let jan1 = days_from_civil(y, 1, 1);
                out.push_str(&format!("{:03}", days - jan1 + 1));
            }
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil`]'s day part).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
