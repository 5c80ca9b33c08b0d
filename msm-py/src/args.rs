//! Arguments from Python, checked with messages in Python terms that name the argument
//! and say what it takes: `address must be an int in 0..=65535, got -1`.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::errors::{BadArgument, bad_declaration, bad_value};

/// `int 16`, `str 'u16'`: an object's type and repr, for messages.
pub(crate) fn described(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    let repr = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    format!("{ty} {repr}")
}

/// An int in `lo..=hi` (`what` as the message names it, usually the argument's name).
/// Not a bool, not a float; any object with `__index__` (numpy's ints) is an int.
pub(crate) fn int(obj: &Bound<'_, PyAny>, what: &str, lo: i64, hi: i64) -> PyResult<i64> {
    let takes = || format!("{what} must be an int in {lo}..={hi}");
    let is_int_like = !obj.is_instance_of::<PyBool>()
        && !obj.is_instance_of::<PyFloat>()
        && !obj.is_instance_of::<PyString>()
        && (obj.is_instance_of::<PyInt>() || obj.hasattr("__index__").unwrap_or(false));
    if !is_int_like {
        return Err(BadArgument::new_err(format!(
            "{}, got {}",
            takes(),
            described(obj)
        )));
    }
    let value = obj.extract::<i64>().ok().filter(|v| (lo..=hi).contains(v));
    value.ok_or_else(|| {
        let repr = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        bad_declaration(format!("{}, got {repr}", takes()))
    })
}

/// A register or coil address: an int in 0..=65535.
pub(crate) fn address(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    Ok(int(obj, "address", 0, 65535)? as u16)
}

/// An int in `lo..=hi` that fits a `u8` (units, bits, stop bits).
pub(crate) fn small(obj: &Bound<'_, PyAny>, what: &str, lo: u8, hi: u8) -> PyResult<u8> {
    Ok(int(obj, what, lo.into(), hi.into())? as u8)
}

/// A unit id: an int in 0..=255.
pub(crate) fn unit(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u8> {
    small(obj, what, 0, 255)
}

/// A count (registers, connections, depth) in `lo..=hi`.
pub(crate) fn count(obj: &Bound<'_, PyAny>, what: &str, lo: usize, hi: usize) -> PyResult<usize> {
    let hi = i64::try_from(hi).unwrap_or(i64::MAX);
    Ok(int(obj, what, lo as i64, hi)? as usize)
}

/// A str; `example` shows what a good one looks like (`"u16"`).
pub(crate) fn text(obj: &Bound<'_, PyAny>, what: &str, example: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_string());
    }
    Err(BadArgument::new_err(format!(
        "{what} must be a str such as {example}, got {}",
        described(obj)
    )))
}

/// An optional str (`None`: not given).
pub(crate) fn opt_text(
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
    example: &str,
) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none())
        .map(|o| text(o, what, example))
        .transpose()
}

/// Seconds as a duration: an int or a float >= 0, finite (else `msm.BadValue`).
pub(crate) fn seconds(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let takes = format!("{what} must be a number of seconds >= 0 (0.5 for 500 ms)");
    if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyString>() {
        return Err(BadArgument::new_err(format!(
            "{takes}, got {}",
            described(obj)
        )));
    }
    let Ok(s) = obj.extract::<f64>() else {
        return Err(BadArgument::new_err(format!(
            "{takes}, got {}",
            described(obj)
        )));
    };
    Duration::try_from_secs_f64(s).map_err(|_| {
        let repr = obj.repr().map(|r| r.to_string()).unwrap_or_default();
        bad_value(format!("{takes}, got {repr}"))
    })
}

/// Optional seconds (`None`: no limit, or not given).
pub(crate) fn opt_seconds(
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Duration>> {
    obj.filter(|o| !o.is_none())
        .map(|o| seconds(o, what))
        .transpose()
}

/// An optional int setting (`None`: not given), checked by `f`.
pub(crate) fn opt<T>(
    obj: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
) -> PyResult<Option<T>> {
    obj.filter(|o| !o.is_none()).map(f).transpose()
}

/// A str as Python's `repr` writes it (`'plc:502'`).
pub(crate) fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}
