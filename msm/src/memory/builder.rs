//! Building a memory with all four areas.

use super::{Area, AreaSpec, FileData, MAX_FILE_RECORDS, Memory, Order};
use crate::types::{Error, Result};

/// Sets the four areas and the default word order of a [`Memory`].
/// Every area defaults to empty, starting at address 0.
///
/// ```
/// let mem = msm::Memory::builder().coils(8).holding_registers(32).build()?;
/// assert_eq!(mem.spec(msm::Area::Coil).size, 8);
/// assert!(msm::Memory::builder().input_registers_at(65000, 1000).build().is_err());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "call build() to get the memory"]
pub struct MemoryBuilder {
    specs: [AreaSpec; 4],
    order: Order,
    /// `(number, records)` of each file, as given.
    files: Vec<(u16, u16)>,
}

impl Default for AreaSpec {
    fn default() -> Self {
        AreaSpec::new(0, 0)
    }
}

impl MemoryBuilder {
    /// Sets one area.
    ///
    /// ```
    /// use msm::{Area, AreaSpec, Memory};
    /// let mem = Memory::builder().area(Area::Input, AreaSpec::new(1000, 20)).build()?;
    /// assert_eq!(mem.spec(Area::Input), AreaSpec::new(1000, 20));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn area(mut self, area: Area, spec: AreaSpec) -> Self {
        self.specs[area.index()] = spec;
        self
    }

    /// `n` coils at addresses 0..n.
    ///
    /// ```
    /// let mem = msm::Memory::builder().coils(16).build()?;
    /// assert!(mem.coil::<bool>(15).is_ok());
    /// assert!(mem.coil::<bool>(16).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn coils(self, n: u32) -> Self {
        self.area(Area::Coil, AreaSpec::new(0, n))
    }

    /// `n` coils from address `start`.
    ///
    /// ```
    /// let mem = msm::Memory::builder().coils_at(100, 8).build()?;
    /// assert!(mem.coil::<bool>(100).is_ok());
    /// assert!(mem.coil::<bool>(99).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn coils_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Coil, AreaSpec::new(start, n))
    }

    /// `n` discrete inputs at addresses 0..n.
    ///
    /// ```
    /// let mem = msm::Memory::builder().discrete_inputs(4).build()?;
    /// assert_eq!(mem.spec(msm::Area::Discrete).size, 4);
    /// assert!(mem.discrete_input::<bool>(3).is_ok());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn discrete_inputs(self, n: u32) -> Self {
        self.area(Area::Discrete, AreaSpec::new(0, n))
    }

    /// `n` discrete inputs from address `start`.
    ///
    /// ```
    /// let mem = msm::Memory::builder().discrete_inputs_at(10_000, 16).build()?;
    /// assert_eq!(mem.spec(msm::Area::Discrete).end(), 10_016);
    /// assert!(mem.discrete_input::<bool>(10_015).is_ok());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn discrete_inputs_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Discrete, AreaSpec::new(start, n))
    }

    /// `n` input registers at addresses 0..n.
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers(2).build()?;
    /// assert!(mem.input::<f32>(0).is_ok());
    /// assert!(mem.input::<f32>(1).is_err()); // would need input register 2
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn input_registers(self, n: u32) -> Self {
        self.area(Area::Input, AreaSpec::new(0, n))
    }

    /// `n` input registers from address `start`.
    ///
    /// ```
    /// let mem = msm::Memory::builder().input_registers_at(30_000, 10).build()?;
    /// assert_eq!(mem.spec(msm::Area::Input), msm::AreaSpec::new(30_000, 10));
    /// assert!(msm::Memory::builder().input_registers_at(65_530, 10).build().is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn input_registers_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Input, AreaSpec::new(start, n))
    }

    /// `n` holding registers at addresses 0..n.
    ///
    /// ```
    /// let mem = msm::Memory::builder().holding_registers(65536).build()?;
    /// assert!(mem.holding::<u16>(65535).is_ok()); // every address
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_registers(self, n: u32) -> Self {
        self.area(Area::Holding, AreaSpec::new(0, n))
    }

    /// `n` holding registers from address `start`.
    ///
    /// ```
    /// let mem = msm::Memory::builder().holding_registers_at(1024, 1024).build()?;
    /// assert!(mem.holding::<u16>(1024).is_ok());
    /// assert!(mem.holding::<u16>(0).is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn holding_registers_at(self, start: u16, n: u32) -> Self {
        self.area(Area::Holding, AreaSpec::new(start, n))
    }

    /// The word order of variables that don't set their own (default `ABCD`).
    ///
    /// ```
    /// use msm::{Memory, Order, Var};
    /// let mem = Memory::builder().holding_registers(2).order(Order::CDAB).build()?;
    /// let v: Var<u32> = mem.holding(0)?;
    /// v.set(0x0001_0002)?;
    /// assert_eq!(mem.holding_raw(0, 2)?.get(), [0x0002, 0x0001]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// A file of `records` records (16-bit words numbered 0..records), numbered
    /// `number`, read and written by FC20/FC21 and through [`Memory::file`]. Numbers are
    /// 1..=65535 and unique; a file holds 1..=10,000 records ([`MAX_FILE_RECORDS`]).
    /// Checked by [`build`](Self::build).
    ///
    /// ```
    /// let mem = msm::Memory::builder().file(1, 10_000).file(2, 16).build()?;
    /// assert_eq!(mem.file(2)?.len(), 16);
    /// assert!(msm::Memory::builder().file(0, 10).build().is_err());
    /// assert!(msm::Memory::builder().file(1, 10_001).build().is_err());
    /// assert!(msm::Memory::builder().file(1, 1).file(1, 2).build().is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn file(mut self, number: u16, records: u16) -> Self {
        self.files.push((number, records));
        self
    }

    /// Checks the areas (each must end by address 65535) and the files, and makes the
    /// memory.
    ///
    /// ```
    /// use msm::{Area, Error, Memory};
    /// let mem = Memory::builder().holding_registers_at(65_000, 536).build()?;
    /// assert_eq!(mem.spec(Area::Holding).end(), 65_536);
    /// let err = Memory::builder().holding_registers_at(65_000, 537).build().unwrap_err();
    /// assert!(matches!(err, Error::AreaTooLarge { area: Area::Holding, .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn build(self) -> Result<Memory> {
        for area in Area::ALL {
            self.specs[area.index()].check(area)?;
        }
        for (i, &(number, records)) in self.files.iter().enumerate() {
            let hint = if number == 0 {
                "files are numbered 1..=65535"
            } else if records == 0 || records > MAX_FILE_RECORDS {
                "a file holds 1..=10000 records"
            } else if self.files[..i].iter().any(|&(n, _)| n == number) {
                "a number is given to one file only"
            } else {
                continue;
            };
            return Err(Error::BadFile {
                number,
                records,
                hint,
            });
        }
        Ok(self.build_unchecked())
    }

    /// Builds with every area clipped to the address space.
    pub(crate) fn build_unchecked(mut self) -> Memory {
        for spec in &mut self.specs {
            spec.size = spec.size.min(65536 - u32::from(spec.start));
        }
        let mut files: Vec<FileData> = Vec::new();
        for (number, records) in self.files {
            let records = records.min(MAX_FILE_RECORDS);
            if number != 0 && records != 0 && !files.iter().any(|f| f.number == number) {
                files.push(FileData::new(number, records));
            }
        }
        Memory::from_parts(self.specs, self.order, files)
    }
}
