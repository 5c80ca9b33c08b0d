//! A connection's responses waiting to be sent: one buffer, allocated when the connection
//! opens and reused, released in order. A response may be held back until an instant (a
//! serial line's turnaround, a delayed answer); everything behind it waits with it. A
//! response may also be paced: released one byte at a time, a pause between bytes (a
//! fault that trickles its answer).

use std::time::{Duration, Instant};

use crate::time::later;

pub(crate) struct Outbox {
    buf: Box<[u8]>,
    /// Bytes queued: `buf[..len]`.
    len: usize,
    /// The bytes held back, if some are.
    hold: Option<Hold>,
}

/// The bytes from `from` on are held until `at`; paced, only the next byte is released
/// then, and the rest wait `pace` more.
#[derive(Clone, Copy, Debug)]
struct Hold {
    from: usize,
    at: Instant,
    pace: Option<Duration>,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Outbox {
        Outbox {
            buf: vec![0; capacity].into_boxed_slice(),
            len: 0,
            hold: None,
        }
    }

    /// True if nothing waits to be sent.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// When the held bytes are released, if some are.
    pub(crate) fn held_until(&self) -> Option<Instant> {
        self.hold.map(|h| h.at)
    }

    /// The next `room` bytes after those queued, if they fit, for the next frame.
    pub(crate) fn slot(&mut self, room: usize) -> Option<&mut [u8]> {
        self.buf.get_mut(self.len..self.len.checked_add(room)?)
    }

    /// Queues the `n` bytes just written at the front of [`slot`](Self::slot); not to be
    /// sent before `at` if given (and then with everything queued after them).
    pub(crate) fn commit(&mut self, n: usize, at: Option<Instant>) {
        if let Some(at) = at
            && self.hold.is_none()
        {
            self.hold = Some(Hold {
                from: self.len,
                at,
                pace: None,
            });
        }
        self.len = (self.len + n).min(self.buf.len());
    }

    /// Queues the `n` bytes just written at the front of [`slot`](Self::slot), to be
    /// released one at a time: the first at `at`, each next one `pace` after the one
    /// before. With bytes already held, they only wait behind those (the connection
    /// queues nothing behind a held response, so that does not happen).
    pub(crate) fn commit_paced(&mut self, n: usize, at: Instant, pace: Duration) {
        let from = self.len;
        self.commit(n, Some(at));
        if let Some(hold) = &mut self.hold
            && hold.from == from
        {
            hold.pace = Some(pace);
        }
    }

    /// Releases the held bytes if their instant has come (a paced response: its next
    /// byte); the bytes that may be sent.
    pub(crate) fn ready(&mut self, now: Instant) -> &[u8] {
        if let Some(hold) = &mut self.hold
            && hold.at <= now
        {
            match hold.pace {
                Some(pace) if hold.from + 1 < self.len => {
                    hold.from += 1;
                    // From now, not from the instant due: the pause is what the wire sees.
                    hold.at = later(now, pace);
                }
                _ => self.hold = None,
            }
        }
        self.unsent()
    }

    /// The bytes released and not sent yet.
    pub(crate) fn unsent(&self) -> &[u8] {
        let end = self.hold.map_or(self.len, |h| h.from);
        &self.buf[..end]
    }

    /// The first `n` released bytes were sent.
    pub(crate) fn sent(&mut self, n: usize) {
        let n = n.min(self.unsent().len());
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
        if let Some(hold) = &mut self.hold {
            hold.from -= n;
        }
    }

    /// Forgets everything queued (the connection is closing without sending it).
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.hold = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn queue(out: &mut Outbox, bytes: &[u8], at: Option<Instant>) {
        let slot = out.slot(bytes.len()).expect("room");
        slot.copy_from_slice(bytes);
        out.commit(bytes.len(), at);
    }

    #[test]
    fn held_bytes_and_all_behind_them_wait_for_their_instant() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_millis(5);
        let mut out = Outbox::new(8);
        queue(&mut out, &[1, 2], None);
        queue(&mut out, &[3], Some(later));
        queue(&mut out, &[4, 5], None);
        assert_eq!(out.ready(t0), [1, 2]);
        out.sent(1);
        assert_eq!(out.ready(t0), [2]);
        assert_eq!(out.held_until(), Some(later));
        out.sent(5); // more than was released: only the released byte counts
        assert_eq!(out.ready(t0), [] as [u8; 0]);
        assert!(!out.is_empty());
        assert_eq!(out.ready(later), [3, 4, 5]);
        assert_eq!(out.held_until(), None);
        assert!(out.slot(6).is_none() && out.slot(5).is_some());
        out.sent(3);
        assert!(out.is_empty());
    }

    #[test]
    fn a_paced_response_is_released_a_byte_at_a_time() {
        let t0 = Instant::now();
        let pace = Duration::from_millis(5);
        let mut out = Outbox::new(16);
        queue(&mut out, &[1, 2], None);
        let slot = out.slot(3).expect("room");
        slot.copy_from_slice(&[7, 8, 9]);
        out.commit_paced(3, t0, pace);
        // The responses before it go at once, with its first byte.
        assert_eq!(out.ready(t0), [1, 2, 7]);
        assert_eq!(out.ready(t0), [1, 2, 7], "one byte per pause");
        out.sent(3);
        assert_eq!(out.held_until(), Some(t0 + pace));
        assert_eq!(
            out.ready(t0 + pace - Duration::from_millis(1)),
            [] as [u8; 0]
        );
        // Late: the next byte, and the pause runs from when it was released.
        let late = t0 + 2 * pace;
        assert_eq!(out.ready(late), [8]);
        assert_eq!(out.held_until(), Some(late + pace));
        out.sent(1);
        assert_eq!(out.ready(late + pace), [9]);
        assert_eq!(out.held_until(), None, "the last byte ends the pacing");
        out.sent(1);
        assert!(out.is_empty());
    }
}
