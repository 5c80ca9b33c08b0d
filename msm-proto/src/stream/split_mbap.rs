//! MBAP (Modbus/TCP): the header's length field delimits.

use super::{Frame, Framed, Framer, Skipped, StreamError, Timestamp};
use crate::tcp::{self, FrameError};

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> Framer<B, T> {
    /// The next MBAP frame buffered, if it is all there.
    #[inline]
    pub(super) fn poll_mbap(&mut self) -> Result<Option<Framed<'_>>, StreamError> {
        let pending = self
            .buf
            .as_ref()
            .get(self.start..self.end)
            .unwrap_or_default();
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
}
