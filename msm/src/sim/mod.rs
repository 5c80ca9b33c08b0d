//! A device simulator's moving values: a map variable's `sim` key says how it moves
//! (sine, counter, random, ramp, toggle, uptime, timestamp, follow), and a [`Simulator`]
//! moves it on the serving side. A master reading the same map ignores `sim`. See
//! docs/simulator.md; the faults a simulated device makes are the slave's
//! ([`Slave::faults`](crate::Slave::faults)).
//!
//! ```
//! use msm::sim::Simulator;
//! use msm::{Map, Master, Memory, Slave};
//! let map = Map::from_toml_str(r#"
//!     [memory]
//!     input_registers = 4
//!     holding_registers = 2
//!     [vars]
//!     LEVEL = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0.0, max = 100.0, period = "10s" } }
//!     PV    = { area = "input", address = 2, type = "f32", sim = { kind = "follow", source = "SP", tau = "2s" } }
//!     SP    = { area = "holding", address = 0, type = "f32", value = 50.0 }
//! "#)?;
//! let device = map.build()?;
//! let sim = Simulator::new(&device)?.start()?;            // moves LEVEL and PV
//! let slave = Slave::tcp("127.0.0.1:0").serve(device.memory().clone())?;
//! # drop((sim, slave));
//! # Ok::<(), msm::Error>(())
//! ```

mod core;
mod driver;

pub use self::core::Simulator;
pub use crate::map::behaviour::DEFAULT_EVERY;
pub use crate::map::{Behaviour, BehaviourKind};
pub use driver::SimHandle;
