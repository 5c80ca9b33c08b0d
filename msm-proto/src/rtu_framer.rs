//! Finding RTU frames in a stream of bytes by the silences between them (Modbus over
//! Serial Line V1.02, 2.5.1.1), sans-IO: the caller says when bytes arrived.
//!
//! A frame ends after 3.5 character times of silence; a silence of more than 1.5
//! character times inside a frame makes it invalid. The length a frame's function code
//! and byte count imply is a second guard: a frame is handed over as soon as it is
//! complete by that rule (no need to wait out the silence), and bytes that run past it
//! start the next frame.
//!
//! This is [`stream::Framer`] in its by-silence mode, with the RTU-only types of old; a
//! driver that reads into the framer's own buffer, or that also speaks MBAP or RTU over
//! TCP, uses that directly. Like it, [`RtuFramer`] works in any buffer with any
//! [`Timestamp`]; [`Framer`] is the one with a buffer of its own and std's `Instant`.
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

use crate::rtu::{self, Direction};
use crate::stream::{self, BufferTooSmall, Delimiter, Skipped};

pub use crate::discarded::Discarded;
pub use crate::rtu_timing::Timing;
use crate::timestamp::Timestamp;

/// What [`RtuFramer::poll`] found.
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

/// Splits received bytes into RTU frames by silence and length, in a buffer `B` with
/// instants `T` from the caller (see [`stream::Framer`]).
///
/// ```
/// use core::time::Duration;
/// use msm_proto::rtu::Direction;
/// use msm_proto::rtu_framer::{Framed, RtuFramer, Timing};
/// use msm_proto::stream::MIN_CAPACITY;
///
/// // No allocator, no std clock: a stack buffer and the time since boot.
/// let mut buf = [0u8; MIN_CAPACITY];
/// let timing = Timing::for_baud(9600, 11);
/// let mut framer = RtuFramer::with_buffer(Direction::Request, timing, &mut buf[..])?;
/// let t0 = Duration::from_secs(7);
/// let request = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
/// framer.push(t0, &request[..3]);
/// assert!(framer.poll(t0).is_none());                       // not complete yet
/// let t1 = t0 + Duration::from_micros(500);
/// framer.push(t1, &request[3..]);
/// match framer.poll(t1) {
///     Some(Framed::Frame(f)) => assert_eq!((f.address, f.pdu), (0x11, &request[1..6])),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), msm_proto::stream::BufferTooSmall>(())
/// ```
pub struct RtuFramer<B, T> {
    timing: Timing,
    /// The one stream framer, in its by-silence mode.
    inner: stream::Framer<B, T>,
}

/// The RTU framer most programs use: it allocates its buffer and takes
/// `std::time::Instant`s.
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
#[cfg(feature = "std")]
pub type Framer = RtuFramer<Box<[u8]>, std::time::Instant>;

impl<B: AsRef<[u8]>, T: core::fmt::Debug> core::fmt::Debug for RtuFramer<B, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RtuFramer")
            .field("timing", &self.timing)
            .field("inner", &self.inner)
            .finish()
    }
}

#[cfg(feature = "std")]
impl<T: Timestamp> RtuFramer<Box<[u8]>, T> {
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
    pub fn new(direction: Direction, timing: Timing) -> Self {
        let delimiter = Delimiter::RtuBySilence { direction, timing };
        RtuFramer {
            timing,
            inner: stream::Framer::with_capacity(delimiter, 2 * rtu::MAX_FRAME_LEN),
        }
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> RtuFramer<B, T> {
    /// A framer for frames going one way, working in `buffer` (at least
    /// [`stream::MIN_CAPACITY`] bytes): no allocator needed.
    ///
    /// ```
    /// use core::time::Duration;
    /// use msm_proto::rtu::Direction;
    /// use msm_proto::rtu_framer::{RtuFramer, Timing};
    /// let timing = Timing::for_baud(9600, 11);
    /// let framer = RtuFramer::<_, Duration>::with_buffer(Direction::Request, timing, [0u8; 600]);
    /// assert_eq!(framer.map(|f| f.timing()), Ok(timing));
    /// ```
    pub fn with_buffer(
        direction: Direction,
        timing: Timing,
        buffer: B,
    ) -> Result<Self, BufferTooSmall> {
        let delimiter = Delimiter::RtuBySilence { direction, timing };
        Ok(RtuFramer {
            timing,
            inner: stream::Framer::with_buffer(delimiter, buffer)?,
        })
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
    pub fn push(&mut self, now: T, bytes: &[u8]) {
        let room = self.inner.capacity() - self.inner.buffered();
        let mut bytes = bytes;
        if bytes.len() > room {
            // Never hold more than a buffer's worth: what is buffered and the oldest of
            // these bytes go (a stream of noise is dropped, not kept); the next poll
            // reports them.
            let keep = bytes.len().min(self.inner.capacity());
            self.inner.drop_unpolled(bytes.len() - keep);
            bytes = bytes.get(bytes.len() - keep..).unwrap_or_default();
        }
        self.inner.push(now, bytes);
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
    pub fn poll(&mut self, now: T) -> Option<Framed<'_>> {
        match self.inner.poll(now) {
            Ok(Some(stream::Framed::Frame(f))) => Some(Framed::Frame(rtu::Frame {
                address: f.unit,
                pdu: f.pdu,
            })),
            Ok(Some(stream::Framed::Skipped(Skipped::Rtu(why)))) => Some(Framed::Discarded(why)),
            // By silence, the framer reports neither MBAP, ASCII nor datagram skips, nor
            // stream errors.
            Ok(
                Some(stream::Framed::Skipped(
                    Skipped::Foreign { .. } | Skipped::Ascii(_) | Skipped::Datagram { .. },
                ))
                | None,
            )
            | Err(_) => None,
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
    pub fn poll_timeout(&self) -> Option<T> {
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
