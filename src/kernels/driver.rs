//! Runs a [`Kernel`] over columns with the missing-bar rule, appending to its output buffers.
//!
//! Input arrives as segments: runs of rows where every input column is one contiguous slice (a Polars series with
//! several chunks becomes several segments, so nothing is copied to make it contiguous). The driver only allocates
//! the output vectors.

use std::mem::MaybeUninit;

use super::Kernel;

/// One input column over a segment: its values and, when it has nulls, its Arrow validity bits.
#[derive(Clone, Copy)]
pub struct Column<'a> {
    pub values: &'a [f64],
    /// Arrow validity bitmap bytes and the bit offset of `values[0]` in them.
    pub validity: Option<(&'a [u8], usize)>,
}

impl<'a> Column<'a> {
    pub fn dense(values: &'a [f64]) -> Self {
        Self { values, validity: None }
    }

    #[inline]
    fn is_valid(&self, i: usize) -> bool {
        match self.validity {
            None => true,
            Some((bytes, offset)) => {
                let bit = offset + i;
                bytes[bit >> 3] & (1 << (bit & 7)) != 0
            }
        }
    }
}

/// Which rows of a finished output hold values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// The first `n` rows are null (warm-up), every later row is valid.
    Prefix(usize),
    /// Nulls are scattered: exactly the rows whose value is NaN.
    NaNMask,
}

/// A kernel being driven over successive segments.
pub struct Drive<K, const I: usize, const O: usize> {
    kernel: K,
    outputs: [Vec<f64>; O],
    nan_counts: [usize; O],
}

impl<K: Kernel<I, O>, const I: usize, const O: usize> Drive<K, I, O> {
    pub fn new(kernel: K, capacity: usize) -> Self {
        Self { kernel, outputs: std::array::from_fn(|_| super::alloc::output_buffer(capacity)), nan_counts: [0; O] }
    }

    /// Feed one segment: all columns must have the same length.
    pub fn feed(&mut self, cols: [Column<'_>; I]) {
        let len = cols.first().map_or(0, |c| c.values.len());
        assert!(cols.iter().all(|c| c.values.len() == len), "segment columns differ in length");
        let values: [&[f64]; I] = std::array::from_fn(|j| &cols[j].values[..len]);
        for out in &mut self.outputs {
            out.reserve(len);
        }
        let written = self.outputs.each_mut().map(|out| &mut out.spare_capacity_mut()[..len]);
        // Two copies of the loop, so the common case (no null bitmap) carries no validity test at all.
        let (kernel, counts) = (&mut self.kernel, &mut self.nan_counts);
        if cols.iter().any(|c| c.validity.is_some()) {
            feed_rows(kernel, counts, values, written, |i| cols.iter().all(|c| c.is_valid(i)));
        } else {
            feed_rows(kernel, counts, values, written, |_| true);
        }
        for out in &mut self.outputs {
            // SAFETY: feed_rows initialised the first `len` spare slots of every output.
            unsafe { out.set_len(out.len() + len) };
        }
    }

    /// The output buffers, each with a description of where its nulls are.
    pub fn finish(self) -> [(Vec<f64>, Validity); O] {
        let counts = self.nan_counts;
        let mut outputs = self.outputs.into_iter();
        std::array::from_fn(|j| {
            let values = outputs.next().expect("one buffer per output");
            let leading = values.iter().take_while(|v| v.is_nan()).count();
            let validity = if leading == counts[j] { Validity::Prefix(leading) } else { Validity::NaNMask };
            (values, validity)
        })
    }
}

/// The per-row loop of [`Drive::feed`]: skip missing rows, step the kernel on the others, write every output.
#[inline(always)]
fn feed_rows<K: Kernel<I, O>, const I: usize, const O: usize>(
    kernel: &mut K,
    nan_counts: &mut [usize; O],
    values: [&[f64]; I],
    written: [&mut [MaybeUninit<f64>]; O],
    valid: impl Fn(usize) -> bool,
) {
    let len = values.first().map_or(0, |v| v.len());
    for i in 0..len {
        let x: [f64; I] = std::array::from_fn(|j| values[j][i]);
        // Folded with `|` rather than `any`, so the check compiles branch-free.
        let nan = x.iter().fold(false, |acc, v| acc | v.is_nan());
        let y = if nan || !valid(i) { [f64::NAN; O] } else { kernel.step(x) };
        for j in 0..O {
            written[j][i].write(y[j]);
            nan_counts[j] += y[j].is_nan() as usize;
        }
    }
}

/// Run a kernel over plain slices in which NaN marks a missing bar; returns the outputs with NaN for no value.
pub fn run_slices<K: Kernel<I, O>, const I: usize, const O: usize>(kernel: K, inputs: [&[f64]; I]) -> [Vec<f64>; O] {
    let len = inputs.first().map_or(0, |c| c.len());
    let mut drive = Drive::new(kernel, len);
    drive.feed(inputs.map(Column::dense));
    drive.finish().map(|(values, _)| values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Running count of valid bars seen: shows exactly which rows reach the kernel.
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
        let mut drive = Drive::new(Count(0.0), 6);
        let v1 = [1.0, 1.0, 1.0];
        // bit offset 1 into 0b0000_0110: rows read bits 1, 2, 3 -> valid, valid, invalid
        let bits = [0b0000_0110u8];
        drive.feed([Column { values: &v1, validity: Some((&bits, 1)) }, Column::dense(&v1)]);
        drive.feed([Column::dense(&v1), Column::dense(&v1)]);
        let [(out, validity)] = drive.finish();
        assert_eq!(validity, Validity::NaNMask);
        let valid: Vec<bool> = out.iter().map(|v| !v.is_nan()).collect();
        assert_eq!(valid, vec![false, true, false, true, true, true]);
        assert_eq!(&out[3..], &[3.0, 4.0, 5.0]);
    }

    #[test]
    fn warm_up_only_gives_prefix_validity() {
        let a = [1.0, 2.0, 3.0];
        let mut drive = Drive::new(Count(0.0), 3);
        drive.feed([Column::dense(&a), Column::dense(&a)]);
        let [(_, validity)] = drive.finish();
        assert_eq!(validity, Validity::Prefix(1));
    }
}
