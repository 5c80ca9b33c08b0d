//! The slave's sans-IO core: a connection's state machine (frames in, responses, timers
//! and close reasons out), the service that answers its requests, and executing a
//! request against a memory.
//!
//! Nothing here touches a socket, a runtime or a clock (docs/architecture.md; a repo test
//! keeps `tokio` and `Instant::now` out of these files), and nothing imports the rest of
//! the slave: its settings come in as [`rules::Rules`] and [`connection::Limits`].

pub(crate) mod close;
pub(crate) mod connection;
pub(crate) mod diagnostics;
pub(crate) mod exec;
mod exec_device;
mod exec_files;
pub(crate) mod fault;
pub(crate) mod hooks;
pub(crate) mod identity;
mod outbox;
pub(crate) mod respond;
pub(crate) mod routes;
pub(crate) mod rules;
pub(crate) mod service;
