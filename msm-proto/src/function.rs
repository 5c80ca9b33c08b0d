//! Function codes.

use core::fmt;

use super::code_enum::code_enum;

code_enum! {
    /// A Modbus function code, named as in the spec.
    ///
    /// [`FunctionCode::from_u8`] maps every code this codec models to its variant and any
    /// other to [`FunctionCode::Custom`]; it never builds `Custom` with a modelled code.
    ///
    /// ```
    /// use msm_proto::FunctionCode;
    ///
    /// assert_eq!(FunctionCode::from_u8(3), FunctionCode::ReadHoldingRegisters);
    /// assert_eq!(FunctionCode::ReadHoldingRegisters.value(), 3);
    /// assert_eq!(FunctionCode::from_u8(0x41), FunctionCode::Custom(0x41));
    /// assert_eq!(FunctionCode::from_u8(0x14), FunctionCode::ReadFileRecord);
    /// assert_eq!(FunctionCode::WriteMultipleCoils.to_string(), "Write Multiple Coils");
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum FunctionCode {
        /// Any other code, carried as is.
        Custom(u8),
        /// 0x01 Read Coils.
        ReadCoils = 0x01, "Read Coils";
        /// 0x02 Read Discrete Inputs.
        ReadDiscreteInputs = 0x02, "Read Discrete Inputs";
        /// 0x03 Read Holding Registers.
        ReadHoldingRegisters = 0x03, "Read Holding Registers";
        /// 0x04 Read Input Registers.
        ReadInputRegisters = 0x04, "Read Input Registers";
        /// 0x05 Write Single Coil.
        WriteSingleCoil = 0x05, "Write Single Coil";
        /// 0x06 Write Single Register.
        WriteSingleRegister = 0x06, "Write Single Register";
        /// 0x07 Read Exception Status (serial line only in the spec).
        ReadExceptionStatus = 0x07, "Read Exception Status";
        /// 0x08 Diagnostics (serial line only in the spec): a sub-function per check or
        /// counter ([`DiagnosticsSubFunction`](crate::DiagnosticsSubFunction)).
        Diagnostics = 0x08, "Diagnostics";
        /// 0x0B Get Comm Event Counter (serial line only in the spec).
        GetCommEventCounter = 0x0B, "Get Comm Event Counter";
        /// 0x0C Get Comm Event Log (serial line only in the spec).
        GetCommEventLog = 0x0C, "Get Comm Event Log";
        /// 0x0F Write Multiple Coils.
        WriteMultipleCoils = 0x0F, "Write Multiple Coils";
        /// 0x10 Write Multiple Registers.
        WriteMultipleRegisters = 0x10, "Write Multiple Registers";
        /// 0x11 Report Server ID (serial line only in the spec).
        ReportServerId = 0x11, "Report Server ID";
        /// 0x14 Read File Record.
        ReadFileRecord = 0x14, "Read File Record";
        /// 0x15 Write File Record.
        WriteFileRecord = 0x15, "Write File Record";
        /// 0x16 Mask Write Register.
        MaskWriteRegister = 0x16, "Mask Write Register";
        /// 0x17 Read/Write Multiple Registers.
        ReadWriteMultipleRegisters = 0x17, "Read/Write Multiple Registers";
        /// 0x18 Read FIFO Queue.
        ReadFifoQueue = 0x18, "Read FIFO Queue";
        /// 0x2B Encapsulated Interface Transport (MEI type 0x0E: Read Device Identification).
        EncapsulatedInterface = 0x2B, "Encapsulated Interface Transport";
    }
    /// The variant for a wire code.
    ///
    /// ```
    /// # use msm_proto::FunctionCode;
    /// assert_eq!(FunctionCode::from_u8(0x17), FunctionCode::ReadWriteMultipleRegisters);
    /// ```
    fn from_u8;
    /// The wire code.
    ///
    /// ```
    /// # use msm_proto::FunctionCode;
    /// assert_eq!(FunctionCode::MaskWriteRegister.value(), 0x16);
    /// assert_eq!(FunctionCode::Custom(0x41).value(), 0x41);
    /// ```
    fn value;
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "function code {:#04x}", self.value()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_is_only_for_unmodelled_codes() {
        let modelled = [
            1u8, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
        ];
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
