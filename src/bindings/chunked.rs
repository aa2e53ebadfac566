//! Feeds Polars chunked arrays to a kernel without copying: the rows are cut into segments at every chunk boundary
//! of every input, so each segment is one contiguous slice per column.

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};

use crate::kernels::driver::Validity;
use crate::kernels::{drive, Column, Kernel, Runner, Segment, Split};

pub struct ChunkedRunner<'a> {
    pub columns: &'a [Float64Chunked],
    /// How long columns are cut into parts and whether helper threads may take them.
    pub split: Split,
}

impl Runner for ChunkedRunner<'_> {
    type Out = PolarsResult<Vec<Float64Chunked>>;

    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        if self.columns.len() != I {
            polars_bail!(ComputeError: "expected {I} input columns, got {}", self.columns.len());
        }
        let len = self.columns[0].len();
        if self.columns.iter().any(|c| c.len() != len) {
            polars_bail!(ShapeMismatch: "all input columns must have the same length");
        }
        let chunks: Vec<Vec<&PrimitiveArray<f64>>> = self.columns.iter().map(|c| c.downcast_iter().collect()).collect();
        // Per column: which chunk we are in and where that chunk starts in row numbers.
        let mut cursor = vec![(0usize, 0usize); I];
        let mut segments = Vec::new();
        let mut row = 0;
        while row < len {
            // Skip empty chunks, then cut the segment at the nearest chunk end.
            let mut end = len;
            for (j, (chunk, start)) in cursor.iter_mut().enumerate() {
                while *start + chunks[j][*chunk].len() <= row {
                    *start += chunks[j][*chunk].len();
                    *chunk += 1;
                }
                end = end.min(*start + chunks[j][*chunk].len());
            }
            let columns: [Column<'_>; I] = std::array::from_fn(|j| {
                let (chunk, start) = cursor[j];
                let arr = chunks[j][chunk];
                let (a, b) = (row - start, end - start);
                let validity = arr.validity().filter(|v| v.unset_bits() > 0).map(|bits| {
                    let (bytes, offset, _) = bits.as_slice();
                    (bytes, offset + a)
                });
                Column { values: &arr.values()[a..b], validity }
            });
            segments.push(Segment { start: row, columns });
            row = end;
        }
        let outputs = drive(kernel, &segments, len, self.split);
        Ok(outputs.into_iter().map(|(values, validity)| to_chunked(values, validity)).collect())
    }
}

fn to_chunked(values: Vec<f64>, validity: Validity) -> Float64Chunked {
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
    let arr = PrimitiveArray::new(ArrowDataType::Float64, values.into(), bitmap);
    Float64Chunked::with_chunk(PlSmallStr::EMPTY, arr)
}
