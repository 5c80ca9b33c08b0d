//! What a master reports about itself.

use std::time::Duration;

use crate::types::Error;
pub use crate::types::quality::{BlockError, Fault, Operation, RequestFailure};

/// A snapshot of a master's state, from [`MasterHandle::status`](crate::MasterHandle::status).
///
/// ```
/// use msm::{Master, Memory, Slave};
/// use std::time::Duration;
/// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
/// let master = Master::tcp(slave.local_addr()).start(Memory::new(4))?;
/// # let deadline = std::time::Instant::now() + Duration::from_secs(10);
/// while master.status().cycles == 0 {           // a snapshot: poll it
/// #   assert!(std::time::Instant::now() < deadline, "no cycle");
///     std::thread::sleep(Duration::from_millis(10));
/// }
/// let s = master.status();
/// assert!(s.connected && !s.stale && s.last_cycle.is_some());
/// assert!(s.block_errors.is_empty() && s.last_error.is_none());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// True while connected to the slave.
    pub connected: bool,
    /// True while the memory does not hold a fresh copy of the slave's data (not
    /// connected yet, or disconnected and not resynced).
    pub stale: bool,
    /// The last connection-level error (connect refused, connection lost, ...).
    pub last_error: Option<String>,
    /// The last request that failed on the current connection (an exception, a
    /// malformed answer, another unit's answer, no answer in time), even if it went
    /// through since; `None` on a new connection. It is newer than
    /// [`last_error`](Self::last_error) when both are set.
    pub last_fault: Option<BlockError>,
    /// Cycles completed (every block read once).
    pub cycles: u64,
    /// Duration of the last completed cycle.
    pub last_cycle: Option<Duration>,
    /// Mean duration of all completed cycles.
    pub average_cycle: Option<Duration>,
    /// Blocks whose last exchange failed; an entry goes when the block next succeeds.
    pub block_errors: Vec<BlockError>,
    /// Requests in flight at most, now (pipelining depth). A master starts at 1 and
    /// widens up to the configured depth while the slave keeps up.
    pub depth: usize,
    /// Why [`depth`](Self::depth) is what it is.
    pub depth_reason: DepthReason,
    /// False once the slave refused a mask write (FC22, exception 01): bits and bytes of
    /// registers are then written with their whole register (read-modify-write).
    pub mask_writes: bool,
    /// Writes sent again after a transient fault (a timeout, a malformed answer,
    /// exception 06 busy or 0B from a gateway), each after a growing pause.
    pub writes_retried: u64,
    /// Times the connection was established again after the first time.
    pub reconnects: u64,
    /// Writes the slave confirmed.
    pub writes_confirmed: u64,
    /// Writes the slave refused with an exception that is final (not retried).
    pub writes_refused: u64,
    /// Requests that got no answer in time (over UDP: not even after being sent again).
    pub timeouts: u64,
    /// UDP: requests sent again because no answer came in time (the datagram or its
    /// answer was lost), up to [`Master::retries`](crate::Master::retries) times each.
    pub requests_resent: u64,
}

/// Why a master uses the pipelining depth it does ([`Status::depth_reason`]).
///
/// ```
/// use msm::master::DepthReason;
/// assert_eq!(DepthReason::SlaveOneAtATime.to_string(),
///     "the slave takes one request at a time (a request sent beside another got no answer)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DepthReason {
    /// The configured depth ([`Master::pipelining`](crate::Master::pipelining)).
    #[default]
    Configured,
    /// Widening towards the configured depth while the slave keeps up.
    Widening,
    /// The slave showed it takes one request at a time: it stays at one.
    SlaveOneAtATime,
    /// A request timed out while several were in flight: one at a time until a cycle
    /// goes through, then wider again.
    FaultFallBack,
    /// A serial line (RTU or ASCII) or RTU over TCP: one request at a time, always.
    Serial,
}

impl std::fmt::Display for DepthReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DepthReason::Configured => "the configured depth",
            DepthReason::Widening => "widening while the slave keeps up",
            DepthReason::SlaveOneAtATime => {
                "the slave takes one request at a time (a request sent beside another got no answer)"
            }
            DepthReason::FaultFallBack => {
                "one request at a time after a fault, until a cycle goes through"
            }
            DepthReason::Serial => "a serial line or RTU over TCP: one request at a time",
        })
    }
}

impl Status {
    /// The error for a `sync` or `flush` (`what`) that did not complete within `after`:
    /// [`Error::GaveUp`] with the slave's unusable answer that held it up (for a flush,
    /// a write's), else [`Error::Timeout`] (nothing answered).
    pub(crate) fn gave_up(&self, what: &'static str, after: Duration) -> Error {
        let writes_only = what == "flush";
        let holds_up = |e: &&BlockError| {
            let answered = matches!(
                e.fault,
                Fault::Exception { .. } | Fault::BadResponse(_) | Fault::WrongUnit { .. }
            );
            answered && (!writes_only || e.operation == Operation::Write)
        };
        // The newest fault if it still stands, else any that stands.
        let newest = self
            .last_fault
            .as_ref()
            .filter(|e| self.block_errors.contains(e))
            .filter(holds_up);
        match newest.or_else(|| self.block_errors.iter().find(holds_up)) {
            Some(cause) => Error::GaveUp {
                what,
                after,
                cause: cause.clone(),
            },
            None => Error::Timeout { what, after },
        }
    }
}
