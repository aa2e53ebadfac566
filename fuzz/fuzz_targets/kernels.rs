//! Every catalogue kernel over arbitrary f64 columns (NaN, +-inf, subnormals, huge values) and arbitrary
//! parameters: a kernel may return an error, never panic, and its outputs have the input's length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polars_kimsfinance::kernels::catalogue::compute;

/// (catalogue name, parameter names, number of inputs), from python/polars_kimsfinance/catalogue.
const KERNELS: &[(&str, &[&str], usize)] = &[
    ("rolling_sum", &["window"], 1),
    ("rolling_mean", &["window"], 1),
    ("rolling_std", &["window", "ddof"], 1),
    ("rolling_var", &["window", "ddof"], 1),
    ("rolling_max", &["window"], 1),
    ("rolling_min", &["window"], 1),
    ("cumulative_sum", &[], 1),
    ("ewm_mean", &["com", "span", "half_life", "alpha", "adjust", "min_periods"], 1),
    ("sma", &["window"], 1),
    ("ema", &["window"], 1),
    ("wma", &["window"], 1),
    ("dema", &["window"], 1),
    ("tema", &["window"], 1),
    ("trima", &["window"], 1),
    ("kama", &["window"], 1),
    ("t3", &["window", "vfactor"], 1),
    ("hma", &["window"], 1),
    ("vwma", &["window"], 2),
    ("zlema", &["window"], 1),
    ("rsi", &["window"], 1),
    ("macd", &["fastperiod", "slowperiod", "signalperiod"], 1),
    ("stoch", &["fastk_period", "slowk_period", "slowd_period"], 3),
    ("stochf", &["fastk_period", "fastd_period"], 3),
    ("stochrsi", &["window", "fastk_period", "fastd_period"], 1),
    ("willr", &["window"], 3),
    ("cci", &["window"], 3),
    ("roc", &["window"], 1),
    ("mom", &["window"], 1),
    ("cmo", &["window"], 1),
    ("ppo", &["fastperiod", "slowperiod", "matype"], 1),
    ("apo", &["fastperiod", "slowperiod", "matype"], 1),
    ("trix", &["window"], 1),
    ("bop", &[], 4),
    ("mfi", &["window"], 4),
    ("ultosc", &["timeperiod1", "timeperiod2", "timeperiod3"], 3),
    ("plus_di", &["window"], 3),
    ("minus_di", &["window"], 3),
    ("adx", &["window"], 3),
    ("adxr", &["window"], 3),
    ("aroon", &["window"], 2),
    ("aroon_osc", &["window"], 2),
    ("parabolic_sar", &["acceleration", "maximum"], 2),
    ("tsi", &["long", "short"], 1),
    ("elder_ray", &["window"], 3),
    ("kst", &["roc1", "roc2", "roc3", "roc4", "sma1", "sma2", "sma3", "sma4", "signal"], 1),
    ("true_range", &[], 3),
    ("atr", &["window"], 3),
    ("natr", &["window"], 3),
    ("bbands", &["window", "nbdevup", "nbdevdn"], 1),
    ("stddev", &["window", "nbdev"], 1),
    ("keltner", &["window", "multiplier", "atr_window"], 3),
    ("donchian", &["window"], 2),
    ("squeeze", &["bb_window", "bb_mult", "kc_window", "kc_mult"], 3),
    ("supertrend", &["window", "multiplier"], 3),
    ("ichimoku", &["tenkan", "kijun", "senkou"], 3),
    ("obv", &[], 2),
    ("ad", &[], 4),
    ("adosc", &["fastperiod", "slowperiod"], 4),
    ("cmf", &["window"], 4),
    ("force_index", &["window"], 2),
    ("emv", &["window", "scale"], 3),
    ("vwap", &["bands"], 4),
    ("vwap_anchored", &["bands"], 5),
    ("pivot_points", &[], 3),
    ("swing_highs", &["left", "right"], 2),
    ("swing_lows", &["left", "right"], 2),
    ("heikin_ashi", &[], 4),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (name, param_names, inputs) = KERNELS[pick as usize % KERNELS.len()];
    let mut words = rest.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
    // Parameters: small integers mostly (windows), otherwise the raw float.
    let params: Vec<(&str, f64)> = param_names
        .iter()
        .map(|&p| {
            let v = words.next().unwrap_or(1.0);
            (p, if v.is_finite() && v.abs() < 1e6 { (v.abs() % 64.0).floor() } else { v })
        })
        .collect();
    let values: Vec<f64> = words.collect();
    let len = values.len() / inputs.max(1);
    let columns: Vec<&[f64]> = (0..inputs).map(|i| &values[i * len..(i + 1) * len]).collect();
    if let Ok(outputs) = compute(name, &params, &columns) {
        for out in outputs {
            assert_eq!(out.len(), len, "{name}: output length");
        }
    }
});
