//! Datagrams (Modbus/UDP): each one must hold exactly one frame, and is taken or dropped
//! whole. Nothing carries over from one datagram to the next.

use super::{AsciiDiscarded, Discarded, Frame, Framed, Framer, Mode, Skipped, Timestamp};
use crate::rtu::{self, RtuError};
use crate::{ascii, tcp};

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> Framer<B, T> {
    /// Takes one datagram received at `now`. Whatever was buffered before is forgotten
    /// (a datagram never continues another), and the next [`poll`](Self::poll) gives
    /// its frame if the datagram is exactly one frame of the delimiter's kind, or reports
    /// it dropped: [`Skipped::Datagram`] for MBAP (cut short, bytes after the frame, an
    /// impossible length, a frame over the limit), or the RTU or ASCII reason. Poll once
    /// after each datagram; the work per datagram is bounded by the buffer's size.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, Framed, Skipped, StreamFramer};
    /// use std::time::Instant;
    /// let mut framer = StreamFramer::new(Delimiter::Mbap);
    /// let now = Instant::now();
    /// let request = [0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];
    /// framer.push_datagram(now, &request);
    /// assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(f))) if f.transaction_id == Some(7)));
    /// // Two requests in one datagram: not one frame, dropped whole.
    /// framer.push_datagram(now, &[request, request].concat());
    /// assert_eq!(
    ///     framer.poll(now),
    ///     Ok(Some(Framed::Skipped(Skipped::Datagram { len: 24, frame_len: Some(12) })))
    /// );
    /// assert_eq!(framer.poll(now), Ok(None));
    /// ```
    pub fn push_datagram(&mut self, now: T, datagram: &[u8]) {
        self.clear();
        // A datagram longer than the buffer is no frame of any kind: its first bytes are
        // kept to say what its header announced.
        self.push(now, datagram);
        self.datagram = Some(datagram.len());
    }

    /// The frame a datagram of `len` bytes holds, or why it was dropped.
    pub(super) fn poll_datagram(&mut self, len: usize) -> Option<Framed<'_>> {
        let (at, n) = (self.start, self.end - self.start);
        // Nothing of it is left for the next poll, whatever comes of it.
        self.start = self.end;
        self.sealed = None;
        let bytes = self.buf.as_mut().get_mut(at..at + n).unwrap_or_default();
        let whole = n == len;
        match self.mode {
            Mode::Mbap => Some(mbap_datagram(bytes, len, whole, self.max_frame_len)),
            Mode::Rtu(_) => {
                let error = RtuError::TooLong {
                    function: bytes.get(1).copied().unwrap_or(0),
                    len,
                };
                let decoded = if whole {
                    rtu::decode_frame(bytes)
                } else {
                    Err(error)
                };
                Some(match decoded {
                    Ok(f) => frame(f),
                    Err(error) => Framed::Skipped(Skipped::Rtu(Discarded::Invalid { len, error })),
                })
            }
            Mode::Ascii(a) => {
                let decoded = if whole {
                    ascii::decode_frame(bytes, a.end)
                } else {
                    Err(ascii::AsciiError::TooLong { len })
                };
                Some(match decoded {
                    Ok(f) => frame(f),
                    Err(error) => {
                        Framed::Skipped(Skipped::Ascii(AsciiDiscarded::Invalid { len, error }))
                    }
                })
            }
        }
    }
}

fn frame(f: rtu::Frame<'_>) -> Framed<'_> {
    Framed::Frame(Frame {
        transaction_id: None,
        unit: f.address,
        pdu: f.pdu,
    })
}

/// An MBAP datagram: one frame exactly, of at most `max` bytes.
fn mbap_datagram(bytes: &[u8], len: usize, whole: bool, max: usize) -> Framed<'_> {
    let announced = match bytes.first_chunk::<6>() {
        Some(&[_, _, _, _, l0, l1]) => {
            let field = u16::from_be_bytes([l0, l1]);
            (2..=254).contains(&field).then(|| 6 + usize::from(field))
        }
        None => None,
    };
    let dropped = Framed::Skipped(Skipped::Datagram {
        len,
        frame_len: announced,
    });
    if !whole || announced != Some(len) || len > max {
        return dropped;
    }
    match tcp::split_frame(bytes) {
        Ok(Some((f, _))) => Framed::Frame(Frame {
            transaction_id: Some(f.header.transaction_id),
            unit: f.header.unit_id,
            pdu: f.pdu,
        }),
        Err(tcp::FrameError::ProtocolId {
            transaction_id,
            protocol_id,
            frame_len,
        }) => Framed::Skipped(Skipped::Foreign {
            transaction_id,
            protocol_id,
            len: frame_len,
        }),
        Ok(None) | Err(_) => dropped,
    }
}

#[cfg(test)]
#[path = "datagram_tests.rs"]
mod tests;
