//! Where the broker is and how to talk to it: host and port from an `mqtt://` or
//! `mqtts://` url, TLS certificates, credentials, client id and protocol version.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// The MQTT version spoken to the broker.
///
/// MQTT 5 is the default: with it a retained `/set` is recognised as one even when it is
/// published while the bridge is connected (retain-as-published), the broker says when
/// another client took the bridge's client id over, honours the message expiry a
/// publisher sets, and keeps the session for a bounded time. MQTT 3.1.1 is for brokers
/// that do not speak 5; it lacks those (a retained set is then recognised only when the
/// broker sends it at subscription, a takeover only guessed from the broker closing the
/// connection).
///
/// ```
/// use msm_mqtt::{Broker, Protocol};
/// let old = Broker::parse("mqtt://127.0.0.1:1883")?.protocol(Protocol::V3_1_1);
/// assert!(format!("{old:?}").contains("V3_1_1"));
/// assert_eq!("3.1.1".parse::<Protocol>()?, Protocol::V3_1_1);
/// # Ok::<(), msm_mqtt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// MQTT 5.
    #[default]
    V5,
    /// MQTT 3.1.1.
    V3_1_1,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::V5 => "MQTT 5",
            Protocol::V3_1_1 => "MQTT 3.1.1",
        })
    }
}

impl std::str::FromStr for Protocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Protocol, Error> {
        match s.trim() {
            "5" | "5.0" | "v5" => Ok(Protocol::V5),
            "3.1.1" | "4" | "v4" | "v3.1.1" => Ok(Protocol::V3_1_1),
            other => Err(Error::Config(format!(
                "MQTT protocol {other:?} is not one msm speaks: use \"5\" (the default) or \"3.1.1\""
            ))),
        }
    }
}

/// TLS to the broker (`mqtts://`): the certificate authorities its certificate is checked
/// against, and the bridge's own certificate and key if the broker asks for one, as PEM.
///
/// ```
/// # let ca_pem = b"-----BEGIN CERTIFICATE-----\n...".to_vec();
/// let tls = msm_mqtt::Tls::new(ca_pem);
/// # let _ = tls;
/// ```
#[derive(Clone)]
pub struct Tls {
    pub(crate) ca: Vec<u8>,
    pub(crate) client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

impl Tls {
    /// Checks the broker's certificate against the authorities in `ca_pem`.
    pub fn new(ca_pem: Vec<u8>) -> Tls {
        Tls {
            ca: ca_pem,
            client_auth: None,
        }
    }

    /// Presents `cert_pem` (with its private key `key_pem`) to brokers that ask for a
    /// client certificate.
    ///
    /// ```
    /// # let (ca, cert, key) = (Vec::new(), Vec::new(), Vec::new());
    /// let tls = msm_mqtt::Tls::new(ca).client_auth(cert, key);
    /// # let _ = tls;
    /// ```
    pub fn client_auth(mut self, cert_pem: Vec<u8>, key_pem: Vec<u8>) -> Tls {
        self.client_auth = Some((cert_pem, key_pem));
        self
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a key.
        f.debug_struct("Tls")
            .field("client_auth", &self.client_auth.is_some())
            .finish_non_exhaustive()
    }
}

/// How to reach the broker.
///
/// ```
/// let broker = msm_mqtt::Broker::parse("mqtt://user:secret@127.0.0.1:1884")?
///     .client_id("boiler-room-1");
/// assert_eq!((broker.host(), broker.port()), ("127.0.0.1", 1884));
/// assert!(format!("{broker:?}").contains("boiler-room-1"));
/// assert!(!format!("{broker:?}").contains("secret"));
/// # Ok::<(), msm_mqtt::Error>(())
/// ```
#[derive(Clone)]
pub struct Broker {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<Tls>,
    pub(crate) client_id: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) protocol: Protocol,
    pub(crate) keep_alive: Duration,
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// The broker at `host:port`, plain MQTT, client id `msm-<hostname>`.
    ///
    /// ```
    /// let broker = msm_mqtt::Broker::new("127.0.0.1", 1883);
    /// assert!(format!("{broker:?}").contains("client_id: \"msm-"));
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Broker {
        Broker {
            host: host.into(),
            port,
            tls: None,
            client_id: format!("msm-{}", gethostname::gethostname().to_string_lossy()),
            username: None,
            password: None,
            protocol: Protocol::default(),
            keep_alive: Duration::from_secs(10),
        }
    }

    /// The broker of `mqtt://[user[:password]@]host[:port]` (port 1883 by default), or
    /// `mqtts://...` for TLS (port 8883 by default; give the CAs with [`tls`](Self::tls),
    /// or the system's are used).
    ///
    /// ```
    /// let b = msm_mqtt::Broker::parse("mqtts://broker.example")?;
    /// assert_eq!(b.port(), 8883);
    /// assert!(msm_mqtt::Broker::parse("http://x").is_err());
    /// # Ok::<(), msm_mqtt::Error>(())
    /// ```
    pub fn parse(url: &str) -> Result<Broker, Error> {
        let bad = |why: String| Error::Url {
            url: url.to_string(),
            why,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let (default_port, secure) = match parsed.scheme() {
            "mqtt" | "tcp" => (1883, false),
            "mqtts" | "ssl" => (8883, true),
            other => return Err(bad(format!("the scheme {other:?} is not MQTT"))),
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("there is no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let mut broker = Broker::new(host, parsed.port().unwrap_or(default_port));
        if !parsed.username().is_empty() {
            broker.username = Some(parsed.username().to_string());
            broker.password = parsed.password().map(str::to_string);
        }
        if secure {
            broker.tls = Some(Tls::new(Vec::new()));
        }
        Ok(broker)
    }

    /// The client id: fixed, and unique per broker (the broker keeps the bridge's session
    /// under it; a second client with the same id takes the session over).
    pub fn client_id(mut self, id: impl Into<String>) -> Broker {
        self.client_id = id.into();
        self
    }

    /// The user name and password (they override the url's).
    ///
    /// ```
    /// let b = msm_mqtt::Broker::new("127.0.0.1", 1883).credentials("gw", "secret");
    /// # let _ = b;
    /// ```
    pub fn credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Broker {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// TLS with these certificates (an `mqtts://` url without it uses the system's CAs).
    ///
    /// ```
    /// # let ca_pem = Vec::new();
    /// let b = msm_mqtt::Broker::new("broker.example", 8883).tls(msm_mqtt::Tls::new(ca_pem));
    /// assert!(b.is_tls());
    /// ```
    pub fn tls(mut self, tls: Tls) -> Broker {
        self.tls = Some(tls);
        self
    }

    /// The MQTT version (default 5; see [`Protocol`]).
    pub fn protocol(mut self, protocol: Protocol) -> Broker {
        self.protocol = protocol;
        self
    }

    /// How often the connection is checked when quiet (default 10 s); a dead broker is
    /// noticed within one and a half of it.
    ///
    /// ```
    /// let b = msm_mqtt::Broker::new("127.0.0.1", 1883).keep_alive(std::time::Duration::from_secs(30));
    /// # let _ = b;
    /// ```
    pub fn keep_alive(mut self, every: Duration) -> Broker {
        self.keep_alive = every.max(Duration::from_secs(1));
        self
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// True for TLS (`mqtts://`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// `host:port`, for messages.
    pub(crate) fn name(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The system's CAs when TLS was asked for by the url without any given.
    pub(crate) fn tls_transport(&self) -> Result<Option<rumqttc::Transport>, Error> {
        let Some(tls) = &self.tls else {
            return Ok(None);
        };
        let ca = if tls.ca.is_empty() {
            std::fs::read(SYSTEM_CAS).map_err(|e| {
                Error::Config(format!(
                    "TLS to {} without CAs given, and the system's {SYSTEM_CAS} cannot be read \
                     ({e}): give the broker's CA (Tls::new, or ca = \"ca.pem\" in [mqtt])",
                    self.name()
                ))
            })?
        } else {
            tls.ca.clone()
        };
        // rustls with ring: the one crypto provider of this build (installing it twice,
        // for a second bridge in the process, changes nothing).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Some(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: tls.client_auth.clone(),
            },
        )))
    }
}

/// The system's certificate authorities (Debian's ca-certificates).
pub const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";
