//! `_kernel_arrays`: a catalogue kernel run straight on numpy buffers, for the TA-Lib-compatible functions
//! (`polars_kimsfinance.talib`). Python hands over the addresses of contiguous float64 arrays it keeps alive (inputs);
//! the driver runs with the GIL released and writes its outputs into buffers from the extension's allocator (Polars'
//! allocator, whose recently freed memory is already mapped: a fresh 80 MB numpy array costs page faults on every
//! call), which numpy then wraps without a copy through `_Buffer.__array_interface__`. No Polars frame is built.

use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::kernels::{dispatch, drive_into, Column, Kernel, KernelError, Params, Runner, Segment, Split};

/// Runs a kernel over raw input buffers into fresh output vectors.
struct Buffers {
    inputs: Vec<usize>,
    outputs: Vec<Vec<f64>>,
    len: usize,
}

impl Runner for Buffers {
    type Out = Result<(), KernelError>;

    fn run<K: Kernel<I, O>, const I: usize, const O: usize>(&mut self, kernel: K) -> Self::Out {
        if self.inputs.len() != I {
            return Err(KernelError(format!("expected {I} inputs, got {}", self.inputs.len())));
        }
        let len = self.len;
        // SAFETY: the caller (polars_kimsfinance.talib) passes the data addresses of C-contiguous float64 numpy
        // arrays of `len` elements that it keeps referenced for the duration of the call.
        let columns: [Column<'_>; I] = std::array::from_fn(|j| {
            Column::dense(unsafe { std::slice::from_raw_parts(self.inputs[j] as *const f64, len) })
        });
        let mut outputs: [Vec<f64>; O] = std::array::from_fn(|_| crate::kernels::output_buffer::output_buffer(len));
        {
            let spare: [&mut [MaybeUninit<f64>]; O] = outputs.each_mut().map(|o| &mut o.spare_capacity_mut()[..len]);
            drive_into(kernel, &[Segment { start: 0, columns }], len, Split::DEFAULT, spare);
        }
        for out in &mut outputs {
            // SAFETY: drive_into wrote every one of the `len` slots.
            unsafe { out.set_len(len) };
        }
        self.outputs = outputs.into_iter().collect();
        Ok(())
    }
}

/// A float64 buffer owned by the extension, exposed to numpy through the array interface (no copy): `np.asarray`
/// keeps the `_Buffer` as the array's base, and the memory is freed with it. Numpy may write into it.
#[pyclass(frozen, module = "polars_kimsfinance._internal")]
pub struct _Buffer {
    data: OwnedValues,
}

/// The raw parts of a `Vec<f64>`, owned: numpy writes through the pointer, so no Rust reference to the values
/// exists while the buffer lives.
struct OwnedValues {
    ptr: *mut f64,
    len: usize,
    capacity: usize,
}

// SAFETY: the values are plain floats owned by this struct alone; access goes through numpy under the GIL.
unsafe impl Send for OwnedValues {}
// SAFETY: as above; Rust itself never reads or writes the values after construction.
unsafe impl Sync for OwnedValues {}

impl Drop for OwnedValues {
    fn drop(&mut self) {
        // SAFETY: the parts come from a Vec<f64> taken apart in `_Buffer::new` and are rebuilt once.
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.capacity) });
    }
}

impl _Buffer {
    fn new(values: Vec<f64>) -> Self {
        let mut values = std::mem::ManuallyDrop::new(values);
        _Buffer { data: OwnedValues { ptr: values.as_mut_ptr(), len: values.len(), capacity: values.capacity() } }
    }
}

#[pymethods]
impl _Buffer {
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("shape", (self.data.len,))?;
        d.set_item("typestr", "<f8")?;
        d.set_item("data", (self.data.ptr as usize, false))?;
        d.set_item("version", 3)?;
        Ok(d)
    }
}

/// `_kernel_arrays(name, params, inputs, len)`: addresses of float64 input buffers in kernel order; returns one
/// `_Buffer` per output.
#[pyfunction]
fn _kernel_arrays(
    py: Python<'_>,
    name: String,
    params: BTreeMap<String, f64>,
    inputs: Vec<usize>,
    len: usize,
) -> PyResult<Vec<_Buffer>> {
    if inputs.contains(&0) {
        return Err(PyValueError::new_err(format!("{name}: a buffer address is null")));
    }
    let result = py.detach(|| {
        catch_unwind(AssertUnwindSafe(|| {
            let mut runner = Buffers { inputs, outputs: Vec::new(), len };
            dispatch(&name, &Params::new(&name, &params), &mut runner)?.map(|()| runner.outputs)
        }))
    });
    match result {
        Ok(Ok(outputs)) => Ok(outputs.into_iter().map(_Buffer::new).collect()),
        Ok(Err(e)) => Err(PyValueError::new_err(e.to_string())),
        Err(_) => Err(PyRuntimeError::new_err(format!("{name}: internal error in the kernel"))),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<_Buffer>()?;
    m.add_function(wrap_pyfunction!(_kernel_arrays, m)?)
}
