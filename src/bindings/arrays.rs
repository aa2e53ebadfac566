//! `_kernel_arrays`: a catalogue kernel run straight on numpy buffers, for the TA-Lib-compatible functions
//! (`polars_kimsfinance.talib`). Python hands over the addresses of contiguous float64 arrays it keeps alive (inputs)
//! and of freshly allocated ones (outputs); the driver runs with the GIL released and writes the outputs in place,
//! so no Polars frame is built and nothing is copied.

use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::kernels::{dispatch, drive_into, Column, Kernel, KernelError, Params, Runner, Segment, Split};

/// Runs a kernel over raw buffers.
struct Buffers {
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    len: usize,
}

impl Runner for Buffers {
    type Out = Result<(), KernelError>;

    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        if self.inputs.len() != I || self.outputs.len() != O {
            return Err(KernelError(format!(
                "expected {I} inputs and {O} outputs, got {} and {}",
                self.inputs.len(),
                self.outputs.len()
            )));
        }
        let len = self.len;
        // SAFETY: the caller (polars_kimsfinance.talib) passes the data addresses of C-contiguous float64 numpy
        // arrays of `len` elements that it keeps referenced for the duration of the call; the outputs are distinct
        // fresh arrays, so no slice aliases another.
        let columns: [Column<'_>; I] = std::array::from_fn(|j| {
            Column::dense(unsafe { std::slice::from_raw_parts(self.inputs[j] as *const f64, len) })
        });
        let spare: [&mut [MaybeUninit<f64>]; O] = std::array::from_fn(|j| unsafe {
            std::slice::from_raw_parts_mut(self.outputs[j] as *mut MaybeUninit<f64>, len)
        });
        drive_into(kernel, &[Segment { start: 0, columns }], len, Split::DEFAULT, spare);
        Ok(())
    }
}

/// `_kernel_arrays(name, params, inputs, outputs, len)`: addresses of float64 buffers, in kernel order.
#[pyfunction]
fn _kernel_arrays(
    py: Python<'_>,
    name: String,
    params: BTreeMap<String, f64>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    len: usize,
) -> PyResult<()> {
    if inputs.contains(&0) || outputs.contains(&0) {
        return Err(PyValueError::new_err(format!("{name}: a buffer address is null")));
    }
    let result = py.detach(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let mut runner = Buffers { inputs, outputs, len };
            dispatch(&name, &Params::new(&name, &params), &mut runner)?
        }))
    });
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(PyValueError::new_err(e.to_string())),
        Err(_) => Err(PyRuntimeError::new_err(format!("{name}: internal error in the kernel"))),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_kernel_arrays, m)?)
}
