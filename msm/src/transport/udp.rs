//! Modbus/UDP for a master: a UDP socket connected to the slave, seen as a stream whose
//! every write is one datagram and every read one datagram. Connected, the socket takes
//! datagrams from the slave's address only (the kernel drops the others), and a slave
//! whose port is closed shows as a refused connection, as over TCP.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UdpSocket;

/// A UDP socket connected to one peer.
pub(crate) struct UdpLink {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl UdpLink {
    /// `e`, saying what a refusal means over UDP: the kernel learnt (ICMP port
    /// unreachable) that nothing takes datagrams on the slave's port.
    fn explain(&self, e: io::Error) -> io::Error {
        if e.kind() != io::ErrorKind::ConnectionRefused {
            return e;
        }
        io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!(
                "nothing takes UDP datagrams at {} (the port is closed: check the address, \
                 and that the slave serves Modbus/UDP)",
                self.peer
            ),
        )
    }
}

impl AsyncRead for UdpLink {
    /// One datagram (cut to `buf`'s room if longer: no frame is that long anyway).
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.socket.poll_recv(cx, buf).map_err(|e| self.explain(e))
    }
}

impl AsyncWrite for UdpLink {
    /// `buf` as one datagram.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.socket.poll_send(cx, buf).map_err(|e| self.explain(e))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A socket on a port of the system's choice, connected to `addr` (resolved within
/// `timeout`, the first address that takes the connection).
pub(crate) async fn connect(
    addr: &str,
    timeout: Duration,
) -> io::Result<(UdpLink, Option<SocketAddr>)> {
    let resolved = tokio::time::timeout(timeout, tokio::net::lookup_host(addr))
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("resolving {addr} took over {timeout:?}"),
            )
        })??;
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{addr} resolves to no address"),
    );
    for peer in resolved {
        let local: SocketAddr = match peer {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = match UdpSocket::bind(local).await {
            Ok(socket) => socket,
            Err(e) => {
                last = e;
                continue;
            }
        };
        match socket.connect(peer).await {
            Ok(()) => return Ok((UdpLink { socket, peer }, Some(peer))),
            Err(e) => last = e,
        }
    }
    Err(last)
}
