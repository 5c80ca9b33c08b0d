//! When writes may go: whose turn it is (units in turn, reads and writes alternating),
//! and the pauses after faults.
//!
//! Rules: a unit whose write met a transient fault pauses its writes (100 ms, doubling
//! up to 5 s while the faults go on; a confirmed write ends it), while reads go on. A
//! write lost with the connection goes again at once on the next one, unless the
//! connection is one that reads first (`Connection::reads_first`: the slave dropped the
//! last ones after writes): then every write waits until that connection's first cycle
//! has read everything, and the units whose writes were lost then pause, longer at each
//! loss, so the reads keep their period and the writes keep being tried.

use std::time::{Duration, Instant};

use crate::master::core::backoff::Backoff;

/// The first pause after a transient write fault, and the longest.
pub(super) const WRITE_BACKOFF_MIN: Duration = Duration::from_millis(100);
pub(super) const WRITE_BACKOFF_MAX: Duration = Duration::from_secs(5);

pub(super) struct WritePacing {
    /// Per unit: writes pause after a transient fault, longer while they last.
    pauses: Vec<Backoff>,
    /// Per unit: a write was in flight when the connection was lost.
    lost_with_link: Vec<bool>,
    /// On a connection that reads first: no write before its first cycle is done.
    held: bool,
    /// The unit whose writes are looked at first next time.
    next_writer: usize,
    /// The last request sent was a write: a read has the next turn.
    last_was_write: bool,
}

impl WritePacing {
    pub(super) fn new(units: usize) -> WritePacing {
        WritePacing {
            pauses: vec![Backoff::new(WRITE_BACKOFF_MIN, WRITE_BACKOFF_MAX); units],
            lost_with_link: vec![false; units],
            held: false,
            next_writer: 0,
            last_was_write: false,
        }
    }

    /// True if `unit`'s writes may go at `now`.
    pub(super) fn ready(&self, unit: usize, now: Instant) -> bool {
        !self.held && self.pauses.get(unit).is_some_and(|p| p.ready(now))
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
        if let Some(l) = self.lost_with_link.get_mut(unit) {
            *l = false;
        }
    }

    /// A write of `unit` was in flight when the connection was lost.
    pub(super) fn lost_with_link(&mut self, unit: usize) {
        if let Some(l) = self.lost_with_link.get_mut(unit) {
            *l = true;
        }
    }

    /// A new connection, which reads first or not: pauses in progress are forgotten
    /// (their growth is kept).
    pub(super) fn connected(&mut self, reads_first: bool) {
        for p in &mut self.pauses {
            p.clear_wait();
        }
        self.held = reads_first;
        if !reads_first {
            self.lost_with_link.fill(false);
        }
    }

    /// A cycle went through at `now`. The first on a connection that reads first lets
    /// the writes go, those lost with the last connection after a pause: how many units
    /// pause (writes that will be sent again).
    pub(super) fn cycle_done(&mut self, now: Instant) -> usize {
        if !std::mem::take(&mut self.held) {
            return 0;
        }
        let mut paused = 0;
        for (p, lost) in self.pauses.iter_mut().zip(&mut self.lost_with_link) {
            if std::mem::take(lost) {
                p.failed(now);
                paused += 1;
            }
        }
        paused
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
        w.connected(false);
        assert!(w.ready(0, now), "writes go at once on a new connection");
    }

    #[test]
    fn a_write_lost_with_the_connection_goes_at_once_on_a_plain_reconnection() {
        let now = Instant::now();
        let mut w = WritePacing::new(1);
        w.lost_with_link(0);
        w.connected(false);
        assert!(w.ready(0, now));
        assert_eq!(w.cycle_done(now), 0, "no pause");
        assert!(w.ready(0, now));
    }

    #[test]
    fn on_a_connection_that_reads_first_writes_wait_for_a_cycle_then_lost_ones_pause_longer() {
        let t0 = Instant::now();
        let mut w = WritePacing::new(2);
        let mut pauses = Vec::new();
        let mut now = t0;
        for _ in 0..4 {
            w.lost_with_link(0);
            w.connected(true);
            assert!(!w.ready(0, now) && !w.ready(1, now), "reads first");
            assert_eq!(w.cycle_done(now), 1);
            assert!(w.ready(1, now), "the other unit's writes go");
            assert!(!w.ready(0, now));
            let wake = w.wake_at().expect("a pause");
            pauses.push(wake - now);
            now = wake + 10 * MS;
            assert!(w.ready(0, now));
            assert_eq!(w.cycle_done(now), 0, "only the first cycle");
        }
        assert_eq!(pauses, [100, 200, 400, 800].map(|ms| ms * MS));
        w.confirmed(0);
        w.connected(true);
        assert_eq!(w.cycle_done(now), 0, "nothing was lost");
        assert!(w.ready(0, now));
    }
}
