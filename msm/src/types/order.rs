//! Word and byte orders of multi-register values.

use std::fmt;
use std::str::FromStr;

use crate::types::Error;

/// How the bytes of a multi-register value are laid out over its registers.
///
/// Named after where the bytes `A B C D` of the big-endian value `0xAABBCCDD` land,
/// register by register. For 64-bit values the same rule extends to four registers.
///
/// | order | `0x12345678` as registers | also known as |
/// |---|---|---|
/// | `ABCD` | `0x1234 0x5678` | big-endian (the default) |
/// | `CDAB` | `0x5678 0x1234` | word swap, "little-endian word order" (the original's `uint32`) |
/// | `BADC` | `0x3412 0x7856` | byte swap |
/// | `DCBA` | `0x7856 0x3412` | little-endian |
///
/// ```
/// use msm::{Memory, Order, Var};
/// let mem = Memory::new(2);
/// let v: Var<u32> = mem.holding(0)?.order(Order::CDAB);
/// v.set(0x1234_5678)?;
/// let raw: Var<[u16; 2]> = mem.holding(0)?;
/// assert_eq!(raw.get(), [0x5678, 0x1234]);
/// # Ok::<(), msm::Error>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// Big-endian words, big-endian bytes.
    #[default]
    ABCD,
    /// Words reversed (least significant word first), bytes big-endian in each word.
    CDAB,
    /// Words in order, bytes swapped in each word.
    BADC,
    /// Fully little-endian.
    DCBA,
}

impl Order {
    /// True if the two bytes of each register are swapped.
    ///
    /// ```
    /// use msm::Order;
    /// assert!(Order::BADC.swaps_bytes() && Order::DCBA.swaps_bytes());
    /// assert!(!Order::ABCD.swaps_bytes() && !Order::CDAB.swaps_bytes());
    /// ```
    pub fn swaps_bytes(self) -> bool {
        matches!(self, Order::BADC | Order::DCBA)
    }

    /// True if the registers come least significant first.
    ///
    /// ```
    /// use msm::Order;
    /// assert!(Order::CDAB.swaps_words() && Order::DCBA.swaps_words());
    /// assert!(!Order::ABCD.swaps_words() && !Order::BADC.swaps_words());
    /// ```
    pub fn swaps_words(self) -> bool {
        matches!(self, Order::CDAB | Order::DCBA)
    }

    /// Converts between the big-endian image of a value and its wire image, in place.
    /// The conversion is its own inverse.
    pub(crate) fn apply(self, bytes: &mut [u8]) {
        if self.swaps_words() {
            let words = bytes.len() / 2;
            for i in 0..words / 2 {
                let j = words - 1 - i;
                bytes.swap(2 * i, 2 * j);
                bytes.swap(2 * i + 1, 2 * j + 1);
            }
        }
        if self.swaps_bytes() {
            for pair in bytes.chunks_exact_mut(2) {
                pair.swap(0, 1);
            }
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl FromStr for Order {
    type Err = Error;

    /// Parses `ABCD`, `CDAB`, `BADC` or `DCBA` (any case).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ABCD" => Ok(Order::ABCD),
            "CDAB" => Ok(Order::CDAB),
            "BADC" => Ok(Order::BADC),
            "DCBA" => Ok(Order::DCBA),
            _ => Err(Error::UnknownOrder {
                name: s.to_string(),
            }),
        }
    }
}

/// Which byte of a register a `u8`/`i8` variable occupies.
///
/// `Low` is the least significant byte (the original's byte 0), sent second on the wire.
///
/// ```
/// use msm::{Byte, Memory, Var};
/// assert_eq!("hi".parse::<Byte>()?, Byte::High);
/// assert_eq!(Byte::Low.to_string(), "low");
/// let mem = Memory::new(1);
/// let low: Var<u8> = mem.holding_byte(0, Byte::Low)?;
/// let high: Var<u8> = mem.holding_byte(0, Byte::High)?;
/// mem.holding::<u16>(0)?.set(0xAB_CD)?;
/// assert_eq!((high.get(), low.get()), (0xAB, 0xCD));
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Byte {
    /// Bits 0..=7 of the register (the original's byte 0).
    Low,
    /// Bits 8..=15 of the register (the original's byte 1).
    High,
}

impl FromStr for Byte {
    type Err = Error;

    /// Parses `low`/`high` (also `0`/`1`, `lo`/`hi`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" | "lo" | "0" => Ok(Byte::Low),
            "high" | "hi" | "1" => Ok(Byte::High),
            _ => Err(Error::UnknownByte {
                name: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for Byte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Byte::Low => "low",
            Byte::High => "high",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_of_0x12345678() {
        let cases = [
            (Order::ABCD, [0x12, 0x34, 0x56, 0x78]),
            (Order::CDAB, [0x56, 0x78, 0x12, 0x34]),
            (Order::BADC, [0x34, 0x12, 0x78, 0x56]),
            (Order::DCBA, [0x78, 0x56, 0x34, 0x12]),
        ];
        for (order, wire) in cases {
            let mut b = 0x1234_5678u32.to_be_bytes();
            order.apply(&mut b);
            assert_eq!(b, wire, "{order}");
            order.apply(&mut b);
            assert_eq!(b, 0x1234_5678u32.to_be_bytes(), "{order} is an involution");
        }
    }

    #[test]
    fn parse_orders_and_bytes() {
        assert_eq!("cdab".parse::<Order>().ok(), Some(Order::CDAB));
        assert!("ACBD".parse::<Order>().is_err());
        assert_eq!("high".parse::<Byte>().ok(), Some(Byte::High));
        assert!("middle".parse::<Byte>().is_err());
    }
}
