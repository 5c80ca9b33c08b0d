//! The `--web` flags of `msm serve` and `msm poll`, and where they bind.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use clap::Args;
use clap::builder::TypedValueParser as _;

/// A live web view of the variables (flattened into `serve` and `poll`).
#[derive(Args, Debug, Clone)]
pub(crate) struct WebArgs {
    /// Serve a live web view of the variables at ADDR (a port alone binds loopback;
    /// `--web` alone is 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    pub(crate) web: Option<String>,
    /// Let the web view write variables (off by default).
    #[arg(long = "web-writable", requires = "web")]
    pub(crate) web_writable: bool,
    /// Require this token from web clients, as `Authorization: Bearer TOKEN` or `?token=TOKEN`.
    #[arg(long = "web-token", value_name = "TOKEN", requires = "web")]
    pub(crate) web_token: Option<String>,
    /// Serve at most N live pages (event streams) at once; one more is refused (503).
    #[arg(long = "web-max-clients", value_name = "N", default_value_t = msm_web::DEFAULT_MAX_CLIENTS,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "web")]
    pub(crate) web_max_clients: usize,
}

impl Default for WebArgs {
    fn default() -> Self {
        WebArgs {
            web: None,
            web_writable: false,
            web_token: None,
            web_max_clients: msm_web::DEFAULT_MAX_CLIENTS,
        }
    }
}

/// Why `--web ADDR` cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebAddrError {
    /// Not `HOST:PORT`, `PORT` or `:PORT`, or the host does not resolve.
    #[error(
        "--web {given:?}: {reason}; give HOST:PORT (127.0.0.1:8080, [::1]:8080) or a port alone for loopback"
    )]
    Bad {
        /// The text given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// `--web` text to a socket address: `PORT` and `:PORT` mean loopback.
pub(crate) fn parse_addr(text: &str) -> Result<SocketAddr, WebAddrError> {
    let bad = |reason: String| WebAddrError::Bad {
        given: text.to_string(),
        reason,
    };
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let mut found = text
        .to_socket_addrs()
        .map_err(|e| bad(format!("not an address ({e})")))?;
    found
        .next()
        .ok_or_else(|| bad("the host name resolves to no address".to_string()))
}

/// The warning printed when the view is reachable from other hosts without a token.
pub(crate) fn exposure_warning(addr: SocketAddr, token: bool, writable: bool) -> Option<String> {
    if addr.ip().is_loopback() || token {
        return None;
    }
    let what = if writable { "read and write" } else { "read" };
    Some(format!(
        "WARNING: the web view on {addr} has no authentication: anyone who reaches it can \
         {what} the variables; give --web-token TOKEN or bind 127.0.0.1"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_alone_binds_loopback() {
        for text in ["8081", ":8081"] {
            let addr = parse_addr(text).expect("valid");
            assert_eq!(addr, "127.0.0.1:8081".parse().expect("addr"));
        }
        assert_eq!(
            parse_addr("[::1]:9").expect("valid"),
            "[::1]:9".parse().expect("addr")
        );
        let err = parse_addr("nowhere").expect_err("no port").to_string();
        assert!(
            err.contains("--web \"nowhere\"") && err.contains("HOST:PORT"),
            "{err}"
        );
    }

    #[test]
    fn only_an_open_unauthenticated_bind_warns() {
        let lo = "127.0.0.1:8080".parse().expect("addr");
        let any = "0.0.0.0:8080".parse().expect("addr");
        assert_eq!(exposure_warning(lo, false, true), None);
        assert_eq!(exposure_warning(any, true, true), None);
        let w = exposure_warning(any, false, true).expect("a warning");
        assert!(
            w.contains("no authentication") && w.contains("read and write"),
            "{w}"
        );
        assert!(w.contains("--web-token"), "{w}");
    }
}
