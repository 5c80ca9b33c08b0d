//! Why a connection core closed its connection.

use std::fmt;
use std::time::Duration;

use crate::protocol::stream::StreamError;

/// Why the connection's core closed it. The drivers add their own reasons (an I/O
/// error, eviction, the slave stopping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client closed its side (in the middle of a frame, or between frames).
    PeerClosed {
        /// Bytes of an unfinished frame were waiting.
        mid_frame: bool,
    },
    /// No request for this long.
    Idle(Duration),
    /// A frame stayed incomplete this long.
    FrameTimeout(Duration),
    /// The client took no response data for this long.
    WriteTimeout(Duration),
    /// The stream cannot be resynchronised: an impossible MBAP length, or one over the
    /// limit. The responses before the bad frame are sent first.
    Fault(StreamError),
    /// The service closed the connection instead of answering a request.
    Service,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::PeerClosed { mid_frame: false } => f.write_str("closed by the client"),
            CloseReason::PeerClosed { mid_frame: true } => {
                f.write_str("closed by the client in the middle of a frame")
            }
            CloseReason::Idle(d) => write!(f, "no request for {d:?} (idle timeout)"),
            CloseReason::FrameTimeout(d) => {
                write!(f, "a frame stayed incomplete for {d:?} (frame timeout)")
            }
            CloseReason::WriteTimeout(d) => {
                write!(
                    f,
                    "the client took no response data for {d:?} (write timeout)"
                )
            }
            CloseReason::Fault(fault) => write!(f, "{fault}"),
            CloseReason::Service => f.write_str("closed instead of answering a request"),
        }
    }
}
