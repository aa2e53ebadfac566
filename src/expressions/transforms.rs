//! Python functions for the frame-producing bar transforms (see `kernels::bars`).

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
