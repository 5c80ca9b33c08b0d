//! Why a command failed, and the exit code that says so: 1 for a Modbus exception, a
//! timeout or an unreachable peer; 2 for a usage or map error.

use msm::master::{BlockError, Fault};
use msm::protocol::ExceptionCode;
use msm::{Area, Error, MapError};

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
            Error::Block(b) => Failure::modbus(explain_block_error(&b, b.unit, &Credential::None)),
            Error::Timeout { what, after } => {
                Failure::modbus(format!("timeout: {what} did not complete within {after:?}"))
            }
            Error::GaveUp { what, after, cause } => Failure::modbus(format!(
                "{what} did not complete within {after:?}, retried: {}",
                explain_block_error(&cause, cause.unit, &Credential::None)
            )),
            other => Failure::modbus(other.to_string()),
        }
    }
}

/// Who a master is to its slave, for the hint at why a request was refused: over TLS
/// the slave authorizes each request by the role in the master's certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Credential {
    /// Plain Modbus/TCP or a serial line: no role.
    #[default]
    None,
    /// A TLS client certificate (`--cert`), and the role it carries (`None`: the
    /// certificate has no role extension).
    Tls { cert: String, role: Option<String> },
}

/// A failed exchange in the CLI's words, with a hint at the likely cause.
pub(crate) fn explain_block_error(e: &BlockError, unit: u8, who: &Credential) -> String {
    let hint = match &e.fault {
        Fault::Timeout(_) => {
            format!("no answer from unit {unit}: check --unit and that the slave is up")
        }
        Fault::WrongUnit { found, .. } => {
            format!("unit {found} answered instead of unit {unit}: check --unit")
        }
        Fault::Exception {
            code: ExceptionCode::IllegalDataAddress,
        } => format!(
            "the slave does not have these addresses (addresses are 0-based here: {})",
            first_address(e.area)
        ),
        Fault::Exception {
            code: ExceptionCode::IllegalFunction,
        } => match who {
            Credential::None => "the slave does not serve this area or function".to_string(),
            Credential::Tls { cert, role } => {
                let role = match role {
                    Some(role) => format!("the role {role:?} of the certificate {cert}"),
                    None => format!("the certificate {cert}, which carries no role,"),
                };
                format!(
                    "{role} may not do this: a TLS slave authorizes every request by the \
                     client's role, as its map's [roles] say (or it does not serve this area \
                     or function)"
                )
            }
        },
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

/// How the first item of `area` is numbered in the 1-based tradition, against here.
fn first_address(area: Area) -> &'static str {
    match area {
        Area::Coil => "coil 00001 is coil 0",
        Area::Discrete => "discrete input 10001 is discrete 0",
        Area::Input => "input register 30001 is input 0",
        Area::Holding => "register 40001 is holding 0",
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
