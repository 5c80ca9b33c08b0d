//! Why a command failed, and the exit code that says so: 1 for a Modbus exception, a
//! timeout or an unreachable peer; 2 for a usage or map error.

use msm::master::{BlockError, Fault};
use msm::protocol::ExceptionCode;
use msm::{Error, MapError};

/// A failed command: the message for stderr and the process exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    /// Bad arguments or a bad map: exit code 2.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// The peer said no, said nothing, or could not be reached: exit code 1.
    pub(crate) fn modbus(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<MapError> for Failure {
    fn from(e: MapError) -> Failure {
        // Raw access builds its map from the command line: no file to name.
        Failure::usage(e.to_string().replace("<string>: ", ""))
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e {
            Error::Map(m) => Failure::from(m),
            Error::Listen { ref source, .. }
                if source.kind() == std::io::ErrorKind::InvalidInput =>
            {
                Failure::usage(e.to_string())
            }
            Error::Config(_)
            | Error::OutOfRange { .. }
            | Error::TypeMismatch { .. }
            | Error::BitOutOfRange { .. }
            | Error::BadLength { .. }
            | Error::AreaTooLarge { .. }
            | Error::StringTooLong { .. }
            | Error::NotAscii { .. }
            | Error::LengthMismatch { .. }
            | Error::ReadOnly { .. }
            | Error::UnknownArea { .. }
            | Error::UnknownOrder { .. }
            | Error::UnknownByte { .. } => Failure::usage(e.to_string()),
            Error::NotConnected { peer, reason } => {
                Failure::modbus(format!("cannot reach {peer}: {reason}{}", link_hint(&peer)))
            }
            Error::Block(b) => Failure::modbus(explain_block_error(&b, b.unit)),
            Error::Timeout { what, after } => {
                Failure::modbus(format!("timeout: {what} did not complete within {after:?}"))
            }
            other => Failure::modbus(other.to_string()),
        }
    }
}

/// A failed exchange in the CLI's words, with a hint at the likely cause.
pub(crate) fn explain_block_error(e: &BlockError, unit: u8) -> String {
    let hint = match &e.fault {
        Fault::Timeout(_) => format!("no answer from unit {unit}: check --unit and that the slave is up"),
        Fault::WrongUnit { found, .. } => {
            format!("unit {found} answered instead of unit {unit}: check --unit")
        }
        Fault::Exception {
            code: ExceptionCode::IllegalDataAddress,
        } => "the slave does not have these addresses (addresses are 0-based here: register 40001 is holding 0)".to_string(),
        Fault::Exception {
            code: ExceptionCode::IllegalFunction,
        } => "the slave does not serve this area or function".to_string(),
        Fault::BadResponse(_) => "is this a Modbus server, and is the unit right?".to_string(),
        _ => String::new(),
    };
    let what = match &e.fault {
        Fault::Exception { code } => format!("Modbus exception {code} {}", e.location()),
        Fault::Timeout(_) => format!("timeout: {}", e.describe()),
        _ => e.describe(),
    };
    if hint.is_empty() {
        what
    } else {
        format!("{what}: {hint}")
    }
}

/// What to check when a link cannot be opened: for a serial line, what `serve` says too.
pub(crate) fn link_hint(peer: &str) -> &'static str {
    if peer.starts_with('/') || peer.to_ascii_uppercase().starts_with("COM") {
        ": check the path, that no other program holds it, and the permissions (the dialout group)"
    } else {
        ""
    }
}
