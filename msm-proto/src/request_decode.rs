//! Decoding request PDUs (server side): strict, every limit of the spec.

use super::diagnostics::check_request_data;
use super::limits::bit_bytes;
use super::shared_decode::{function_of, shared_decoding};
use super::wire::quantity_ok;
use super::{
    Bits, FileReads, FileWrites, MAX_PDU_LEN, MAX_READ_BITS, MAX_READ_REGISTERS,
    MAX_RW_READ_REGISTERS, MAX_RW_WRITE_REGISTERS, MAX_WRITE_BITS, MAX_WRITE_REGISTERS,
    MEI_READ_DEVICE_ID, ReadDeviceIdCode, Registers, Request, RequestError,
};

impl<'a> Request<'a> {
    /// Decodes a request PDU, borrowing its data from `pdu`.
    ///
    /// Every limit of the spec is checked and a request that breaks one is an error whose
    /// [`RequestError::exception`] is the exception to answer: a quantity of 0 or over the
    /// limit, a byte count that disagrees with the quantity or with the PDU's length, an
    /// FC5 value other than 0x0000/0xFF00, a read device id code outside 1..=4, a PDU
    /// over 253 bytes, a function code with the exception bit set.
    ///
    /// A function code this codec does not model is not an error: it decodes to
    /// [`Request::Custom`], as does FC43 with an MEI type other than 0x0E, so that the
    /// application may handle it (or answer Illegal Function).
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, Request};
    ///
    /// let r = Request::decode(&[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01])?;
    /// let Request::WriteMultipleCoils { address, values } = r else { panic!() };
    /// assert_eq!((address, values.len()), (0x13, 10));
    ///
    /// assert_eq!(Request::decode(&[0x41, 0x01])?, Request::Custom { function: 0x41, data: &[0x01] });
    ///
    /// // Byte count 1 cannot carry 10 coils.
    /// let err = Request::decode(&[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x01, 0xCD]).unwrap_err();
    /// assert_eq!(err.exception(), Some(ExceptionCode::IllegalDataValue));
    /// # Ok::<(), msm_proto::RequestError>(())
    /// ```
    pub fn decode(pdu: &'a [u8]) -> Result<Self, RequestError> {
        let (&function, body) = pdu.split_first().ok_or(RequestError::Empty)?;
        if function >= 0x80 {
            return Err(RequestError::NotARequest { function });
        }
        if pdu.len() > MAX_PDU_LEN {
            return Err(RequestError::TooLong {
                function,
                len: pdu.len(),
            });
        }
        let request = match function {
            0x01 => {
                let (address, quantity) = address_quantity(pdu, MAX_READ_BITS)?;
                Self::ReadCoils { address, quantity }
            }
            0x02 => {
                let (address, quantity) = address_quantity(pdu, MAX_READ_BITS)?;
                Self::ReadDiscreteInputs { address, quantity }
            }
            0x03 => {
                let (address, quantity) = address_quantity(pdu, MAX_READ_REGISTERS)?;
                Self::ReadHoldingRegisters { address, quantity }
            }
            0x04 => {
                let (address, quantity) = address_quantity(pdu, MAX_READ_REGISTERS)?;
                Self::ReadInputRegisters { address, quantity }
            }
            0x07 => fixed::<1>(pdu).map(|_| Self::ReadExceptionStatus)?,
            0x08 => {
                let request = Self::decode_shared(pdu, function, body)?;
                if let Self::Diagnostics { sub_function, data } = request {
                    check_request_data(sub_function, data)?;
                }
                request
            }
            0x0B => fixed::<1>(pdu).map(|_| Self::GetCommEventCounter)?,
            0x0C => fixed::<1>(pdu).map(|_| Self::GetCommEventLog)?,
            0x11 => fixed::<1>(pdu).map(|_| Self::ReportServerId)?,
            0x14 => Self::ReadFileRecord(FileReads::new(counted(pdu)?)?),
            0x15 => Self::WriteFileRecord(FileWrites::new(counted(pdu)?)?),
            0x18 => {
                let [_, a0, a1] = *fixed::<3>(pdu)?;
                Self::ReadFifoQueue {
                    address: u16::from_be_bytes([a0, a1]),
                }
            }
            0x0F => write_multiple_coils(pdu)?,
            0x10 => write_multiple_registers(pdu)?,
            0x17 => read_write_multiple_registers(pdu)?,
            0x2B if body.starts_with(&[MEI_READ_DEVICE_ID]) => {
                let [_, _, code, object_id] = *fixed::<4>(pdu)?;
                let read_code = ReadDeviceIdCode::from_u8(code)
                    .ok_or(RequestError::ReadDeviceIdCode { code })?;
                Self::ReadDeviceIdentification {
                    read_code,
                    object_id,
                }
            }
            _ => Self::decode_shared(pdu, function, body)?,
        };
        Ok(request)
    }
}

shared_decoding!(Request, RequestError);

fn check_quantity(
    pdu: &[u8],
    field: &'static str,
    offset: usize,
    value: u16,
    max: u16,
) -> Result<(), RequestError> {
    if quantity_ok(value.into(), max) {
        return Ok(());
    }
    Err(RequestError::Quantity {
        function: function_of(pdu),
        field,
        offset,
        value,
        max,
    })
}

/// The byte count must be what the quantity implies, and the data must be that long.
fn check_byte_count(
    pdu: &[u8],
    offset: usize,
    byte_count: u8,
    expected: usize,
    data: &[u8],
) -> Result<(), RequestError> {
    let function = function_of(pdu);
    if usize::from(byte_count) != expected {
        return Err(RequestError::ByteCount {
            function,
            offset,
            byte_count,
            expected,
        });
    }
    if data.len() != expected {
        return Err(RequestError::Length {
            function,
            len: pdu.len(),
            expected: offset + 1 + expected,
        });
    }
    Ok(())
}

/// `[function, byte_count, bytes...]` with exactly `byte_count` bytes: the bytes.
fn counted(pdu: &[u8]) -> Result<&[u8], RequestError> {
    let [function, byte_count, bytes @ ..] = pdu else {
        return Err(truncated(pdu, 2));
    };
    if bytes.len() != usize::from(*byte_count) {
        return Err(RequestError::Length {
            function: *function,
            len: pdu.len(),
            expected: 2 + usize::from(*byte_count),
        });
    }
    Ok(bytes)
}

/// FC1-4: address and quantity, quantity in 1..=max.
fn address_quantity(pdu: &[u8], max: u16) -> Result<(u16, u16), RequestError> {
    let [_, a0, a1, q0, q1] = *fixed::<5>(pdu)?;
    let quantity = u16::from_be_bytes([q0, q1]);
    check_quantity(pdu, "quantity", 3, quantity, max)?;
    Ok((u16::from_be_bytes([a0, a1]), quantity))
}

fn write_multiple_coils(pdu: &[u8]) -> Result<Request<'_>, RequestError> {
    let [_, a0, a1, q0, q1, byte_count, data @ ..] = pdu else {
        return Err(truncated(pdu, 6));
    };
    let quantity = u16::from_be_bytes([*q0, *q1]);
    check_quantity(pdu, "quantity", 3, quantity, MAX_WRITE_BITS)?;
    check_byte_count(pdu, 5, *byte_count, bit_bytes(quantity), data)?;
    let values = Bits::new(data, quantity).map_err(|_| truncated(pdu, 6))?;
    Ok(Request::WriteMultipleCoils {
        address: u16::from_be_bytes([*a0, *a1]),
        values,
    })
}

fn write_multiple_registers(pdu: &[u8]) -> Result<Request<'_>, RequestError> {
    let [_, a0, a1, q0, q1, byte_count, data @ ..] = pdu else {
        return Err(truncated(pdu, 6));
    };
    let quantity = u16::from_be_bytes([*q0, *q1]);
    check_quantity(pdu, "quantity", 3, quantity, MAX_WRITE_REGISTERS)?;
    check_byte_count(pdu, 5, *byte_count, usize::from(quantity) * 2, data)?;
    let values = Registers::new(data).map_err(|_| truncated(pdu, 6))?;
    Ok(Request::WriteMultipleRegisters {
        address: u16::from_be_bytes([*a0, *a1]),
        values,
    })
}

fn read_write_multiple_registers(pdu: &[u8]) -> Result<Request<'_>, RequestError> {
    let [
        _,
        ra0,
        ra1,
        rq0,
        rq1,
        wa0,
        wa1,
        wq0,
        wq1,
        byte_count,
        data @ ..,
    ] = pdu
    else {
        return Err(truncated(pdu, 10));
    };
    let read_quantity = u16::from_be_bytes([*rq0, *rq1]);
    let write_quantity = u16::from_be_bytes([*wq0, *wq1]);
    check_quantity(
        pdu,
        "read quantity",
        3,
        read_quantity,
        MAX_RW_READ_REGISTERS,
    )?;
    check_quantity(
        pdu,
        "write quantity",
        7,
        write_quantity,
        MAX_RW_WRITE_REGISTERS,
    )?;
    check_byte_count(pdu, 9, *byte_count, usize::from(write_quantity) * 2, data)?;
    let values = Registers::new(data).map_err(|_| truncated(pdu, 10))?;
    Ok(Request::ReadWriteMultipleRegisters {
        read_address: u16::from_be_bytes([*ra0, *ra1]),
        read_quantity,
        write_address: u16::from_be_bytes([*wa0, *wa1]),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExceptionCode;

    fn exception(pdu: &[u8]) -> Option<ExceptionCode> {
        Request::decode(pdu).unwrap_err().exception()
    }

    #[test]
    fn quantity_limits_are_exact() {
        for (fc, max) in [(1u8, 2000u16), (2, 2000), (3, 125), (4, 125)] {
            let [hi, lo] = max.to_be_bytes();
            assert!(Request::decode(&[fc, 0, 0, hi, lo]).is_ok(), "fc {fc} max");
            assert!(Request::decode(&[fc, 0, 0, 0, 1]).is_ok(), "fc {fc} one");
            let [hi, lo] = (max + 1).to_be_bytes();
            assert_eq!(
                Request::decode(&[fc, 0, 0, hi, lo]),
                Err(RequestError::Quantity {
                    function: fc,
                    field: "quantity",
                    offset: 3,
                    value: max + 1,
                    max
                })
            );
            assert_eq!(
                exception(&[fc, 0, 0, 0, 0]),
                Some(ExceptionCode::IllegalDataValue)
            );
        }
    }

    #[test]
    fn fc15_checks_quantity_then_byte_count_then_length() {
        // 1969 coils: over the limit, whatever follows.
        let err = Request::decode(&[0x0F, 0, 0, 0x07, 0xB1, 0xF7]).unwrap_err();
        assert!(matches!(err, RequestError::Quantity { value: 1969, .. }));
        let err = Request::decode(&[0x0F, 0, 0, 0, 9, 1, 0xFF]).unwrap_err();
        assert_eq!(
            err,
            RequestError::ByteCount {
                function: 0x0F,
                offset: 5,
                byte_count: 1,
                expected: 2
            }
        );
        let err = Request::decode(&[0x0F, 0, 0, 0, 9, 2, 0xFF]).unwrap_err();
        assert_eq!(
            err,
            RequestError::Length {
                function: 0x0F,
                len: 7,
                expected: 8
            }
        );
        assert_eq!(
            exception(&[0x0F, 0, 0, 0, 9]),
            Some(ExceptionCode::IllegalDataValue)
        );
    }

    #[test]
    fn fc16_and_fc23_byte_counts_are_twice_the_quantity() {
        let err = Request::decode(&[0x10, 0, 0, 0, 1, 1, 0xAA]).unwrap_err();
        assert!(matches!(err, RequestError::ByteCount { expected: 2, .. }));
        let mut fc23 = [0x17, 0, 0, 0, 126, 0, 0, 0, 1, 2, 0, 0];
        assert!(matches!(
            Request::decode(&fc23),
            Err(RequestError::Quantity {
                field: "read quantity",
                offset: 3,
                ..
            })
        ));
        fc23[4] = 125;
        assert!(Request::decode(&fc23).is_ok());
        fc23[8] = 122;
        assert!(matches!(
            Request::decode(&fc23),
            Err(RequestError::Quantity {
                field: "write quantity",
                offset: 7,
                max: 121,
                ..
            })
        ));
    }

    #[test]
    fn fc5_accepts_only_on_and_off() {
        assert!(Request::decode(&[5, 0, 1, 0xFF, 0x00]).is_ok());
        assert!(Request::decode(&[5, 0, 1, 0x00, 0x00]).is_ok());
        assert_eq!(
            exception(&[5, 0, 1, 0x00, 0xFF]),
            Some(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            exception(&[5, 0, 1, 0x00, 0x01]),
            Some(ExceptionCode::IllegalDataValue)
        );
    }

    #[test]
    fn unknown_functions_are_custom_and_exception_bit_is_illegal_function() {
        assert_eq!(
            Request::decode(&[0x09]),
            Ok(Request::Custom {
                function: 9,
                data: &[]
            })
        );
        assert_eq!(
            exception(&[0x83, 0, 0, 0, 1]),
            Some(ExceptionCode::IllegalFunction)
        );
        assert_eq!(Request::decode(&[]), Err(RequestError::Empty));
    }

    #[test]
    fn fc43_other_mei_types_are_custom_and_codes_must_be_1_to_4() {
        assert_eq!(
            Request::decode(&[0x2B, 0x0D, 1, 2]),
            Ok(Request::Custom {
                function: 0x2B,
                data: &[0x0D, 1, 2]
            })
        );
        assert_eq!(
            Request::decode(&[0x2B, 0x0E, 5, 0]),
            Err(RequestError::ReadDeviceIdCode { code: 5 })
        );
        assert_eq!(
            exception(&[0x2B, 0x0E, 0, 0]),
            Some(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            exception(&[0x2B, 0x0E, 1]),
            Some(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(exception(&[0x2B]), Some(ExceptionCode::IllegalDataValue));
    }

    #[test]
    fn pdu_over_253_bytes_is_refused() {
        let mut pdu = [0u8; 254];
        pdu[0] = 0x41;
        assert_eq!(
            Request::decode(&pdu),
            Err(RequestError::TooLong {
                function: 0x41,
                len: 254
            })
        );
        assert!(Request::decode(&pdu[..253]).is_ok());
    }

    #[test]
    fn wrong_fixed_lengths_name_the_expected_length() {
        assert_eq!(
            Request::decode(&[3, 0, 0, 0, 1, 0]),
            Err(RequestError::Length {
                function: 3,
                len: 6,
                expected: 5
            })
        );
        assert_eq!(
            Request::decode(&[0x16, 0, 0]),
            Err(RequestError::Length {
                function: 0x16,
                len: 3,
                expected: 7
            })
        );
        assert_eq!(
            Request::decode(&[8, 0]),
            Err(RequestError::Truncated {
                function: 8,
                len: 2,
                min: 3
            })
        );
    }
}
