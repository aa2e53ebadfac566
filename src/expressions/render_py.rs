//! Python entry point of the renderer: reads a frame's Arrow buffers and calls `crate::render`.

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
