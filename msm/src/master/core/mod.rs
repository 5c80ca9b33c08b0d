//! The master's sans-IO core: what to send, what the answers mean, and the sync rule.
//!
//! Nothing here touches a socket, a runtime or a clock: time comes in as `Instant`
//! arguments, bytes as slices (docs/architecture.md; a repo test keeps `tokio` and
//! `Instant::now` out of these files).

pub(crate) mod backoff;
pub(crate) mod engine;
pub(crate) mod planner;
pub(crate) mod status;
pub(crate) mod sync;
