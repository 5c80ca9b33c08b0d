//! Zero-copy views over register and bit data as they travel on the wire.
//!
//! Register data is big-endian, two bytes per register; bit data is packed LSB-first
//! (bit 0 of the first byte is the first coil), exactly as FC1/FC2/FC15 carry it. Memory
//! in msm keeps the same layout, so serving a read or applying a write is a copy.

use core::iter::FusedIterator;
use core::slice::ChunksExact;

use super::ViewError;
use super::limits::bit_bytes;

/// Registers as wire bytes: big-endian, two bytes per register.
///
/// ```
/// use msm_proto::Registers;
///
/// let regs = Registers::new(&[0x02, 0x2B, 0x00, 0x64])?;
/// assert_eq!(regs.len(), 2);
/// assert_eq!(regs.get(1), Some(0x0064));
/// assert_eq!(regs.get(2), None);
/// assert_eq!(regs.iter().collect::<Vec<_>>(), [0x022B, 0x0064]);
/// # Ok::<(), msm_proto::ViewError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Registers<'a> {
    bytes: &'a [u8],
}

impl<'a> Registers<'a> {
    /// A view over `bytes`, which must be a whole number of registers.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// assert!(Registers::new(&[0x00]).is_err());
    /// ```
    pub const fn new(bytes: &'a [u8]) -> Result<Self, ViewError> {
        if !bytes.len().is_multiple_of(2) {
            return Err(ViewError::OddLength { len: bytes.len() });
        }
        Ok(Self { bytes })
    }

    /// Writes `values` big-endian into the front of `buf` and views them.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// let mut buf = [0u8; 8];
    /// let regs = Registers::pack(&[0x000A, 0x0102], &mut buf)?;
    /// assert_eq!(regs.as_bytes(), [0x00, 0x0A, 0x01, 0x02]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn pack<'b>(values: &[u16], buf: &'b mut [u8]) -> Result<Registers<'b>, ViewError> {
        let needed = values.len().saturating_mul(2);
        let available = buf.len();
        let dest = buf
            .get_mut(..needed)
            .ok_or(ViewError::BufferTooSmall { needed, available })?;
        for (pair, value) in dest.chunks_exact_mut(2).zip(values) {
            pair.copy_from_slice(&value.to_be_bytes());
        }
        Ok(Registers { bytes: dest })
    }

    /// Number of registers.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// assert_eq!(Registers::new(&[0; 6])?.len(), 3);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.bytes.len() / 2
    }

    /// Whether there is no register.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// assert!(Registers::new(&[])?.is_empty());
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Register `index`, or `None` past the end.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// assert_eq!(Registers::new(&[0x12, 0x34])?.get(0), Some(0x1234));
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<u16> {
        super::wire::u16_at(self.bytes, index.checked_mul(2)?)
    }

    /// The registers in order.
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// let sum: u32 = Registers::new(&[0, 1, 0, 2])?.iter().map(u32::from).sum();
    /// assert_eq!(sum, 3);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn iter(&self) -> RegisterIter<'a> {
        RegisterIter {
            chunks: self.bytes.chunks_exact(2),
        }
    }

    /// The wire bytes (`2 * len()` of them).
    ///
    /// ```
    /// # use msm_proto::Registers;
    /// assert_eq!(Registers::new(&[0xAB, 0xCD])?.as_bytes(), [0xAB, 0xCD]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<'a> IntoIterator for Registers<'a> {
    type Item = u16;
    type IntoIter = RegisterIter<'a>;
    fn into_iter(self) -> RegisterIter<'a> {
        self.iter()
    }
}

/// Iterator over the values of [`Registers`].
///
/// ```
/// # use msm_proto::Registers;
/// let mut it = Registers::new(&[0, 7])?.iter();
/// assert_eq!(it.next(), Some(7));
/// assert_eq!(it.next(), None);
/// # Ok::<(), msm_proto::ViewError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RegisterIter<'a> {
    chunks: ChunksExact<'a, u8>,
}

impl Iterator for RegisterIter<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        let pair = self.chunks.next()?.first_chunk::<2>()?;
        Some(u16::from_be_bytes(*pair))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl DoubleEndedIterator for RegisterIter<'_> {
    fn next_back(&mut self) -> Option<u16> {
        let pair = self.chunks.next_back()?.first_chunk::<2>()?;
        Some(u16::from_be_bytes(*pair))
    }
}

impl ExactSizeIterator for RegisterIter<'_> {}
impl FusedIterator for RegisterIter<'_> {}

/// Bits packed LSB-first, as FC1, FC2 and FC15 carry them, with their count.
///
/// Padding bits of the last byte are not part of the view: two views are equal when
/// they hold the same number of bits with the same values, whatever the padding.
///
/// ```
/// use msm_proto::Bits;
///
/// // The spec's FC15 example: coils 20..=29 as 0xCD 0x01.
/// let bits = Bits::new(&[0xCD, 0x01], 10)?;
/// assert_eq!(bits.len(), 10);
/// assert_eq!(bits.get(0), Some(true));
/// assert_eq!(bits.get(1), Some(false));
/// assert_eq!(bits.get(10), None);
/// let on = bits.iter().filter(|&b| b).count();
/// assert_eq!(on, 6);
/// # Ok::<(), msm_proto::ViewError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Bits<'a> {
    bytes: &'a [u8],
    len: u16,
}

impl<'a> Bits<'a> {
    /// A view of `quantity` bits over `bytes`, which must be exactly `ceil(quantity / 8)`
    /// bytes long.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// assert!(Bits::new(&[0xFF], 9).is_err());
    /// assert!(Bits::new(&[0xFF, 0x01], 9).is_ok());
    /// ```
    pub const fn new(bytes: &'a [u8], quantity: u16) -> Result<Self, ViewError> {
        let expected = bit_bytes(quantity);
        if bytes.len() != expected {
            return Err(ViewError::BitsLength {
                quantity,
                expected,
                found: bytes.len(),
            });
        }
        Ok(Self {
            bytes,
            len: quantity,
        })
    }

    /// Packs `values` LSB-first into the front of `buf` (padding with zeros) and views
    /// them.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// let mut buf = [0xFFu8; 4];
    /// let bits = Bits::pack(&[true, false, true], &mut buf)?;
    /// assert_eq!(bits.as_bytes(), [0b101]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn pack<'b>(values: &[bool], buf: &'b mut [u8]) -> Result<Bits<'b>, ViewError> {
        let available = buf.len();
        let Ok(quantity) = u16::try_from(values.len()) else {
            return Err(ViewError::BufferTooSmall {
                needed: values.len().div_ceil(8),
                available,
            });
        };
        let needed = bit_bytes(quantity);
        let dest = buf
            .get_mut(..needed)
            .ok_or(ViewError::BufferTooSmall { needed, available })?;
        for (byte, chunk) in dest.iter_mut().zip(values.chunks(8)) {
            *byte = chunk
                .iter()
                .enumerate()
                .fold(0u8, |acc, (bit, &on)| acc | (u8::from(on) << bit));
        }
        Ok(Bits {
            bytes: dest,
            len: quantity,
        })
    }

    /// Number of bits.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// assert_eq!(Bits::new(&[0, 0], 12)?.len(), 12);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there is no bit.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// assert!(Bits::new(&[], 0)?.is_empty());
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `index` (`true` = ON), or `None` past the end.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// let bits = Bits::new(&[0b1000_0000, 0b1], 9)?;
    /// assert_eq!((bits.get(7), bits.get(8), bits.get(0)), (Some(true), Some(true), Some(false)));
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<bool> {
        if index >= self.len() {
            return None;
        }
        let byte = self.bytes.get(index / 8)?;
        Some(byte >> (index % 8) & 1 == 1)
    }

    /// The bits in order.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// let bits = Bits::new(&[0b110], 3)?;
    /// assert_eq!(bits.iter().collect::<Vec<_>>(), [false, true, true]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn iter(&self) -> BitIter<'a> {
        BitIter {
            bits: *self,
            front: 0,
            back: self.len(),
        }
    }

    /// The packed wire bytes (`ceil(len() / 8)` of them), padding included as given.
    ///
    /// ```
    /// # use msm_proto::Bits;
    /// assert_eq!(Bits::new(&[0xCD, 0x01], 10)?.as_bytes(), [0xCD, 0x01]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The last byte with its padding bits cleared, as the spec wants them on the wire
    /// (`None` when there is no bit).
    pub(crate) fn last_byte_masked(&self) -> Option<u8> {
        let last = *self.bytes.last()?;
        let used = self.len % 8;
        Some(if used == 0 {
            last
        } else {
            last & ((1u8 << used) - 1)
        })
    }
}

impl PartialEq for Bits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Bits<'_> {}

impl<'a> IntoIterator for Bits<'a> {
    type Item = bool;
    type IntoIter = BitIter<'a>;
    fn into_iter(self) -> BitIter<'a> {
        self.iter()
    }
}

/// Iterator over the values of [`Bits`].
///
/// ```
/// # use msm_proto::Bits;
/// assert_eq!(Bits::new(&[1], 1)?.iter().next(), Some(true));
/// # Ok::<(), msm_proto::ViewError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BitIter<'a> {
    bits: Bits<'a>,
    front: usize,
    back: usize,
}

impl Iterator for BitIter<'_> {
    type Item = bool;
    fn next(&mut self) -> Option<bool> {
        if self.front >= self.back {
            return None;
        }
        let bit = self.bits.get(self.front);
        self.front += 1;
        bit
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back.saturating_sub(self.front);
        (left, Some(left))
    }
}

impl DoubleEndedIterator for BitIter<'_> {
    fn next_back(&mut self) -> Option<bool> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.bits.get(self.back)
    }
}

impl ExactSizeIterator for BitIter<'_> {}
impl FusedIterator for BitIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_padding_but_not_length() {
        let a = Bits::new(&[0b0000_0101], 3).unwrap();
        let b = Bits::new(&[0b1111_1101], 3).unwrap();
        let c = Bits::new(&[0b0000_0101], 4).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(b.last_byte_masked(), Some(0b101));
    }

    #[test]
    fn pack_then_view_round_trips() {
        let values: Vec<bool> = (0..19).map(|i| i % 3 == 0).collect();
        let mut buf = [0u8; 3];
        let bits = Bits::pack(&values, &mut buf).unwrap();
        assert_eq!(bits.iter().collect::<Vec<_>>(), values);
        assert_eq!(bits.iter().rev().count(), 19);
        let mut small = [0u8; 2];
        assert!(Bits::pack(&values, &mut small).is_err());
    }

    #[test]
    fn registers_iterate_both_ways() {
        let regs = Registers::new(&[0, 1, 0, 2, 0, 3]).unwrap();
        assert_eq!(regs.iter().rev().collect::<Vec<_>>(), [3, 2, 1]);
        assert_eq!(regs.iter().len(), 3);
        assert_eq!(regs.get(usize::MAX), None);
        let mut small = [0u8; 3];
        assert!(Registers::pack(&[1, 2], &mut small).is_err());
    }
}
