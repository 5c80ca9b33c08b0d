//! `--tls --cert --key --ca`: Modbus/TCP Security (mbaps) for `serve`, `poll`, `read`
//! and `write`.

use std::path::PathBuf;

use clap::Args;
use msm::transport::tls::{MBAPS_PORT, TlsSettings};
use msm::{Map, Slave};

use crate::failure::Failure;

/// TLS flags, flattened into the commands that take them.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct TlsArgs {
    /// Modbus/TCP Security: MBAP inside TLS with mutual authentication (needs --cert,
    /// --key, --ca; `msm certs` makes a set to try). `serve --tls` listens on
    /// 127.0.0.1:8020 and masters connect there unless --listen / --connect say
    /// otherwise (802, the standard port, needs privileges).
    #[arg(long, requires_all = ["cert", "key", "ca"])]
    pub(crate) tls: bool,
    /// TLS: this side's certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub(crate) cert: Option<PathBuf>,
    /// TLS: this side's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub(crate) key: Option<PathBuf>,
    /// TLS: the CA certificate(s) the peer's certificate must come from (PEM).
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub(crate) ca: Option<PathBuf>,
    /// TLS, for poll, read and write: the name the slave's certificate must carry, when
    /// it is not the host of --connect (a certificate for plc.local reached by IP
    /// address).
    #[arg(long = "server-name", value_name = "NAME", requires = "tls")]
    pub(crate) server_name: Option<String>,
}

impl TlsArgs {
    /// The settings the flags name, or `None` without `--tls`.
    pub(crate) fn settings(&self) -> Result<Option<TlsSettings>, Failure> {
        if !self.tls {
            return Ok(None);
        }
        let (Some(cert), Some(key), Some(ca)) = (&self.cert, &self.key, &self.ca) else {
            return Err(Failure::usage("--tls needs --cert, --key and --ca"));
        };
        let settings = TlsSettings::from_pem_files(cert, key, ca)
            .map_err(|e| Failure::usage(format!("--tls: {e}")))?;
        Ok(Some(match &self.server_name {
            Some(name) => settings.server_name(name.clone()),
            None => settings,
        }))
    }

    /// A slave's TLS settings: `--server-name` names the slave's certificate for a
    /// master, so a slave refuses it.
    pub(crate) fn slave_settings(&self) -> Result<Option<TlsSettings>, Failure> {
        if self.server_name.is_some() {
            return Err(Failure::usage(
                "--server-name is for poll, read and write: it is the name a master expects \
                 on the slave's certificate; serve presents its own certificate (--cert), \
                 so drop --server-name",
            ));
        }
        self.settings()
    }

    /// Refuses TLS together with a serial line or RTU over TCP.
    pub(crate) fn check_link(&self, serial: bool, rtu_over_tcp: bool) -> Result<(), Failure> {
        if self.tls && (serial || rtu_over_tcp) {
            return Err(Failure::usage(
                "--tls is Modbus/TCP Security: it does not go with --serial or --rtu-over-tcp",
            ));
        }
        Ok(())
    }
}

/// The port `msm serve` listens on and masters connect to by default: 5020 for
/// Modbus/TCP and 8020 with `--tls`, ten times the standard ports (502, and 802 for
/// mbaps), which need privileges.
const DEFAULT_PORT: u16 = 5020;
const DEFAULT_TLS_PORT: u16 = MBAPS_PORT * 10;

/// Where `serve` listens and masters connect unless told: 127.0.0.1:5020, or
/// 127.0.0.1:8020 with `--tls`.
pub(crate) fn default_addr(tls: &TlsArgs) -> String {
    let port = if tls.tls {
        DEFAULT_TLS_PORT
    } else {
        DEFAULT_PORT
    };
    format!("127.0.0.1:{port}")
}
/// The map's `[roles]` on a TLS slave; without TLS they cannot apply (no client has a
/// role), which is said once.
pub(crate) fn with_roles(slave: Slave, tls: &TlsArgs, map: &Map) -> Slave {
    match map.roles() {
        Some(roles) if tls.tls => slave.roles(roles.clone()),
        Some(_) => {
            tracing::warn!(
                "the map's [roles] apply to --tls only: without TLS no client has a role, \
                 so every client may do everything"
            );
            slave
        }
        None => slave,
    }
}
