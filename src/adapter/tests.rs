//! The statistics and settings are process-wide, so every test here holds `LOCK` and starts from defaults.

use std::sync::{Mutex, MutexGuard};

use super::*;

static LOCK: Mutex<()> = Mutex::new(());

fn fresh() -> MutexGuard<'static, ()> {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    reset_config();
    reset();
    guard
}

fn set(items: &[(&str, Value)]) -> Result<Vec<(String, Value)>, ConfigError> {
    configure(&items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>())
}

fn op(s: &Snapshot, op: Op) -> &OpSnapshot {
    &s.ops[op as usize]
}

#[test]
fn defaults() {
    let _g = fresh();
    let cfg = get_config();
    assert_eq!(cfg.iter().map(|(k, _)| *k).collect::<Vec<_>>(), OPTIONS);
    assert_eq!(cfg[0].1, Value::Str("auto".into()));
    assert_eq!(cfg[1].1, Value::Bool(true));
    assert_eq!(DEFAULT_GPU_MIN_CANDLES, None);
    assert_eq!(cfg[2].1, Value::None);
    assert_eq!(cfg[3].1, Value::Bool(false));
    assert!(!gpu_available(), "this build has no GPU backend");
}

#[test]
fn configure_validates_everything_before_applying() {
    let _g = fresh();
    let err = set(&[("default_engine", Value::Str("tpu".into()))]).unwrap_err();
    assert_eq!(err.0, "configure: default_engine must be one of 'auto', 'cpu', 'gpu', got 'tpu'");
    let err = set(&[("engine", Value::Str("cpu".into()))]).unwrap_err();
    assert_eq!(
        err.0,
        "configure: unknown option 'engine'; valid options are default_engine, gpu_fallback, gpu_min_candles, \
         performance_tracking"
    );
    let err = set(&[("gpu_min_candles", Value::Int(-1))]).unwrap_err();
    assert_eq!(err.0, "configure: gpu_min_candles must be an integer >= 0 or None, got -1");
    let err = set(&[("performance_tracking", Value::Int(1))]).unwrap_err();
    assert_eq!(err.0, "configure: performance_tracking must be True or False, got 1");
    let err = set(&[("gpu_fallback", Value::Other("None".into()))]).unwrap_err();
    assert_eq!(err.0, "configure: gpu_fallback must be True or False, got None");
    // One bad option: nothing changes.
    assert!(set(&[("default_engine", Value::Str("cpu".into())), ("gpu_min_candles", Value::Str("x".into()))]).is_err());
    assert_eq!(default_engine(), EngineChoice::Auto);
    // Good options apply together and report what they replaced.
    let prev = set(&[("default_engine", Value::Str("GPU".into())), ("performance_tracking", Value::Bool(true))]);
    assert_eq!(
        prev.unwrap(),
        vec![
            ("default_engine".to_string(), Value::Str("auto".into())),
            ("performance_tracking".into(), Value::Bool(false))
        ]
    );
    assert_eq!(default_engine(), EngineChoice::Gpu);
    assert!(tracking_enabled());
    reset_config();
    assert!(!tracking_enabled());
}

fn pick(requested: Option<EngineChoice>, candles: u64, gpu: GpuPresence) -> Result<Engine, NoGpu> {
    select_engine(requested, candles, || gpu).map(|s| s.engine)
}

#[test]
fn engine_selection() {
    let _g = fresh();
    use EngineChoice::*;
    use GpuPresence::{Hardware, Software};
    // auto with no measured threshold (the default): the CPU, however large the work
    assert_eq!(pick(Some(Auto), u64::MAX - 1, Hardware), Ok(Engine::Cpu));
    set(&[("gpu_min_candles", Value::Int(1000)), ("performance_tracking", Value::Bool(true))]).unwrap();
    // auto: GPU only with a hardware adapter and enough work
    assert_eq!(pick(Some(Auto), 999, Hardware), Ok(Engine::Cpu));
    assert_eq!(pick(Some(Auto), 1000, Hardware), Ok(Engine::Gpu));
    assert_eq!(pick(Some(Auto), 1_000_000, Software), Ok(Engine::Cpu));
    assert_eq!(pick(Some(Auto), 1_000_000, GpuPresence::None), Ok(Engine::Cpu));
    assert_eq!(pick(Some(Cpu), 1_000_000, Hardware), Ok(Engine::Cpu));
    // gpu: any adapter, software included
    assert_eq!(pick(Some(Gpu), 1, Hardware), Ok(Engine::Gpu));
    assert_eq!(pick(Some(Gpu), 1, Software), Ok(Engine::Gpu));
    // gpu without a GPU: the CPU, marked as a fallback, or an error when fallback is off
    assert_eq!(
        select_engine(Some(Gpu), 1, || GpuPresence::None),
        Ok(Selection { engine: Engine::Cpu, fallback: true })
    );
    set(&[("gpu_fallback", Value::Bool(false))]).unwrap();
    assert_eq!(pick(Some(Gpu), 1, GpuPresence::None), Err(NoGpu));
    assert!(NoGpu.to_string().contains("engine='cpu'"));
    // no explicit choice: the configured default
    set(&[("default_engine", Value::Str("cpu".into()))]).unwrap();
    assert_eq!(pick(None, 1_000_000, Hardware), Ok(Engine::Cpu));
    set(&[("default_engine", Value::Str("auto".into()))]).unwrap();
    assert_eq!(pick(None, 1_000_000, Hardware), Ok(Engine::Gpu));
    // an explicit choice beats the default
    set(&[("default_engine", Value::Str("gpu".into()))]).unwrap();
    assert_eq!(pick(Some(Cpu), 1_000_000, Hardware), Ok(Engine::Cpu));
    // unsetting the threshold puts auto back on the CPU
    let prev = set(&[("gpu_min_candles", Value::None)]).unwrap();
    assert_eq!(prev, vec![("gpu_min_candles".to_string(), Value::Int(1000))]);
    assert_eq!(gpu_min_candles(), None);
    assert_eq!(pick(Some(Auto), 1_000_000, Hardware), Ok(Engine::Cpu));
    // selecting is a query: nothing was counted, not even for the fallback above
    assert_eq!(snapshot().fallbacks, 0);
    assert_eq!(snapshot().total_calls, 0);
}

#[test]
fn the_probe_runs_only_when_the_answer_depends_on_it() {
    let _g = fresh();
    let probed = std::cell::Cell::new(0);
    let probe = || {
        probed.set(probed.get() + 1);
        GpuPresence::Hardware
    };
    // cpu, and auto without a threshold or below it, never load a GPU driver
    select_engine(Some(EngineChoice::Cpu), 1_000_000, probe).unwrap();
    select_engine(Some(EngineChoice::Auto), 1_000_000, probe).unwrap();
    set(&[("gpu_min_candles", Value::Int(1000))]).unwrap();
    select_engine(Some(EngineChoice::Auto), 999, probe).unwrap();
    assert_eq!(probed.get(), 0);
    select_engine(Some(EngineChoice::Auto), 1000, probe).unwrap();
    select_engine(Some(EngineChoice::Gpu), 1, probe).unwrap();
    assert_eq!(probed.get(), 2);
}

#[test]
fn nothing_recorded_with_tracking_off() {
    let _g = fresh();
    record(Op::Render, Engine::Cpu, 1000, 10, 10);
    record_fallback();
    drop(Tracked::start(Op::Indicator, 5));
    let s = snapshot();
    assert_eq!((s.total_calls, s.cpu_calls, s.fallbacks, s.rows_processed, s.bytes_produced), (0, 0, 0, 0, 0));
    assert!(!s.tracking);
}

#[test]
fn counters_histograms_and_reset() {
    let _g = fresh();
    set(&[("performance_tracking", Value::Bool(true))]).unwrap();
    record(Op::Render, Engine::Cpu, 2_000, 500, 10_000);
    record(Op::Render, Engine::Gpu, 4_000, 1_500, 30_000);
    record(Op::parse("no-such-op"), Engine::Cpu, 100, 7, 0);
    {
        let mut t = track_indicator(1000, 3, true);
        t.set_engine(Engine::Cpu);
    }
    Tracked::start(Op::Transform, 9).cancel();
    record_fallback();
    let s = snapshot();
    assert!(s.tracking);
    assert_eq!(s.total_calls, 4);
    assert_eq!((s.cpu_calls, s.gpu_calls, s.fallbacks), (3, 1, 1));
    assert_eq!(s.candles_processed, 2_000);
    assert_eq!(s.rows_processed, 1_007);
    assert_eq!(s.bytes_produced, 40_000 + 12_000);
    let r = op(&s, Op::Render);
    assert_eq!((r.calls, r.rows, r.bytes), (2, 2000, 40_000));
    assert_eq!((r.latency.count, r.latency.max_ns), (2, 4000));
    assert!((1_900..=2_100).contains(&r.latency.p50_ns), "{:?}", r.latency);
    assert_eq!(r.latency.p99_ns, 4000);
    assert_eq!(op(&s, Op::Other).calls, 1);
    assert_eq!(op(&s, Op::Transform).calls, 0);
    let i = op(&s, Op::Indicator);
    assert_eq!((i.calls, i.rows, i.bytes), (1, 1000, 12_000));
    assert!(i.latency.max_ns > 0);
    reset();
    let z = snapshot();
    assert_eq!((z.total_calls, z.cpu_calls, z.gpu_calls, z.fallbacks, z.bytes_produced), (0, 0, 0, 0, 0));
    assert!(z.ops.iter().all(|o| o.calls == 0 && o.rows == 0 && o.latency == LatencySummary::default()));
    assert_eq!(z.memory_bytes, s.memory_bytes);
}

#[test]
fn exact_counts_under_threads() {
    let _g = fresh();
    set(&[("performance_tracking", Value::Bool(true))]).unwrap();
    let before = memory_bytes();
    stress(1_000_003, 8);
    let s = snapshot();
    assert_eq!(s.total_calls, 1_000_003);
    assert_eq!(s.cpu_calls, 1_000_003);
    assert_eq!(s.rows_processed + s.candles_processed, 1_000_003);
    assert_eq!(s.bytes_produced, 8 * 1_000_003);
    assert_eq!(s.ops.iter().map(|o| o.latency.count).sum::<u64>(), 1_000_003);
    assert_eq!(s.memory_bytes, before);
    for o in &s.ops {
        let l = o.latency;
        assert!(l.p50_ns <= l.p90_ns && l.p90_ns <= l.p99_ns && l.p99_ns <= l.max_ns, "{l:?}");
    }
}

#[test]
fn memory_is_fixed_and_small() {
    // 5 operations x (544 buckets + counters) + 3 padded counters: well under 32 KiB.
    assert!(memory_bytes() < 32 * 1024, "{}", memory_bytes());
}
