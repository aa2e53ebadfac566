//! Python functions for the adapter's configuration and statistics (see `crate::adapter`).

use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
