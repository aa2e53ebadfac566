use std::collections::BTreeMap;

use super::*;
use crate::kernels::catalogue::compute;
use crate::kernels::driver::{run_slices_split, Split};

fn spec(name: &str, params: &[(&str, f64)], columns: &[usize]) -> Spec {
    Spec {
        name: name.to_string(),
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        columns: columns.to_vec(),
    }
}

/// A random walk of high, low, close with a few missing values (a simple xorshift, so the test needs no crate).
fn bars(n: usize, seed: u64) -> [Vec<f64>; 3] {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = 100.0;
    let (mut high, mut low, mut close) = (vec![], vec![], vec![]);
    for _ in 0..n {
        c *= 1.0 + (next() - 0.5) * 0.02;
        let spread = next() * 0.5;
        high.push(c + spread);
        low.push(c - spread);
        close.push(if next() < 0.03 { f64::NAN } else { c });
    }
    [high, low, close]
}

fn specs() -> Vec<Spec> {
    vec![
        spec("rsi", &[("window", 14.0)], &[2]),
        spec("macd", &[("fastperiod", 12.0), ("slowperiod", 26.0), ("signalperiod", 9.0)], &[2]),
        spec("atr", &[("window", 14.0)], &[0, 1, 2]),
        spec("bbands", &[("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)], &[2]),
        spec("parabolic_sar", &[("acceleration", 0.02), ("maximum", 0.2)], &[0, 1]),
    ]
}

fn batch(spec: &Spec, cols: &[Vec<f64>; 3]) -> Vec<Vec<f64>> {
    let params: Vec<(&str, f64)> = spec.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let inputs: Vec<&[f64]> = spec.columns.iter().map(|&c| cols[c].as_slice()).collect();
    compute(&spec.name, &params, &inputs).unwrap()
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[test]
fn updates_in_any_split_equal_the_batch_bit_for_bit() {
    let cols = bars(3000, 7);
    let times: Vec<i64> = (0..3000).collect();
    for cuts in [vec![0, 3000], vec![1, 2, 3, 1000, 1001, 2999], vec![500, 1700], (0..3000).step_by(37).collect()] {
        let mut stream = Stream::new(specs(), 3, true, String::new()).unwrap();
        let mut got: Vec<Vec<Vec<f64>>> = specs().iter().map(|_| vec![]).collect();
        let mut bounds = cuts.clone();
        bounds.insert(0, 0);
        bounds.push(3000);
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1].max(w[0]));
            let rows = Rows { keys: None, times: Some(&times[a..b]), columns: cols.iter().map(|c| &c[a..b]).collect() };
            let out = stream.update(&rows, true, true).unwrap();
            for (g, o) in got.iter_mut().zip(out) {
                g.resize(o.len(), vec![]);
                for (gj, oj) in g.iter_mut().zip(o) {
                    gj.extend(oj);
                }
            }
        }
        for (s, g) in specs().iter().zip(&got) {
            for (j, want) in batch(s, &cols).iter().enumerate() {
                assert!(same_bits(&g[j], want), "{} output {j} with cuts {cuts:?}", s.name);
            }
        }
    }
}

#[test]
fn keys_are_independent_and_peek_commits_nothing() {
    let a = bars(400, 1);
    let b = bars(400, 2);
    let mut stream = Stream::new(specs(), 3, false, String::new()).unwrap();
    // Interleave the two keys row by row in one update.
    let mut keys = vec![];
    let mut cols: [Vec<f64>; 3] = Default::default();
    for i in 0..400 {
        for (k, src) in [(KeyRef::Str("a"), &a), (KeyRef::Str("b"), &b)] {
            keys.push(k);
            for j in 0..3 {
                cols[j].push(src[j][i]);
            }
        }
    }
    fn rows<'a>(keys: &[KeyRef<'a>], cols: &'a [Vec<f64>; 3], r: std::ops::Range<usize>) -> Rows<'a> {
        Rows {
            keys: Some(keys[r.clone()].to_vec()),
            times: None,
            columns: cols.iter().map(|c| &c[r.clone()]).collect(),
        }
    }
    let first = stream.update(&rows(&keys, &cols, 0..600), true, true).unwrap();
    let peeked = stream.update(&rows(&keys, &cols, 600..800), false, true).unwrap();
    let peeked_again = stream.update(&rows(&keys, &cols, 600..800), false, true).unwrap();
    let rest = stream.update(&rows(&keys, &cols, 600..800), true, true).unwrap();
    assert_eq!(format!("{peeked:?}"), format!("{rest:?}"));
    assert_eq!(format!("{peeked:?}"), format!("{peeked_again:?}"));
    for (i, s) in specs().iter().enumerate() {
        for (key, src) in [(0, &a), (1, &b)] {
            let want = batch(s, src);
            for j in 0..want.len() {
                let got: Vec<f64> = first[i][j].iter().chain(&rest[i][j]).skip(key).step_by(2).copied().collect();
                assert!(same_bits(&got, &want[j]), "{} key {key} output {j}", s.name);
            }
        }
    }
}

#[test]
fn an_older_row_is_refused_and_changes_nothing() {
    let cols = bars(50, 3);
    let mut stream = Stream::new(specs(), 3, true, String::new()).unwrap();
    let times: Vec<i64> = (0..50).collect();
    let keys = vec![KeyRef::Int(5); 50];
    let rows = Rows {
        keys: Some(keys[..40].to_vec()),
        times: Some(&times[..40]),
        columns: cols.iter().map(|c| &c[..40]).collect(),
    };
    stream.update(&rows, true, false).unwrap();
    let before = stream.save().unwrap();
    // A new key first (which must not be kept), then key 5 going back in time.
    let late = [41, 38];
    let bad = Rows {
        keys: Some(vec![KeyRef::Int(6), KeyRef::Int(5)]),
        times: Some(&late),
        columns: cols.iter().map(|c| &c[40..42]).collect(),
    };
    let err = stream.update(&bad, true, true).unwrap_err();
    assert_eq!(err, UpdateError::OutOfOrder { row: 1, key: "5".into(), previous: 39, time: 38 });
    assert_eq!(stream.save().unwrap(), before);
    assert_eq!(stream.key_count(), 1);
}

#[test]
fn snapshots_round_trip_and_refuse_damage() {
    let cols = bars(300, 4);
    let times: Vec<i64> = (0..300).collect();
    let mut stream = Stream::new(specs(), 3, true, "meta".into()).unwrap();
    let rows = |a: usize, b: usize| Rows {
        keys: Some(vec![KeyRef::Str("x"); b - a]),
        times: Some(&times[a..b]),
        columns: cols.iter().map(|c| &c[a..b]).collect(),
    };
    stream.update(&rows(0, 250), true, false).unwrap();
    let blob = stream.save().unwrap();
    let mut restored = Stream::load(&blob).unwrap();
    assert_eq!(restored.meta, "meta");
    let want = stream.update(&rows(250, 300), true, true).unwrap();
    let got = restored.update(&rows(250, 300), true, true).unwrap();
    assert_eq!(format!("{want:?}"), format!("{got:?}"));
    // Every truncation, and a flipped bit anywhere, is an error (never a panic, never a stream).
    for n in 0..blob.len() {
        assert!(Stream::load(&blob[..n]).is_err(), "truncated to {n} bytes");
    }
    // The package version (bytes 14.., after its length) is informational and not checked; every other byte is.
    let version = 14..14 + env!("CARGO_PKG_VERSION").len();
    for i in (0..blob.len()).step_by(7).filter(|i| !version.contains(i)) {
        let mut bad = blob.clone();
        bad[i] ^= 0x10;
        assert!(Stream::load(&bad).is_err(), "bit flipped at byte {i}");
    }
    let mut other_layout = blob.clone();
    other_layout[8..12].copy_from_slice(&(LAYOUT + 1).to_le_bytes());
    let err = Stream::load(&other_layout).err().unwrap().0;
    assert!(err.contains(&format!("layout {}", LAYOUT + 1)), "{err}");
}

#[test]
fn a_stream_equals_an_unsplit_run_past_the_split_length() {
    // Past 2^21 rows the batch driver cuts a column into parts whose window sums restart at the seams (and the
    // seams move as the column grows); a stream is one unsplit run.
    let n = (1 << 21) + 5000;
    let cols = bars(n, 9);
    let s = spec("bbands", &[("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)], &[2]);
    let mut stream = Stream::new(vec![s.clone()], 3, false, String::new()).unwrap();
    let cut = n - 1000;
    let head = Rows { keys: None, times: None, columns: cols.iter().map(|c| &c[..cut]).collect() };
    stream.update(&head, true, false).unwrap();
    let tail = Rows { keys: None, times: None, columns: cols.iter().map(|c| &c[cut..]).collect() };
    let got = stream.update(&tail, true, true).unwrap();
    let kernel_outputs = |split| {
        let mut runner = Unsplit { inputs: &cols[2], split };
        dispatch("bbands", &Params::new("bbands", &s.params), &mut runner).unwrap()
    };
    let unsplit = kernel_outputs(Split::NONE);
    for j in 0..3 {
        assert!(same_bits(&got[0][j], &unsplit[j][cut..]), "output {j}");
    }
}

struct Unsplit<'a> {
    inputs: &'a [f64],
    split: Split,
}

impl Runner for Unsplit<'_> {
    type Out = Vec<Vec<f64>>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let inputs: [&[f64]; I] = std::array::from_fn(|_| self.inputs);
        run_slices_split(kernel, inputs, self.split).into_iter().collect()
    }
}

#[test]
fn memory_per_key_is_the_window() {
    let stream = Stream::new(vec![spec("sma", &[("window", 50.0)], &[0])], 1, false, String::new()).unwrap();
    let per_key = stream.bytes_per_key()[0];
    assert!((50 * 8..50 * 8 + 200).contains(&per_key), "{per_key}");
}

#[test]
fn keys_first_seen_in_one_update_each_get_their_own_state() {
    let a = bars(60, 11);
    let b = bars(60, 12);
    let s = vec![spec("rolling_sum", &[("window", 20.0)], &[2])];
    let mut stream = Stream::new(s.clone(), 3, false, String::new()).unwrap();
    // A key known before, so that the new ones are numbered after it.
    let first = Rows { keys: Some(vec![KeyRef::Int(0)]), times: None, columns: a.iter().map(|c| &c[..1]).collect() };
    stream.update(&first, true, false).unwrap();
    let mut keys = vec![];
    let mut cols: [Vec<f64>; 3] = Default::default();
    for i in 0..60 {
        for (k, src) in [(KeyRef::Int(1), &a), (KeyRef::Int(2), &b)] {
            keys.push(k);
            for j in 0..3 {
                cols[j].push(src[j][i]);
            }
        }
    }
    let rows = Rows { keys: Some(keys), times: None, columns: cols.iter().map(|c| &c[..]).collect() };
    let out = stream.update(&rows, true, true).unwrap();
    for (key, src) in [(0, &a), (1, &b)] {
        let got: Vec<f64> = out[0][0].iter().skip(key).step_by(2).copied().collect();
        assert!(same_bits(&got, &batch(&s[0], src)[0]), "key {key}");
    }
}
