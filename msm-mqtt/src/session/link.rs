//! What both real sessions share: the connection's life (up since, down since, which
//! connection this is), the pause between tries, and the lines it writes on stderr
//! (broker unreachable and the next try, connected, reconnected, lost, taken over); and
//! what a CONNACK, a PUBACK or an error means for the bridge, in either protocol.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{SessionEvent, Shared};

use crate::quote::escape;

/// Pause between connection attempts: from this, doubling, up to the most.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// A connection that lived at least this long starts the next tries from the shortest
/// pause again; shorter ones (a broker kicking the client out at once) keep backing off.
const STABLE: Duration = Duration::from_secs(10);

/// Why a connection ended, as far as the session can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The broker said another client took the session over (MQTT 5, reason 0x8E).
    TakenOver,
    /// The broker closed it without a word (what MQTT 3.1.1 brokers do when another
    /// client connects with the same client id).
    ClosedByBroker,
    /// Anything else: a network error, a timeout.
    Other,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Never connected yet.
    Starting,
    Up {
        since: Instant,
    },
    Down {
        since: Instant,
    },
}

/// The life of one broker connection, across reconnections.
#[derive(Debug)]
pub(crate) struct Link {
    /// `host:port`, for the log lines.
    broker: String,
    client_id: String,
    state: State,
    pause: Duration,
    retry_at: Option<Instant>,
    /// Which connection this is (1 for the first made); acks name it.
    pub(crate) connection: u64,
    /// When the broker was last heard from.
    last_heard: Instant,
}

impl Link {
    pub(crate) fn new(broker: String, client_id: String) -> Link {
        let now = Instant::now();
        Link {
            broker,
            client_id,
            state: State::Starting,
            pause: RETRY_MIN,
            retry_at: None,
            connection: 0,
            last_heard: now,
        }
    }

    pub(crate) fn is_up(&self) -> bool {
        matches!(self.state, State::Up { .. })
    }

    /// Something came from the broker.
    pub(crate) fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// Waits until the next try is due (nothing to wait for after a success). Cancel-safe:
    /// the time of the next try is kept.
    pub(crate) async fn wait_for_retry(&mut self) {
        if let Some(at) = self.retry_at {
            tokio::time::sleep_until(at.into()).await;
            self.retry_at = None;
        }
    }

    /// A connection was made; says so (first time: connected; later: reconnected, after
    /// how long, and whether the broker kept the session).
    pub(crate) fn connected(&mut self, session_present: bool, protocol: &str) {
        let now = Instant::now();
        self.connection += 1;
        self.last_heard = now;
        let session = if session_present {
            "the broker kept the session"
        } else {
            "a new session"
        };
        match self.state {
            State::Starting => tracing::info!(
                "connected to the MQTT broker at {} as {:?} ({protocol}, {session})",
                self.broker,
                escape(&self.client_id)
            ),
            State::Down { since } | State::Up { since } => tracing::warn!(
                "reconnected to the MQTT broker at {} after {:.1}s ({session})",
                self.broker,
                now.duration_since(since).as_secs_f64()
            ),
        }
        self.state = State::Up { since: now };
    }

    /// A connection attempt failed: says why and when the next one is.
    pub(crate) fn failed(&mut self, reason: &str) {
        let pause = self.next_pause();
        tracing::warn!(
            "cannot reach the MQTT broker at {}: {}; next try in {:.1}s",
            self.broker,
            escape(reason),
            pause.as_secs_f64()
        );
    }

    /// The connection dropped: says why (with a hint when another client took it over)
    /// and when the next try is. Returns when the broker was last heard from.
    pub(crate) fn lost(&mut self, reason: &str, ending: Ending) -> Instant {
        let now = Instant::now();
        let lived = match self.state {
            State::Up { since } => now.duration_since(since),
            _ => Duration::ZERO,
        };
        if lived >= STABLE {
            self.pause = RETRY_MIN;
        }
        let pause = self.next_pause();
        let id = escape(&self.client_id);
        let why = match ending {
            Ending::TakenOver => format!(
                "the broker says another client connected with client id {id:?} and took the \
                 session over: do two gateways share this client_id? Give each its own"
            ),
            Ending::ClosedByBroker => format!(
                "the broker closed it ({}) after {:.1}s; if this repeats, another client may be \
                 connecting with client id {id:?} (two gateways sharing a client_id?)",
                escape(reason),
                lived.as_secs_f64()
            ),
            Ending::Other => escape(reason),
        };
        tracing::warn!(
            "lost the connection to the MQTT broker at {}: {why}; next try in {:.1}s",
            self.broker,
            pause.as_secs_f64()
        );
        self.state = State::Down { since: now };
        self.last_heard
    }

    /// The broker answered a connection (CONNACK): noted in `shared` (acks go to this
    /// connection; what was in flight is gone if the broker kept no session) and said.
    pub(crate) fn on_connack(
        &mut self,
        shared: &Shared,
        session_present: bool,
        protocol: &str,
    ) -> SessionEvent {
        if !session_present {
            // The broker has nothing of before: what was in flight is gone.
            shared.forget_in_flight();
        }
        self.connected(session_present, protocol);
        shared.connection.store(self.connection, Ordering::Release);
        SessionEvent::Connected { session_present }
    }

    /// The broker acknowledged one of the bridge's messages.
    pub(crate) fn on_puback(&mut self, shared: &Shared) -> SessionEvent {
        self.heard();
        shared.acked.fetch_add(1, Ordering::Relaxed);
        SessionEvent::Acked
    }

    /// The connection failed (`reason`, `ending`): `Lost` if it was up (no ack may go out
    /// on it any more), else `None` (an attempt failed; said, and tried again).
    pub(crate) fn on_error(
        &mut self,
        shared: &Shared,
        reason: &str,
        ending: Ending,
    ) -> Option<SessionEvent> {
        if self.is_up() {
            shared.connection.store(0, Ordering::Release);
            let last_heard = self.lost(reason, ending);
            return Some(SessionEvent::Lost { last_heard });
        }
        self.failed(reason);
        None
    }

    /// Schedules the next try and doubles the pause after it.
    fn next_pause(&mut self) -> Duration {
        let pause = self.pause;
        self.retry_at = Some(Instant::now() + pause);
        self.pause = (pause * 2).min(RETRY_MAX);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_five_seconds_and_restart_after_a_stable_connection() {
        let mut link = Link::new("127.0.0.1:1".into(), "gw".into());
        let pauses: Vec<Duration> = (0..7).map(|_| link.next_pause()).collect();
        assert_eq!(pauses[0], RETRY_MIN);
        assert_eq!(pauses[1], RETRY_MIN * 2);
        assert_eq!(pauses[6], RETRY_MAX);
        link.connected(false, "MQTT 5");
        assert_eq!(link.connection, 1);
        // Kicked out at once: no fresh start.
        link.lost("closed", Ending::TakenOver);
        assert_eq!(link.pause, RETRY_MAX);
        link.state = State::Up {
            since: Instant::now() - STABLE,
        };
        link.lost("closed", Ending::Other);
        assert_eq!(link.pause, RETRY_MIN * 2);
        assert!(!link.is_up());
    }
}
