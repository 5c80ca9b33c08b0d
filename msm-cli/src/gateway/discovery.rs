//! Home Assistant MQTT discovery (`ha_discovery = true`): one retained
//! `homeassistant/<component>/<node>/<var>/config` message per variable, sent at every
//! connection and again whenever Home Assistant announces `online`.

use msm::{AnyVar, Area, VarType};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::mqtt::Broker;

/// Where Home Assistant says it (re)started.
pub(crate) const STATUS_TOPIC: &str = "homeassistant/status";

/// What discovery needs of one device.
pub(crate) struct Node {
    pub(crate) device: String,
    pub(crate) vars: Vec<AnyVar>,
}

/// Sends the configs at each connection and each `online` of Home Assistant, until `stop`.
pub(crate) async fn run(
    broker: Broker,
    nodes: Vec<Node>,
    mut ha_online: mpsc::Receiver<()>,
    stop: CancellationToken,
) {
    let mut session = broker.session();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            changed = session.changed() => {
                if changed.is_err() {
                    break;
                }
                if !session.borrow_and_update().connected {
                    continue;
                }
            }
            Some(()) = ha_online.recv() => {}
        }
        for node in &nodes {
            for var in &node.vars {
                let (topic, config) = config(&broker.prefix, &node.device, var);
                broker.publish(topic, config, true).await;
            }
        }
    }
}

/// The discovery topic and payload of one variable.
pub(crate) fn config(prefix: &str, device: &str, var: &AnyVar) -> (String, String) {
    let writable = matches!(var.area(), Area::Coil | Area::Holding);
    let numeric = !matches!(var.def().ty, VarType::Bool | VarType::Bit | VarType::String);
    let component = match (var.def().ty, writable) {
        (VarType::Bool | VarType::Bit, true) => "switch",
        (VarType::Bool | VarType::Bit, false) => "binary_sensor",
        (_, true) if numeric => "number",
        _ => "sensor",
    };
    let node = format!("{}_{device}", prefix.replace('/', "_"));
    let base = format!("{prefix}/{device}/{}", var.name());
    let mut c = json!({
        "name": var.name(),
        "unique_id": format!("{node}_{}", var.name()),
        "state_topic": base,
        // Available while both the gateway and the device are.
        "availability": [
            { "topic": format!("{prefix}/gateway/available") },
            { "topic": format!("{prefix}/{device}/available") },
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
        let topics: Vec<(String, String)> = mm
            .vars()
            .iter()
            .map(|v| config("msm", "boiler", v))
            .collect();
        assert_eq!(topics[0].0, "homeassistant/switch/msm_boiler/RUN/config");
        assert!(
            topics[0]
                .1
                .contains("\"command_topic\":\"msm/boiler/RUN/set\"")
        );
        assert_eq!(topics[1].0, "homeassistant/number/msm_boiler/SP/config");
        assert_eq!(topics[2].0, "homeassistant/sensor/msm_boiler/T/config");
        assert!(!topics[2].1.contains("command_topic"));
    }
}
