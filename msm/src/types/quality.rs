//! How far a value can be trusted: [`Quality`], and the faults that make it bad.
//!
//! A memory that a master keeps knows, per item, whether it has been read from the slave,
//! when it was last read good, and why not. A memory that no master keeps (a slave's, a
//! plain one) holds nothing but its own data, which is always good.

use std::fmt;
use std::time::{Duration, Instant};

use super::Area;
use msm_proto::{ExceptionCode, FunctionCode};

/// How far a variable's value can be trusted, from [`Var::quality`](crate::Var::quality).
///
/// ```
/// use msm::{Master, Memory, Quality, Slave};
/// let plain = Memory::new(4);
/// let v = plain.holding::<u16>(0)?;
/// assert!(matches!(v.quality(), Quality::Good { last_read: None })); // nobody else's data
///
/// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(4))?;
/// let mirror = Memory::new(4);
/// let w = mirror.holding::<u16>(0)?;
/// let master = Master::tcp(slave.local_addr()).start(mirror.clone())?;
/// master.sync()?;
/// assert!(matches!(w.quality(), Quality::Good { last_read: Some(_) }));
/// assert_eq!(w.quality().name(), "good");
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quality {
    /// The value is the slave's, as last read (`last_read`), or the memory is not kept
    /// by a master (`last_read: None`): its data is its own.
    Good {
        /// When the slave's value was last read, for a memory a master keeps.
        last_read: Option<Instant>,
    },
    /// A master keeps this memory but has not read the item yet: the value is the
    /// memory's initial value, not the slave's. The master's status says why (not
    /// connected yet, say).
    NotRead,
    /// The connection to the slave was lost at `since`; the value is the last one read
    /// (at `last_good`).
    Stale {
        /// When the connection was lost.
        since: Instant,
        /// When the value was last read good.
        last_good: Instant,
    },
    /// The last read of the item failed (an exception, a timeout, a malformed answer);
    /// the value is the last one read, if any.
    Bad(BlockError),
}

impl Quality {
    /// True for [`Quality::Good`].
    ///
    /// ```
    /// assert!(msm::Quality::Good { last_read: None }.is_good());
    /// assert!(!msm::Quality::NotRead.is_good());
    /// ```
    pub fn is_good(&self) -> bool {
        matches!(self, Quality::Good { .. })
    }

    /// The quality's name as the CLI and JSON print it: `good`, `not_read`, `stale`, `bad`.
    ///
    /// ```
    /// assert_eq!(msm::Quality::NotRead.name(), "not_read");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Quality::Good { .. } => "good",
            Quality::NotRead => "not_read",
            Quality::Stale { .. } => "stale",
            Quality::Bad(_) => "bad",
        }
    }

    /// The error behind a bad quality.
    ///
    /// ```
    /// assert!(msm::Quality::NotRead.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&BlockError> {
        match self {
            Quality::Bad(e) => Some(e),
            _ => None,
        }
    }

    /// Why the value is not good, in a person's words (`None` when it is good): the
    /// read's error for [`Quality::Bad`]; for [`Quality::NotRead`] and [`Quality::Stale`],
    /// the link's error when the caller knows it (a master's
    /// [`Status::last_error`](crate::Status::last_error)). The CLI, the web view and the
    /// gateway word qualities this way.
    ///
    /// ```
    /// use msm::Quality;
    /// assert_eq!(Quality::Good { last_read: None }.reason(None), None);
    /// assert_eq!(Quality::NotRead.reason(None).as_deref(), Some("not read yet"));
    /// assert_eq!(
    ///     Quality::NotRead.reason(Some("connection refused")).as_deref(),
    ///     Some("connection refused")
    /// );
    /// let now = std::time::Instant::now();
    /// let stale = Quality::Stale { since: now, last_good: now };
    /// assert_eq!(
    ///     stale.reason(Some("timed out")).as_deref(),
    ///     Some("connection lost (timed out): the last value read")
    /// );
    /// ```
    pub fn reason(&self, link_error: Option<&str>) -> Option<String> {
        match self {
            Quality::Good { .. } => None,
            Quality::NotRead => Some(link_error.unwrap_or("not read yet").to_string()),
            Quality::Stale { .. } => Some(match link_error {
                Some(e) => format!("connection lost ({e}): the last value read"),
                None => "connection lost: the last value read".to_string(),
            }),
            Quality::Bad(e) => Some(e.describe()),
        }
    }

    /// Rank for combining the qualities of several items: the worst wins.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Quality::Good { .. } => 0,
            Quality::Stale { .. } => 1,
            Quality::NotRead => 2,
            Quality::Bad(_) => 3,
        }
    }
}

impl fmt::Display for Quality {
    /// `good`, `not read`, `stale`, or `bad: <why>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quality::Good { .. } => f.write_str("good"),
            Quality::NotRead => f.write_str("not read"),
            Quality::Stale { .. } => f.write_str("stale"),
            Quality::Bad(e) => write!(f, "bad: {}", e.describe()),
        }
    }
}

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
    /// The answer came from another unit than the one asked (Modbus/TCP's unit id, or
    /// the RTU address): never applied, never taken as a confirmation.
    #[error("the answer came from unit {found}, not from unit {expected}")]
    WrongUnit {
        /// The unit the request was sent to.
        expected: u8,
        /// The unit the answer named.
        found: u8,
    },
}

impl Fault {
    /// True for faults that usually pass by themselves (a timeout, a malformed answer, a
    /// lost connection, exception 05 acknowledge, 06 busy, 0A and 0B from a gateway): a
    /// write that meets one is sent again, after a pause that grows while it lasts.
    ///
    /// ```
    /// use msm::master::Fault;
    /// use msm::protocol::ExceptionCode;
    /// assert!(Fault::Exception { code: ExceptionCode::ServerDeviceBusy }.is_transient());
    /// assert!(!Fault::Exception { code: ExceptionCode::IllegalDataAddress }.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Fault::Exception { code } => matches!(
                code,
                ExceptionCode::Acknowledge
                    | ExceptionCode::ServerDeviceBusy
                    | ExceptionCode::GatewayPathUnavailable
                    | ExceptionCode::GatewayTargetDevice
            ),
            _ => true,
        }
    }
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
#[non_exhaustive]
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

impl BlockError {
    /// A block error, for programs that report their own (tests, simulators).
    ///
    /// ```
    /// use msm::master::{BlockError, Fault, Operation};
    /// use msm::protocol::ExceptionCode;
    /// use msm::Area;
    /// let e = BlockError::new(1, Operation::Read, Area::Holding, 150, 1,
    ///     Fault::Exception { code: ExceptionCode::IllegalDataAddress });
    /// assert_eq!(e.describe(), "exception 02 (illegal data address) reading holding 150");
    /// ```
    pub fn new(
        unit: u8,
        operation: Operation,
        area: Area,
        address: u16,
        count: u16,
        fault: Fault,
    ) -> BlockError {
        BlockError {
            unit,
            operation,
            area,
            address,
            count,
            fault,
        }
    }

    /// A short account for a person, without the unit: `exception 02 (illegal data
    /// address) reading holding 150`, `no answer within 1s writing coil 3`.
    ///
    /// ```
    /// use msm::master::{BlockError, Fault, Operation};
    /// use msm::Area;
    /// use std::time::Duration;
    /// let e = BlockError::new(2, Operation::Write, Area::Coil, 3, 2, Fault::Timeout(Duration::from_secs(1)));
    /// assert_eq!(e.describe(), "no answer within 1s writing coil 3..=4");
    /// ```
    pub fn describe(&self) -> String {
        let what = match &self.fault {
            Fault::Exception { code } => format!(
                "exception {:02X} ({})",
                code.value(),
                code.to_string()
                    .rsplit_once(" (")
                    .map_or(code.to_string(), |(name, _)| name.to_string())
            ),
            Fault::Timeout(t) => format!("no answer within {t:?}"),
            other => other.to_string(),
        };
        format!("{what} {}", self.location())
    }

    /// What was being done, where: `reading holding 150`, `writing coil 3..=4`.
    ///
    /// ```
    /// use msm::master::{BlockError, Fault, Operation};
    /// use msm::Area;
    /// use std::time::Duration;
    /// let e = BlockError::new(2, Operation::Read, Area::Input, 7, 1, Fault::Timeout(Duration::from_secs(1)));
    /// assert_eq!(e.location(), "reading input 7");
    /// ```
    pub fn location(&self) -> String {
        let verb = match self.operation {
            Operation::Read => "reading",
            Operation::Write => "writing",
        };
        let area = match self.area {
            Area::Coil => "coil",
            Area::Discrete => "discrete input",
            Area::Input => "input",
            Area::Holding => "holding",
        };
        let last = u32::from(self.address) + u32::from(self.count).max(1) - 1;
        if last == u32::from(self.address) {
            format!("{verb} {area} {}", self.address)
        } else {
            format!("{verb} {area} {}..={last}", self.address)
        }
    }
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

/// A one-off request (report server id, diagnostics, file records, a FIFO, ...) the
/// slave did not answer usably: the unit, the function and what went wrong.
///
/// ```
/// use msm::master::{Fault, RequestFailure};
/// use msm::protocol::{ExceptionCode, FunctionCode};
/// let e = RequestFailure::new(1, FunctionCode::ReportServerId,
///     Fault::Exception { code: ExceptionCode::IllegalFunction });
/// assert!(e.unsupported());
/// assert_eq!(e.exception(), Some(ExceptionCode::IllegalFunction));
/// assert_eq!(e.to_string(), "unit 1: Report Server ID: the slave answered exception \
///     illegal function (01): the device does not support this function");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestFailure {
    /// The unit (slave id) addressed.
    pub unit: u8,
    /// The request's function.
    pub function: FunctionCode,
    /// What went wrong.
    pub fault: Fault,
}

impl RequestFailure {
    /// A failure, for programs that report their own (tests, simulators).
    pub fn new(unit: u8, function: FunctionCode, fault: Fault) -> RequestFailure {
        RequestFailure {
            unit,
            function,
            fault,
        }
    }

    /// The exception the slave answered, if it answered one.
    pub fn exception(&self) -> Option<ExceptionCode> {
        match self.fault {
            Fault::Exception { code } => Some(code),
            _ => None,
        }
    }

    /// True when the slave answered exception 01 (Illegal Function): it does not support
    /// the function (or the sub-function).
    pub fn unsupported(&self) -> bool {
        self.exception() == Some(ExceptionCode::IllegalFunction)
    }
}

impl fmt::Display for RequestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unit {}: {}: {}", self.unit, self.function, self.fault)?;
        if self.unsupported() {
            f.write_str(": the device does not support this function")?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestFailure {}
