//! `PREFIX/gateway/stats`: every 5 seconds, how many links are online, how many cycles
//! their masters completed and how many messages went to the broker so far, and how long their last cycles took (median, 99th
//! percentile, longest), as JSON (not retained). For dashboards, and for the scale benchmark
//! (`msm-cli/examples/gateway_scale.rs`).

use std::sync::Arc;
use std::time::Duration;

use msm::AsyncMasterHandle;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::mqtt::Broker;

const PERIOD: Duration = Duration::from_secs(5);

/// Publishes the stats of `masters` (one per link) every 5 s until `stop`.
pub(crate) async fn run(
    broker: Broker,
    mut masters: Vec<Arc<AsyncMasterHandle>>,
    stop: CancellationToken,
) {
    masters.dedup_by(|a, b| Arc::ptr_eq(a, b));
    let topic = format!("{}/gateway/stats", broker.prefix);
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let mut online = 0;
        let mut total = 0u64;
        let mut cycles: Vec<Duration> = Vec::with_capacity(masters.len());
        for m in &masters {
            let s = m.status();
            online += usize::from(s.connected);
            total += s.cycles;
            cycles.extend(s.last_cycle);
        }
        cycles.sort_unstable();
        let ms = |q: f64| {
            let i = ((cycles.len() as f64 - 1.0) * q).round() as usize;
            cycles.get(i).map(|d| d.as_secs_f64() * 1000.0)
        };
        let payload = json!({
            "links": masters.len(),
            "online": online,
            "cycles": total,
            "published": broker.published(),
            "cycle_ms": { "p50": ms(0.5), "p99": ms(0.99), "max": ms(1.0) },
        });
        broker
            .publish(topic.clone(), payload.to_string(), false)
            .await;
    }
}
