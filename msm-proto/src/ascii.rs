//! Modbus ASCII framing ("Modbus over Serial Line V1.02", 2.5.2): a `:`, then the
//! address, the PDU and an LRC as pairs of hex digits, then CR LF.
//!
//! Every byte goes as two characters (`0x3A` is `"3A"`), so a frame is about twice as
//! long as its RTU form, and it is delimited by characters, not silences: `:` starts one
//! (and restarts one: a receiver drops what it had and begins again), CR and the end
//! character (LF, unless FC08 sub-function 03 "change ASCII input delimiter" set
//! another) end it. The check is the LRC: the two's complement of the sum of the
//! address and PDU bytes. Up to one second may pass between two characters of a frame
//! ([`CHAR_TIMEOUT`]); the stream framer ([`crate::stream`], `Delimiter::Ascii`) drops a
//! frame that pauses longer.
//!
//! Decoding works in place: [`decode_frame`] turns the hex digits into bytes at the front
//! of the frame's own buffer and returns views into it, so nothing is copied or
//! allocated. Encoding too: [`finish_frame`] spreads a PDU already at `buf[1..]` into its
//! ASCII form in the same buffer.
//!
//! ```
//! use msm_proto::{Request, ascii};
//!
//! // The spec's FC3 example to unit 0x11, as a master sends it.
//! let mut buf = [0u8; ascii::MAX_FRAME_LEN];
//! let request = Request::ReadHoldingRegisters { address: 0x6B, quantity: 3 };
//! let len = ascii::encode_request(&mut buf, 0x11, &request)?;
//! assert_eq!(&buf[..len], b":1103006B00037E\r\n");
//!
//! // The slave decodes it where it lies.
//! let frame = ascii::decode_frame(&mut buf[..len], ascii::LF)?;
//! assert_eq!(frame.address, 0x11);
//! assert_eq!(Request::decode(frame.pdu)?, request);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::time::Duration;

use super::{EncodeError, MAX_PDU_LEN, Request, Response};

pub use super::rtu::Frame;

/// The character that starts a frame.
///
/// ```
/// assert_eq!(msm_proto::ascii::START, b':');
/// ```
pub const START: u8 = b':';

/// The carriage return before the end character.
///
/// ```
/// assert_eq!(msm_proto::ascii::CR, b'\r');
/// ```
pub const CR: u8 = b'\r';

/// The end character by default (line feed). FC08 sub-function 03 "change ASCII input
/// delimiter" makes another one end the frames a slave receives.
///
/// ```
/// assert_eq!(msm_proto::ascii::LF, b'\n');
/// ```
pub const LF: u8 = b'\n';

/// Longest ASCII frame: `:`, address + 253-byte PDU + LRC as hex digits, CR LF.
///
/// ```
/// use msm_proto::{MAX_PDU_LEN, ascii};
/// assert_eq!(ascii::MAX_FRAME_LEN, 1 + 2 * (1 + MAX_PDU_LEN + 1) + 2);
/// assert_eq!(ascii::MAX_FRAME_LEN, 513);
/// ```
pub const MAX_FRAME_LEN: usize = 1 + 2 * (1 + MAX_PDU_LEN + 1) + 2;

/// Shortest ASCII frame: `:`, address, function code and LRC as hex digits, CR LF.
///
/// ```
/// use msm_proto::ascii::{self, AsciiError};
/// assert_eq!(ascii::MIN_FRAME_LEN, 9);
/// let mut short = *b":01FF\r\n";
/// assert_eq!(ascii::decode_frame(&mut short, ascii::LF), Err(AsciiError::TooShort { len: 7 }));
/// ```
pub const MIN_FRAME_LEN: usize = 1 + 2 * 3 + 2;

/// The longest pause between two characters of a frame, unless configured otherwise
/// (the serial line guide: "intervals of up to one second may elapse between
/// characters"); a longer one drops the frame.
///
/// ```
/// assert_eq!(msm_proto::ascii::CHAR_TIMEOUT.as_secs(), 1);
/// ```
pub const CHAR_TIMEOUT: Duration = Duration::from_secs(1);

/// The LRC of `bytes` (address and PDU): the two's complement of their sum, modulo 256.
/// Address, PDU and LRC together sum to zero.
///
/// ```
/// use msm_proto::ascii::lrc;
/// // The spec's example: address 0x11, FC3, address 0x006B, quantity 3.
/// assert_eq!(lrc(&[0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]), 0x7E);
/// assert_eq!(lrc(&[]), 0);
/// ```
pub fn lrc(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |sum, &b| sum.wrapping_add(b))
        .wrapping_neg()
}

/// An ASCII frame that is not well formed.
///
/// ```
/// use msm_proto::ascii::{self, AsciiError};
/// let mut frame = *b":1103006B00037F\r\n"; // the LRC should be 7E
/// let err = ascii::decode_frame(&mut frame, ascii::LF).unwrap_err();
/// assert_eq!(err, AsciiError::Lrc { expected: 0x7E, found: 0x7F });
/// assert_eq!(err.to_string(), "LRC mismatch: the frame's bytes give 0x7e, the frame carries 0x7f");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsciiError {
    /// The first character is not `:`.
    #[error("the frame starts with {found:#04x}, not ':'")]
    NoStart {
        /// The first character found.
        found: u8,
    },
    /// A character between `:` and CR is not a hex digit.
    #[error("character {byte:#04x} at offset {at} is not a hex digit")]
    NotHex {
        /// Its offset in the frame (the `:` is at 0).
        at: usize,
        /// The character.
        byte: u8,
    },
    /// An odd number of hex digits: the last byte is cut in half.
    #[error("{digits} hex digits: an odd number cannot make whole bytes")]
    OddDigits {
        /// How many hex digits there are.
        digits: usize,
    },
    /// The frame does not end with CR and the end character.
    #[error("the frame ends with {found:#04x} where CR then {expected:#04x} should end it")]
    End {
        /// The end character expected after CR.
        expected: u8,
        /// The character found instead (of CR, or of the end character after it).
        found: u8,
    },
    /// Fewer characters than [`MIN_FRAME_LEN`]: no room for address, function and LRC.
    #[error("frame of {len} characters is shorter than the {MIN_FRAME_LEN}-character minimum")]
    TooShort {
        /// The frame's length in characters.
        len: usize,
    },
    /// More characters than [`MAX_FRAME_LEN`].
    #[error("frame of {len} characters or more is over the {MAX_FRAME_LEN}-character limit")]
    TooLong {
        /// The frame's length in characters (or as many as came before it was dropped).
        len: usize,
    },
    /// The LRC carried is not the LRC of the frame's bytes.
    #[error("LRC mismatch: the frame's bytes give {expected:#04x}, the frame carries {found:#04x}")]
    Lrc {
        /// The LRC of address and PDU.
        expected: u8,
        /// The LRC in the frame.
        found: u8,
    },
}

/// Why ASCII bytes were dropped instead of making a frame (reported by the stream
/// framer as `Skipped::Ascii`). The stream goes on at the next `:`.
///
/// ```
/// use msm_proto::ascii::AsciiDiscarded;
/// use msm_proto::stream::{Delimiter, Framed, Skipped, StreamFramer};
/// use std::time::Instant;
/// let mut framer = StreamFramer::new(Delimiter::ascii());
/// let now = Instant::now();
/// framer.push(now, b"\x00\x7F:0103"); // line noise, then a frame that starts over...
/// framer.push(now, b":010300000001FB\r\n"); // ...when a new ':' comes
/// let got = framer.poll(now);
/// assert_eq!(got, Ok(Some(Framed::Skipped(Skipped::Ascii(AsciiDiscarded::Noise { len: 2 })))));
/// let got = framer.poll(now);
/// assert_eq!(got, Ok(Some(Framed::Skipped(Skipped::Ascii(AsciiDiscarded::Restarted { len: 5 })))));
/// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(f))) if f.pdu == [3, 0, 0, 0, 1]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsciiDiscarded {
    /// Characters outside any frame (before a `:`): line noise, or the rest of a frame
    /// whose start was lost.
    #[error("{len} characters dropped: they came outside a frame (before its ':')")]
    Noise {
        /// Characters dropped.
        len: usize,
    },
    /// A `:` came before the frame's end: what came before it is dropped, and a new
    /// frame starts with it.
    #[error("{len} characters dropped: a new ':' came before the frame's end")]
    Restarted {
        /// Characters dropped.
        len: usize,
    },
    /// A pause longer than the inter-character timeout inside a frame.
    #[error(
        "{len} characters dropped: a pause of {gap:?} inside the frame (over the inter-character timeout)"
    )]
    Timeout {
        /// Characters dropped.
        len: usize,
        /// The pause seen.
        gap: Duration,
    },
    /// A whole frame that is wrong: its LRC, a character that is not hex, an odd number
    /// of digits, its length or its end.
    #[error("{len} characters dropped: {error}")]
    Invalid {
        /// Characters dropped.
        len: usize,
        /// What was wrong.
        error: AsciiError,
    },
    /// Characters that came before the earlier ones were polled, with the buffer full
    /// (a caller that polls until `None` after each read never sees this).
    #[error(
        "{len} characters dropped: more came before they were polled (poll until None after each read)"
    )]
    Overrun {
        /// Characters dropped.
        len: usize,
    },
}

/// The value of a hex digit (either case), if it is one.
pub(crate) fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The upper-case hex digit of `v & 0xF`.
fn digit(v: u8) -> u8 {
    let v = v & 0x0F;
    if v < 10 { b'0' + v } else { b'A' + v - 10 }
}

/// Checks a whole frame, `:` to its end character (`end`: [`LF`], or what FC08/03
/// set; with `end` = CR the frame ends at its CR), and decodes it in place: the frame's
/// bytes become address, PDU and LRC at its front, and the returned [`Frame`] views
/// them. Upper- and lower-case hex digits are both taken.
///
/// ```
/// use msm_proto::ascii::{self, AsciiError};
///
/// let mut frame = *b":01060001000AEE\r\n";
/// let f = ascii::decode_frame(&mut frame, ascii::LF)?;
/// assert_eq!((f.address, f.pdu), (1, &[0x06, 0x00, 0x01, 0x00, 0x0A][..]));
///
/// // After FC08/03 set '!' as the end character:
/// let mut frame = *b":01060001000AEE\r!";
/// assert!(ascii::decode_frame(&mut frame, b'!').is_ok());
/// let mut frame = *b":01060001000AEE\r\n";
/// assert_eq!(
///     ascii::decode_frame(&mut frame, b'!'),
///     Err(AsciiError::End { expected: b'!', found: b'\n' })
/// );
/// # Ok::<(), AsciiError>(())
/// ```
pub fn decode_frame(frame: &mut [u8], end: u8) -> Result<Frame<'_>, AsciiError> {
    let len = frame.len();
    if len > MAX_FRAME_LEN {
        return Err(AsciiError::TooLong { len });
    }
    match frame.first() {
        Some(&START) => {}
        Some(&found) => return Err(AsciiError::NoStart { found }),
        None => return Err(AsciiError::TooShort { len }),
    }
    let trailer: &[u8] = if end == CR { &[CR] } else { &[CR, end] };
    let digits_end = len.saturating_sub(trailer.len()).max(1);
    let digits = frame.get(1..digits_end).unwrap_or_default();
    if let Some((i, &byte)) = digits
        .iter()
        .enumerate()
        .find(|(_, c)| nibble(**c).is_none())
    {
        return Err(AsciiError::NotHex { at: 1 + i, byte });
    }
    let tail = frame.get(digits_end..).unwrap_or_default();
    if let Some((&found, _)) = tail.iter().zip(trailer).find(|(t, want)| t != want) {
        return Err(AsciiError::End {
            expected: end,
            found,
        });
    }
    // Address, function code and LRC at least (MIN_FRAME_LEN with CR LF).
    if len < 1 + 2 * 3 + trailer.len() {
        return Err(AsciiError::TooShort { len });
    }
    let digits = digits.len();
    if digits % 2 != 0 {
        return Err(AsciiError::OddDigits { digits });
    }
    let n = digits / 2;
    // Byte i comes from characters 1 + 2i and 2 + 2i, both after i: writing it never
    // overwrites a character still to be read.
    for i in 0..n {
        let (Some(&hi), Some(&lo)) = (frame.get(1 + 2 * i), frame.get(2 + 2 * i)) else {
            return Err(AsciiError::TooShort { len });
        };
        let value = (nibble(hi).unwrap_or(0) << 4) | nibble(lo).unwrap_or(0);
        if let Some(b) = frame.get_mut(i) {
            *b = value;
        }
    }
    let bytes = frame.get(..n).unwrap_or_default();
    let Some((&found, body)) = bytes.split_last() else {
        return Err(AsciiError::TooShort { len });
    };
    let expected = lrc(body);
    if expected != found {
        return Err(AsciiError::Lrc { expected, found });
    }
    let Some((&address, pdu)) = body.split_first() else {
        return Err(AsciiError::TooShort { len });
    };
    Ok(Frame { address, pdu })
}

/// The length of the ASCII frame of a `pdu_len`-byte PDU.
///
/// ```
/// use msm_proto::ascii;
/// assert_eq!(ascii::frame_len(5), 17); // ":1103006B00037E\r\n"
/// assert_eq!(ascii::frame_len(253), ascii::MAX_FRAME_LEN);
/// ```
pub const fn frame_len(pdu_len: usize) -> usize {
    1 + 2 * (pdu_len + 2) + 2
}

/// Completes a frame whose PDU is already at `buf[1..1 + pdu_len]` (as for
/// [`rtu::finish_frame`](crate::rtu::finish_frame)): adds the address and the LRC and
/// spreads it all into its ASCII form in `buf`, CR LF included. Returns the frame's
/// length, [`frame_len`]`(pdu_len)`.
///
/// ```
/// use msm_proto::ascii;
/// let mut buf = [0u8; 32];
/// buf[1..6].copy_from_slice(&[0x03, 0x00, 0x6B, 0x00, 0x03]);
/// let len = ascii::finish_frame(&mut buf, 0x11, 5)?;
/// assert_eq!(&buf[..len], b":1103006B00037E\r\n");
/// assert!(ascii::finish_frame(&mut [0u8; 16], 0x11, 5).is_err()); // 17 needed
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn finish_frame(buf: &mut [u8], address: u8, pdu_len: usize) -> Result<usize, EncodeError> {
    if pdu_len == 0 || pdu_len > MAX_PDU_LEN {
        return Err(EncodeError::PduLength { len: pdu_len });
    }
    let needed = frame_len(pdu_len);
    let available = buf.len();
    let frame = buf
        .get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed, available })?;
    if let Some(first) = frame.first_mut() {
        *first = address;
    }
    let n = pdu_len + 2; // address, PDU, LRC
    let sum = lrc(frame.get(..n - 1).unwrap_or_default());
    if let Some(b) = frame.get_mut(n - 1) {
        *b = sum;
    }
    // Backwards: byte i goes to characters 1 + 2i and 2 + 2i, after every byte not yet
    // spread.
    for i in (0..n).rev() {
        let value = frame.get(i).copied().unwrap_or(0);
        if let Some([hi, lo]) = frame.get_mut(1 + 2 * i..3 + 2 * i) {
            *hi = digit(value >> 4);
            *lo = digit(value);
        }
    }
    if let Some(first) = frame.first_mut() {
        *first = START;
    }
    if let Some([cr, lf]) = frame.get_mut(needed - 2..) {
        (*cr, *lf) = (CR, LF);
    }
    Ok(needed)
}

/// Encodes `pdu` for `address` as an ASCII frame into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::ascii;
/// let mut buf = [0u8; ascii::MAX_FRAME_LEN];
/// let len = ascii::encode_frame(&mut buf, 0x01, &[0x83, 0x02])?; // exception 02 to FC3
/// assert_eq!(&buf[..len], b":0183027A\r\n");
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_frame(buf: &mut [u8], address: u8, pdu: &[u8]) -> Result<usize, EncodeError> {
    let pdu_len = pdu.len();
    if pdu_len == 0 || pdu_len > MAX_PDU_LEN {
        return Err(EncodeError::PduLength { len: pdu_len });
    }
    let needed = frame_len(pdu_len);
    let available = buf.len();
    let area = buf
        .get_mut(1..1 + pdu_len)
        .filter(|_| available >= needed)
        .ok_or(EncodeError::BufferTooSmall { needed, available })?;
    area.copy_from_slice(pdu);
    finish_frame(buf, address, pdu_len)
}

/// Encodes a request as an ASCII frame into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{Request, ascii};
/// let mut buf = [0u8; ascii::MAX_FRAME_LEN];
/// let len = ascii::encode_request(&mut buf, 1, &Request::WriteSingleRegister { address: 1, value: 10 })?;
/// assert_eq!(&buf[..len], b":01060001000AEE\r\n");
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_request(
    buf: &mut [u8],
    address: u8,
    request: &Request<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = crate::wire::pdu_after_address(buf, frame_len, |pdu| request.encode(pdu))?;
    finish_frame(buf, address, pdu_len)
}

/// Encodes a response as an ASCII frame into `buf`; returns the frame's length.
///
/// ```
/// use msm_proto::{ExceptionCode, Response, ascii};
/// let mut buf = [0u8; ascii::MAX_FRAME_LEN];
/// let r = Response::Exception { function: 3, code: ExceptionCode::IllegalDataAddress };
/// let len = ascii::encode_response(&mut buf, 1, &r)?;
/// assert_eq!(&buf[..len], b":0183027A\r\n");
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_response(
    buf: &mut [u8],
    address: u8,
    response: &Response<'_>,
) -> Result<usize, EncodeError> {
    let pdu_len = crate::wire::pdu_after_address(buf, frame_len, |pdu| response.encode(pdu))?;
    finish_frame(buf, address, pdu_len)
}

#[cfg(test)]
#[path = "ascii_tests.rs"]
mod tests;
