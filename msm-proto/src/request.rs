//! Request PDUs and their encoding (client side). Decoding is in `request_decode.rs`.

use super::diagnostics::check_request_data;
use super::wire::{Writer, coil_word, quantity_ok};
use super::{
    Bits, EncodeError, FileReads, FileWrites, FunctionCode, MAX_DIAGNOSTICS_DATA_LEN, MAX_PDU_LEN,
    MAX_READ_BITS, MAX_READ_REGISTERS, MAX_RW_READ_REGISTERS, MAX_RW_WRITE_REGISTERS,
    MAX_WRITE_BITS, MAX_WRITE_REGISTERS, MEI_READ_DEVICE_ID, ReadDeviceIdCode, Registers,
};

/// A request PDU, borrowing its variable data from the buffer it was decoded from (or
/// that the caller built it over).
///
/// ```
/// use msm_proto::{Registers, Request};
///
/// // Client side: encode the spec's FC16 example into a buffer.
/// let values = Registers::new(&[0x00, 0x0A, 0x01, 0x02])?;
/// let request = Request::WriteMultipleRegisters { address: 1, values };
/// let mut buf = [0u8; 253];
/// let len = request.encode(&mut buf)?;
/// assert_eq!(&buf[..len], [0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02]);
///
/// // Server side: decode it back, borrowing the register bytes.
/// assert_eq!(Request::decode(&buf[..len])?, request);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// FC1: read `quantity` (1..=2000) coils from `address`.
    ReadCoils {
        /// First coil.
        address: u16,
        /// Number of coils.
        quantity: u16,
    },
    /// FC2: read `quantity` (1..=2000) discrete inputs from `address`.
    ReadDiscreteInputs {
        /// First input.
        address: u16,
        /// Number of inputs.
        quantity: u16,
    },
    /// FC3: read `quantity` (1..=125) holding registers from `address`.
    ReadHoldingRegisters {
        /// First register.
        address: u16,
        /// Number of registers.
        quantity: u16,
    },
    /// FC4: read `quantity` (1..=125) input registers from `address`.
    ReadInputRegisters {
        /// First register.
        address: u16,
        /// Number of registers.
        quantity: u16,
    },
    /// FC5: set one coil ON (`true`, 0xFF00 on the wire) or OFF (0x0000).
    WriteSingleCoil {
        /// The coil.
        address: u16,
        /// ON or OFF.
        value: bool,
    },
    /// FC6: write one holding register.
    WriteSingleRegister {
        /// The register.
        address: u16,
        /// Its new value.
        value: u16,
    },
    /// FC7: read the eight exception status outputs.
    ReadExceptionStatus,
    /// FC8: diagnostics. Any sub-function decodes; the data of those the spec defines
    /// is checked against their rule (see [`DiagnosticsRequest`](crate::DiagnosticsRequest),
    /// which reads them typed). Sub-function 0 (Return Query Data) asks the server to
    /// echo `data`.
    Diagnostics {
        /// The sub-function code.
        sub_function: u16,
        /// The data after it (0..=250 bytes).
        data: &'a [u8],
    },
    /// FC11: the status word and the comm event counter.
    GetCommEventCounter,
    /// FC12: the status word, the counters and the comm event log.
    GetCommEventLog,
    /// FC15: write `values.len()` (1..=1968) coils from `address`.
    WriteMultipleCoils {
        /// First coil.
        address: u16,
        /// The packed values.
        values: Bits<'a>,
    },
    /// FC16: write `values.len()` (1..=123) holding registers from `address`.
    WriteMultipleRegisters {
        /// First register.
        address: u16,
        /// The values, as wire bytes.
        values: Registers<'a>,
    },
    /// FC17: the server's id, run indicator and additional data.
    ReportServerId,
    /// FC20: read records of files, one group per sub-request.
    ReadFileRecord(FileReads<'a>),
    /// FC21: write records of files, one group per sub-request.
    WriteFileRecord(FileWrites<'a>),
    /// FC22: `register = (register & and_mask) | (or_mask & !and_mask)`.
    MaskWriteRegister {
        /// The register.
        address: u16,
        /// The AND mask.
        and_mask: u16,
        /// The OR mask.
        or_mask: u16,
    },
    /// FC23: write `values` (1..=121 registers) at `write_address`, then read
    /// `read_quantity` (1..=125) registers from `read_address`.
    ReadWriteMultipleRegisters {
        /// First register to read.
        read_address: u16,
        /// Number of registers to read.
        read_quantity: u16,
        /// First register to write.
        write_address: u16,
        /// The values to write, as wire bytes.
        values: Registers<'a>,
    },
    /// FC24: read the FIFO queue whose count is the holding register at `address`.
    ReadFifoQueue {
        /// The FIFO pointer address (the register holding the count).
        address: u16,
    },
    /// FC43 / MEI 0x0E: read device identification objects.
    ReadDeviceIdentification {
        /// Which objects (a category as a stream, or one specific object).
        read_code: ReadDeviceIdCode,
        /// The object to start from (or to read, with `Specific`).
        object_id: u8,
    },
    /// Any other function code (0x00..=0x7F), including FC43 with an MEI type other than
    /// 0x0E: the bytes after the function code, uninterpreted.
    Custom {
        /// The function code.
        function: u8,
        /// Everything after it (0..=252 bytes).
        data: &'a [u8],
    },
}

impl<'a> Request<'a> {
    /// The function code.
    ///
    /// ```
    /// use msm_proto::{FunctionCode, Request};
    ///
    /// let r = Request::WriteSingleCoil { address: 0xAC, value: true };
    /// assert_eq!(r.function(), FunctionCode::WriteSingleCoil);
    /// ```
    pub const fn function(&self) -> FunctionCode {
        match self {
            Self::ReadCoils { .. } => FunctionCode::ReadCoils,
            Self::ReadDiscreteInputs { .. } => FunctionCode::ReadDiscreteInputs,
            Self::ReadHoldingRegisters { .. } => FunctionCode::ReadHoldingRegisters,
            Self::ReadInputRegisters { .. } => FunctionCode::ReadInputRegisters,
            Self::WriteSingleCoil { .. } => FunctionCode::WriteSingleCoil,
            Self::WriteSingleRegister { .. } => FunctionCode::WriteSingleRegister,
            Self::ReadExceptionStatus => FunctionCode::ReadExceptionStatus,
            Self::Diagnostics { .. } => FunctionCode::Diagnostics,
            Self::GetCommEventCounter => FunctionCode::GetCommEventCounter,
            Self::GetCommEventLog => FunctionCode::GetCommEventLog,
            Self::WriteMultipleCoils { .. } => FunctionCode::WriteMultipleCoils,
            Self::WriteMultipleRegisters { .. } => FunctionCode::WriteMultipleRegisters,
            Self::ReportServerId => FunctionCode::ReportServerId,
            Self::ReadFileRecord(_) => FunctionCode::ReadFileRecord,
            Self::WriteFileRecord(_) => FunctionCode::WriteFileRecord,
            Self::MaskWriteRegister { .. } => FunctionCode::MaskWriteRegister,
            Self::ReadWriteMultipleRegisters { .. } => FunctionCode::ReadWriteMultipleRegisters,
            Self::ReadFifoQueue { .. } => FunctionCode::ReadFifoQueue,
            Self::ReadDeviceIdentification { .. } => FunctionCode::EncapsulatedInterface,
            Self::Custom { function, .. } => FunctionCode::Custom(*function),
        }
    }

    /// Length of the encoded PDU (whether or not it is within the spec's limits).
    ///
    /// ```
    /// use msm_proto::Request;
    ///
    /// assert_eq!(Request::ReadCoils { address: 0, quantity: 8 }.encoded_len(), 5);
    /// ```
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::ReadCoils { .. }
            | Self::ReadDiscreteInputs { .. }
            | Self::ReadHoldingRegisters { .. }
            | Self::ReadInputRegisters { .. }
            | Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. } => 5,
            Self::ReadExceptionStatus
            | Self::GetCommEventCounter
            | Self::GetCommEventLog
            | Self::ReportServerId => 1,
            Self::ReadFileRecord(reads) => reads.as_bytes().len().saturating_add(2),
            Self::WriteFileRecord(writes) => writes.as_bytes().len().saturating_add(2),
            Self::ReadFifoQueue { .. } => 3,
            Self::Diagnostics { data, .. } => data.len().saturating_add(3),
            Self::WriteMultipleCoils { values, .. } => values.as_bytes().len().saturating_add(6),
            Self::WriteMultipleRegisters { values, .. } => {
                values.as_bytes().len().saturating_add(6)
            }
            Self::MaskWriteRegister { .. } => 7,
            Self::ReadWriteMultipleRegisters { values, .. } => {
                values.as_bytes().len().saturating_add(10)
            }
            Self::ReadDeviceIdentification { .. } => 4,
            Self::Custom { data, .. } => data.len().saturating_add(1),
        }
    }

    /// Encodes the PDU into the front of `buf` and returns its length.
    ///
    /// Values outside the spec's limits are refused with an [`EncodeError`] naming them
    /// (a quantity of 0 or over the limit, data making the PDU longer than 253 bytes, a
    /// `Custom` function code with the exception bit set); nothing is clamped.
    ///
    /// ```
    /// use msm_proto::Request;
    ///
    /// let mut buf = [0u8; 8];
    /// let len = Request::ReadInputRegisters { address: 8, quantity: 1 }.encode(&mut buf)?;
    /// assert_eq!(&buf[..len], [0x04, 0x00, 0x08, 0x00, 0x01]);
    /// # Ok::<(), msm_proto::EncodeError>(())
    /// ```
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.check_limits()?;
        let mut w = Writer::new(buf, self.encoded_len())?;
        w.u8(self.function().value())?;
        match *self {
            Self::ReadCoils { address, quantity }
            | Self::ReadDiscreteInputs { address, quantity }
            | Self::ReadHoldingRegisters { address, quantity }
            | Self::ReadInputRegisters { address, quantity } => {
                w.u16(address)?;
                w.u16(quantity)?;
            }
            Self::WriteSingleCoil { address, value } => {
                w.u16(address)?;
                w.u16(coil_word(value))?;
            }
            Self::WriteSingleRegister { address, value } => {
                w.u16(address)?;
                w.u16(value)?;
            }
            Self::ReadExceptionStatus
            | Self::GetCommEventCounter
            | Self::GetCommEventLog
            | Self::ReportServerId => {}
            Self::Diagnostics { sub_function, data } => {
                w.u16(sub_function)?;
                w.bytes(data)?;
            }
            Self::ReadFileRecord(reads) => write_with_count(&mut w, reads.as_bytes())?,
            Self::WriteFileRecord(writes) => write_with_count(&mut w, writes.as_bytes())?,
            Self::ReadFifoQueue { address } => w.u16(address)?,
            Self::WriteMultipleCoils { address, values } => {
                w.u16(address)?;
                write_bits_with_count(&mut w, values)?;
            }
            Self::WriteMultipleRegisters { address, values } => {
                w.u16(address)?;
                w.u16(register_count(values))?;
                write_registers_with_count(&mut w, values)?;
            }
            Self::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            } => {
                w.u16(address)?;
                w.u16(and_mask)?;
                w.u16(or_mask)?;
            }
            Self::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                values,
            } => {
                w.u16(read_address)?;
                w.u16(read_quantity)?;
                w.u16(write_address)?;
                w.u16(register_count(values))?;
                write_registers_with_count(&mut w, values)?;
            }
            Self::ReadDeviceIdentification {
                read_code,
                object_id,
            } => {
                w.u8(MEI_READ_DEVICE_ID)?;
                w.u8(read_code.value())?;
                w.u8(object_id)?;
            }
            Self::Custom { data, .. } => w.bytes(data)?,
        }
        Ok(w.finish())
    }

    /// Every limit `encode` enforces, before anything is written.
    fn check_limits(&self) -> Result<(), EncodeError> {
        let function = self.function().value();
        let quantity = |field, value: usize, max| {
            if quantity_ok(value, max) {
                Ok(())
            } else {
                Err(EncodeError::Quantity {
                    function,
                    field,
                    value,
                    max,
                })
            }
        };
        match *self {
            Self::ReadCoils { quantity: q, .. } | Self::ReadDiscreteInputs { quantity: q, .. } => {
                quantity("quantity", q.into(), MAX_READ_BITS)
            }
            Self::ReadHoldingRegisters { quantity: q, .. }
            | Self::ReadInputRegisters { quantity: q, .. } => {
                quantity("quantity", q.into(), MAX_READ_REGISTERS)
            }
            Self::WriteMultipleCoils { values, .. } => {
                quantity("quantity", values.len(), MAX_WRITE_BITS)
            }
            Self::WriteMultipleRegisters { values, .. } => {
                quantity("quantity", values.len(), MAX_WRITE_REGISTERS)
            }
            Self::ReadWriteMultipleRegisters {
                read_quantity,
                values,
                ..
            } => {
                quantity("read quantity", read_quantity.into(), MAX_RW_READ_REGISTERS)?;
                quantity("write quantity", values.len(), MAX_RW_WRITE_REGISTERS)
            }
            Self::Diagnostics { data, .. } if data.len() > MAX_DIAGNOSTICS_DATA_LEN => {
                Err(EncodeError::PduTooLong {
                    function,
                    len: self.encoded_len(),
                })
            }
            Self::Diagnostics { sub_function, data } => check_request_data(sub_function, data)
                .map_err(|_| EncodeError::DiagnosticsData { sub_function }),
            Self::Custom { function, .. } if function >= 0x80 => Err(EncodeError::Function {
                function,
                reason: "the exception bit (0x80) is set",
            }),
            Self::Custom { .. } if self.encoded_len() > MAX_PDU_LEN => {
                Err(EncodeError::PduTooLong {
                    function,
                    len: self.encoded_len(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// A byte count, then the bytes it counts (checked to fit by the views' constructors).
fn write_with_count(w: &mut Writer<'_>, bytes: &[u8]) -> Result<(), EncodeError> {
    w.u8(u8::try_from(bytes.len()).unwrap_or(u8::MAX))?;
    w.bytes(bytes)
}

/// Number of registers as the u16 the wire carries (the caller checked the limit).
fn register_count(values: Registers<'_>) -> u16 {
    u16::try_from(values.len()).unwrap_or(u16::MAX)
}

/// Byte count and register bytes, shared by FC16 and FC23.
fn write_registers_with_count(
    w: &mut Writer<'_>,
    values: Registers<'_>,
) -> Result<(), EncodeError> {
    let bytes = values.as_bytes();
    w.u8(u8::try_from(bytes.len()).unwrap_or(u8::MAX))?;
    w.bytes(bytes)
}

/// Quantity, byte count and packed bits (padding cleared, as the spec requires): FC15.
fn write_bits_with_count(w: &mut Writer<'_>, values: Bits<'_>) -> Result<(), EncodeError> {
    w.u16(u16::try_from(values.len()).unwrap_or(u16::MAX))?;
    write_packed_bits(w, values)
}

/// Byte count then the packed bits with the padding of the last byte cleared; shared by
/// FC15 requests and FC1/FC2 responses.
pub(crate) fn write_packed_bits(w: &mut Writer<'_>, values: Bits<'_>) -> Result<(), EncodeError> {
    let bytes = values.as_bytes();
    w.u8(u8::try_from(bytes.len()).unwrap_or(u8::MAX))?;
    if let Some((_, head)) = bytes.split_last() {
        w.bytes(head)?;
        w.u8(values.last_byte_masked().unwrap_or(0))?;
    }
    Ok(())
}
