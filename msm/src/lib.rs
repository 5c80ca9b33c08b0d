//! # msm — Modbus Shared Memory
//!
//! PLC-style shared memory over Modbus. A program declares a [`Memory`] and typed
//! variables ([`Var`]) on it; a slave worker serves that memory to any Modbus master; a
//! master worker keeps a local copy in sync with a remote slave; the program just reads
//! and writes variables. A map file ([`Map`]) describes a memory and its named variables
//! in TOML, for programs that learn them at run time.
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

mod error;
pub mod map;
pub mod master;
pub mod memory;
pub mod protocol;
pub mod slave;
mod time;
pub mod transport;

pub use error::{Error, Result};
pub use map::{AnyVar, DynValue, Map, MapError, MapMemory, VarDef, VarType};
pub use master::{AsyncMasterHandle, Master, MasterHandle, Plan, Status};
pub use memory::{
    Area, AreaSpec, Byte, Change, Lagged, Memory, MemoryBuilder, Order, Origin, Peer, Quality,
    RecvTimeoutError, Subscription, Value, Var,
};
pub use slave::{AsyncSlaveHandle, Slave, SlaveHandle};
pub use transport::{Parity, SerialConfig};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
