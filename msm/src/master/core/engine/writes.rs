//! When writes may go: whose turn it is (units in turn, reads and writes alternating),
//! and the pauses after faults.
//!
//! Rules: a unit whose write met a transient fault pauses its writes (100 ms, doubling
//! up to 5 s while the faults go on; a confirmed write ends it), while reads go on. A
//! new connection forgets the pauses in progress.

use std::time::{Duration, Instant};

use crate::master::core::backoff::Backoff;

/// The first pause after a transient write fault, and the longest.
pub(super) const WRITE_BACKOFF_MIN: Duration = Duration::from_millis(100);
pub(super) const WRITE_BACKOFF_MAX: Duration = Duration::from_secs(5);

pub(super) struct WritePacing {
    /// Per unit: writes pause after a transient fault, longer while they last.
    pauses: Vec<Backoff>,
    /// The unit whose writes are looked at first next time.
    next_writer: usize,
    /// The last request sent was a write: a read has the next turn.
    last_was_write: bool,
}

impl WritePacing {
    pub(super) fn new(units: usize) -> WritePacing {
        WritePacing {
            pauses: vec![Backoff::new(WRITE_BACKOFF_MIN, WRITE_BACKOFF_MAX); units],
            next_writer: 0,
            last_was_write: false,
        }
    }

    /// True if `unit`'s writes may go at `now`.
    pub(super) fn ready(&self, unit: usize, now: Instant) -> bool {
        self.pauses.get(unit).is_some_and(|p| p.ready(now))
    }

    /// The units in the order their writes are looked at: in turn, so that a unit
    /// writing all the time cannot starve the others.
    pub(super) fn order(&self) -> impl Iterator<Item = usize> + use<> {
        let (n, first) = (self.pauses.len(), self.next_writer);
        (0..n).map(move |k| (first + k) % n)
    }

    /// `unit` has a write to send: the next unit is looked at first next time.
    pub(super) fn took_from(&mut self, unit: usize) {
        self.next_writer = (unit + 1) % self.pauses.len().max(1);
    }

    /// A request went: a write, or a read.
    pub(super) fn sent(&mut self, write: bool) {
        self.last_was_write = write;
    }

    /// The last request sent was a write.
    pub(super) fn last_was_write(&self) -> bool {
        self.last_was_write
    }

    /// A cycle starts: it flushes the local writes first, then reads.
    pub(super) fn cycle_started(&mut self) {
        self.last_was_write = false;
    }

    /// `unit`'s write met a transient fault at `now`: its writes pause, longer each time.
    pub(super) fn failed(&mut self, unit: usize, now: Instant) {
        if let Some(p) = self.pauses.get_mut(unit) {
            p.failed(now);
        }
    }

    /// `unit`'s write was confirmed: its pauses are over.
    pub(super) fn confirmed(&mut self, unit: usize) {
        if let Some(p) = self.pauses.get_mut(unit) {
            p.succeeded();
        }
    }

    /// A new connection: pauses in progress are forgotten (their growth is kept).
    pub(super) fn connected(&mut self) {
        for p in &mut self.pauses {
            p.clear_wait();
        }
    }

    /// Forgets the pauses over at `now`, so they wake nobody again.
    pub(super) fn expire(&mut self, now: Instant) {
        for p in &mut self.pauses {
            if p.ready(now) {
                p.clear_wait();
            }
        }
    }

    /// When the first pause in progress ends.
    pub(super) fn wake_at(&self) -> Option<Instant> {
        self.pauses.iter().filter_map(Backoff::wake_at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn units_take_turns() {
        let mut w = WritePacing::new(3);
        assert_eq!(w.order().collect::<Vec<_>>(), [0, 1, 2]);
        w.took_from(1);
        assert_eq!(w.order().collect::<Vec<_>>(), [2, 0, 1]);
        w.took_from(2);
        assert_eq!(w.order().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(WritePacing::new(0).order().count(), 0);
    }

    #[test]
    fn a_cycle_starts_with_writes_then_reads_and_writes_alternate() {
        let mut w = WritePacing::new(1);
        w.sent(true);
        assert!(w.last_was_write());
        w.cycle_started();
        assert!(!w.last_was_write());
        w.sent(true);
        w.sent(false);
        assert!(!w.last_was_write());
    }

    #[test]
    fn a_fault_pauses_one_unit_longer_each_time_until_a_write_is_confirmed() {
        let now = Instant::now();
        let mut w = WritePacing::new(2);
        w.failed(0, now);
        assert!(
            !w.ready(0, now) && w.ready(1, now),
            "the other unit writes on"
        );
        assert_eq!(w.wake_at(), Some(now + WRITE_BACKOFF_MIN));
        let later = now + WRITE_BACKOFF_MIN;
        assert!(w.ready(0, later));
        w.failed(0, later);
        assert_eq!(w.wake_at(), Some(later + 2 * WRITE_BACKOFF_MIN), "doubled");
        w.confirmed(0);
        assert!(w.ready(0, later) && w.wake_at().is_none());
        w.failed(0, later);
        assert_eq!(
            w.wake_at(),
            Some(later + WRITE_BACKOFF_MIN),
            "from the bottom again"
        );
    }

    #[test]
    fn a_pause_over_wakes_nobody_and_a_new_connection_forgets_it() {
        let now = Instant::now();
        let mut w = WritePacing::new(1);
        w.failed(0, now);
        w.expire(now + 50 * MS);
        assert!(w.wake_at().is_some(), "not over yet");
        w.expire(now + WRITE_BACKOFF_MIN);
        assert_eq!(w.wake_at(), None);
        w.failed(0, now);
        w.connected();
        assert!(w.ready(0, now), "writes go at once on a new connection");
    }
}
