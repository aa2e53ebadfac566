//! Stream snapshots (`kernels::stream::Stream::load`) over arbitrary bytes: anything that is not a snapshot this
//! version wrote must be refused with an error, never a panic, and a snapshot that loads must be usable (an update,
//! a preview and a save that loads back to the same bytes). Most inputs are refused by the header or the checksum,
//! so the target also re-frames its input with a valid header and checksum, as a payload of its own or as edits to
//! a real stream's payload: what the decoder and the kernel states' checks see is then arbitrary.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use polars_kimsfinance::kernels::stream::{KeyRef, Rows, Spec, Stream};

/// Columns: open, high, low, close, volume.
const SPECS: &[(&str, &[(&str, f64)], &[usize])] = &[
    ("sma", &[("window", 5.0)], &[3]),
    ("sma", &[("window", 5000.0)], &[3]),
    ("rolling_max", &[("window", 20.0)], &[1]),
    ("rolling_min", &[("window", 3.0)], &[2]),
    ("rolling_std", &[("window", 10.0), ("ddof", 1.0)], &[3]),
    ("wma", &[("window", 7.0)], &[3]),
    ("kama", &[("window", 10.0)], &[3]),
    ("rsi", &[("window", 14.0)], &[3]),
    ("macd", &[("fastperiod", 12.0), ("slowperiod", 26.0), ("signalperiod", 9.0)], &[3]),
    ("bbands", &[("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)], &[3]),
    ("parabolic_sar", &[("acceleration", 0.02), ("maximum", 0.2)], &[1, 2]),
    ("ichimoku", &[("tenkan", 9.0), ("kijun", 26.0), ("senkou", 52.0)], &[1, 2, 3]),
    ("adxr", &[("window", 14.0)], &[1, 2, 3]),
    ("swing_highs", &[("left", 2.0), ("right", 2.0)], &[1, 2]),
    ("stochrsi", &[("window", 14.0), ("fastk_period", 5.0), ("fastd_period", 3.0)], &[3]),
    ("t3", &[("window", 5.0), ("vfactor", 0.7)], &[3]),
    ("cci", &[("window", 20.0)], &[1, 2, 3]),
];

fn specs() -> Vec<Spec> {
    SPECS
        .iter()
        .map(|(name, params, columns)| Spec {
            name: name.to_string(),
            params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            columns: columns.to_vec(),
        })
        .collect()
}

/// `n` rows for keys 1, 2 and "x" in turn, at times from `t0`.
fn feed(stream: &mut Stream, n: usize, t0: i64, commit: bool) {
    let keys: Vec<KeyRef> = (0..n).map(|i| [KeyRef::Int(1), KeyRef::Int(2), KeyRef::Str("x")][i % 3]).collect();
    let times: Vec<i64> = (0..n as i64).map(|i| t0 + i / 3).collect();
    let close: Vec<f64> = (0..n).map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0).collect();
    let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
    let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
    let volume = vec![10.0; n];
    let rows = Rows { keys: Some(keys), times: Some(&times), columns: vec![&close, &high, &low, &close, &volume] };
    let _ = stream.update(&rows, commit, true);
}

/// A real snapshot: its header (magic, layout, version) and its payload.
fn base() -> &'static (Vec<u8>, Vec<u8>) {
    static BASE: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut stream = Stream::new(specs(), 5, true, "{\"meta\": 1}".into()).expect("stream");
        feed(&mut stream, 90, 0, true);
        let blob = stream.save().expect("save");
        let version_len = u16::from_le_bytes([blob[12], blob[13]]) as usize;
        let header = 14 + version_len;
        (blob[..header].to_vec(), blob[header + 12..].to_vec())
    })
}

fn framed(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = header.to_vec();
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (header, payload) = base();
    let blob = match mode % 4 {
        0 => rest.to_vec(),
        1 => framed(header, rest),
        2 => {
            // Edits to the real payload: (offset, xor) pairs.
            let mut edited = payload.clone();
            for pair in rest.chunks_exact(3) {
                let at = u16::from_le_bytes([pair[0], pair[1]]) as usize % edited.len();
                edited[at] ^= pair[2];
            }
            framed(header, &edited)
        }
        _ => {
            // The real payload cut at some point and continued with the input.
            let cut = rest.first().map_or(0, |&b| payload.len() * b as usize / 256);
            framed(header, &[&payload[..cut], rest.get(1..).unwrap_or(&[])].concat())
        }
    };
    let Ok(mut stream) = Stream::load(&blob) else { return };
    let saved = stream.save().expect("a loaded stream saves");
    let again = Stream::load(&saved).expect("a saved stream loads");
    assert_eq!(again.save().expect("save"), saved, "save -> load -> save changed the bytes");
    let _ = stream.bytes_per_key();
    let _ = stream.memory_bytes();
    let _ = stream.latest();
    feed(&mut stream, 7, i64::MAX - 3, false);
    feed(&mut stream, 7, i64::MAX - 3, true);
    let mut out = Vec::new();
    let _ = stream.step_single(&[1.0, 2.0, 0.5, 1.5, 3.0], true, &mut out);
});
