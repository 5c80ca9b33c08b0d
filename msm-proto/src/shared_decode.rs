//! The part of decoding that requests and responses share.
//!
//! FC5, FC6, FC8 and FC22 carry the same body in a request and in its response (the
//! server echoes it), and a function code that neither direction models decodes to
//! `Custom` either way. [`Request`](super::Request) and [`Response`](super::Response)
//! name these variants alike, as [`RequestError`](super::RequestError) and
//! [`ResponseError`](super::ResponseError) name the ways they fail, so one macro writes
//! this part of both decoders: `shared_decoding!` expands, in `request_decode.rs` and in
//! `response_decode.rs`, to the helpers `fixed` and `truncated` and to the method
//! `decode_shared`.

/// The function code of a PDU, 0 for an empty one (which the decoders refuse first).
pub(super) fn function_of(pdu: &[u8]) -> u8 {
    pdu.first().copied().unwrap_or(0)
}

/// Writes `fixed`, `truncated` and `$Pdu::decode_shared` for the PDU type `$Pdu`, whose
/// decoding fails with `$Error`.
macro_rules! shared_decoding {
    ($Pdu:ident, $Error:ident) => {
        fn truncated(pdu: &[u8], min: usize) -> $Error {
            $Error::Truncated {
                function: $crate::shared_decode::function_of(pdu),
                len: pdu.len(),
                min,
            }
        }

        /// The PDU as an array of its function's fixed length.
        fn fixed<const N: usize>(pdu: &[u8]) -> Result<&[u8; N], $Error> {
            match pdu.first_chunk::<N>() {
                Some(array) if pdu.len() == N => Ok(array),
                _ => Err($Error::Length {
                    function: $crate::shared_decode::function_of(pdu),
                    len: pdu.len(),
                    expected: N,
                }),
            }
        }

        impl<'a> $Pdu<'a> {
            /// Decodes what a request and a response carry alike: FC5, FC6, FC8 and FC22,
            /// and any function code not modelled (FC43 with an MEI type other than 0x0E
            /// too) as `Custom`. `body` is `pdu` after its function code.
            fn decode_shared(pdu: &'a [u8], function: u8, body: &'a [u8]) -> Result<Self, $Error> {
                Ok(match function {
                    0x05 => {
                        let [_, a0, a1, v0, v1] = *fixed::<5>(pdu)?;
                        let value = match u16::from_be_bytes([v0, v1]) {
                            0x0000 => false,
                            0xFF00 => true,
                            value => return Err($Error::CoilValue { value }),
                        };
                        Self::WriteSingleCoil {
                            address: u16::from_be_bytes([a0, a1]),
                            value,
                        }
                    }
                    0x06 => {
                        let [_, a0, a1, v0, v1] = *fixed::<5>(pdu)?;
                        Self::WriteSingleRegister {
                            address: u16::from_be_bytes([a0, a1]),
                            value: u16::from_be_bytes([v0, v1]),
                        }
                    }
                    0x08 => {
                        let [_, s0, s1, data @ ..] = pdu else {
                            return Err(truncated(pdu, 3));
                        };
                        Self::Diagnostics {
                            sub_function: u16::from_be_bytes([*s0, *s1]),
                            data,
                        }
                    }
                    0x16 => {
                        let [_, a0, a1, and0, and1, or0, or1] = *fixed::<7>(pdu)?;
                        Self::MaskWriteRegister {
                            address: u16::from_be_bytes([a0, a1]),
                            and_mask: u16::from_be_bytes([and0, and1]),
                            or_mask: u16::from_be_bytes([or0, or1]),
                        }
                    }
                    0x2B if body.is_empty() => return Err(truncated(pdu, 2)),
                    _ => Self::Custom {
                        function,
                        data: body,
                    },
                })
            }
        }
    };
}

pub(super) use shared_decoding;
