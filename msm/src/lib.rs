//! # msm — Modbus Shared Memory
//!
//! PLC-style shared memory over Modbus. A program declares a [`Memory`] and typed
//! variables on it; a slave worker serves that memory to any Modbus master; a master
//! worker keeps a local copy in sync with a remote slave; the program just reads and
//! writes variables.
#![forbid(unsafe_code)]

pub mod protocol;
