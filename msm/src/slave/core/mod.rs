//! The slave's sans-IO core: executing a request against a memory, and splitting a
//! connection's byte stream into requests.
//!
//! Nothing here touches a socket, a runtime or a clock (docs/architecture.md; a repo test
//! keeps `tokio` and `Instant::now` out of these files).

pub(crate) mod exec;
pub(crate) mod hooks;
pub(crate) mod session;
