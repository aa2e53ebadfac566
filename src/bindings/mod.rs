//! Everything Python reaches: the Polars plugin expression (`indicators`) and the extension module's functions
//! (`transforms`, `render`, `batch` for many charts, `adapter`, `stream` for live streams, `arrays` for kernels on
//! numpy buffers), with the glue they share (`chunked` feeds Arrow chunks to kernels, `interop` moves Series across
//! the boundary, `polars_allocator` routes allocations to Polars' allocator).

pub mod adapter;
pub mod arrays;
pub mod batch;
mod chunked;
pub mod indicators;
pub mod interop;
pub mod polars_allocator;
pub mod render;
pub mod stream;
pub mod transforms;
