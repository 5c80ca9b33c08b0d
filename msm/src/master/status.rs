//! What a master reports about itself.

use std::fmt;
use std::time::Duration;

use crate::memory::Area;
use crate::protocol::ExceptionCode;

/// Why one request of a master failed.
///
/// ```
/// use msm::master::Fault;
/// use msm::protocol::ExceptionCode;
/// use std::time::Duration;
/// assert_eq!(Fault::Timeout(Duration::from_secs(1)).to_string(), "no response within 1s");
/// let refused = Fault::Exception { code: ExceptionCode::IllegalDataAddress };
/// assert_eq!(refused.to_string(), "the slave answered exception illegal data address (02)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// The slave did not answer in time.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The slave answered with a Modbus exception.
    #[error("the slave answered exception {code}")]
    Exception {
        /// The exception code.
        code: ExceptionCode,
    },
    /// The slave's answer did not fit the request.
    #[error("malformed response: {0}")]
    BadResponse(String),
    /// The connection dropped before the answer came.
    #[error("connection lost: {0}")]
    Disconnected(String),
}

/// Read or write.
///
/// ```
/// use msm::master::Operation;
/// assert_eq!(Operation::Read.to_string(), "read");
/// assert_eq!(Operation::Write.to_string(), "write");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// A read of the cycle.
    Read,
    /// A write of local changes.
    Write,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Read => "read",
            Operation::Write => "write",
        })
    }
}

/// A block (one request's worth of items) whose last exchange failed.
///
/// ```
/// use msm::master::{Fault, Operation};
/// use msm::protocol::ExceptionCode;
/// use msm::{Area, Error, Master, Memory, Slave};
/// let slave = Slave::tcp("127.0.0.1:0").read_only(Area::Holding, 0..2).serve(Memory::new(4))?;
/// let mem = Memory::new(4);
/// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
/// mem.holding::<u16>(1)?.set(5)?;
/// let Err(Error::Block(e)) = master.flush() else { panic!("the write was taken") };
/// assert_eq!((e.unit, e.operation, e.area, e.address, e.count), (1, Operation::Write, Area::Holding, 1, 1));
/// assert_eq!(e.fault, Fault::Exception { code: ExceptionCode::IllegalDataAddress });
/// assert!(e.to_string().starts_with("unit 1: write of holding registers 1..=1: "));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockError {
    /// The unit (slave id) addressed.
    pub unit: u8,
    /// Read or write.
    pub operation: Operation,
    /// The area.
    pub area: Area,
    /// First address of the block.
    pub address: u16,
    /// Items in the block.
    pub count: u16,
    /// What went wrong.
    pub fault: Fault,
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unit {}: {} of {} {}..={}: {}",
            self.unit,
            self.operation,
            self.area,
            self.address,
            u32::from(self.address) + u32::from(self.count).max(1) - 1,
            self.fault
        )
    }
}

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
pub struct Status {
    /// True while connected to the slave.
    pub connected: bool,
    /// True while the memory does not hold a fresh copy of the slave's data (not
    /// connected yet, or disconnected and not resynced).
    pub stale: bool,
    /// The last connection-level error (connect refused, connection lost, ...).
    pub last_error: Option<String>,
    /// Cycles completed (every block read once).
    pub cycles: u64,
    /// Duration of the last completed cycle.
    pub last_cycle: Option<Duration>,
    /// Mean duration of all completed cycles.
    pub average_cycle: Option<Duration>,
    /// Blocks whose last exchange failed; an entry goes when the block next succeeds.
    pub block_errors: Vec<BlockError>,
    /// Requests in flight at most, now (pipelining depth; 1 after a fall back).
    pub depth: usize,
    /// Times the connection was established again after the first time.
    pub reconnects: u64,
    /// Writes the slave confirmed.
    pub writes_confirmed: u64,
    /// Writes the slave refused with an exception (not retried).
    pub writes_refused: u64,
    /// Requests that got no answer in time.
    pub timeouts: u64,
}
