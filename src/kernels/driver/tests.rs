use super::*;

thread_local! {
    /// Parts recomputed on this thread because their warm-up had not converged (the seams are checked on the
    /// calling thread, so each test sees only its own).
    pub(super) static REDONE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn redone() -> usize {
    REDONE.with(|n| n.get())
}

thread_local! {
    /// Tiles a map-ahead scan on this thread found already mapped by its helper.
    pub(super) static MAPPED_BY_HELPER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Running count of valid bars seen: shows exactly which rows reach the kernel.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Count(f64);
impl Kernel<2, 1> for Count {
    fn step(&mut self, _x: [f64; 2]) -> [f64; 1] {
        self.0 += 1.0;
        [if self.0 >= 2.0 { self.0 } else { f64::NAN }]
    }
}

#[test]
fn missing_rows_are_skipped_and_yield_nan() {
    let a = [1.0, f64::NAN, 3.0, 4.0, 5.0];
    let b = [1.0, 2.0, 3.0, f64::NAN, 5.0];
    let [out] = run_slices(Count(0.0), [&a, &b]);
    let shown: Vec<Option<f64>> = out.iter().map(|v| if v.is_nan() { None } else { Some(*v) }).collect();
    assert_eq!(shown, vec![None, None, Some(2.0), None, Some(3.0)]);
}

#[test]
fn validity_bits_mark_missing_rows_across_segments() {
    let v1 = [1.0, 1.0, 1.0];
    // bit offset 1 into 0b0000_0110: rows read bits 1, 2, 3 -> valid, valid, invalid
    let bits = [0b0000_0110u8];
    let segments = [
        Segment {
            start: 0,
            columns: [Column { values: Values::F64(&v1), validity: Some((&bits, 1)) }, Column::dense(&v1)],
        },
        Segment { start: 3, columns: [Column::dense(&v1), Column::dense(&v1)] },
    ];
    let [(out, validity)] = drive::<_, f64, 2, 1>(Count(0.0), &segments, 6, Split::DEFAULT);
    assert_eq!(validity, Validity::NaNMask);
    let valid: Vec<bool> = out.iter().map(|v| !v.is_nan()).collect();
    assert_eq!(valid, vec![false, true, false, true, true, true]);
    assert_eq!(&out[3..], &[3.0, 4.0, 5.0]);
}

#[test]
fn warm_up_only_gives_prefix_validity() {
    let a = [1.0, 2.0, 3.0];
    let [(_, validity)] = drive::<_, f64, 2, 1>(
        Count(0.0),
        &[Segment { start: 0, columns: [Column::dense(&a), Column::dense(&a)] }],
        3,
        Split::DEFAULT,
    );
    assert_eq!(validity, Validity::Prefix(1));
}

#[test]
fn boundaries_depend_on_length_only() {
    let split = Split { min_part_rows: 100, max_parts: 4, helpers: true };
    assert_eq!(split.boundaries(150), vec![0, 150]);
    assert_eq!(split.boundaries(250), vec![0, 125, 250]);
    assert_eq!(split.boundaries(10_000), vec![0, 2500, 5000, 7500, 10_000]);
    assert_eq!(Split::NONE.boundaries(10_000), vec![0, 10_000]);
}

#[test]
fn warm_up_start_counts_valid_bars_backwards_across_segments() {
    let a = [1.0, f64::NAN, 3.0, 4.0];
    let b = [f64::NAN, 6.0, 7.0];
    let segments =
        [Segment { start: 0, columns: [Column::dense(&a)] }, Segment { start: 4, columns: [Column::dense(&b)] }];
    // valid rows: 0, 2, 3, 5, 6
    assert_eq!(warm_up_start(&segments, 7, 2), Some(5));
    assert_eq!(warm_up_start(&segments, 7, 3), Some(3));
    assert_eq!(warm_up_start(&segments, 5, 3), Some(0));
    assert_eq!(warm_up_start(&segments, 5, 4), None);
    assert_eq!(warm_up_start(&segments, 5, 0), Some(5));
}

/// A test recursion `v ← k·v + (1 − k)·x` that declares it converges: splitting must reproduce the unsplit bits.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Smooth {
    k: f64,
    v: f64,
    seen: bool,
}
impl Kernel<1, 1> for Smooth {
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        self.v = if self.seen { self.v * self.k + x * (1.0 - self.k) } else { x };
        self.seen = true;
        [self.v]
    }
    fn restart(&self) -> Option<Restart> {
        Some(Restart::converges(self.k, 1))
    }
    fn copy(&self) -> Self {
        self.clone()
    }
    fn same_state(&self, other: &Self) -> bool {
        self == other
    }
}

fn walk(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut level = 100.0;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            level *= 1.0 + 0.02 * ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            level
        })
        .collect()
}

const SMALL_PARTS: Split = Split { min_part_rows: 2_000, max_parts: 8, helpers: true };

#[test]
fn a_converging_recursion_split_into_parts_equals_the_unsplit_run_bit_for_bit() {
    let mut x = walk(20_000, 3);
    for i in (0..x.len()).step_by(97) {
        x[i] = f64::NAN;
    }
    let smooth = Smooth { k: 0.9, v: 0.0, seen: false };
    let [whole] = run_slices_split(smooth.clone(), [&x], Split::NONE);
    let [parts] = run_slices_split(smooth, [&x], SMALL_PARTS);
    assert_eq!(
        whole.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        parts.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_part_whose_warm_up_did_not_converge_is_recomputed() {
    // A slowly forgetting recursion that claims a far too short warm-up: the seam check must catch every part.
    #[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Liar(Smooth);
    impl Kernel<1, 1> for Liar {
        fn step(&mut self, x: [f64; 1]) -> [f64; 1] {
            self.0.step(x)
        }
        fn restart(&self) -> Option<Restart> {
            Some(Restart::Converges(3))
        }
        fn copy(&self) -> Self {
            self.clone()
        }
        fn same_state(&self, other: &Self) -> bool {
            self == other
        }
    }
    let x = walk(20_000, 5);
    let liar = Liar(Smooth { k: 0.999, v: 0.0, seen: false });
    let [whole] = run_slices_split(liar.clone(), [&x], Split::NONE);
    let before = redone();
    let [parts] = run_slices_split(liar, [&x], SMALL_PARTS);
    assert_eq!(whole, parts);
    assert_eq!(redone() - before, 7, "every seam of the eight parts");
}

#[test]
fn too_few_valid_bars_before_a_boundary_keep_the_parts_together() {
    // Only NaN before row 15,000: the boundaries inside that stretch have no warm-up bars and are dropped.
    let mut x = walk(20_000, 9);
    x[..15_000].fill(f64::NAN);
    let smooth = Smooth { k: 0.5, v: 0.0, seen: false };
    let segments = [Segment { start: 0, columns: [Column::dense(&x)] }];
    let bounds = part_starts(&segments, &SMALL_PARTS.boundaries(x.len()), 70);
    assert!(bounds.iter().all(|&(b, _)| b == 0 || b >= 15_000 + 70), "{bounds:?}");
    let [whole] = run_slices_split(smooth.clone(), [&x], Split::NONE);
    let [parts] = run_slices_split(smooth, [&x], SMALL_PARTS);
    assert_eq!(
        whole.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        parts.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn the_same_column_gives_the_same_bits_in_one_chunk_or_many() {
    let x = walk(30_000, 11);
    let kernel = || crate::kernels::rolling::Mean(crate::kernels::blocks::RollingMean::new(20));
    let one = [Segment { start: 0, columns: [Column::dense(&x)] }];
    let [(a, _)] = drive::<_, f64, 1, 1>(kernel(), &one, x.len(), SMALL_PARTS);
    let cuts = [0, 1, 777, 4_000, 4_001, 19_999, 30_000];
    let many: Vec<Segment<'_, 1>> =
        cuts.windows(2).map(|w| Segment { start: w[0], columns: [Column::dense(&x[w[0]..w[1]])] }).collect();
    let [(b, _)] = drive::<_, f64, 1, 1>(kernel(), &many, x.len(), SMALL_PARTS);
    assert_eq!(a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
}

#[test]
fn a_window_kernel_split_into_parts_agrees_with_the_unsplit_run() {
    let mut x = walk(50_000, 13);
    for i in (0..x.len()).step_by(131) {
        x[i] = f64::NAN;
    }
    let kernel = || crate::kernels::rolling::Mean(crate::kernels::blocks::RollingMean::new(20));
    let [whole] = run_slices_split(kernel(), [&x], Split::NONE);
    let [parts] = run_slices_split(kernel(), [&x], SMALL_PARTS);
    for (i, (a, b)) in whole.iter().zip(&parts).enumerate() {
        assert!(a.is_nan() == b.is_nan() && (a.is_nan() || (a - b).abs() <= 1e-12 * a.abs()), "row {i}: {a} vs {b}");
    }
}

#[test]
fn the_catalogue_recursions_converge_within_their_declared_warm_up_on_market_like_data() {
    // Bit-identical results are guaranteed either way; this checks the warm-ups are long enough that the
    // threads' work is kept (a recomputed part costs a serial pass).
    let close = walk(40_000, 17);
    let high: Vec<f64> = close.iter().map(|c| c * 1.004).collect();
    let low: Vec<f64> = close.iter().map(|c| c * 0.996).collect();
    // (indicator, parameters, inputs)
    type Case<'a> = (&'a str, &'a [(&'a str, f64)], Vec<&'a [f64]>);
    let cases: [Case; 11] = [
        ("ema", &[("window", 20.0)], vec![&close]),
        ("adx", &[("window", 14.0)], vec![&high, &low, &close]),
        ("adxr", &[("window", 14.0)], vec![&high, &low, &close]),
        ("plus_di", &[("window", 14.0)], vec![&high, &low, &close]),
        ("minus_di", &[("window", 2.0)], vec![&high, &low, &close]),
        ("t3", &[("window", 5.0), ("vfactor", 0.7)], vec![&close]),
        ("trix", &[("window", 30.0)], vec![&close]),
        ("rsi", &[("window", 14.0)], vec![&close]),
        ("macd", &[("fastperiod", 12.0), ("slowperiod", 26.0), ("signalperiod", 9.0)], vec![&close]),
        ("atr", &[("window", 14.0)], vec![&high, &low, &close]),
        ("tema", &[("window", 30.0)], vec![&close]),
    ];
    for (name, params, inputs) in cases {
        let values = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let p = crate::kernels::Params::new(name, &values);
        let mut whole = SplitRunner { inputs: inputs.clone(), split: Split::NONE, redone: 0 };
        let mut parts = SplitRunner { inputs, split: SMALL_PARTS, redone: 0 };
        let a = crate::kernels::dispatch(name, &p, &mut whole).unwrap();
        let b = crate::kernels::dispatch(name, &p, &mut parts).unwrap();
        let bits =
            |v: &Vec<Vec<f64>>| v.iter().map(|c| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "{name}");
        assert_eq!(parts.redone, 0, "{name}: parts recomputed");
    }
}

/// Runs a catalogue kernel over slices with a given split, counting the parts recomputed meanwhile.
struct SplitRunner<'a> {
    inputs: Vec<&'a [f64]>,
    split: Split,
    redone: usize,
}
impl crate::kernels::Runner for SplitRunner<'_> {
    type Out = Vec<Vec<f64>>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let inputs: [&[f64]; I] = self.inputs.as_slice().try_into().unwrap();
        let len = inputs[0].len();
        let segment = Segment { start: 0, columns: inputs.map(Column::dense) };
        let before = redone();
        let out = drive(kernel, &[segment], len, self.split).map(|(v, _)| v).into_iter().collect();
        self.redone += redone() - before;
        out
    }
}

#[test]
fn rsi_after_a_long_flat_stretch_is_recomputed_and_still_exact() {
    // Flat prices make both of RSI's smoothers decay together, so their ratio (the RSI) carries the history before
    // the stretch however long it is: a part starting inside it cannot know it and must be recomputed.
    let mut close = walk(20_000, 23);
    let level = close[4_000];
    close[4_000..12_000].fill(level);
    let values = [("window".to_string(), 14.0)].into_iter().collect();
    let p = crate::kernels::Params::new("rsi", &values);
    let mut whole = SplitRunner { inputs: vec![&close], split: Split::NONE, redone: 0 };
    let mut parts = SplitRunner { inputs: vec![&close], split: SMALL_PARTS, redone: 0 };
    let a = crate::kernels::dispatch("rsi", &p, &mut whole).unwrap();
    let b = crate::kernels::dispatch("rsi", &p, &mut parts).unwrap();
    assert!(parts.redone >= 1);
    assert_eq!(
        a[0].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b[0].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    // The flat stretch keeps the RSI of its first bar, not 0 or NaN.
    assert!(a[0][11_000] > 0.0 && a[0][11_000] < 100.0);
}

#[test]
fn parts_on_the_caller_only_give_the_bits_of_parts_on_the_pool() {
    // A window kernel's running sums restart at each part, so its last bits depend on where the parts are: a caller
    // that already runs in parallel must keep the parts and change only the threads.
    let mut x = walk(50_000, 29);
    for i in (0..x.len()).step_by(113) {
        x[i] = f64::NAN;
    }
    let kernel = || crate::kernels::rolling::Mean(crate::kernels::blocks::RollingMean::new(20));
    let [pooled] = run_slices_split(kernel(), [&x], SMALL_PARTS);
    let [serial] = run_slices_split(kernel(), [&x], SMALL_PARTS.on_caller_only());
    assert_eq!(
        pooled.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        serial.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_kernel_panic_in_any_part_unwinds_to_the_caller() {
    // A kernel that fails on one bar (in the last part): whichever thread computes that part, the caller gets the
    // panic as an unwind it can catch, as the plugin layer does.
    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    struct FailsAt(f64);
    impl Kernel<1, 1> for FailsAt {
        fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
            assert!(x != self.0, "bad bar");
            [x]
        }
        fn restart(&self) -> Option<Restart> {
            Some(Restart::Window(1))
        }
        fn copy(&self) -> Self {
            self.clone()
        }
    }
    let x: Vec<f64> = (0..20_000).map(f64::from).collect();
    for split in [SMALL_PARTS, SMALL_PARTS.on_caller_only()] {
        let caught = std::panic::catch_unwind(|| run_slices_split(FailsAt(19_500.0), [&x], split));
        assert!(caught.is_err(), "{split:?}");
    }
    let [ok] = run_slices_split(FailsAt(-1.0), [&x], SMALL_PARTS);
    assert_eq!(ok, x);
}

/// A running total of `2x`, as a map (`2x`, which panics on the value -1) and a scan: the shape of AD.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Doubled(f64);
impl Doubled {
    fn double(x: f64) -> f64 {
        assert!(x != -1.0, "map_dense panics on -1");
        2.0 * x
    }
}
impl Kernel<1, 1> for Doubled {
    const DENSE: bool = true;
    const MAPS_AHEAD: bool = true;
    fn step(&mut self, [x]: [f64; 1]) -> [f64; 1] {
        self.0 += Self::double(x);
        [self.0]
    }
    fn run_dense(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        Self::map_dense([xs], &mut out[..]);
        self.scan_mapped([xs], [out]);
    }
    fn map_dense([xs]: [&[f64]; 1], out: &mut [MaybeUninit<f64>]) {
        for (slot, &x) in out.iter_mut().zip(xs) {
            slot.write(Self::double(x));
        }
    }
    fn scan_mapped(&mut self, [xs]: [&[f64]; 1], [out]: [&mut [MaybeUninit<f64>]; 1]) {
        // SAFETY: `map_dense` wrote every slot (the contract of `scan_mapped`).
        let mapped = unsafe { assume_written(&mut out[..xs.len()]) };
        for v in mapped {
            self.0 += *v;
            *v = self.0;
        }
    }
}

#[test]
fn tiles_mapped_ahead_on_a_helper_give_the_bits_of_stepping_and_a_panic_comes_back() {
    // Long enough for the helper (MAP_AHEAD_MIN_ROWS); missing bars in the middle of a tile and at a tile's start.
    let mut x = walk(1 << 20, 5);
    for i in [3, 4096 * 17, 500_001, 500_002] {
        x[i] = f64::NAN;
    }
    let want = crate::kernels::Runner::run(&mut StepRunner { inputs: vec![&x] }, Doubled(0.0));
    // The helper may start late on a machine busy with other tests; it must map some tiles in one of the runs.
    let mut helped = false;
    for _ in 0..20 {
        let before = MAPPED_BY_HELPER.with(|n| n.get());
        let [got] = run_slices(Doubled(0.0), [&x]);
        assert!(got.iter().zip(&want[0]).all(|(a, b)| a.to_bits() == b.to_bits()));
        helped |= MAPPED_BY_HELPER.with(|n| n.get()) > before;
        if helped {
            break;
        }
    }
    assert!(crate::worker_pool::threads() < 2 || helped, "no tile was mapped by the helper in 20 runs");
    // A panic inside the map, on whichever thread meets it, reaches the caller (and nothing waits for ever).
    x[700_000] = -1.0;
    assert!(std::panic::catch_unwind(|| run_slices(Doubled(0.0), [&x])).is_err());
}

/// Steps a kernel bar by bar under the missing-bar rule (the way live streams do), never through `run_dense`.
struct StepRunner<'a> {
    inputs: Vec<&'a [f64]>,
}
impl crate::kernels::Runner for StepRunner<'_> {
    type Out = Vec<Vec<f64>>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, mut kernel: K) -> Self::Out {
        let inputs: [&[f64]; I] = self.inputs.as_slice().try_into().unwrap();
        let mut out = vec![Vec::new(); O];
        for i in 0..inputs[0].len() {
            let x: [f64; I] = std::array::from_fn(|j| inputs.get(j).map_or(f64::NAN, |col| col[i]));
            let y = if x.iter().any(|v| is_missing_value(*v)) { [f64::NAN; O] } else { kernel.step(x) };
            for j in 0..O {
                out[j].push(y[j]);
            }
        }
        out
    }
}

#[test]
fn dense_tiles_give_the_bits_of_stepping_bar_by_bar() {
    // Long enough for many tiles of every size; missing bars in a few stretches, so that dense tiles, tiles that
    // go row by row and the start of the series all meet. A null bitmap covers a second stretch.
    let n = 300_000;
    let close = walk(n, 3);
    let mut high: Vec<f64> = close.iter().enumerate().map(|(i, c)| c + 0.1 + (i % 7) as f64 * 0.01).collect();
    let mut low: Vec<f64> = close.iter().enumerate().map(|(i, c)| c - 0.1 - (i % 5) as f64 * 0.01).collect();
    let mut close = close;
    for i in [5, 70_000, 70_001, 150_000, 299_990] {
        close[i] = f64::NAN;
    }
    low[200_123] = f64::INFINITY;
    // A plateau: equal highs, where the newest of them is the extreme an age counts from.
    high[120_000..120_100].fill(1e6);
    // Ties of zeros of both signs, where which of two equal values a fold keeps shows in the sign bit.
    for (i, v) in (100_000..100_200).zip([0.0, -0.0].iter().cycle()) {
        low[i] = *v;
        close[i] = *v;
    }
    // Volume with a stretch of zeros (no money flow: the counted window sums are exactly zero) and a flat
    // stretch where high, low and close agree (no true range).
    let mut volume: Vec<f64> = (0..n).map(|i| 1_000.0 + ((i * 7_919) % 1_000) as f64).collect();
    volume[180_000..180_400].fill(0.0);
    for i in 250_000..250_300 {
        (high[i], low[i], close[i]) = (42.0, 42.0, 42.0);
    }
    // (kernel, parameters, inputs: close alone, high and low, high, low and close, or those and volume)
    type Case<'a> = (&'a str, &'a [(&'a str, f64)], usize);
    let cases: &[Case] = &[
        ("sma", &[("window", 20.0)], 1),
        ("sma", &[("window", 1.0)], 1),
        ("sma", &[("window", 3000.0)], 1),
        ("rolling_sum", &[("window", 7.0)], 1),
        ("rolling_max", &[("window", 5.0)], 1),
        ("rolling_min", &[("window", 16.0)], 1),
        ("rolling_max", &[("window", 30.0)], 1),
        ("rolling_max", &[("window", 1.0)], 1),
        ("rolling_min", &[("window", 17.0)], 1),
        ("rolling_min", &[("window", 250.0)], 1),
        ("rolling_max", &[("window", 40_000.0)], 1),
        ("mom", &[("window", 10.0)], 1),
        ("roc", &[("window", 1.0)], 1),
        ("roc", &[("window", 5000.0)], 1),
        ("aroon", &[("window", 14.0)], 2),
        ("aroon", &[("window", 2.0)], 2),
        ("aroon_osc", &[("window", 25.0)], 2),
        ("aroon_osc", &[("window", 300.0)], 2),
        ("stoch", &[("fastk_period", 5.0), ("slowk_period", 3.0), ("slowd_period", 3.0)], 3),
        ("stochf", &[("fastk_period", 5.0), ("fastd_period", 3.0)], 3),
        ("stochf", &[("fastk_period", 40.0), ("fastd_period", 1.0)], 3),
        ("stochrsi", &[("window", 14.0), ("fastk_period", 5.0), ("fastd_period", 3.0)], 1),
        ("stochrsi", &[("window", 2.0), ("fastk_period", 30.0), ("fastd_period", 9.0)], 1),
        ("willr", &[("window", 14.0)], 3),
        ("willr", &[("window", 40.0)], 3),
        ("cci", &[("window", 14.0)], 3),
        ("cci", &[("window", 1.0)], 3),
        ("ema", &[("window", 20.0)], 1),
        ("ema", &[("window", 1.0)], 1),
        ("rsi", &[("window", 14.0)], 1),
        ("rsi", &[("window", 1.0)], 1),
        ("cmo", &[("window", 14.0)], 1),
        ("atr", &[("window", 14.0)], 3),
        ("atr", &[("window", 1.0)], 3),
        ("natr", &[("window", 14.0)], 3),
        ("natr", &[("window", 1.0)], 3),
        ("atr", &[("window", 5000.0)], 3),
        ("mfi", &[("window", 14.0)], 4),
        ("mfi", &[("window", 1.0)], 4),
        ("mfi", &[("window", 3000.0)], 4),
        ("ultosc", &[("timeperiod1", 7.0), ("timeperiod2", 14.0), ("timeperiod3", 28.0)], 3),
        ("ultosc", &[("timeperiod1", 1.0), ("timeperiod2", 2.0), ("timeperiod3", 3.0)], 3),
        ("ultosc", &[("timeperiod1", 5000.0), ("timeperiod2", 10.0), ("timeperiod3", 20.0)], 3),
        ("ultosc", &[("timeperiod1", 1.0), ("timeperiod2", 3000.0), ("timeperiod3", 2.0)], 3),
        ("trima", &[("window", 30.0)], 1),
        ("trima", &[("window", 7.0)], 1),
        ("trima", &[("window", 1.0)], 1),
        ("trima", &[("window", 5001.0)], 1),
        ("t3", &[("window", 5.0), ("vfactor", 0.7)], 1),
        ("t3", &[("window", 1.0), ("vfactor", 0.0)], 1),
        ("t3", &[("window", 2000.0), ("vfactor", 0.7)], 1),
        ("wma", &[("window", 30.0)], 1),
        ("wma", &[("window", 1.0)], 1),
        ("wma", &[("window", 5000.0)], 1),
        ("trix", &[("window", 30.0)], 1),
        ("trix", &[("window", 1.0)], 1),
        ("kama", &[("window", 10.0)], 1),
        ("kama", &[("window", 1.0)], 1),
        ("kama", &[("window", 3000.0)], 1),
        ("bbands", &[("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 1.5)], 1),
        ("bbands", &[("window", 2.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)], 1),
        ("stddev", &[("window", 5.0), ("nbdev", 1.0)], 1),
        ("stddev", &[("window", 3000.0), ("nbdev", 1.0)], 1),
        ("rolling_std", &[("window", 20.0), ("ddof", 1.0)], 1),
        ("rolling_var", &[("window", 1.0), ("ddof", 1.0)], 1),
        ("true_range", &[], 3),
        ("dema", &[("window", 20.0)], 1),
        ("tema", &[("window", 5.0)], 1),
        ("tema", &[("window", 1.0)], 1),
        ("macd", &[("fastperiod", 12.0), ("slowperiod", 26.0), ("signalperiod", 9.0)], 1),
        ("macd", &[("fastperiod", 3.0), ("slowperiod", 5.0), ("signalperiod", 1.0)], 1),
        ("ad", &[], 4),
        ("adosc", &[("fastperiod", 3.0), ("slowperiod", 10.0)], 4),
        ("adosc", &[("fastperiod", 10.0), ("slowperiod", 3.0)], 4),
    ];
    for &(name, params, inputs) in cases {
        let cols: Vec<&[f64]> =
            [&close[..], &high, &low, &close, &volume][if inputs == 1 { 0..1 } else { 1..1 + inputs }].to_vec();
        let values = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let p = crate::kernels::Params::new(name, &values);
        let want = crate::kernels::dispatch(name, &p, &mut StepRunner { inputs: cols.clone() }).unwrap();
        let got = crate::kernels::catalogue::compute(name, params, &cols).unwrap();
        // With a bitmap: the same rows null through validity bits instead of NaN values.
        let bits: Vec<u8> = (0..n.div_ceil(8)).map(|b| if b == 40_000 / 8 { 0b1011_1111 } else { 0xFF }).collect();
        let masked = 40_006;
        for (j, (w, g)) in want.iter().zip(&got).enumerate() {
            let same = w.iter().zip(g).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            assert!(same, "{name} {params:?} output {j} differs from bar-by-bar stepping");
        }
        if inputs == 1 {
            let mut r = BitmapRunner { values: &close, bits: &bits };
            let with_bits = crate::kernels::dispatch(name, &p, &mut r).unwrap();
            let mut holed = close.clone();
            holed[masked] = f64::NAN;
            let want = crate::kernels::dispatch(name, &p, &mut StepRunner { inputs: vec![&holed] }).unwrap();
            let same = want[0]
                .iter()
                .zip(&with_bits[0])
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            assert!(same, "{name} {params:?} with a null bitmap differs from bar-by-bar stepping");
        }
    }
}

/// Drives a kernel whose every input is `values` with the validity bitmap `bits`, in one segment.
struct BitmapRunner<'a> {
    values: &'a [f64],
    bits: &'a [u8],
}
impl crate::kernels::Runner for BitmapRunner<'_> {
    type Out = Vec<Vec<f64>>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let column = Column { values: Values::F64(self.values), validity: Some((self.bits, 0)) };
        let segment = Segment { start: 0, columns: [column; I] };
        drive(kernel, &[segment], self.values.len(), Split::NONE).map(|(v, _)| v).into_iter().collect()
    }
}

/// Runs a catalogue kernel over one input column, stored as given and cut into two segments at `cut`, with a null
/// bitmap; the outputs come back as `f64` (Float32 ones widened exactly) to compare.
struct StoredRunner<'a> {
    values: Values<'a>,
    bits: &'a [u8],
    cut: usize,
    float32: bool,
}
impl crate::kernels::Runner for StoredRunner<'_> {
    type Out = Vec<Vec<f64>>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let len = self.values.len();
        let column = |a: usize, b: usize| Column { values: self.values.slice(a, b), validity: Some((self.bits, a)) };
        let segments = [
            Segment { start: 0, columns: [column(0, self.cut); I] },
            Segment { start: self.cut, columns: [column(self.cut, len); I] },
        ];
        if self.float32 {
            let out = drive::<K, f32, I, O>(kernel, &segments, len, SMALL_PARTS);
            out.into_iter().map(|(v, _)| v.into_iter().map(f64::from).collect()).collect()
        } else {
            drive::<K, f64, I, O>(kernel, &segments, len, SMALL_PARTS).into_iter().map(|(v, _)| v).collect()
        }
    }
}

#[test]
fn float32_columns_give_the_float64_results_rounded_once() {
    // Values that are exact in Float32, so that the Float64 run sees the same numbers; several widening blocks and
    // parts long, a NaN, a null, and a segment boundary inside a block.
    let n = 70_000;
    let mut x32: Vec<f32> = walk(n, 29).iter().map(|&v| v as f32).collect();
    x32[12_345] = f32::NAN;
    let x64: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
    let bits: Vec<u8> = (0..n.div_ceil(8)).map(|b| if b == 5_000 { 0b1110_1111 } else { 0xFF }).collect();
    let cases: [(&str, &[(&str, f64)]); 4] = [
        ("sma", &[("window", 20.0)]),
        ("ema", &[("window", 20.0)]),
        ("rsi", &[("window", 14.0)]),
        ("bbands", &[("window", 20.0), ("nbdevup", 2.0), ("nbdevdn", 2.0)]),
    ];
    for (name, params) in cases {
        let values = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let p = crate::kernels::Params::new(name, &values);
        let run = |values: Values<'_>, float32| {
            let mut r = StoredRunner { values, bits: &bits, cut: 20_001, float32 };
            crate::kernels::dispatch(name, &p, &mut r).unwrap()
        };
        let wide = run(Values::F64(&x64), false);
        let narrow = run(Values::F32(&x32), true);
        assert_eq!(wide.len(), narrow.len());
        for (w, g) in wide.iter().zip(&narrow) {
            let rounded: Vec<u64> = w.iter().map(|&v| f64::from(v as f32).to_bits()).collect();
            assert_eq!(rounded, g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{name}");
            assert!(g[40_004].is_nan() && g[12_345].is_nan(), "{name}: the null and the NaN rows");
        }
    }
}
