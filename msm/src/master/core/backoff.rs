//! Capped exponential backoff, sans-IO: when to try again after a failure.
//!
//! Used for reconnecting (a slave that accepts and closes at once must not be hammered)
//! and for writes met by a transient fault (a malformed answer, exception 06 busy).

use std::time::{Duration, Instant};

use crate::time::later;

/// When to try next: the pause starts at `min` and doubles at each failure, up to `max`;
/// a success brings it back to `min`.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    /// The pause after the next failure.
    next_pause: Duration,
    /// No new try before then.
    not_before: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            next_pause: min,
            not_before: None,
        }
    }

    /// A try failed at `now`: the next one waits the current pause, which then doubles.
    pub(crate) fn failed(&mut self, now: Instant) {
        self.not_before = Some(later(now, self.next_pause));
        self.next_pause = self.next_pause.saturating_mul(2).min(self.max);
    }

    /// A try went through: the next failure starts from the bottom again.
    pub(crate) fn succeeded(&mut self) {
        self.next_pause = self.min;
        self.not_before = None;
    }

    /// True if a try may go now.
    pub(crate) fn ready(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|t| t <= now)
    }

    /// When the next try may go, if it must wait.
    pub(crate) fn wake_at(&self) -> Option<Instant> {
        self.not_before
    }

    /// The pause the next failure will get.
    pub(crate) fn next_pause(&self) -> Duration {
        self.next_pause
    }

    /// Forgets a pending wait (a new connection, say) but keeps the growth.
    pub(crate) fn clear_wait(&mut self) {
        self.not_before = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pauses_double_up_to_the_cap_and_reset_on_success() {
        let t0 = Instant::now();
        let mut b = Backoff::new(100 * MS, 1000 * MS);
        assert!(b.ready(t0));
        let mut pauses = Vec::new();
        let mut now = t0;
        for _ in 0..6 {
            b.failed(now);
            let wake = b.wake_at().expect("waits");
            assert!(!b.ready(now));
            pauses.push(wake - now);
            now = wake;
            assert!(b.ready(now));
        }
        assert_eq!(
            pauses,
            [100, 200, 400, 800, 1000, 1000].map(|ms| ms * MS),
            "doubling, capped"
        );
        b.succeeded();
        assert!(b.ready(now));
        assert_eq!(b.next_pause(), 100 * MS);
    }

    #[test]
    fn never_durations_do_not_overflow() {
        let t0 = Instant::now();
        let mut b = Backoff::new(Duration::MAX, Duration::MAX);
        b.failed(t0);
        b.failed(t0);
        assert!(b.wake_at().is_some_and(|t| t > t0));
        let mut b = Backoff::new(Duration::ZERO, Duration::ZERO);
        b.failed(t0);
        assert!(b.ready(t0), "a zero pause never waits");
    }

    #[test]
    fn a_cap_below_the_start_is_the_start() {
        let t0 = Instant::now();
        let mut b = Backoff::new(500 * MS, 100 * MS);
        b.failed(t0);
        b.failed(t0);
        assert_eq!(b.next_pause(), 500 * MS);
    }
}
