//! The engine's own timers, by name: when the next cycle is due, and until when the
//! line must stay silent (RTU turnaround, inter-frame silence, a broadcast's delay).
//!
//! The other wake-ups come from the sub-states that own them: each request's deadline
//! (`InFlight::earliest_deadline`), the writes' pauses (`WritePacing::wake_at`) and the
//! framer's silence; `Engine::poll_timeout` takes the earliest of all.

use std::time::Instant;

/// A timer of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// The next cycle starts (a period after the last one started).
    NextCycle,
    /// RTU: nothing may be sent before then.
    BusFree,
}

impl Timer {
    const COUNT: usize = 2;
}

/// One optional deadline per [`Timer`].
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    at: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, at: Instant) {
        self.at[timer as usize] = Some(at);
    }

    /// Sets `timer` to `at` unless it is set later already: a silence is never cut short.
    pub(super) fn extend(&mut self, timer: Timer, at: Instant) {
        let t = &mut self.at[timer as usize];
        *t = Some(t.map_or(at, |t| t.max(at)));
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.at[timer as usize] = None;
    }

    pub(super) fn get(&self, timer: Timer) -> Option<Instant> {
        self.at[timer as usize]
    }

    /// True if `timer` is set and has expired at `now`.
    pub(super) fn is_due(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }

    /// True while `timer` is set and has not expired at `now`.
    pub(super) fn is_pending(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t > now)
    }

    /// Stops `timer` if it expired at `now`, so it wakes nobody again.
    pub(super) fn expire(&mut self, timer: Timer, now: Instant) {
        if self.is_due(timer, now) {
            self.stop(timer);
        }
    }

    /// The earliest deadline set.
    pub(super) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_next_wake_up_is_the_earliest_timer_set() {
        let now = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::NextCycle, now + 100 * MS);
        t.set(Timer::BusFree, now + 4 * MS);
        assert_eq!(t.next(), Some(now + 4 * MS));
        t.stop(Timer::BusFree);
        assert_eq!(t.next(), Some(now + 100 * MS));
    }

    #[test]
    fn a_timer_expires_once_and_only_when_due() {
        let now = Instant::now();
        let mut t = TimerTable::default();
        t.set(Timer::BusFree, now + 4 * MS);
        assert!(t.is_pending(Timer::BusFree, now));
        t.expire(Timer::BusFree, now + 3 * MS);
        assert!(!t.is_due(Timer::BusFree, now + 3 * MS));
        assert!(t.is_due(Timer::BusFree, now + 4 * MS));
        assert!(!t.is_pending(Timer::BusFree, now + 4 * MS));
        t.expire(Timer::BusFree, now + 4 * MS);
        assert_eq!(t.get(Timer::BusFree), None, "it wakes nobody again");
    }

    #[test]
    fn extending_a_silence_never_cuts_it_short() {
        let now = Instant::now();
        let mut t = TimerTable::default();
        t.extend(Timer::BusFree, now + 10 * MS);
        t.extend(Timer::BusFree, now + 5 * MS);
        assert_eq!(t.get(Timer::BusFree), Some(now + 10 * MS));
        t.extend(Timer::BusFree, now + 20 * MS);
        assert_eq!(t.get(Timer::BusFree), Some(now + 20 * MS));
        t.set(Timer::BusFree, now + 5 * MS);
        assert_eq!(t.get(Timer::BusFree), Some(now + 5 * MS), "set is set");
    }
}
