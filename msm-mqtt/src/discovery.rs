//! Home Assistant MQTT discovery: one retained `homeassistant/<component>/<node>/<var>/config`
//! message per variable, sent at every connection and again whenever Home Assistant
//! announces `online` on `homeassistant/status`.

use std::sync::Arc;

use msm::{AnyVar, Area, VarType};
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::device::Device;
use crate::driver::Conn;
use crate::session::Publication;
use crate::topics::{GATEWAY, Topics};

/// Sends the configs of `devices` at each connection and each `online` of Home
/// Assistant, until `stop`.
pub(crate) async fn run(
    topics: Topics,
    devices: Vec<Arc<Device>>,
    out: mpsc::Sender<Publication>,
    mut conn: watch::Receiver<Conn>,
    ha_online: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            changed = conn.changed() => {
                if changed.is_err() {
                    break;
                }
                if !conn.borrow_and_update().up {
                    continue;
                }
            }
            () = ha_online.notified() => {}
        }
        for device in &devices {
            for var in &device.vars {
                let (topic, config) = config(&topics, &device.name, var);
                if out.send(Publication::state(topic, config)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The discovery topic and payload of one variable.
pub(crate) fn config(topics: &Topics, device: &str, var: &AnyVar) -> (String, String) {
    let prefix = topics.prefix();
    let writable = matches!(var.area(), Area::Coil | Area::Holding);
    let numeric = !matches!(var.def().ty, VarType::Bool | VarType::Bit | VarType::String);
    let component = match (var.def().ty, writable) {
        (VarType::Bool | VarType::Bit, true) => "switch",
        (VarType::Bool | VarType::Bit, false) => "binary_sensor",
        (_, true) if numeric => "number",
        _ => "sensor",
    };
    let node = format!("{}_{device}", prefix.replace('/', "_"));
    let base = topics.value(device, var.name());
    let mut c = json!({
        "name": var.name(),
        "unique_id": format!("{node}_{}", var.name()),
        "state_topic": base,
        // Available while both the gateway and the device are.
        "availability": [
            { "topic": topics.available(GATEWAY) },
            { "topic": topics.available(device) },
        ],
        "availability_mode": "all",
        "device": { "identifiers": [node], "name": device, "manufacturer": "msm gateway" },
    });
    if matches!(component, "switch" | "binary_sensor") {
        c["payload_on"] = json!("true");
        c["payload_off"] = json!("false");
    }
    if writable {
        c["command_topic"] = json!(format!("{base}/set"));
    }
    if component == "number" {
        c["min"] = json!(-1e15);
        c["max"] = json!(1e15);
        c["mode"] = json!("box");
    }
    (
        format!("homeassistant/{component}/{node}/{}/config", var.name()),
        c.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_follow_the_type_and_whether_masters_may_write() {
        let mm = msm::Map::from_toml_str(
            "[memory]\ncoils = 1\nholding_registers = 2\ninput_registers = 1\n[vars]\n\
             RUN = { area = \"coil\", address = 0, type = \"bool\" }\n\
             SP = { area = \"holding\", address = 0, type = \"f32\" }\n\
             T = { area = \"input\", address = 0, type = \"i16\" }\n",
        )
        .and_then(|m| m.build())
        .expect("map");
        let topics = Topics::new("msm");
        let configs: Vec<(String, String)> = mm
            .vars()
            .iter()
            .map(|v| config(&topics, "boiler", v))
            .collect();
        assert_eq!(configs[0].0, "homeassistant/switch/msm_boiler/RUN/config");
        assert!(
            configs[0]
                .1
                .contains("\"command_topic\":\"msm/boiler/RUN/set\"")
        );
        assert_eq!(configs[1].0, "homeassistant/number/msm_boiler/SP/config");
        assert_eq!(configs[2].0, "homeassistant/sensor/msm_boiler/T/config");
        assert!(!configs[2].1.contains("command_topic"));
    }
}
