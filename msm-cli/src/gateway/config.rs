//! The gateway's configuration file: `[mqtt]`, an optional `[serve]`, and one
//! `[[device]]` per device. Every error names the file, the line and column, what is
//! wrong and how to fix it, as map file errors do; the map files a device names are
//! loaded (and checked) here too.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use msm::{Map, MapError, Parity, SerialConfig};
use serde::Deserialize;
use toml::Spanned;

/// A checked configuration, with every device's map loaded.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) mqtt: MqttConfig,
    /// Where `[serve]` listens, if it is there.
    pub(crate) serve: Option<String>,
    pub(crate) devices: Vec<DeviceConfig>,
}

/// How to reach the broker.
#[derive(Debug, Clone)]
pub(crate) struct MqttConfig {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) prefix: String,
    pub(crate) client_id: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) ha_discovery: bool,
    /// For `mqtts://`: the certificates, read from their files.
    pub(crate) tls: Option<Tls>,
}

/// What a TLS connection to the broker needs, as PEM.
#[derive(Clone)]
pub(crate) struct Tls {
    /// The certificate authorities the broker's certificate is checked against.
    pub(crate) ca: Vec<u8>,
    /// The gateway's own certificate and key, for brokers that ask for one.
    pub(crate) client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a key.
        f.debug_struct("Tls")
            .field("client_auth", &self.client_auth.is_some())
            .finish_non_exhaustive()
    }
}

/// One device: its map, its link and how often it is read.
#[derive(Debug)]
pub(crate) struct DeviceConfig {
    pub(crate) name: String,
    pub(crate) map: Map,
    pub(crate) link: DeviceLink,
    pub(crate) unit: u8,
    pub(crate) period: Duration,
    /// Its unit id under `[serve]`; not served when absent.
    pub(crate) unit_id: Option<u8>,
}

/// Where a device is.
#[derive(Debug, Clone)]
pub(crate) enum DeviceLink {
    Tcp(String),
    RtuOverTcp(String),
    Serial(SerialConfig),
}

/// Everything wrong with a configuration file, one error a line.
#[derive(Debug, thiserror::Error)]
pub(crate) struct ConfigErrors(pub(crate) Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// One thing wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file cannot be read.
    #[error("{file}: cannot read the gateway configuration: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    /// Something at a place in the file.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A device's map file is wrong (the map error names its own file and line).
    #[error("{config}:{line}: device {device}: {source}")]
    Map {
        config: String,
        line: usize,
        device: String,
        source: MapError,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    mqtt: Spanned<RawMqtt>,
    serve: Option<Spanned<RawServe>>,
    #[serde(default)]
    device: Vec<Spanned<RawDevice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMqtt {
    url: Spanned<String>,
    prefix: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    #[serde(default)]
    ha_discovery: bool,
    username: Option<String>,
    password: Option<String>,
    ca: Option<Spanned<String>>,
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    listen: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    map: Spanned<String>,
    connect: Option<Spanned<String>>,
    serial: Option<Spanned<String>>,
    baud: Option<u32>,
    parity: Option<Spanned<String>>,
    stop_bits: Option<Spanned<u8>>,
    #[serde(default)]
    rtu_over_tcp: bool,
    unit: Option<Spanned<u8>>,
    period: Option<Spanned<String>>,
    unit_id: Option<Spanned<u8>>,
}

/// The default topic prefix.
pub(crate) const DEFAULT_PREFIX: &str = "msm";
/// The default read period of a device.
const DEFAULT_PERIOD: Duration = Duration::from_secs(1);

impl Config {
    /// Reads and checks the file at `path`, and every map it names.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| {
            ConfigErrors(vec![ConfigError::Read {
                file: file.clone(),
                source,
            }])
        })?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Config::parse(&text, &file, &dir)
    }

    /// Checks `text`, the contents of `file`; map paths are relative to `dir`.
    pub(crate) fn parse(text: &str, file: &str, dir: &Path) -> Result<Config, ConfigErrors> {
        let mut c = Checker {
            text,
            file,
            errors: Vec::new(),
        };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let message = format!("{} (see docs/gateway.md)", e.message().trim_end());
                c.at(e.span().unwrap_or(0..0), message);
                return Err(ConfigErrors(c.errors));
            }
        };
        let mqtt = c.mqtt(raw.mqtt, dir);
        let serve = raw.serve.map(|s| s.into_inner().listen.into_inner());
        let mut devices = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut unit_ids: HashMap<u8, String> = HashMap::new();
        for device in raw.device {
            let span = device.span();
            let Some(d) = c.device(device.into_inner(), dir) else {
                continue;
            };
            if let Some(line) = names.insert(d.name.clone(), c.line(span.start)) {
                c.at(
                    span.clone(),
                    format!(
                        "a second device named {:?} (the first is on line {line}): device names are topic segments and must be unique",
                        d.name
                    ),
                );
            }
            if let Some(id) = d.unit_id
                && let Some(other) = unit_ids.insert(id, d.name.clone())
            {
                c.at(
                    span.clone(),
                    format!(
                        "unit_id {id} is also device {other:?}'s: each device needs its own unit id under [serve]"
                    ),
                );
            }
            devices.push(d);
        }
        if devices.is_empty() && c.errors.is_empty() {
            c.at(
                0..0,
                "no [[device]]: add one with name, map and connect (see docs/gateway.md)".into(),
            );
        }
        match mqtt {
            Some(mqtt) if c.errors.is_empty() => Ok(Config {
                mqtt,
                serve,
                devices,
            }),
            _ => Err(ConfigErrors(c.errors)),
        }
    }
}

/// Collects the errors of one file.
struct Checker<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        let offset = floor_char_boundary(self.text, offset);
        self.text[..offset].matches('\n').count() + 1
    }

    fn at(&mut self, span: Range<usize>, message: String) {
        let offset = floor_char_boundary(self.text, span.start);
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        self.errors.push(ConfigError::At {
            file: self.file.to_string(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            message,
        });
    }

    fn mqtt(&mut self, raw: Spanned<RawMqtt>, dir: &Path) -> Option<MqttConfig> {
        let raw = raw.into_inner();
        let broker = self.broker(&raw.url);
        let tls = match &broker {
            Some(b) => self.tls(&raw, b.4, dir)?,
            None => None,
        };
        let prefix = match raw.prefix {
            Some(p) if p.get_ref().is_empty() || p.get_ref().contains(['+', '#']) => {
                self.at(
                    p.span(),
                    format!(
                        "prefix {:?} cannot be a topic prefix: give a non-empty one without + or # (default \"msm\")",
                        p.get_ref()
                    ),
                );
                return None;
            }
            Some(p) => p.into_inner().trim_end_matches('/').to_string(),
            None => DEFAULT_PREFIX.to_string(),
        };
        let client_id = match raw.client_id {
            Some(id) => id.into_inner(),
            None => format!(
                "msm-gateway-{}",
                gethostname::gethostname().to_string_lossy()
            ),
        };
        let (host, port, user, pass, _) = broker?;
        Some(MqttConfig {
            host,
            port,
            prefix,
            client_id,
            username: raw.username.or(user),
            password: raw.password.or(pass),
            ha_discovery: raw.ha_discovery,
            tls,
        })
    }

    /// The certificates of an `mqtts://` url (`Some(None)` for plain MQTT), or `None`
    /// after an error.
    fn tls(&mut self, raw: &RawMqtt, secure: bool, dir: &Path) -> Option<Option<Tls>> {
        if !secure {
            if let Some(key) = [&raw.ca, &raw.cert, &raw.key].into_iter().flatten().next() {
                self.at(
                    key.span(),
                    "ca, cert and key are for TLS: write the url as mqtts://host:port, or remove them".into(),
                );
                return None;
            }
            return Some(None);
        }
        let ca = match &raw.ca {
            Some(path) => self.pem(path, dir)?,
            None => match std::fs::read(SYSTEM_CAS) {
                Ok(pem) => pem,
                Err(e) => {
                    self.at(
                        raw.url.span(),
                        format!("no ca given and the system's {SYSTEM_CAS} cannot be read ({e}): add ca = \"path/to/ca.pem\""),
                    );
                    return None;
                }
            },
        };
        let client_auth = match (&raw.cert, &raw.key) {
            (Some(cert), Some(key)) => Some((self.pem(cert, dir)?, self.pem(key, dir)?)),
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => {
                self.at(
                    one.span(),
                    "cert and key go together (the gateway's certificate and its private key): give both or neither".into(),
                );
                return None;
            }
        };
        Some(Some(Tls { ca, client_auth }))
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

    /// Host, port and credentials from `mqtt://[user[:password]@]host[:port]`.
    fn broker(&mut self, url: &Spanned<String>) -> Option<BrokerParts> {
        let fix =
            "write it as mqtt://host:port (mqtts:// for TLS), for example mqtt://127.0.0.1:1883";
        let parsed = match url::Url::parse(url.get_ref()) {
            Ok(u) => u,
            Err(e) => {
                self.at(url.span(), format!("url {:?}: {e}: {fix}", url.get_ref()));
                return None;
            }
        };
        let (port, secure) = match parsed.scheme() {
            "mqtt" | "tcp" => (1883, false),
            "mqtts" | "ssl" => (8883, true),
            other => {
                self.at(
                    url.span(),
                    format!("url scheme {other:?} is not MQTT: {fix}"),
                );
                return None;
            }
        };
        let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
            self.at(
                url.span(),
                format!("url {:?} has no host: {fix}", url.get_ref()),
            );
            return None;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let user = Some(parsed.username().to_string()).filter(|u| !u.is_empty());
        let pass = parsed.password().map(str::to_string);
        Some((host, parsed.port().unwrap_or(port), user, pass, secure))
    }

    fn device(&mut self, raw: RawDevice, dir: &Path) -> Option<DeviceConfig> {
        let errors_before = self.errors.len();
        let name = raw.name.get_ref().clone();
        if name.is_empty()
            || name == "gateway"
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            self.at(
                raw.name.span(),
                format!(
                    "device name {name:?} cannot be a topic segment: use letters, digits, _ and - only (and not \"gateway\", which the gateway's own topics use)"
                ),
            );
        }
        let link = self.link(&raw, &name);
        let period = match &raw.period {
            None => Some(DEFAULT_PERIOD),
            Some(p) => match humantime::parse_duration(p.get_ref()) {
                Ok(d) if !d.is_zero() => Some(d),
                Ok(_) => {
                    self.at(
                        p.span(),
                        "period is 0: give a positive duration such as \"1s\" or \"100ms\"".into(),
                    );
                    None
                }
                Err(e) => {
                    self.at(
                        p.span(),
                        format!(
                            "period {:?}: {e}: write a duration such as \"1s\" or \"100ms\"",
                            p.get_ref()
                        ),
                    );
                    None
                }
            },
        };
        if let Some(unit) = &raw.unit
            && (raw.serial.is_some() || raw.rtu_over_tcp)
            && !(1..=247).contains(unit.get_ref())
        {
            self.at(
                unit.span(),
                format!(
                    "unit {} does not exist on a serial line (or RTU over TCP): slave addresses are 1..=247",
                    unit.get_ref()
                ),
            );
        }
        if let Some(id) = &raw.unit_id
            && *id.get_ref() == 0
        {
            self.at(
                id.span(),
                "unit_id 0 is the broadcast address: use 1..=255".into(),
            );
        }
        let map_path = resolve(dir, raw.map.get_ref());
        let map = match Map::from_path(&map_path) {
            Ok(map) => Some(map),
            Err(source) => {
                self.errors.push(ConfigError::Map {
                    config: self.file.to_string(),
                    line: self.line(raw.map.span().start),
                    device: name.clone(),
                    source,
                });
                None
            }
        };
        for var in map.iter().flat_map(|m| m.vars()) {
            if var.name.contains(['/', '+', '#']) {
                self.at(
                    raw.map.span(),
                    format!(
                        "device {name}: variable {:?} of {} cannot be a topic segment: rename it in the map without /, + or #",
                        var.name,
                        map_path.display()
                    ),
                );
            }
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(DeviceConfig {
            name,
            map: map?,
            link: link?,
            unit: raw.unit.map_or(1, Spanned::into_inner),
            period: period?,
            unit_id: raw.unit_id.map(Spanned::into_inner),
        })
    }

    fn link(&mut self, raw: &RawDevice, name: &str) -> Option<DeviceLink> {
        match (&raw.connect, &raw.serial) {
            (Some(_), Some(serial)) => {
                self.at(
                    serial.span(),
                    format!("device {name}: connect and serial exclude each other: keep one"),
                );
                None
            }
            (None, None) => {
                self.at(
                    raw.name.span(),
                    format!(
                        "device {name}: no connect = \"host:port\" nor serial = \"/dev/ttyUSB0\": say where the device is"
                    ),
                );
                None
            }
            (Some(addr), None) if raw.rtu_over_tcp => {
                Some(DeviceLink::RtuOverTcp(addr.get_ref().clone()))
            }
            (Some(addr), None) => Some(DeviceLink::Tcp(addr.get_ref().clone())),
            (None, Some(path)) => {
                let mut line =
                    SerialConfig::new(path.get_ref().clone(), raw.baud.unwrap_or(19_200));
                if let Some(parity) = &raw.parity {
                    match parity.get_ref().parse::<Parity>() {
                        Ok(p) => line = line.parity(p),
                        Err(e) => {
                            self.at(parity.span(), format!("device {name}: {e}"));
                            return None;
                        }
                    }
                }
                if let Some(bits) = &raw.stop_bits {
                    line = line.stop_bits(*bits.get_ref());
                }
                Some(DeviceLink::Serial(line))
            }
        }
    }
}

/// Host, port, user, password, TLS.
type BrokerParts = (String, u16, Option<String>, Option<String>, bool);

/// The system's certificate authorities (Debian's ca-certificates), for `mqtts://`
/// without `ca`.
const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `path` as written, relative to the configuration file's folder.
fn resolve(dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "[memory]\nholding_registers = 4\n[vars]\nT = { area = \"holding\", address = 0, type = \"u16\" }\n";

    /// A folder of its own with the maps in it, removed when dropped.
    fn dir_with_map(test: &str) -> tempfile::TempDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("msm-gw-{test}-"))
            .tempdir()
            .expect("temp dir");
        std::fs::write(dir.path().join("m.toml"), MAP).expect("map");
        let slash = MAP.replace("T = ", "\"A/B\" = ");
        std::fs::write(dir.path().join("slash.toml"), slash).expect("map");
        dir
    }

    fn errors(text: &str) -> String {
        match Config::parse(text, "gw.toml", dir_with_map("errors").path()) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_complete_file_is_read_with_its_defaults() {
        let text = "[mqtt]\nurl = \"mqtt://u:p@127.0.0.1:1999\"\n[serve]\nlisten = \"127.0.0.1:0\"\n\
                    [[device]]\nname = \"boiler\"\nmap = \"m.toml\"\nconnect = \"127.0.0.1:5021\"\nunit_id = 3\n";
        let c = Config::parse(text, "gw.toml", dir_with_map("complete").path()).expect("valid");
        assert_eq!((c.mqtt.host.as_str(), c.mqtt.port), ("127.0.0.1", 1999));
        assert_eq!(
            (c.mqtt.username.as_deref(), c.mqtt.password.as_deref()),
            (Some("u"), Some("p"))
        );
        assert_eq!(c.mqtt.prefix, "msm");
        assert!(c.mqtt.client_id.starts_with("msm-gateway-"));
        assert_eq!(c.serve.as_deref(), Some("127.0.0.1:0"));
        let d = &c.devices[0];
        assert_eq!(
            (d.unit, d.period, d.unit_id),
            (1, Duration::from_secs(1), Some(3))
        );
        assert!(matches!(&d.link, DeviceLink::Tcp(a) if a == "127.0.0.1:5021"));
    }

    #[test]
    fn errors_name_the_line_the_problem_and_the_fix() {
        let head = "[mqtt]\nurl = \"mqtt://127.0.0.1\"\n";
        let cases = [
            (format!("{head}[[device]]\nname = \"a/b\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:4:8: device name \"a/b\"", "letters, digits"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\n"), "gw.toml:4:8: device a: no connect", "say where"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nperiod = \"soon\"\n"), "gw.toml:7:10: period \"soon\"", "100ms"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"nope.toml\"\nconnect = \"x:1\"\n"), "gw.toml:5: device a: ", "nope.toml"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\ncolour = 1\n"), "gw.toml:7:1: unknown field `colour`", "expected one of"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit_id = 1\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\nunit_id = 1\n"), "gw.toml:8:1: a second device named \"a\" (the first is on line 3)", "unit_id 1 is also device \"a\"'s"),
            ("[mqtt]\nurl = \"http://h\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "gw.toml:2:7: url scheme \"http\" is not MQTT", "mqtt://host:port"),
            (head.to_string(), "no [[device]]", "add one"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"m.toml\"\nserial = \"/dev/ttyUSB0\"\nunit = 0\n"), "gw.toml:7:8: unit 0 does not exist on a serial line", "1..=247"),
            (format!("{head}[[device]]\nname = \"a\"\nmap = \"slash.toml\"\nconnect = \"x:1\"\n"), "gw.toml:5:7: device a: variable \"A/B\" of ", "without /, + or #"),
            (format!("{head}ca = \"m.toml\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n"), "gw.toml:3:6: ca, cert and key are for TLS", "mqtts://"),
            ("[mqtt]\nurl = \"mqtts://h\"\nca = \"no.pem\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "gw.toml:3:6: cannot read ", "no.pem"),
            ("[mqtt]\nurl = \"mqtts://h\"\nca = \"m.toml\"\n[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "is not a PEM file", "PEM form"),
            ("[[device]]\nname = \"a\"\nmap = \"m.toml\"\nconnect = \"x:1\"\n".to_string(), "missing field `mqtt`", "docs/gateway.md"),
        ];
        for (text, start, fix) in cases {
            let e = errors(&text);
            assert!(
                e.contains(start) && e.contains(fix),
                "{e}\nwanted {start:?} and {fix:?}"
            );
        }
    }
}
