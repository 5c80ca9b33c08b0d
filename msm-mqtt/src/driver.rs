//! The connection task: moves the session's events through the [`Router`] and what the
//! router and the device workers want sent to the session, through one bounded outbox;
//! and, when the bridge stops, says goodbye (every device `offline`, then the gateway),
//! waits (bounded) for the broker to acknowledge it, and disconnects cleanly.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::quote::short;
use crate::router::{Output, Router, SetRequest};
use crate::session::{Command, Keep, Publication, Sender, SessionEvent};
use crate::status::Counters;
use crate::topics::{GATEWAY, Topics};

/// Beyond this many commands waiting, the workers' messages wait (back-pressure).
pub(crate) const OUTBOX_SOFT: usize = 1_024;
/// Beyond this many, sets at QoS 0 (which the broker cannot be made to hold back) are
/// refused, and counted in one error once the outbox drains.
pub(crate) const OUTBOX_HARD: usize = 16 * 1_024;
/// How long a stopping bridge waits for the broker to acknowledge its goodbyes.
pub(crate) const GOODBYE: Duration = Duration::from_secs(2);
/// How long it then waits for the broker to close the connection.
const CLOSE: Duration = Duration::from_secs(1);
/// How often a waiting outbox tries the connection's queue again.
const RETRY: Duration = Duration::from_millis(10);

/// The broker connection's state, for the workers: a new `generation` for every
/// connection made (every retained topic is published again then).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Conn {
    pub(crate) up: bool,
    pub(crate) generation: u64,
}

/// The channels the driver reads.
pub(crate) struct Inputs {
    pub(crate) events: mpsc::Receiver<SessionEvent>,
    pub(crate) publications: mpsc::Receiver<Publication>,
    pub(crate) took: mpsc::UnboundedReceiver<usize>,
}

pub(crate) struct Driver<S: Sender> {
    pub(crate) sender: S,
    pub(crate) router: Router,
    pub(crate) topics: Topics,
    pub(crate) conn: watch::Sender<Conn>,
    /// Each device's sets, by index.
    pub(crate) inboxes: Vec<mpsc::UnboundedSender<SetRequest>>,
    pub(crate) device_names: Vec<String>,
    pub(crate) ha_online: Arc<Notify>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) outbox: VecDeque<Command>,
}

impl<S: Sender> Driver<S> {
    /// Runs until `goodbye`, then says it and returns once disconnected (bounded).
    pub(crate) async fn run(mut self, mut inputs: Inputs, goodbye: CancellationToken) {
        loop {
            self.flush();
            let timeout = self.router.poll_timeout();
            let waiting = !self.outbox.is_empty();
            tokio::select! {
                biased;
                () = goodbye.cancelled() => break,
                event = inputs.events.recv() => match event {
                    Some(event) => self.event(event),
                    None => return,
                },
                Some(device) = inputs.took.recv() => {
                    self.router.took(device);
                    self.dispatch();
                }
                Some(p) = inputs.publications.recv(), if self.outbox.len() < OUTBOX_SOFT => {
                    self.push(Command::Publish(p));
                }
                () = sleep_until(timeout), if timeout.is_some() => {
                    self.router.handle_timeout(Instant::now());
                    self.dispatch();
                }
                () = tokio::time::sleep(RETRY), if waiting => {}
            }
        }
        self.goodbye(&mut inputs.events).await;
    }

    fn event(&mut self, event: SessionEvent) {
        let congested = self.outbox.len() > OUTBOX_HARD;
        self.router.set_congested(congested);
        self.router.handle_event(Instant::now(), event);
        self.dispatch();
    }

    /// Carries out what the router asked for.
    fn dispatch(&mut self) {
        while let Some(output) = self.router.poll_output() {
            match output {
                Output::Send(command) => self.push(command),
                Output::Deliver { device, set } => {
                    if let Err(e) = self.inboxes[device].send(set) {
                        // Its worker has stopped (the bridge is stopping).
                        let why =
                            format!("{}: not written: the gateway is stopping", short(&e.0.var));
                        let topic = self.topics.error(&self.device_names[device]);
                        self.push(Command::Publish(Publication::error(topic, why)));
                        self.counters.refused.fetch_add(1, Ordering::Relaxed);
                        self.router.took(device);
                    }
                }
                Output::HaOnline => self.ha_online.notify_one(),
                Output::Up => {
                    self.counters.connected.store(true, Ordering::Relaxed);
                    self.counters.connections.fetch_add(1, Ordering::Relaxed);
                    self.conn.send_modify(|c| {
                        c.up = true;
                        c.generation += 1;
                    });
                }
                Output::Down => {
                    self.counters.connected.store(false, Ordering::Relaxed);
                    self.conn.send_modify(|c| c.up = false);
                    // Values are published again at the next connection.
                    self.outbox.retain(|c| !is_latest(c));
                }
            }
        }
        self.counters
            .router_refused
            .store(self.router.refused(), Ordering::Relaxed);
    }

    /// Queues `command`; a value while disconnected is dropped (published again later).
    fn push(&mut self, command: Command) {
        if is_latest(&command) && !self.conn.borrow().up {
            return;
        }
        self.outbox.push_back(command);
    }

    /// Hands the outbox to the connection while it takes it.
    fn flush(&mut self) {
        while let Some(command) = self.outbox.pop_front() {
            let publish = matches!(command, Command::Publish(_));
            match self.sender.try_send(command) {
                Ok(()) if publish => {
                    self.counters.published.fetch_add(1, Ordering::Relaxed);
                }
                Ok(()) => {}
                Err(command) => {
                    self.outbox.push_front(command);
                    break;
                }
            }
        }
    }

    /// Says `offline` (retained) for every device and then the gateway, waits until the
    /// broker acknowledged everything (at most [`GOODBYE`]), disconnects cleanly and waits
    /// for the broker to close the connection. Nothing arriving meanwhile is
    /// acknowledged: the broker keeps it for the next start.
    async fn goodbye(mut self, events: &mut mpsc::Receiver<SessionEvent>) {
        if !self.conn.borrow().up {
            // The broker has published the will already.
            return;
        }
        let names = std::mem::take(&mut self.device_names);
        for name in names.iter().map(String::as_str).chain([GATEWAY]) {
            let mut p = Publication::state(self.topics.available(name), "offline");
            p.keep = Keep::Always;
            self.push(Command::Publish(p));
        }
        let deadline = tokio::time::Instant::now() + GOODBYE;
        loop {
            self.flush();
            if self.outbox.is_empty() && self.sender.unacked() == 0 {
                break;
            }
            tokio::select! {
                event = events.recv() => match event {
                    Some(SessionEvent::Lost { .. } | SessionEvent::Closed) | None => return,
                    Some(_) => {}
                },
                () = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(
                        "the MQTT broker did not acknowledge the goodbyes within {GOODBYE:?}: \
                         disconnecting anyway"
                    );
                    break;
                }
                () = tokio::time::sleep(RETRY) => {}
            }
        }
        let mut disconnect = Some(Command::Disconnect);
        let closing = async {
            loop {
                if let Some(c) = disconnect.take()
                    && let Err(c) = self.sender.try_send(c)
                {
                    disconnect = Some(c);
                }
                tokio::select! {
                    event = events.recv() => match event {
                        Some(SessionEvent::Closed | SessionEvent::Lost { .. }) | None => return,
                        Some(_) => {}
                    },
                    () = tokio::time::sleep(RETRY), if disconnect.is_some() => {}
                }
            }
        };
        if tokio::time::timeout(CLOSE, closing).await.is_err() {
            tracing::debug!("the MQTT broker did not close the connection after the disconnect");
        }
    }
}

fn is_latest(command: &Command) -> bool {
    matches!(command, Command::Publish(p) if p.keep == Keep::Latest)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
