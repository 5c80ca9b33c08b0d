//! The four Modbus data areas and their storage.
//!
//! Registers are kept as their big-endian wire image and bits packed LSB-first, exactly
//! as FC3/FC16 and FC1/FC15 carry them, so serving a request is a copy, not a conversion.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

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

/// Storage for one area: its wire image. (What a master tracks per item is in sync.rs.)
#[derive(Debug)]
pub(crate) struct AreaData {
    pub(crate) start: u16,
    pub(crate) size: u32,
    /// Registers: 2 bytes each, big-endian. Bits: packed LSB-first.
    pub(crate) data: Vec<u8>,
}

impl AreaData {
    pub(crate) fn new(area: Area, spec: AreaSpec) -> Self {
        let size = spec.size as usize;
        let bytes = if area.is_bits() {
            size.div_ceil(8)
        } else {
            size * 2
        };
        AreaData {
            start: spec.start,
            size: spec.size,
            data: vec![0; bytes],
        }
    }

    pub(crate) fn spec(&self) -> AreaSpec {
        AreaSpec::new(self.start, self.size)
    }

    /// Index of `address` if `count` items from it lie inside the area.
    pub(crate) fn index_of(&self, address: u32, count: u32) -> Option<usize> {
        self.spec().index_of(address, count)
    }

    pub(crate) fn registers(&self, index: usize, count: usize) -> &[u8] {
        &self.data[index * 2..(index + count) * 2]
    }

    pub(crate) fn registers_mut(&mut self, index: usize, count: usize) -> &mut [u8] {
        &mut self.data[index * 2..(index + count) * 2]
    }

    pub(crate) fn bit(&self, index: usize) -> bool {
        self.data[index / 8] >> (index % 8) & 1 == 1
    }

    pub(crate) fn set_bit(&mut self, index: usize, value: bool) {
        let mask = 1u8 << (index % 8);
        if value {
            self.data[index / 8] |= mask;
        } else {
            self.data[index / 8] &= !mask;
        }
    }

    /// Copies `count` bits from item `index` into `out`, packed LSB-first from bit 0,
    /// unused high bits of the last byte zero (as FC1/FC2 responses require).
    pub(crate) fn read_bits(&self, index: usize, count: usize, out: &mut [u8]) {
        let out = &mut out[..count.div_ceil(8)];
        let shift = index % 8;
        let first = index / 8;
        if shift == 0
            && let Some(src) = self.data.get(first..first + out.len())
        {
            // Byte-aligned (reads from the area's start, or any multiple of 8): a copy.
            out.copy_from_slice(src);
        } else {
            self.read_bits_shifted(first, shift, out);
        }
        if !count.is_multiple_of(8)
            && let Some(last) = out.last_mut()
        {
            *last &= (1u8 << (count % 8)) - 1;
        }
    }

    fn read_bits_shifted(&self, first: usize, shift: usize, out: &mut [u8]) {
        for (j, byte) in out.iter_mut().enumerate() {
            let lo = self.data.get(first + j).copied().unwrap_or(0);
            let hi = self.data.get(first + j + 1).copied().unwrap_or(0);
            *byte = ((u16::from(hi) << 8 | u16::from(lo)) >> shift) as u8;
        }
    }

    /// Writes `count` bits packed LSB-first in `src` to items from `index` on.
    pub(crate) fn write_bits(&mut self, index: usize, count: usize, src: &[u8]) {
        if index.is_multiple_of(8) {
            let whole = count / 8;
            let first = index / 8;
            self.data[first..first + whole].copy_from_slice(&src[..whole]);
            for i in whole * 8..count {
                self.set_bit(index + i, src[i / 8] >> (i % 8) & 1 == 1);
            }
        } else {
            for i in 0..count {
                self.set_bit(index + i, src[i / 8] >> (i % 8) & 1 == 1);
            }
        }
    }
}

/// A fixed-size set of item indexes, one bit each.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    pub(crate) fn new(len: usize) -> Self {
        BitSet {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(crate) fn contains(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] >> (i % 64) & 1 == 1
    }

    pub(crate) fn insert(&mut self, i: usize) {
        if i < self.len {
            self.words[i / 64] |= 1 << (i % 64);
        }
    }

    pub(crate) fn remove(&mut self, i: usize) {
        if i < self.len {
            self.words[i / 64] &= !(1 << (i % 64));
        }
    }

    pub(crate) fn set_range(&mut self, start: usize, count: usize) {
        self.for_words(start, count, |word, bits| *word |= bits);
    }

    pub(crate) fn clear_range(&mut self, start: usize, count: usize) {
        self.for_words(start, count, |word, bits| *word &= !bits);
    }

    /// Calls `f` once per word the range `start..start + count` (cut at the set's end)
    /// touches, with the mask of its bits in that word: a 100-register write is two
    /// words, not a hundred bit operations.
    fn for_words(&mut self, start: usize, count: usize, mut f: impl FnMut(&mut u64, u64)) {
        let end = start.saturating_add(count).min(self.len);
        let mut i = start;
        while i < end {
            let (w, bit) = (i / 64, i % 64);
            let n = (64 - bit).min(end - i);
            let bits = if n == 64 {
                u64::MAX
            } else {
                ((1u64 << n) - 1) << bit
            };
            if let Some(word) = self.words.get_mut(w) {
                f(word, bits);
            }
            i += n;
        }
    }

    /// The first set index at or after `from`, skipping empty words quickly.
    pub(crate) fn next_set(&self, from: usize) -> Option<usize> {
        if from >= self.len {
            return None;
        }
        let mut w = from / 64;
        let mut word = self.words[w] & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                return (i < self.len).then_some(i);
            }
            w += 1;
            word = *self.words.get(w)?;
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_checks_both_ends() {
        let a = AreaData::new(Area::Holding, AreaSpec::new(100, 10));
        assert_eq!(a.index_of(100, 10), Some(0));
        assert_eq!(a.index_of(109, 1), Some(9));
        assert_eq!(a.index_of(109, 2), None);
        assert_eq!(a.index_of(99, 1), None);
        assert_eq!(a.index_of(110, 1), None);
        assert_eq!(a.index_of(100, 11), None);
        let full = AreaData::new(Area::Holding, AreaSpec::new(0, 65536));
        assert_eq!(full.index_of(65535, 1), Some(65535));
        assert_eq!(full.index_of(65535, 2), None);
    }

    #[test]
    fn bits_round_trip_at_every_offset() {
        let mut a = AreaData::new(Area::Coil, AreaSpec::new(0, 64));
        let src = [0b1011_0101u8, 0b0000_0011];
        for index in 0..40 {
            for count in 1..=10 {
                a.data.fill(0);
                a.write_bits(index, count, &src);
                let mut out = [0xFFu8; 2];
                a.read_bits(index, count, &mut out);
                let mask = if count >= 16 {
                    0xFFFF
                } else {
                    (1u16 << count) - 1
                };
                let want = (u16::from_le_bytes(src) & mask).to_le_bytes();
                assert_eq!(
                    &out[..count.div_ceil(8)],
                    &want[..count.div_ceil(8)],
                    "{index} {count}"
                );
                // Nothing outside the range was touched.
                let ones: u32 = a.data.iter().map(|b| b.count_ones()).sum();
                assert_eq!(ones, (u16::from_le_bytes(src) & mask).count_ones());
            }
        }
    }

    #[test]
    fn bitset_next_set_walks_words() {
        let mut s = BitSet::new(200);
        s.insert(3);
        s.insert(130);
        s.insert(199);
        assert_eq!(s.next_set(0), Some(3));
        assert_eq!(s.next_set(4), Some(130));
        assert_eq!(s.next_set(131), Some(199));
        assert_eq!(s.next_set(200), None);
        s.clear_range(0, 200);
        assert!(s.is_empty());
    }

    #[test]
    fn bitset_ranges_set_and_clear_exactly_their_bits() {
        for start in [0, 1, 63, 64, 65, 127, 190] {
            for count in [0, 1, 2, 63, 64, 65, 129, 500] {
                let mut s = BitSet::new(200);
                s.set_range(start, count);
                let end = (start + count).min(200);
                for i in 0..200 {
                    assert_eq!(
                        s.contains(i),
                        (start..end).contains(&i),
                        "{start} {count} {i}"
                    );
                }
                let mut full = BitSet::new(200);
                full.set_range(0, 200);
                full.clear_range(start, count);
                for i in 0..200 {
                    assert_eq!(
                        full.contains(i),
                        !(start..end).contains(&i),
                        "{start} {count} {i}"
                    );
                }
            }
        }
        // Past the end, and a count that would overflow: nothing, no panic.
        let mut s = BitSet::new(10);
        s.set_range(20, 5);
        s.set_range(5, usize::MAX);
        assert_eq!(s.next_set(0), Some(5));
    }
}
