//! Python values to and from msm's dynamically typed values.

use msm::map::{DynValue, VarType};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::errors::bad_value;

/// A Python value for a variable of type `ty`: `bool`, `int`, `float` or `str`; the
/// variable's type then checks its range (`DynValue::convert`).
pub(crate) fn from_py(obj: &Bound<'_, PyAny>, ty: VarType) -> PyResult<DynValue> {
    let value = any_from_py(obj, ty)?;
    let fits = match ty {
        VarType::Bool | VarType::Bit => matches!(value, DynValue::Bool(_)),
        VarType::String => matches!(value, DynValue::String(_)),
        _ => !matches!(value, DynValue::Bool(_) | DynValue::String(_)),
    };
    if fits {
        Ok(value)
    } else {
        Err(wrong_kind(obj, ty))
    }
}

/// `a u16 variable takes an int, not str '7'`.
fn wrong_kind(obj: &Bound<'_, PyAny>, ty: VarType) -> PyErr {
    bad_value(format!(
        "{} {} variable takes {}, not {}",
        a_an(ty.name()),
        ty.name(),
        takes(ty),
        crate::args::described(obj)
    ))
}

/// A Python `bool`, `int`, `float` or `str` as a dynamic value, of any type.
fn any_from_py(obj: &Bound<'_, PyAny>, ty: VarType) -> PyResult<DynValue> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(DynValue::Bool(obj.is_truthy()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(v) = obj.extract::<i64>() {
            return Ok(DynValue::I64(v));
        }
        if let Ok(v) = obj.extract::<u64>() {
            return Ok(DynValue::U64(v));
        }
        return Err(bad_value(format!(
            "{obj} does not fit {} {}: it is past the 64-bit range",
            a_an(ty.name()),
            ty.name()
        )));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(DynValue::F64(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(DynValue::String(obj.extract()?));
    }
    Err(wrong_kind(obj, ty))
}

/// The Python object for a value.
pub(crate) fn to_py(py: Python<'_>, value: DynValue) -> PyResult<Py<PyAny>> {
    match value {
        DynValue::Bool(v) => v.into_py_any(py),
        DynValue::U8(v) => v.into_py_any(py),
        DynValue::I8(v) => v.into_py_any(py),
        DynValue::U16(v) => v.into_py_any(py),
        DynValue::I16(v) => v.into_py_any(py),
        DynValue::U32(v) => v.into_py_any(py),
        DynValue::I32(v) => v.into_py_any(py),
        DynValue::U64(v) => v.into_py_any(py),
        DynValue::I64(v) => v.into_py_any(py),
        DynValue::F32(v) => f64::from(v).into_py_any(py),
        DynValue::F64(v) => v.into_py_any(py),
        DynValue::String(v) => v.into_py_any(py),
    }
}

/// What kind of Python value a type takes, for messages.
fn takes(ty: VarType) -> &'static str {
    match ty {
        VarType::Bool | VarType::Bit => "True or False",
        VarType::F32 | VarType::F64 => "a number (int or float)",
        VarType::String => "a str",
        _ => "an int",
    }
}

fn a_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'f']) {
        "an"
    } else {
        "a"
    }
}
