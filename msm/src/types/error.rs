//! The error type of the msm API. Every message says what is wrong, where, and how to fix it.

use std::time::Duration;

use super::Area;
#[cfg(feature = "map")]
use super::MapError;
use super::quality::{BlockError, RequestFailure};

/// Everything that can go wrong when using msm.
///
/// ```
/// use msm::{Area, Error, Memory};
/// let mem = Memory::new(4);
/// match mem.holding::<u64>(2) {
///     Err(Error::OutOfRange { area, address, start, size, .. }) => {
///         assert_eq!((area, address, start, size), (Area::Holding, 2, 0, 4));
///     }
///     other => panic!("{other:?}"),
/// }
/// let err = mem.holding::<u64>(2).unwrap_err();
/// assert!(err.to_string().contains("the holding registers area holds addresses 0..=3"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variable does not fit inside its area.
    #[error(
        "{what} at {area} address {address} needs {count} item(s), but the {area} area {}: \
         declare a larger area (Memory::builder()) or use an address inside it",
        area_range(*start, *size)
    )]
    OutOfRange {
        /// What was being declared (for example `u32 (2 registers)`).
        what: String,
        /// The area.
        area: Area,
        /// The first address asked for.
        address: u32,
        /// How many items it needs.
        count: u32,
        /// The area's first address.
        start: u16,
        /// The area's size.
        size: u32,
    },

    /// A type that cannot live in the area it was declared on (a `u32` on coils, say).
    #[error("a {ty} cannot be declared on {area}: {hint}")]
    TypeMismatch {
        /// The value type.
        ty: &'static str,
        /// The area.
        area: Area,
        /// How to declare it instead.
        hint: &'static str,
    },

    /// A register bit number outside 0..=15.
    #[error(
        "bit {bit} does not exist in a 16-bit register: bits are numbered 0..=15, 0 the least significant"
    )]
    BitOutOfRange {
        /// The bit asked for.
        bit: u8,
    },

    /// A variable of zero registers, or of more than one Modbus write can carry.
    #[error(
        "a variable of {count} registers cannot be declared: it must span 1..={max} registers, \
         so that it is read and written whole in one Modbus request"
    )]
    BadLength {
        /// Registers asked for.
        count: usize,
        /// The largest size allowed.
        max: usize,
    },

    /// An area that runs past address 65535.
    #[error(
        "{area} starting at {start} with {size} items would end past address 65535: \
         an area may hold at most 65536 - start items"
    )]
    AreaTooLarge {
        /// The area.
        area: Area,
        /// Its start address.
        start: u16,
        /// Its size.
        size: u32,
    },

    /// A string longer than the registers it was declared with.
    #[error(
        "a string of {len} bytes does not fit in {capacity} bytes ({} registers): \
         shorten it or declare the variable with more registers",
        capacity / 2
    )]
    StringTooLong {
        /// The string's length in bytes.
        len: usize,
        /// The variable's capacity in bytes.
        capacity: usize,
    },

    /// A string with a character outside ASCII.
    #[error(
        "the string has {found:?} at byte {index}, which is not ASCII: Modbus strings hold ASCII only"
    )]
    NotAscii {
        /// Byte position of the first offending character.
        index: usize,
        /// The character.
        found: char,
    },

    /// A raw register value of the wrong length.
    #[error(
        "{got} registers given for a variable of {expected} registers: give exactly {expected}"
    )]
    LengthMismatch {
        /// The variable's size in registers.
        expected: usize,
        /// What was given.
        got: usize,
    },

    /// A local write to an area that only the slave may change.
    #[error(
        "{area} at address {address} are read-only on the master side: the slave owns them, \
         so a local write would be overwritten by the next read; write holding registers or coils instead"
    )]
    ReadOnly {
        /// The area.
        area: Area,
        /// The variable's address.
        address: u16,
    },

    /// An area name that is not one of `coil`, `discrete`, `input`, `holding`.
    #[error("unknown area {name:?}: use coil, discrete, input or holding")]
    UnknownArea {
        /// What was given.
        name: String,
    },

    /// A word order that is not one of `ABCD`, `CDAB`, `BADC`, `DCBA`.
    #[error("unknown word order {name:?}: use ABCD, CDAB, BADC or DCBA")]
    UnknownOrder {
        /// What was given.
        name: String,
    },

    /// An I/O operation failed (binding a port, opening a serial line, ...).
    #[error("{context}: {source}")]
    Io {
        /// What was being done, and on what.
        context: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },

    /// The master is not connected to its slave.
    #[error(
        "not connected to {peer}: {reason}; the master keeps reconnecting (status() shows progress)"
    )]
    NotConnected {
        /// The slave.
        peer: String,
        /// Why the last attempt failed or the connection dropped.
        reason: String,
    },

    /// A request of the master failed: a read of a cycle, or a write the slave refused.
    #[error("{0}")]
    Block(BlockError),

    /// The worker was stopped before the operation completed.
    #[error("the worker was stopped")]
    Stopped,

    /// An operation did not complete in time.
    #[error("{what} did not complete within {after:?}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// How long.
        after: Duration,
    },

    /// A `sync` or `flush` did not complete in time because the slave kept answering,
    /// but not usably: an exception the master retries (06 busy, 05, 0A, 0B), a
    /// malformed answer, or the answer of another unit. [`Error::Timeout`] is kept for
    /// the case where nothing answered.
    ///
    /// ```
    /// use msm::master::{BlockError, Fault, Operation};
    /// use msm::protocol::ExceptionCode;
    /// use msm::{Area, Error};
    /// use std::time::Duration;
    /// let busy = Fault::Exception { code: ExceptionCode::ServerDeviceBusy };
    /// let e = Error::GaveUp {
    ///     what: "flush",
    ///     after: Duration::from_secs(10),
    ///     cause: BlockError::new(1, Operation::Write, Area::Holding, 0, 1, busy),
    /// };
    /// assert_eq!(e.to_string(), "flush did not complete within 10s: the slave kept answering \
    ///     but not usably, and the master kept retrying: unit 1: write of holding registers 0..=0: \
    ///     the slave answered exception server device busy (06)");
    /// ```
    #[error(
        "{what} did not complete within {after:?}: the slave kept answering but not usably, \
         and the master kept retrying: {cause}"
    )]
    GaveUp {
        /// What was waited for (`sync` or `flush`).
        what: &'static str,
        /// How long.
        after: Duration,
        /// The slave's last unusable answer to a request the wait depended on.
        cause: BlockError,
    },

    /// A one-off request (report server id, diagnostics, file records, ...) the slave
    /// did not answer usably: its exception, a malformed answer, no answer in time, the
    /// connection lost.
    #[error("{0}")]
    Request(RequestFailure),

    /// A bounded queue is full: the request is refused at once rather than queued.
    #[error(
        "too many {what} are waiting ({capacity}): wait for some to be answered before asking more"
    )]
    QueueFull {
        /// What waits.
        what: &'static str,
        /// The queue's capacity.
        capacity: usize,
    },

    /// A memory already synced by another master.
    #[error(
        "this memory is already synced by another master: two masters would send each other's \
         writes; stop the first one or give the second its own Memory"
    )]
    AlreadySynced,

    /// A setting out of its range.
    #[error("invalid setting: {0}")]
    Config(String),

    /// A byte selector that is not `low` or `high`.
    #[error("unknown byte {name:?}: use low (bits 0..=7) or high (bits 8..=15)")]
    UnknownByte {
        /// What was given.
        name: String,
    },

    /// A problem with a map file or with a value for one of its variables; the message
    /// names the file and the variable.
    #[cfg(feature = "map")]
    #[error(transparent)]
    Map(#[from] MapError),

    /// Text that is not an IP network (for a slave's allow-list).
    #[error(
        "{text:?} is not an IP network: {reason}; write an address (10.0.0.7, ::1) or a \
         network in CIDR notation (10.0.0.0/8, fd00::/8)"
    )]
    BadNetwork {
        /// What was given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No file of this number is declared on the memory.
    #[error(
        "no file {number} is declared on this memory: declare it with \
         Memory::builder().file({number}, records), or a [[file]] table in a map"
    )]
    FileNotDeclared {
        /// The file number asked for.
        number: u16,
    },
    /// Records outside a file.
    #[error(
        "records {record}..+{count} of file {file} do not exist: the file holds {}; \
         read or write at least one record inside it",
        file_range(.records)
    )]
    FileRecords {
        /// The file.
        file: u16,
        /// The first record asked for.
        record: u32,
        /// How many.
        count: u32,
        /// How many records the file holds.
        records: u16,
    },
    /// A file that cannot be declared.
    #[error("file {number} with {records} records cannot be declared: {hint}")]
    BadFile {
        /// Its number.
        number: u16,
        /// Its records.
        records: u16,
        /// What the rule is.
        hint: &'static str,
    },
    /// A slave could not listen on its address.
    #[error("cannot listen on {addr}: {source}; {hint}")]
    Listen {
        /// The address asked for.
        addr: String,
        /// How to fix it.
        hint: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The records a file holds, for messages: `records 0..=9`.
fn file_range(records: &u16) -> String {
    match records {
        0 => "no records".to_string(),
        n => format!("records 0..={}", n - 1),
    }
}

/// `holds addresses 0..=7`, or `holds no addresses` for an empty area.
pub(crate) fn area_range(start: u16, size: u32) -> String {
    if size == 0 {
        "holds no addresses".to_string()
    } else {
        format!("holds addresses {start}..={}", u32::from(start) + size - 1)
    }
}

/// `Result` with [`Error`].
///
/// ```
/// fn setpoint(mem: &msm::Memory) -> msm::Result<u16> {
///     Ok(mem.holding::<u16>(0)?.get())
/// }
/// assert_eq!(setpoint(&msm::Memory::new(1))?, 0);
/// assert!(setpoint(&msm::Memory::new(0)).is_err()); // no holding register 0
/// # Ok::<(), msm::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
