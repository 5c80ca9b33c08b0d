//! Instant arithmetic that cannot overflow: a duration given by a caller (a period, a
//! timeout, a backoff) may be `Duration::MAX`, meaning "never".

use std::time::Duration;

/// Farther than anything is waited for: 100 years.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Instants that can be pushed later without panicking.
pub(crate) trait Later: Copy {
    fn checked_later(self, d: Duration) -> Option<Self>;
}

impl Later for std::time::Instant {
    fn checked_later(self, d: Duration) -> Option<Self> {
        self.checked_add(d)
    }
}

#[cfg(feature = "workers")]
impl Later for tokio::time::Instant {
    fn checked_later(self, d: Duration) -> Option<Self> {
        self.checked_add(d)
    }
}

/// `t + d`, or a point too far to matter when that overflows.
pub(crate) fn later<I: Later>(t: I, d: Duration) -> I {
    t.checked_later(d.min(FAR))
        .or_else(|| t.checked_later(Duration::from_secs(3600 * 24)))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_never_panics() {
        let t = std::time::Instant::now();
        assert!(later(t, Duration::MAX) > t);
        assert_eq!(
            later(t, Duration::from_millis(5)),
            t + Duration::from_millis(5)
        );
    }

    #[cfg(feature = "workers")]
    #[test]
    fn later_never_panics_on_tokio_instants() {
        let k = tokio::time::Instant::now();
        assert!(later(k, Duration::MAX) > k);
    }
}
