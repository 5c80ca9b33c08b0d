//! Byte streams the workers run over: TCP connections and serial lines.
//!
//! The workers see one boxed stream type; everything protocol-related stays in the
//! sans-IO cores.

mod serial;

pub use serial::{Parity, SerialConfig};

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A bidirectional byte stream.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Where a master connects to.
#[derive(Clone, Debug)]
pub(crate) enum Link {
    /// A Modbus/TCP slave at `host:port`, resolved at each attempt.
    Tcp(String),
    /// RTU frames over a TCP connection (a serial-to-Ethernet converter).
    RtuOverTcp(String),
    /// A serial line.
    Serial(SerialConfig),
}

impl Link {
    /// A human name for messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => addr.clone(),
            Link::Serial(line) => line.path.clone(),
        }
    }

    /// Opens the stream, within `timeout`; the peer's address when it has one.
    pub(crate) async fn open(
        &self,
        timeout: Duration,
    ) -> io::Result<(Box<dyn Stream>, Option<SocketAddr>)> {
        match self {
            Link::Serial(line) => Ok((Box::new(line.open()?), None)),
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => {
                let stream = tokio::time::timeout(timeout, TcpStream::connect(addr.as_str()))
                    .await
                    .map_err(|_| {
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("no answer within {timeout:?}"),
                        )
                    })??;
                // Requests are small and latency matters more than packet count.
                stream.set_nodelay(true)?;
                let peer = stream.peer_addr().ok();
                Ok((Box::new(stream), peer))
            }
        }
    }
}
