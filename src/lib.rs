//! polars-kimsfinance: technical-analysis kernels and chart rendering, native to Polars.
//!
//! The pure-Rust core (`kernels`, `render`) builds without Python; the `python` feature adds the Polars plugin
//! expression and the Python module (`bindings`).

pub mod adapter;
pub mod kernels;
pub mod render;
pub mod worker_pool;

#[cfg(feature = "python")]
mod bindings;

/// The extension allocates through Polars' allocator (see `bindings::polars_allocator`); the pure-Rust core keeps the
/// system allocator.
#[cfg(feature = "python")]
#[global_allocator]
static ALLOCATOR: bindings::polars_allocator::PolarsHeap = bindings::polars_allocator::PolarsHeap::new();

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
        // The one version source: Cargo.toml (maturin reads it for the wheel too).
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        crate::bindings::transforms::register(m)?;
        crate::bindings::render::register(m)?;
        crate::bindings::batch::register(m)?;
        crate::bindings::adapter::register(m)?;
        crate::bindings::stream::register(m)?;
        crate::bindings::arrays::register(m)?;
        crate::bindings::guard::register(m)?;
        Ok(())
    }
}
