//! The four Modbus data areas, and an area's first address and size.

use std::fmt;
use std::str::FromStr;

use crate::types::Error;

/// One of the four Modbus data areas ("tables" in the spec).
///
/// ```
/// use msm::Area;
/// let area: Area = "holding_registers".parse()?;
/// assert_eq!(area, Area::Holding);
/// assert_eq!("di".parse::<Area>()?, Area::Discrete);
/// assert_eq!(area.to_string(), "holding registers");
/// assert!(area.key() == "holding" && !area.is_bits());
/// assert!("outputs".parse::<Area>().is_err());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    /// Coils: single bits, read and written by a master (FC1, FC5, FC15).
    Coil,
    /// Discrete inputs: single bits, read-only for a master (FC2).
    Discrete,
    /// Input registers: 16-bit words, read-only for a master (FC4).
    Input,
    /// Holding registers: 16-bit words, read and written by a master (FC3, FC6, FC16, FC22, FC23).
    Holding,
}

impl Area {
    /// All four areas, in table order.
    ///
    /// ```
    /// use msm::Area;
    /// assert_eq!(Area::ALL.map(Area::key), ["coil", "discrete", "input", "holding"]);
    /// let mem = msm::Memory::builder().coils(8).input_registers(2).build()?;
    /// let sizes = Area::ALL.map(|a| mem.spec(a).size);
    /// assert_eq!(sizes, [8, 0, 2, 0]);
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub const ALL: [Area; 4] = [Area::Coil, Area::Discrete, Area::Input, Area::Holding];

    /// True for the bit areas (coils, discrete inputs).
    ///
    /// ```
    /// assert!(msm::Area::Coil.is_bits());
    /// assert!(!msm::Area::Holding.is_bits());
    /// ```
    pub fn is_bits(self) -> bool {
        matches!(self, Area::Coil | Area::Discrete)
    }

    /// True for the areas a master may only read (discrete inputs, input registers).
    ///
    /// ```
    /// assert!(msm::Area::Input.is_read_only_for_master());
    /// assert!(!msm::Area::Coil.is_read_only_for_master());
    /// ```
    pub fn is_read_only_for_master(self) -> bool {
        matches!(self, Area::Discrete | Area::Input)
    }

    /// The short name used in map files: `coil`, `discrete`, `input`, `holding`.
    ///
    /// ```
    /// assert_eq!(msm::Area::Discrete.key(), "discrete");
    /// ```
    pub fn key(self) -> &'static str {
        match self {
            Area::Coil => "coil",
            Area::Discrete => "discrete",
            Area::Input => "input",
            Area::Holding => "holding",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Area::Coil => "coils",
            Area::Discrete => "discrete inputs",
            Area::Input => "input registers",
            Area::Holding => "holding registers",
        })
    }
}

impl FromStr for Area {
    type Err = Error;

    /// Accepts the map-file keys and the usual long forms (`coils`, `discrete_inputs`,
    /// `input_registers`, `holding_registers`, `di`, `ir`, `hr`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "coil" | "coils" => Ok(Area::Coil),
            "discrete" | "discrete_input" | "discrete_inputs" | "di" => Ok(Area::Discrete),
            "input" | "input_register" | "input_registers" | "ir" => Ok(Area::Input),
            "holding" | "holding_register" | "holding_registers" | "hr" => Ok(Area::Holding),
            _ => Err(Error::UnknownArea {
                name: s.to_string(),
            }),
        }
    }
}

/// Where an area starts and how many items it holds.
///
/// ```
/// use msm::{Area, AreaSpec, Memory};
/// let spec = AreaSpec { start: 40_000, size: 100 };
/// let mem = Memory::builder().area(Area::Holding, spec).build()?;
/// assert_eq!(mem.spec(Area::Holding), spec);
/// assert!(mem.holding::<u16>(40_099).is_ok());
/// assert!(mem.holding::<u16>(40_100).is_err());
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaSpec {
    /// First address of the area.
    pub start: u16,
    /// Number of items (registers or bits), 0..=65536; `start + size` may not exceed 65536.
    pub size: u32,
}

impl AreaSpec {
    /// An area of `size` items starting at `start`.
    ///
    /// ```
    /// let spec = msm::AreaSpec::new(1024, 1024);
    /// assert_eq!(spec.end(), 2048);
    /// ```
    pub fn new(start: u16, size: u32) -> Self {
        AreaSpec { start, size }
    }

    /// One past the last address (up to 65536).
    ///
    /// ```
    /// use msm::AreaSpec;
    /// assert_eq!(AreaSpec::new(100, 10).end(), 110);
    /// assert_eq!(AreaSpec::new(0, 65536).end(), 65536); // the whole address space
    /// ```
    pub fn end(&self) -> u32 {
        u32::from(self.start) + self.size
    }

    /// The index of `address` in the area if `count` items from it lie inside: the one
    /// address-in-area check, for declarations and for the slave's requests.
    pub(crate) fn index_of(&self, address: u32, count: u32) -> Option<usize> {
        let start = u32::from(self.start);
        if address < start || count > self.size || address - start > self.size - count {
            return None;
        }
        Some((address - start) as usize)
    }

    pub(crate) fn check(&self, area: Area) -> Result<(), Error> {
        if self.end() > 65536 {
            return Err(Error::AreaTooLarge {
                area,
                start: self.start,
                size: self.size,
            });
        }
        Ok(())
    }
}
