//! The bridge's core, without I/O: what the broker sent in, what to send back and which
//! device gets which set out. Every incoming message ends in exactly one of: a set handed
//! to its device's queue (acknowledged then), a refusal published on `PREFIX/DEVICE/error`
//! or `PREFIX/gateway/error` (acknowledged then), or held unacknowledged while the
//! device's queue is full, so that the broker holds the rest back (back-pressure).
//!
//! It also knows how old a set may be: live sets count from their arrival (or from when
//! the bridge began holding sets back), sets the broker kept while the bridge was away
//! count from when the broker was last heard from, and sets it kept while the bridge was
//! not running have no known age. The backlog ends with the bridge's own `online`
//! message coming back: the broker queues it behind whatever it kept.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use msm::map::suggest::did_you_mean;

use crate::quote::{excerpt, short};
use crate::session::{AckId, Command, Filter, Message, Publication, Retained, SessionEvent};
use crate::topics::{GATEWAY, HA_STATUS, Incoming, Topics};

/// Sets handed to one device and not yet taken by it.
pub(crate) const QUEUE: usize = 64;
/// Sets held back for one device beyond its queue; more are refused.
pub(crate) const HELD_MAX: usize = 1_024;
/// The largest payload a set may have; larger ones are refused unread.
pub(crate) const MAX_SET_PAYLOAD: usize = 64 * 1024;
/// How long after a reconnection the backlog may last if the marker never comes back
/// (a broker that forbids the bridge to read its own availability topic).
const MARKER_WAIT: Duration = Duration::from_secs(30);

/// A set for a device's worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SetRequest {
    pub(crate) var: String,
    /// UTF-8 text, at most [`MAX_SET_PAYLOAD`] bytes.
    pub(crate) payload: String,
    /// The earliest it may have been published; `None` when unknown (it waited in the
    /// broker while the bridge was not running).
    pub(crate) born: Option<Instant>,
    /// True if the broker kept it while the bridge was away (the wording of errors).
    pub(crate) from_backlog: bool,
    /// When its MQTT 5 message expiry runs out, if the publisher set one.
    pub(crate) expires: Option<Instant>,
}

/// What the router asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// To the broker.
    Send(Command),
    /// To device `device`'s worker.
    Deliver { device: usize, set: SetRequest },
    /// Home Assistant (re)started: send the discovery configs again.
    HaOnline,
    /// Connected (every retained topic is to be published again).
    Up,
    /// Disconnected.
    Down,
}

#[derive(Debug)]
struct Held {
    set: SetRequest,
    ack: Option<AckId>,
}

#[derive(Debug)]
struct Slot {
    name: String,
    /// A variable named `set`: `PREFIX/DEVICE/set` is then its value topic.
    has_set_var: bool,
    queued: usize,
    held: VecDeque<Held>,
}

/// Sets the broker kept while the bridge was away, until the marker comes back.
#[derive(Debug)]
struct Backlog {
    born: Option<Instant>,
    until: Instant,
}

pub(crate) struct Router {
    topics: Topics,
    devices: Vec<Slot>,
    index: HashMap<String, usize>,
    ha: bool,
    v5: bool,
    /// Marks this process's `online` (MQTT 5): another gateway's on the same prefix is
    /// not the end of this one's backlog.
    nonce: String,
    /// When the broker was last heard from on the connection that dropped.
    last_heard: Option<Instant>,
    backlog: Option<Backlog>,
    /// Held, acknowledgeable sets of a connection that dropped: the broker sends them
    /// again if it kept the session, else they are handled as they are.
    limbo: Vec<(usize, Held)>,
    /// Since when sets are held back (the broker may then be queueing more).
    stall_began: Option<Instant>,
    /// The connection's outbox is full: QoS 0 sets are refused unread (the broker
    /// cannot be made to hold them back), and counted.
    congested: bool,
    dropped_qos0: u64,
    refused: u64,
    out: VecDeque<Output>,
}

impl Router {
    /// A router for devices `devices` (name, variable names) under `topics`.
    pub(crate) fn new(
        topics: Topics,
        devices: &[(String, Vec<String>)],
        ha: bool,
        v5: bool,
        nonce: String,
    ) -> Router {
        let slots: Vec<Slot> = devices
            .iter()
            .map(|(name, vars)| Slot {
                name: name.clone(),
                has_set_var: vars.iter().any(|v| v == "set"),
                queued: 0,
                held: VecDeque::new(),
            })
            .collect();
        let index = slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        Router {
            topics,
            devices: slots,
            index,
            ha,
            v5,
            nonce,
            last_heard: None,
            backlog: None,
            limbo: Vec::new(),
            stall_began: None,
            congested: false,
            dropped_qos0: 0,
            refused: 0,
            out: VecDeque::new(),
        }
    }

    /// Sets refused so far (each answered with an error message).
    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    /// Whether the connection's outbox is full. When it drains, the QoS 0 sets refused
    /// meanwhile are reported in one error.
    pub(crate) fn set_congested(&mut self, congested: bool) {
        if self.congested && !congested && self.dropped_qos0 > 0 {
            let n = std::mem::take(&mut self.dropped_qos0);
            let why = format!(
                "{n} set(s) sent at QoS 0 were refused unread while the connection to the broker \
                 was congested: publish sets at QoS 1, which the broker holds back instead"
            );
            self.refuse(None, why, None);
            self.refused += n - 1;
        }
        self.congested = congested;
    }

    /// The next thing to do.
    pub(crate) fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.backlog.as_ref().map(|b| b.until)
    }

    /// The backlog gave up waiting for its marker.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if self.backlog.as_ref().is_some_and(|b| b.until <= now) {
            tracing::debug!("the backlog marker did not come back: later sets count as live");
            self.backlog = None;
        }
    }

    pub(crate) fn handle_event(&mut self, now: Instant, event: SessionEvent) {
        match event {
            SessionEvent::Connected { session_present } => self.connected(now, session_present),
            SessionEvent::Message(m) => self.message(now, m),
            SessionEvent::Lost { last_heard } => {
                self.last_heard = Some(last_heard);
                self.backlog = None;
                for (device, slot) in self.devices.iter_mut().enumerate() {
                    // Held sets that were never acknowledged: see `connected`.
                    let (keep, limbo): (VecDeque<Held>, VecDeque<Held>) =
                        slot.held.drain(..).partition(|h| h.ack.is_none());
                    slot.held = keep;
                    self.limbo.extend(limbo.into_iter().map(|h| (device, h)));
                }
                self.out.push_back(Output::Down);
            }
            SessionEvent::Acked | SessionEvent::Closed => {}
        }
    }

    /// Device `device` took a set from its queue: hand it the next held one.
    pub(crate) fn took(&mut self, device: usize) {
        if let Some(slot) = self.devices.get_mut(device) {
            slot.queued = slot.queued.saturating_sub(1);
        }
        self.pump(device);
        if self.devices.iter().all(|s| s.held.is_empty()) {
            self.stall_began = None;
        }
    }

    fn connected(&mut self, now: Instant, session_present: bool) {
        self.out.push_back(Output::Up);
        let limbo = std::mem::take(&mut self.limbo);
        if !session_present {
            // The broker lost them: handle them now, with nothing to acknowledge.
            for (device, mut held) in limbo.into_iter().rev() {
                held.ack = None;
                self.devices[device].held.push_front(held);
            }
            for device in 0..self.devices.len() {
                self.pump(device);
            }
        }
        self.backlog = session_present.then(|| Backlog {
            born: self.last_heard,
            until: now + MARKER_WAIT,
        });
        if self.v5 || !session_present {
            self.out
                .push_back(Output::Send(Command::Subscribe(self.filters())));
        }
        let mut online = Publication::state(self.topics.available(GATEWAY), "online");
        online.marker = Some(self.nonce.clone());
        self.out.push_back(Output::Send(Command::Publish(online)));
    }

    fn filters(&self) -> Vec<Filter> {
        let mut filters: Vec<Filter> = self
            .topics
            .set_filters()
            .into_iter()
            .map(|topic| Filter {
                topic,
                retained: Retained::IfNew,
                retain_as_published: true,
            })
            .collect();
        // The backlog marker: the bridge's own `online`, live only.
        filters.push(Filter {
            topic: self.topics.available(GATEWAY),
            retained: Retained::Never,
            retain_as_published: false,
        });
        if self.ha {
            filters.push(Filter {
                topic: HA_STATUS.to_string(),
                retained: Retained::IfNew,
                retain_as_published: false,
            });
        }
        filters
    }

    fn message(&mut self, now: Instant, m: Message) {
        if m.topic == HA_STATUS {
            if self.ha && m.payload.as_ref() == b"online" {
                self.out.push_back(Output::HaOnline);
            }
            return self.ack(m.ack);
        }
        let (device, var) = match self.topics.parse(&m.topic) {
            Incoming::GatewayAvailable => {
                let ours = !self.v5 || m.marker.as_deref() == Some(self.nonce.as_str());
                if !m.retain && m.payload.as_ref() == b"online" && ours && self.backlog.is_some() {
                    tracing::debug!("the broker's backlog is over");
                    self.backlog = None;
                }
                return self.ack(m.ack);
            }
            Incoming::Other => return self.ack(m.ack),
            Incoming::NoVariable { device } => {
                if self
                    .index
                    .get(device)
                    .is_some_and(|&d| self.devices[d].has_set_var)
                {
                    // The value topic of a variable named `set`: the bridge's own.
                    return self.ack(m.ack);
                }
                let why = format!(
                    "topic {} names no variable: a set goes to {}/DEVICE/VAR/set",
                    excerpt(m.topic.as_bytes()),
                    self.topics.prefix()
                );
                return self.refuse(self.index.get(device).copied(), why, m.ack);
            }
            Incoming::ExtraLevels { device, levels } => {
                let why = format!(
                    "topic {} has {levels} level(s) too many: a set goes to {}/DEVICE/VAR/set",
                    excerpt(m.topic.as_bytes()),
                    self.topics.prefix()
                );
                return self.refuse(self.index.get(device).copied(), why, m.ack);
            }
            Incoming::Set { .. } if self.congested && m.ack.is_none() => {
                self.dropped_qos0 += 1;
                return;
            }
            Incoming::Set { device, var } => (device, var),
        };
        let Some(&d) = self.index.get(device) else {
            let names = self.devices.iter().map(|s| s.name.as_str());
            let why = format!(
                "no device {} in this gateway{} (topic {}): a set goes to {}/DEVICE/VAR/set, for one of its {} device(s)",
                excerpt(device.as_bytes()),
                did_you_mean(device, names),
                excerpt(m.topic.as_bytes()),
                self.topics.prefix(),
                self.devices.len()
            );
            return self.refuse(None, why, m.ack);
        };
        let var = var.to_string();
        let shown = short(&var);
        if m.retain && m.payload.is_empty() {
            // Someone clearing a retained set, as the error below says to.
            return self.ack(m.ack);
        }
        if m.retain {
            let why = format!(
                "{shown}: a retained set is never applied (it would be applied again at every \
                 start): publish sets without retain, and clear this one with an empty retained \
                 message (mosquitto_pub -r -n -t '{}')",
                short(&m.topic)
            );
            return self.refuse(Some(d), why, m.ack);
        }
        if m.payload.len() > MAX_SET_PAYLOAD {
            let why = format!(
                "{shown}: a payload of {} bytes is too large for a set (at most {MAX_SET_PAYLOAD}): \
                 nothing written ({})",
                m.payload.len(),
                excerpt(&m.payload)
            );
            return self.refuse(Some(d), why, m.ack);
        }
        let Ok(payload) = std::str::from_utf8(&m.payload) else {
            let why = format!(
                "{shown}: the payload {} is not UTF-8 text: nothing written",
                excerpt(&m.payload)
            );
            return self.refuse(Some(d), why, m.ack);
        };
        let (born, from_backlog) = match &self.backlog {
            Some(b) => (b.born, true),
            None => (Some(self.stall_began.map_or(now, |s| s.min(now))), false),
        };
        let set = SetRequest {
            var,
            payload: payload.to_string(),
            born,
            from_backlog,
            expires: m.expires_in.map(|left| now + left),
        };
        self.enqueue(now, d, Held { set, ack: m.ack });
    }

    fn enqueue(&mut self, now: Instant, device: usize, held: Held) {
        let slot = &mut self.devices[device];
        if slot.queued < QUEUE && slot.held.is_empty() {
            return self.deliver(device, held);
        }
        if slot.held.len() >= HELD_MAX {
            let why = format!(
                "{}: not written: {HELD_MAX} sets already wait for device {} (sets come faster \
                 than it takes them): send fewer, or at QoS 1 so that the broker holds them back",
                short(&held.set.var),
                slot.name
            );
            return self.refuse(Some(device), why, held.ack);
        }
        slot.held.push_back(held);
        self.stall_began.get_or_insert(now);
    }

    /// Hands held sets to `device` while its queue has room.
    fn pump(&mut self, device: usize) {
        while let Some(slot) = self.devices.get_mut(device)
            && slot.queued < QUEUE
            && let Some(held) = slot.held.pop_front()
        {
            self.deliver(device, held);
        }
    }

    /// Queues a set for its device and acknowledges it: from now on the device answers.
    fn deliver(&mut self, device: usize, held: Held) {
        self.devices[device].queued += 1;
        self.out.push_back(Output::Deliver {
            device,
            set: held.set,
        });
        self.ack(held.ack);
    }

    /// Publishes `why` on the device's error topic (the gateway's when none fits), logs
    /// it, and acknowledges the message: it has its answer.
    fn refuse(&mut self, device: Option<usize>, why: String, ack: Option<AckId>) {
        self.refused += 1;
        let name = device.map_or(GATEWAY, |d| self.devices[d].name.as_str());
        tracing::warn!("set refused ({name}): {why}");
        let topic = self.topics.error(name);
        self.out
            .push_back(Output::Send(Command::Publish(Publication::error(
                topic, why,
            ))));
        self.ack(ack);
    }

    fn ack(&mut self, ack: Option<AckId>) {
        if let Some(id) = ack {
            self.out.push_back(Output::Send(Command::Ack(id)));
        }
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
