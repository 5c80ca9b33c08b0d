//! `[mqtt]`: the broker's url, the topic prefix, the client id, credentials, TLS files,
//! Home Assistant discovery, the protocol version and the age limit of sets.

use std::ops::Range;
use std::path::Path;

use msm_mqtt::{Broker, DEFAULT_PREFIX, DEFAULT_SET_MAX_AGE, Protocol, SYSTEM_CAS, Tls};
use toml::Spanned;
use toml::de::DeTable;

use super::toml::{Checker, Keys};
use super::{MqttConfig, resolve};

const MQTT_KEYS: &[&str] = &[
    "url",
    "prefix",
    "client_id",
    "ha_discovery",
    "username",
    "password",
    "ca",
    "cert",
    "key",
    "protocol",
    "set_max_age",
];

impl Checker<'_> {
    pub(super) fn mqtt(
        &mut self,
        table: &DeTable<'_>,
        span: Range<usize>,
        dir: &Path,
    ) -> Option<MqttConfig> {
        let keys = self.keys(table, span, "[mqtt]", MQTT_KEYS);
        let url = self.required(
            &keys,
            "url",
            "[mqtt]",
            "give the broker's, url = \"mqtt://127.0.0.1:1883\"",
        );
        let broker = url.and_then(|url| match Broker::parse(url.get_ref()) {
            Ok(b) => Some(b),
            Err(e) => {
                self.at(url.span(), e.to_string());
                None
            }
        });
        let tls = self.tls(&keys, broker.as_ref().is_some_and(Broker::is_tls), dir);
        let prefix = match self.string(&keys, "prefix") {
            Some(p) if p.get_ref().is_empty() || p.get_ref().contains(['+', '#']) => {
                self.at(
                    p.span(),
                    format!(
                        "prefix {:?} cannot be a topic prefix: give a non-empty one without + or # (default \"{DEFAULT_PREFIX}\")",
                        p.get_ref()
                    ),
                );
                None
            }
            Some(p) => Some(p.into_inner().trim_end_matches('/').to_string()),
            None => Some(DEFAULT_PREFIX.to_string()),
        };
        let client_id = self.string(&keys, "client_id").map_or_else(
            || {
                format!(
                    "msm-gateway-{}",
                    gethostname::gethostname().to_string_lossy()
                )
            },
            Spanned::into_inner,
        );
        let protocol = match self.string(&keys, "protocol") {
            None => Some(Protocol::default()),
            Some(p) => match p.get_ref().parse::<Protocol>() {
                Ok(p) => Some(p),
                Err(e) => {
                    self.at(p.span(), e.to_string());
                    None
                }
            },
        };
        let set_max_age = match keys.get("set_max_age") {
            None => Some(Some(DEFAULT_SET_MAX_AGE)),
            Some(_) => self.duration(&keys, "set_max_age", true),
        };
        let ha_discovery = self.bool(&keys, "ha_discovery").unwrap_or(false);
        let username = self.string(&keys, "username").map(Spanned::into_inner);
        let password = self.string(&keys, "password").map(Spanned::into_inner);
        let mut broker = broker?.client_id(client_id).protocol(protocol?);
        if let Some(tls) = tls? {
            broker = broker.tls(tls);
        }
        if username.is_some() || password.is_some() {
            broker = broker.credentials(username.unwrap_or_default(), password.unwrap_or_default());
        }
        Some(MqttConfig {
            broker,
            prefix: prefix?,
            ha_discovery,
            set_max_age: set_max_age?,
        })
    }

    /// The certificates of an `mqtts://` url (`Some(None)` for plain MQTT, or TLS with
    /// the system's CAs), or `None` after a problem.
    fn tls(&mut self, keys: &Keys<'_, '_>, secure: bool, dir: &Path) -> Option<Option<Tls>> {
        let (ca, cert, key) = (
            self.string(keys, "ca"),
            self.string(keys, "cert"),
            self.string(keys, "key"),
        );
        if !secure {
            if let Some(k) = [&ca, &cert, &key].into_iter().flatten().next() {
                self.at(
                    k.span(),
                    "ca, cert and key are for TLS: write the url as mqtts://host:port, or remove them".into(),
                );
                return None;
            }
            return Some(None);
        }
        let ca = match &ca {
            Some(path) => self.pem(path, dir)?,
            None => match std::fs::read(SYSTEM_CAS) {
                Ok(pem) => pem,
                Err(e) => {
                    let span = keys.get("url").map_or(keys.span(), |u| u.span());
                    self.at(
                        span,
                        format!("no ca given and the system's {SYSTEM_CAS} cannot be read ({e}): add ca = \"path/to/ca.pem\""),
                    );
                    return None;
                }
            },
        };
        let tls = Tls::new(ca);
        match (&cert, &key) {
            (Some(cert), Some(key)) => {
                let (cert, key) = (self.pem(cert, dir), self.pem(key, dir));
                Some(Some(tls.client_auth(cert?, key?)))
            }
            (None, None) => Some(Some(tls)),
            (Some(one), None) | (None, Some(one)) => {
                self.at(
                    one.span(),
                    "cert and key go together (the gateway's certificate and its private key): give both or neither".into(),
                );
                None
            }
        }
    }

    /// The PEM file at `path` (relative to the configuration's folder).
    fn pem(&mut self, path: &Spanned<String>, dir: &Path) -> Option<Vec<u8>> {
        let full = resolve(dir, path.get_ref());
        match std::fs::read(&full) {
            Ok(pem) if String::from_utf8_lossy(&pem).contains("-----BEGIN ") => Some(pem),
            Ok(_) => {
                self.at(
                    path.span(),
                    format!(
                        "{} is not a PEM file (no -----BEGIN line): give the PEM form",
                        full.display()
                    ),
                );
                None
            }
            Err(e) => {
                self.at(
                    path.span(),
                    format!(
                        "cannot read {}: {e}: check the path (relative to this file)",
                        full.display()
                    ),
                );
                None
            }
        }
    }
}
