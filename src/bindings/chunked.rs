//! Feeds Polars chunked arrays to a kernel without copying: the rows are cut into segments at every chunk boundary
//! of every input, so each segment is one contiguous slice per column.

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::types::NativeType;

use crate::kernels::driver::{OutValue, Validity};
use crate::kernels::{drive, Column, Kernel, Runner, Segment, Split, Values};

/// A kernel input as its chunks are stored: Float32 stays Float32 (the driver widens it a block at a time), every
/// other numeric type is cast to Float64.
pub enum Input {
    F64(Float64Chunked),
    F32(Float32Chunked),
}

impl Input {
    pub fn new(s: &Series) -> PolarsResult<Self> {
        Ok(match s.dtype() {
            DataType::Float32 => Input::F32(s.f32()?.clone()),
            _ => Input::F64(s.cast(&DataType::Float64)?.f64()?.clone()),
        })
    }

    fn len(&self) -> usize {
        match self {
            Input::F64(ca) => ca.len(),
            Input::F32(ca) => ca.len(),
        }
    }

    /// Each chunk's values and validity bits.
    fn chunks(&self) -> Vec<(Values<'_>, Option<&Bitmap>)> {
        match self {
            Input::F64(ca) => ca.downcast_iter().map(|a| (Values::F64(a.values()), a.validity())).collect(),
            Input::F32(ca) => ca.downcast_iter().map(|a| (Values::F32(a.values()), a.validity())).collect(),
        }
    }
}

pub struct ChunkedRunner<'a> {
    pub columns: &'a [Input],
    /// Whether the outputs are Float32 (each result rounded once) rather than Float64.
    pub float32: bool,
    /// How long columns are cut into parts and whether helper threads may take them.
    pub split: Split,
}

impl Runner for ChunkedRunner<'_> {
    type Out = PolarsResult<Vec<Series>>;

    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        if self.columns.len() != I {
            polars_bail!(ComputeError: "expected {I} input columns, got {}", self.columns.len());
        }
        let len = self.columns[0].len();
        if self.columns.iter().any(|c| c.len() != len) {
            polars_bail!(ShapeMismatch: "all input columns must have the same length");
        }
        let chunks: Vec<Vec<(Values<'_>, Option<&Bitmap>)>> = self.columns.iter().map(Input::chunks).collect();
        // Per column: which chunk we are in and where that chunk starts in row numbers.
        let mut cursor = vec![(0usize, 0usize); I];
        let mut segments = Vec::new();
        let mut row = 0;
        while row < len {
            // Skip empty chunks, then cut the segment at the nearest chunk end.
            let mut end = len;
            for (j, (chunk, start)) in cursor.iter_mut().enumerate() {
                while *start + chunks[j][*chunk].0.len() <= row {
                    *start += chunks[j][*chunk].0.len();
                    *chunk += 1;
                }
                end = end.min(*start + chunks[j][*chunk].0.len());
            }
            let columns: [Column<'_>; I] = std::array::from_fn(|j| {
                let (chunk, start) = cursor[j];
                let (values, bits) = chunks[j][chunk];
                let (a, b) = (row - start, end - start);
                let validity = bits.filter(|v| v.unset_bits() > 0).map(|bits| {
                    let (bytes, offset, _) = bits.as_slice();
                    (bytes, offset + a)
                });
                Column { values: values.slice(a, b), validity }
            });
            segments.push(Segment { start: row, columns });
            row = end;
        }
        Ok(if self.float32 {
            let outputs = drive::<K, f32, I, O>(kernel, &segments, len, self.split);
            outputs
                .into_iter()
                .map(|(v, validity)| Float32Chunked::with_chunk(PlSmallStr::EMPTY, to_array(v, validity)).into_series())
                .collect()
        } else {
            let outputs = drive::<K, f64, I, O>(kernel, &segments, len, self.split);
            outputs
                .into_iter()
                .map(|(v, validity)| Float64Chunked::with_chunk(PlSmallStr::EMPTY, to_array(v, validity)).into_series())
                .collect()
        })
    }
}

fn to_array<T: NativeType + OutValue>(values: Vec<T>, validity: Validity) -> PrimitiveArray<T> {
    let n = values.len();
    let bitmap = match validity {
        Validity::Prefix(0) => None,
        Validity::Prefix(k) => {
            let mut bits = MutableBitmap::with_capacity(n);
            bits.extend_constant(k, false);
            bits.extend_constant(n - k, true);
            Some(bits.into())
        }
        Validity::NaNMask => Some(Bitmap::from_trusted_len_iter(values.iter().map(|v| !v.is_nan()))),
    };
    PrimitiveArray::new(T::PRIMITIVE.into(), values.into(), bitmap)
}
