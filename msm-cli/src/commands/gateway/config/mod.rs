//! The gateway's configuration file: `[mqtt]`, an optional `[serve]`, and one
//! `[[device]]` per device. Every problem is reported, each naming the file, the line and
//! column, what is wrong and how to fix it (unknown keys with the keys that exist and the
//! closest of them), as map file errors do; the map files the devices name are loaded
//! (and checked) here too.

mod device;
mod mqtt;
#[cfg(test)]
mod tests;
mod toml;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ::toml::de::DeTable;
use msm::{Map, MapError, SerialConfig};

use self::toml::Checker;

/// A checked configuration, with every device's map loaded.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) mqtt: MqttConfig,
    pub(crate) serve: Option<ServeConfig>,
    pub(crate) devices: Vec<DeviceConfig>,
}

/// The broker, and how the gateway uses it.
#[derive(Debug, Clone)]
pub(crate) struct MqttConfig {
    pub(crate) broker: msm_mqtt::Broker,
    pub(crate) prefix: String,
    pub(crate) ha_discovery: bool,
    /// `None`: sets are applied whatever their age.
    pub(crate) set_max_age: Option<Duration>,
}

/// `[serve]`: where the gateway's own slave listens, and what it does for an offline
/// device.
#[derive(Debug, Clone)]
pub(crate) struct ServeConfig {
    pub(crate) listen: String,
    pub(crate) offline: Offline,
}

/// `[serve] offline`: how an offline device's unit answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offline {
    /// Exception 0B (gateway target device failed to respond) for reads and writes.
    Exception,
    /// Reads from the cache (the last values read); writes still 0B.
    Cached,
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

/// Everything wrong with a configuration file, one problem a line, in file order.
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

impl ConfigError {
    /// Where it is in the configuration file, to sort by.
    fn line(&self) -> usize {
        match self {
            ConfigError::Read { .. } => 0,
            ConfigError::At { line, .. } | ConfigError::Map { line, .. } => *line,
        }
    }
}

const TOP_KEYS: &[&str] = &["mqtt", "serve", "device"];
const SERVE_KEYS: &[&str] = &["listen", "offline"];

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
        let (root, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            // The document's shape is not to be trusted past a syntax error.
            for e in syntax {
                let message = format!("{} (see docs/gateway.md)", e.message().trim_end());
                c.at(e.span().unwrap_or(0..0), message);
            }
            return Err(ConfigErrors(c.errors));
        }
        let config = c.document(root.get_ref(), root.span(), dir);
        let mut errors = c.errors;
        match config {
            Some(config) if errors.is_empty() => Ok(config),
            _ => {
                errors.sort_by_key(ConfigError::line);
                Err(ConfigErrors(errors))
            }
        }
    }
}

impl Checker<'_> {
    fn document(
        &mut self,
        root: &DeTable<'_>,
        span: std::ops::Range<usize>,
        dir: &Path,
    ) -> Option<Config> {
        let keys = self.keys(root, span, "the top level", TOP_KEYS);
        let mqtt = match keys.get("mqtt") {
            Some(v) => self
                .table(v, "mqtt", "a table: [mqtt]")
                .and_then(|t| self.mqtt(t, v.span(), dir)),
            None => {
                self.at(
                    0..0,
                    "no [mqtt]: add [mqtt] with url = \"mqtt://host:port\" (see docs/gateway.md)"
                        .into(),
                );
                None
            }
        };
        let serve = keys.get("serve").and_then(|v| {
            let t = self.table(v, "serve", "a table: [serve]")?;
            self.serve(t, v.span())
        });
        let devices = self.devices(keys.get("device"), dir);
        Some(Config {
            mqtt: mqtt?,
            serve,
            devices,
        })
    }

    fn serve(&mut self, table: &DeTable<'_>, span: std::ops::Range<usize>) -> Option<ServeConfig> {
        let keys = self.keys(table, span, "[serve]", SERVE_KEYS);
        let listen = self.required(
            &keys,
            "listen",
            "[serve]",
            "give the address its slave listens on, listen = \"127.0.0.1:5020\"",
        );
        let offline = match self.string(&keys, "offline") {
            None => Some(Offline::Exception),
            Some(o) => match o.get_ref().as_str() {
                "exception" => Some(Offline::Exception),
                "cached" => Some(Offline::Cached),
                other => {
                    self.at(
                        o.span(),
                        format!(
                            "offline = {other:?} is not a policy: \"exception\" (the default: an \
                             offline device answers exception 0B) or \"cached\" (reads served from \
                             the last values read, writes still 0B)"
                        ),
                    );
                    None
                }
            },
        };
        Some(ServeConfig {
            listen: listen?.into_inner(),
            offline: offline?,
        })
    }

    /// Every `[[device]]`, with the checks across them (unique names and unit ids).
    fn devices(&mut self, value: Option<&toml::Value<'_>>, dir: &Path) -> Vec<DeviceConfig> {
        let no_device =
            "no [[device]]: add one with name, map and connect (see docs/gateway.md)".to_string();
        let Some(value) = value else {
            self.at(0..0, no_device);
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.at(
                value.span(),
                "`device` must be a list of tables: write each as [[device]]".into(),
            );
            return Vec::new();
        };
        let mut devices = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut unit_ids: HashMap<u8, String> = HashMap::new();
        for item in array.iter() {
            let span = item.span();
            let Some(table) = self.table(item, "device", "a table: [[device]]") else {
                continue;
            };
            let Some(d) = self.device(table, span.clone(), dir) else {
                continue;
            };
            if let Some(line) = names.insert(d.name.clone(), self.line(span.start)) {
                self.at(
                    span.clone(),
                    format!(
                        "a second device named {:?} (the first is on line {line}): device names are topic levels and must be unique",
                        d.name
                    ),
                );
            }
            if let Some(id) = d.unit_id
                && let Some(other) = unit_ids.insert(id, d.name.clone())
            {
                self.at(
                    span,
                    format!(
                        "unit_id {id} is also device {other:?}'s: each device needs its own unit id under [serve]"
                    ),
                );
            }
            devices.push(d);
        }
        if array.is_empty() {
            self.at(value.span(), no_device);
        }
        devices
    }
}

/// `path` as written, relative to the configuration file's folder.
pub(super) fn resolve(dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}
