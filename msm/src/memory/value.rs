//! The value types a variable can hold, and how each maps onto bits and registers.

use crate::types::Error;

/// The shape a value type takes in memory; decides which areas and declarations fit it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One bit: a coil, a discrete input or a bit of a register.
    Bool,
    /// One byte of a register.
    Byte,
    /// A fixed number of registers (numbers, `[u16; N]`).
    Words(usize),
    /// ASCII text over a declared number of registers.
    Text,
    /// Raw registers, as many as declared (`Vec<u16>`).
    RawWords,
    /// A fixed number of raw registers (`[u16; N]`): word order does not apply.
    RawArray(usize),
}

/// The stored form of a value, read out of memory (registers already in big-endian order).
#[doc(hidden)]
pub enum Raw<'a> {
    Bit(bool),
    Byte(u8),
    Words(&'a [u8]),
}

/// Where a value writes its stored form.
#[doc(hidden)]
pub enum RawMut<'a> {
    Bit(&'a mut bool),
    Byte(&'a mut u8),
    Words(&'a mut [u8]),
}

mod sealed {
    pub trait Sealed {}
}

/// A type a [`Var`](crate::Var) can hold: `bool`, `u8`, `i8`, `u16`, `i16`, `u32`, `i32`,
/// `u64`, `i64`, `f32`, `f64`, `String` (ASCII, NUL-padded), `Vec<u16>` and `[u16; N]`
/// (raw registers).
///
/// The trait is sealed: the set of types is the set the Modbus world uses.
///
/// ```
/// use msm::{Memory, Var};
/// let mem = Memory::new(4);
/// let x: Var<f64> = mem.holding(0)?;
/// x.set(-1.5)?;
/// assert_eq!(x.get(), -1.5);
/// # Ok::<(), msm::Error>(())
/// ```
pub trait Value: sealed::Sealed + Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The type's name as it appears in messages and map files.
    ///
    /// ```
    /// use msm::Value;
    /// assert_eq!(<u32 as Value>::NAME, "u32");
    /// assert_eq!(<String as Value>::NAME, "string");
    /// assert_eq!(<Vec<u16> as Value>::NAME, "raw registers");
    /// ```
    const NAME: &'static str;
    #[doc(hidden)]
    fn shape() -> Shape;
    #[doc(hidden)]
    fn decode(raw: Raw<'_>) -> Self;
    #[doc(hidden)]
    fn encode(&self, raw: RawMut<'_>) -> Result<(), Error>;
}

impl sealed::Sealed for bool {}
impl Value for bool {
    const NAME: &'static str = "bool";
    fn shape() -> Shape {
        Shape::Bool
    }
    fn decode(raw: Raw<'_>) -> Self {
        match raw {
            Raw::Bit(b) => b,
            Raw::Byte(b) => b != 0,
            Raw::Words(w) => w.iter().any(|&b| b != 0),
        }
    }
    fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
        match raw {
            RawMut::Bit(b) => *b = *self,
            RawMut::Byte(b) => *b = u8::from(*self),
            RawMut::Words(w) => {
                w.fill(0);
                if let Some(last) = w.last_mut() {
                    *last = u8::from(*self);
                }
            }
        }
        Ok(())
    }
}

macro_rules! byte_value {
    ($t:ty, $name:literal) => {
        impl sealed::Sealed for $t {}
        impl Value for $t {
            const NAME: &'static str = $name;
            fn shape() -> Shape {
                Shape::Byte
            }
            fn decode(raw: Raw<'_>) -> Self {
                match raw {
                    Raw::Byte(b) => b as $t,
                    Raw::Bit(b) => b as $t,
                    Raw::Words(w) => w.last().copied().unwrap_or(0) as $t,
                }
            }
            fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
                let byte = *self as u8;
                match raw {
                    RawMut::Byte(b) => *b = byte,
                    RawMut::Bit(b) => *b = byte != 0,
                    RawMut::Words(w) => {
                        w.fill(0);
                        if let Some(last) = w.last_mut() {
                            *last = byte;
                        }
                    }
                }
                Ok(())
            }
        }
    };
}
byte_value!(u8, "u8");
byte_value!(i8, "i8");

macro_rules! number_value {
    ($t:ty, $name:literal) => {
        impl sealed::Sealed for $t {}
        impl Value for $t {
            const NAME: &'static str = $name;
            fn shape() -> Shape {
                Shape::Words(std::mem::size_of::<$t>() / 2)
            }
            fn decode(raw: Raw<'_>) -> Self {
                let mut be = [0u8; std::mem::size_of::<$t>()];
                match raw {
                    Raw::Words(w) => {
                        let n = w.len().min(be.len());
                        be[..n].copy_from_slice(&w[..n]);
                    }
                    Raw::Byte(b) => be[be.len() - 1] = b,
                    Raw::Bit(b) => be[be.len() - 1] = u8::from(b),
                }
                <$t>::from_be_bytes(be)
            }
            fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
                let be = self.to_be_bytes();
                match raw {
                    RawMut::Words(w) => {
                        let n = w.len().min(be.len());
                        w[..n].copy_from_slice(&be[..n]);
                    }
                    RawMut::Byte(b) => *b = be[be.len() - 1],
                    RawMut::Bit(b) => *b = be.iter().any(|&x| x != 0),
                }
                Ok(())
            }
        }
    };
}
number_value!(u16, "u16");
number_value!(i16, "i16");
number_value!(u32, "u32");
number_value!(i32, "i32");
number_value!(u64, "u64");
number_value!(i64, "i64");
number_value!(f32, "f32");
number_value!(f64, "f64");

impl sealed::Sealed for String {}
/// ASCII text, first character in the high byte of the first register, padded with NUL.
/// Reading stops at the first NUL; bytes above 0x7F written by a peer read as Latin-1.
impl Value for String {
    const NAME: &'static str = "string";
    fn shape() -> Shape {
        Shape::Text
    }
    fn decode(raw: Raw<'_>) -> Self {
        match raw {
            Raw::Words(w) => w
                .iter()
                .take_while(|&&b| b != 0)
                .map(|&b| char::from(b))
                .collect(),
            Raw::Byte(b) => char::from(b).to_string(),
            Raw::Bit(b) => if b { "1" } else { "0" }.to_string(),
        }
    }
    fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
        if let Some((index, c)) = self.char_indices().find(|(_, c)| !c.is_ascii()) {
            return Err(Error::NotAscii { index, found: c });
        }
        match raw {
            RawMut::Words(w) => {
                if self.len() > w.len() {
                    return Err(Error::StringTooLong {
                        len: self.len(),
                        capacity: w.len(),
                    });
                }
                w[..self.len()].copy_from_slice(self.as_bytes());
                w[self.len()..].fill(0);
                Ok(())
            }
            RawMut::Byte(_) | RawMut::Bit(_) => Err(Error::StringTooLong {
                len: self.len(),
                capacity: 0,
            }),
        }
    }
}

impl sealed::Sealed for Vec<u16> {}
/// Raw registers, as many as the variable was declared with; word order does not apply.
impl Value for Vec<u16> {
    const NAME: &'static str = "raw registers";
    fn shape() -> Shape {
        Shape::RawWords
    }
    fn decode(raw: Raw<'_>) -> Self {
        match raw {
            Raw::Words(w) => w
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect(),
            Raw::Byte(b) => vec![u16::from(b)],
            Raw::Bit(b) => vec![u16::from(b)],
        }
    }
    fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
        match raw {
            RawMut::Words(w) => {
                if self.len() * 2 != w.len() {
                    return Err(Error::LengthMismatch {
                        expected: w.len() / 2,
                        got: self.len(),
                    });
                }
                for (dst, v) in w.chunks_exact_mut(2).zip(self) {
                    dst.copy_from_slice(&v.to_be_bytes());
                }
                Ok(())
            }
            RawMut::Byte(_) | RawMut::Bit(_) => Err(Error::LengthMismatch {
                expected: 0,
                got: self.len(),
            }),
        }
    }
}

impl<const N: usize> sealed::Sealed for [u16; N] {}
/// `N` raw registers; word order does not apply.
impl<const N: usize> Value for [u16; N] {
    const NAME: &'static str = "[u16; N]";
    fn shape() -> Shape {
        Shape::RawArray(N)
    }
    fn decode(raw: Raw<'_>) -> Self {
        let mut out = [0u16; N];
        if let Raw::Words(w) = raw {
            for (o, p) in out.iter_mut().zip(w.chunks_exact(2)) {
                *o = u16::from_be_bytes([p[0], p[1]]);
            }
        }
        out
    }
    fn encode(&self, raw: RawMut<'_>) -> Result<(), Error> {
        if let RawMut::Words(w) = raw {
            for (dst, v) in w.chunks_exact_mut(2).zip(self) {
                dst.copy_from_slice(&v.to_be_bytes());
            }
        }
        Ok(())
    }
}
