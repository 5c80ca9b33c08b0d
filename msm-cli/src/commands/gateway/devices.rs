//! Devices: one master per link (devices on the same serial line, or behind the same
//! TCP gateway, share its queue), all on the gateway's runtime.

use std::sync::Arc;

use msm::{AsyncMasterHandle, MapMemory, Master};

use super::config::{DeviceConfig, DeviceLink};
use crate::failure::Failure;

/// A device being polled.
pub(crate) struct Device {
    pub(crate) name: String,
    pub(crate) unit_id: Option<u8>,
    pub(crate) mm: MapMemory,
    pub(crate) master: Arc<AsyncMasterHandle>,
}

/// Starts one master per link for `configs`, on the current runtime.
pub(crate) async fn start(configs: Vec<DeviceConfig>) -> Result<Vec<Device>, Failure> {
    // Devices sharing a link share one master: their requests queue on that link.
    let mut groups: Vec<(String, Vec<(DeviceConfig, MapMemory)>)> = Vec::new();
    for config in configs {
        let key = link_key(&config.link);
        let mm = config.map.build()?;
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push((config, mm)),
            None => groups.push((key, vec![(config, mm)])),
        }
    }
    let mut devices = Vec::new();
    for (_, members) in groups {
        let (first, first_mm) = &members[0];
        let period = members
            .iter()
            .map(|(c, _)| c.period)
            .min()
            .unwrap_or(first.period);
        let mut master = match &first.link {
            DeviceLink::Tcp(addr) => Master::tcp(addr.clone()),
            DeviceLink::RtuOverTcp(addr) => Master::rtu_over_tcp(addr.clone()),
            DeviceLink::Serial(line) => Master::serial(line.clone()),
        }
        .unit(first.unit)
        .period(period);
        for (c, mm) in &members[1..] {
            master = master.with_unit(c.unit, mm.memory().clone());
        }
        let handle = master
            .start_async(first_mm.memory().clone())
            .await
            .map_err(|e| super::failure(&format!("device {}", first.name), e))?;
        let handle = Arc::new(handle);
        for (c, mm) in members {
            devices.push(Device {
                name: c.name,
                unit_id: c.unit_id,
                mm,
                master: handle.clone(),
            });
        }
    }
    Ok(devices)
}

fn link_key(link: &DeviceLink) -> String {
    match link {
        DeviceLink::Tcp(a) => format!("tcp {a}"),
        DeviceLink::RtuOverTcp(a) => format!("rtu-over-tcp {a}"),
        DeviceLink::Serial(line) => format!("serial {}", line.path),
    }
}
