//! One framer for every byte stream a Modbus peer reads, sans-IO: MBAP (Modbus/TCP), RTU
//! delimited by length (RTU over TCP) and RTU delimited by silence (a serial line).
//!
//! The framer owns the receive buffer (allocated once, reused) and hands frames out as
//! views into it: no copy, no allocation per frame. The caller brings the bytes (read
//! straight into [`StreamFramer::read_space`], or copied in by [`StreamFramer::push`])
//! and the time they came; it polls until `None`, and polls again when more bytes come
//! or at [`StreamFramer::poll_timeout`]. The framer never reads a clock.
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

use std::time::{Duration, Instant};

use super::rtu::{self, Direction, RtuError};
use super::rtu_framer::{Discarded, Timing};
use super::tcp::{self, FrameError};

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
/// assert_eq!(framer.read_space().len(), DEFAULT_CAPACITY);
/// ```
pub const DEFAULT_CAPACITY: usize = 8 * 1024;

/// The smallest buffer a framer takes: a partial frame and a whole one behind it.
const MIN_CAPACITY: usize = 2 * tcp::MAX_FRAME_LEN;

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
    /// the frame, or a silence before its end.
    #[error(transparent)]
    Rtu(Discarded),
}

/// What [`StreamFramer::poll`] found.
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
/// [`clear`]: StreamFramer::clear
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
    /// ([`StreamFramer::with_max_frame_len`]).
    #[error("frame {transaction_id} announces {len} bytes, over the {max}-byte limit")]
    TooLong {
        /// Its transaction id.
        transaction_id: u16,
        /// Length of the frame announced, header included.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// The RTU part of a delimiter, unpacked once.
#[derive(Clone, Copy, Debug)]
struct Rtu {
    direction: Direction,
    timing: Timing,
    /// Length first: a frame of unknown length is taken once its CRC checks.
    by_length: bool,
}

/// Splits a byte stream into Modbus frames. See the [module](self) for the rules.
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
pub struct StreamFramer {
    delimiter: Delimiter,
    rtu: Option<Rtu>,
    max_frame_len: usize,
    buf: Box<[u8]>,
    /// Bytes not yet taken are `buf[start..end]`.
    start: usize,
    end: usize,
    last_byte: Option<Instant>,
    /// RTU: bytes `start..sealed` were followed by a frame's worth of silence: they can't
    /// grow.
    sealed: Option<usize>,
    /// RTU: a gap over 1.5 characters seen inside the sealed bytes.
    sealed_gap: Option<Duration>,
    /// RTU: a gap over 1.5 characters seen inside the bytes after them.
    open_gap: Option<Duration>,
}

/// The buffer's state, not its 8 KiB.
impl std::fmt::Debug for StreamFramer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamFramer")
            .field("delimiter", &self.delimiter)
            .field("capacity", &self.buf.len())
            .field("buffered", &self.buffered())
            .field("last_byte", &self.last_byte)
            .field("sealed", &self.sealed.map(|s| s.saturating_sub(self.start)))
            .finish_non_exhaustive()
    }
}

impl StreamFramer {
    /// A framer with a [`DEFAULT_CAPACITY`] buffer.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// let framer = StreamFramer::new(Delimiter::Mbap);
    /// assert_eq!(framer.delimiter(), Delimiter::Mbap);
    /// ```
    pub fn new(delimiter: Delimiter) -> StreamFramer {
        StreamFramer::with_capacity(delimiter, DEFAULT_CAPACITY)
    }

    /// A framer whose buffer holds `capacity` bytes (at least two MBAP frames' worth).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// let mut framer = StreamFramer::with_capacity(Delimiter::Mbap, 0);
    /// assert_eq!(framer.read_space().len(), 520); // two 260-byte frames
    /// ```
    pub fn with_capacity(delimiter: Delimiter, capacity: usize) -> StreamFramer {
        let rtu = match delimiter {
            Delimiter::Mbap => None,
            Delimiter::RtuByLength { direction, silence } => Some(Rtu {
                direction,
                timing: Timing {
                    char_gap: None,
                    frame_gap: silence,
                },
                by_length: true,
            }),
            Delimiter::RtuBySilence { direction, timing } => Some(Rtu {
                direction,
                timing,
                by_length: false,
            }),
        };
        StreamFramer {
            delimiter,
            rtu,
            max_frame_len: tcp::MAX_FRAME_LEN,
            buf: vec![0; capacity.max(MIN_CAPACITY)].into_boxed_slice(),
            start: 0,
            end: 0,
            last_byte: None,
            sealed: None,
            sealed_gap: None,
            open_gap: None,
        }
    }

    /// Refuses MBAP frames longer than `max` bytes (header included) with
    /// [`StreamError::TooLong`], as soon as their header is in. RTU frames are not
    /// affected (they are at most 256 bytes).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap).with_max_frame_len(12);
    /// framer.push(Instant::now(), &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]); // 12 bytes: fine
    /// assert!(matches!(framer.poll(Instant::now()), Ok(Some(_))));
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> StreamFramer {
        self.max_frame_len = max;
        self
    }

    /// How frames are delimited.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// assert_eq!(StreamFramer::new(Delimiter::Mbap).delimiter(), Delimiter::Mbap);
    /// ```
    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// Bytes buffered that are not yet a frame (part of one, or waiting for a silence).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), &[0, 1, 0]);
    /// assert_eq!(framer.buffered(), 3);
    /// ```
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Where the next read goes; report what was read with [`filled`](Self::filled).
    /// Never empty (for a caller that polls until `None` after each read, it has room
    /// for at least a whole frame).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// let request = [0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    /// framer.read_space()[..12].copy_from_slice(&request); // as a socket read would
    /// framer.filled(Instant::now(), 12);
    /// assert!(matches!(framer.poll(Instant::now()), Ok(Some(Framed::Frame(f))) if f.unit == 1));
    /// ```
    pub fn read_space(&mut self) -> &mut [u8] {
        self.make_room(tcp::MAX_FRAME_LEN);
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Takes `n` bytes just read into [`read_space`](Self::read_space), received at `now`
    /// (a chunk read at once counts as arriving at once).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.read_space()[0] = 0;
    /// framer.filled(Instant::now(), 1);
    /// assert_eq!(framer.buffered(), 1);
    /// ```
    pub fn filled(&mut self, now: Instant, n: usize) {
        let n = n.min(self.buf.len() - self.end);
        if n == 0 {
            return;
        }
        if let Some(rtu) = self.rtu {
            self.note_silence(now, rtu.timing);
        }
        self.end += n;
        self.last_byte = Some(now);
    }

    /// Copies bytes received at `now` into the buffer; returns how many it took (fewer
    /// than `bytes.len()` only when the buffer is full: poll, then push the rest).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// let frame = [0, 1, 0, 0, 0, 2, 1, 0x41];
    /// let now = Instant::now();
    /// for byte in frame {
    ///     assert_eq!(framer.poll(now), Ok(None));
    ///     assert_eq!(framer.push(now, &[byte]), 1); // a byte at a time
    /// }
    /// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(_)))));
    /// ```
    pub fn push(&mut self, now: Instant, bytes: &[u8]) -> usize {
        self.make_room(bytes.len());
        let space = self.buf.get_mut(self.end..).unwrap_or_default();
        let n = bytes.len().min(space.len());
        if let (Some(to), Some(from)) = (space.get_mut(..n), bytes.get(..n)) {
            to.copy_from_slice(from);
        }
        self.filled(now, n);
        n
    }

    /// The next frame (or skipped bytes) at `now`, if any. Call it until `Ok(None)` after
    /// each read and at each [`poll_timeout`](Self::poll_timeout). The frame is taken off
    /// the buffer at once; its view stays valid until the framer is next changed.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamError, StreamFramer};
    /// use msm_proto::tcp::FrameError;
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), b"GET / HTTP/1.1\r\n");
    /// assert!(matches!(
    ///     framer.poll(Instant::now()),
    ///     Err(StreamError::Frame(FrameError::Length { .. }))
    /// ));
    /// ```
    #[inline]
    pub fn poll(&mut self, now: Instant) -> Result<Option<Framed<'_>>, StreamError> {
        match self.rtu {
            None => self.poll_mbap(),
            Some(rtu) => Ok(self.poll_rtu(now, rtu)),
        }
    }

    /// When the caller must [`poll`](Self::poll) again if no bytes come first: when the
    /// bytes buffered will have been followed by a frame's worth of silence (RTU). `None`
    /// for MBAP, or with nothing buffered.
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::stream::{Delimiter, STREAM_SILENCE, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    /// assert_eq!(framer.poll_timeout(), None);
    /// let t0 = Instant::now();
    /// framer.push(t0, &[0x11, 0x06]);
    /// assert_eq!(framer.poll_timeout(), Some(t0 + STREAM_SILENCE));
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        let rtu = self.rtu?;
        if self.start == self.end {
            return None;
        }
        self.last_byte.map(|t| t + rtu.timing.frame_gap)
    }

    /// Forgets everything buffered (after a reconnection, say).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// framer.push(Instant::now(), &[0, 1, 0]);
    /// framer.clear();
    /// assert_eq!(framer.buffered(), 0);
    /// ```
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.sealed = None;
        self.sealed_gap = None;
        self.open_gap = None;
    }

    /// MBAP: the header's length delimits.
    #[inline]
    fn poll_mbap(&mut self) -> Result<Option<Framed<'_>>, StreamError> {
        let pending = self.buf.get(self.start..self.end).unwrap_or_default();
        // Checked only under a limit: the common case pays one predictable branch.
        if self.max_frame_len < tcp::MAX_FRAME_LEN
            && let Some(&[t0, t1, _, _, l0, l1]) = pending.first_chunk::<6>()
        {
            let len = 6 + usize::from(u16::from_be_bytes([l0, l1]));
            // Over MAX_FRAME_LEN is an impossible length: split_frame reports that.
            if len > self.max_frame_len && len <= tcp::MAX_FRAME_LEN {
                return Err(StreamError::TooLong {
                    transaction_id: u16::from_be_bytes([t0, t1]),
                    len,
                    max: self.max_frame_len,
                });
            }
        }
        match tcp::split_frame(pending) {
            Ok(Some((frame, used))) => {
                self.start += used;
                Ok(Some(Framed::Frame(Frame {
                    transaction_id: Some(frame.header.transaction_id),
                    unit: frame.header.unit_id,
                    pdu: frame.pdu,
                })))
            }
            Ok(None) => Ok(None),
            Err(FrameError::ProtocolId {
                transaction_id,
                protocol_id,
                frame_len,
            }) => {
                self.start += frame_len;
                Ok(Some(Framed::Skipped(Skipped::Foreign {
                    transaction_id,
                    protocol_id,
                    len: frame_len,
                })))
            }
            Err(e) => Err(StreamError::Frame(e)),
        }
    }

    /// RTU: the length rule first; silence seals what came before it.
    fn poll_rtu(&mut self, now: Instant, rtu: Rtu) -> Option<Framed<'_>> {
        if self.start == self.end {
            return None;
        }
        if self.sealed.is_none()
            && self
                .last_byte
                .is_some_and(|last| now.saturating_duration_since(last) >= rtu.timing.frame_gap)
        {
            self.seal();
        }
        let (limit, sealed) = match self.sealed {
            Some(s) => (s, true),
            None => (self.end, false),
        };
        let region = self.buf.get(self.start..limit).unwrap_or_default();
        let n = region.len();
        let len = match rtu.direction {
            Direction::Request => rtu::request_len(region),
            Direction::Response => rtu::response_len(region),
        };
        let frame_len = match len {
            Ok(Some(len)) if len <= n => len,
            Ok(_) if !sealed => return None,
            Ok(_) => return Some(self.skip(n, Discarded::Incomplete { len: n })),
            // The length can't be told (FC8, unknown functions): the silence ends it...
            Err(RtuError::UnknownLength { .. }) if sealed => n,
            Err(RtuError::UnknownLength { function, .. }) => {
                if n > rtu::MAX_FRAME_LEN {
                    // ...but no frame is this long: noise, dropped without waiting.
                    let error = RtuError::TooLong { function, len: n };
                    return Some(self.skip(n, Discarded::Invalid { len: n, error }));
                }
                // ...or, on a stream, a CRC that checks over all that came.
                if !(rtu.by_length && rtu::decode_frame(region).is_ok()) {
                    return None;
                }
                n
            }
            Err(error) => return Some(self.skip(n, Discarded::Invalid { len: n, error })),
        };
        let gap = if sealed {
            self.sealed_gap
        } else {
            self.open_gap
        };
        if let Some(gap) = gap {
            return Some(self.skip(
                frame_len,
                Discarded::CharGap {
                    len: frame_len,
                    gap,
                },
            ));
        }
        let at = self.start;
        self.consume(frame_len);
        let bytes = self.buf.get(at..at + frame_len).unwrap_or_default();
        Some(match rtu::decode_frame(bytes) {
            Ok(f) => Framed::Frame(Frame {
                transaction_id: None,
                unit: f.address,
                pdu: f.pdu,
            }),
            Err(error) => Framed::Skipped(Skipped::Rtu(Discarded::Invalid {
                len: frame_len,
                error,
            })),
        })
    }

    /// RTU: bytes come at `now`; the silence since the last ones ends a frame or, shorter,
    /// spoils the one being received.
    fn note_silence(&mut self, now: Instant, timing: Timing) {
        let Some(last) = self.last_byte else {
            return;
        };
        if self.start == self.end {
            return;
        }
        let gap = now.saturating_duration_since(last);
        if gap >= timing.frame_gap {
            self.seal();
        } else if timing.char_gap.is_some_and(|limit| gap > limit) {
            self.open_gap = Some(gap);
        }
    }

    /// The bytes buffered so far are followed by silence.
    fn seal(&mut self) {
        if let Some(s) = self.sealed {
            // Never polled since the last silence: what was sealed before is stale.
            tracing::debug!(
                bytes = s.saturating_sub(self.start),
                "RTU: dropping a frame that was never polled"
            );
            self.consume(s.saturating_sub(self.start));
        }
        if self.start < self.end {
            self.sealed = Some(self.end);
            self.sealed_gap = self.open_gap.take();
        }
    }

    fn skip(&mut self, n: usize, why: Discarded) -> Framed<'static> {
        self.consume(n);
        Framed::Skipped(Skipped::Rtu(why))
    }

    /// Takes `n` bytes off the front, with whatever gap marks went with them.
    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        match self.sealed {
            Some(s) if s > self.start => {}
            Some(_) => {
                self.sealed = None;
                self.sealed_gap = None;
            }
            None => self.open_gap = None,
        }
    }

    /// Makes `want` bytes free behind the buffered ones if it can, moving them to the
    /// front; when even that leaves no room, they are dropped as noise.
    fn make_room(&mut self, want: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.sealed = None;
            return;
        }
        if self.buf.len() - self.end >= want {
            return;
        }
        let start = self.start;
        self.buf.copy_within(start..self.end, 0);
        self.end -= start;
        self.start = 0;
        self.sealed = self.sealed.map(|s| s.saturating_sub(start));
        if self.end == self.buf.len() {
            // Only a caller that never polls gets here.
            tracing::debug!(bytes = self.end, "dropping a full buffer of unframed bytes");
            self.clear();
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
