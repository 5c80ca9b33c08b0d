//! The boundary between the bridge and the broker: a session's [`Events`] half yields
//! what happened on the connection ([`SessionEvent`]) and its [`Sender`] half takes what
//! to send ([`Command`]). The real
//! sessions drive rumqttc (MQTT 5 in `v5.rs`, 3.1.1 in `v4.rs`), reconnecting with
//! backoff and saying so on stderr; tests drive the bridge with a scripted fake
//! (`fake.rs`), so every rule above this boundary is tested without a broker.

#[cfg(test)]
pub(crate) mod fake;
mod link;
pub(crate) mod v4;
pub(crate) mod v5;

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

/// The largest MQTT packet (a remaining length of 268,435,455 and a 5-byte header): the
/// bridge reads any message the broker forwards, so that a large payload is refused
/// with an error instead of taking the connection down (or, with MQTT 5, being dropped
/// by the broker unseen).
pub(crate) const MAX_PACKET: u32 = 268_435_455 + 5;

/// How a message the bridge received is acknowledged (QoS 1): its packet id on the
/// connection it came on. An ack for an earlier connection is never sent (the broker
/// sends the message again on the new one, if it kept the session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AckId {
    pub(crate) pkid: u16,
    pub(crate) connection: u64,
}

/// A message from the broker.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub(crate) topic: String,
    pub(crate) payload: Bytes,
    /// The retain flag as published (MQTT 5 with retain-as-published), or set only when
    /// the broker sends a retained message at subscription (MQTT 3.1.1).
    pub(crate) retain: bool,
    /// `Some` for QoS 1: to acknowledge once handled.
    pub(crate) ack: Option<AckId>,
    /// The MQTT 5 message expiry interval left, if the publisher set one.
    pub(crate) expires_in: Option<Duration>,
    /// The MQTT 5 user property `msm-marker`, if any: the bridge's own backlog marker.
    pub(crate) marker: Option<String>,
}

/// What happened on the connection.
#[derive(Debug)]
pub(crate) enum SessionEvent {
    /// Connected (again); `session_present`: the broker kept the session (its
    /// subscriptions and the QoS 1 messages that came meanwhile).
    Connected { session_present: bool },
    /// A message.
    Message(Message),
    /// One of the bridge's QoS 1 messages was acknowledged by the broker.
    Acked,
    /// The connection dropped; it is being made again. `last_heard`: when the broker was
    /// last heard from on it.
    Lost { last_heard: Instant },
    /// The clean disconnect asked for is done: the session ends.
    Closed,
}

/// Whether a publication is kept while the broker is away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// A value, a quality or an availability: dropped while disconnected (every retained
    /// topic is published again at the next connection).
    Latest,
    /// An error, or a goodbye: sent once connected again, never dropped.
    Always,
}

/// A message to publish, at QoS 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Publication {
    pub(crate) topic: String,
    pub(crate) payload: Bytes,
    pub(crate) retain: bool,
    pub(crate) keep: Keep,
    /// The MQTT 5 user property `msm-marker` to carry (the backlog marker).
    pub(crate) marker: Option<String>,
}

impl Publication {
    /// A retained state message (value, quality, availability, discovery).
    pub(crate) fn state(topic: String, payload: impl Into<Bytes>) -> Publication {
        Publication {
            topic,
            payload: payload.into(),
            retain: true,
            keep: Keep::Latest,
            marker: None,
        }
    }

    /// An error message (not retained, never dropped).
    pub(crate) fn error(topic: String, text: String) -> Publication {
        Publication {
            topic,
            payload: text.into(),
            retain: false,
            keep: Keep::Always,
            marker: None,
        }
    }
}

/// What to do with retained messages when subscribing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retained {
    /// Send them if the subscription is new (MQTT 5; 3.1.1 sends them at every
    /// subscription).
    IfNew,
    /// Never (MQTT 5; 3.1.1 sends them anyway).
    Never,
}

/// A subscription, at QoS 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) topic: String,
    pub(crate) retained: Retained,
    /// MQTT 5: forward the retain flag as published, so that a retained set is seen as
    /// one.
    pub(crate) retain_as_published: bool,
}

/// What to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Publish(Publication),
    Ack(AckId),
    Subscribe(Vec<Filter>),
    /// A clean disconnect; the session then ends with [`SessionEvent::Closed`].
    Disconnect,
}

/// The receiving half of a connection to a broker: it drives the connection (connecting,
/// reconnecting, waiting between tries) and says what happened.
pub(crate) trait Events: Send + 'static {
    /// The next thing that happens.
    fn next(&mut self) -> impl Future<Output = SessionEvent> + Send;
}

/// The sending half of a connection to a broker.
pub(crate) trait Sender: Send + 'static {
    /// Hands `command` over without waiting, or gives it back when the connection's
    /// queue is full (try again after the next event).
    fn try_send(&mut self, command: Command) -> Result<(), Command>;

    /// The bridge's QoS 1 messages handed over and not yet acknowledged by the broker.
    fn unacked(&self) -> usize;
}

/// What the two halves of a real session share: which connection is up (0 when none),
/// and the counts of messages handed over and acknowledged.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) connection: AtomicU64,
    pub(crate) handed: AtomicUsize,
    pub(crate) acked: AtomicUsize,
}

impl Shared {
    /// True if an ack for `id` may go out now (its connection is the one up).
    pub(crate) fn may_ack(&self, id: AckId) -> bool {
        id.connection != 0 && self.connection.load(Ordering::Acquire) == id.connection
    }

    pub(crate) fn unacked(&self) -> usize {
        let handed = self.handed.load(Ordering::Relaxed);
        handed.saturating_sub(self.acked.load(Ordering::Relaxed))
    }

    /// A new session: nothing of before is in flight any more.
    pub(crate) fn forget_in_flight(&self) {
        self.handed.store(0, Ordering::Relaxed);
        self.acked.store(0, Ordering::Relaxed);
    }
}
