//! Everything Python reaches: the Polars plugin expression (`indicators`) and the extension module's functions
//! (`transforms`, `render`, `adapter`), with the glue they share (`chunked` feeds Arrow chunks to kernels,
//! `guard` turns a panic into a Python exception, `interop` moves Series across the boundary, `polars_allocator`
//! routes allocations to Polars' allocator).

pub mod adapter;
mod chunked;
pub mod guard;
pub mod indicators;
pub mod interop;
pub mod polars_allocator;
pub mod render;
pub mod transforms;
