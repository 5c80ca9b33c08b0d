//! An MQTT bridge for msm memories: every variable of a map memory published to a broker
//! (retained, with its quality and the device's availability), `/set` messages written to
//! it, Home Assistant discovery, and a gateway's stats. `msm gateway` is this bridge over
//! many devices, each synced by an msm master; any Rust program can bridge its own
//! memory the same way.
//!
//! Nothing is lost and nothing is hidden: every `/set` is written or refused with a
//! message on `PREFIX/DEVICE/error` (or `PREFIX/gateway/error`) naming the variable and
//! why; a QoS 1 set is acknowledged to the broker only once queued or refused, so a slow
//! device slows the broker down instead of losing sets; the session is persistent, so
//! sets sent while the bridge is away are delivered when it is back, and applied or
//! refused by age ([`Bridge::set_max_age`]); retained, oversize and misaddressed sets get
//! an error, never a disconnection. The topics are listed in `docs/gateway.md`.
//!
//! ```no_run
//! use msm_mqtt::{Bridge, Broker, Device};
//!
//! let mm = msm::Map::from_toml_str(r#"
//!     [memory]
//!     holding_registers = 2
//!     [vars]
//!     SETPOINT = { area = "holding", address = 0, type = "u16", value = 1200 }
//! "#)?.build()?;
//! let bridge = Bridge::new(Broker::parse("mqtt://127.0.0.1:1883")?.client_id("boiler-1"))
//!     .device(Device::new("boiler", &mm))
//!     .start()?;                     // its own thread; start_async() on a tokio runtime
//! // msm/boiler/SETPOINT is 1200 (retained); msm/boiler/SETPOINT/set writes it.
//! bridge.stop();                     // offline, acknowledged, disconnected
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Inside, a session (`session/`: rumqttc, MQTT 5 or 3.1.1) yields events and takes
//! commands; the router (`router.rs`) decides, without I/O, what each incoming message
//! becomes; one worker per device (`worker.rs`, `sets.rs`) publishes and writes. The
//! router and the driver are tested with a scripted fake session, the whole against a
//! real mosquitto.
#![forbid(unsafe_code)]

mod bridge;
mod broker;
mod device;
mod discovery;
mod driver;
mod error;
mod quote;
mod router;
mod session;
mod sets;
mod stats;
mod status;
mod topics;
mod worker;

pub use bridge::{AsyncBridgeHandle, Bridge, BridgeHandle, DEFAULT_PREFIX, DEFAULT_SET_MAX_AGE};
pub use broker::{Broker, Protocol, SYSTEM_CAS, Tls};
pub use device::Device;
pub use error::Error;
pub use quote::{EXCERPT_BYTES, escape, excerpt};
pub use status::BridgeStatus;
pub use topics::GATEWAY;

#[cfg(test)]
mod tests;
