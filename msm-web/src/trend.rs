//! A variable's recent values, kept in the server for the page's trend plots.

use std::collections::VecDeque;

/// How far back a trend reaches, in milliseconds (10 minutes).
pub(crate) const SPAN_MS: u64 = 10 * 60 * 1000;

/// Points kept per variable at most, whatever the rate of change (the oldest go first).
pub(crate) const MAX_POINTS: usize = 3000;

/// Points in time order: (milliseconds since the Unix epoch, value).
#[derive(Debug, Default)]
pub(crate) struct Trend {
    points: VecDeque<(u64, f64)>,
}

impl Trend {
    /// Adds a point at `t_ms` and forgets those older than the span or beyond the cap.
    pub(crate) fn push(&mut self, t_ms: u64, value: f64) {
        // A clock stepped back must not unsort the points.
        let t_ms = self.points.back().map_or(t_ms, |&(last, _)| last.max(t_ms));
        self.points.push_back((t_ms, value));
        let oldest = t_ms.saturating_sub(SPAN_MS);
        while self.points.len() > MAX_POINTS || self.points.front().is_some_and(|p| p.0 < oldest) {
            self.points.pop_front();
        }
    }

    /// Up to `max` points spread over the whole trend, the newest always among them.
    pub(crate) fn sample(&self, max: usize) -> Vec<(u64, f64)> {
        let n = self.points.len();
        if n <= max || max < 2 {
            return self.points.iter().copied().collect();
        }
        let step = n.div_ceil(max - 1);
        let mut out: Vec<(u64, f64)> = self.points.iter().step_by(step).copied().collect();
        if let Some(&last) = self.points.back()
            && out.last() != Some(&last)
        {
            out.push(last);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ten_minutes_and_a_bounded_count() {
        let mut t = Trend::default();
        t.push(1_000, 1.0);
        t.push(1_000 + SPAN_MS + 1, 2.0);
        assert_eq!(
            t.sample(10),
            [(1_000 + SPAN_MS + 1, 2.0)],
            "the old point went"
        );
        for i in 0..(MAX_POINTS as u64 + 50) {
            t.push(SPAN_MS + 2_000 + i, i as f64);
        }
        assert_eq!(t.points.len(), MAX_POINTS);
    }

    #[test]
    fn a_sample_spans_the_trend_and_ends_with_the_newest() {
        let mut t = Trend::default();
        for i in 0..1000u64 {
            t.push(i, i as f64);
        }
        let s = t.sample(100);
        assert!(s.len() <= 101, "{}", s.len());
        assert_eq!(s.first(), Some(&(0, 0.0)));
        assert_eq!(s.last(), Some(&(999, 999.0)));
        t.push(500, 7.0); // a clock stepped back
        assert_eq!(t.sample(2000).last(), Some(&(999, 7.0)));
    }
}
