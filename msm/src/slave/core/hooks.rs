//! What a program can say about remote writes before they land: a validator that may
//! refuse them with an exception, and ranges no master may write.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use crate::memory::{Area, Peer};
use crate::protocol::{Bits, ExceptionCode, FunctionCode, Registers};

/// A write a master asked for, shown to the [write validator](crate::Slave::write_validator)
/// after the address checks and before anything touches the memory.
///
/// ```
/// use msm::protocol::FunctionCode;
/// use msm::{Area, Master, Memory, Slave};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let slave = Slave::tcp("127.0.0.1:0")
///     .write_validator(move |w| {
///         log.lock().expect("log").push((w.unit, w.function, w.area, w.address, w.count));
///         Ok(())
///     })
///     .serve(Memory::new(4))?;
/// let mem = Memory::new(4);
/// let master = Master::tcp(slave.local_addr()).start(mem.clone())?;
/// mem.holding::<u32>(1)?.set(7)?;
/// master.flush()?;
/// let write = (1, FunctionCode::WriteMultipleRegisters, Area::Holding, 1, 2);
/// assert_eq!(*seen.lock().expect("log"), [write]);
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct WriteRequest<'a> {
    /// Who sent it.
    pub peer: Peer,
    /// The unit id it was addressed to.
    pub unit: u8,
    /// The function: 5, 6, 15, 16, 21, 22 or 23.
    pub function: FunctionCode,
    /// Coils or holding registers (no function writes the input areas); for a file
    /// record write (FC21) `Holding`, with [`file`](Self::file) saying which file.
    pub area: Area,
    /// First address written (for FC21: the first record).
    pub address: u16,
    /// Number of coils or registers written (for FC21: records).
    pub count: u16,
    /// The values, as the request carries them.
    pub values: WriteValues<'a>,
    /// `Some(n)`: records of file `n` are written (FC21: one call per sub-request, all
    /// before any is written), not holding registers. `None` for the four areas.
    pub file: Option<u16>,
}

/// The values of a [`WriteRequest`].
///
/// ```
/// use msm::slave::WriteValues;
/// use msm::protocol::{ExceptionCode, Registers};
/// fn refuse_odd(values: WriteValues<'_>) -> Result<(), ExceptionCode> {
///     match values {
///         WriteValues::Registers(r) if r.iter().any(|v| v % 2 == 1) => Err(ExceptionCode::IllegalDataValue),
///         _ => Ok(()),
///     }
/// }
/// let regs = Registers::new(&[0, 3])?;
/// assert!(refuse_odd(WriteValues::Registers(regs)).is_err());
/// # Ok::<(), msm::protocol::ViewError>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum WriteValues<'a> {
    /// Coils (FC5 as one bit, FC15).
    Bits(Bits<'a>),
    /// Holding registers (FC6 as one register, FC16, the write part of FC23).
    Registers(Registers<'a>),
    /// FC22: the register becomes `(current & and_mask) | (or_mask & !and_mask)`.
    Mask {
        /// The AND mask.
        and_mask: u16,
        /// The OR mask.
        or_mask: u16,
    },
}

/// The validator's type: called from the slave's worker, possibly from several
/// connections at once.
pub(crate) type Validator =
    Arc<dyn Fn(&WriteRequest<'_>) -> Result<(), ExceptionCode> + Send + Sync>;

/// The unit check's type (`Slave::unit_available`): may the request's unit answer now?
/// Called from the slave's worker, possibly from several connections at once.
pub(crate) type UnitCheck =
    Arc<dyn Fn(&crate::authz::AccessRequest) -> Result<(), ExceptionCode> + Send + Sync>;

/// A range of addresses in one area that masters may read but not write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadOnly {
    pub(crate) area: Area,
    /// First address.
    pub(crate) start: u32,
    /// One past the last address.
    pub(crate) end: u32,
}

impl ReadOnly {
    pub(crate) fn new(area: Area, range: impl RangeBounds<u16>) -> ReadOnly {
        let start = match range.start_bound() {
            Bound::Included(&s) => u32::from(s),
            Bound::Excluded(&s) => u32::from(s) + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => u32::from(e) + 1,
            Bound::Excluded(&e) => u32::from(e),
            Bound::Unbounded => 65536,
        };
        ReadOnly { area, start, end }
    }

    /// True if a write of `count` items from `address` in `area` touches this range.
    pub(crate) fn overlaps(&self, area: Area, address: u16, count: u16) -> bool {
        let (a0, a1) = (u32::from(address), u32::from(address) + u32::from(count));
        self.area == area && a0 < self.end && self.start < a1
    }
}

impl fmt::Display for ReadOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}..{}", self.area, self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_ranges_take_every_bound_kind() {
        let r = ReadOnly::new(Area::Holding, 10..20);
        assert!(r.overlaps(Area::Holding, 19, 1));
        assert!(!r.overlaps(Area::Holding, 20, 5));
        assert!(r.overlaps(Area::Holding, 0, 11));
        assert!(!r.overlaps(Area::Holding, 0, 10));
        assert!(!r.overlaps(Area::Coil, 15, 1));
        let all = ReadOnly::new(Area::Coil, ..);
        assert!(all.overlaps(Area::Coil, 65535, 1));
        let top = ReadOnly::new(Area::Coil, 65535..=65535);
        assert_eq!((top.start, top.end), (65535, 65536));
    }
}
