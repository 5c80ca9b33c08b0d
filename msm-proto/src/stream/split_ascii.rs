//! Modbus ASCII: `:` starts a frame (and starts it over), CR and the end character end
//! it, and a pause over the inter-character timeout inside one drops it.
//!
//! The bytes are scanned once: `scanned` remembers how far the search for the next `:`
//! or CR got, so a frame that comes a character at a time costs a pass over it, not one
//! per character. A whole frame is decoded in place (`ascii::decode_frame`) and handed
//! out as a view of its decoded bytes.

use core::time::Duration;

use super::{Frame, Framed, Framer, Skipped, Timestamp};
use crate::ascii::{self, AsciiDiscarded, AsciiError};

/// The ASCII part of a delimiter.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ascii {
    pub(super) char_timeout: Duration,
    pub(super) end: u8,
}

/// Where the frame at the front of the buffer ends, as far as the bytes tell.
enum Scan {
    /// A `:` at this offset starts the next frame: the bytes before it are dropped.
    Restart(usize),
    /// The frame is this long, its end character included.
    Whole(usize),
    /// CR at this offset is followed by another character than the end character.
    BadEnd(usize, u8),
    /// No end yet.
    Open,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp> Framer<B, T> {
    /// ASCII: the next frame, or the bytes dropped before it.
    pub(super) fn poll_ascii(&mut self, now: T, a: Ascii) -> Option<Framed<'_>> {
        let region = self.buf.as_ref().get(self.start..self.end)?;
        let first = *region.first()?;
        let n = region.len();
        let quiet = self
            .last_byte
            .map(|last| now.saturating_duration_since(last))
            .filter(|&gap| gap >= a.char_timeout);
        if first != ascii::START {
            // Noise: dropped together up to the next ':', or when the line pauses.
            let from = self.scanned.max(1);
            let found = region
                .get(from..)
                .and_then(|rest| rest.iter().position(|&c| c == ascii::START));
            return match found {
                Some(i) => Some(self.skip_ascii(from + i, AsciiDiscarded::Noise { len: from + i })),
                None if quiet.is_some() || n >= ascii::MAX_FRAME_LEN => {
                    Some(self.skip_ascii(n, AsciiDiscarded::Noise { len: n }))
                }
                None => {
                    self.scanned = n;
                    None
                }
            };
        }
        // A pause over the timeout came after the bytes up to `sealed`.
        let paused = self.sealed.map(|s| {
            (
                s.saturating_sub(self.start),
                self.sealed_gap.unwrap_or(a.char_timeout),
            )
        });
        let scan = self.scan_ascii(a.end);
        // What the frame's end drops or takes, if a pause came inside it.
        let cut_short = match scan {
            Scan::Restart(i) => Some(i),
            Scan::BadEnd(cr, _) => Some(cr + 1),
            Scan::Whole(len) => Some(len),
            Scan::Open => None,
        }
        .zip(paused)
        .filter(|&(len, (p, _))| p > 0 && p < len);
        if let Some((len, (_, gap))) = cut_short {
            return Some(self.skip_ascii(len, AsciiDiscarded::Timeout { len, gap }));
        }
        match scan {
            Scan::Restart(i) => Some(self.skip_ascii(i, AsciiDiscarded::Restarted { len: i })),
            Scan::BadEnd(cr, found) => {
                let error = AsciiError::End {
                    expected: a.end,
                    found,
                };
                let len = cr + 1;
                Some(self.skip_ascii(len, AsciiDiscarded::Invalid { len, error }))
            }
            Scan::Whole(len) => Some(self.take_ascii(len, a.end)),
            Scan::Open => {
                let timed_out = match paused {
                    Some((p, gap)) if p > 0 => Some((p, gap)),
                    _ => quiet.map(|gap| (n, gap)),
                };
                if let Some((len, gap)) = timed_out {
                    return Some(self.skip_ascii(len, AsciiDiscarded::Timeout { len, gap }));
                }
                if n >= ascii::MAX_FRAME_LEN {
                    let error = AsciiError::TooLong { len: n };
                    return Some(self.skip_ascii(n, AsciiDiscarded::Invalid { len: n, error }));
                }
                None
            }
        }
    }

    /// Searches the frame at the front (it starts with `:`) for its end.
    fn scan_ascii(&mut self, end: u8) -> Scan {
        let region = self
            .buf
            .as_ref()
            .get(self.start..self.end)
            .unwrap_or_default();
        let from = self.scanned.max(1);
        let rest = region.get(from..).unwrap_or_default();
        let Some(i) = rest
            .iter()
            .position(|&c| c == ascii::START || c == ascii::CR)
        else {
            self.scanned = region.len();
            return Scan::Open;
        };
        let at = from + i;
        // Found again by the next poll if the frame is not whole yet.
        self.scanned = at;
        if region.get(at) == Some(&ascii::START) {
            return Scan::Restart(at);
        }
        if end == ascii::CR {
            return Scan::Whole(at + 1);
        }
        match region.get(at + 1) {
            None => Scan::Open,
            Some(&c) if c == end => Scan::Whole(at + 2),
            Some(&c) => Scan::BadEnd(at, c),
        }
    }

    /// Takes the whole frame of `len` bytes at the front and decodes it in place.
    fn take_ascii(&mut self, len: usize, end: u8) -> Framed<'_> {
        let at = self.start;
        self.consume(len);
        let bytes = self.buf.as_mut().get_mut(at..at + len).unwrap_or_default();
        match ascii::decode_frame(bytes, end) {
            Ok(f) => Framed::Frame(Frame {
                transaction_id: None,
                unit: f.address,
                pdu: f.pdu,
            }),
            Err(error) => Framed::Skipped(Skipped::Ascii(AsciiDiscarded::Invalid { len, error })),
        }
    }

    /// ASCII: bytes come at `now`; a pause over the timeout since the last ones means
    /// those can't be part of a frame with what comes now.
    pub(super) fn note_pause(&mut self, now: T, char_timeout: Duration) {
        let Some(last) = self.last_byte else {
            return;
        };
        if self.start == self.end {
            return;
        }
        let gap = now.saturating_duration_since(last);
        if gap >= char_timeout {
            // Two pauses unpolled: all of it is cut off from what comes now.
            self.sealed = Some(self.end);
            self.sealed_gap = Some(gap);
        }
    }

    fn skip_ascii(&mut self, n: usize, why: AsciiDiscarded) -> Framed<'static> {
        self.consume(n);
        Framed::Skipped(Skipped::Ascii(why))
    }
}

#[cfg(test)]
#[path = "ascii_tests.rs"]
mod tests;
