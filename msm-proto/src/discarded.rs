//! Why RTU bytes were dropped instead of making a frame: the framers report it as a
//! value, and the caller decides whether to log it, count it or fail a request with it.

use core::time::Duration;

use crate::rtu::RtuError;

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
#[non_exhaustive]
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
    /// More bytes came than the buffer holds before these were polled, or a second
    /// silence came before the frame the first one ended was polled. A driver that
    /// polls until `None` after each read sees this only when one read brings more than
    /// the buffer holds.
    #[error(
        "{len} bytes dropped: more came before they were polled (poll until None after each read)"
    )]
    Overrun {
        /// Bytes dropped.
        len: usize,
    },
}
