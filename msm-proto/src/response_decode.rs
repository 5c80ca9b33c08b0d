//! Decoding response PDUs (client side).

use super::device_id::DEVICE_ID_HEADER_LEN;
use super::diagnostics::check_response_data;
use super::file_record::check_write_echo;
use super::limits::check_read_byte_count;
use super::shared_decode::shared_decoding;
use super::wire::quantity_ok;
use super::{
    Bits, CommEventLog, DeviceIdentification, DeviceObjects, ExceptionCode, FileRecords,
    MAX_COMM_EVENTS, MAX_FIFO_COUNT, MAX_PDU_LEN, MAX_WRITE_BITS, MAX_WRITE_REGISTERS,
    MEI_READ_DEVICE_ID, ReadDeviceIdCode, Registers, Response, ResponseError, ServerIdReport,
};

impl<'a> Response<'a> {
    /// Decodes a response PDU, borrowing its data from `pdu`.
    ///
    /// The PDU must be well formed on its own: lengths agree with byte counts, byte
    /// counts are ones a valid read produces, FC5 values are 0x0000/0xFF00, echoed
    /// quantities are within the spec's limits. Whether it answers a given request is
    /// [`Response::check_answers`]'s business. A function code with the 0x80 bit is an
    /// [`Response::Exception`]; a code this codec does not model is [`Response::Custom`].
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, Response};
    ///
    /// let r = Response::decode(&[0x81, 0x02])?;
    /// assert_eq!(r, Response::Exception { function: 1, code: ExceptionCode::IllegalDataAddress });
    ///
    /// let Response::ReadCoils(bits) = Response::decode(&[0x01, 0x01, 0b101])? else { panic!() };
    /// assert_eq!(bits.len(), 8); // byte count * 8: the wire does not carry the quantity
    /// # Ok::<(), msm_proto::ResponseError>(())
    /// ```
    pub fn decode(pdu: &'a [u8]) -> Result<Self, ResponseError> {
        let (&function, body) = pdu.split_first().ok_or(ResponseError::Empty)?;
        if pdu.len() > MAX_PDU_LEN {
            return Err(ResponseError::TooLong {
                function,
                len: pdu.len(),
            });
        }
        if function >= 0x80 {
            let [_, code] = *fixed::<2>(pdu)?;
            return Ok(Self::Exception {
                function: function & 0x7F,
                code: ExceptionCode::from_u8(code),
            });
        }
        let response = match function {
            0x01 => Self::ReadCoils(read_bits(pdu)?),
            0x02 => Self::ReadDiscreteInputs(read_bits(pdu)?),
            0x03 => Self::ReadHoldingRegisters(read_registers(pdu)?),
            0x04 => Self::ReadInputRegisters(read_registers(pdu)?),
            0x17 => Self::ReadWriteMultipleRegisters(read_registers(pdu)?),
            0x0F => {
                let (address, quantity) = address_quantity(pdu, MAX_WRITE_BITS)?;
                Self::WriteMultipleCoils { address, quantity }
            }
            0x10 => {
                let (address, quantity) = address_quantity(pdu, MAX_WRITE_REGISTERS)?;
                Self::WriteMultipleRegisters { address, quantity }
            }
            0x2B if body.starts_with(&[MEI_READ_DEVICE_ID]) => {
                Self::ReadDeviceIdentification(device_id(pdu)?)
            }
            0x07 => {
                let [_, outputs] = *fixed::<2>(pdu)?;
                Self::ReadExceptionStatus(outputs)
            }
            0x08 => {
                let response = Self::decode_shared(pdu, function, body)?;
                if let Self::Diagnostics { sub_function, data } = response {
                    check_response_data(sub_function, data)?;
                }
                response
            }
            0x0B => {
                let [_, s0, s1, e0, e1] = *fixed::<5>(pdu)?;
                Self::GetCommEventCounter {
                    status: u16::from_be_bytes([s0, s1]),
                    event_count: u16::from_be_bytes([e0, e1]),
                }
            }
            0x0C => Self::GetCommEventLog(event_log(pdu)?),
            0x11 => {
                let bytes = counted(pdu)?;
                Self::ReportServerId(ServerIdReport::new(bytes).map_err(|_| {
                    ResponseError::ByteCount {
                        function,
                        byte_count: 0,
                        rule: "1..=251",
                    }
                })?)
            }
            0x14 => Self::ReadFileRecord(FileRecords::new(counted(pdu)?)?),
            0x15 => Self::WriteFileRecord(check_write_echo(counted(pdu)?)?),
            0x18 => Self::ReadFifoQueue(fifo(pdu)?),
            _ => Self::decode_shared(pdu, function, body)?,
        };
        Ok(response)
    }
}

shared_decoding!(Response, ResponseError);

/// `[function, byte_count, data...]` with the data exactly `byte_count` long and the byte
/// count one a valid read produces.
fn read_body(pdu: &[u8], registers: bool) -> Result<(u8, &[u8]), ResponseError> {
    let [function, byte_count, data @ ..] = pdu else {
        return Err(truncated(pdu, 2));
    };
    check_read_byte_count(*byte_count, registers).map_err(|rule| ResponseError::ByteCount {
        function: *function,
        byte_count: *byte_count,
        rule,
    })?;
    let count = usize::from(*byte_count);
    if data.len() != count {
        return Err(ResponseError::Length {
            function: *function,
            len: pdu.len(),
            expected: count + 2,
        });
    }
    Ok((*byte_count, data))
}

fn read_bits(pdu: &[u8]) -> Result<Bits<'_>, ResponseError> {
    let (byte_count, data) = read_body(pdu, false)?;
    Bits::new(data, u16::from(byte_count) * 8).map_err(|_| truncated(pdu, 2))
}

fn read_registers(pdu: &[u8]) -> Result<Registers<'_>, ResponseError> {
    let (_, data) = read_body(pdu, true)?;
    Registers::new(data).map_err(|_| truncated(pdu, 2))
}

/// `[function, byte_count, bytes...]` with exactly `byte_count` bytes: the bytes.
fn counted(pdu: &[u8]) -> Result<&[u8], ResponseError> {
    let [function, byte_count, bytes @ ..] = pdu else {
        return Err(truncated(pdu, 2));
    };
    if bytes.len() != usize::from(*byte_count) {
        return Err(ResponseError::Length {
            function: *function,
            len: pdu.len(),
            expected: 2 + usize::from(*byte_count),
        });
    }
    Ok(bytes)
}

/// FC12: byte count 6..=70, three words, the events.
fn event_log(pdu: &[u8]) -> Result<CommEventLog<'_>, ResponseError> {
    let bytes = counted(pdu)?;
    let [s0, s1, e0, e1, m0, m1, events @ ..] = bytes else {
        return Err(ResponseError::ByteCount {
            function: 0x0C,
            byte_count: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
            rule: "6..=70",
        });
    };
    if events.len() > MAX_COMM_EVENTS {
        return Err(ResponseError::ByteCount {
            function: 0x0C,
            byte_count: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
            rule: "6..=70",
        });
    }
    Ok(CommEventLog {
        status: u16::from_be_bytes([*s0, *s1]),
        event_count: u16::from_be_bytes([*e0, *e1]),
        message_count: u16::from_be_bytes([*m0, *m1]),
        events,
    })
}

/// FC24: a 16-bit byte count, the FIFO count (at most 31), the registers.
fn fifo(pdu: &[u8]) -> Result<Registers<'_>, ResponseError> {
    let [_, b0, b1, c0, c1, values @ ..] = pdu else {
        return Err(truncated(pdu, 5));
    };
    let byte_count = usize::from(u16::from_be_bytes([*b0, *b1]));
    let count = u16::from_be_bytes([*c0, *c1]);
    if count > MAX_FIFO_COUNT {
        return Err(ResponseError::FifoCount { count });
    }
    if pdu.len() != 3 + byte_count {
        return Err(ResponseError::Length {
            function: 0x18,
            len: pdu.len(),
            expected: 3 + byte_count,
        });
    }
    if byte_count != 2 + 2 * usize::from(count) {
        return Err(ResponseError::ByteCount {
            function: 0x18,
            byte_count: u8::try_from(byte_count).unwrap_or(u8::MAX),
            rule: "2 + 2 per register of the FIFO count",
        });
    }
    Registers::new(values).map_err(|_| truncated(pdu, 5))
}

/// FC15/16: echoed address and quantity, quantity in 1..=max.
fn address_quantity(pdu: &[u8], max: u16) -> Result<(u16, u16), ResponseError> {
    let [function, a0, a1, q0, q1] = *fixed::<5>(pdu)?;
    let quantity = u16::from_be_bytes([q0, q1]);
    if !quantity_ok(quantity.into(), max) {
        return Err(ResponseError::Quantity {
            function,
            value: quantity,
            max,
        });
    }
    Ok((u16::from_be_bytes([a0, a1]), quantity))
}

fn device_id(pdu: &[u8]) -> Result<DeviceIdentification<'_>, ResponseError> {
    let [
        _,
        _,
        code,
        conformity_level,
        more,
        next_object_id,
        count,
        objects @ ..,
    ] = pdu
    else {
        return Err(truncated(pdu, DEVICE_ID_HEADER_LEN));
    };
    let read_code =
        ReadDeviceIdCode::from_u8(*code).ok_or(ResponseError::ReadDeviceIdCode { code: *code })?;
    let more_follows = match more {
        0x00 => false,
        0xFF => true,
        &value => return Err(ResponseError::MoreFollows { value }),
    };
    // Offsets from `from_wire` count from the first object: make them PDU offsets.
    let objects = DeviceObjects::from_wire(*count, objects).map_err(|err| match err {
        ResponseError::DeviceObject { index, offset } => ResponseError::DeviceObject {
            index,
            offset: offset + DEVICE_ID_HEADER_LEN,
        },
        other => other,
    })?;
    Ok(DeviceIdentification {
        read_code,
        conformity_level: *conformity_level,
        more_follows,
        next_object_id: *next_object_id,
        objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_byte_counts_must_be_possible() {
        assert!(matches!(
            Response::decode(&[0x03, 0x00]),
            Err(ResponseError::ByteCount { byte_count: 0, .. })
        ));
        assert!(matches!(
            Response::decode(&[0x03, 0x01, 0x00]),
            Err(ResponseError::ByteCount { byte_count: 1, .. })
        ));
        assert!(matches!(
            Response::decode(&[0x01, 0x00]),
            Err(ResponseError::ByteCount { byte_count: 0, .. })
        ));
        assert!(matches!(
            Response::decode(&[0x02, 0x02, 0x00]),
            Err(ResponseError::Length {
                len: 3,
                expected: 4,
                ..
            })
        ));
    }

    #[test]
    fn exceptions_are_two_bytes_and_keep_unknown_codes() {
        assert_eq!(
            Response::decode(&[0x83, 0x42]),
            Ok(Response::Exception {
                function: 3,
                code: ExceptionCode::Other(0x42)
            })
        );
        assert!(matches!(
            Response::decode(&[0x83, 0x02, 0x00]),
            Err(ResponseError::Length { expected: 2, .. })
        ));
        assert!(Response::decode(&[0x83]).is_err());
    }

    #[test]
    fn echoed_write_quantities_are_checked() {
        assert!(matches!(
            Response::decode(&[0x10, 0, 0, 0, 124]),
            Err(ResponseError::Quantity {
                value: 124,
                max: 123,
                ..
            })
        ));
        assert!(matches!(
            Response::decode(&[0x0F, 0, 0, 0, 0]),
            Err(ResponseError::Quantity { value: 0, .. })
        ));
        assert!(matches!(
            Response::decode(&[0x05, 0, 0, 0x12, 0x34]),
            Err(ResponseError::CoilValue { value: 0x1234 })
        ));
    }

    #[test]
    fn device_id_objects_must_fit_exactly() {
        let ok = [0x2B, 0x0E, 1, 1, 0, 0, 1, 0x00, 0x01, b'x'];
        assert!(Response::decode(&ok).is_ok());
        assert_eq!(
            Response::decode(&ok[..9]),
            Err(ResponseError::DeviceObject {
                index: 0,
                offset: 7
            })
        );
        let mut bad_more = ok;
        bad_more[4] = 0x01;
        assert_eq!(
            Response::decode(&bad_more),
            Err(ResponseError::MoreFollows { value: 1 })
        );
        let mut bad_code = ok;
        bad_code[2] = 9;
        assert_eq!(
            Response::decode(&bad_code),
            Err(ResponseError::ReadDeviceIdCode { code: 9 })
        );
        assert_eq!(
            Response::decode(&[0x2B, 0x0D, 7]),
            Ok(Response::Custom {
                function: 0x2B,
                data: &[0x0D, 7]
            })
        );
    }
}
