//! Exception codes.

use core::fmt;

/// A Modbus exception code, as carried by an exception response (function | 0x80, code).
///
/// ```
/// use msm::protocol::ExceptionCode;
///
/// assert_eq!(ExceptionCode::from_u8(2), ExceptionCode::IllegalDataAddress);
/// assert_eq!(ExceptionCode::IllegalDataValue.value(), 3);
/// assert_eq!(ExceptionCode::from_u8(0x42), ExceptionCode::Other(0x42));
/// assert_eq!(ExceptionCode::IllegalFunction.to_string(), "illegal function (01)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionCode {
    /// 01: the function code is not allowed or not supported by the server.
    IllegalFunction,
    /// 02: the data address (or address + quantity) is not allowed for the server.
    IllegalDataAddress,
    /// 03: a value in the request (quantity, byte count, value) is not allowed.
    IllegalDataValue,
    /// 04: an unrecoverable error occurred while the server performed the action.
    ServerDeviceFailure,
    /// 05: the server accepted a long-running request and is processing it.
    Acknowledge,
    /// 06: the server is busy with a long-running command; retry later.
    ServerDeviceBusy,
    /// 08: the server detected a parity error in its extended memory (FC20/21).
    MemoryParityError,
    /// 0A: the gateway could not allocate a path to the target.
    GatewayPathUnavailable,
    /// 0B: the gateway's target device failed to respond.
    GatewayTargetDevice,
    /// Any other code, carried as is.
    Other(u8),
}

impl ExceptionCode {
    /// The variant for a wire code; codes the spec does not define become `Other`.
    ///
    /// ```
    /// # use msm::protocol::ExceptionCode;
    /// assert_eq!(ExceptionCode::from_u8(0x0B), ExceptionCode::GatewayTargetDevice);
    /// ```
    pub const fn from_u8(code: u8) -> Self {
        match code {
            0x01 => Self::IllegalFunction,
            0x02 => Self::IllegalDataAddress,
            0x03 => Self::IllegalDataValue,
            0x04 => Self::ServerDeviceFailure,
            0x05 => Self::Acknowledge,
            0x06 => Self::ServerDeviceBusy,
            0x08 => Self::MemoryParityError,
            0x0A => Self::GatewayPathUnavailable,
            0x0B => Self::GatewayTargetDevice,
            other => Self::Other(other),
        }
    }

    /// The wire code.
    ///
    /// ```
    /// # use msm::protocol::ExceptionCode;
    /// assert_eq!(ExceptionCode::GatewayPathUnavailable.value(), 0x0A);
    /// ```
    pub const fn value(self) -> u8 {
        match self {
            Self::IllegalFunction => 0x01,
            Self::IllegalDataAddress => 0x02,
            Self::IllegalDataValue => 0x03,
            Self::ServerDeviceFailure => 0x04,
            Self::Acknowledge => 0x05,
            Self::ServerDeviceBusy => 0x06,
            Self::MemoryParityError => 0x08,
            Self::GatewayPathUnavailable => 0x0A,
            Self::GatewayTargetDevice => 0x0B,
            Self::Other(code) => code,
        }
    }
}

impl From<u8> for ExceptionCode {
    fn from(code: u8) -> Self {
        Self::from_u8(code)
    }
}

impl From<ExceptionCode> for u8 {
    fn from(code: ExceptionCode) -> Self {
        code.value()
    }
}

impl fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = match self {
            Self::IllegalFunction => "illegal function",
            Self::IllegalDataAddress => "illegal data address",
            Self::IllegalDataValue => "illegal data value",
            Self::ServerDeviceFailure => "server device failure",
            Self::Acknowledge => "acknowledge",
            Self::ServerDeviceBusy => "server device busy",
            Self::MemoryParityError => "memory parity error",
            Self::GatewayPathUnavailable => "gateway path unavailable",
            Self::GatewayTargetDevice => "gateway target device failed to respond",
            Self::Other(_) => "exception code",
        };
        write!(f, "{meaning} ({:02x})", self.value())
    }
}

impl std::error::Error for ExceptionCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0..=u8::MAX {
            assert_eq!(ExceptionCode::from_u8(code).value(), code);
        }
    }

    #[test]
    fn display_gives_meaning_and_code() {
        assert_eq!(
            ExceptionCode::GatewayTargetDevice.to_string(),
            "gateway target device failed to respond (0b)"
        );
        assert_eq!(ExceptionCode::Other(7).to_string(), "exception code (07)");
    }
}
