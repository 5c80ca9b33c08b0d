//! Does a response answer its request? The checks a client makes before trusting data.

use super::diagnostics::echoes;
use super::limits::bit_bytes;
use super::wire::coil_word;
use super::{MEI_READ_DEVICE_ID, Request, Response, ResponseError};

impl Response<'_> {
    /// Checks that this (decoded) response answers `request`: same function; for reads,
    /// a byte count that agrees with the quantity asked for; for writes, echoes of the
    /// address, quantity and value; for Diagnostics, the sub-function (and the data, for
    /// the sub-functions answered with an echo); for file records, one group of the
    /// requested length per sub-request, or the exact echo of a write; for device
    /// identification, the read code.
    ///
    /// An exception response for the request's function *does* answer it: this returns
    /// `Ok` and the caller looks at the exception. A `Custom` request is answered by any
    /// response with its function code.
    ///
    /// ```
    /// use msm_proto::{Request, Response, ResponseError};
    ///
    /// let request = Request::ReadCoils { address: 0x13, quantity: 19 };
    /// let response = Response::decode(&[0x01, 0x03, 0xCD, 0x6B, 0x05])?;
    /// assert!(response.check_answers(&request).is_ok());
    ///
    /// let short = Response::decode(&[0x01, 0x02, 0xCD, 0x6B])?;
    /// assert!(matches!(
    ///     short.check_answers(&request),
    ///     Err(ResponseError::Mismatch { field: "byte count", expected: 3, found: 2, .. })
    /// ));
    /// # Ok::<(), ResponseError>(())
    /// ```
    pub fn check_answers(&self, request: &Request<'_>) -> Result<(), ResponseError> {
        let function = request.function().value();
        let found = self.function().value();
        if found != function {
            return Err(ResponseError::FunctionMismatch {
                expected: function,
                found,
            });
        }
        let same = |field: &'static str, expected: u16, found: u16| {
            if expected == found {
                Ok(())
            } else {
                Err(ResponseError::Mismatch {
                    function,
                    field,
                    expected,
                    found,
                })
            }
        };
        let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        match (*self, *request) {
            (Self::Exception { .. }, _) | (_, Request::Custom { .. }) => Ok(()),
            (Self::ReadCoils(bits), Request::ReadCoils { quantity, .. })
            | (Self::ReadDiscreteInputs(bits), Request::ReadDiscreteInputs { quantity, .. }) => {
                let expected = count(bit_bytes(quantity));
                same("byte count", expected, count(bits.as_bytes().len()))
            }
            (Self::ReadHoldingRegisters(regs), Request::ReadHoldingRegisters { quantity, .. })
            | (Self::ReadInputRegisters(regs), Request::ReadInputRegisters { quantity, .. })
            | (
                Self::ReadWriteMultipleRegisters(regs),
                Request::ReadWriteMultipleRegisters {
                    read_quantity: quantity,
                    ..
                },
            ) => same("quantity", quantity, count(regs.len())),
            (
                Self::WriteSingleCoil { address, value },
                Request::WriteSingleCoil {
                    address: a,
                    value: v,
                },
            ) => {
                same("address", a, address)?;
                same("value", coil_word(v), coil_word(value))
            }
            (
                Self::WriteSingleRegister { address, value },
                Request::WriteSingleRegister {
                    address: a,
                    value: v,
                },
            ) => {
                same("address", a, address)?;
                same("value", v, value)
            }
            (
                Self::Diagnostics { sub_function, data },
                Request::Diagnostics {
                    sub_function: s,
                    data: d,
                },
            ) => {
                same("sub-function", s, sub_function)?;
                if echoes(sub_function) && data != d {
                    return Err(ResponseError::EchoMismatch);
                }
                Ok(())
            }
            (Self::ReadExceptionStatus(_), Request::ReadExceptionStatus)
            | (Self::GetCommEventCounter { .. }, Request::GetCommEventCounter)
            | (Self::GetCommEventLog(_), Request::GetCommEventLog)
            | (Self::ReportServerId(_), Request::ReportServerId)
            | (Self::ReadFifoQueue(_), Request::ReadFifoQueue { .. }) => Ok(()),
            (Self::ReadFileRecord(records), Request::ReadFileRecord(reads)) => {
                same("sub-responses", count(reads.len()), count(records.len()))?;
                for (read, group) in reads.iter().zip(records.iter()) {
                    same("record length", read.length, count(group.len()))?;
                }
                Ok(())
            }
            (Self::WriteFileRecord(echo), Request::WriteFileRecord(writes)) => {
                if echo.as_bytes() == writes.as_bytes() {
                    Ok(())
                } else {
                    Err(ResponseError::FileWriteEcho)
                }
            }
            (
                Self::WriteMultipleCoils { address, quantity },
                Request::WriteMultipleCoils { address: a, values },
            ) => {
                same("address", a, address)?;
                same("quantity", count(values.len()), quantity)
            }
            (
                Self::WriteMultipleRegisters { address, quantity },
                Request::WriteMultipleRegisters { address: a, values },
            ) => {
                same("address", a, address)?;
                same("quantity", count(values.len()), quantity)
            }
            (
                Self::MaskWriteRegister {
                    address,
                    and_mask,
                    or_mask,
                },
                Request::MaskWriteRegister {
                    address: a,
                    and_mask: and,
                    or_mask: or,
                },
            ) => {
                same("address", a, address)?;
                same("AND mask", and, and_mask)?;
                same("OR mask", or, or_mask)
            }
            (
                Self::ReadDeviceIdentification(id),
                Request::ReadDeviceIdentification { read_code, .. },
            ) => same(
                "read device id code",
                read_code.value().into(),
                id.read_code.value().into(),
            ),
            // Same function code, different shapes: only FC43 can get here, a Custom
            // response (another MEI type) to a Read Device Identification request.
            (Self::Custom { data, .. }, _) => same(
                "MEI type",
                MEI_READ_DEVICE_ID.into(),
                data.first().copied().unwrap_or(0).into(),
            ),
            _ => Err(ResponseError::FunctionMismatch {
                expected: function,
                found,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bits, ExceptionCode, ReadDeviceIdCode, Registers};

    fn mismatch(r: &Response<'_>, q: &Request<'_>) -> Option<&'static str> {
        match r.check_answers(q) {
            Err(ResponseError::Mismatch { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn exceptions_answer_their_function_only() {
        let q = Request::ReadHoldingRegisters {
            address: 0,
            quantity: 1,
        };
        let e = Response::Exception {
            function: 3,
            code: ExceptionCode::IllegalDataAddress,
        };
        assert!(e.check_answers(&q).is_ok());
        let e = Response::Exception {
            function: 4,
            code: ExceptionCode::IllegalDataAddress,
        };
        assert_eq!(
            e.check_answers(&q),
            Err(ResponseError::FunctionMismatch {
                expected: 3,
                found: 4
            })
        );
    }

    #[test]
    fn echoes_must_match() {
        let q = Request::WriteSingleCoil {
            address: 0xAC,
            value: true,
        };
        let r = Response::WriteSingleCoil {
            address: 0xAC,
            value: false,
        };
        assert_eq!(mismatch(&r, &q), Some("value"));
        let r = Response::WriteSingleCoil {
            address: 0xAD,
            value: true,
        };
        assert_eq!(mismatch(&r, &q), Some("address"));

        let values = Registers::new(&[0, 1, 0, 2]).unwrap();
        let q = Request::WriteMultipleRegisters { address: 1, values };
        let r = Response::WriteMultipleRegisters {
            address: 1,
            quantity: 3,
        };
        assert_eq!(mismatch(&r, &q), Some("quantity"));
        assert!(
            Response::WriteMultipleRegisters {
                address: 1,
                quantity: 2
            }
            .check_answers(&q)
            .is_ok()
        );

        let q = Request::WriteMultipleCoils {
            address: 5,
            values: Bits::new(&[1], 1).unwrap(),
        };
        assert!(
            Response::WriteMultipleCoils {
                address: 5,
                quantity: 1
            }
            .check_answers(&q)
            .is_ok()
        );

        let q = Request::MaskWriteRegister {
            address: 4,
            and_mask: 0xF2,
            or_mask: 0x25,
        };
        let r = Response::MaskWriteRegister {
            address: 4,
            and_mask: 0xF2,
            or_mask: 0x24,
        };
        assert_eq!(mismatch(&r, &q), Some("OR mask"));
    }

    #[test]
    fn register_reads_must_return_the_quantity() {
        let q = Request::ReadWriteMultipleRegisters {
            read_address: 3,
            read_quantity: 2,
            write_address: 0,
            values: Registers::new(&[0, 0]).unwrap(),
        };
        let r = Response::ReadWriteMultipleRegisters(Registers::new(&[0, 0]).unwrap());
        assert_eq!(mismatch(&r, &q), Some("quantity"));
        let r = Response::ReadWriteMultipleRegisters(Registers::new(&[0, 0, 0, 0]).unwrap());
        assert!(r.check_answers(&q).is_ok());
    }

    #[test]
    fn diagnostics_echoes_are_checked_counters_are_not() {
        let q = Request::Diagnostics {
            sub_function: 0,
            data: &[0xA5, 0x37],
        };
        let r = Response::Diagnostics {
            sub_function: 0,
            data: &[0xA5, 0x38],
        };
        assert_eq!(r.check_answers(&q), Err(ResponseError::EchoMismatch));
        // A counter answers with its value...
        let q = Request::Diagnostics {
            sub_function: 0x0B,
            data: &[0, 0],
        };
        let r = Response::Diagnostics {
            sub_function: 0x0B,
            data: &[1, 2],
        };
        assert!(r.check_answers(&q).is_ok());
        // ...a clear with an echo.
        let q = Request::Diagnostics {
            sub_function: 0x0A,
            data: &[0, 0],
        };
        let r = Response::Diagnostics {
            sub_function: 0x0A,
            data: &[0, 1],
        };
        assert_eq!(r.check_answers(&q), Err(ResponseError::EchoMismatch));
    }

    #[test]
    fn device_id_checks_read_code_and_mei_type() {
        let q = Request::ReadDeviceIdentification {
            read_code: ReadDeviceIdCode::Basic,
            object_id: 0,
        };
        let r = Response::Custom {
            function: 0x2B,
            data: &[0x0D],
        };
        assert_eq!(mismatch(&r, &q), Some("MEI type"));
        let r = Response::decode(&[0x2B, 0x0E, 2, 1, 0, 0, 0]).unwrap();
        assert_eq!(mismatch(&r, &q), Some("read device id code"));
    }
}
