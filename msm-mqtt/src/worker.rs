//! One task per device: publishes its availability, every variable's value (once read
//! good) and quality, republishes all of it at every connection, and carries out the
//! sets the router hands it (`sets.rs`).

use std::sync::Arc;
use std::time::Duration;

use msm::{Origin, Quality};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::device::Device;
use crate::driver::Conn;
use crate::router::SetRequest;
use crate::session::Publication;
use crate::sets::Sets;
use crate::status::Counters;
use crate::topics::Topics;

/// How often availability and quality are looked at.
const WATCH_PERIOD: Duration = Duration::from_millis(250);

/// What was last published for one variable.
#[derive(Default, Clone)]
struct Published {
    value: Option<String>,
    quality: Option<String>,
    good: bool,
}

/// What a worker is given.
pub(crate) struct WorkerParts {
    pub(crate) index: usize,
    pub(crate) device: Device,
    pub(crate) topics: Topics,
    pub(crate) out: mpsc::Sender<Publication>,
    pub(crate) sets: mpsc::UnboundedReceiver<SetRequest>,
    pub(crate) took: mpsc::UnboundedSender<usize>,
    pub(crate) conn: watch::Receiver<Conn>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) max_age: Option<Duration>,
}

pub(crate) struct Worker {
    device: Arc<Device>,
    topics: Topics,
    out: mpsc::Sender<Publication>,
    value_topics: Vec<String>,
    published: Vec<Published>,
    available: Option<bool>,
    /// The device was seen offline (its coming back is then worth a log line).
    was_offline: bool,
}

impl Worker {
    /// Runs the worker until `stop`; then answers the sets still queued.
    pub(crate) async fn run(parts: WorkerParts, stop: CancellationToken) {
        let WorkerParts {
            index,
            device,
            topics,
            out,
            mut sets,
            took,
            mut conn,
            counters,
            max_age,
        } = parts;
        let device = Arc::new(device);
        let mut changes = device.memory.subscribe();
        let value_topics = device
            .vars
            .iter()
            .map(|v| topics.value(&device.name, v.name()))
            .collect();
        let mut w = Worker {
            published: vec![Published::default(); device.vars.len()],
            device: device.clone(),
            topics: topics.clone(),
            out: out.clone(),
            value_topics,
            available: None,
            was_offline: false,
        };
        let mut applier = Sets::new(device.clone(), topics, out, counters, max_age);
        let mut tick = tokio::time::interval(WATCH_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                changed = conn.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    if conn.borrow_and_update().up {
                        // A new connection: every retained topic again.
                        w.published.fill(Published::default());
                        w.available = None;
                        w.watch().await;
                    }
                }
                _ = tick.tick() => w.watch().await,
                change = changes.recv() => match change {
                    // With a master, the bridge's own writes are published once confirmed.
                    Ok(c) if c.origin == Origin::Local && device.master.is_some() => {}
                    Ok(c) => {
                        for i in 0..device.vars.len() {
                            if device.vars[i].touched_by(&c) {
                                w.publish_value(i).await;
                            }
                        }
                    }
                    Err(_) => {
                        for i in 0..device.vars.len() {
                            w.publish_value(i).await;
                        }
                    }
                },
                Some(set) = sets.recv() => {
                    let _ = took.send(index);
                    applier.apply(set).await;
                }
                confirmed = applier.confirmation(), if applier.confirming() => {
                    for i in applier.confirmed(confirmed).await {
                        w.publish_value(i).await;
                    }
                }
            }
        }
        sets.close();
        while let Some(set) = sets.recv().await {
            let _ = took.send(index);
            applier.stopping(&set.var).await;
        }
        applier.finish().await;
    }

    /// Availability and every variable's quality; values that just became good.
    async fn watch(&mut self) {
        let status = self.device.master.as_ref().map(|m| m.status());
        let online = status.as_ref().is_none_or(|s| s.connected);
        if self.available != Some(online) {
            self.log_availability(online, status.as_ref());
            self.available = Some(online);
            let text = if online { "online" } else { "offline" };
            let topic = self.topics.available(&self.device.name);
            self.send(Publication::state(topic, text)).await;
        }
        for i in 0..self.device.vars.len() {
            let quality = self.device.vars[i].quality();
            let text = quality_text(&quality);
            let p = &mut self.published[i];
            p.good = quality.is_good();
            if p.quality.as_deref() != Some(text.as_str()) {
                p.quality = Some(text.clone());
                let topic = self
                    .topics
                    .quality(&self.device.name, self.device.vars[i].name());
                self.send(Publication::state(topic, text)).await;
            }
            self.publish_value(i).await;
        }
    }

    fn log_availability(&mut self, online: bool, status: Option<&msm::Status>) {
        let name = &self.device.name;
        if online {
            if self.was_offline {
                tracing::warn!("device {name} is online again");
            }
            return;
        }
        self.was_offline = true;
        let why = status
            .and_then(|s| s.last_error.clone())
            .unwrap_or_else(|| "not connected yet".into());
        tracing::warn!(
            "device {name} is offline ({}): its sets are refused and its values stale until it is back",
            crate::quote::escape(&why)
        );
    }

    /// Publishes variable `i`'s value if it was read good and differs from the last one.
    async fn publish_value(&mut self, i: usize) {
        let p = &mut self.published[i];
        if !p.good {
            return;
        }
        let text = self.device.vars[i].get().to_string();
        if p.value.as_deref() == Some(text.as_str()) {
            return;
        }
        p.value = Some(text.clone());
        let topic = self.value_topics[i].clone();
        self.send(Publication::state(topic, text)).await;
    }

    async fn send(&self, p: Publication) {
        // Closed only when the bridge is stopping.
        let _ = self.out.send(p).await;
    }
}

/// The payload of a `/quality` topic: `good`, `stale`, `not_read` or `bad: <reason>`.
pub(crate) fn quality_text(quality: &Quality) -> String {
    match quality {
        Quality::Bad(e) => format!("bad: {}", e.describe()),
        other => other.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bad_carries_its_reason_on_the_topic() {
        assert_eq!(quality_text(&Quality::NotRead), "not_read");
        let mm = msm::Map::from_toml_str(
            "[memory]\nholding_registers = 1\n[vars]\nA = { area = \"holding\", address = 0, type = \"u16\" }\n",
        )
        .and_then(|m| m.build())
        .expect("map");
        assert_eq!(quality_text(&mm.vars()[0].quality()), "good");
    }
}
