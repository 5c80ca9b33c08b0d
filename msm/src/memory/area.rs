//! The storage of one area.
//!
//! Registers are kept as their big-endian wire image and bits packed LSB-first, exactly
//! as FC3/FC16 and FC1/FC15 carry them, so serving a request is a copy, not a conversion.

use crate::types::{Area, AreaSpec};

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
