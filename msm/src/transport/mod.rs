//! Byte streams the workers run over: TCP connections, serial lines and UDP sockets.
//!
//! The workers see one boxed stream type; everything protocol-related stays in the
//! sans-IO cores.
//!
//! ```
//! use msm::transport::{SerialConfig, TcpAddr};
//! use msm::{Master, Memory, Parity, Slave};
//!
//! // A TCP link, here on loopback: any TcpAddr names the peer.
//! let slave = Slave::tcp(("127.0.0.1", 0)).serve(Memory::new(1))?;
//! Master::tcp(slave.local_addr()).start(Memory::new(1))?.sync()?;
//! // A serial line: described, and checked before a worker opens it.
//! let line = SerialConfig::new("/dev/ttyUSB0", 19_200).parity(Parity::None).stop_bits(2);
//! assert!(line.check().is_ok());
//! assert_eq!(("10.0.0.7", 502).into_addr(), "10.0.0.7:502");
//! # Ok::<(), msm::Error>(())
//! ```

mod link;
mod serial;
#[cfg(feature = "tls")]
pub mod tls;
mod udp;

pub(crate) use link::{Framing, Link, LinkSpec};
pub use serial::{Parity, SerialConfig};

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

/// What `Master::tcp`, `Slave::tcp` and their RTU-over-TCP forms take as an address:
/// `"host:port"` text, a [`SocketAddr`], or a `(host, port)` pair.
///
/// ```
/// use msm::transport::TcpAddr;
/// use std::net::{Ipv4Addr, SocketAddr};
/// assert_eq!("plc:502".into_addr(), "plc:502");
/// assert_eq!(SocketAddr::from((Ipv4Addr::LOCALHOST, 5020)).into_addr(), "127.0.0.1:5020");
/// assert_eq!(("::1", 502).into_addr(), "[::1]:502");
/// ```
pub trait TcpAddr {
    /// The address as `host:port` text (resolved when connecting or binding).
    ///
    /// ```
    /// use msm::transport::TcpAddr;
    /// use std::net::{IpAddr, Ipv6Addr};
    /// assert_eq!(("plc.local", 502).into_addr(), "plc.local:502");
    /// assert_eq!(("fe80::1", 502).into_addr(), "[fe80::1]:502"); // IPv6 in brackets
    /// assert_eq!((IpAddr::V6(Ipv6Addr::LOCALHOST), 5020).into_addr(), "[::1]:5020");
    /// ```
    fn into_addr(self) -> String;
}

impl TcpAddr for &str {
    fn into_addr(self) -> String {
        self.to_string()
    }
}

impl TcpAddr for String {
    fn into_addr(self) -> String {
        self
    }
}

impl TcpAddr for &String {
    fn into_addr(self) -> String {
        self.clone()
    }
}

impl TcpAddr for SocketAddr {
    fn into_addr(self) -> String {
        self.to_string()
    }
}

impl TcpAddr for &SocketAddr {
    fn into_addr(self) -> String {
        self.to_string()
    }
}

impl TcpAddr for (&str, u16) {
    fn into_addr(self) -> String {
        let (host, port) = self;
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }
}

impl TcpAddr for (std::net::IpAddr, u16) {
    fn into_addr(self) -> String {
        SocketAddr::from(self).to_string()
    }
}

impl TcpAddr for (std::net::Ipv4Addr, u16) {
    fn into_addr(self) -> String {
        SocketAddr::from(self).to_string()
    }
}

/// True if `addr` is `host:port` with a port number (an IPv6 host in brackets:
/// `[::1]:502`).
pub(crate) fn has_port(addr: &str) -> bool {
    addr.parse::<SocketAddr>().is_ok()
        || addr.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty()
                && port.parse::<u16>().is_ok()
                && (!host.contains(':') || host.starts_with('['))
        })
}

/// A bidirectional byte stream.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

#[cfg(test)]
mod tests {
    use super::has_port;

    #[test]
    fn addresses_need_a_port() {
        for ok in [
            "127.0.0.1:502",
            "plc.local:5020",
            "[::1]:502",
            "[fe80::1%eth0]:502",
            "0.0.0.0:0",
        ] {
            assert!(has_port(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "plc",
            "::1",
            "fe80::1:502x",
            ":502",
            "plc:",
            "plc:70000",
        ] {
            assert!(!has_port(bad), "{bad}");
        }
    }
}
