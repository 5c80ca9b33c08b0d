//! How a master reaches its slave (`--connect`, `--unit`, `--timeout`, and a serial line
//! in RTU or ASCII, RTU over TCP, UDP or TLS), and turning those flags into a master.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use msm::{Master, Parity, SerialConfig};

use crate::failure::{Credential, Failure, explain_block_error};
use crate::tls::TlsArgs;

/// A serial line instead of TCP (`--serial`, in RTU or `--ascii`), RTU frames over TCP,
/// or UDP: for slaves and masters alike (every command that talks Modbus has them).
#[derive(Args, Debug, Clone)]
pub(crate) struct SerialArgs {
    /// Use the serial line at PATH (Modbus RTU, or ASCII with --ascii) instead of TCP.
    #[arg(long, value_name = "PATH")]
    pub(crate) serial: Option<PathBuf>,
    /// Speak Modbus ASCII on the serial line (with --serial): ':', hex digits and an LRC,
    /// ended by CR LF; 7 data bits unless --data-bits says otherwise.
    #[arg(long)]
    pub(crate) ascii: bool,
    /// Serial data bits [default: 8 for RTU, which needs them; 7 with --ascii, its
    /// standard format].
    #[arg(long = "data-bits", value_name = "N", value_parser = clap::value_parser!(u8).range(7..=8))]
    pub(crate) data_bits: Option<u8>,
    /// Serial baud rate.
    #[arg(long, default_value_t = 19_200, value_name = "N")]
    pub(crate) baud: u32,
    /// Serial parity (even is the Modbus default).
    #[arg(long, default_value = "even", value_parser = ["even", "odd", "none"])]
    pub(crate) parity: String,
    /// Serial stop bits.
    #[arg(long = "stop-bits", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub(crate) stop_bits: u8,
    /// Speak RTU frames (unit, PDU, CRC) over the TCP connection instead of Modbus/TCP's
    /// MBAP: serial-to-Ethernet converters in raw or transparent mode.
    #[arg(long = "rtu-over-tcp")]
    pub(crate) rtu_over_tcp: bool,
    /// Modbus over UDP instead of TCP: MBAP frames, one request per datagram. UDP loses
    /// datagrams: a master sends a read or a write again when its answer does not come
    /// (--retries).
    #[arg(long)]
    pub(crate) udp: bool,
}

impl SerialArgs {
    /// Refuses link flags that do not go together, `--tls` included.
    pub(crate) fn check(&self, tls: &TlsArgs) -> Result<(), Failure> {
        tls.check_link(self.serial.is_some(), self.rtu_over_tcp)?;
        let serial = self.serial.is_some();
        let clash = match () {
            () if tls.tls && self.udp => "--tls is Modbus/TCP Security: it does not go with --udp",
            () if self.udp && serial => "--udp and --serial exclude each other: pick one",
            () if self.udp && self.rtu_over_tcp => {
                "--udp and --rtu-over-tcp exclude each other: pick one"
            }
            () if serial && self.rtu_over_tcp => {
                "--serial and --rtu-over-tcp exclude each other: pick one"
            }
            () if self.ascii && !serial => {
                "--ascii is Modbus ASCII on a serial line: give the line with --serial PATH"
            }
            () if self.data_bits.is_some() && !serial => {
                "--data-bits applies to serial lines: give the line with --serial PATH"
            }
            () => return Ok(()),
        };
        Err(Failure::usage(clash))
    }

    /// The serial line the flags name, if any.
    pub(crate) fn line(&self) -> Result<Option<SerialConfig>, Failure> {
        let Some(path) = &self.serial else {
            return Ok(None);
        };
        if self.rtu_over_tcp || self.udp {
            return Err(Failure::usage(
                "--serial excludes --rtu-over-tcp and --udp: pick one",
            ));
        }
        let parity: Parity = self
            .parity
            .parse()
            .map_err(|e: msm::Error| Failure::usage(e.to_string()))?;
        let data_bits = self.data_bits.unwrap_or(if self.ascii { 7 } else { 8 });
        Ok(Some(
            SerialConfig::new(path.display().to_string(), self.baud)
                .parity(parity)
                .stop_bits(self.stop_bits)
                .data_bits(data_bits),
        ))
    }

    /// The link's kind, for messages: `RTU`, `ASCII`, `RTU over TCP`, `UDP`, or `None`
    /// for Modbus/TCP.
    pub(crate) fn kind(&self) -> Option<&'static str> {
        match () {
            () if self.serial.is_some() && self.ascii => Some("ASCII"),
            () if self.serial.is_some() => Some("RTU"),
            () if self.rtu_over_tcp => Some("RTU over TCP"),
            () if self.udp => Some("UDP"),
            () => None,
        }
    }
}

/// How a master reaches its slave.
#[derive(Args, Debug, Clone)]
pub(crate) struct ConnectArgs {
    /// The slave's address [default: 127.0.0.1:5020; 127.0.0.1:8020 with --tls, where
    /// `msm serve` listens by default].
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) connect: Option<String>,
    /// The unit id (slave id) to address.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) unit: u8,
    /// How long to wait for each answer (and for the connection).
    #[arg(long, default_value = "1s", value_parser = positive_duration, value_name = "DURATION")]
    pub(crate) timeout: Duration,
    /// With --udp: times a request goes again when its answer does not come within
    /// --timeout, before the request fails.
    #[arg(long, value_name = "N", requires = "udp", default_value_t = msm::master::DEFAULT_UDP_RETRIES)]
    pub(crate) retries: u32,
    #[command(flatten)]
    pub(crate) serial: SerialArgs,
    #[command(flatten)]
    pub(crate) tls: TlsArgs,
}

impl ConnectArgs {
    /// `--connect`, or where `msm serve` listens by default.
    pub(crate) fn addr(&self) -> String {
        self.connect
            .clone()
            .unwrap_or_else(|| crate::tls::default_addr(&self.tls))
    }

    /// The slave's name for messages.
    pub(crate) fn peer_name(&self) -> String {
        match &self.serial.serial {
            Some(path) => path.display().to_string(),
            None => self.addr(),
        }
    }

    /// A master for the slave the flags name.
    pub(crate) fn master(&self) -> Result<Master, Failure> {
        self.serial.check(&self.tls)?;
        let master = match (self.tls.settings()?, self.serial.line()?) {
            (Some(tls), _) => Master::tls(self.addr(), tls),
            (None, Some(line)) if self.serial.ascii => Master::ascii_serial(line),
            (None, Some(line)) => Master::serial(line),
            (None, None) if self.serial.rtu_over_tcp => Master::rtu_over_tcp(self.addr()),
            (None, None) if self.serial.udp => Master::udp(self.addr()).retries(self.retries),
            (None, None) => Master::tcp(self.addr()),
        };
        Ok(master
            .unit(self.unit)
            .response_timeout(self.timeout)
            .connect_timeout(self.timeout))
    }

    /// Who this master is to the slave: over TLS, its certificate and the role in it.
    pub(crate) fn credential(&self) -> Credential {
        match (&self.tls.cert, self.tls.settings()) {
            (Some(cert), Ok(Some(settings))) => Credential::Tls {
                cert: cert.display().to_string(),
                role: settings.role().ok().flatten(),
            },
            _ => Credential::None,
        }
    }

    /// A master's error in the CLI's words: a connection that could not be made says
    /// so with the master's own account of it, a refused request names the role.
    pub(crate) fn failure(&self, e: msm::Error, status: &msm::Status) -> Failure {
        match e {
            msm::Error::NotConnected { reason, .. } => {
                let what = match &status.last_error {
                    Some(last) if !status.connected => last.clone(),
                    _ => format!("cannot reach {}: {reason}", self.peer_name()),
                };
                let hint = self.hint(&what);
                Failure::modbus(format!("{what}{hint}"))
            }
            msm::Error::Block(b) => {
                Failure::modbus(explain_block_error(&b, self.unit, &self.credential()))
            }
            e => Failure::from(e),
        }
    }

    /// What to check when the link fails with `message`: the serial line's path and
    /// permissions, `--tls` when plain Modbus/TCP got an answer it cannot read, the CA
    /// when a TLS slave refused the certificate.
    pub(crate) fn hint(&self, message: &str) -> &'static str {
        if self.serial.serial.is_some() {
            crate::failure::link_hint(&self.peer_name())
        } else if self.tls.tls && message.contains("UnknownCA") {
            ": the slave does not trust the CA that issued --cert; give it that CA (its \
             --ca), or use a certificate from the slave's CA"
        } else if !self.tls.tls && !self.serial.rtu_over_tcp && message.contains("malformed frame")
        {
            "; if it is a Modbus/TCP Security slave (TLS), add --tls with --cert, --key and --ca"
        } else {
            ""
        }
    }
}

/// A duration above zero (`500ms`, `2s`): a zero timeout could never be met.
fn positive_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err(
            "a timeout of 0 can never be met: give a duration above zero, such as 500ms or 2s"
                .into(),
        );
    }
    Ok(d)
}
