//! polars-kimsfinance: technical-analysis kernels and chart rendering, native to Polars.
//!
//! The pure-Rust core (`kernels`, `render`) builds without Python; the `python` feature adds the Polars plugin
//! expressions and the Python module.

pub mod adapter;
pub mod kernels;
pub mod render;

#[cfg(feature = "python")]
mod expressions;

/// The extension allocates through Polars' allocator (see `expressions::allocator`); the pure-Rust core keeps the
/// system allocator.
#[cfg(feature = "python")]
#[global_allocator]
static ALLOCATOR: expressions::allocator::PolarsHeap = expressions::allocator::PolarsHeap::new();

/// Whether the extension's allocations go to Polars' allocator.
#[cfg(feature = "python")]
pub(crate) fn allocator_is_polars() -> bool {
    ALLOCATOR.uses_polars()
}

#[cfg(feature = "python")]
mod python_module {
    use pyo3::prelude::*;

    #[pymodule]
    fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::expressions::transforms::register(m)?;
        crate::expressions::render_py::register(m)?;
        crate::expressions::adapter_py::register(m)?;
        Ok(())
    }
}
