//! Everything Python reaches: the Polars plugin expression (`indicators`) and the extension module's functions
//! (`transforms`, `render`, `batch` for many charts, `adapter`, `stream` for live streams, `arrays` for kernels on
//! numpy buffers), with the glue they share (`chunked` feeds Arrow chunks to kernels, `guard` turns a panic into a
//! Python exception, `interop` moves Series across the boundary, `polars_allocator` routes allocations to Polars'
//! allocator).

// No unwrap()/expect() on what a user can influence: errors are returned, never panicked on (make lint).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod adapter;
pub mod arrays;
pub mod batch;
mod chunked;
pub mod guard;
pub mod indicators;
pub mod interop;
pub mod polars_allocator;
pub mod render;
pub mod stream;
pub mod transforms;
