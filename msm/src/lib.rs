//! # msm — Modbus Shared Memory
//!
//! PLC-style shared memory over Modbus. A program declares a [`Memory`] and typed
//! variables ([`Var`]) on it; a slave worker serves that memory to any Modbus master; a
//! master worker keeps a local copy in sync with a remote slave; the program just reads
//! and writes variables.
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
pub mod master;
pub mod memory;
pub mod protocol;
pub mod slave;
mod transport;

pub use error::{Error, Result};
pub use master::{AsyncMasterHandle, Master, MasterHandle, Plan, Status};
pub use memory::{
    Area, AreaSpec, Byte, Change, Lagged, Memory, MemoryBuilder, Order, Origin, Peer,
    RecvTimeoutError, Subscription, Value, Var,
};
pub use slave::{AsyncSlaveHandle, Slave, SlaveHandle};
