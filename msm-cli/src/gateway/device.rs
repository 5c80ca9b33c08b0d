//! Devices: one master per link (devices on the same serial line, or behind the same
//! TCP gateway, share its queue), all on the gateway's runtime, and one worker task per
//! device that publishes its topics and carries out the `set`s addressed to it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use msm::{Area, AsyncMasterHandle, MapMemory, Master, Origin};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::config::{DeviceConfig, DeviceLink};
use super::mqtt::{Broker, Session, SetRequest};
use super::quality::{quality_of, quality_text};
use crate::failure::Failure;

/// How often availability and quality are looked at.
const WATCH_PERIOD: Duration = Duration::from_millis(250);
/// `set`s waiting for one device.
pub(crate) const SET_QUEUE: usize = 64;

/// A device being polled.
pub(crate) struct Device {
    pub(crate) name: String,
    pub(crate) unit_id: Option<u8>,
    pub(crate) mm: MapMemory,
    pub(crate) master: Arc<AsyncMasterHandle>,
}

/// Starts one master per link for `configs`, on the current runtime.
pub(crate) async fn start(configs: Vec<DeviceConfig>) -> Result<Vec<Device>, Failure> {
    // Devices sharing a link share one master: their requests queue on that link.
    let mut groups: Vec<(String, Vec<(DeviceConfig, MapMemory)>)> = Vec::new();
    for config in configs {
        let key = link_key(&config.link);
        let mm = config.map.build()?;
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push((config, mm)),
            None => groups.push((key, vec![(config, mm)])),
        }
    }
    let mut devices = Vec::new();
    for (_, members) in groups {
        let (first, first_mm) = &members[0];
        let period = members
            .iter()
            .map(|(c, _)| c.period)
            .min()
            .unwrap_or(first.period);
        let mut master = match &first.link {
            DeviceLink::Tcp(addr) => Master::tcp(addr.clone()),
            DeviceLink::RtuOverTcp(addr) => Master::rtu_over_tcp(addr.clone()),
            DeviceLink::Serial(line) => Master::serial(line.clone()),
        }
        .unit(first.unit)
        .period(period);
        for (c, mm) in &members[1..] {
            master = master.with_unit(c.unit, mm.memory().clone());
        }
        let handle = master
            .start_async(first_mm.memory().clone())
            .await
            .map_err(|e| super::failure(&format!("device {}", first.name), e))?;
        let handle = Arc::new(handle);
        for (c, mm) in members {
            devices.push(Device {
                name: c.name,
                unit_id: c.unit_id,
                mm,
                master: handle.clone(),
            });
        }
    }
    Ok(devices)
}

fn link_key(link: &DeviceLink) -> String {
    match link {
        DeviceLink::Tcp(a) => format!("tcp {a}"),
        DeviceLink::RtuOverTcp(a) => format!("rtu-over-tcp {a}"),
        DeviceLink::Serial(line) => format!("serial {}", line.path),
    }
}

/// What was last published for one variable.
#[derive(Default, Clone)]
struct Published {
    value: Option<String>,
    quality: Option<String>,
    good: bool,
}

/// The worker of one device: publishes, and carries out sets.
pub(crate) struct Worker {
    device: Device,
    broker: Broker,
    topics: Vec<String>,
    published: Vec<Published>,
    available: Option<bool>,
    /// Tells the worker which variable a confirmed set changed.
    confirmed: mpsc::UnboundedSender<usize>,
}

impl Worker {
    /// Runs the worker of `device` until `stop`.
    pub(crate) async fn run(
        device: Device,
        broker: Broker,
        mut sets: mpsc::Receiver<SetRequest>,
        stop: CancellationToken,
    ) {
        let base = format!("{}/{}", broker.prefix, device.name);
        let topics = device
            .mm
            .vars()
            .iter()
            .map(|v| format!("{base}/{}", v.name()))
            .collect();
        let (confirmed, mut confirmations) = mpsc::unbounded_channel();
        let mut session: watch::Receiver<Session> = broker.session();
        let mut changes = device.mm.memory().subscribe();
        let n = device.mm.vars().len();
        let mut w = Worker {
            device,
            broker,
            topics,
            published: vec![Published::default(); n],
            available: None,
            confirmed,
        };
        let mut tick = tokio::time::interval(WATCH_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = session.changed() => {
                    if session.borrow_and_update().connected {
                        // A new session: every retained topic again.
                        w.published.fill(Published::default());
                        w.available = None;
                        w.watch().await;
                    }
                }
                _ = tick.tick() => w.watch().await,
                change = changes.recv() => match change {
                    // The program's own writes (sets) are published once confirmed.
                    Ok(c) if c.origin == Origin::Local => {}
                    Ok(c) => {
                        let touched: Vec<usize> = (0..n)
                            .filter(|&i| w.device.mm.vars()[i].touched_by(&c))
                            .collect();
                        for i in touched {
                            w.publish_value(i).await;
                        }
                    }
                    Err(_) => {
                        for i in 0..n {
                            w.publish_value(i).await;
                        }
                    }
                },
                Some(i) = confirmations.recv() => w.publish_value(i).await,
                Some(set) = sets.recv() => w.set(set).await,
            }
        }
    }

    /// Availability and every variable's quality; values that just became good.
    async fn watch(&mut self) {
        let status = self.device.master.status();
        let available = status.connected;
        if self.available != Some(available) {
            self.available = Some(available);
            let text = if available { "online" } else { "offline" };
            let topic = format!("{}/{}/available", self.broker.prefix, self.device.name);
            self.broker.publish(topic, text.into(), true).await;
        }
        for i in 0..self.topics.len() {
            let quality = quality_of(&self.device.mm.vars()[i]);
            let text = quality_text(&quality);
            let p = &mut self.published[i];
            p.good = quality.0 == "good";
            if p.quality.as_deref() != Some(text.as_str()) {
                p.quality = Some(text.clone());
                let topic = format!("{}/quality", self.topics[i]);
                self.broker.publish(topic, text, true).await;
            }
            self.publish_value(i).await;
        }
    }

    /// Publishes variable `i`'s value if it was read good and differs from the last one.
    async fn publish_value(&mut self, i: usize) {
        let p = &mut self.published[i];
        if !p.good {
            return;
        }
        let text = self.device.mm.vars()[i].get().to_string();
        if p.value.as_deref() == Some(text.as_str()) {
            return;
        }
        p.value = Some(text.clone());
        self.broker
            .publish(self.topics[i].clone(), text, true)
            .await;
    }

    /// Writes a `set` through the device's master; what goes wrong is published on
    /// `PREFIX/DEVICE/error` and logged, and nothing is written.
    async fn set(&mut self, set: SetRequest) {
        let vars = self.device.mm.vars();
        let Some(i) = vars.iter().position(|v| v.name() == set.var) else {
            let names: Vec<&str> = vars.iter().map(|v| v.name()).collect();
            let why = format!(
                "no variable {} in this device's map: use one of {}",
                set.var,
                names.join(", ")
            );
            return self.error(&set.var, why).await;
        };
        let var = &vars[i];
        if matches!(var.area(), Area::Input | Area::Discrete) {
            let why = format!(
                "is read-only (it lives in the {} area, which masters cannot write)",
                var.area()
            );
            return self.error(&set.var, why).await;
        }
        if !self.device.master.status().connected {
            // A write kept for later would land after the error said it did not.
            let why = "the device is offline: nothing written, send it again once it is online";
            return self.error(&set.var, why.into()).await;
        }
        let value = match var.parse_value(set.payload.trim()) {
            Ok(v) => v,
            Err(e) => return self.error(&set.var, e.kind().to_string()).await,
        };
        if let Err(e) = var.set(value) {
            return self.error(&set.var, e.to_string()).await;
        }
        // Confirmed (or refused) in the background: the worker keeps publishing.
        let master = self.device.master.clone();
        let confirmed = self.confirmed.clone();
        let broker = self.broker.clone();
        let topic = self.error_topic();
        let (device, name) = (self.device.name.clone(), set.var.clone());
        tokio::spawn(async move {
            match master.flush().await {
                Ok(()) => {
                    let _ = confirmed.send(i);
                }
                Err(e) => {
                    let why = format!("{name}: the write was not taken: {e}");
                    tracing::warn!(%device, "set refused: {why}");
                    broker.publish(topic, why, false).await;
                }
            }
        });
    }

    fn error_topic(&self) -> String {
        format!("{}/{}/error", self.broker.prefix, self.device.name)
    }

    async fn error(&self, var: &str, why: String) {
        let message = format!("{var}: {why}");
        tracing::warn!(device = %self.device.name, "set refused: {message}");
        self.broker
            .publish(self.error_topic(), message, false)
            .await;
    }
}

/// Each device's `set` queue, by name, and the receiving ends in device order.
pub(crate) fn set_queues(
    devices: &[Device],
) -> (
    HashMap<String, mpsc::Sender<SetRequest>>,
    Vec<mpsc::Receiver<SetRequest>>,
) {
    let mut senders = HashMap::new();
    let mut receivers = Vec::new();
    for d in devices {
        let (tx, rx) = mpsc::channel(SET_QUEUE);
        senders.insert(d.name.clone(), tx);
        receivers.push(rx);
    }
    (senders, receivers)
}
