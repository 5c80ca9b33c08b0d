//! How long a [`Pki`]'s certificates are valid, and [`PkiBuilder`], which sets it.

use std::time::{Duration, SystemTime};

use rcgen::CertificateParams;

use super::Pki;
use crate::types::{Error, Result};

/// How long the certificates of a [`Pki`] are valid unless
/// [`PkiBuilder::valid_for`] says otherwise: 365 days.
///
/// ```
/// assert_eq!(msm::transport::tls::DEFAULT_VALIDITY.as_secs(), 365 * 24 * 3600);
/// ```
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// How far back the certificates' validity starts: a peer whose clock is a little
/// behind still accepts them.
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// When a PKI's certificates are valid, as rcgen takes it and as a caller reads it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Validity {
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    until: SystemTime,
}

impl Validity {
    /// From a few minutes ago (clock skew) until `valid_for` from now.
    pub(super) fn from_now(valid_for: Duration) -> Result<Validity> {
        if valid_for.is_zero() {
            return Err(Error::Config(
                "a certificate valid for 0 seconds is never valid: give a validity above zero \
                 (one year by default)"
                    .into(),
            ));
        }
        let now = SystemTime::now();
        let until = now.checked_add(valid_for);
        let date = |t: Option<SystemTime>| {
            let secs = t?.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
            time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
        };
        match (date(now.checked_sub(CLOCK_SKEW)), date(until), until) {
            (Some(not_before), Some(not_after), Some(until)) => Ok(Validity {
                not_before,
                not_after,
                until,
            }),
            _ => Err(Error::Config(format!(
                "a validity of {valid_for:?} runs past the year 9999, the last date a \
                 certificate can hold: give a shorter one"
            ))),
        }
    }

    /// When the certificates stop being valid.
    pub(super) fn until(&self) -> SystemTime {
        self.until
    }

    pub(super) fn apply(&self, params: &mut CertificateParams) {
        params.not_before = self.not_before;
        params.not_after = self.not_after;
    }
}

/// Sets up a [`Pki`]: the roles to issue client certificates for, the server's host
/// names and addresses, and how long the certificates are valid.
///
/// ```
/// use msm::transport::tls::Pki;
/// use std::time::{Duration, SystemTime};
/// let pki = Pki::builder()
///     .roles(&["operator"])
///     .hosts(&["plc.local", "10.0.0.5"])
///     .valid_for(Duration::from_secs(30 * 24 * 3600))  // 30 days
///     .build()?;
/// let left = pki.valid_until().duration_since(SystemTime::now())?;
/// assert!(left <= Duration::from_secs(30 * 24 * 3600));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a PkiBuilder makes nothing until build() is called"]
pub struct PkiBuilder {
    roles: Vec<String>,
    hosts: Vec<String>,
    valid_for: Duration,
}

impl PkiBuilder {
    pub(super) fn new() -> PkiBuilder {
        PkiBuilder {
            roles: Vec::new(),
            hosts: Vec::new(),
            valid_for: DEFAULT_VALIDITY,
        }
    }

    /// The roles to issue a client certificate for now (more later with
    /// [`Pki::client`]).
    pub fn roles(mut self, roles: &[&str]) -> Self {
        self.roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }

    /// The DNS names and IP addresses the server certificate is for (default:
    /// localhost, 127.0.0.1 and ::1).
    pub fn hosts(mut self, hosts: &[&str]) -> Self {
        self.hosts = hosts.iter().map(|h| h.to_string()).collect();
        self
    }

    /// How long every certificate is valid, from now ([`DEFAULT_VALIDITY`], a year,
    /// unless set). Their validity starts five minutes ago, for peers whose clock is
    /// a little behind.
    ///
    /// ```
    /// use msm::transport::tls::Pki;
    /// use std::time::Duration;
    /// assert!(Pki::builder().valid_for(Duration::ZERO).build().is_err());
    /// ```
    pub fn valid_for(mut self, valid_for: Duration) -> Self {
        self.valid_for = valid_for;
        self
    }

    /// Makes the CA and the certificates.
    pub fn build(self) -> Result<Pki> {
        let roles: Vec<&str> = self.roles.iter().map(String::as_str).collect();
        let hosts: Vec<&str> = self.hosts.iter().map(String::as_str).collect();
        Pki::make(&roles, &hosts, Validity::from_now(self.valid_for)?)
    }
}
