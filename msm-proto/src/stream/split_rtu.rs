//! RTU: the length the function code and byte count imply, and the silences (a serial
//! line's 3.5 and 1.5 characters, or a TCP stream's longer fallback).

use core::time::Duration;

use super::{Discarded, Frame, Framed, Framer, Skipped, Timestamp, Timing};
use crate::rtu::{self, Direction, RtuError};

/// The RTU part of a delimiter, unpacked once.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rtu {
    direction: Direction,
    pub(super) timing: Timing,
    /// Length first: a frame of unknown length is taken once its CRC checks.
    by_length: bool,
}

impl Rtu {
    /// RTU on a byte stream: by length, `silence` as the fallback.
    pub(super) fn by_length(direction: Direction, silence: Duration) -> Rtu {
        Rtu {
            direction,
            timing: Timing {
                char_gap: None,
                frame_gap: silence,
            },
            by_length: true,
        }
    }

    /// RTU on a serial line: by the line's silences.
    pub(super) fn by_silence(direction: Direction, timing: Timing) -> Rtu {
        Rtu {
            direction,
            timing,
            by_length: false,
        }
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> Framer<B, T> {
    /// RTU: the length rule first; silence seals what came before it.
    pub(super) fn poll_rtu(&mut self, now: T, rtu: Rtu) -> Option<Framed<'_>> {
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
        let region = self.buf.as_ref().get(self.start..limit).unwrap_or_default();
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
        let bytes = self
            .buf
            .as_ref()
            .get(at..at + frame_len)
            .unwrap_or_default();
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
    pub(super) fn note_silence(&mut self, now: T, timing: Timing) {
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
            // Never polled since the last silence: what was sealed before is stale. One
            // mark per silence would need a list; the next poll reports the loss instead.
            let stale = s.saturating_sub(self.start);
            self.consume(stale);
            self.overrun = self.overrun.saturating_add(stale);
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
}
