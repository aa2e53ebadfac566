//! Series and frames across the Python boundary, for the bindings that are not plugin expressions (charts, bar
//! transforms). Current Polars exchanges them through `_export` / `_import` (pyo3-polars, zero copy, chunks kept);
//! older releases (1.20 onwards) lack those, so there the Arrow C data interface (`_export_arrow_to_c`,
//! `Series._import_arrow_from_c`) carries them instead.

use std::mem::ManuallyDrop;

use polars::prelude::*;
use polars_arrow::ffi::{self, ArrowArray, ArrowSchema};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// A Series passed in from Python, whatever the Polars release.
pub struct SeriesArg(pub Series);

impl<'a, 'py> FromPyObject<'a, 'py> for SeriesArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if ob.getattr("_s")?.hasattr("_export")? {
            return Ok(SeriesArg(ob.extract::<pyo3_polars::PySeries>()?.0));
        }
        let name: String = ob.getattr("name")?.extract()?;
        // The C export takes one chunk only (a copy, on these older releases alone).
        let ob = if ob.call_method0("n_chunks")?.extract::<usize>()? > 1 {
            ob.call_method0("rechunk")?
        } else {
            ob.to_owned()
        };
        let mut array = ArrowArray::empty();
        let mut schema = ArrowSchema::empty();
        ob.call_method1("_export_arrow_to_c", ((&raw mut array) as usize, (&raw mut schema) as usize))?;
        // SAFETY: Polars filled both structs through the Arrow C data interface; they are moved in once.
        let series = unsafe {
            let field = ffi::import_field_from_c(&schema).map_err(to_py)?;
            let array = ffi::import_array_from_c(array, field.dtype).map_err(to_py)?;
            Series::from_arrow(name.into(), array).map_err(to_py)?
        };
        Ok(SeriesArg(series))
    }
}

/// A DataFrame handed back to Python, whatever the Polars release.
pub struct FrameOut(pub DataFrame);

impl<'py> IntoPyObject<'py> for FrameOut {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let polars = py.import("polars")?;
        let series_type = polars.getattr("Series")?;
        if series_type.hasattr("_import")? {
            return pyo3_polars::PyDataFrame(self.0).into_pyobject(py);
        }
        let columns = PyList::empty(py);
        for column in self.0.columns() {
            let series = column.as_materialized_series().rechunk();
            let field = series.dtype().to_arrow_field(series.name().clone(), CompatLevel::oldest());
            let array = series.to_arrow(0, CompatLevel::oldest());
            // Polars moves the array's contents out (it reads the struct and calls its release callback later), so
            // ours must not release them again: ManuallyDrop frees the box alone. The schema is only borrowed by
            // Polars and is released here as usual.
            let array = Box::new(ManuallyDrop::new(ffi::export_array_to_c(array)));
            let schema = Box::new(ffi::export_field_to_c(&field));
            // Polars reads each pair as (schema, array), whatever its docstring says.
            let pointers = vec![(&*schema as *const ArrowSchema as usize, &**array as *const ArrowArray as usize)];
            columns.append(series_type.call_method1("_import_arrow_from_c", (series.name().as_str(), pointers))?)?;
        }
        polars.getattr("DataFrame")?.call1((columns,))
    }
}

fn to_py(e: PolarsError) -> PyErr {
    PyValueError::new_err(e.to_string())
}
