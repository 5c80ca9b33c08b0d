//! Modbus/TCP Security (mbaps): the unchanged MBAP frame inside TLS 1.2 or 1.3 with
//! mutual authentication, on rustls with the ring provider.
//!
//! [`TlsSettings`] holds one side's certificate chain and key, the CA(s) it trusts for
//! its peer, and optionally a pinned peer certificate; `Master::tls` and `Slave::tls`
//! take it. The slave requires a client certificate, reads the client's role from it
//! ([`role_of`]) and authorizes every request by that role (`Slave::roles`,
//! `Slave::authorize`). `docs/security.md` maps the specification's requirements.
//!
//! ```
//! use msm::transport::tls::TlsSettings;
//! use msm::{Master, Memory, Slave};
//! use msm::transport::tls::Pki;
//! let pki = Pki::new(&["viewer"], &[])?; // or TlsSettings::from_pem_files(..) on each side
//! let (server, client) = (pki.server(), pki.client("viewer")?);
//! let slave = Slave::tls("127.0.0.1:0", server).serve(Memory::new(4))?;
//! let master = Master::tls(slave.local_addr(), client).start(Memory::new(4))?;
//! master.sync()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod pinned;
mod pki;
mod pki_builder;
mod role;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use pki::{Issued, Pki};
pub use pki_builder::{DEFAULT_VALIDITY, PkiBuilder};
pub use role::{ROLE_OID, RoleError, role_of};
pub use rustls::{ClientConfig, ServerConfig};
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::types::{Error, Result};

/// The TLS port the specification registers for Modbus/TCP Security.
///
/// ```
/// assert_eq!(msm::transport::tls::MBAPS_PORT, 802);
/// ```
pub const MBAPS_PORT: u16 = 802;

/// One side's TLS identity and trust: its certificate chain and private key, the CA
/// certificates it accepts its peer's chain from, and optionally the one certificate
/// its peer must present (a device with a self-signed certificate).
///
/// ```
/// use msm::transport::tls::TlsSettings;
/// let err = TlsSettings::from_pem_files("no/cert.pem", "no/key.pem", "no/ca.pem").unwrap_err();
/// assert!(err.to_string().contains("no/cert.pem"));
/// ```
#[derive(Clone)]
pub struct TlsSettings {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    roots: Vec<CertificateDer<'static>>,
    pinned: Option<CertificateDer<'static>>,
    server_name: Option<String>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("chain", &self.chain.len())
            .field("roots", &self.roots.len())
            .field("pinned", &self.pinned.is_some())
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// Settings from in-memory DER: own chain (end-entity first) and key. Add the CA(s)
    /// to trust with [`trust`](Self::trust), or pin the peer with
    /// [`pin_peer`](Self::pin_peer).
    ///
    /// ```
    /// use msm::transport::tls::{CertificateDer, PrivateKeyDer, TlsSettings};
    /// let key = rcgen::KeyPair::generate()?;
    /// let cert = rcgen::CertificateParams::new(vec!["plc.local".into()])?.self_signed(&key)?;
    /// let settings = TlsSettings::new(
    ///     vec![cert.der().clone()],
    ///     PrivateKeyDer::try_from(key.serialize_der())?,
    /// )
    /// .pin_peer(CertificateDer::from(cert.der().to_vec()));
    /// # let _ = settings;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> TlsSettings {
        TlsSettings {
            chain,
            key: Arc::new(key),
            roots: Vec::new(),
            pinned: None,
            server_name: None,
        }
    }

    /// Settings from PEM text: own chain (end-entity first), key (PKCS#8, PKCS#1 or
    /// SEC1) and the CA certificate(s) trusted for the peer.
    ///
    /// ```
    /// use msm::transport::tls::TlsSettings;
    /// let err = TlsSettings::from_pem(b"", b"", b"").unwrap_err();
    /// assert!(err.to_string().contains("no certificate"));
    /// ```
    pub fn from_pem(cert: &[u8], key: &[u8], ca: &[u8]) -> Result<TlsSettings> {
        let chain = certs(cert, "the certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
            Error::Config(format!(
                "the private key: {e}: give a PEM file with one PRIVATE KEY block"
            ))
        })?;
        let roots = certs(ca, "the CA")?;
        Ok(TlsSettings {
            roots,
            ..TlsSettings::new(chain, key)
        })
    }

    /// Settings from PEM files: own chain, own key, and the CA(s) trusted for the peer.
    ///
    /// ```no_run
    /// use msm::transport::tls::TlsSettings;
    /// let tls = TlsSettings::from_pem_files("certs/server.pem", "certs/server.key", "certs/ca.pem")?;
    /// let slave = msm::Slave::tls("0.0.0.0:802", tls).serve(msm::Memory::new(16))?;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
        ca: impl AsRef<Path>,
    ) -> Result<TlsSettings> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| Error::Io {
                context: format!("cannot read {}", path.display()),
                source: e,
            })
        };
        let name = |path: &Path, e: Error| {
            Error::Config(format!("{}: {}", path.display(), strip_config(e)))
        };
        let (cert, key, ca) = (cert.as_ref(), key.as_ref(), ca.as_ref());
        let chain = certs(&read(cert)?, "the certificate").map_err(|e| name(cert, e))?;
        let key_der = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| {
            Error::Config(format!(
                "{}: {e}: give a PEM file with one PRIVATE KEY block",
                key.display()
            ))
        })?;
        let roots = certs(&read(ca)?, "the CA").map_err(|e| name(ca, e))?;
        Ok(TlsSettings {
            roots,
            ..TlsSettings::new(chain, key_der)
        })
    }

    /// Also trusts `ca` for the peer's chain (certificate rotation: trust the old and
    /// the new CA for a while).
    ///
    /// ```
    /// # let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// # let new_ca = pki.ca_der();
    /// let settings = pki.server().trust(new_ca);
    /// # let _ = settings;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn trust(mut self, ca: CertificateDer<'static>) -> Self {
        self.roots.push(ca);
        self
    }

    /// Accepts exactly this peer certificate, and no other, instead of checking the
    /// chain against the CAs (master side: a device with a self-signed certificate).
    /// The handshake still proves the peer holds its key; the server name is not checked.
    /// Masters only: a slave given it refuses to start.
    ///
    /// ```
    /// # let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// let client = pki.client("viewer")?.pin_peer(pki.server_der());
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pin_peer(mut self, cert: CertificateDer<'static>) -> Self {
        self.pinned = Some(cert);
        self
    }

    /// Master side: the name the slave's certificate must carry (default: the host of
    /// the address connected to, an IP address or a DNS name). Connecting by IP address
    /// needs the certificate to list that IP; with a DNS name in the certificate, give
    /// it here. Masters only: a slave given it refuses to start.
    ///
    /// ```
    /// # let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// let client = pki.client("viewer")?.server_name("plc.local"); // connects to 10.0.0.5:802
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The role this side's certificate carries (its end-entity, read as a slave reads
    /// it: [`role_of`]); `Ok(None)` without a role extension. A master uses it to say
    /// which role a slave refused.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// assert_eq!(pki.client("viewer")?.role()?, Some("viewer".to_string()));
    /// assert_eq!(pki.server().role()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn role(&self) -> Result<Option<String>, RoleError> {
        match self.chain.first() {
            Some(cert) => role_of(cert),
            None => Ok(None),
        }
    }

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    fn root_store(&self) -> Result<RootCertStore> {
        if self.roots.is_empty() {
            return Err(Error::Config(
                "no CA certificate to check the peer with: give the CA that issued its \
                 certificate (--ca), or pin the peer's certificate"
                    .into(),
            ));
        }
        let mut store = RootCertStore::empty();
        for ca in &self.roots {
            store
                .add(ca.clone())
                .map_err(|e| Error::Config(format!("a CA certificate cannot be used: {e}")))?;
        }
        Ok(store)
    }

    /// The master's (client's) rustls configuration: TLS 1.2 and 1.3 only, its
    /// certificate sent, the slave's checked against the CAs or the pinned certificate.
    /// For programs that drive their own TLS streams with these settings.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// let config = pki.client("viewer")?.client_config()?;
    /// assert!(config.client_auth_cert_resolver.has_certs());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn client_config(&self) -> Result<Arc<ClientConfig>> {
        let provider = Self::provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(tls_config)?;
        let builder = match &self.pinned {
            Some(pinned) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(pinned::Pinned::new(
                    pinned.clone(),
                    provider,
                ))),
            None => builder.with_root_certificates(self.root_store()?),
        };
        let config = builder
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())
            .map_err(tls_config)?;
        Ok(Arc::new(config))
    }

    /// The slave's (server's) rustls configuration: TLS 1.2 and 1.3 only, and a client
    /// certificate required, checked against the CAs.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// let config = pki.server().server_config()?;
    /// let acceptor = tokio_rustls::TlsAcceptor::from(config); // for a server of your own
    /// # let _ = acceptor;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        if self.pinned.is_some() || self.server_name.is_some() {
            return Err(Error::Config(
                "pin_peer and server_name apply to masters: a slave checks its clients' \
                 certificates against the CA(s) it trusts; remove them, or trust the \
                 client's certificate with trust()"
                    .into(),
            ));
        }
        let provider = Self::provider();
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::new(self.root_store()?),
            provider.clone(),
        )
        .build()
        .map_err(|e| Error::Config(format!("cannot check client certificates: {e}")))?;
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(tls_config)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(tls_config)?;
        Ok(Arc::new(config))
    }

    /// The name the master checks the slave's certificate against.
    fn name_for(&self, addr: &str) -> io::Result<ServerName<'static>> {
        let host = match &self.server_name {
            Some(name) => name.as_str(),
            None => addr
                .rsplit_once(':')
                .map_or(addr, |(host, _)| host)
                .trim_start_matches('[')
                .trim_end_matches(']'),
        };
        ServerName::try_from(host.to_string()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{host:?} is not a server name ({e}): give one with TlsSettings::server_name"
                ),
            )
        })
    }
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "{what}: no certificate found: give a PEM file with a CERTIFICATE block"
        )));
    }
    Ok(certs)
}

fn strip_config(e: Error) -> String {
    match e {
        Error::Config(text) => text,
        other => other.to_string(),
    }
}

fn tls_config(e: rustls::Error) -> Error {
    Error::Config(format!(
        "the TLS settings are not usable: {e}: check that the key matches the certificate"
    ))
}

/// A master's TLS link: connects, then makes the handshake, both within `timeout`.
pub(crate) async fn connect(
    addr: &str,
    settings: &TlsSettings,
    config: &Arc<ClientConfig>,
    timeout: Duration,
) -> io::Result<(
    tokio_rustls::client::TlsStream<TcpStream>,
    Option<SocketAddr>,
)> {
    let name = settings.name_for(addr)?;
    let (tcp, peer) = super::link::connect_tcp(addr, timeout).await?;
    let handshake = TlsConnector::from(config.clone()).connect(name, tcp);
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no TLS handshake within {timeout:?}"),
            )
        })?
        .map_err(|e| io::Error::new(e.kind(), format!("TLS handshake failed: {e}")))?;
    Ok((stream, peer))
}

/// A slave's TLS connection, its handshake done and its client's role read.
pub(crate) struct Accepted {
    pub(crate) stream: tokio_rustls::server::TlsStream<TcpStream>,
    /// `None`: the NULL role (no role extension).
    pub(crate) role: Option<String>,
}

/// Makes a slave's handshake with a client within `timeout` and reads its role; the
/// error says why the client is refused.
pub(crate) async fn accept(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    timeout: Duration,
) -> std::result::Result<Accepted, String> {
    let stream = tokio::time::timeout(timeout, acceptor.accept(tcp))
        .await
        .map_err(|_| format!("no TLS handshake within {timeout:?}"))?
        .map_err(|e| format!("TLS handshake failed: {}", explain(&e)))?;
    let role = {
        let (_, conn) = stream.get_ref();
        let cert = conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .ok_or("the client sent no certificate")?;
        role_of(cert).map_err(|e| e.to_string())?
    };
    Ok(Accepted { stream, role })
}

/// A handshake error, with what it usually means for a Modbus client.
fn explain(e: &io::Error) -> String {
    let text = e.to_string();
    let hint = if text.contains("InvalidContentType") || text.contains("corrupt message") {
        "the client does not speak TLS (a plaintext Modbus/TCP client on the TLS port?)"
    } else if text.contains("NoCertificatesPresented") || text.contains("no certificates") {
        "the client sent no certificate: mutual authentication is required (R-02)"
    } else if text.contains("ProtocolVersion") || text.contains("incompatible") {
        "the client offers no TLS version this slave accepts (1.2 or 1.3 only, R-34/R-35)"
    } else if text.contains("handshake eof") || text.contains("reset by peer") {
        "the client closed the connection during the handshake (does it trust this slave's \
         certificate and name?)"
    } else {
        return text;
    };
    format!("{text}: {hint}")
}

/// The acceptor a TLS slave's connections share.
pub(crate) fn acceptor(settings: &TlsSettings) -> Result<TlsAcceptor> {
    Ok(TlsAcceptor::from(settings.server_config()?))
}
