//! The adapter: engine selection and bounded performance statistics (pure Rust; exposed to Python by
//! `expressions::adapter_py`).
