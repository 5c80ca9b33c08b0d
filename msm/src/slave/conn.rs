//! A TCP connection as its drivers hold it: the socket, the client, the tokens that close
//! it, and what it tells the accept loop. Both drivers (a thread of its own,
//! `tcp_thread.rs`; a task, `tcp_task.rs`) build its [`Core`] here and report why it
//! closed with a [`Close`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::Settings;
use super::core::close::CloseReason;
use super::core::connection::Connection;
use super::core::respond::{Client, Responder};
use crate::memory::Memory;
use crate::protocol::rtu::Direction;
use crate::protocol::stream::Delimiter;

/// A slave connection's state machine, answering with the slave's rules and memory.
pub(super) type Core = Connection<Responder>;

/// Set in `last_served` once a connection has had a request served. Connections that
/// never sent one sort before all others when the oldest idle is chosen: a flood of
/// bare connections evicts itself, not the masters that talk.
pub(super) const SERVED: u64 = 1 << 63;

/// Milliseconds from `epoch` to `at`, rounded up (so `epoch` plus them is never before
/// `at`), without the [`SERVED`] bit.
pub(super) fn millis(epoch: Instant, at: Instant) -> u64 {
    let us = at.saturating_duration_since(epoch).as_micros();
    u64::try_from(us.div_ceil(1000)).unwrap_or(u64::MAX) & !SERVED
}

/// Why a connection was closed: its core's reason, or the driver's.
pub(super) enum Close {
    Core(CloseReason),
    Io(io::Error),
    Evicted,
    Stopping,
}

impl From<CloseReason> for Close {
    fn from(reason: CloseReason) -> Close {
        Close::Core(reason)
    }
}

impl fmt::Display for Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Close::Core(reason) => write!(f, "{reason}"),
            Close::Io(e) => write!(f, "I/O error: {e}"),
            Close::Evicted => {
                f.write_str("closed to make room for a new connection (max connections)")
            }
            Close::Stopping => f.write_str("the slave is stopping"),
        }
    }
}

#[derive(Clone)]
pub(super) struct Accepted<S> {
    pub(super) stream: S,
    /// The client's role, from its TLS certificate (`None`: the NULL role, or no TLS).
    pub(super) role: Option<String>,
    pub(super) peer: SocketAddr,
    pub(super) mem: Memory,
    pub(super) settings: Arc<Settings>,
    /// Cancelled to close this connection (eviction, or the server stopping).
    pub(super) evict: CancellationToken,
    pub(super) stop: CancellationToken,
    /// When the idle timeout runs from (the last request, or the opening), in
    /// [`millis`] since `epoch`, with [`SERVED`] once a request was served: for the
    /// accept loop's choice of whom to evict, and the thread driver's idle watch.
    pub(super) last_served: Arc<AtomicU64>,
    pub(super) epoch: Instant,
}

impl Accepted<()> {
    /// The connection on `stream`, for a client with `role`.
    pub(super) fn with<S>(self, stream: S, role: Option<String>) -> Accepted<S> {
        Accepted {
            stream,
            role,
            peer: self.peer,
            mem: self.mem,
            settings: self.settings,
            evict: self.evict,
            stop: self.stop,
            last_served: self.last_served,
            epoch: self.epoch,
        }
    }
}

impl<S> Accepted<S> {
    /// The connection's core, opened at `now`: its buffers are allocated here.
    pub(super) fn core(&self, now: std::time::Instant) -> Core {
        let settings = &self.settings;
        let delimiter = if settings.rules.rtu {
            Delimiter::rtu_over_tcp(Direction::Request)
        } else {
            Delimiter::Mbap
        };
        let client = Client::Tcp {
            addr: self.peer,
            role: self.role.clone(),
        };
        let responder = Responder::new(settings.rules.clone(), self.mem.clone(), client);
        Connection::new(delimiter, settings.limits(), responder, now)
    }

    /// Tells the accept loop (and the idle watch) when the idle timeout runs from, if
    /// that moved since `published`.
    pub(super) fn publish(&self, core: &Core, published: &mut Option<std::time::Instant>) {
        let since = core.idle_since();
        if *published == Some(since) {
            return;
        }
        *published = Some(since);
        let served = if core.last_request().is_some() {
            SERVED
        } else {
            0
        };
        let at = millis(self.epoch, Instant::from_std(since));
        self.last_served.store(at | served, Ordering::Relaxed);
    }

    /// Why the connection ends when its token is cancelled.
    pub(super) fn cancelled(&self) -> Close {
        if self.stop.is_cancelled() {
            Close::Stopping
        } else {
            Close::Evicted
        }
    }
}

/// An I/O error sending: the core's reason if it was closing anyway (a fault's responses
/// sent first), else the error.
pub(super) fn io_error(core: &Core, error: io::Error) -> Close {
    core.closing().map_or(Close::Io(error), Close::Core)
}
