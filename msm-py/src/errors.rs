//! msm's errors as Python exceptions. The classes live in `msm/_errors.py` (so that
//! they can subclass two builtins, `ValueError` and `MsmError`, say); the message is the
//! Rust one, put in Python terms where it names Rust (`msm.Memory(holding_registers=9)`
//! for `Memory::builder()`).

use msm::Error;
use msm::map::MapErrorKind;
use msm::master::{BlockError, Fault};
use pyo3::PyErr;

use crate::names::{area_key, area_keyword};

pyo3::import_exception!(msm._errors, MsmError);
pyo3::import_exception!(msm._errors, BadValue);
pyo3::import_exception!(msm._errors, BadDeclaration);
pyo3::import_exception!(msm._errors, BadArgument);
pyo3::import_exception!(msm._errors, MapError);
pyo3::import_exception!(msm._errors, UnknownName);
pyo3::import_exception!(msm._errors, Timeout);
pyo3::import_exception!(msm._errors, ConnectionFailed);
pyo3::import_exception!(msm._errors, ModbusError);
pyo3::import_exception!(msm._errors, Stopped);

/// The Python exception for an msm error.
pub(crate) fn to_py(e: Error) -> PyErr {
    let text = python_terms(&e);
    match &e {
        Error::OutOfRange { .. }
        | Error::TypeMismatch { .. }
        | Error::BitOutOfRange { .. }
        | Error::BadLength { .. }
        | Error::AreaTooLarge { .. }
        | Error::UnknownArea { .. }
        | Error::UnknownOrder { .. }
        | Error::UnknownByte { .. }
        | Error::Config(_)
        | Error::BadNetwork { .. }
        | Error::FileNotDeclared { .. }
        | Error::FileRecords { .. }
        | Error::BadFile { .. }
        | Error::AlreadySynced => BadDeclaration::new_err(text),
        Error::StringTooLong { .. }
        | Error::NotAscii { .. }
        | Error::LengthMismatch { .. }
        | Error::ReadOnly { .. } => BadValue::new_err(text),
        Error::Listen { source, .. } if source.kind() == std::io::ErrorKind::InvalidInput => {
            BadDeclaration::new_err(text)
        }
        Error::Io { .. } | Error::NotConnected { .. } | Error::Listen { .. } => {
            ConnectionFailed::new_err(text)
        }
        Error::Block(b) => block_error(text, b),
        Error::GaveUp { cause, .. } => block_error(text, cause),
        Error::Request(f) => request_error(text, f),
        Error::Timeout { .. } => Timeout::new_err(text),
        Error::Stopped => Stopped::new_err(text),
        Error::Map(m) => map_kind(m.kind(), text),
        _ => MsmError::new_err(text),
    }
}

/// The exception for a failed request: `msm.Timeout` when nothing answered,
/// `msm.ConnectionFailed` when the connection dropped, else `msm.ModbusError` with the
/// exception code (`None` for a malformed answer or another unit's) and the place.
pub(crate) fn block_error(text: String, b: &BlockError) -> PyErr {
    let place = (area_key(b.area), b.address, b.count);
    fault_error(text, &b.fault, b.unit, b.operation.to_string(), Some(place))
}

/// The exception for a one-off call the device did not answer usably, as for a
/// block: `operation` names the function (`"Report Server ID"`), no area.
fn request_error(text: String, f: &msm::master::RequestFailure) -> PyErr {
    fault_error(text, &f.fault, f.unit, f.function.to_string(), None)
}

/// The exception for `fault` met by `operation` on `unit` (at `place`: area, address,
/// count).
fn fault_error(
    text: String,
    fault: &Fault,
    unit: u8,
    operation: String,
    place: Option<(&'static str, u16, u16)>,
) -> PyErr {
    match fault {
        Fault::Timeout(_) => Timeout::new_err(text),
        Fault::Disconnected(_) => ConnectionFailed::new_err(text),
        fault => {
            let code = match fault {
                Fault::Exception { code } => Some(code.value()),
                _ => None,
            };
            let (area, address, count) = match place {
                Some((area, address, count)) => (Some(area), Some(address), Some(count)),
                None => (None, None, None),
            };
            ModbusError::new_err((text, code, unit, operation, area, address, count))
        }
    }
}

/// The message of `e`, with what names Rust put as Python names it.
fn python_terms(e: &Error) -> String {
    let text = e.to_string();
    if let Error::OutOfRange {
        area,
        address,
        count,
        start,
        size,
        ..
    } = e
    {
        // The smallest area holding both the old one and the variable.
        let first = (*address).min(u32::from(*start));
        let end = (address + count).max(u32::from(*start) + size);
        let needed = if first == 0 {
            format!("{end}")
        } else {
            format!("({first}, {})", end - first)
        };
        let python = format!("(msm.Memory({}={needed}) or more)", area_keyword(*area));
        return text.replace("(Memory::builder())", &python);
    }
    if let Error::FileNotDeclared { number } = e {
        return text.replace(
            &format!("Memory::builder().file({number}, records)"),
            &format!("msm.Memory(files={{{number}: records}})"),
        );
    }
    text.replace("Byte::Low or Byte::High", "\"low\" or \"high\"")
        .replace(
            "(Master::rtu, Slave::rtu)",
            "(msm.Master.rtu, msm.Slave.rtu)",
        )
        .replace(
            "give it a positive duration (Duration::MAX for none)",
            "give it a positive number of seconds",
        )
        .replace("Memory::builder()", "msm.Memory(...)")
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
            Error::StringTooLong { .. } | Error::NotAscii { .. } | Error::ReadOnly { .. },
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

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}

impl<T> IntoPy<T> for Result<T, msm::MapError> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(map_to_py)
    }
}
