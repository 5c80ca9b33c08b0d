//! One framer for every byte stream a Modbus peer reads, sans-IO: MBAP (Modbus/TCP), RTU
//! delimited by length (RTU over TCP) and RTU delimited by silence (a serial line).
//!
//! The [`Framer`] works in a buffer it is given once (a `Box<[u8]>` it allocates under
//! `std`, or a caller's array or `&mut [u8]` without an allocator) and hands frames out
//! as views into it: no copy, no allocation per frame. The caller brings the bytes (read
//! straight into [`Framer::read_space`], or copied in by [`Framer::push`]) and the time
//! they came, as any [`Timestamp`] (`std::time::Instant`, or a [`Duration`] since an
//! origin); it polls until `None`, and polls again when more bytes come or at
//! [`Framer::poll_timeout`]. The framer never reads a clock.
//!
//! - **MBAP**: the header's length field delimits; a frame whose protocol id is not 0 is
//!   skipped whole ([`Skipped::Foreign`]); a length field outside 2..=254 (or over the
//!   configured limit) is a [`StreamError`]: the stream cannot be resynchronised.
//! - **RTU by length** (RTU over TCP): the function code and byte count delimit, so
//!   pipelined frames are cut at once. Silence is the fallback: a frame whose length
//!   can't be told (FC8, custom codes) is taken as soon as its CRC checks over all that
//!   is buffered, else when the stream goes silent; a frame left incomplete by a silence
//!   is dropped, so the stream resynchronises instead of waiting forever.
//! - **RTU by silence** (a serial line, Modbus over Serial Line V1.02, 2.5.1.1): 3.5
//!   character times of silence end a frame, a gap over 1.5 inside one invalidates it,
//!   and the length is a second guard (a frame is handed over as soon as it is complete).
//! - **ASCII** (a serial line, 2.5.2): `:` starts a frame (and starts it again: what
//!   came before is dropped), CR and the end character (LF unless changed) end it; the
//!   hex digits are decoded in place and the LRC checked; a pause over the
//!   inter-character timeout (1 s by default) inside a frame drops it
//!   ([`crate::ascii`]).
//!
//! A datagram transport (Modbus/UDP) hands each datagram over with
//! [`Framer::push_datagram`]: it must be exactly one frame, else it is dropped whole
//! ([`Skipped::Datagram`]).
//!
//! Whatever it drops it reports as a value ([`Skipped`], [`StreamError`]): logging is
//! the caller's business.
//!
//! ```
//! use msm_proto::stream::{Delimiter, Framed, StreamFramer};
//! use std::time::Instant;
//!
//! let mut framer = StreamFramer::new(Delimiter::Mbap);
//! let now = Instant::now();
//! // Two pipelined requests and the start of a third, as one read brings them.
//! framer.push(now, &[0, 1, 0, 0, 0, 2, 9, 0x41, 0, 2, 0, 0, 0, 3, 9, 0x42, 0xAA, 0]);
//! let Ok(Some(Framed::Frame(f))) = framer.poll(now) else { panic!() };
//! assert_eq!((f.transaction_id, f.unit, f.pdu), (Some(1), 9, &[0x41][..]));
//! let Ok(Some(Framed::Frame(f))) = framer.poll(now) else { panic!() };
//! assert_eq!(f.pdu, [0x42, 0xAA]);
//! assert_eq!(framer.poll(now), Ok(None)); // the third is not all there
//! assert_eq!(framer.buffered(), 1);
//! ```
//!
//! Without std, on a buffer of the caller's and with `Duration`s since boot:
//!
//! ```
//! use core::time::Duration;
//! use msm_proto::rtu::Direction;
//! use msm_proto::stream::{Delimiter, Framed, Framer, MIN_CAPACITY, Timing};
//!
//! let mut buf = [0u8; MIN_CAPACITY];
//! let delimiter = Delimiter::RtuBySilence {
//!     direction: Direction::Request,
//!     timing: Timing::for_baud(19_200, 11),
//! };
//! let mut framer = Framer::with_buffer(delimiter, &mut buf[..])?;
//! let now = Duration::from_millis(1234); // the board's tick counter, say
//! framer.push(now, &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B]);
//! let Ok(Some(Framed::Frame(f))) = framer.poll(now) else { panic!() };
//! assert_eq!((f.unit, f.pdu), (0x11, &[0x06, 0x00, 0x01, 0x00, 0x03][..]));
//! # Ok::<(), msm_proto::stream::BufferTooSmall>(())
//! ```

use core::fmt;
use core::time::Duration;

use crate::tcp::{self, FrameError};

pub use crate::discarded::Discarded;
pub use crate::rtu_timing::Timing;
pub use crate::timestamp::Timestamp;

pub use crate::ascii::AsciiDiscarded;

use crate::ascii;
use crate::rtu::Direction;

#[cfg(feature = "std")]
mod boxed;
mod datagram;
mod framer;
mod split_ascii;
mod split_mbap;
mod split_rtu;

/// The framer most programs use: it allocates its buffer (`Box<[u8]>`) and takes
/// `std::time::Instant`s. See [`Framer`] for its methods.
///
/// ```
/// use msm_proto::stream::{Delimiter, StreamFramer};
/// use std::time::Instant;
/// let mut framer: StreamFramer = StreamFramer::new(Delimiter::Mbap);
/// framer.push(Instant::now(), &[0, 1]);
/// assert_eq!(framer.buffered(), 2);
/// ```
#[cfg(feature = "std")]
pub type StreamFramer = Framer<Box<[u8]>, std::time::Instant>;

/// The silence that ends an RTU frame on a TCP stream when its length can't be told, or
/// that drops a frame left incomplete. TCP delivers a converter's frame in one or a few
/// segments, so the line's 3.5 characters mean nothing here; half a second outlasts any
/// segment delay on a working network and still resynchronises quickly.
///
/// ```
/// use msm_proto::stream::{Delimiter, STREAM_SILENCE};
/// use msm_proto::rtu::Direction;
/// assert_eq!(STREAM_SILENCE.as_millis(), 500);
/// assert_eq!(
///     Delimiter::rtu_over_tcp(Direction::Request),
///     Delimiter::RtuByLength { direction: Direction::Request, silence: STREAM_SILENCE },
/// );
/// ```
pub const STREAM_SILENCE: Duration = Duration::from_millis(500);

/// Buffer size of [`StreamFramer::new`]: room for dozens of pipelined frames per read.
///
/// ```
/// use msm_proto::stream::{DEFAULT_CAPACITY, Delimiter, StreamFramer};
/// let mut framer = StreamFramer::new(Delimiter::Mbap);
/// assert_eq!(framer.capacity(), DEFAULT_CAPACITY);
/// ```
pub const DEFAULT_CAPACITY: usize = 8 * 1024;

/// The smallest buffer a framer works in: a partial frame and a whole one behind it (two
/// MBAP frames of 260 bytes; RTU frames are at most 256).
///
/// ```
/// use msm_proto::stream::{BufferTooSmall, Delimiter, Framer, MIN_CAPACITY};
/// use core::time::Duration;
/// assert_eq!(MIN_CAPACITY, 520);
/// let small = Framer::<_, Duration>::with_buffer(Delimiter::Mbap, [0u8; 256]);
/// assert_eq!(small.unwrap_err(), BufferTooSmall { len: 256, min: 520 });
/// ```
pub const MIN_CAPACITY: usize = 2 * tcp::MAX_FRAME_LEN;

/// How frames are delimited in the stream.
///
/// ```
/// use msm_proto::rtu::Direction;
/// use msm_proto::rtu_framer::Timing;
/// use msm_proto::stream::Delimiter;
/// // A slave on a serial line at 19200 baud, 8E1:
/// let serial = Delimiter::RtuBySilence {
///     direction: Direction::Request,
///     timing: Timing::for_baud(19_200, 11),
/// };
/// assert_ne!(serial, Delimiter::rtu_over_tcp(Direction::Request));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    /// Modbus/TCP: the MBAP header's length field.
    Mbap,
    /// RTU frames on a byte stream (RTU over TCP): the length the function code and
    /// byte count imply; `silence` ends a frame whose length can't be told, and drops one
    /// left incomplete.
    RtuByLength {
        /// Requests (at a slave) or responses (at a master): the length rules differ.
        direction: Direction,
        /// See [`STREAM_SILENCE`].
        silence: Duration,
    },
    /// RTU frames on a serial line: delimited by the line's silences, with the length
    /// as a second guard.
    RtuBySilence {
        /// Requests (at a slave) or responses (at a master).
        direction: Direction,
        /// The line's silences.
        timing: Timing,
    },
    /// Modbus ASCII frames on a serial line: `:` starts a frame, CR and `end` end it
    /// (the same rules both ways).
    Ascii {
        /// The longest pause allowed between two characters of a frame
        /// ([`ascii::CHAR_TIMEOUT`], 1 s, by default); a longer one drops the frame.
        char_timeout: Duration,
        /// The character after CR that ends a frame: [`ascii::LF`] unless FC08
        /// sub-function 03 changed it ([`Framer::set_ascii_end`]). With CR itself, a
        /// frame ends at its CR.
        end: u8,
    },
}

impl Delimiter {
    /// RTU over TCP, going `direction`: by length, with [`STREAM_SILENCE`] as fallback.
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::stream::Delimiter;
    /// let d = Delimiter::rtu_over_tcp(Direction::Response);
    /// assert!(matches!(d, Delimiter::RtuByLength { direction: Direction::Response, .. }));
    /// ```
    pub const fn rtu_over_tcp(direction: Direction) -> Delimiter {
        Delimiter::RtuByLength {
            direction,
            silence: STREAM_SILENCE,
        }
    }

    /// Modbus ASCII as the spec sets it up: frames end with CR LF, and up to a second
    /// may pass between two characters of a frame.
    ///
    /// ```
    /// use msm_proto::{ascii, stream::Delimiter};
    /// assert_eq!(
    ///     Delimiter::ascii(),
    ///     Delimiter::Ascii { char_timeout: ascii::CHAR_TIMEOUT, end: ascii::LF },
    /// );
    /// ```
    pub const fn ascii() -> Delimiter {
        Delimiter::Ascii {
            char_timeout: ascii::CHAR_TIMEOUT,
            end: ascii::LF,
        }
    }
}

/// The rules of a delimiter, unpacked once.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Mbap,
    Rtu(split_rtu::Rtu),
    Ascii(split_ascii::Ascii),
}

impl Mode {
    fn of(delimiter: Delimiter) -> Mode {
        match delimiter {
            Delimiter::Mbap => Mode::Mbap,
            Delimiter::RtuByLength { direction, silence } => {
                Mode::Rtu(split_rtu::Rtu::by_length(direction, silence))
            }
            Delimiter::RtuBySilence { direction, timing } => {
                Mode::Rtu(split_rtu::Rtu::by_silence(direction, timing))
            }
            Delimiter::Ascii { char_timeout, end } => {
                Mode::Ascii(split_ascii::Ascii { char_timeout, end })
            }
        }
    }
}

/// A frame, borrowed from the framer's buffer: valid until the framer is next changed.
///
/// ```
/// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
/// use std::time::Instant;
/// let mut framer = StreamFramer::new(Delimiter::rtu_over_tcp(msm_proto::rtu::Direction::Request));
/// framer.push(Instant::now(), &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B]);
/// let Ok(Some(Framed::Frame(f))) = framer.poll(Instant::now()) else { panic!() };
/// assert_eq!((f.transaction_id, f.unit, f.pdu), (None, 0x11, &[0x06, 0, 1, 0, 3][..]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The MBAP transaction id; `None` for RTU.
    pub transaction_id: Option<u16>,
    /// The MBAP unit id, or the RTU address (0 = broadcast).
    pub unit: u8,
    /// The PDU (function code + data).
    pub pdu: &'a [u8],
}

/// Bytes the framer dropped instead of making a frame, and why. The stream goes on.
///
/// ```
/// use msm_proto::stream::{Delimiter, Framed, Skipped, StreamFramer};
/// use std::time::Instant;
/// let mut framer = StreamFramer::new(Delimiter::Mbap);
/// framer.push(Instant::now(), &[0, 7, 0, 9, 0, 2, 1, 0x41]); // protocol id 9
/// let got = framer.poll(Instant::now());
/// assert_eq!(
///     got,
///     Ok(Some(Framed::Skipped(Skipped::Foreign { transaction_id: 7, protocol_id: 9, len: 8 })))
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skipped {
    /// A well delimited MBAP frame whose protocol id is not 0 (not Modbus): dropped
    /// unanswered, as the MBAP rules say.
    #[error(
        "frame {transaction_id} ({len} bytes) dropped: protocol id {protocol_id} is not 0 (Modbus)"
    )]
    Foreign {
        /// Its transaction id.
        transaction_id: u16,
        /// The protocol id found.
        protocol_id: u16,
        /// Bytes dropped.
        len: usize,
    },
    /// RTU bytes that made no valid frame: a bad CRC, an impossible length, a gap inside
    /// the frame, a silence before its end, or bytes never polled.
    #[error(transparent)]
    Rtu(Discarded),
    /// ASCII characters that made no valid frame: noise outside a frame, a frame started
    /// over, a pause inside one, a bad LRC, a character that is not hex, an odd number
    /// of digits, or characters never polled.
    #[error(transparent)]
    Ascii(AsciiDiscarded),
    /// A datagram ([`Framer::push_datagram`]) that is not exactly one frame: cut short,
    /// with bytes after its frame, or with an impossible header. Dropped whole.
    #[error("{len}-byte datagram dropped: {}", datagram_fault(.frame_len))]
    Datagram {
        /// The datagram's length.
        len: usize,
        /// The frame's length its MBAP header announces, if it has a header and the
        /// length is possible (2..=254 after the first 6 bytes).
        frame_len: Option<usize>,
    },
}

/// Why a datagram is not one frame, for [`Skipped::Datagram`]'s message.
fn datagram_fault(frame_len: &Option<usize>) -> DatagramFault {
    DatagramFault(*frame_len)
}

struct DatagramFault(Option<usize>);

impl fmt::Display for DatagramFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(len) => write!(f, "its header announces a {len}-byte frame"),
            None => f.write_str("it holds no possible frame header"),
        }
    }
}

/// What [`Framer::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed<'a> {
    /// A whole, valid frame.
    Frame(Frame<'a>),
    /// Bytes dropped; the stream goes on after them.
    Skipped(Skipped),
}

/// The stream cannot be resynchronised: close the connection (or [`clear`] the framer
/// and start again on a new one).
///
/// [`clear`]: Framer::clear
///
/// ```
/// use msm_proto::stream::{Delimiter, StreamError, StreamFramer};
/// use std::time::Instant;
/// let mut framer = StreamFramer::new(Delimiter::Mbap).with_max_frame_len(12);
/// framer.push(Instant::now(), &[0, 1, 0, 0, 0, 7]); // announces 13 bytes
/// let err = framer.poll(Instant::now()).unwrap_err();
/// assert_eq!(err, StreamError::TooLong { transaction_id: 1, len: 13, max: 12 });
/// assert_eq!(err.to_string(), "frame 1 announces 13 bytes, over the 12-byte limit");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The MBAP header is impossible (a length field outside 2..=254).
    #[error("malformed frame: {0}")]
    Frame(FrameError),
    /// The MBAP header announces a frame longer than the configured limit
    /// ([`Framer::with_max_frame_len`]).
    #[error("frame {transaction_id} announces {len} bytes, over the {max}-byte limit")]
    TooLong {
        /// Its transaction id.
        transaction_id: u16,
        /// Length of the frame announced, header included.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// MBAP bytes were dropped because the buffer filled up before they were polled: the
    /// frames after them can't be found. Only a caller that reads again without polling
    /// until `None` gets this (RTU reports it as [`Discarded::Overrun`] and goes on).
    #[error(
        "{len} bytes dropped: more came before they were polled (poll until None after each read)"
    )]
    Overrun {
        /// Bytes dropped.
        len: usize,
    },
}

/// The buffer given to [`Framer::with_buffer`] is smaller than [`MIN_CAPACITY`].
///
/// ```
/// use msm_proto::stream::{BufferTooSmall, Delimiter, Framer};
/// let mut buf = [0u8; 100];
/// let err = Framer::<_, core::time::Duration>::with_buffer(Delimiter::Mbap, &mut buf[..])
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "a framer's buffer holds 100 bytes, under the 520 it needs (stream::MIN_CAPACITY)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a framer's buffer holds {len} bytes, under the {min} it needs (stream::MIN_CAPACITY)")]
pub struct BufferTooSmall {
    /// The buffer's length.
    pub len: usize,
    /// The smallest it may be: [`MIN_CAPACITY`].
    pub min: usize,
}

/// Splits a byte stream into Modbus frames, in a buffer `B` (anything that lends a
/// `&mut [u8]`: a `Box<[u8]>`, an array, a caller's slice) with instants `T` from the
/// caller. See the [module](self) for the rules; [`StreamFramer`] is the one with a
/// buffer of its own and std's `Instant`.
///
/// ```
/// use msm_proto::rtu::Direction;
/// use msm_proto::rtu_framer::{Discarded, Timing};
/// use msm_proto::stream::{Delimiter, Framed, Skipped, StreamFramer};
/// use std::time::{Duration, Instant};
///
/// let timing = Timing::for_baud(9600, 11);
/// let mut framer = StreamFramer::new(Delimiter::RtuBySilence { direction: Direction::Request, timing });
/// let t0 = Instant::now();
/// // A driver reads straight into the framer's buffer...
/// let space = framer.read_space();
/// space[..3].copy_from_slice(&[0x11, 0x06, 0x00]);
/// framer.filled(t0, 3);
/// assert_eq!(framer.poll(t0), Ok(None));                      // more may come
/// // ...and wakes at `poll_timeout`: the line went silent, the frame is cut short.
/// let at = framer.poll_timeout().unwrap();
/// assert_eq!(at, t0 + timing.frame_gap);
/// assert_eq!(
///     framer.poll(at),
///     Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::Incomplete { len: 3 }))))
/// );
/// assert_eq!(framer.poll_timeout(), None);
/// ```
pub struct Framer<B, T> {
    delimiter: Delimiter,
    mode: Mode,
    max_frame_len: usize,
    buf: B,
    /// Bytes not yet taken are `buf[start..end]`.
    start: usize,
    end: usize,
    last_byte: Option<T>,
    /// RTU: bytes `start..sealed` were followed by a frame's worth of silence: they can't
    /// grow.
    sealed: Option<usize>,
    /// RTU: a gap over 1.5 characters seen inside the sealed bytes.
    sealed_gap: Option<Duration>,
    /// RTU: a gap over 1.5 characters seen inside the bytes after them.
    open_gap: Option<Duration>,
    /// Bytes dropped because they were not polled in time, for the next poll to report.
    overrun: usize,
    /// ASCII: the bytes `start..start + scanned` hold neither `:` (after the first) nor
    /// CR; the next poll searches on from there.
    scanned: usize,
    /// The bytes buffered are one datagram of this length (more than were kept, for
    /// one too long for the buffer): the next poll takes them whole or drops them.
    datagram: Option<usize>,
}

/// The buffer's state, not its bytes.
impl<B: AsRef<[u8]>, T: fmt::Debug> fmt::Debug for Framer<B, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Framer")
            .field("delimiter", &self.delimiter)
            .field("capacity", &self.buf.as_ref().len())
            .field("buffered", &(self.end - self.start))
            .field("last_byte", &self.last_byte)
            .field("sealed", &self.sealed.map(|s| s.saturating_sub(self.start)))
            .field("overrun", &self.overrun)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
