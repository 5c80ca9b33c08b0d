//! Modbus/TCP framing: the MBAP header ("Modbus Messaging on TCP/IP Implementation Guide
//! V1.0b") and splitting a byte stream into frames.
//!
//! A frame is a 7-byte header (transaction id, protocol id 0, length, unit id) followed by
//! the PDU; `length` counts the unit id and the PDU, so it is 2..=254.
//!
//! ```
//! use msm_proto::{Request, tcp};
//!
//! // Client: frame a request.
//! let mut buf = [0u8; tcp::MAX_FRAME_LEN];
//! let request = Request::ReadHoldingRegisters { address: 0x6B, quantity: 3 };
//! let len = tcp::encode_request(&mut buf, 0x0001, 0x11, &request)?;
//! assert_eq!(&buf[..len], [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]);
//!
//! // Server: split the stream, however it arrives.
//! let Some((frame, used)) = tcp::split_frame(&buf[..len])? else { unreachable!() };
//! assert_eq!((frame.header.unit_id, used), (0x11, 12));
//! assert_eq!(Request::decode(frame.pdu)?, request);
//! assert_eq!(tcp::split_frame(&buf[..5])?, None); // not all there yet
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{EncodeError, MAX_PDU_LEN, Request, Response};

/// Length of the MBAP header.
///
/// ```
/// use msm_proto::{Request, tcp};
/// let mut buf = [0u8; tcp::MAX_FRAME_LEN];
/// let request = Request::ReadCoils { address: 0, quantity: 8 };
/// let len = tcp::encode_request(&mut buf, 1, 1, &request)?;
/// assert_eq!(len, tcp::HEADER_LEN + request.encoded_len());
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub const HEADER_LEN: usize = 7;

/// Longest Modbus/TCP frame: header + 253-byte PDU.
///
/// ```
/// use msm_proto::tcp::{self, FrameError};
/// assert_eq!(tcp::MAX_FRAME_LEN, 260);
/// let too_long = [0, 1, 0, 0, 0, 255, 1]; // length 255: a unit id and a 254-byte PDU
/// assert!(matches!(tcp::split_frame(&too_long), Err(FrameError::Length { length: 255, .. })));
/// ```
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_PDU_LEN;

/// Smallest valid `length` field: the unit id and a function code.
const MIN_LENGTH_FIELD: u16 = 2;

/// Largest valid `length` field: the unit id and a 253-byte PDU.
const MAX_LENGTH_FIELD: u16 = 1 + MAX_PDU_LEN as u16;

/// The MBAP header.
///
/// ```
/// use msm_proto::tcp::Header;
///
/// let h = Header { transaction_id: 1, protocol_id: 0, length: 6, unit_id: 0x11 };
/// assert_eq!(h.frame_len(), 12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Pairs a response with its request; the server copies it.
    pub transaction_id: u16,
    /// 0 for Modbus.
    pub protocol_id: u16,
    /// Bytes that follow the length field: the unit id and the PDU.
    pub length: u16,
    /// The unit (slave) addressed behind a gateway; 0xFF or 0 when none.
    pub unit_id: u8,
}

impl Header {
    /// Length of the whole frame this header announces (header + PDU).
    ///
    /// ```
    /// # use msm_proto::tcp::Header;
    /// let h = Header { transaction_id: 0, protocol_id: 0, length: 2, unit_id: 1 };
    /// assert_eq!(h.frame_len(), 8);
    /// ```
    pub const fn frame_len(&self) -> usize {
        6 + self.length as usize
    }
}

/// One Modbus/TCP frame, borrowing its PDU from the stream buffer.
///
/// ```
/// use msm_proto::tcp;
///
/// let (frame, _) = tcp::split_frame(&[0, 7, 0, 0, 0, 2, 1, 0x41])?.unwrap();
/// assert_eq!((frame.header.transaction_id, frame.pdu), (7, &[0x41][..]));
/// # Ok::<(), tcp::FrameError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The MBAP header.
    pub header: Header,
    /// The PDU (function code + data), `header.length - 1` bytes.
    pub pdu: &'a [u8],
}

/// A frame that cannot be Modbus/TCP.
///
/// ```
/// use msm_proto::tcp::{self, FrameError};
///
/// let err = tcp::split_frame(&[0, 1, 0, 0, 0, 0]).unwrap_err();
/// assert_eq!(err, FrameError::Length { transaction_id: 1, length: 0 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The protocol id (bytes 2..4) is not 0. The frame itself is well delimited and
    /// wholly in the buffer: a caller may skip its `frame_len` bytes and go on.
    #[error("frame {transaction_id}: protocol id {protocol_id} at byte 2 is not 0 (Modbus)")]
    ProtocolId {
        /// The frame's transaction id.
        transaction_id: u16,
        /// The protocol id found.
        protocol_id: u16,
        /// Total length of the frame, header included.
        frame_len: usize,
    },
    /// The length field (bytes 4..6) is below 2 or over 254: the stream cannot be
    /// resynchronised, so the connection should be closed.
    #[error("frame {transaction_id}: length {length} at byte 4 is outside 2..=254")]
    Length {
        /// The frame's transaction id.
        transaction_id: u16,
        /// The length field found.
        length: u16,
    },
}

/// Takes the first frame off the front of a stream buffer.
///
/// `Ok(None)`: the buffer does not hold a whole frame yet (a normal outcome: read more).
/// `Ok(Some((frame, consumed)))`: a frame, and how many bytes of `buf` it took; more
/// pipelined frames may follow. `Err`: an impossible length field (as soon as it is in
/// the buffer), or a protocol id other than 0 (once the whole frame is buffered, so the
/// caller may skip it).
///
/// ```
/// use msm_proto::tcp;
///
/// // Two pipelined frames in one read.
/// let stream = [0, 1, 0, 0, 0, 2, 9, 0x41, 0, 2, 0, 0, 0, 3, 9, 0x42, 0xAA];
/// let (first, used) = tcp::split_frame(&stream)?.unwrap();
/// let (second, used2) = tcp::split_frame(&stream[used..])?.unwrap();
/// assert_eq!((first.pdu, second.pdu), (&[0x41][..], &[0x42, 0xAA][..]));
/// assert_eq!(used + used2, stream.len());
/// # Ok::<(), tcp::FrameError>(())
/// ```
pub fn split_frame(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, FrameError> {
    let Some(&[t0, t1, p0, p1, l0, l1]) = buf.first_chunk::<6>() else {
        return Ok(None);
    };
    let transaction_id = u16::from_be_bytes([t0, t1]);
    let protocol_id = u16::from_be_bytes([p0, p1]);
    let length = u16::from_be_bytes([l0, l1]);
    if !(MIN_LENGTH_FIELD..=MAX_LENGTH_FIELD).contains(&length) {
        return Err(FrameError::Length {
            transaction_id,
            length,
        });
    }
    let frame_len = 6 + usize::from(length);
    let Some(frame) = buf.get(..frame_len) else {
        return Ok(None);
    };
    if protocol_id != 0 {
        return Err(FrameError::ProtocolId {
            transaction_id,
            protocol_id,
            frame_len,
        });
    }
    let Some((&unit_id, pdu)) = frame.get(6..).and_then(<[u8]>::split_first) else {
        return Ok(None);
    };
    let header = Header {
        transaction_id,
        protocol_id,
        length,
        unit_id,
    };
    Ok(Some((Frame { header, pdu }, frame_len)))
}

/// Writes the 7-byte MBAP header for a PDU of `pdu_len` bytes into `buf[..7]` and returns
/// 7. Callers encode the PDU at `buf[7..]` first, then its length is known.
///
/// ```
/// use msm_proto::tcp;
///
/// let mut buf = [0u8; 9];
/// buf[7..].copy_from_slice(&[0x81, 0x02]);
/// tcp::encode_header(&mut buf, 0x1234, 1, 2)?;
/// assert_eq!(buf, [0x12, 0x34, 0, 0, 0, 3, 1, 0x81, 0x02]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_header(
    buf: &mut [u8],
    transaction_id: u16,
    unit_id: u8,
    pdu_len: usize,
) -> Result<usize, EncodeError> {
    if pdu_len == 0 || pdu_len > MAX_PDU_LEN {
        return Err(EncodeError::PduLength { len: pdu_len });
    }
    let available = buf.len();
    let header = buf
        .first_chunk_mut::<HEADER_LEN>()
        .ok_or(EncodeError::BufferTooSmall {
            needed: HEADER_LEN,
            available,
        })?;
    let [t0, t1] = transaction_id.to_be_bytes();
    // pdu_len <= 253 was checked: the length field fits a u16.
    let [l0, l1] = u16::try_from(pdu_len + 1).unwrap_or(u16::MAX).to_be_bytes();
    *header = [t0, t1, 0, 0, l0, l1, unit_id];
    Ok(HEADER_LEN)
}

/// Encodes a request with its MBAP header into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{Request, tcp};
///
/// let mut buf = [0u8; tcp::MAX_FRAME_LEN];
/// let len = tcp::encode_request(&mut buf, 5, 1, &Request::WriteSingleRegister { address: 1, value: 3 })?;
/// assert_eq!(&buf[..len], [0, 5, 0, 0, 0, 6, 1, 0x06, 0, 1, 0, 3]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_request(
    buf: &mut [u8],
    transaction_id: u16,
    unit_id: u8,
    request: &Request<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = after_header(buf, |pdu| request.encode(pdu))?;
    encode_header(buf, transaction_id, unit_id, pdu_len)?;
    Ok(HEADER_LEN + pdu_len)
}

/// Encodes a response with its MBAP header into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{ExceptionCode, Response, tcp};
///
/// let mut buf = [0u8; tcp::MAX_FRAME_LEN];
/// let r = Response::Exception { function: 3, code: ExceptionCode::IllegalDataAddress };
/// let len = tcp::encode_response(&mut buf, 5, 1, &r)?;
/// assert_eq!(&buf[..len], [0, 5, 0, 0, 0, 3, 1, 0x83, 0x02]);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_response(
    buf: &mut [u8],
    transaction_id: u16,
    unit_id: u8,
    response: &Response<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = after_header(buf, |pdu| response.encode(pdu))?;
    encode_header(buf, transaction_id, unit_id, pdu_len)?;
    Ok(HEADER_LEN + pdu_len)
}

/// Runs a PDU encoder on the bytes after the header, reporting a buffer shortage for
/// the whole frame rather than for the PDU alone.
fn after_header(
    buf: &mut [u8],
    encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
) -> Result<usize, EncodeError> {
    let available = buf.len();
    let pdu_area = buf.get_mut(HEADER_LEN..).unwrap_or_default();
    encode(pdu_area).map_err(|err| match err {
        EncodeError::BufferTooSmall { needed, .. } => EncodeError::BufferTooSmall {
            needed: needed.saturating_add(HEADER_LEN),
            available,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FC3: [u8; 12] = [0, 1, 0, 0, 0, 6, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03];

    #[test]
    fn one_frame_fed_byte_by_byte() {
        for end in 0..FC3.len() {
            assert_eq!(split_frame(&FC3[..end]), Ok(None), "{end} bytes");
        }
        let (frame, used) = split_frame(&FC3).unwrap().unwrap();
        assert_eq!(used, 12);
        assert_eq!(frame.pdu, &FC3[7..]);
    }

    #[test]
    fn pipelined_frames_in_one_buffer_come_out_in_order() {
        let mut stream = Vec::new();
        for tid in 0..3u8 {
            let mut frame = FC3;
            frame[1] = tid;
            stream.extend_from_slice(&frame);
        }
        stream.extend_from_slice(&FC3[..4]); // the start of a fourth
        let mut rest = &stream[..];
        let mut tids = Vec::new();
        while let Some((frame, used)) = split_frame(rest).unwrap() {
            tids.push(frame.header.transaction_id);
            assert_eq!(frame.pdu, &FC3[7..]);
            rest = &rest[used..];
        }
        assert_eq!(tids, [0, 1, 2]);
        assert_eq!(rest, &FC3[..4]);
    }

    #[test]
    fn impossible_lengths_are_reported_at_once() {
        for length in [0u16, 1, 255, 0xFFFF] {
            let [hi, lo] = length.to_be_bytes();
            assert_eq!(
                split_frame(&[0, 9, 0, 0, hi, lo]),
                Err(FrameError::Length {
                    transaction_id: 9,
                    length
                })
            );
        }
        // 254 (a 253-byte PDU) is the largest that is allowed.
        assert_eq!(split_frame(&[0, 9, 0, 0, 0, 254]), Ok(None));
    }

    #[test]
    fn foreign_protocol_is_reported_once_whole_so_it_can_be_skipped() {
        let mut frame = FC3;
        frame[3] = 1;
        assert_eq!(split_frame(&frame[..11]), Ok(None));
        assert_eq!(
            split_frame(&frame),
            Err(FrameError::ProtocolId {
                transaction_id: 1,
                protocol_id: 1,
                frame_len: 12
            })
        );
    }

    #[test]
    fn header_encoding_checks_pdu_length_and_buffer() {
        let mut buf = [0u8; 6];
        assert_eq!(
            encode_header(&mut buf, 0, 0, 1),
            Err(EncodeError::BufferTooSmall {
                needed: 7,
                available: 6
            })
        );
        let mut buf = [0u8; 7];
        assert_eq!(
            encode_header(&mut buf, 0, 0, 0),
            Err(EncodeError::PduLength { len: 0 })
        );
        assert_eq!(
            encode_header(&mut buf, 0, 0, 254),
            Err(EncodeError::PduLength { len: 254 })
        );
        assert_eq!(encode_header(&mut buf, 0xABCD, 0xFF, 253), Ok(7));
        assert_eq!(buf, [0xAB, 0xCD, 0, 0, 0, 254, 0xFF]);
        let request = Request::ReadCoils {
            address: 0,
            quantity: 1,
        };
        assert_eq!(
            encode_request(&mut buf, 0, 0, &request),
            Err(EncodeError::BufferTooSmall {
                needed: 12,
                available: 7
            })
        );
    }
}
