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
    /// 127.0.0.1:802 unless --listen says otherwise.
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
    /// TLS, masters: the name the slave's certificate must carry, when it is not the
    /// host of --connect (a certificate for plc.local reached by IP address).
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

/// Where `serve` listens: --listen, else 127.0.0.1:802 with --tls, else 127.0.0.1:5020.
pub(crate) fn listen_addr(listen: Option<&str>, tls: &TlsArgs) -> String {
    match listen {
        Some(addr) => addr.to_string(),
        None if tls.tls => format!("127.0.0.1:{MBAPS_PORT}"),
        None => "127.0.0.1:5020".to_string(),
    }
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
