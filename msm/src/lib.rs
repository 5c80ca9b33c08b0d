//! # msm — Modbus Shared Memory
//!
//! PLC-style shared memory over Modbus. A program declares a [`Memory`] and typed
//! variables ([`Var`]) on it; a slave worker serves that memory to any Modbus master; a
//! master worker keeps a local copy in sync with a remote slave; the program just reads
//! and writes variables. A map file ([`Map`]) describes a memory and its named variables
//! in TOML, for programs that learn them at run time.
//!
//! ## A PLC's memory as a struct
//!
//! ```
//! use msm::{Memory, Var, Vars};
//!
//! #[derive(Vars)]
//! struct Pump {
//!     #[msm(holding = 0)]                 setpoint: Var<u16>,
//!     #[msm(holding = 1, order = "CDAB")] total: Var<u32>,
//!     #[msm(holding = 3, bit = 0)]        alarm: Var<bool>,
//!     #[msm(input = 0)]                   level: Var<f32>,
//!     #[msm(coil = 0)]                    run: Var<bool>,
//! }
//!
//! let mem: Memory = Pump::memory();        // sized to hold every field, in every area
//! let pump: Pump = Pump::declare(&mem)?;   // the typed variables
//! pump.total.set(99_999)?;
//! let slave = msm::Slave::tcp("127.0.0.1:0").serve(mem)?;
//! let toml: String = Pump::map().to_toml(); // the same layout as a map file
//! # drop(slave);
//! # Ok::<(), msm::Error>(())
//! ```
//!
//! [`Vars`](derive@Vars) lists every attribute; `docs/rust.md` shows the struct on both
//! sides of a link.
//!
//! ## Quickstart: a slave and a master
//!
//! ```
//! use std::time::Duration;
//! use msm::{Master, Memory, Order, Quality, Slave, Var};
//!
//! // The PLC side: 8 holding registers served over Modbus/TCP (port 0: any free port).
//! let plc = Memory::new(8);
//! let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone())?;
//!
//! // The HMI side: a master keeps its own copy in sync, every 100 ms.
//! let hmi = Memory::new(8);
//! let master = Master::tcp(slave.local_addr())
//!     .unit(1)
//!     .period(Duration::from_millis(100))
//!     .start(hmi.clone())?;
//!
//! // Typed variables, declared on each side (CDAB: the low word first).
//! let setpoint: Var<u32> = hmi.holding(1)?.order(Order::CDAB);
//! let setpoint_on_plc: Var<u32> = plc.holding(1)?.order(Order::CDAB);
//! let alarm_on_plc: Var<bool> = plc.holding_bit(3, 0)?;
//! let alarm: Var<bool> = hmi.holding_bit(3, 0)?;
//!
//! setpoint.set(99_999)?;        // goes out at once
//! master.flush()?;              // ...and is confirmed by the slave
//! assert_eq!(setpoint_on_plc.get(), 99_999);
//!
//! alarm_on_plc.set(true)?;      // the PLC's own logic
//! master.sync()?;               // one full cycle, now
//! assert!(alarm.get());
//! assert!(matches!(alarm.quality(), Quality::Good { .. })); // read from the slave
//! # Ok::<(), msm::Error>(())
//! ```
//!
//! ## Memory and variables alone
//!
//! ```
//! use msm::{Memory, Order, Var};
//! let mem = Memory::new(8);
//! let counter: Var<u32> = mem.holding(1)?.order(Order::CDAB);
//! counter.set(99_999)?;
//! assert_eq!(counter.get(), 99_999);
//! # Ok::<(), msm::Error>(())
//! ```
#![forbid(unsafe_code)]
// Without the workers, the interface memory offers masters and slaves (stamps, dirty
// marks, remote writes) has no user in the crate.
#![cfg_attr(not(feature = "workers"), allow(dead_code))]

#[cfg(feature = "map")]
pub mod map;
#[cfg(feature = "workers")]
pub mod master;
pub mod memory;
pub use msm_proto as protocol;
pub mod authz;
#[cfg(feature = "map")]
pub mod sim;
#[cfg(feature = "workers")]
pub mod slave;
mod time;
#[cfg(feature = "workers")]
pub mod transport;
mod types;
mod vars;
#[cfg(feature = "workers")]
mod worker;

#[cfg(feature = "map")]
pub use map::{AnyVar, DynValue, Map, MapBuilder, MapError, MapMemory, VarDef, VarType};
#[cfg(feature = "workers")]
pub use master::{AsyncMasterHandle, Master, MasterHandle, Plan, Status};
pub use memory::{
    AnyChange, Area, AreaSpec, Byte, Change, Counted, Lagged, Memory, MemoryBuilder, Order, Origin,
    Peer, Quality, RecvTimeoutError, Stamped, Subscription, Value, Var,
};
#[cfg(feature = "derive")]
pub use msm_derive::Vars;
#[cfg(feature = "workers")]
pub use slave::{AsyncSlaveHandle, Slave, SlaveHandle};
#[cfg(feature = "workers")]
pub use transport::{Parity, SerialConfig};
pub use types::{Error, Escaped, Result};
pub use vars::Vars;
/// What `#[derive(Vars)]` generates code against; not a public API.
#[doc(hidden)]
pub use vars::layout as __derive;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// docs/rust.md's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/rust.md")]
pub struct RustDocDoctests;
