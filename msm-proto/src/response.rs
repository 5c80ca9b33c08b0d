//! Response PDUs and their encoding (server side). Decoding is in `response_decode.rs`,
//! matching a response to its request in `check.rs`.

use super::diagnostics::check_response_data;
use super::limits::check_read_byte_count;
use super::request::write_packed_bits;
use super::wire::{Writer, coil_word, quantity_ok};
use super::{
    Bits, CommEventLog, DeviceIdentification, EncodeError, ExceptionCode, FileRecords, FileWrites,
    FunctionCode, MAX_DIAGNOSTICS_DATA_LEN, MAX_FIFO_COUNT, MAX_PDU_LEN, MAX_READ_BITS,
    MAX_READ_REGISTERS, MAX_RW_READ_REGISTERS, MAX_WRITE_BITS, MAX_WRITE_REGISTERS, Registers,
    ServerIdReport,
};

/// A response PDU, borrowing its variable data from the buffer it was decoded from.
///
/// ```
/// use msm_proto::{Response, Registers};
///
/// // Server side: the spec's FC3 example response.
/// let registers = Registers::new(&[0x02, 0x2B, 0x00, 0x00, 0x00, 0x64])?;
/// let mut buf = [0u8; 253];
/// let len = Response::ReadHoldingRegisters(registers).encode(&mut buf)?;
/// assert_eq!(&buf[..len], [0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response<'a> {
    /// FC1: the coils read. The wire carries a byte count, not the quantity, so a decoded
    /// view holds `byte_count * 8` bits; take the first `quantity` of them.
    ReadCoils(Bits<'a>),
    /// FC2: the discrete inputs read (`byte_count * 8` bits when decoded, as FC1).
    ReadDiscreteInputs(Bits<'a>),
    /// FC3: the holding registers read.
    ReadHoldingRegisters(Registers<'a>),
    /// FC4: the input registers read.
    ReadInputRegisters(Registers<'a>),
    /// FC5: echo of the request.
    WriteSingleCoil {
        /// The coil.
        address: u16,
        /// ON or OFF.
        value: bool,
    },
    /// FC6: echo of the request.
    WriteSingleRegister {
        /// The register.
        address: u16,
        /// Its new value.
        value: u16,
    },
    /// FC7: the eight exception status outputs, output 0 in bit 0.
    ReadExceptionStatus(u8),
    /// FC8: sub-function and data (sub-function 0 echoes the request's data; see
    /// [`DiagnosticsResponse`](crate::DiagnosticsResponse) for the typed meaning).
    Diagnostics {
        /// The sub-function code.
        sub_function: u16,
        /// The data after it.
        data: &'a [u8],
    },
    /// FC11: the status word and the comm event counter.
    GetCommEventCounter {
        /// 0xFFFF while a previous command is still being processed, else 0.
        status: u16,
        /// The comm event counter.
        event_count: u16,
    },
    /// FC12: the status word, the counters and the comm event log.
    GetCommEventLog(CommEventLog<'a>),
    /// FC15: address and quantity written.
    WriteMultipleCoils {
        /// First coil.
        address: u16,
        /// Number of coils.
        quantity: u16,
    },
    /// FC16: address and quantity written.
    WriteMultipleRegisters {
        /// First register.
        address: u16,
        /// Number of registers.
        quantity: u16,
    },
    /// FC17: server id, run indicator, additional data.
    ReportServerId(ServerIdReport<'a>),
    /// FC20: the records read, one group per sub-request.
    ReadFileRecord(FileRecords<'a>),
    /// FC21: echo of the request.
    WriteFileRecord(FileWrites<'a>),
    /// FC22: echo of the request.
    MaskWriteRegister {
        /// The register.
        address: u16,
        /// The AND mask.
        and_mask: u16,
        /// The OR mask.
        or_mask: u16,
    },
    /// FC23: the registers read.
    ReadWriteMultipleRegisters(Registers<'a>),
    /// FC24: the FIFO's registers (0..=31), oldest first.
    ReadFifoQueue(Registers<'a>),
    /// FC43 / MEI 0x0E: device identification objects.
    ReadDeviceIdentification(DeviceIdentification<'a>),
    /// An exception response (function code | 0x80, exception code).
    Exception {
        /// The function code of the request, without the 0x80 bit.
        function: u8,
        /// Why the request failed.
        code: ExceptionCode,
    },
    /// Any other function code (0x00..=0x7F), including FC43 with an MEI type other than
    /// 0x0E: the bytes after the function code, uninterpreted.
    Custom {
        /// The function code.
        function: u8,
        /// Everything after it.
        data: &'a [u8],
    },
}

impl Response<'_> {
    /// The function this response answers (for an exception, the request's function).
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, FunctionCode, Response};
    ///
    /// let r = Response::Exception { function: 3, code: ExceptionCode::IllegalDataAddress };
    /// assert_eq!(r.function(), FunctionCode::ReadHoldingRegisters);
    /// ```
    pub const fn function(&self) -> FunctionCode {
        match self {
            Self::ReadCoils(_) => FunctionCode::ReadCoils,
            Self::ReadDiscreteInputs(_) => FunctionCode::ReadDiscreteInputs,
            Self::ReadHoldingRegisters(_) => FunctionCode::ReadHoldingRegisters,
            Self::ReadInputRegisters(_) => FunctionCode::ReadInputRegisters,
            Self::WriteSingleCoil { .. } => FunctionCode::WriteSingleCoil,
            Self::WriteSingleRegister { .. } => FunctionCode::WriteSingleRegister,
            Self::ReadExceptionStatus(_) => FunctionCode::ReadExceptionStatus,
            Self::Diagnostics { .. } => FunctionCode::Diagnostics,
            Self::GetCommEventCounter { .. } => FunctionCode::GetCommEventCounter,
            Self::GetCommEventLog(_) => FunctionCode::GetCommEventLog,
            Self::WriteMultipleCoils { .. } => FunctionCode::WriteMultipleCoils,
            Self::WriteMultipleRegisters { .. } => FunctionCode::WriteMultipleRegisters,
            Self::ReportServerId(_) => FunctionCode::ReportServerId,
            Self::ReadFileRecord(_) => FunctionCode::ReadFileRecord,
            Self::WriteFileRecord(_) => FunctionCode::WriteFileRecord,
            Self::MaskWriteRegister { .. } => FunctionCode::MaskWriteRegister,
            Self::ReadWriteMultipleRegisters(_) => FunctionCode::ReadWriteMultipleRegisters,
            Self::ReadFifoQueue(_) => FunctionCode::ReadFifoQueue,
            Self::ReadDeviceIdentification(_) => FunctionCode::EncapsulatedInterface,
            Self::Exception { function, .. } | Self::Custom { function, .. } => {
                FunctionCode::from_u8(*function)
            }
        }
    }

    /// Length of the encoded PDU (whether or not it is within the spec's limits).
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, Response};
    ///
    /// let r = Response::Exception { function: 1, code: ExceptionCode::IllegalDataAddress };
    /// assert_eq!(r.encoded_len(), 2);
    /// ```
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::ReadCoils(bits) | Self::ReadDiscreteInputs(bits) => {
                bits.as_bytes().len().saturating_add(2)
            }
            Self::ReadHoldingRegisters(regs)
            | Self::ReadInputRegisters(regs)
            | Self::ReadWriteMultipleRegisters(regs) => regs.as_bytes().len().saturating_add(2),
            Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. }
            | Self::WriteMultipleCoils { .. }
            | Self::WriteMultipleRegisters { .. } => 5,
            Self::Diagnostics { data, .. } => data.len().saturating_add(3),
            Self::ReadExceptionStatus(_) => 2,
            Self::GetCommEventCounter { .. } => 5,
            Self::GetCommEventLog(log) => log.byte_count().saturating_add(2),
            Self::ReportServerId(report) => report.as_bytes().len().saturating_add(2),
            Self::ReadFileRecord(records) => records.as_bytes().len().saturating_add(2),
            Self::WriteFileRecord(writes) => writes.as_bytes().len().saturating_add(2),
            Self::ReadFifoQueue(regs) => regs.as_bytes().len().saturating_add(5),
            Self::MaskWriteRegister { .. } => 7,
            Self::ReadDeviceIdentification(id) => id.encoded_len(),
            Self::Exception { .. } => 2,
            Self::Custom { data, .. } => data.len().saturating_add(1),
        }
    }

    /// Encodes the PDU into the front of `buf` and returns its length.
    ///
    /// Out-of-limit contents are refused with an [`EncodeError`]: no data or more than a
    /// read may return, an echoed quantity of 0 or over the limit, a PDU over 253 bytes,
    /// a `Custom` function code with the exception bit set. The padding bits of packed
    /// coils are written as zeros, as the spec asks. For `Exception`, the 0x80 bit is set
    /// on `function` (so a request whose code already had it can still be answered).
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, Response};
    ///
    /// let mut buf = [0u8; 2];
    /// let r = Response::Exception { function: 1, code: ExceptionCode::IllegalDataAddress };
    /// assert_eq!(r.encode(&mut buf)?, 2);
    /// assert_eq!(buf, [0x81, 0x02]);
    /// # Ok::<(), msm_proto::EncodeError>(())
    /// ```
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.check_limits()?;
        let mut w = Writer::new(buf, self.encoded_len())?;
        match *self {
            Self::ReadCoils(bits) | Self::ReadDiscreteInputs(bits) => {
                w.u8(self.function().value())?;
                write_packed_bits(&mut w, bits)?;
            }
            Self::ReadHoldingRegisters(regs)
            | Self::ReadInputRegisters(regs)
            | Self::ReadWriteMultipleRegisters(regs) => {
                let bytes = regs.as_bytes();
                w.u8(self.function().value())?;
                w.u8(u8::try_from(bytes.len()).unwrap_or(u8::MAX))?;
                w.bytes(bytes)?;
            }
            Self::WriteSingleCoil { address, value } => {
                w.u8(0x05)?;
                w.u16(address)?;
                w.u16(coil_word(value))?;
            }
            Self::WriteSingleRegister {
                address,
                value: quantity,
            }
            | Self::WriteMultipleCoils { address, quantity }
            | Self::WriteMultipleRegisters { address, quantity } => {
                w.u8(self.function().value())?;
                w.u16(address)?;
                w.u16(quantity)?;
            }
            Self::Diagnostics { sub_function, data } => {
                w.u8(0x08)?;
                w.u16(sub_function)?;
                w.bytes(data)?;
            }
            Self::ReadExceptionStatus(outputs) => {
                w.u8(0x07)?;
                w.u8(outputs)?;
            }
            Self::GetCommEventCounter {
                status,
                event_count,
            } => {
                w.u8(0x0B)?;
                w.u16(status)?;
                w.u16(event_count)?;
            }
            Self::GetCommEventLog(log) => {
                w.u8(0x0C)?;
                w.u8(u8::try_from(log.byte_count()).unwrap_or(u8::MAX))?;
                w.u16(log.status)?;
                w.u16(log.event_count)?;
                w.u16(log.message_count)?;
                w.bytes(log.events)?;
            }
            Self::ReportServerId(report) => write_counted(&mut w, 0x11, report.as_bytes())?,
            Self::ReadFileRecord(records) => write_counted(&mut w, 0x14, records.as_bytes())?,
            Self::WriteFileRecord(writes) => write_counted(&mut w, 0x15, writes.as_bytes())?,
            Self::ReadFifoQueue(regs) => {
                let count = u16::try_from(regs.len()).unwrap_or(u16::MAX);
                w.u8(0x18)?;
                w.u16(count.saturating_mul(2).saturating_add(2))?;
                w.u16(count)?;
                w.bytes(regs.as_bytes())?;
            }
            Self::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            } => {
                w.u8(0x16)?;
                w.u16(address)?;
                w.u16(and_mask)?;
                w.u16(or_mask)?;
            }
            Self::ReadDeviceIdentification(id) => id.write(&mut w)?,
            Self::Exception { function, code } => {
                w.u8(function | 0x80)?;
                w.u8(code.value())?;
            }
            Self::Custom { function, data } => {
                w.u8(function)?;
                w.bytes(data)?;
            }
        }
        Ok(w.finish())
    }

    /// Every limit `encode` enforces, before anything is written.
    fn check_limits(&self) -> Result<(), EncodeError> {
        let function = self.function().value();
        let quantity = |value: usize, max| {
            if quantity_ok(value, max) {
                Ok(())
            } else {
                Err(EncodeError::Quantity {
                    function,
                    field: "quantity",
                    value,
                    max,
                })
            }
        };
        let too_long = || EncodeError::PduTooLong {
            function,
            len: self.encoded_len(),
        };
        match *self {
            Self::ReadCoils(bits) | Self::ReadDiscreteInputs(bits) => {
                quantity(bits.len(), MAX_READ_BITS)
            }
            Self::ReadHoldingRegisters(regs) | Self::ReadInputRegisters(regs) => {
                quantity(regs.len(), MAX_READ_REGISTERS)
            }
            Self::ReadWriteMultipleRegisters(regs) => quantity(regs.len(), MAX_RW_READ_REGISTERS),
            Self::WriteMultipleCoils { quantity: q, .. } => quantity(q.into(), MAX_WRITE_BITS),
            Self::WriteMultipleRegisters { quantity: q, .. } => {
                quantity(q.into(), MAX_WRITE_REGISTERS)
            }
            Self::Diagnostics { data, .. } if data.len() > MAX_DIAGNOSTICS_DATA_LEN => {
                Err(too_long())
            }
            Self::Diagnostics { sub_function, data } => check_response_data(sub_function, data)
                .map_err(|_| EncodeError::DiagnosticsData { sub_function }),
            Self::GetCommEventLog(log) if !log.fits() => Err(EncodeError::EventLog {
                len: log.events.len(),
            }),
            Self::ReadFifoQueue(regs) if regs.len() > usize::from(MAX_FIFO_COUNT) => {
                Err(EncodeError::FifoCount { count: regs.len() })
            }
            Self::Custom { function, .. } if function >= 0x80 => Err(EncodeError::Function {
                function,
                reason: "the exception bit (0x80) is set",
            }),
            Self::Custom { .. } | Self::ReadDeviceIdentification(_)
                if self.encoded_len() > MAX_PDU_LEN =>
            {
                Err(too_long())
            }
            _ => Ok(()),
        }
    }
}

/// `[function, byte_count, bytes...]` (the views' constructors checked the length).
fn write_counted(w: &mut Writer<'_>, function: u8, bytes: &[u8]) -> Result<(), EncodeError> {
    w.u8(function)?;
    w.u8(u8::try_from(bytes.len()).unwrap_or(u8::MAX))?;
    w.bytes(bytes)
}

/// Encodes an exception response `[function | 0x80, code]` and returns its length (2).
///
/// ```
/// use msm_proto::{encode_exception, ExceptionCode};
///
/// let mut buf = [0u8; 2];
/// encode_exception(&mut buf, 0x01, ExceptionCode::IllegalDataAddress)?;
/// assert_eq!(buf, [0x81, 0x02]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_exception(
    buf: &mut [u8],
    function: u8,
    code: ExceptionCode,
) -> Result<usize, EncodeError> {
    Response::Exception { function, code }.encode(buf)
}

/// Writes `[function, byte_count]` of a read response (FC1, 2, 3, 4 or 23) and returns
/// the `byte_count` bytes after them, where the caller copies the data straight from its
/// memory. The whole PDU is `2 + byte_count` bytes.
///
/// The byte count must be one a valid read produces: 1..=250 for bits, an even 2..=250
/// for registers. (For bits the caller also clears the padding bits of the last byte.)
///
/// ```
/// use msm_proto::read_response_body;
///
/// let mut buf = [0u8; 253];
/// let body = read_response_body(&mut buf, 0x04, 2)?;
/// body.copy_from_slice(&[0x00, 0x0A]);
/// assert_eq!(&buf[..4], [0x04, 0x02, 0x00, 0x0A]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn read_response_body(
    buf: &mut [u8],
    function: u8,
    byte_count: u8,
) -> Result<&mut [u8], EncodeError> {
    let registers = match function {
        0x01 | 0x02 => false,
        0x03 | 0x04 | 0x17 => true,
        _ => {
            return Err(EncodeError::Function {
                function,
                reason: "not a read function (1, 2, 3, 4 or 23)",
            });
        }
    };
    if let Err(rule) = check_read_byte_count(byte_count, registers) {
        return Err(EncodeError::ByteCount {
            function,
            byte_count,
            rule,
        });
    }
    let needed = usize::from(byte_count) + 2;
    let available = buf.len();
    let shortage = EncodeError::BufferTooSmall { needed, available };
    let pdu = buf.get_mut(..needed).ok_or(shortage)?;
    let (head, body) = pdu.split_first_chunk_mut::<2>().ok_or(shortage)?;
    *head = [function, byte_count];
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_response_body_refuses_impossible_byte_counts() {
        let mut buf = [0u8; 253];
        for (fc, bc) in [(3u8, 0u8), (3, 3), (3, 252), (1, 0), (1, 251), (0x17, 1)] {
            assert!(
                matches!(
                    read_response_body(&mut buf, fc, bc),
                    Err(EncodeError::ByteCount { .. })
                ),
                "fc {fc} bc {bc}"
            );
        }
        assert!(matches!(
            read_response_body(&mut buf, 6, 2),
            Err(EncodeError::Function { function: 6, .. })
        ));
        assert_eq!(
            read_response_body(&mut buf, 1, 250).map(|b| b.len()),
            Ok(250)
        );
        assert_eq!(
            read_response_body(&mut buf[..10], 3, 10).err(),
            Some(EncodeError::BufferTooSmall {
                needed: 12,
                available: 10
            })
        );
    }

    #[test]
    fn coil_padding_is_cleared_on_the_wire() {
        let bits = Bits::new(&[0xFF, 0xFF], 10).unwrap();
        let mut buf = [0u8; 8];
        let len = Response::ReadCoils(bits).encode(&mut buf).unwrap();
        assert_eq!(&buf[..len], [0x01, 0x02, 0xFF, 0x03]);
    }

    #[test]
    fn out_of_limit_responses_are_refused() {
        let mut buf = [0u8; 300];
        let empty = Registers::new(&[]).unwrap();
        assert!(
            Response::ReadHoldingRegisters(empty)
                .encode(&mut buf)
                .is_err()
        );
        let big = [0u8; 252];
        let regs = Registers::new(&big).unwrap();
        assert!(Response::ReadInputRegisters(regs).encode(&mut buf).is_err());
        let r = Response::WriteMultipleRegisters {
            address: 0,
            quantity: 124,
        };
        assert!(r.encode(&mut buf).is_err());
        let r = Response::Custom {
            function: 0x90,
            data: &[],
        };
        assert!(r.encode(&mut buf).is_err());
        let r = Response::Custom {
            function: 0x41,
            data: &big,
        };
        assert_eq!(r.encode(&mut buf), Ok(253));
        let bigger = [0u8; 253];
        let r = Response::Custom {
            function: 0x41,
            data: &bigger,
        };
        assert_eq!(
            r.encode(&mut buf),
            Err(EncodeError::PduTooLong {
                function: 0x41,
                len: 254
            })
        );
    }
}
