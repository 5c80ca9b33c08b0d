//! msm's errors as Python exceptions. The classes live in `msm/_errors.py` (so that
//! they can subclass two builtins, `ValueError` and `MsmError`, say); the message is
//! always the Rust one.

use msm::map::MapErrorKind;
use msm::master::Fault;
use pyo3::PyErr;

pyo3::import_exception!(msm._errors, MsmError);
pyo3::import_exception!(msm._errors, BadValue);
pyo3::import_exception!(msm._errors, BadDeclaration);
pyo3::import_exception!(msm._errors, MapError);
pyo3::import_exception!(msm._errors, UnknownName);
pyo3::import_exception!(msm._errors, Timeout);
pyo3::import_exception!(msm._errors, ConnectionFailed);
pyo3::import_exception!(msm._errors, ModbusError);
pyo3::import_exception!(msm._errors, Stopped);

/// The Python exception for an msm error.
pub(crate) fn to_py(e: msm::Error) -> PyErr {
    let text = e.to_string();
    match &e {
        msm::Error::OutOfRange { .. }
        | msm::Error::TypeMismatch { .. }
        | msm::Error::BitOutOfRange { .. }
        | msm::Error::BadLength { .. }
        | msm::Error::AreaTooLarge { .. }
        | msm::Error::UnknownArea { .. }
        | msm::Error::UnknownOrder { .. }
        | msm::Error::UnknownByte { .. }
        | msm::Error::Config(_)
        | msm::Error::AlreadySynced => BadDeclaration::new_err(text),
        msm::Error::StringTooLong { .. }
        | msm::Error::NotAscii { .. }
        | msm::Error::LengthMismatch { .. }
        | msm::Error::ReadOnly { .. } => BadValue::new_err(text),
        msm::Error::Io { .. } | msm::Error::NotConnected { .. } => ConnectionFailed::new_err(text),
        msm::Error::Block(b) => match b.fault {
            Fault::Timeout(_) => Timeout::new_err(text),
            Fault::Disconnected(_) => ConnectionFailed::new_err(text),
            _ => ModbusError::new_err(text),
        },
        msm::Error::Timeout { .. } => Timeout::new_err(text),
        msm::Error::Stopped => Stopped::new_err(text),
        msm::Error::Map(m) => map_kind(m.kind(), text),
        _ => MsmError::new_err(text),
    }
}

/// The Python exception for a map error (`text` is the whole message, with its place).
pub(crate) fn map_to_py(e: msm::MapError) -> PyErr {
    let text = e.to_string();
    map_kind(e.kind(), text)
}

fn map_kind(kind: &MapErrorKind, text: String) -> PyErr {
    match kind {
        MapErrorKind::UnknownVariable { .. } => UnknownName::new_err(text),
        MapErrorKind::ValueType { .. }
        | MapErrorKind::ValueSyntax { .. }
        | MapErrorKind::ValueOutOfRange { .. } => BadValue::new_err(text),
        MapErrorKind::Memory(
            msm::Error::StringTooLong { .. }
            | msm::Error::NotAscii { .. }
            | msm::Error::ReadOnly { .. },
        ) => BadValue::new_err(text),
        _ => MapError::new_err(text),
    }
}

/// A bad value given from Python, before it reaches msm.
pub(crate) fn bad_value(text: impl Into<String>) -> PyErr {
    BadValue::new_err(text.into())
}

/// A bad declaration or setting given from Python, before it reaches msm.
pub(crate) fn bad_declaration(text: impl Into<String>) -> PyErr {
    BadDeclaration::new_err(text.into())
}

/// A Python-side result from an msm result.
pub(crate) trait IntoPy<T> {
    /// Converts the error into the matching Python exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, msm::Error> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}

impl<T> IntoPy<T> for Result<T, msm::MapError> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(map_to_py)
    }
}
