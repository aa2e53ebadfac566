//! Live streams: the states of several indicators for many keys (symbols), advanced a few rows at a time.
//!
//! Each indicator keeps its kernels side by side, one `Vec<K>` of the concrete kernel type indexed by key, plus the
//! outputs of each key's newest row; an update is a loop over rows that steps `states[key]`. The rows go through the
//! kernels exactly as the batch driver feeds them (the same [`is_missing_value`] rule, the same `step`, compiled with
//! fused multiply-add where the driver uses it), so a stream's outputs are the batch outputs of an unsplit run.
//!
//! A [`Stream`] is saved as bytes ([`Stream::save`]): a fixed header (magic, layout number, package version), a
//! CRC-32 of the payload and its length, then MessagePack values with field names (so a changed kernel layout fails
//! to read instead of being misread).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Cursor;

use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

use super::catalogue::{dispatch, Runner};
use super::driver::is_missing_value;
use super::{footprint, Kernel, KernelError, Params};

/// Bumped whenever a kernel's state or this file's payload changes shape: older snapshots are then refused.
pub const LAYOUT: u32 = 2;
const MAGIC: &[u8; 8] = b"KFSTREAM";

/// A key as stored: the stream's `by` column is cast to Int64 or String before it reaches Rust.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Key {
    Null,
    Int(i64),
    Str(String),
}

/// A key as read from an update's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRef<'a> {
    Null,
    Int(i64),
    Str(&'a str),
}

impl KeyRef<'_> {
    fn to_owned(self) -> Key {
        match self {
            KeyRef::Null => Key::Null,
            KeyRef::Int(v) => Key::Int(v),
            KeyRef::Str(s) => Key::Str(s.to_string()),
        }
    }
}

impl fmt::Display for KeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::Null => f.write_str("null"),
            KeyRef::Int(v) => write!(f, "{v}"),
            KeyRef::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Key -> dense index (the position of the key's state in every indicator's vector).
#[derive(Default, Clone)]
struct KeyIndex {
    keys: Vec<Key>,
    /// The key index of each row of the last committed update: a feed that sends its symbols in the same order
    /// every bar finds each key by one comparison instead of a hash lookup.
    previous: Vec<u32>,
    ints: HashMap<i64, u32, RandomState>,
    strs: HashMap<String, u32, RandomState>,
    null: Option<u32>,
}

impl KeyIndex {
    /// [`KeyIndex::get`], trying first the key row `row` had in the last committed update.
    fn get_at(&self, row: usize, key: KeyRef<'_>) -> Option<u32> {
        if let Some(&i) = self.previous.get(row) {
            let same = match (&self.keys[i as usize], key) {
                (Key::Str(a), KeyRef::Str(b)) => a == b,
                (Key::Int(a), KeyRef::Int(b)) => *a == b,
                (Key::Null, KeyRef::Null) => true,
                _ => false,
            };
            if same {
                return Some(i);
            }
        }
        self.get(key)
    }

    fn get(&self, key: KeyRef<'_>) -> Option<u32> {
        match key {
            KeyRef::Null => self.null,
            KeyRef::Int(v) => self.ints.get(&v).copied(),
            KeyRef::Str(s) => self.strs.get(s).copied(),
        }
    }

    fn push(&mut self, key: Key) -> u32 {
        let i = self.keys.len() as u32;
        match &key {
            Key::Null => self.null = Some(i),
            Key::Int(v) => {
                self.ints.insert(*v, i);
            }
            Key::Str(s) => {
                self.strs.insert(s.clone(), i);
            }
        }
        self.keys.push(key);
        i
    }

    fn from_keys(keys: Vec<Key>) -> Result<Self, String> {
        let mut index = KeyIndex::default();
        for key in keys {
            let as_ref = match &key {
                Key::Null => KeyRef::Null,
                Key::Int(v) => KeyRef::Int(*v),
                Key::Str(s) => KeyRef::Str(s),
            };
            if index.get(as_ref).is_some() {
                return Err(format!("key {as_ref} appears twice"));
            }
            index.push(key);
        }
        Ok(index)
    }
}

/// One indicator's states for every key, behind its concrete kernel type.
trait States: Send + Sync {
    fn fork(&self) -> Box<dyn States>;
    fn inputs(&self) -> usize;
    fn outputs(&self) -> usize;
    fn keys(&self) -> usize;
    /// Fresh states until there are `keys`.
    fn grow(&mut self, keys: usize);
    /// Steps `rows` (row `r` belongs to key `keys[r]`, every key already grown) and writes the outputs into `out`
    /// (one vector per output, `rows` long) when given.
    fn advance(&mut self, keys: &[u32], columns: &[&[f64]], out: Option<&mut [Vec<f64>]>);
    /// The same outputs as [`States::advance`] on copies of the states, which are then dropped; keys past the grown
    /// ones start fresh.
    fn preview(&self, keys: &[u32], columns: &[&[f64]], out: &mut [Vec<f64>]);
    /// One row `x` (kernel order) for key `key` (already grown), its outputs appended to `out`; `commit: false`
    /// steps a copy.
    fn step_one(&mut self, key: usize, x: &[f64], commit: bool, out: &mut Vec<f64>);
    /// The outputs of each key's newest row, `outputs()` per key.
    fn latest(&self) -> &[f64];
    fn save(&self, buf: &mut Vec<u8>) -> Result<(), String>;
    /// Bytes held per key: the state itself, its heap buffers and its newest outputs.
    fn bytes_per_key(&self) -> usize;
}

#[derive(Clone)]
struct Keyed<K, const I: usize, const O: usize> {
    fresh: K,
    states: Vec<K>,
    last: Vec<f64>,
}

/// [`step_row`] of a single row, compiled for FMA where the processor has it (as [`advance_rows_fma`] is), so that
/// a recursion's `mul_add` is one instruction rather than a call into the C library.
#[inline(always)]
fn step_row_fast<K: Kernel<I, O>, const I: usize, const O: usize>(state: &mut K, columns: &[&[f64]; I]) -> [f64; O] {
    #[cfg(target_arch = "x86_64")]
    if super::blocks::has_fma() {
        // SAFETY: the processor supports FMA (checked just above).
        return unsafe { step_row_fma(state, columns) };
    }
    step_row(state, columns, 0)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn step_row_fma<K: Kernel<I, O>, const I: usize, const O: usize>(state: &mut K, columns: &[&[f64]; I]) -> [f64; O] {
    step_row(state, columns, 0)
}

/// One row through a kernel under the missing-bar rule: a missing input gives no value and leaves the state alone.
#[inline(always)]
fn step_row<K: Kernel<I, O>, const I: usize, const O: usize>(
    state: &mut K,
    columns: &[&[f64]; I],
    r: usize,
) -> [f64; O] {
    let x: [f64; I] = std::array::from_fn(|j| columns[j][r]);
    let missing = x.iter().fold(false, |acc, &v| acc | is_missing_value(v));
    if missing {
        [f64::NAN; O]
    } else {
        state.step(x)
    }
}

#[inline(always)]
fn advance_rows<K: Kernel<I, O>, const I: usize, const O: usize>(
    states: &mut [K],
    last: &mut [f64],
    keys: &[u32],
    columns: &[&[f64]; I],
    mut out: Option<&mut [Vec<f64>]>,
) {
    for (r, &k) in keys.iter().enumerate() {
        let k = k as usize;
        let y = step_row(&mut states[k], columns, r);
        last[k * O..(k + 1) * O].copy_from_slice(&y);
        if let Some(out) = out.as_deref_mut() {
            for j in 0..O {
                out[j][r] = y[j];
            }
        }
    }
}

/// [`advance_rows`] compiled for fused multiply-add, as the driver's loop is (the same bits either way, since
/// `mul_add` is exact in both; this is about speed).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn advance_rows_fma<K: Kernel<I, O>, const I: usize, const O: usize>(
    states: &mut [K],
    last: &mut [f64],
    keys: &[u32],
    columns: &[&[f64]; I],
    out: Option<&mut [Vec<f64>]>,
) {
    advance_rows(states, last, keys, columns, out)
}

impl<K: Kernel<I, O>, const I: usize, const O: usize> States for Keyed<K, I, O> {
    fn fork(&self) -> Box<dyn States> {
        Box::new(self.clone())
    }
    fn inputs(&self) -> usize {
        I
    }
    fn outputs(&self) -> usize {
        O
    }
    fn keys(&self) -> usize {
        self.states.len()
    }
    fn grow(&mut self, keys: usize) {
        // Only when keys are added: a fresh state is cloned (its window allocated) for each.
        if keys > self.states.len() {
            self.states.resize(keys, self.fresh.clone());
            self.last.resize(keys * O, f64::NAN);
        }
    }
    fn advance(&mut self, keys: &[u32], columns: &[&[f64]], out: Option<&mut [Vec<f64>]>) {
        let columns: &[&[f64]; I] = columns.try_into().expect("one column per kernel input");
        #[cfg(target_arch = "x86_64")]
        if super::blocks::has_fma() {
            // SAFETY: the processor supports FMA (checked just above).
            return unsafe { advance_rows_fma(&mut self.states, &mut self.last, keys, columns, out) };
        }
        advance_rows(&mut self.states, &mut self.last, keys, columns, out)
    }
    fn preview(&self, keys: &[u32], columns: &[&[f64]], out: &mut [Vec<f64>]) {
        let columns: &[&[f64]; I] = columns.try_into().expect("one column per kernel input");
        // Copies of the touched keys only, in first-seen order; `slot[k]` says where key k's copy is.
        let mut slot: HashMap<u32, usize, RandomState> = HashMap::default();
        let mut copies: Vec<K> = Vec::new();
        let local: Vec<u32> = keys
            .iter()
            .map(|&k| {
                *slot.entry(k).or_insert_with(|| {
                    copies.push(self.states.get(k as usize).unwrap_or(&self.fresh).clone());
                    copies.len() - 1
                }) as u32
            })
            .collect();
        let mut last = vec![f64::NAN; copies.len() * O];
        #[cfg(target_arch = "x86_64")]
        if super::blocks::has_fma() {
            // SAFETY: the processor supports FMA (checked just above).
            return unsafe { advance_rows_fma(&mut copies, &mut last, &local, columns, Some(out)) };
        }
        advance_rows(&mut copies, &mut last, &local, columns, Some(out))
    }
    fn step_one(&mut self, key: usize, x: &[f64], commit: bool, out: &mut Vec<f64>) {
        let columns: [&[f64]; I] = std::array::from_fn(|j| std::slice::from_ref(&x[j]));
        let y = if commit {
            let y = step_row_fast(&mut self.states[key], &columns);
            self.last[key * O..(key + 1) * O].copy_from_slice(&y);
            y
        } else {
            step_row_fast(&mut self.states[key].clone(), &columns)
        };
        out.extend_from_slice(&y);
    }
    fn latest(&self) -> &[f64] {
        &self.last
    }
    fn save(&self, buf: &mut Vec<u8>) -> Result<(), String> {
        rmp_serde::encode::write_named(buf, &(&self.states, &self.last)).map_err(|e| e.to_string())
    }
    fn bytes_per_key(&self) -> usize {
        std::mem::size_of::<K>() + footprint::heap_bytes(&self.fresh) + O * std::mem::size_of::<f64>()
    }
}

/// Builds the empty states of an indicator from its kernel.
struct Build;

impl Runner for Build {
    type Out = Box<dyn States>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        Box::new(Keyed::<K, I, O> { fresh: kernel, states: Vec::new(), last: Vec::new() })
    }
}

/// The reader of a snapshot's payload.
type PayloadReader<'b> = rmp_serde::Deserializer<rmp_serde::decode::ReadReader<Cursor<&'b [u8]>>>;

/// Reads an indicator's saved states, as the kernel type its name and parameters select.
struct Load<'a, 'b> {
    de: &'a mut PayloadReader<'b>,
}

impl Runner for Load<'_, '_> {
    type Out = Result<Box<dyn States>, String>;
    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        let (states, last): (Vec<K>, Vec<f64>) = Deserialize::deserialize(&mut *self.de).map_err(|e| e.to_string())?;
        if last.len() != states.len() * O {
            return Err(format!("{} states but {} newest outputs", states.len(), last.len()));
        }
        Ok(Box::new(Keyed::<K, I, O> { fresh: kernel, states, last }))
    }
}

/// One indicator of a stream: its catalogue name, parameters, and which of the stream's columns feed its inputs
/// (in kernel order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub name: String,
    pub params: BTreeMap<String, f64>,
    pub columns: Vec<usize>,
}

/// An update's rows: the key of each (`None`: the stream is one series), its time when the stream orders rows by
/// time, and the input columns (NaN where a value is null).
pub struct Rows<'a> {
    pub keys: Option<Vec<KeyRef<'a>>>,
    pub times: Option<&'a [i64]>,
    pub columns: Vec<&'a [f64]>,
}

impl Rows<'_> {
    fn len(&self) -> usize {
        match (&self.keys, self.columns.first(), self.times) {
            (Some(k), _, _) => k.len(),
            (None, Some(c), _) => c.len(),
            (None, None, Some(t)) => t.len(),
            (None, None, None) => 0,
        }
    }
}

/// Why an update was refused; the stream is then exactly as before it.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateError {
    /// Row `row` is older than its key's newest row so far (committed, or earlier in the same update).
    OutOfOrder { row: usize, key: String, previous: i64, time: i64 },
    /// The rows do not fit the stream (lengths, column count).
    Shape(String),
}

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotError(pub String);

/// Several indicators for many keys.
pub struct Stream {
    specs: Vec<Spec>,
    columns: usize,
    states: Vec<Box<dyn States>>,
    keys: KeyIndex,
    /// The newest time of each key, when the stream orders rows by time.
    times: Option<Vec<i64>>,
    /// The caller's description of the stream (column names, dtypes, output names), saved with it.
    pub meta: String,
}

impl Clone for Stream {
    fn clone(&self) -> Self {
        Stream {
            specs: self.specs.clone(),
            columns: self.columns,
            states: self.states.iter().map(|s| s.fork()).collect(),
            keys: self.keys.clone(),
            times: self.times.clone(),
            meta: self.meta.clone(),
        }
    }
}

/// The outputs of an update: per indicator, one vector per output (NaN where there is no value).
pub type Outputs = Vec<Vec<Vec<f64>>>;

/// The newest outputs of every key: the keys in the order they first appeared, their newest times, and per
/// indicator `outputs` values per key.
pub struct Latest<'a> {
    pub keys: &'a [Key],
    pub times: Option<&'a [i64]>,
    pub outputs: Vec<(usize, &'a [f64])>,
}

impl Stream {
    /// A stream of `specs` over `columns` input columns; `timed`: rows carry a time that must not go back per key.
    pub fn new(specs: Vec<Spec>, columns: usize, timed: bool, meta: String) -> Result<Stream, KernelError> {
        let mut states = Vec::with_capacity(specs.len());
        for spec in &specs {
            let s = dispatch(&spec.name, &Params::new(&spec.name, &spec.params), &mut Build)?;
            if s.inputs() != spec.columns.len() || spec.columns.iter().any(|&c| c >= columns) {
                return Err(KernelError(format!(
                    "{}: expected {} input columns, got {:?}",
                    spec.name,
                    s.inputs(),
                    spec.columns
                )));
            }
            states.push(s);
        }
        Ok(Stream { specs, columns, states, keys: KeyIndex::default(), times: timed.then(Vec::new), meta })
    }

    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    pub fn key_count(&self) -> usize {
        self.keys.keys.len()
    }

    /// Outputs per indicator.
    pub fn output_counts(&self) -> Vec<usize> {
        self.states.iter().map(|s| s.outputs()).collect()
    }

    /// Bytes held per key by each indicator (see `docs/stream.md` for the figures per family).
    pub fn bytes_per_key(&self) -> Vec<usize> {
        self.states.iter().map(|s| s.bytes_per_key()).collect()
    }

    /// Bytes held in all: every indicator's states for every key, the key index and the times.
    pub fn memory_bytes(&self) -> usize {
        let keys = self.key_count();
        let states: usize = self.bytes_per_key().iter().map(|b| b * keys).sum();
        let key_bytes: usize = self
            .keys
            .keys
            .iter()
            .map(|k| std::mem::size_of::<Key>() + 4 + if let Key::Str(s) = k { 2 * s.len() } else { 8 })
            .sum();
        states + key_bytes + self.times.as_ref().map_or(0, |t| t.len() * 8)
    }

    /// Feeds `rows`. `commit`: the states advance (else they are left as they were, and keys first seen here start
    /// fresh). `outputs`: return the outputs of every row (priming on a history does not need them). All or
    /// nothing: on an error nothing has changed.
    pub fn update(&mut self, rows: &Rows<'_>, commit: bool, outputs: bool) -> Result<Outputs, UpdateError> {
        let n = rows.len();
        if rows.columns.len() != self.columns || rows.columns.iter().any(|c| c.len() != n) {
            return Err(UpdateError::Shape(format!("expected {} input columns of {n} rows", self.columns)));
        }
        if self.times.is_some() != rows.times.is_some() || rows.times.is_some_and(|t| t.len() != n) {
            return Err(UpdateError::Shape("the rows' times do not match the stream".into()));
        }
        // Dense key indices; keys seen for the first time get the next ones, in order of appearance.
        let known = self.key_count();
        let mut added: Vec<Key> = Vec::new();
        let mut added_index = KeyIndex::default();
        let index: Vec<u32> = match &rows.keys {
            None => {
                if known == 0 && n > 0 {
                    added.push(Key::Null);
                }
                vec![0; n]
            }
            Some(keys) => keys
                .iter()
                .enumerate()
                .map(|(r, &k)| {
                    // Keys first seen in this update are numbered after the known ones.
                    self.keys.get_at(r, k).unwrap_or_else(|| {
                        known as u32
                            + added_index.get(k).unwrap_or_else(|| {
                                added.push(k.to_owned());
                                added_index.push(k.to_owned())
                            })
                    })
                })
                .collect(),
        };
        let times = match (&self.times, rows.times) {
            (Some(newest), Some(row_times)) => {
                let mut newest = newest.clone();
                newest.resize(known + added.len(), i64::MIN);
                for (r, (&k, &t)) in index.iter().zip(row_times).enumerate() {
                    let previous = newest[k as usize];
                    if t < previous {
                        let key = match &rows.keys {
                            Some(keys) => keys[r].to_string(),
                            None => "(the series)".to_string(),
                        };
                        return Err(UpdateError::OutOfOrder { row: r, key, previous, time: t });
                    }
                    newest[k as usize] = t;
                }
                Some(newest)
            }
            _ => None,
        };
        let mut result: Outputs = Vec::with_capacity(self.states.len());
        if commit {
            for key in added {
                self.keys.push(key);
            }
            if times.is_some() {
                self.times = times;
            }
            if rows.keys.is_some() && n <= 1 << 16 {
                self.keys.previous.clone_from(&index);
            }
            let total = self.key_count();
            for (spec, states) in self.specs.iter().zip(&mut self.states) {
                states.grow(total);
                let columns: Vec<&[f64]> = spec.columns.iter().map(|&c| rows.columns[c]).collect();
                if outputs {
                    let mut out = vec![vec![0.0; n]; states.outputs()];
                    states.advance(&index, &columns, Some(&mut out));
                    result.push(out);
                } else {
                    states.advance(&index, &columns, None);
                }
            }
        } else {
            for (spec, states) in self.specs.iter().zip(&self.states) {
                let columns: Vec<&[f64]> = spec.columns.iter().map(|&c| rows.columns[c]).collect();
                let mut out = vec![vec![0.0; n]; states.outputs()];
                states.preview(&index, &columns, &mut out);
                result.push(out);
            }
        }
        Ok(result)
    }

    /// One row of a stream without keys or times (`x` in column order): the outputs of every indicator, in
    /// order. The per-value path of the TA-Lib-style handles.
    pub fn step_single(&mut self, x: &[f64], commit: bool, out: &mut Vec<f64>) -> Result<(), UpdateError> {
        if x.len() != self.columns || self.times.is_some() || self.key_count() > 1 {
            return Err(UpdateError::Shape(format!("expected {} values for a stream of one series", self.columns)));
        }
        if self.key_count() == 0 {
            self.keys.push(Key::Null);
        }
        let mut inputs = [0.0; 8];
        for (spec, states) in self.specs.iter().zip(&mut self.states) {
            states.grow(1);
            for (slot, &c) in inputs.iter_mut().zip(&spec.columns) {
                *slot = x[c];
            }
            states.step_one(0, &inputs[..spec.columns.len()], commit, out);
        }
        Ok(())
    }

    /// The newest outputs of every key.
    pub fn latest(&self) -> Latest<'_> {
        Latest {
            keys: &self.keys.keys,
            times: self.times.as_deref(),
            outputs: self.states.iter().map(|s| (s.outputs(), s.latest())).collect(),
        }
    }

    /// The stream as bytes (see the module docs for the format).
    pub fn save(&self) -> Result<Vec<u8>, String> {
        let mut payload = Vec::new();
        let err = |e: rmp_serde::encode::Error| e.to_string();
        rmp_serde::encode::write_named(&mut payload, &self.meta).map_err(err)?;
        rmp_serde::encode::write_named(&mut payload, &(&self.specs, self.columns)).map_err(err)?;
        rmp_serde::encode::write_named(&mut payload, &(&self.keys.keys, &self.times)).map_err(err)?;
        for states in &self.states {
            states.save(&mut payload)?;
        }
        let version = env!("CARGO_PKG_VERSION").as_bytes();
        let mut out = Vec::with_capacity(payload.len() + 32 + version.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&LAYOUT.to_le_bytes());
        out.extend_from_slice(&(version.len() as u16).to_le_bytes());
        out.extend_from_slice(version);
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// A stream from [`Stream::save`]'s bytes; anything else (another layout, truncated or altered bytes) is an
    /// error saying which.
    pub fn load(bytes: &[u8]) -> Result<Stream, SnapshotError> {
        let fail = |msg: String| SnapshotError(msg);
        let mut rest = bytes;
        let mut take = |n: usize, what: &str| -> Result<&[u8], SnapshotError> {
            if rest.len() < n {
                return Err(fail(format!("truncated snapshot: {} bytes end inside its {what}", bytes.len())));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        if take(8, "header")? != MAGIC {
            return Err(fail("not a stream snapshot (it does not start with KFSTREAM)".into()));
        }
        let layout = u32::from_le_bytes(take(4, "header")?.try_into().expect("4 bytes"));
        let version_len = u16::from_le_bytes(take(2, "header")?.try_into().expect("2 bytes")) as usize;
        let version = String::from_utf8_lossy(take(version_len, "header")?).into_owned();
        if layout != LAYOUT {
            return Err(fail(format!(
                "snapshot layout {layout} (written by polars-kimsfinance {version}) cannot be read by this version \
                 ({}, layout {LAYOUT}); rebuild the stream from its history",
                env!("CARGO_PKG_VERSION")
            )));
        }
        let crc = u32::from_le_bytes(take(4, "header")?.try_into().expect("4 bytes"));
        let len = u64::from_le_bytes(take(8, "header")?.try_into().expect("8 bytes"));
        let payload = rest;
        if (payload.len() as u64) < len {
            return Err(fail(format!("truncated snapshot: {} of {len} payload bytes", payload.len())));
        }
        if payload.len() as u64 != len {
            return Err(fail(format!(
                "corrupt snapshot: {} bytes after a payload of {len}",
                payload.len() as u64 - len
            )));
        }
        if crc32fast::hash(payload) != crc {
            return Err(fail("corrupt snapshot: its checksum does not match its contents".into()));
        }
        Self::decode(payload).map_err(|e| fail(format!("corrupt snapshot: {e}")))
    }

    fn decode(payload: &[u8]) -> Result<Stream, String> {
        let mut de: PayloadReader<'_> = rmp_serde::Deserializer::new(Cursor::new(payload));
        let err = |e: rmp_serde::decode::Error| e.to_string();
        let meta: String = Deserialize::deserialize(&mut de).map_err(err)?;
        let (specs, columns): (Vec<Spec>, usize) = Deserialize::deserialize(&mut de).map_err(err)?;
        let (keys, times): (Vec<Key>, Option<Vec<i64>>) = Deserialize::deserialize(&mut de).map_err(err)?;
        let key_count = keys.len();
        if times.as_ref().is_some_and(|t| t.len() != key_count) {
            return Err("times do not match the keys".into());
        }
        let keys = KeyIndex::from_keys(keys)?;
        let mut states = Vec::with_capacity(specs.len());
        for spec in &specs {
            let loaded = dispatch(&spec.name, &Params::new(&spec.name, &spec.params), &mut Load { de: &mut de })
                .map_err(|e| e.0)??;
            if loaded.keys() != key_count || loaded.inputs() != spec.columns.len() {
                return Err(format!("{}: states do not match the keys or inputs", spec.name));
            }
            if spec.columns.iter().any(|&c| c >= columns) {
                return Err(format!("{}: input column out of range", spec.name));
            }
            states.push(loaded);
        }
        let read = de.get_ref().position();
        if read != payload.len() as u64 {
            return Err(format!("{} bytes left over after the last indicator", payload.len() as u64 - read));
        }
        Ok(Stream { specs, columns, states, keys, times, meta })
    }
}

#[cfg(test)]
mod tests;
