//! The accept loop: admits connections (allow-list, maximum, eviction) and starts each
//! one on a thread of its own (`tcp_thread.rs`) or, with TLS, as a task
//! (`tcp_task.rs`). Every Modbus decision is in the connection's core.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::busy_poll::BusyPoll;
use super::config::{Settings, WhenFull};
use super::conn::{Accepted, millis};
use crate::memory::Memory;

/// Counters a handle can read while the slave runs.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) connections: AtomicUsize,
    /// The connections' busy polling, for its counters (`None` on a serial line).
    pub(crate) polling: Option<Arc<BusyPoll>>,
}

/// The accept loop and everything it needs to start connections.
pub(crate) struct Server {
    pub(crate) listener: TcpListener,
    pub(crate) settings: Arc<Settings>,
    pub(crate) mem: Memory,
    pub(crate) stop: CancellationToken,
    pub(crate) stats: Arc<Stats>,
    /// Modbus/TCP Security: every connection makes a TLS handshake first.
    pub(crate) tls: Option<Acceptor>,
}

/// What makes a TLS slave's handshakes (nothing can, built without TLS).
#[cfg(feature = "tls")]
pub(crate) type Acceptor = tokio_rustls::TlsAcceptor;
/// What makes a TLS slave's handshakes (nothing can, built without TLS).
#[cfg(not(feature = "tls"))]
pub(crate) type Acceptor = std::convert::Infallible;

/// A connection being served, as the accept loop sees it.
struct Slot {
    task: tokio::task::Id,
    peer: SocketAddr,
    /// Milliseconds since the server started at which it last had a request served
    /// (with [`SERVED`] set), or was accepted (without).
    last_served: Arc<AtomicU64>,
    evict: CancellationToken,
}

impl Server {
    /// Accepts until stopped, then closes every connection and waits for them to end.
    pub(crate) async fn run(self) {
        let local = match self.listener.local_addr() {
            Ok(addr) => addr.to_string(),
            Err(e) => format!("(address unknown: {e})"),
        };
        tracing::info!(addr = %local, "slave listening");
        let epoch = Instant::now();
        let mut slots: Vec<Slot> = Vec::new();
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => break,
                Some(done) = tasks.join_next_with_id() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(e) => e.id(),
                    };
                    slots.retain(|s| s.task != id);
                    self.stats.connections.store(slots.len(), Ordering::Relaxed);
                }
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => self.admit(stream, peer, epoch, &mut slots, &mut tasks),
                    Err(error) => {
                        // Out of file descriptors, usually: give the connections being
                        // served a moment to end instead of spinning on the error.
                        tracing::warn!(%error, "accept failed; retrying in 50 ms");
                        tokio::select! {
                            () = self.stop.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        }
                    }
                },
            }
        }
        drop(self.listener);
        // Every connection's token is a child of `stop`: they are closing.
        while tasks.join_next().await.is_some() {}
        self.stats.connections.store(0, Ordering::Relaxed);
        tracing::info!(addr = %local, "slave stopped");
    }

    fn admit(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        epoch: Instant,
        slots: &mut Vec<Slot>,
        tasks: &mut JoinSet<()>,
    ) {
        let settings = &self.settings;
        if !settings.allows(peer.ip()) {
            tracing::debug!(%peer, "connection refused: the address is not in the allow-list");
            return;
        }
        if slots.len() >= settings.max_connections {
            match settings.when_full {
                WhenFull::Refuse => {
                    tracing::debug!(
                        %peer, max = settings.max_connections,
                        "connection refused: the slave serves its maximum of connections"
                    );
                    return;
                }
                WhenFull::CloseOldestIdle => {
                    let oldest = slots
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, s)| s.last_served.load(Ordering::Relaxed))
                        .map(|(i, _)| i);
                    if let Some(i) = oldest {
                        let slot = slots.remove(i);
                        tracing::debug!(
                            peer = %slot.peer, new = %peer,
                            "closing the connection idle longest to make room for a new one"
                        );
                        slot.evict.cancel();
                    }
                }
            }
        }
        // Responses are small and latency matters more than packet count.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
        }
        let conn = Accepted {
            stream: (),
            role: None,
            peer,
            mem: self.mem.clone(),
            settings: self.settings.clone(),
            evict: self.stop.child_token(),
            stop: self.stop.clone(),
            last_served: Arc::new(AtomicU64::new(millis(epoch, Instant::now()))),
            epoch,
        };
        let slot_parts = (conn.evict.clone(), conn.last_served.clone());
        tracing::debug!(%peer, connections = slots.len() + 1, "connection accepted");
        #[cfg(feature = "tls")]
        let handle = match &self.tls {
            Some(acceptor) => tasks.spawn(conn.run_tls(acceptor.clone(), stream)),
            None => tasks.spawn(conn.run_threaded(stream)),
        };
        #[cfg(not(feature = "tls"))]
        let handle = match self.tls {
            Some(never) => match never {},
            None => tasks.spawn(conn.run_threaded(stream)),
        };
        slots.push(Slot {
            task: handle.id(),
            peer,
            last_served: slot_parts.1,
            evict: slot_parts.0,
        });
        self.stats.connections.store(slots.len(), Ordering::Relaxed);
    }
}
