//! Function codes.

use core::fmt;

/// A Modbus function code, named as in the spec.
///
/// [`FunctionCode::from_u8`] maps every code this codec models to its variant and any
/// other to [`FunctionCode::Custom`]; it never builds `Custom` with a modelled code.
///
/// ```
/// use msm::protocol::FunctionCode;
///
/// assert_eq!(FunctionCode::from_u8(3), FunctionCode::ReadHoldingRegisters);
/// assert_eq!(FunctionCode::ReadHoldingRegisters.value(), 3);
/// assert_eq!(FunctionCode::from_u8(0x41), FunctionCode::Custom(0x41));
/// assert_eq!(FunctionCode::WriteMultipleCoils.to_string(), "Write Multiple Coils");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FunctionCode {
    /// 0x01 Read Coils.
    ReadCoils,
    /// 0x02 Read Discrete Inputs.
    ReadDiscreteInputs,
    /// 0x03 Read Holding Registers.
    ReadHoldingRegisters,
    /// 0x04 Read Input Registers.
    ReadInputRegisters,
    /// 0x05 Write Single Coil.
    WriteSingleCoil,
    /// 0x06 Write Single Register.
    WriteSingleRegister,
    /// 0x08 Diagnostics (serial line only in the spec; sub-function 0 echoes).
    Diagnostics,
    /// 0x0F Write Multiple Coils.
    WriteMultipleCoils,
    /// 0x10 Write Multiple Registers.
    WriteMultipleRegisters,
    /// 0x16 Mask Write Register.
    MaskWriteRegister,
    /// 0x17 Read/Write Multiple Registers.
    ReadWriteMultipleRegisters,
    /// 0x2B Encapsulated Interface Transport (MEI type 0x0E: Read Device Identification).
    EncapsulatedInterface,
    /// Any other code, carried as is.
    Custom(u8),
}

impl FunctionCode {
    /// The variant for a wire code.
    ///
    /// ```
    /// # use msm::protocol::FunctionCode;
    /// assert_eq!(FunctionCode::from_u8(0x17), FunctionCode::ReadWriteMultipleRegisters);
    /// ```
    pub const fn from_u8(code: u8) -> Self {
        match code {
            0x01 => Self::ReadCoils,
            0x02 => Self::ReadDiscreteInputs,
            0x03 => Self::ReadHoldingRegisters,
            0x04 => Self::ReadInputRegisters,
            0x05 => Self::WriteSingleCoil,
            0x06 => Self::WriteSingleRegister,
            0x08 => Self::Diagnostics,
            0x0F => Self::WriteMultipleCoils,
            0x10 => Self::WriteMultipleRegisters,
            0x16 => Self::MaskWriteRegister,
            0x17 => Self::ReadWriteMultipleRegisters,
            0x2B => Self::EncapsulatedInterface,
            other => Self::Custom(other),
        }
    }

    /// The wire code.
    ///
    /// ```
    /// # use msm::protocol::FunctionCode;
    /// assert_eq!(FunctionCode::MaskWriteRegister.value(), 0x16);
    /// assert_eq!(FunctionCode::Custom(0x41).value(), 0x41);
    /// ```
    pub const fn value(self) -> u8 {
        match self {
            Self::ReadCoils => 0x01,
            Self::ReadDiscreteInputs => 0x02,
            Self::ReadHoldingRegisters => 0x03,
            Self::ReadInputRegisters => 0x04,
            Self::WriteSingleCoil => 0x05,
            Self::WriteSingleRegister => 0x06,
            Self::Diagnostics => 0x08,
            Self::WriteMultipleCoils => 0x0F,
            Self::WriteMultipleRegisters => 0x10,
            Self::MaskWriteRegister => 0x16,
            Self::ReadWriteMultipleRegisters => 0x17,
            Self::EncapsulatedInterface => 0x2B,
            Self::Custom(code) => code,
        }
    }
}

impl From<u8> for FunctionCode {
    fn from(code: u8) -> Self {
        Self::from_u8(code)
    }
}

impl From<FunctionCode> for u8 {
    fn from(code: FunctionCode) -> Self {
        code.value()
    }
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::ReadCoils => "Read Coils",
            Self::ReadDiscreteInputs => "Read Discrete Inputs",
            Self::ReadHoldingRegisters => "Read Holding Registers",
            Self::ReadInputRegisters => "Read Input Registers",
            Self::WriteSingleCoil => "Write Single Coil",
            Self::WriteSingleRegister => "Write Single Register",
            Self::Diagnostics => "Diagnostics",
            Self::WriteMultipleCoils => "Write Multiple Coils",
            Self::WriteMultipleRegisters => "Write Multiple Registers",
            Self::MaskWriteRegister => "Mask Write Register",
            Self::ReadWriteMultipleRegisters => "Read/Write Multiple Registers",
            Self::EncapsulatedInterface => "Encapsulated Interface Transport",
            Self::Custom(code) => return write!(f, "function code {code:#04x}"),
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0..=u8::MAX {
            assert_eq!(FunctionCode::from_u8(code).value(), code);
        }
    }

    #[test]
    fn custom_is_only_for_unmodelled_codes() {
        let modelled = [1u8, 2, 3, 4, 5, 6, 8, 15, 16, 22, 23, 43];
        for code in 0..=u8::MAX {
            let custom = matches!(FunctionCode::from_u8(code), FunctionCode::Custom(_));
            assert_eq!(custom, !modelled.contains(&code), "code {code}");
        }
    }

    #[test]
    fn display_names_custom_codes_in_hex() {
        assert_eq!(FunctionCode::Custom(0x41).to_string(), "function code 0x41");
        assert_eq!(
            FunctionCode::ReadWriteMultipleRegisters.to_string(),
            "Read/Write Multiple Registers"
        );
    }
}
