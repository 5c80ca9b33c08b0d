//! Exception codes.

use core::fmt;

use super::code_enum::code_enum;

code_enum! {
    /// A Modbus exception code, as carried by an exception response (function | 0x80, code).
    ///
    /// ```
    /// use msm_proto::ExceptionCode;
    ///
    /// assert_eq!(ExceptionCode::from_u8(2), ExceptionCode::IllegalDataAddress);
    /// assert_eq!(ExceptionCode::IllegalDataValue.value(), 3);
    /// assert_eq!(ExceptionCode::from_u8(0x42), ExceptionCode::Other(0x42));
    /// assert_eq!(ExceptionCode::IllegalFunction.to_string(), "illegal function (01)");
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ExceptionCode {
        /// Any other code, carried as is.
        Other(u8),
        /// 01: the function code is not allowed or not supported by the server.
        IllegalFunction = 0x01, "illegal function";
        /// 02: the data address (or address + quantity) is not allowed for the server.
        IllegalDataAddress = 0x02, "illegal data address";
        /// 03: a value in the request (quantity, byte count, value) is not allowed.
        IllegalDataValue = 0x03, "illegal data value";
        /// 04: an unrecoverable error occurred while the server performed the action.
        ServerDeviceFailure = 0x04, "server device failure";
        /// 05: the server accepted a long-running request and is processing it.
        Acknowledge = 0x05, "acknowledge";
        /// 06: the server is busy with a long-running command; retry later.
        ServerDeviceBusy = 0x06, "server device busy";
        /// 08: the server detected a parity error in its extended memory (FC20/21).
        MemoryParityError = 0x08, "memory parity error";
        /// 0A: the gateway could not allocate a path to the target.
        GatewayPathUnavailable = 0x0A, "gateway path unavailable";
        /// 0B: the gateway's target device failed to respond.
        GatewayTargetDevice = 0x0B, "gateway target device failed to respond";
    }
    /// The variant for a wire code; codes the spec does not define become `Other`.
    ///
    /// ```
    /// # use msm_proto::ExceptionCode;
    /// assert_eq!(ExceptionCode::from_u8(0x0B), ExceptionCode::GatewayTargetDevice);
    /// ```
    fn from_u8;
    /// The wire code.
    ///
    /// ```
    /// # use msm_proto::ExceptionCode;
    /// assert_eq!(ExceptionCode::GatewayPathUnavailable.value(), 0x0A);
    /// ```
    fn value;
}

impl fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = self.name().unwrap_or("exception code");
        write!(f, "{meaning} ({:02x})", self.value())
    }
}

impl core::error::Error for ExceptionCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_gives_meaning_and_code() {
        assert_eq!(
            ExceptionCode::GatewayTargetDevice.to_string(),
            "gateway target device failed to respond (0b)"
        );
        assert_eq!(ExceptionCode::Other(7).to_string(), "exception code (07)");
    }
}
