//! Finding RTU frames in a stream of bytes by the silences between them (Modbus over
//! Serial Line V1.02, 2.5.1.1), sans-IO: the caller says when bytes arrived.
//!
//! A frame ends after 3.5 character times of silence; a silence of more than 1.5
//! character times inside a frame makes it invalid. The length a frame's function code
//! and byte count imply is a second guard: a frame is handed over as soon as it is
//! complete by that rule (no need to wait out the silence), and bytes that run past it
//! start the next frame.
//!
//! This is [`stream::StreamFramer`] in its by-silence mode, with the RTU-only types of
//! old; a driver that reads into the framer's own buffer, or that also speaks MBAP or RTU
//! over TCP, uses that directly.
//!
//! ```
//! use msm_proto::rtu::Direction;
//! use msm_proto::rtu_framer::{Framed, Framer, Timing};
//! use std::time::Instant;
//!
//! let mut framer = Framer::new(Direction::Request, Timing::for_baud(19_200, 11));
//! // A driver pushes what it reads and polls until `None`; then it polls again when
//! // more bytes come, or at `poll_timeout()`.
//! let now = Instant::now();
//! framer.push(now, &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B, 0x11]);
//! assert!(matches!(framer.poll(now), Some(Framed::Frame(f)) if f.address == 0x11));
//! assert!(framer.poll(now).is_none()); // the first byte of the next frame: wait
//! assert!(framer.poll_timeout().is_some());
//! ```

use std::time::{Duration, Instant};

use super::rtu::{self, Direction, RtuError};
use super::stream::{self, Delimiter, Skipped, StreamFramer};

/// The silences that delimit RTU frames on a line.
///
/// ```
/// use msm_proto::rtu_framer::Timing;
/// use std::time::Duration;
/// let spec = Timing::for_baud(19_200, 11);
/// assert_eq!(spec.char_gap, Some(Duration::from_nanos(859_374))); // 1.5 characters
/// // For a USB adapter that delivers frames in bursts: no check of gaps inside a frame.
/// let usb = Timing { char_gap: None, ..spec };
/// assert_eq!(usb.frame_gap, spec.frame_gap);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A gap longer than this inside a frame invalidates it (1.5 character times;
    /// 750 µs above 19200 baud). `None` disables the check: USB adapters that deliver a
    /// frame in bursts need that.
    pub char_gap: Option<Duration>,
    /// A silence this long ends a frame (3.5 character times; 1.75 ms above 19200 baud).
    pub frame_gap: Duration,
}

impl Timing {
    /// The spec's timing for `baud` with `bits_per_char` bits per character (start +
    /// 8 data + parity or second stop + stop = 11).
    ///
    /// ```
    /// use msm_proto::rtu_framer::Timing;
    /// use std::time::Duration;
    /// let t = Timing::for_baud(9600, 11);
    /// assert_eq!(t.frame_gap, Duration::from_nanos(4_010_415)); // 3.5 × 1.146 ms
    /// assert_eq!(Timing::for_baud(115_200, 11).frame_gap, Duration::from_micros(1750));
    /// ```
    pub fn for_baud(baud: u32, bits_per_char: u32) -> Timing {
        if baud > 19_200 {
            return Timing {
                char_gap: Some(Duration::from_micros(750)),
                frame_gap: Duration::from_micros(1750),
            };
        }
        let char_ns = 1_000_000_000 * u64::from(bits_per_char) / u64::from(baud.max(1));
        Timing {
            char_gap: Some(Duration::from_nanos(char_ns * 3 / 2)),
            frame_gap: Duration::from_nanos(char_ns * 7 / 2),
        }
    }
}

/// Why bytes were dropped instead of making a frame.
///
/// ```
/// use msm_proto::rtu::Direction;
/// use msm_proto::rtu_framer::{Discarded, Framed, Framer, Timing};
/// use std::time::{Duration, Instant};
/// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
/// let (t0, later) = (Instant::now(), Instant::now() + Duration::from_millis(3));
/// let request = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
/// framer.push(t0, &request[..3]);
/// framer.push(later, &request[3..]); // 3 ms of silence: over 1.5 characters at 9600 baud
/// let got = framer.poll(later);
/// assert!(matches!(got, Some(Framed::Discarded(Discarded::CharGap { len: 8, .. }))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Discarded {
    /// A silence over 1.5 character times came inside the frame.
    #[error(
        "{len} bytes dropped: a silence of {gap:?} inside the frame (more than 1.5 character times)"
    )]
    CharGap {
        /// Bytes dropped.
        len: usize,
        /// The silence seen.
        gap: Duration,
    },
    /// The line went silent before the frame was complete.
    #[error("{len} bytes dropped: the line went silent before the frame was complete")]
    Incomplete {
        /// Bytes dropped.
        len: usize,
    },
    /// The frame is malformed: bad CRC, impossible length, ...
    #[error("{len} bytes dropped: {error}")]
    Invalid {
        /// Bytes dropped.
        len: usize,
        /// What was wrong.
        error: RtuError,
    },
}

/// What [`Framer::poll`] found.
///
/// ```
/// use msm_proto::rtu::{Direction, RtuError};
/// use msm_proto::rtu_framer::{Discarded, Framed, Framer, Timing};
/// use std::time::Instant;
/// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
/// let now = Instant::now();
/// framer.push(now, &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x00]); // a bad CRC
/// match framer.poll(now) {
///     Some(Framed::Discarded(Discarded::Invalid { len: 8, error: RtuError::Crc { .. } })) => {}
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum Framed<'a> {
    /// A whole frame with a good CRC.
    Frame(rtu::Frame<'a>),
    /// Bytes that made no valid frame, and why.
    Discarded(Discarded),
}

/// Splits received bytes into RTU frames by silence and length.
///
/// ```
/// use msm_proto::rtu::Direction;
/// use msm_proto::rtu_framer::{Framed, Framer, Timing};
/// use std::time::{Duration, Instant};
///
/// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
/// let t0 = Instant::now();
/// let request = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
/// framer.push(t0, &request[..3]);
/// assert!(framer.poll(t0).is_none());                       // not complete yet
/// framer.push(t0 + Duration::from_micros(500), &request[3..]);
/// match framer.poll(t0 + Duration::from_micros(500)) {
///     Some(Framed::Frame(f)) => assert_eq!((f.address, f.pdu), (0x11, &request[1..6])),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
pub struct Framer {
    timing: Timing,
    /// The one stream framer, in its by-silence mode.
    inner: StreamFramer,
}

impl Framer {
    /// A framer for frames going one way (requests at a slave, responses at a master).
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Framed, Framer, Timing};
    /// use std::time::Instant;
    /// let mut at_master = Framer::new(Direction::Response, Timing::for_baud(19_200, 11));
    /// let now = Instant::now();
    /// at_master.push(now, &[0x01, 0x81, 0x02, 0xC1, 0x91]); // an exception response
    /// assert!(matches!(at_master.poll(now), Some(Framed::Frame(f)) if f.pdu == [0x81, 0x02]));
    /// ```
    pub fn new(direction: Direction, timing: Timing) -> Framer {
        let delimiter = Delimiter::RtuBySilence { direction, timing };
        Framer {
            timing,
            inner: StreamFramer::with_capacity(delimiter, 2 * rtu::MAX_FRAME_LEN),
        }
    }

    /// The timing in use.
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Framer, Timing};
    /// let framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
    /// assert_eq!(framer.timing(), Timing::for_baud(9600, 11));
    /// ```
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Bytes received at `now` (a chunk read at once counts as arriving at once).
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Framed, Framer, Timing};
    /// use std::time::Instant;
    /// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
    /// let one = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
    /// let now = Instant::now();
    /// framer.push(now, &[one, one].concat()); // two frames in one read
    /// assert!(matches!(framer.poll(now), Some(Framed::Frame(_))));
    /// assert!(matches!(framer.poll(now), Some(Framed::Frame(_)))); // split by their length
    /// assert!(framer.poll(now).is_none());
    /// ```
    pub fn push(&mut self, now: Instant, bytes: &[u8]) {
        let taken = self.inner.push(now, bytes);
        if taken < bytes.len() {
            // Never hold more than a buffer's worth: a stream of noise is dropped, not kept.
            tracing::debug!(bytes = self.inner.buffered(), "RTU: dropping noise");
            self.inner.clear();
            let keep = bytes.len().min(2 * rtu::MAX_FRAME_LEN);
            self.inner
                .push(now, bytes.get(bytes.len() - keep..).unwrap_or_default());
        }
    }

    /// The next frame (or discarded bytes) at `now`, if any. Call it until `None` after
    /// each `push` and at each [`poll_timeout`](Self::poll_timeout).
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Discarded, Framed, Framer, Timing};
    /// use std::time::{Duration, Instant};
    /// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
    /// let t0 = Instant::now();
    /// framer.push(t0, &[0x11, 0x06, 0x00]);    // 3 bytes of an 8-byte request
    /// assert!(framer.poll(t0).is_none());      // more may come
    /// let silent = t0 + Duration::from_millis(5); // past 3.5 characters: the frame is over
    /// assert_eq!(framer.poll(silent), Some(Framed::Discarded(Discarded::Incomplete { len: 3 })));
    /// ```
    pub fn poll(&mut self, now: Instant) -> Option<Framed<'_>> {
        match self.inner.poll(now) {
            Ok(Some(stream::Framed::Frame(f))) => Some(Framed::Frame(rtu::Frame {
                address: f.unit,
                pdu: f.pdu,
            })),
            Ok(Some(stream::Framed::Skipped(Skipped::Rtu(why)))) => Some(Framed::Discarded(why)),
            // By silence, the framer reports neither MBAP skips nor stream errors.
            Ok(Some(stream::Framed::Skipped(Skipped::Foreign { .. })) | None) | Err(_) => None,
        }
    }

    /// When the buffered bytes will have been followed by a frame's worth of silence: call
    /// [`poll`](Self::poll) then.
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Framer, Timing};
    /// use std::time::Instant;
    /// let timing = Timing::for_baud(9600, 11);
    /// let mut framer = Framer::new(Direction::Request, timing);
    /// assert_eq!(framer.poll_timeout(), None); // nothing buffered
    /// let t0 = Instant::now();
    /// framer.push(t0, &[0x11, 0x06]);
    /// assert_eq!(framer.poll_timeout(), Some(t0 + timing.frame_gap));
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    /// Forgets everything buffered (after a reconnection, say).
    ///
    /// ```
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{Framer, Timing};
    /// use std::time::Instant;
    /// let mut framer = Framer::new(Direction::Request, Timing::for_baud(9600, 11));
    /// framer.push(Instant::now(), &[0x11, 0x06, 0x00]);
    /// framer.clear();
    /// assert_eq!(framer.poll_timeout(), None);
    /// assert!(framer.poll(Instant::now()).is_none());
    /// ```
    pub fn clear(&mut self) {
        self.inner.clear();
    }
}

#[cfg(test)]
#[path = "rtu_framer_tests.rs"]
mod tests;
