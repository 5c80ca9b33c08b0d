//! A scripted session for tests: the test sends the events a broker connection would
//! yield and reads every command the bridge sends. A clean disconnect is answered with
//! `Closed` at once; acknowledgements of the bridge's messages are the test's to send.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::{Command, Events, Sender, SessionEvent};

/// The test's end.
pub(crate) struct Script {
    pub(crate) events: mpsc::UnboundedSender<SessionEvent>,
    pub(crate) sent: mpsc::UnboundedReceiver<Command>,
    unacked: Arc<AtomicUsize>,
}

pub(crate) struct FakeEvents {
    events: mpsc::UnboundedReceiver<SessionEvent>,
    unacked: Arc<AtomicUsize>,
}

pub(crate) struct FakeSender {
    sent: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedSender<SessionEvent>,
    unacked: Arc<AtomicUsize>,
}

/// A fake session's halves and the test's end.
pub(crate) fn session() -> (FakeEvents, FakeSender, Script) {
    let (events_tx, events) = mpsc::unbounded_channel();
    let (sent_tx, sent) = mpsc::unbounded_channel();
    let unacked = Arc::new(AtomicUsize::new(0));
    (
        FakeEvents {
            events,
            unacked: unacked.clone(),
        },
        FakeSender {
            sent: sent_tx,
            events: events_tx.clone(),
            unacked: unacked.clone(),
        },
        Script {
            events: events_tx,
            sent,
            unacked,
        },
    )
}

impl Script {
    /// Sends `event` as the connection would.
    pub(crate) fn send(&self, event: SessionEvent) {
        let _ = self.events.send(event);
    }

    /// The bridge's messages not yet acknowledged.
    pub(crate) fn unacked(&self) -> usize {
        self.unacked.load(Ordering::Relaxed)
    }
}

impl Events for FakeEvents {
    async fn next(&mut self) -> SessionEvent {
        match self.events.recv().await {
            Some(SessionEvent::Acked) => {
                let _ = self
                    .unacked
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
                SessionEvent::Acked
            }
            Some(event) => event,
            None => SessionEvent::Closed,
        }
    }
}

impl Sender for FakeSender {
    fn try_send(&mut self, command: Command) -> Result<(), Command> {
        match &command {
            Command::Publish(_) => {
                self.unacked.fetch_add(1, Ordering::Relaxed);
            }
            Command::Disconnect => {
                let _ = self.events.send(SessionEvent::Closed);
            }
            _ => {}
        }
        self.sent.send(command).map_err(|e| e.0)
    }

    fn unacked(&self) -> usize {
        self.unacked.load(Ordering::Relaxed)
    }
}
