//! The one Polars plugin expression, `kf_indicator`: checks dtypes, feeds the Arrow chunks of its inputs to the
//! kernel the catalogue names (`kernels::dispatch`) and turns the kernel outputs back into a column or a struct.

use std::collections::BTreeMap;

use polars::prelude::*;
use pyo3_polars::derive::{polars_expr, CallerContext};
use serde::Deserialize;

use super::chunked::Input;
use crate::kernels::{dispatch, Params, Split};

/// What the Python side sends with every indicator call.
#[derive(Deserialize)]
pub struct IndicatorKwargs {
    /// Catalogue name, e.g. `"rsi"`.
    name: String,
    /// Numeric parameters by name (windows, multipliers and flags all as floats).
    params: BTreeMap<String, f64>,
    /// Output field names: one for a plain column, several for a struct.
    fields: Vec<String>,
    /// For each kernel input, its position among the expression's arguments. Polars names an expression's
    /// output after its first argument, so the primary input (the one `pl.col(...).kf` is called on) goes first
    /// and this puts the columns back in the kernel's order.
    order: Vec<usize>,
}

impl IndicatorKwargs {
    fn in_kernel_order<'a, T>(&self, args: &'a [T]) -> PolarsResult<Vec<&'a T>> {
        if self.order.len() != args.len() {
            polars_bail!(ComputeError: "{}: expected {} inputs, got {}", self.name, self.order.len(), args.len());
        }
        self.order
            .iter()
            .map(|&i| args.get(i).ok_or_else(|| polars_err!(ComputeError: "{}: bad input order", self.name)))
            .collect()
    }
}

fn output_name<'a>(mut names: impl Iterator<Item = &'a PlSmallStr>) -> PlSmallStr {
    names.next().cloned().unwrap_or_else(|| PlSmallStr::from_static("literal"))
}

/// Float32 when every input is Float32, Float64 otherwise; non-numeric inputs fail here, at plan time. Decimal
/// columns count as numeric, as Polars counts them: they are cast to Float64 like the integer dtypes.
fn output_float_dtype(name: &str, inputs: &[Field]) -> PolarsResult<DataType> {
    for field in inputs {
        let dtype = field.dtype();
        if !(dtype.is_primitive_numeric() || dtype.is_decimal() || dtype.is_null()) {
            polars_bail!(
                InvalidOperation: "{name}: column '{}' has dtype {dtype}; expected a numeric column", field.name()
            );
        }
    }
    let all_f32 = !inputs.is_empty() && inputs.iter().all(|f| f.dtype() == &DataType::Float32);
    Ok(if all_f32 { DataType::Float32 } else { DataType::Float64 })
}

fn indicator_field(inputs: &[Field], kwargs: IndicatorKwargs) -> PolarsResult<Field> {
    let dtype = output_float_dtype(&kwargs.name, inputs)?;
    let name = output_name(inputs.iter().map(|f| f.name()));
    Ok(match kwargs.fields.as_slice() {
        [_] => Field::new(name, dtype),
        fields => Field::new(
            name,
            DataType::Struct(fields.iter().map(|f| Field::new(f.as_str().into(), dtype.clone())).collect()),
        ),
    })
}

#[polars_expr(output_type_func_with_kwargs=indicator_field)]
fn kf_indicator(inputs: &[Series], context: CallerContext, kwargs: IndicatorKwargs) -> PolarsResult<Series> {
    let name = kwargs.name.clone();
    super::guard::plugin_shielded(&name, || indicator(inputs, context, kwargs))
}

/// The plugin expression's work: inputs in kernel order, the kernel over their chunks, outputs as a column.
fn indicator(inputs: &[Series], context: CallerContext, kwargs: IndicatorKwargs) -> PolarsResult<Series> {
    let fields: Vec<Field> = inputs.iter().map(|s| s.field().into_owned()).collect();
    let dtype = output_float_dtype(&kwargs.name, &fields)?;
    // Performance statistics (crate::adapter): one relaxed load when tracking is off; recorded when this drops.
    let rows = inputs.first().map_or(0, |s| s.len());
    let _stats = crate::adapter::track_indicator(rows, kwargs.fields.len(), dtype == DataType::Float32);
    let columns = kwargs.in_kernel_order(inputs)?.into_iter().map(Input::new).collect::<PolarsResult<Vec<Input>>>()?;
    let params = Params::new(&kwargs.name, &kwargs.params);
    // When Polars already runs expressions (or groups) in parallel, its threads keep the cores busy: helpers would
    // only compete with them, so each call computes its parts on its own thread (the same parts, the same bits).
    let split = if context.parallel() { Split::DEFAULT.on_caller_only() } else { Split::DEFAULT };
    let float32 = dtype == DataType::Float32;
    let mut runner = super::chunked::ChunkedRunner { columns: &columns, float32, split };
    let outputs = dispatch(&kwargs.name, &params, &mut runner).map_err(|e| polars_err!(ComputeError: "{e}"))??;
    if outputs.len() != kwargs.fields.len() {
        polars_bail!(ComputeError: "{}: kernel returned {} outputs, expected {}", kwargs.name, outputs.len(), kwargs.fields.len());
    }
    let name = output_name(inputs.iter().map(|s| s.name()));
    let mut series = outputs
        .into_iter()
        .zip(&kwargs.fields)
        .map(|(s, field)| s.with_name(field.as_str().into()))
        .collect::<Vec<Series>>();
    if let [_] = series.as_slice() {
        if let Some(one) = series.pop() {
            return Ok(one.with_name(name));
        }
    }
    let len = inputs.first().map_or(0, |s| s.len());
    Ok(StructChunked::from_series(name, len, series.iter())?.into_series())
}
