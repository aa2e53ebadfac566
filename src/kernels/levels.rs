//! Levels indicators (see the catalogue entries in python/polars_kimsfinance/catalogue/levels.py).

use super::catalogue::Runner;
use super::{KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, _p: &Params, _r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        _ => return Ok(None),
    }))
}
