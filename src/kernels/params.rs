//! Named numeric parameters and the errors a kernel can report about them.

use std::collections::BTreeMap;
use std::fmt;

/// A parameter problem, phrased for the user: `rsi: window must be >= 1, got 0`.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelError(pub String);

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KernelError {}

/// The parameters of one indicator call, read by name. Every value travels as `f64`
/// (windows, multipliers and flags alike); the accessors validate and convert.
pub struct Params<'a> {
    func: &'a str,
    values: &'a BTreeMap<String, f64>,
}

impl<'a> Params<'a> {
    pub fn new(func: &'a str, values: &'a BTreeMap<String, f64>) -> Self {
        Self { func, values }
    }

    /// The indicator's name, for error messages.
    pub fn func(&self) -> &str {
        self.func
    }

    pub fn error(&self, msg: impl fmt::Display) -> KernelError {
        KernelError(format!("{}: {}", self.func, msg))
    }

    /// A raw value; missing parameters are an error naming the parameter.
    pub fn float(&self, key: &str) -> Result<f64, KernelError> {
        let v = *self.values.get(key).ok_or_else(|| self.error(format_args!("missing parameter '{key}'")))?;
        if v.is_nan() {
            return Err(self.error(format_args!("{key} must be a number, got NaN")));
        }
        Ok(v)
    }

    /// A float that must be finite and strictly positive.
    pub fn positive(&self, key: &str) -> Result<f64, KernelError> {
        let v = self.float(key)?;
        if !v.is_finite() || v <= 0.0 {
            return Err(self.error(format_args!("{key} must be > 0, got {}", fmt_num(v))));
        }
        Ok(v)
    }

    /// A float that must be finite and >= 0.
    pub fn non_negative(&self, key: &str) -> Result<f64, KernelError> {
        let v = self.float(key)?;
        if !v.is_finite() || v < 0.0 {
            return Err(self.error(format_args!("{key} must be >= 0, got {}", fmt_num(v))));
        }
        Ok(v)
    }

    /// An integer count of at least `min` bars (and at most [`MAX_COUNT`]).
    pub fn int_at_least(&self, key: &str, min: usize) -> Result<usize, KernelError> {
        let v = self.float(key)?;
        if v.fract() != 0.0 || !v.is_finite() || v < min as f64 {
            return Err(self.error(format_args!("{key} must be an integer >= {min}, got {}", fmt_num(v))));
        }
        if v > MAX_COUNT {
            return Err(self.error(format_args!("{key} must be at most {}, got {}", MAX_COUNT as u64, fmt_num(v))));
        }
        Ok(v as usize)
    }

    /// A window length: an integer >= 1.
    pub fn window(&self, key: &str) -> Result<usize, KernelError> {
        self.int_at_least(key, 1)
    }

    /// A flag: 0 is false, anything else true.
    pub fn flag(&self, key: &str) -> Result<bool, KernelError> {
        Ok(self.float(key)? != 0.0)
    }
}

/// The largest window or count a kernel takes: far beyond any series, small enough for exact integer arithmetic.
/// The catalogue checks the same bound in Python (`catalogue/spec.py`, `MAX_COUNT`) before anything runs.
pub const MAX_COUNT: f64 = 1e12;

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e19 {
        format!("{}", v as i128)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_errors_name_function_parameter_and_value() {
        let mut m = BTreeMap::new();
        m.insert("window".to_string(), 0.0);
        let p = Params::new("rsi", &m);
        assert_eq!(p.window("window").unwrap_err().0, "rsi: window must be an integer >= 1, got 0");
        m.insert("window".to_string(), 2.5);
        let p = Params::new("rsi", &m);
        assert_eq!(p.window("window").unwrap_err().0, "rsi: window must be an integer >= 1, got 2.5");
        assert_eq!(p.float("k").unwrap_err().0, "rsi: missing parameter 'k'");
    }

    #[test]
    fn positive_rejects_zero_and_infinity() {
        let mut m = BTreeMap::new();
        m.insert("k".to_string(), 0.0);
        assert!(Params::new("bbands", &m).positive("k").is_err());
        m.insert("k".to_string(), f64::INFINITY);
        assert!(Params::new("bbands", &m).positive("k").is_err());
        m.insert("k".to_string(), 2.0);
        assert_eq!(Params::new("bbands", &m).positive("k").unwrap(), 2.0);
    }
}
