//! One task per device: publishes its availability, every variable's value (once read
//! good) and quality, republishes all of it at every connection, and carries out the
//! sets the router hands it (`sets.rs`).
//!
//! Publishing never holds sets up: a value or quality to publish only marks its variable
//! (the latest is sent when the connection takes it, however often it changed
//! meanwhile). Refusals are sent in full and in order; while too many wait, the worker
//! takes no more sets, so that the broker holds them back.

use std::collections::VecDeque;
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
/// Refusals waiting to be sent beyond which no more sets are taken.
const ERRORS_MAX: usize = 64;

/// What was last published for one variable.
#[derive(Default, Clone)]
struct Published {
    value: Option<String>,
    quality: Option<String>,
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

/// The state topics of one device and what is left to publish of them.
struct States {
    device: Arc<Device>,
    topics: Topics,
    value_topics: Vec<String>,
    published: Vec<Published>,
    /// Variables whose quality or value may differ from what was published, in order.
    dirty: Vec<bool>,
    order: VecDeque<usize>,
    /// Publications made from them, to send next.
    ready: VecDeque<Publication>,
    available: Option<bool>,
    /// The device was seen offline (its coming back is then worth a log line).
    was_offline: bool,
}

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
    let mut w = States::new(device.clone(), topics.clone());
    let mut applier = Sets::new(device.clone(), topics, counters, max_age);
    let mut tick = tokio::time::interval(WATCH_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let pending = !applier.errors.is_empty() || w.has_pending();
        tokio::select! {
            () = stop.cancelled() => break,
            changed = conn.changed() => {
                if changed.is_err() {
                    break;
                }
                if conn.borrow_and_update().up {
                    // A new connection: every retained topic again.
                    w.forget_published();
                    w.watch();
                }
            }
            _ = tick.tick() => w.watch(),
            change = changes.recv() => match change {
                // With a master, the bridge's own writes are published once confirmed.
                Ok(c) if c.origin == Origin::Local && device.master.is_some() => {}
                Ok(c) => {
                    for i in 0..device.vars.len() {
                        if device.vars[i].touched_by(&c) {
                            w.mark(i);
                        }
                    }
                }
                Err(_) => (0..device.vars.len()).for_each(|i| w.mark(i)),
            },
            Some(set) = sets.recv(), if applier.errors.len() < ERRORS_MAX => {
                let _ = took.send(index);
                applier.apply(set);
            }
            confirmed = applier.confirmation(), if applier.confirming() => {
                for i in applier.confirmed(confirmed) {
                    w.mark(i);
                }
            }
            permit = out.reserve(), if pending => {
                let Ok(permit) = permit else { break };
                // Refusals first: a set's answer never waits behind values.
                if let Some(p) = applier.errors.pop_front().or_else(|| w.next()) {
                    permit.send(p);
                }
            }
        }
    }
    sets.close();
    while let Some(set) = sets.recv().await {
        let _ = took.send(index);
        applier.stopping(&set.var);
    }
    applier.finish().await;
    // Every answer goes out (the connection keeps taking them until the goodbyes).
    for p in applier.errors.drain(..) {
        if out.send(p).await.is_err() {
            break;
        }
    }
}

impl States {
    fn new(device: Arc<Device>, topics: Topics) -> States {
        let n = device.vars.len();
        let value_topics = device
            .vars
            .iter()
            .map(|v| topics.value(&device.name, v.name()))
            .collect();
        States {
            device,
            topics,
            value_topics,
            published: vec![Published::default(); n],
            dirty: vec![false; n],
            order: VecDeque::with_capacity(n),
            ready: VecDeque::new(),
            available: None,
            was_offline: false,
        }
    }

    fn has_pending(&self) -> bool {
        !self.ready.is_empty() || !self.order.is_empty()
    }

    /// Variable `i` may have a new quality or value to publish.
    fn mark(&mut self, i: usize) {
        if !self.dirty[i] {
            self.dirty[i] = true;
            self.order.push_back(i);
        }
    }

    /// A new connection: nothing is published there yet.
    fn forget_published(&mut self) {
        self.published.fill(Published::default());
        self.available = None;
        for i in 0..self.published.len() {
            self.mark(i);
        }
    }

    /// The next publication: the latest quality and value of the next marked variable
    /// that changed since last published.
    fn next(&mut self) -> Option<Publication> {
        while self.ready.is_empty() {
            let i = self.order.pop_front()?;
            self.dirty[i] = false;
            self.stage(i);
        }
        self.ready.pop_front()
    }

    /// Quality and value of variable `i`, where they differ from what was published (the
    /// value only once read good).
    fn stage(&mut self, i: usize) {
        let var = &self.device.vars[i];
        // Together: the value published is the one its quality speaks of.
        let (value, quality) = var.get_with_quality();
        let text = quality_text(&quality);
        let p = &mut self.published[i];
        if p.quality.as_deref() != Some(text.as_str()) {
            p.quality = Some(text.clone());
            let topic = self.topics.quality(&self.device.name, var.name());
            self.ready.push_back(Publication::state(topic, text));
        }
        if !quality.is_good() {
            return;
        }
        let value = value.to_string();
        if p.value.as_deref() != Some(value.as_str()) {
            p.value = Some(value.clone());
            let topic = self.value_topics[i].clone();
            self.ready.push_back(Publication::state(topic, value));
        }
    }

    /// Availability, and every variable whose quality changed (or that became good).
    fn watch(&mut self) {
        let status = self.device.master.as_ref().map(|m| m.status());
        let online = status.as_ref().is_none_or(|s| s.connected);
        if self.available != Some(online) {
            self.log_availability(online, status.as_ref());
            self.available = Some(online);
            let text = if online { "online" } else { "offline" };
            let topic = self.topics.available(&self.device.name);
            self.ready.push_back(Publication::state(topic, text));
        }
        for i in 0..self.device.vars.len() {
            let quality = quality_text(&self.device.vars[i].quality());
            let p = &self.published[i];
            let good_unsent = quality == "good" && p.value.is_none();
            if p.quality.as_deref() != Some(quality.as_str()) || good_unsent {
                self.mark(i);
            }
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

    fn states(n: usize) -> (msm::MapMemory, States) {
        let mut toml = format!("[memory]\nholding_registers = {n}\n[vars]\n");
        for i in 0..n {
            toml.push_str(&format!(
                "V{i} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
            ));
        }
        let mm = msm::Map::from_toml_str(&toml)
            .and_then(|m| m.build())
            .expect("map");
        let device = Arc::new(Device::new("d", &mm));
        (mm, States::new(device, Topics::new("msm")))
    }

    fn drain(s: &mut States) -> Vec<(String, String)> {
        std::iter::from_fn(|| s.next())
            .map(|p| (p.topic, String::from_utf8_lossy(&p.payload).into_owned()))
            .collect()
    }

    #[test]
    fn only_bad_carries_its_reason_on_the_topic() {
        assert_eq!(quality_text(&Quality::NotRead), "not_read");
        let (mm, _) = states(1);
        assert_eq!(quality_text(&mm.vars()[0].quality()), "good");
    }

    #[test]
    fn a_value_changed_many_times_before_it_is_sent_goes_out_once_as_its_latest() {
        let (mm, mut s) = states(2);
        s.watch();
        let first = drain(&mut s);
        assert_eq!(first.len(), 5, "{first:?}"); // available, 2 × (quality, value)
        for v in 1..=100 {
            mm.vars()[0].set_str(&v.to_string()).expect("set");
            s.mark(0);
        }
        assert_eq!(drain(&mut s), [("msm/d/V0".to_string(), "100".to_string())]);
        // Nothing changed: nothing sent; a new connection: everything again.
        s.mark(1);
        assert!(drain(&mut s).is_empty());
        s.forget_published();
        s.watch();
        assert_eq!(drain(&mut s).len(), 5);
    }
}
