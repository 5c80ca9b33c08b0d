//! The Modbus/UDP driver: one socket, one connection core, one request per datagram.
//!
//! Each datagram goes to the core whole (`Connection::handle_datagram`): if it is
//! exactly one MBAP frame, its request is answered as over TCP (units, hooks, write
//! validators, identity, exceptions) and the response goes back to the sender as one
//! datagram; anything else is dropped and reported to the service as skipped (the
//! communication errors FC08 counts). Nothing is kept of a sender beyond its answer: no
//! connection, no buffer, no timer. The work per datagram is bounded by the receive
//! buffer, which holds more than any frame: a longer datagram is cut to it, and dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::Settings;
use super::core::connection::{Connection, Limits};
use super::core::respond::{Client, Responder};
use crate::memory::Memory;
use crate::protocol::stream::Delimiter;
use crate::protocol::tcp;

/// Bytes received per datagram at most: any longer datagram is no frame, and is
/// dropped as one that is cut short.
const DATAGRAM_ROOM: usize = 4 * tcp::MAX_FRAME_LEN;

/// A pause after a receive error, so that one that repeats is no busy loop.
const ERROR_PAUSE: Duration = Duration::from_millis(50);

pub(crate) struct UdpServer {
    socket: UdpSocket,
    settings: Arc<Settings>,
    mem: Memory,
    stop: CancellationToken,
}

impl UdpServer {
    pub(crate) fn new(
        socket: UdpSocket,
        settings: Settings,
        mem: Memory,
        stop: CancellationToken,
    ) -> UdpServer {
        UdpServer {
            socket,
            settings: Arc::new(settings),
            mem,
            stop,
        }
    }

    /// Serves until stopped.
    pub(crate) async fn run(self) {
        let local = self.socket.local_addr().ok();
        tracing::info!(addr = ?local, "slave listening (Modbus/UDP)");
        let unknown: SocketAddr = ([0, 0, 0, 0], 0).into();
        let client = Client::Udp { addr: unknown };
        let responder = Responder::new(self.settings.rules.clone(), self.mem.clone(), client);
        // No client to time out; the frame length limit still applies.
        let limits = Limits {
            max_frame_len: self.settings.max_frame_len,
            ..Limits::NONE
        };
        let mut core = Connection::new(
            Delimiter::Mbap,
            limits,
            responder,
            Instant::now().into_std(),
        );
        let mut datagram = vec![0u8; DATAGRAM_ROOM];
        loop {
            let received = tokio::select! {
                () = self.stop.cancelled() => break,
                received = self.socket.recv_from(&mut datagram) => received,
            };
            let (n, peer) = match received {
                Ok(got) => got,
                Err(e) => {
                    // Unconnected, the socket sees no peer's errors; whatever this is,
                    // the next datagram may do better.
                    tracing::warn!(addr = ?local, error = %e, "receiving a datagram failed");
                    tokio::select! {
                        () = self.stop.cancelled() => break,
                        () = tokio::time::sleep(ERROR_PAUSE) => continue,
                    }
                }
            };
            if !self.settings.allows(peer.ip()) {
                tracing::debug!(%peer, "datagram dropped: the sender is not in the allow-list");
                continue;
            }
            let now = Instant::now().into_std();
            core.service_mut().datagram_from(peer);
            core.handle_datagram(now, datagram.get(..n).unwrap_or_default());
            while let Some(out) = core.poll_transmit(now) {
                let len = out.len();
                if let Err(e) = self.socket.send_to(out, peer).await {
                    tracing::debug!(%peer, error = %e, "sending an answer failed");
                }
                // Sent or not, it is not kept: the next datagram starts afresh.
                core.transmitted(len);
            }
        }
        tracing::info!(addr = ?local, "slave stopped");
    }
}
