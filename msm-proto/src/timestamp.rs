//! The instants the framers take from their caller: any type that can say how long after
//! another instant it is and be moved forward by a [`Duration`].

use core::time::Duration;

/// A point in time, as the caller of a framer measures it. The framers never read a
/// clock: every instant comes from the caller, and they only compare instants and add
/// silences to them.
///
/// Two implementations come with the crate: `std::time::Instant` (with the `std`
/// feature), and [`Duration`] as the time elapsed since an origin of the caller's choice
/// (boot, the start of the program): what a microcontroller's tick counter gives, with
/// no std at all. A program with its own clock type converts it to a `Duration`
/// (`Duration::from_micros(ticks)`), or wraps it in a type of its own that implements
/// this trait.
///
/// ```
/// use core::time::Duration;
/// use msm_proto::Timestamp;
///
/// let t0 = Duration::from_millis(10); // 10 ms after the origin
/// let t1 = t0.checked_add(Duration::from_millis(5)).unwrap();
/// assert_eq!(Timestamp::saturating_duration_since(t1, t0), Duration::from_millis(5));
/// assert_eq!(Timestamp::saturating_duration_since(t0, t1), Duration::ZERO); // not after
/// ```
pub trait Timestamp: Copy + Ord {
    /// This instant moved `duration` later; `None` if the type cannot represent that
    /// (a deadline that far away never comes).
    ///
    /// ```
    /// use core::time::Duration;
    /// use msm_proto::Timestamp;
    /// assert_eq!(Timestamp::checked_add(Duration::MAX, Duration::from_nanos(1)), None);
    /// ```
    fn checked_add(self, duration: Duration) -> Option<Self>;

    /// How long after `earlier` this instant is; zero when it is not after it (instants
    /// from a caller whose clock stepped back are no fault).
    ///
    /// ```
    /// use core::time::Duration;
    /// use msm_proto::Timestamp;
    /// let (early, late) = (Duration::from_secs(1), Duration::from_secs(3));
    /// assert_eq!(late.saturating_duration_since(early), Duration::from_secs(2));
    /// assert_eq!(early.saturating_duration_since(late), Duration::ZERO);
    /// ```
    fn saturating_duration_since(self, earlier: Self) -> Duration;
}

/// The time elapsed since an origin the caller chose.
impl Timestamp for Duration {
    fn checked_add(self, duration: Duration) -> Option<Self> {
        Duration::checked_add(self, duration)
    }

    fn saturating_duration_since(self, earlier: Self) -> Duration {
        self.saturating_sub(earlier)
    }
}

/// std's monotonic instant, as `Instant::now()` gives it (the caller reads the clock).
///
/// ```
/// use msm_proto::Timestamp;
/// use std::time::{Duration, Instant};
/// let t0 = Instant::now();
/// let t1 = Timestamp::checked_add(t0, Duration::from_millis(2)).unwrap();
/// assert_eq!(Timestamp::saturating_duration_since(t1, t0), Duration::from_millis(2));
/// ```
#[cfg(feature = "std")]
impl Timestamp for std::time::Instant {
    fn checked_add(self, duration: Duration) -> Option<Self> {
        std::time::Instant::checked_add(&self, duration)
    }

    fn saturating_duration_since(self, earlier: Self) -> Duration {
        std::time::Instant::saturating_duration_since(&self, earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generic code sees the trait's meaning whatever the type.
    fn deadline_passed<T: Timestamp>(last: T, silence: Duration, now: T) -> bool {
        last.checked_add(silence).is_some_and(|at| now >= at)
    }

    #[test]
    fn durations_since_an_origin_are_instants() {
        let last = Duration::from_micros(1000);
        assert!(!deadline_passed(
            last,
            Duration::from_micros(1750),
            Duration::from_micros(2749)
        ));
        assert!(deadline_passed(
            last,
            Duration::from_micros(1750),
            Duration::from_micros(2750)
        ));
        assert!(!deadline_passed(
            Duration::MAX,
            Duration::from_secs(1),
            Duration::MAX
        ));
    }

    #[test]
    fn std_instants_are_instants() {
        let last = std::time::Instant::now();
        let silence = Duration::from_millis(4);
        assert!(!deadline_passed(
            last,
            silence,
            last + Duration::from_millis(3)
        ));
        assert!(deadline_passed(last, silence, last + silence));
        assert_eq!(
            Timestamp::saturating_duration_since(last, last + silence),
            Duration::ZERO
        );
    }
}
