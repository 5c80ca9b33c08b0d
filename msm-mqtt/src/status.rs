//! What a running bridge reports about itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A running bridge's state ([`AsyncBridgeHandle::status`](crate::AsyncBridgeHandle::status)).
///
/// ```
/// let s = msm_mqtt::BridgeStatus::default();
/// assert!(!s.connected && s.sets_applied == 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeStatus {
    /// True while connected to the broker.
    pub connected: bool,
    /// Connections made so far (the first and every reconnection).
    pub connections: u64,
    /// Messages handed to the connection so far.
    pub published: u64,
    /// Sets written and confirmed (by the device, for a memory a master keeps).
    pub sets_applied: u64,
    /// Sets refused, each with a message on an error topic.
    pub sets_refused: u64,
}

/// The counters behind [`BridgeStatus`], shared by the bridge's tasks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connected: AtomicBool,
    pub(crate) connections: AtomicU64,
    pub(crate) published: AtomicU64,
    pub(crate) applied: AtomicU64,
    /// Refused by the workers (and by the driver when a worker had stopped).
    pub(crate) refused: AtomicU64,
    /// Refused by the router (its own count, copied).
    pub(crate) router_refused: AtomicU64,
}

impl Counters {
    pub(crate) fn status(&self) -> BridgeStatus {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BridgeStatus {
            connected: self.connected.load(Ordering::Relaxed),
            connections: get(&self.connections),
            published: get(&self.published),
            sets_applied: get(&self.applied),
            sets_refused: get(&self.refused) + get(&self.router_refused),
        }
    }
}
