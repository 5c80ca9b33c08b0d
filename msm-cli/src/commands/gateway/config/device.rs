//! One `[[device]]`: its name, its map file (loaded and checked), its link (TCP, RTU over
//! TCP or a serial line), its unit, its read period and its unit id under `[serve]`.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use msm::{Map, Parity, SerialConfig};
use toml::de::DeTable;

use super::toml::{Checker, Keys};
use super::{ConfigError, DeviceConfig, DeviceLink, resolve};

const DEVICE_KEYS: &[&str] = &[
    "name",
    "map",
    "connect",
    "serial",
    "baud",
    "parity",
    "stop_bits",
    "rtu_over_tcp",
    "unit",
    "period",
    "unit_id",
];

/// The default read period of a device.
const DEFAULT_PERIOD: Duration = Duration::from_secs(1);

impl Checker<'_> {
    pub(super) fn device(
        &mut self,
        table: &DeTable<'_>,
        span: Range<usize>,
        dir: &Path,
    ) -> Option<DeviceConfig> {
        let errors_before = self.errors.len();
        let keys = self.keys(table, span, "[[device]]", DEVICE_KEYS);
        let name = self.required(
            &keys,
            "name",
            "a [[device]]",
            "give it one, name = \"boiler\"",
        );
        let shown = name
            .as_ref()
            .map_or("?", |n| n.get_ref().as_str())
            .to_string();
        if let Some(n) = &name {
            let bad = n.get_ref().is_empty()
                || n.get_ref() == msm_mqtt::GATEWAY
                || !n
                    .get_ref()
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
            if bad {
                self.at(
                    n.span(),
                    format!(
                        "device name {:?} cannot be a topic level: use letters, digits, _ and - only (and not \"gateway\", which the gateway's own topics use)",
                        n.get_ref()
                    ),
                );
            }
        }
        let rtu_over_tcp = self.bool(&keys, "rtu_over_tcp").unwrap_or(false);
        let link = self.link(&keys, &shown, rtu_over_tcp);
        let period = match keys.get("period") {
            None => Some(Some(DEFAULT_PERIOD)),
            Some(_) => self.duration(&keys, "period", false),
        };
        let rtu = keys.get("serial").is_some() || rtu_over_tcp;
        let unit = self.int::<u8>(&keys, "unit", "0..=255");
        if let Some(u) = &unit
            && rtu
            && !(1..=247).contains(u.get_ref())
        {
            self.at(
                u.span(),
                format!(
                    "unit {} does not exist on a serial line (or RTU over TCP): slave addresses are 1..=247",
                    u.get_ref()
                ),
            );
        }
        let unit_id = self.int::<u8>(&keys, "unit_id", "1..=255");
        if let Some(id) = &unit_id
            && *id.get_ref() == 0
        {
            self.at(
                id.span(),
                "unit_id 0 is the broadcast address: use 1..=255".into(),
            );
        }
        let map = self.map(&keys, &shown, dir);
        if self.errors.len() > errors_before {
            return None;
        }
        Some(DeviceConfig {
            name: name?.into_inner(),
            map: map?,
            link: link?,
            unit: unit.map_or(1, |u| u.into_inner()),
            period: period??,
            unit_id: unit_id.map(|u| u.into_inner()),
        })
    }

    /// The map file, loaded; its variable names checked as topic levels.
    fn map(&mut self, keys: &Keys<'_, '_>, device: &str, dir: &Path) -> Option<Map> {
        let path = self.required(
            keys,
            "map",
            &format!("device {device}"),
            "give its map file, map = \"maps/boiler.toml\" (docs/map-files.md)",
        )?;
        let full = resolve(dir, path.get_ref());
        let map = match Map::from_path(&full) {
            Ok(map) => map,
            Err(source) => {
                self.errors.push(ConfigError::Map {
                    config: self.file.to_string(),
                    line: self.line(path.span().start),
                    device: device.to_string(),
                    source,
                });
                return None;
            }
        };
        for var in map.vars() {
            if var.name.contains(['/', '+', '#']) {
                self.at(
                    path.span(),
                    format!(
                        "device {device}: variable {:?} of {} cannot be a topic level: rename it in the map without /, + or #",
                        var.name,
                        full.display()
                    ),
                );
            }
        }
        Some(map)
    }

    fn link(
        &mut self,
        keys: &Keys<'_, '_>,
        device: &str,
        rtu_over_tcp: bool,
    ) -> Option<DeviceLink> {
        let connect = self.string(keys, "connect");
        let serial = self.string(keys, "serial");
        let baud = self.int::<u32>(keys, "baud", "a baud rate such as 19200");
        let parity = self.string(keys, "parity");
        let stop_bits = self.int::<u8>(keys, "stop_bits", "1 or 2");
        match (connect, serial) {
            (Some(_), Some(serial)) => {
                self.at(
                    serial.span(),
                    format!("device {device}: connect and serial exclude each other: keep one"),
                );
                None
            }
            (None, None) => {
                self.at(
                    keys.get("name").map_or(keys.span(), |n| n.span()),
                    format!(
                        "device {device}: no connect = \"host:port\" nor serial = \"/dev/ttyUSB0\": say where the device is"
                    ),
                );
                None
            }
            (Some(addr), None) if rtu_over_tcp => Some(DeviceLink::RtuOverTcp(addr.into_inner())),
            (Some(addr), None) => Some(DeviceLink::Tcp(addr.into_inner())),
            (None, Some(path)) => {
                let baud = baud.map_or(19_200, |b| b.into_inner());
                let mut line = SerialConfig::new(path.into_inner(), baud);
                if let Some(parity) = parity {
                    match parity.get_ref().parse::<Parity>() {
                        Ok(p) => line = line.parity(p),
                        Err(e) => {
                            self.at(parity.span(), format!("device {device}: {e}"));
                            return None;
                        }
                    }
                }
                if let Some(bits) = stop_bits {
                    line = line.stop_bits(bits.into_inner());
                }
                Some(DeviceLink::Serial(line))
            }
        }
    }
}
