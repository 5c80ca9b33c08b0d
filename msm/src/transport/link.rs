//! The one description of a link that masters and slaves share: where it goes, how it
//! is opened, how frames are delimited on it, and which settings apply to it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{Parity, SerialConfig, Stream};
use crate::types::{Error, Result};

/// How frames are delimited on a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// MBAP header (Modbus/TCP, and Modbus/TCP Security inside TLS).
    Mbap,
    /// Address + PDU + CRC (serial lines, RTU over TCP).
    Rtu,
    /// `:`, address + PDU + LRC in hex digits, CR LF (Modbus ASCII on serial lines).
    Ascii,
}

impl Framing {
    /// True for the framings of serial lines, where a slave answers its own addresses
    /// only and address 0 is a broadcast.
    pub(crate) fn serial_addressing(self) -> bool {
        matches!(self, Framing::Rtu | Framing::Ascii)
    }
}

/// A link: what a master connects to, or what a slave listens on.
#[derive(Clone, Debug)]
pub(crate) enum Link {
    /// Modbus/TCP at `host:port`, resolved at each attempt (or bound, for a slave).
    Tcp(String),
    /// RTU frames over a TCP connection (a serial-to-Ethernet converter).
    RtuOverTcp(String),
    /// A serial line (Modbus RTU).
    Serial(SerialConfig),
    /// A serial line speaking Modbus ASCII.
    Ascii(SerialConfig),
    /// Modbus/TCP's MBAP frames in UDP datagrams, at `host:port`: one request per
    /// datagram.
    Udp(String),
    /// Modbus/TCP Security: MBAP inside TLS, at `host:port`.
    #[cfg(feature = "tls")]
    Tls(String, Box<TlsLink>),
}

/// A TLS link's settings, and the master's client configuration once built (kept for
/// every reconnection, so that sessions resume).
#[cfg(feature = "tls")]
#[derive(Clone, Debug)]
pub(crate) struct TlsLink {
    pub(crate) settings: super::tls::TlsSettings,
    pub(crate) client: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Link {
    /// A TLS link to or on `addr`.
    #[cfg(feature = "tls")]
    pub(crate) fn tls(addr: String, settings: super::tls::TlsSettings) -> Link {
        Link::Tls(
            addr,
            Box::new(TlsLink {
                settings,
                client: None,
            }),
        )
    }

    /// A human name for messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => addr.clone(),
            Link::Udp(addr) => format!("{addr} (UDP)"),
            Link::Serial(line) | Link::Ascii(line) => line.path.clone(),
            #[cfg(feature = "tls")]
            Link::Tls(addr, _) => format!("{addr} (TLS)"),
        }
    }

    /// How frames are delimited on it.
    pub(crate) fn framing(&self) -> Framing {
        match self {
            Link::Tcp(_) | Link::Udp(_) => Framing::Mbap,
            #[cfg(feature = "tls")]
            Link::Tls(..) => Framing::Mbap,
            Link::RtuOverTcp(_) | Link::Serial(_) => Framing::Rtu,
            Link::Ascii(_) => Framing::Ascii,
        }
    }

    /// The `host:port` of a link over TCP or UDP; `None` for a serial line.
    pub(crate) fn tcp_addr(&self) -> Option<&str> {
        match self {
            Link::Tcp(addr) | Link::RtuOverTcp(addr) | Link::Udp(addr) => Some(addr),
            #[cfg(feature = "tls")]
            Link::Tls(addr, _) => Some(addr),
            Link::Serial(_) | Link::Ascii(_) => None,
        }
    }

    /// The serial line of a serial link.
    fn line_mut(&mut self) -> Option<&mut SerialConfig> {
        match self {
            Link::Serial(line) | Link::Ascii(line) => Some(line),
            _ => None,
        }
    }

    /// Opens the stream (a master's side), within `timeout`; the peer's address when
    /// it has one.
    pub(crate) async fn open(
        &self,
        timeout: Duration,
    ) -> io::Result<(Box<dyn Stream>, Option<SocketAddr>)> {
        match self {
            Link::Serial(line) | Link::Ascii(line) => Ok((Box::new(line.open()?), None)),
            Link::Udp(addr) => {
                let (socket, peer) = super::udp::connect(addr, timeout).await?;
                Ok((Box::new(socket), peer))
            }
            Link::Tcp(addr) | Link::RtuOverTcp(addr) => {
                let (stream, peer) = connect_tcp(addr, timeout).await?;
                Ok((Box::new(stream), peer))
            }
            #[cfg(feature = "tls")]
            Link::Tls(addr, tls) => {
                let config = match &tls.client {
                    Some(config) => config.clone(),
                    None => tls.settings.client_config().map_err(io::Error::other)?,
                };
                let (stream, peer) =
                    super::tls::connect(addr, &tls.settings, &config, timeout).await?;
                Ok((Box::new(stream), peer))
            }
        }
    }

    /// A master's link, ready to open: a TLS link's settings are checked and its
    /// client configuration built once.
    pub(crate) fn for_master(&self) -> Result<Link> {
        match self {
            #[cfg(feature = "tls")]
            Link::Tls(addr, tls) => {
                let client = Some(tls.settings.client_config()?);
                let tls = TlsLink {
                    settings: tls.settings.clone(),
                    client,
                };
                Ok(Link::Tls(addr.clone(), Box::new(tls)))
            }
            _ => Ok(self.clone()),
        }
    }
}

/// Connects to `addr` within `timeout`, with Nagle off.
pub(crate) async fn connect_tcp(
    addr: &str,
    timeout: Duration,
) -> io::Result<(TcpStream, Option<SocketAddr>)> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
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
    Ok((stream, peer))
}

/// A link and the serial settings given for it, as the master's and the slave's
/// builders collect them: a serial setting given to a link over TCP is remembered and
/// refused by [`check`](Self::check), on both sides alike.
#[derive(Clone, Debug)]
pub(crate) struct LinkSpec {
    pub(crate) link: Link,
    /// A serial-only setting given for another link.
    misapplied: Option<&'static str>,
}

impl LinkSpec {
    pub(crate) fn new(link: Link) -> LinkSpec {
        LinkSpec {
            link,
            misapplied: None,
        }
    }

    /// Sets a serial line's parity; on another link, a mistake [`check`](Self::check)
    /// reports.
    pub(crate) fn set_parity(&mut self, parity: Parity) {
        match self.link.line_mut() {
            Some(line) => line.parity = parity,
            None => self.misapplied = Some("parity"),
        }
    }

    /// Sets a serial line's stop bits; on another link, a mistake
    /// [`check`](Self::check) reports.
    pub(crate) fn set_stop_bits(&mut self, stop_bits: u8) {
        match self.link.line_mut() {
            Some(line) => line.stop_bits = stop_bits,
            None => self.misapplied = Some("stop bits"),
        }
    }

    /// Sets a serial line's data bits (7 or 8; RTU needs 8); on another link, a mistake
    /// [`check`](Self::check) reports.
    pub(crate) fn set_data_bits(&mut self, data_bits: u8) {
        match self.link.line_mut() {
            Some(line) => line.data_bits = data_bits,
            None => self.misapplied = Some("data bits"),
        }
    }

    /// Refuses serial settings given to a link over TCP, and a serial line's settings
    /// out of range.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(setting) = self.misapplied {
            return Err(Error::Config(format!(
                "{setting} applies to serial lines (Master::rtu, Slave::rtu, Master::ascii, \
                 Slave::ascii), not to {}: remove the setting, or open a serial line",
                self.link.name()
            )));
        }
        match &self.link {
            Link::Serial(line) => line.check(),
            Link::Ascii(line) => line.check_ascii(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_settings_on_tcp_links_are_refused_and_applied_on_lines() {
        for link in [Link::Tcp("h:1".into()), Link::RtuOverTcp("h:1".into())] {
            let mut spec = LinkSpec::new(link.clone());
            spec.set_stop_bits(2);
            let err = spec.check().expect_err("stop bits on TCP");
            assert!(
                err.to_string()
                    .contains("stop bits applies to serial lines")
            );
            let mut spec = LinkSpec::new(link);
            spec.set_parity(Parity::Odd);
            assert!(spec.check().is_err());
        }
        let mut spec = LinkSpec::new(Link::Serial(SerialConfig::new("/dev/x", 9600)));
        spec.set_parity(Parity::None);
        spec.set_stop_bits(2);
        spec.check().expect("valid line");
        let Link::Serial(line) = &spec.link else {
            panic!("a line")
        };
        assert_eq!(line.to_string(), "/dev/x 9600 8N2");
        assert_eq!(spec.link.framing(), Framing::Rtu);
    }
}
