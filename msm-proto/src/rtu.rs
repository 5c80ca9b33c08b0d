//! Modbus RTU framing ("Modbus over Serial Line V1.02"): address + PDU + CRC-16, low
//! CRC byte first.
//!
//! RTU marks the end of a frame only by silence (3.5 character times). Relying on timing
//! alone is fragile on USB adapters and busy hosts, so [`request_len`] and
//! [`response_len`] find the length of a frame from its function code and byte count, and
//! [`split_frame`] cuts a stream with them. For the few functions whose length cannot be
//! told that way (FC8, custom codes), a driver falls back to the silence and checks the
//! frame with [`decode_frame`].
//!
//! ```
//! use msm_proto::{Request, rtu};
//!
//! let mut buf = [0u8; rtu::MAX_FRAME_LEN];
//! let request = Request::ReadHoldingRegisters { address: 0x6B, quantity: 3 };
//! let len = rtu::encode_request(&mut buf, 0x11, &request)?;
//! assert_eq!(&buf[..len], [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87]);
//!
//! let (frame, used) = rtu::split_frame(&buf[..len], rtu::Direction::Request)?.unwrap();
//! assert_eq!((frame.address, used), (0x11, 8));
//! assert_eq!(Request::decode(frame.pdu)?, request);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use super::{EncodeError, MAX_PDU_LEN, MEI_READ_DEVICE_ID, Request, Response};

pub use super::crc::crc16;

/// Longest RTU frame: address + 253-byte PDU + CRC.
///
/// ```
/// use msm_proto::{MAX_PDU_LEN, rtu};
/// assert_eq!(rtu::MAX_FRAME_LEN, 1 + MAX_PDU_LEN + 2);
/// let too_long = [0u8; rtu::MAX_FRAME_LEN + 1];
/// assert!(matches!(rtu::decode_frame(&too_long), Err(rtu::RtuError::TooLong { len: 257, .. })));
/// ```
pub const MAX_FRAME_LEN: usize = 256;

/// Shortest RTU frame: address + function code + CRC.
///
/// ```
/// use msm_proto::rtu::{self, RtuError};
/// assert_eq!(rtu::MIN_FRAME_LEN, 4);
/// assert_eq!(rtu::decode_frame(&[0x01, 0x03, 0x00]), Err(RtuError::TooShort { len: 3 }));
/// ```
pub const MIN_FRAME_LEN: usize = 4;

/// One RTU frame (CRC checked), borrowing its PDU from the stream buffer.
///
/// ```
/// use msm_proto::rtu;
///
/// let frame = rtu::decode_frame(&[0x01, 0x81, 0x02, 0xC1, 0x91])?;
/// assert_eq!((frame.address, frame.pdu), (1, &[0x81, 0x02][..]));
/// # Ok::<(), rtu::RtuError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The slave address (0 = broadcast).
    pub address: u8,
    /// The PDU (function code + data).
    pub pdu: &'a [u8],
}

/// Which way a frame travels: the length rules differ.
///
/// ```
/// use msm_proto::rtu::Direction;
///
/// assert_eq!(Direction::Request.to_string(), "request");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Master to slave.
    Request,
    /// Slave to master.
    Response,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Request => "request",
            Self::Response => "response",
        })
    }
}

/// An RTU frame that cannot be delimited or is corrupt.
///
/// ```
/// use msm_proto::rtu::{self, RtuError};
///
/// let err = rtu::decode_frame(&[0x02, 0x07, 0x41, 0x13]).unwrap_err();
/// assert_eq!(err, RtuError::Crc { expected: 0x1241, found: 0x1341 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtuError {
    /// The CRC carried by the frame is not the CRC of its bytes.
    #[error("CRC mismatch: frame bytes give {expected:#06x}, the frame carries {found:#06x}")]
    Crc {
        /// The CRC computed over address + PDU.
        expected: u16,
        /// The CRC found in the last two bytes.
        found: u16,
    },
    /// The frame's length cannot be told from its function code (FC8 sub-function 0
    /// and undefined sub-functions, custom codes, FC43 with an MEI type other than
    /// 0x0E): delimit it by silence instead.
    #[error("the length of a function {function:#04x} {direction} cannot be told from its header")]
    UnknownLength {
        /// The function code (byte 1).
        function: u8,
        /// Request or response.
        direction: Direction,
    },
    /// The frame's header announces more than [`MAX_FRAME_LEN`] bytes.
    #[error(
        "function {function:#04x} frame would be {len} bytes, over the {MAX_FRAME_LEN}-byte limit"
    )]
    TooLong {
        /// The function code (byte 1).
        function: u8,
        /// The length it announces (or has).
        len: usize,
    },
    /// A delimited frame shorter than [`MIN_FRAME_LEN`].
    #[error("frame of {len} bytes is shorter than the {MIN_FRAME_LEN}-byte minimum")]
    TooShort {
        /// The frame's length.
        len: usize,
    },
}

/// Total length (address + PDU + CRC) of the request frame at the front of `buf`.
///
/// `Ok(None)`: more bytes are needed to tell. `Err`: the function's request length cannot
/// be told from its header, or would exceed 256 bytes.
///
/// ```
/// use msm_proto::rtu;
///
/// assert_eq!(rtu::request_len(&[0x11])?, None);
/// assert_eq!(rtu::request_len(&[0x11, 0x03])?, Some(8));
/// // FC16: the byte count at offset 6 tells.
/// assert_eq!(rtu::request_len(&[0x11, 0x10, 0, 1, 0, 2])?, None);
/// assert_eq!(rtu::request_len(&[0x11, 0x10, 0, 1, 0, 2, 4])?, Some(13));
/// # Ok::<(), rtu::RtuError>(())
/// ```
pub fn request_len(buf: &[u8]) -> Result<Option<usize>, RtuError> {
    let Some(&function) = buf.get(1) else {
        return Ok(None);
    };
    let unknown = RtuError::UnknownLength {
        function,
        direction: Direction::Request,
    };
    // Lengths of the PDU part that is fixed, plus what a byte count adds.
    let len = match function {
        0x01..=0x06 => 8,
        0x07 | 0x0B | 0x0C | 0x11 => 4,
        0x08 => return diagnostics_len(buf, Direction::Request),
        0x14 | 0x15 => match buf.get(2) {
            Some(&byte_count) => 5 + usize::from(byte_count),
            None => return Ok(None),
        },
        0x18 => 6,
        0x0F | 0x10 => match buf.get(6) {
            Some(&byte_count) => 9 + usize::from(byte_count),
            None => return Ok(None),
        },
        0x16 => 10,
        0x17 => match buf.get(10) {
            Some(&byte_count) => 13 + usize::from(byte_count),
            None => return Ok(None),
        },
        0x2B => match buf.get(2) {
            Some(&MEI_READ_DEVICE_ID) => 7,
            Some(_) => return Err(unknown),
            None => return Ok(None),
        },
        _ => return Err(unknown),
    };
    within_limit(function, len)
}

/// Total length (address + PDU + CRC) of the response frame at the front of `buf`.
///
/// Exceptions are 5 bytes; reads are 5 + byte count; FC43/14 is walked object by object.
/// `Ok(None)`: more bytes are needed to tell. `Err`: the length cannot be told from the
/// header (FC8's echo, custom codes), or would exceed 256 bytes.
///
/// ```
/// use msm_proto::rtu;
///
/// assert_eq!(rtu::response_len(&[0x11, 0x83])?, Some(5));
/// assert_eq!(rtu::response_len(&[0x11, 0x03, 0x06])?, Some(11));
/// assert_eq!(rtu::response_len(&[0x11, 0x06])?, Some(8));
/// assert_eq!(rtu::response_len(&[0x11, 0x08])?, None); // the sub-function tells
/// assert!(rtu::response_len(&[0x11, 0x08, 0x00, 0x00]).is_err()); // an echo of any length
/// assert_eq!(rtu::response_len(&[0x11, 0x08, 0x00, 0x0B])?, Some(8)); // a counter
/// assert_eq!(rtu::response_len(&[0x11, 0x18, 0x00, 0x06])?, Some(12)); // FIFO: 16-bit count
/// # Ok::<(), rtu::RtuError>(())
/// ```
pub fn response_len(buf: &[u8]) -> Result<Option<usize>, RtuError> {
    let Some(&function) = buf.get(1) else {
        return Ok(None);
    };
    let len = match function {
        0x80..=0xFF => 5,
        0x01..=0x04 | 0x17 => match buf.get(2) {
            Some(&byte_count) => 5 + usize::from(byte_count),
            None => return Ok(None),
        },
        0x05 | 0x06 | 0x0F | 0x10 | 0x0B => 8,
        0x07 => 5,
        0x08 => return diagnostics_len(buf, Direction::Response),
        0x0C | 0x11 | 0x14 | 0x15 => match buf.get(2) {
            Some(&byte_count) => 5 + usize::from(byte_count),
            None => return Ok(None),
        },
        0x18 => match buf.get(2..4) {
            Some(&[hi, lo]) => 6 + usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Ok(None),
        },
        0x16 => 10,
        0x2B => return device_id_response_len(buf),
        _ => {
            return Err(RtuError::UnknownLength {
                function,
                direction: Direction::Response,
            });
        }
    };
    within_limit(function, len)
}

/// FC08 frames: one data word (8 bytes) for every sub-function the spec defines but
/// Return Query Data, whose echo is as long as the master made it; that one and the
/// sub-functions the spec does not define are delimited by silence.
fn diagnostics_len(buf: &[u8], direction: Direction) -> Result<Option<usize>, RtuError> {
    let Some(&[hi, lo]) = buf.get(2..4) else {
        return Ok(None);
    };
    match u16::from_be_bytes([hi, lo]) {
        0x01..=0x04 | 0x0A..=0x12 | 0x14 => Ok(Some(8)),
        _ => Err(RtuError::UnknownLength {
            function: 0x08,
            direction,
        }),
    }
}

/// Walks the object list of an FC43/14 response: address, function, MEI type, read code,
/// conformity, more follows, next id, count, then (id, length, value) per object.
fn device_id_response_len(buf: &[u8]) -> Result<Option<usize>, RtuError> {
    const FUNCTION: u8 = 0x2B;
    let Some(&[_, _, mei, _, _, _, _, count]) = buf.first_chunk::<8>() else {
        return match buf.get(2) {
            Some(&mei) if mei != MEI_READ_DEVICE_ID => Err(RtuError::UnknownLength {
                function: FUNCTION,
                direction: Direction::Response,
            }),
            _ => Ok(None),
        };
    };
    if mei != MEI_READ_DEVICE_ID {
        return Err(RtuError::UnknownLength {
            function: FUNCTION,
            direction: Direction::Response,
        });
    }
    let mut end = 8usize;
    for _ in 0..count {
        let Some(&len) = buf.get(end + 1) else {
            return Ok(None);
        };
        end += 2 + usize::from(len);
        // Stop as soon as the frame is too long, before walking bytes that are not ours.
        within_limit(FUNCTION, end + 2)?;
    }
    within_limit(FUNCTION, end + 2)
}

fn within_limit(function: u8, len: usize) -> Result<Option<usize>, RtuError> {
    if len > MAX_FRAME_LEN {
        return Err(RtuError::TooLong { function, len });
    }
    Ok(Some(len))
}

/// Takes the first frame off the front of a stream buffer, delimiting it by its function
/// code and byte count and checking its CRC.
///
/// `Ok(None)`: the buffer does not hold a whole frame yet. `Ok(Some((frame, consumed)))`:
/// a frame and how many bytes it took. `Err`: a CRC mismatch (the frame is corrupt or the
/// stream out of step), or a length that cannot be told (see [`RtuError`]).
///
/// ```
/// use msm_proto::rtu::{self, Direction, RtuError};
///
/// let frame = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
/// assert_eq!(rtu::split_frame(&frame[..7], Direction::Request)?, None);
/// let (f, used) = rtu::split_frame(&frame, Direction::Request)?.unwrap();
/// assert_eq!((f.pdu, used), (&frame[1..6], 8));
///
/// let mut corrupt = frame;
/// corrupt[5] = 0x04;
/// assert!(matches!(rtu::split_frame(&corrupt, Direction::Request), Err(RtuError::Crc { .. })));
/// # Ok::<(), RtuError>(())
/// ```
pub fn split_frame(
    buf: &[u8],
    direction: Direction,
) -> Result<Option<(Frame<'_>, usize)>, RtuError> {
    let len = match direction {
        Direction::Request => request_len(buf)?,
        Direction::Response => response_len(buf)?,
    };
    let Some(frame) = len.and_then(|len| buf.get(..len)) else {
        return Ok(None);
    };
    Ok(Some((decode_frame(frame)?, frame.len())))
}

/// Checks the CRC of a frame whose end is already known (by silence on the line) and
/// splits it into address and PDU.
///
/// ```
/// use msm_proto::rtu;
///
/// // An FC8 echo, whose length cannot be told from its header.
/// let frame = rtu::decode_frame(&[0x01, 0x08, 0x00, 0x00, 0xA5, 0x37, 0xDA, 0x8D])?;
/// assert_eq!(frame.pdu, [0x08, 0x00, 0x00, 0xA5, 0x37]);
/// # Ok::<(), rtu::RtuError>(())
/// ```
pub fn decode_frame(frame: &[u8]) -> Result<Frame<'_>, RtuError> {
    let len = frame.len();
    if len > MAX_FRAME_LEN {
        let function = frame.get(1).copied().unwrap_or(0);
        return Err(RtuError::TooLong { function, len });
    }
    let (Some((body, crc)), true) = (frame.split_last_chunk::<2>(), len >= MIN_FRAME_LEN) else {
        return Err(RtuError::TooShort { len });
    };
    let expected = crc16(body);
    let found = u16::from_le_bytes(*crc);
    if expected != found {
        return Err(RtuError::Crc { expected, found });
    }
    let Some((&address, pdu)) = body.split_first() else {
        return Err(RtuError::TooShort { len });
    };
    Ok(Frame { address, pdu })
}

/// Completes a frame whose PDU is already at `buf[1..1 + pdu_len]`: writes the address
/// into `buf[0]`, appends the CRC, and returns the frame's length (`pdu_len + 3`).
///
/// ```
/// use msm_proto::rtu;
///
/// let mut buf = [0u8; 8];
/// buf[1..6].copy_from_slice(&[0x03, 0x00, 0x6B, 0x00, 0x03]);
/// assert_eq!(rtu::finish_frame(&mut buf, 0x11, 5)?, 8);
/// assert_eq!(buf, [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn finish_frame(buf: &mut [u8], address: u8, pdu_len: usize) -> Result<usize, EncodeError> {
    if pdu_len == 0 || pdu_len > MAX_PDU_LEN {
        return Err(EncodeError::PduLength { len: pdu_len });
    }
    let needed = pdu_len + 3;
    let available = buf.len();
    let frame = buf
        .get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed, available })?;
    let Some((body, crc)) = frame.split_last_chunk_mut::<2>() else {
        return Err(EncodeError::BufferTooSmall { needed, available });
    };
    if let Some(first) = body.first_mut() {
        *first = address;
    }
    *crc = crc16(body).to_le_bytes();
    Ok(needed)
}

/// Encodes a request as an RTU frame into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{Request, rtu};
///
/// let mut buf = [0u8; rtu::MAX_FRAME_LEN];
/// let len = rtu::encode_request(&mut buf, 1, &Request::ReadCoils { address: 0x13, quantity: 0x13 })?;
/// assert_eq!(len, 8);
/// assert!(rtu::decode_frame(&buf[..len]).is_ok());
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_request(
    buf: &mut [u8],
    address: u8,
    request: &Request<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = crate::wire::pdu_after_address(
        buf,
        |pdu_len| pdu_len.saturating_add(3),
        |pdu| request.encode(pdu),
    )?;
    finish_frame(buf, address, pdu_len)
}

/// Encodes a response as an RTU frame into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{ExceptionCode, Response, rtu};
///
/// let mut buf = [0u8; rtu::MAX_FRAME_LEN];
/// let r = Response::Exception { function: 1, code: ExceptionCode::IllegalDataAddress };
/// let len = rtu::encode_response(&mut buf, 1, &r)?;
/// assert_eq!(&buf[..len], [0x01, 0x81, 0x02, 0xC1, 0x91]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_response(
    buf: &mut [u8],
    address: u8,
    response: &Response<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = crate::wire::pdu_after_address(
        buf,
        |pdu_len| pdu_len.saturating_add(3),
        |pdu| response.encode(pdu),
    )?;
    finish_frame(buf, address, pdu_len)
}

#[cfg(test)]
#[path = "rtu_tests.rs"]
mod tests;
