//! `PREFIX/gateway/stats`, every 5 seconds (not retained): how many links (masters) there
//! are and how many are online, the cycles they completed and the messages handed to the
//! broker so far, and how long their cycles took over the window since the last report
//! (median, 99th percentile, longest, and how many cycles were seen). Each link's
//! status is sampled ten times a second; a cycle is seen when its count moved, and its
//! duration is then the link's last cycle.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use msm::AsyncMasterHandle;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::session::Publication;
use crate::status::Counters;

/// How often a report goes out.
pub(crate) const PERIOD: Duration = Duration::from_secs(5);
/// How often each link's status is looked at.
const SAMPLE: Duration = Duration::from_millis(100);
/// Cycle durations kept per window; beyond, the oldest are overwritten.
const WINDOW_MAX: usize = 16 * 1024;

/// Cycle durations seen since the last report.
#[derive(Debug, Default)]
pub(crate) struct Window {
    cycles: Vec<Duration>,
    seen: usize,
}

impl Window {
    pub(crate) fn add(&mut self, cycle: Duration) {
        if self.cycles.len() < WINDOW_MAX {
            self.cycles.push(cycle);
        } else {
            self.cycles[self.seen % WINDOW_MAX] = cycle;
        }
        self.seen += 1;
    }

    /// `{p50, p99, max, samples}` in milliseconds (nulls for an empty window), and a
    /// fresh window.
    pub(crate) fn report(&mut self) -> serde_json::Value {
        let mut cycles = std::mem::take(&mut self.cycles);
        let seen = std::mem::take(&mut self.seen);
        cycles.sort_unstable();
        let ms = |q: f64| {
            // Nearest rank: the smallest value with at least q of the window at or below it.
            let rank = ((cycles.len() as f64) * q).ceil() as usize;
            cycles
                .get(rank.saturating_sub(1))
                .map(|d| d.as_secs_f64() * 1000.0)
        };
        json!({ "p50": ms(0.5), "p99": ms(0.99), "max": ms(1.0), "samples": seen })
    }
}

/// Publishes the stats of `masters` (deduplicated: devices on one link share one) on
/// `topic` every [`PERIOD`] until `stop`.
pub(crate) async fn run(
    topic: String,
    mut masters: Vec<Arc<AsyncMasterHandle>>,
    out: mpsc::Sender<Publication>,
    counters: Arc<Counters>,
    stop: CancellationToken,
) {
    let mut unique: Vec<Arc<AsyncMasterHandle>> = Vec::new();
    for m in masters.drain(..) {
        if !unique.iter().any(|u| Arc::ptr_eq(u, &m)) {
            unique.push(m);
        }
    }
    let mut last_cycles: Vec<u64> = unique.iter().map(|m| m.status().cycles).collect();
    let mut window = Window::default();
    let mut sample = tokio::time::interval(SAMPLE);
    sample.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut report = tokio::time::interval_at(tokio::time::Instant::now() + PERIOD, PERIOD);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = sample.tick() => {
                for (m, last) in unique.iter().zip(&mut last_cycles) {
                    let s = m.status();
                    if s.cycles != *last {
                        *last = s.cycles;
                        window.add(s.last_cycle.unwrap_or_default());
                    }
                }
            }
            _ = report.tick() => {
                let statuses: Vec<msm::Status> = unique.iter().map(|m| m.status()).collect();
                let payload = json!({
                    "links": unique.len(),
                    "online": statuses.iter().filter(|s| s.connected).count(),
                    "cycles": statuses.iter().map(|s| s.cycles).sum::<u64>(),
                    "published": counters.published.load(Ordering::Relaxed),
                    "cycle_ms": window.report(),
                });
                let p = Publication {
                    retain: false,
                    ..Publication::state(topic.clone(), payload.to_string())
                };
                if out.send(p).await.is_err() {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_cover_the_whole_window_not_the_last_cycle() {
        let mut w = Window::default();
        for ms in 1..=100u64 {
            w.add(Duration::from_millis(ms));
        }
        let r = w.report();
        assert_eq!(r["p50"], 50.0);
        assert_eq!(r["p99"], 99.0);
        assert_eq!(r["max"], 100.0);
        assert_eq!(r["samples"], 100);
        // A fresh window after each report.
        let empty = w.report();
        assert!(empty["p50"].is_null() && empty["samples"] == 0);
    }

    #[test]
    fn a_full_window_keeps_the_latest_cycles() {
        let mut w = Window::default();
        for _ in 0..WINDOW_MAX {
            w.add(Duration::from_millis(1));
        }
        for _ in 0..WINDOW_MAX {
            w.add(Duration::from_millis(9));
        }
        let r = w.report();
        assert_eq!(
            (r["p50"].as_f64(), r["samples"].as_u64()),
            (Some(9.0), Some(2 * WINDOW_MAX as u64))
        );
    }
}
