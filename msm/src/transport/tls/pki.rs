//! A throw-away certificate authority for trying mbaps and for tests: a CA, a server
//! certificate and client certificates carrying roles, made with rcgen (ECDSA P-256,
//! R-61/R-62). Not for production: its keys live in files without protection.
//!
//! Each CA has a name of its own (a certificate from another run is then refused as
//! from an unknown issuer, not as a bad signature), and every certificate is valid for
//! a year unless [`PkiBuilder::valid_for`] says otherwise.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use super::pki_builder::Validity;
use super::{CertificateDer, PkiBuilder, PrivateKeyDer, TlsSettings};
use crate::types::{Error, Result};

/// The role extension's OID as rcgen takes it.
const ROLE_ARCS: [u64; 9] = [1, 3, 6, 1, 4, 1, 50316, 802, 1];

/// A certificate and its key, PEM-encoded.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PEM, PKCS#8).
    pub key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

/// A throw-away PKI: a CA, a server certificate for the given host names and
/// addresses, and one client certificate per role.
///
/// ```
/// use msm::transport::tls::Pki;
/// use msm::{Master, Memory, Slave};
/// let pki = Pki::new(&["viewer"], &[])?;                 // server for localhost, 127.0.0.1, ::1
/// let slave = Slave::tls("127.0.0.1:0", pki.server()).serve(Memory::new(4))?;
/// let master = Master::tls(slave.local_addr(), pki.client("viewer")?).start(Memory::new(4))?;
/// master.sync()?;
/// # Ok::<(), msm::Error>(())
/// ```
pub struct Pki {
    issuer: Issuer<'static, KeyPair>,
    ca: Issued,
    ca_name: String,
    server: Issued,
    clients: Vec<(String, Issued)>,
    validity: Validity,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles: Vec<&str> = self.clients.iter().map(|(r, _)| r.as_str()).collect();
        f.debug_struct("Pki")
            .field("roles", &roles)
            .finish_non_exhaustive()
    }
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::Config(format!("cannot make a certificate: {e}"))
}

fn named(cn: &str, sans: Vec<String>) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(sans).map_err(rcgen_error)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    Ok(params)
}

impl Pki {
    /// A new CA, a server certificate for `hosts` (DNS names or IP addresses; localhost,
    /// 127.0.0.1 and ::1 when empty) and a client certificate for each role.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&["operator", "viewer"], &["plc.local"])?;
    /// assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn new(roles: &[&str], hosts: &[&str]) -> Result<Pki> {
        Pki::builder().roles(roles).hosts(hosts).build()
    }

    /// Sets up a PKI with more settings than [`new`](Self::new) takes: its validity.
    pub fn builder() -> PkiBuilder {
        PkiBuilder::new()
    }

    pub(super) fn make(roles: &[&str], hosts: &[&str], validity: Validity) -> Result<Pki> {
        let ca_key = KeyPair::generate().map_err(rcgen_error)?;
        // A name of its own, from its key: a client certificate of another run names
        // an issuer nobody trusts here, and is refused as such (UnknownIssuer).
        let ca_name = format!("msm throw-away CA {}", key_tag(&ca_key));
        let mut ca_params = named(&ca_name, Vec::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        validity.apply(&mut ca_params);
        let ca_cert = ca_params.self_signed(&ca_key).map_err(rcgen_error)?;
        let ca = Issued {
            cert_pem: ca_cert.pem(),
            key_pem: ca_key.serialize_pem(),
            der: ca_cert.der().clone(),
            key_der: ca_key.serialize_der(),
        };
        let issuer = Issuer::new(ca_params, ca_key);
        let hosts: Vec<String> = if hosts.is_empty() {
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
        } else {
            hosts.iter().map(|h| h.to_string()).collect()
        };
        let mut server = named("msm slave", Vec::new())?;
        server.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => h
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(rcgen_error),
            })
            .collect::<Result<_>>()?;
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity.apply(&mut server);
        let mut pki = Pki {
            server: Self::issue(&issuer, server)?,
            issuer,
            ca,
            ca_name,
            clients: Vec::new(),
            validity,
        };
        for role in roles {
            let issued = pki.issue_client(Some(role))?;
            pki.clients.push((role.to_string(), issued));
        }
        Ok(pki)
    }

    fn issue(issuer: &Issuer<'static, KeyPair>, params: CertificateParams) -> Result<Issued> {
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let cert = params.signed_by(&key, issuer).map_err(rcgen_error)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        })
    }

    /// A new client certificate with `role` (none: the NULL role), signed by the CA.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// let anonymous = pki.issue_client(None)?;
    /// assert!(anonymous.key_pem.contains("PRIVATE KEY"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn issue_client(&self, role: Option<&str>) -> Result<Issued> {
        let mut params = named(
            &format!("msm client {}", role.unwrap_or("(no role)")),
            Vec::new(),
        )?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.validity.apply(&mut params);
        if let Some(role) = role {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &ROLE_ARCS,
                    utf8_string_der(role)?,
                ));
        }
        Self::issue(&self.issuer, params)
    }

    fn settings(&self, issued: &Issued) -> TlsSettings {
        // rcgen writes keys as PKCS#8.
        let key = PrivateKeyDer::Pkcs8(issued.key_der.clone().into());
        TlsSettings::new(vec![issued.der.clone()], key).trust(self.ca_der())
    }

    /// The slave's settings: the server certificate, trusting the CA for clients.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// let slave = msm::Slave::tls("127.0.0.1:0", pki.server()).serve(msm::Memory::new(1))?;
    /// # drop(slave);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn server(&self) -> TlsSettings {
        self.settings(&self.server)
    }

    /// A master's settings with the client certificate of `role` (made by [`new`](Self::new)
    /// or, for another role, issued now), trusting the CA for the slave.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// let viewer = pki.client("viewer")?;
    /// let other = pki.client("auditor")?;        // issued on demand
    /// # let _ = (viewer, other);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn client(&self, role: &str) -> Result<TlsSettings> {
        match self.clients.iter().find(|(r, _)| r == role) {
            Some((_, issued)) => Ok(self.settings(issued)),
            None => Ok(self.settings(&self.issue_client(Some(role))?)),
        }
    }

    /// A master's settings for a certificate issued by this CA: [`issue_client`](Self::issue_client).
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// let no_role = pki.client_settings(&pki.issue_client(None)?);
    /// # let _ = no_role;
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn client_settings(&self, issued: &Issued) -> TlsSettings {
        self.settings(issued)
    }

    /// The CA's name (its subject's common name): `msm throw-away CA` and a tag of its
    /// own, different for every PKI.
    ///
    /// ```
    /// use msm::transport::tls::Pki;
    /// let (a, b) = (Pki::new(&[], &[])?, Pki::new(&[], &[])?);
    /// assert!(a.ca_name().starts_with("msm throw-away CA "));
    /// assert_ne!(a.ca_name(), b.ca_name());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn ca_name(&self) -> &str {
        &self.ca_name
    }

    /// When its certificates stop being valid (those issued later too).
    ///
    /// ```
    /// use msm::transport::tls::{DEFAULT_VALIDITY, Pki};
    /// use std::time::SystemTime;
    /// let pki = Pki::new(&[], &[])?;
    /// let left = pki.valid_until().duration_since(SystemTime::now()).expect("in the future");
    /// assert!(left <= DEFAULT_VALIDITY && left > DEFAULT_VALIDITY / 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn valid_until(&self) -> SystemTime {
        self.validity.until()
    }

    /// The CA certificate (DER).
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// assert!(!pki.ca_der().is_empty());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.der.clone()
    }

    /// The CA certificate (PEM).
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// assert!(pki.ca_pem().contains("CERTIFICATE"));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn ca_pem(&self) -> &str {
        &self.ca.cert_pem
    }

    /// The server certificate (DER), to pin on a master.
    ///
    /// ```
    /// let pki = msm::transport::tls::Pki::new(&[], &[])?;
    /// assert_ne!(pki.server_der(), pki.ca_der());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn server_der(&self) -> CertificateDer<'static> {
        self.server.der.clone()
    }

    /// Writes `ca.pem`, `ca.key`, `server.pem`, `server.key` and `client-ROLE.pem` /
    /// `client-ROLE.key` per role into `dir` (made if missing); returns the paths written.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("msm-pki-doc-{}", std::process::id()));
    /// let pki = msm::transport::tls::Pki::new(&["viewer"], &[])?;
    /// let written = pki.write_to(&dir)?;
    /// assert!(written.iter().any(|p| p.ends_with("client-viewer.key")));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            context: format!("cannot make the directory {}", dir.display()),
            source: e,
        })?;
        let mut files = vec![("ca", &self.ca), ("server", &self.server)];
        let names: Vec<String> = self
            .clients
            .iter()
            .map(|(r, _)| format!("client-{r}"))
            .collect();
        files.extend(
            names
                .iter()
                .map(String::as_str)
                .zip(self.clients.iter().map(|(_, i)| i)),
        );
        let mut written = Vec::new();
        for (name, issued) in files {
            for (ext, text) in [("pem", &issued.cert_pem), ("key", &issued.key_pem)] {
                let path = dir.join(format!("{name}.{ext}"));
                std::fs::write(&path, text).map_err(|e| Error::Io {
                    context: format!("cannot write {}", path.display()),
                    source: e,
                })?;
                written.push(path);
            }
        }
        Ok(written)
    }
}

/// Eight hex digits from a key's public point: a tag that tells one CA from another.
fn key_tag(key: &KeyPair) -> String {
    // The point is 04 || X || Y; X's bytes are as random as the key.
    key.public_key_raw()
        .iter()
        .skip(1)
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `role` as a DER UTF8String (tag 0x0C, length, bytes).
fn utf8_string_der(role: &str) -> Result<Vec<u8>> {
    let len = role.len();
    let mut der = vec![0x0C];
    match len {
        0..=0x7F => der.push(len as u8),
        0x80..=0xFF => der.extend([0x81, len as u8]),
        0x100..=0xFFFF => der.extend([0x82, (len >> 8) as u8, len as u8]),
        _ => return Err(Error::Config(format!("a role of {len} bytes is too long"))),
    }
    der.extend_from_slice(role.as_bytes());
    Ok(der)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The validity of a certificate: (not before, not after) in Unix seconds.
    fn validity_of(der: &[u8]) -> (i64, i64) {
        let (_, cert) = x509_parser::parse_x509_certificate(der).expect("X.509");
        let v = cert.validity();
        (v.not_before.timestamp(), v.not_after.timestamp())
    }

    fn unix_now() -> i64 {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        i64::try_from(secs).expect("in range")
    }

    #[test]
    fn every_certificate_is_valid_for_a_year_from_now_by_default() {
        let pki = Pki::new(&["viewer"], &[]).expect("pki");
        let client = pki.issue_client(None).expect("client");
        let now = unix_now();
        let year = 365 * 24 * 3600;
        for der in [pki.ca_der(), pki.server_der(), client.der.clone()] {
            let (from, until) = validity_of(&der);
            assert!(
                (now - 600..=now).contains(&from),
                "starts now: {from} vs {now}"
            );
            assert!(
                (now + year - 600..=now + year + 600).contains(&until),
                "a year: {until} vs {now}"
            );
        }
    }

    #[test]
    fn the_validity_is_a_setting() {
        let month = Duration::from_secs(30 * 24 * 3600);
        let pki = Pki::builder().valid_for(month).build().expect("pki");
        let (_, until) = validity_of(&pki.server_der());
        let expected = unix_now() + 30 * 24 * 3600;
        assert!((expected - 600..=expected + 600).contains(&until));
        let too_long = Pki::builder()
            .valid_for(Duration::from_secs(10_000 * 366 * 24 * 3600))
            .build();
        assert!(
            too_long
                .expect_err("past 9999")
                .to_string()
                .contains("year 9999")
        );
    }
}
