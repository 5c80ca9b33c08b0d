//! Files of records (FC20/FC21): part of a memory, beside its four areas.
//!
//! A file is numbered 1..=65535 and holds 1..=10,000 records, each a 16-bit word,
//! numbered from 0. They are declared when the memory is built
//! ([`MemoryBuilder::file`](super::MemoryBuilder::file)), kept as the wire image like the
//! registers (big-endian), and read and written under the memory's one lock. A write is
//! published to the subscriptions that asked for files ([`Subscription::with_files`]).
//!
//! A master does not sync files (its cycle reads and writes the four areas only): it
//! reads and writes records one-off, `read_file_record` / `write_file_record`.
//!
//! [`Subscription::with_files`]: super::Subscription::with_files

use std::fmt;

use super::{Memory, Origin, Stamped};
use crate::types::{Error, Result};

/// Most records a file holds (record numbers 0..=9999).
pub const MAX_FILE_RECORDS: u16 = 10_000;

/// One file's records, as the wire carries them.
pub(crate) struct FileData {
    pub(crate) number: u16,
    bytes: Box<[u8]>,
}

impl FileData {
    pub(crate) fn new(number: u16, records: u16) -> FileData {
        FileData {
            number,
            bytes: vec![0; usize::from(records) * 2].into_boxed_slice(),
        }
    }

    /// Number of records.
    pub(crate) fn records(&self) -> u16 {
        (self.bytes.len() / 2) as u16
    }

    /// The wire bytes of `count` records from `record`, if they exist.
    pub(crate) fn bytes(&self, record: u16, count: usize) -> Option<&[u8]> {
        let start = usize::from(record) * 2;
        self.bytes.get(start..start.checked_add(count * 2)?)
    }

    pub(crate) fn bytes_mut(&mut self, record: u16, count: usize) -> Option<&mut [u8]> {
        let start = usize::from(record) * 2;
        self.bytes.get_mut(start..start.checked_add(count * 2)?)
    }
}

/// The files of a memory, sorted by number.
#[derive(Default)]
pub(crate) struct Files {
    list: Vec<FileData>,
}

impl Files {
    pub(crate) fn new(mut list: Vec<FileData>) -> Files {
        list.sort_by_key(|f| f.number);
        Files { list }
    }

    pub(crate) fn get(&self, number: u16) -> Option<&FileData> {
        let i = self.list.binary_search_by_key(&number, |f| f.number).ok()?;
        self.list.get(i)
    }

    pub(crate) fn get_mut(&mut self, number: u16) -> Option<&mut FileData> {
        let i = self.list.binary_search_by_key(&number, |f| f.number).ok()?;
        self.list.get_mut(i)
    }

    /// `(number, records)` of every file, by number.
    pub(crate) fn shapes(&self) -> Vec<(u16, u16)> {
        self.list.iter().map(|f| (f.number, f.records())).collect()
    }
}

/// A file of records on a [`Memory`]: read and write its records, or take a handle on
/// one ([`File::record`]).
///
/// ```
/// use msm::Memory;
/// let mem = Memory::builder().file(4, 100).build()?;
/// let recipe = mem.file(4)?;
/// recipe.write(1, &[0x0DFE, 0x0020])?;
/// assert_eq!(recipe.read(1, 2)?, [0x0DFE, 0x0020]);
/// let step = recipe.record(2)?;
/// step.set(7)?;
/// assert_eq!(recipe.get(2)?, 7);
/// assert_eq!((recipe.number(), recipe.len()), (4, 100));
/// assert!(recipe.read(99, 2).is_err()); // record 100 does not exist
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone)]
pub struct File {
    mem: Memory,
    number: u16,
    records: u16,
}

impl File {
    pub(super) fn new(mem: Memory, number: u16, records: u16) -> File {
        File {
            mem,
            number,
            records,
        }
    }

    /// The file's number (1..=65535).
    pub fn number(&self) -> u16 {
        self.number
    }

    /// How many records it holds (numbered 0..len).
    pub fn len(&self) -> usize {
        usize::from(self.records)
    }

    /// Whether it holds no record (never: a file holds at least one).
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    fn check(&self, record: u16, count: usize) -> Result<()> {
        let end = usize::from(record) + count;
        if count == 0 || end > self.len() {
            return Err(Error::FileRecords {
                file: self.number,
                record: u32::from(record),
                count: count as u32,
                records: self.records,
            });
        }
        Ok(())
    }

    /// One record's value.
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(1, 10).build()?;
    /// assert_eq!(mem.file(1)?.get(9)?, 0);
    /// assert!(mem.file(1)?.get(10).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn get(&self, record: u16) -> Result<u16> {
        Ok(self.read(record, 1)?.first().copied().unwrap_or(0))
    }

    /// Writes one record (published as a change of origin [`Origin::Local`]).
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(1, 10).build()?;
    /// mem.file(1)?.set(3, 0xBEEF)?;
    /// assert_eq!(mem.file(1)?.get(3)?, 0xBEEF);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn set(&self, record: u16, value: u16) -> Result<()> {
        self.write(record, &[value])
    }

    /// `count` records from `record`, in one lock.
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(2, 4).build()?;
    /// assert_eq!(mem.file(2)?.read(0, 4)?, [0, 0, 0, 0]);
    /// assert!(mem.file(2)?.read(0, 0).is_err()); // at least one record
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn read(&self, record: u16, count: usize) -> Result<Vec<u16>> {
        self.check(record, count)?;
        let st = self.mem.lock();
        let bytes = st
            .files
            .get(self.number)
            .and_then(|f| f.bytes(record, count))
            .unwrap_or_default();
        Ok(bytes
            .chunks_exact(2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
            .collect())
    }

    /// Writes `values` from `record`, whole or not at all, in one lock; published as one
    /// change of origin [`Origin::Local`].
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(2, 4).build()?;
    /// let mut changes = mem.subscribe().with_files();
    /// mem.file(2)?.write(2, &[5, 6])?;
    /// let c = changes.try_recv_stamped()?.expect("a change");
    /// assert_eq!((c.file, c.address, c.count), (Some(2), 2, 2));
    /// assert!(mem.file(2)?.write(3, &[1, 2]).is_err()); // past the last record
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, record: u16, values: &[u16]) -> Result<()> {
        self.check(record, values.len())?;
        let mut st = self.mem.lock();
        if let Some(bytes) = st
            .files
            .get_mut(self.number)
            .and_then(|f| f.bytes_mut(record, values.len()))
        {
            for (word, value) in bytes.chunks_exact_mut(2).zip(values) {
                word.copy_from_slice(&value.to_be_bytes());
            }
        }
        st.record_file_write(self.number, record, values.len(), Origin::Local);
        Ok(())
    }

    /// A handle on one record, to read and write it like a `Var<u16>`.
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(3, 2).build()?;
    /// let r = mem.file(3)?.record(1)?;
    /// r.set(42)?;
    /// assert_eq!((r.get(), r.file(), r.number()), (42, 3, 1));
    /// assert!(mem.file(3)?.record(2).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn record(&self, record: u16) -> Result<Record> {
        self.check(record, 1)?;
        Ok(Record {
            file: self.clone(),
            record,
        })
    }

    /// True if `change` wrote any record of this file.
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(1, 4).file(2, 4).build()?;
    /// let mut changes = mem.subscribe().with_files();
    /// mem.file(2)?.set(0, 1)?;
    /// let c = changes.try_recv_stamped()?.expect("a change");
    /// assert!(mem.file(2)?.touched_by(&c) && !mem.file(1)?.touched_by(&c));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touched_by(&self, change: &Stamped) -> bool {
        change.file == Some(self.number)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("number", &self.number)
            .field("records", &self.records)
            .finish()
    }
}

/// One record of a [`File`]: a 16-bit word, read and written like a `Var<u16>`.
///
/// ```
/// let mem = msm::Memory::builder().file(7, 10).build()?;
/// let setpoint = mem.file(7)?.record(3)?;
/// setpoint.set(1500)?;
/// setpoint.update(|v| v + 1)?;
/// assert_eq!(setpoint.get(), 1501);
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Record {
    file: File,
    record: u16,
}

impl Record {
    /// The file's number.
    pub fn file(&self) -> u16 {
        self.file.number
    }

    /// The record's number in its file.
    pub fn number(&self) -> u16 {
        self.record
    }

    /// The record's value.
    pub fn get(&self) -> u16 {
        self.file.get(self.record).unwrap_or(0)
    }

    /// Writes the record (published as a change of origin [`Origin::Local`]).
    pub fn set(&self, value: u16) -> Result<()> {
        self.file.set(self.record, value)
    }

    /// Reads the record, computes `f` of it and writes the result, atomically: if
    /// another write lands on the record while `f` runs, `f` runs again on the newer
    /// value (compare-and-swap, as [`Var::update`](crate::Var::update)). `f` runs without
    /// the memory's lock, so it may read variables. Returns the value written.
    pub fn update(&self, mut f: impl FnMut(u16) -> u16) -> Result<u16> {
        loop {
            let old = self.get();
            let new = f(old);
            let mut st = self.file.mem.lock();
            let Some(bytes) = st
                .files
                .get_mut(self.file.number)
                .and_then(|f| f.bytes_mut(self.record, 1))
            else {
                return Err(Error::FileNotDeclared {
                    number: self.file.number,
                });
            };
            if bytes != old.to_be_bytes() {
                continue;
            }
            bytes.copy_from_slice(&new.to_be_bytes());
            st.record_file_write(self.file.number, self.record, 1, Origin::Local);
            return Ok(new);
        }
    }

    /// True if `change` wrote this record.
    pub fn touched_by(&self, change: &Stamped) -> bool {
        change.file == Some(self.file.number)
            && change.address <= self.record
            && u32::from(self.record) < u32::from(change.address) + u32::from(change.count)
    }
}
