//! The types a map-file variable can have, and values of any of them.

use std::fmt;
use std::num::IntErrorKind;
use std::str::FromStr;

use super::map_error::MapErrorKind;

/// The type of a map-file variable, as written in its `type` key.
///
/// ```
/// use msm::map::VarType;
/// let t: VarType = "u32".parse()?;
/// assert_eq!(t, VarType::U32);
/// assert_eq!(t.to_string(), "u32");
/// assert_eq!(t.registers(), Some(2));
/// assert_eq!(VarType::String.registers(), None); // as many as its `len`
/// # Ok::<(), msm::map::MapErrorKind>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VarType {
    /// A coil or a discrete input.
    Bool,
    /// One bit of a register (`bit` = 0..=15, 0 the least significant).
    Bit,
    /// An unsigned byte of a register (`byte` = `low` or `high`).
    U8,
    /// A signed byte of a register (`byte` = `low` or `high`).
    I8,
    /// An unsigned 16-bit register.
    U16,
    /// A signed 16-bit register.
    I16,
    /// An unsigned 32-bit value over 2 registers.
    U32,
    /// A signed 32-bit value over 2 registers.
    I32,
    /// An unsigned 64-bit value over 4 registers.
    U64,
    /// A signed 64-bit value over 4 registers.
    I64,
    /// An IEEE 754 single over 2 registers.
    F32,
    /// An IEEE 754 double over 4 registers.
    F64,
    /// ASCII text over `len` registers, two characters each.
    String,
}

/// What kind of value a type holds; decides conversions and parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    Text,
}

impl VarType {
    /// Every type, in the order the docs list them.
    ///
    /// ```
    /// use msm::map::VarType;
    /// assert_eq!(VarType::ALL.len(), 13);
    /// assert_eq!(VarType::ALL.map(VarType::name).join(" "), "bool bit u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 string");
    /// ```
    pub const ALL: [VarType; 13] = [
        VarType::Bool,
        VarType::Bit,
        VarType::U8,
        VarType::I8,
        VarType::U16,
        VarType::I16,
        VarType::U32,
        VarType::I32,
        VarType::U64,
        VarType::I64,
        VarType::F32,
        VarType::F64,
        VarType::String,
    ];

    /// The name used in map files.
    ///
    /// ```
    /// use msm::map::VarType;
    /// assert_eq!(VarType::Bit.name(), "bit");
    /// assert_eq!(VarType::Bit.name().parse::<VarType>()?, VarType::Bit);
    /// # Ok::<(), msm::map::MapErrorKind>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            VarType::Bool => "bool",
            VarType::Bit => "bit",
            VarType::U8 => "u8",
            VarType::I8 => "i8",
            VarType::U16 => "u16",
            VarType::I16 => "i16",
            VarType::U32 => "u32",
            VarType::I32 => "i32",
            VarType::U64 => "u64",
            VarType::I64 => "i64",
            VarType::F32 => "f32",
            VarType::F64 => "f64",
            VarType::String => "string",
        }
    }

    /// How many items (bits or registers) a variable of this type covers; `None` for
    /// `string`, which covers as many registers as its `len`.
    ///
    /// ```
    /// use msm::map::VarType;
    /// assert_eq!(VarType::F64.registers(), Some(4));
    /// assert_eq!(VarType::Bit.registers(), Some(1));   // one bit of one register
    /// assert_eq!(VarType::Bool.registers(), Some(1));  // one coil or discrete input
    /// assert_eq!(VarType::String.registers(), None);   // its `len`
    /// ```
    pub fn registers(self) -> Option<usize> {
        match self {
            VarType::Bool | VarType::Bit | VarType::U8 | VarType::I8 => Some(1),
            VarType::U16 | VarType::I16 => Some(1),
            VarType::U32 | VarType::I32 | VarType::F32 => Some(2),
            VarType::U64 | VarType::I64 | VarType::F64 => Some(4),
            VarType::String => None,
        }
    }

    /// True for the types that live on coils and discrete inputs (only `bool`).
    ///
    /// ```
    /// use msm::map::VarType;
    /// assert!(VarType::Bool.is_bits());
    /// assert!(!VarType::Bit.is_bits()); // a bit of a register lives in a register area
    /// ```
    pub fn is_bits(self) -> bool {
        self == VarType::Bool
    }

    fn kind(self) -> Kind {
        match self {
            VarType::Bool | VarType::Bit => Kind::Bool,
            VarType::F32 | VarType::F64 => Kind::Float,
            VarType::String => Kind::Text,
            _ => Kind::Int,
        }
    }

    /// What a value of this type is written as, for messages.
    pub(crate) fn expects(self) -> &'static str {
        match self.kind() {
            Kind::Bool => "true or false",
            Kind::Int => "an integer",
            Kind::Float => "a number",
            Kind::Text => "a string",
        }
    }

    /// How to write it as text, for messages.
    pub(crate) fn syntax(self) -> &'static str {
        match self.kind() {
            Kind::Bool => "true, false, 1, 0, on or off",
            Kind::Int => {
                "a whole number: decimal, 0x hex, 0o octal or 0b binary, with - for negative"
            }
            Kind::Float => "a number such as 1.5, -2e3, nan, inf or -inf",
            Kind::Text => "ASCII text",
        }
    }

    /// What values it holds, for messages.
    pub(crate) fn range(self) -> &'static str {
        match self {
            VarType::Bool | VarType::Bit => "true and false",
            VarType::U8 => "whole numbers 0..=255",
            VarType::I8 => "whole numbers -128..=127",
            VarType::U16 => "whole numbers 0..=65535",
            VarType::I16 => "whole numbers -32768..=32767",
            VarType::U32 => "whole numbers 0..=4294967295",
            VarType::I32 => "whole numbers -2147483648..=2147483647",
            VarType::U64 => "whole numbers 0..=18446744073709551615",
            VarType::I64 => "whole numbers -9223372036854775808..=9223372036854775807",
            VarType::F32 => {
                "numbers up to ±3.4028235e38, nan and ±inf (whole numbers only where exact, \
                 so every one up to ±16777216)"
            }
            VarType::F64 => {
                "numbers up to ±1.7976931348623157e308, nan and ±inf (whole numbers only \
                 where exact, so every one up to ±9007199254740992)"
            }
            VarType::String => "ASCII text",
        }
    }

    /// Reads `text` as a value of this type: booleans as `true`/`false`/`1`/`0`/`on`/`off`,
    /// integers in decimal, `0x` hex, `0o` octal or `0b` binary with an optional `-`,
    /// floats as Rust and TOML write them (`nan`, `inf` too), strings as they are.
    /// Numbers are range-checked; string contents are checked when the value is set.
    ///
    /// ```
    /// use msm::map::{DynValue, VarType};
    /// assert_eq!(VarType::U16.parse_value("0x1F")?, DynValue::U16(31));
    /// assert_eq!(VarType::Bit.parse_value("on")?, DynValue::Bool(true));
    /// assert!(VarType::U8.parse_value("300").is_err());
    /// # Ok::<(), msm::map::MapErrorKind>(())
    /// ```
    pub fn parse_value(self, text: &str) -> Result<DynValue, MapErrorKind> {
        let syntax = || MapErrorKind::ValueSyntax {
            ty: self,
            text: text.to_string(),
        };
        let out_of_range = || MapErrorKind::ValueOutOfRange {
            ty: self,
            value: text.trim().to_string(),
        };
        let t = text.trim();
        match self.kind() {
            Kind::Text => Ok(DynValue::String(text.to_string())),
            Kind::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "on" => Ok(DynValue::Bool(true)),
                "false" | "0" | "off" => Ok(DynValue::Bool(false)),
                _ => Err(syntax()),
            },
            Kind::Int => match parse_int(t) {
                Ok(i) => self.int_value(i).ok_or_else(out_of_range),
                Err(IntError::Overflow) => Err(out_of_range()),
                Err(IntError::Syntax) => Err(syntax()),
            },
            Kind::Float => {
                let parsed = if self == VarType::F32 {
                    parse_float::<f32>(t).map(|f| f.map(DynValue::F32))
                } else {
                    parse_float::<f64>(t).map(|f| f.map(DynValue::F64))
                };
                match parsed {
                    Some(Some(v)) => Ok(v),
                    Some(None) => Err(out_of_range()),
                    // Integers in hex or binary are numbers too.
                    None => match parse_int(t) {
                        Ok(i) => self.int_value(i).ok_or_else(out_of_range),
                        Err(IntError::Overflow) => Err(out_of_range()),
                        Err(IntError::Syntax) => Err(syntax()),
                    },
                }
            }
        }
    }

    /// `i` as a value of this numeric type, if it holds it exactly.
    pub(crate) fn int_value(self, i: i128) -> Option<DynValue> {
        Some(match self {
            VarType::U8 => DynValue::U8(i.try_into().ok()?),
            VarType::I8 => DynValue::I8(i.try_into().ok()?),
            VarType::U16 => DynValue::U16(i.try_into().ok()?),
            VarType::I16 => DynValue::I16(i.try_into().ok()?),
            VarType::U32 => DynValue::U32(i.try_into().ok()?),
            VarType::I32 => DynValue::I32(i.try_into().ok()?),
            VarType::U64 => DynValue::U64(i.try_into().ok()?),
            VarType::I64 => DynValue::I64(i.try_into().ok()?),
            // Exact only: the cast back is exact for every float below 2^127.
            VarType::F32 => DynValue::F32(Some(i as f32).filter(|&f| f as i128 == i)?),
            VarType::F64 => DynValue::F64(Some(i as f64).filter(|&f| f as i128 == i)?),
            VarType::Bool | VarType::Bit | VarType::String => return None,
        })
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for VarType {
    type Err = MapErrorKind;

    /// Parses a map-file type name, in any case.
    fn from_str(s: &str) -> Result<Self, MapErrorKind> {
        let lower = s.trim().to_ascii_lowercase();
        VarType::ALL
            .into_iter()
            .find(|t| t.name() == lower)
            .ok_or_else(|| MapErrorKind::UnknownType {
                name: s.to_string(),
            })
    }
}

enum IntError {
    Syntax,
    Overflow,
}

/// An integer as a person writes it, if `t` is one (see [`parse_int`]).
pub(crate) fn parse_integer(t: &str) -> Option<i128> {
    parse_int(t.trim()).ok()
}

/// An integer as a person writes it: optional sign, `0x`/`0o`/`0b` prefix, `_` separators.
fn parse_int(t: &str) -> Result<i128, IntError> {
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| lower.strip_prefix(prefix).map(|d| (radix, d)))
        .unwrap_or((10, lower.as_str()));
    let digits = digits.replace('_', "");
    // from_str_radix takes a sign of its own: a second one would slip through.
    if digits.starts_with(['+', '-']) {
        return Err(IntError::Syntax);
    }
    match i128::from_str_radix(&digits, radix) {
        Ok(i) => Ok(if negative { -i } else { i }),
        Err(e) if matches!(e.kind(), IntErrorKind::PosOverflow) => Err(IntError::Overflow),
        Err(_) => Err(IntError::Syntax),
    }
}

/// `None` if `t` is not a float; `Some(None)` if it is one too large for `F`.
fn parse_float<F: FromStr + Into<f64> + Copy>(t: &str) -> Option<Option<F>> {
    let f: F = t.parse().ok()?;
    // Parsing saturates to infinity; only a written "inf" may give one.
    let overflowed = f.into().is_infinite() && !t.to_ascii_lowercase().contains("inf");
    Some((!overflowed).then_some(f))
}

/// A value of any map-file type: what [`AnyVar::get`](super::AnyVar::get) returns and
/// [`AnyVar::set`](super::AnyVar::set) takes.
///
/// It displays as the plain value (`true`, `42`, `-1.5`, `PUMP-1`; floats in their
/// shortest form that reads back the same: `1.0`, `0.1`, `1e40`, `NaN`, `inf`) and
/// serializes to JSON the same way (where NaN and infinities become `null`).
///
/// ```
/// use msm::map::{DynValue, VarType};
/// assert_eq!(DynValue::F32(0.1).to_string(), "0.1");
/// assert_eq!(DynValue::F64(1e40).to_string(), "1e40");
/// // Numeric values convert when nothing is lost.
/// assert_eq!(DynValue::U8(7).convert(VarType::F64)?, DynValue::F64(7.0));
/// assert!(DynValue::I16(-1).convert(VarType::U16).is_err());
/// let n: u32 = DynValue::U16(9).try_into()?;
/// assert_eq!(n, 9);
/// # Ok::<(), msm::map::MapErrorKind>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum DynValue {
    /// A `bool` or a `bit`.
    Bool(bool),
    /// A `u8`.
    U8(u8),
    /// An `i8`.
    I8(i8),
    /// A `u16`.
    U16(u16),
    /// An `i16`.
    I16(i16),
    /// A `u32`.
    U32(u32),
    /// An `i32`.
    I32(i32),
    /// A `u64`.
    U64(u64),
    /// An `i64`.
    I64(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
    /// A `string`.
    String(String),
}

impl DynValue {
    /// The kind of value, as TOML names it: `boolean`, `integer`, `float` or `string`.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// assert_eq!(DynValue::U8(1).kind_name(), "integer");
    /// assert_eq!(DynValue::F32(1.0).kind_name(), "float");
    /// assert_eq!(DynValue::Bool(true).kind_name(), "boolean");
    /// assert_eq!(DynValue::String("x".into()).kind_name(), "string");
    /// ```
    pub fn kind_name(&self) -> &'static str {
        match self {
            DynValue::Bool(_) => "boolean",
            DynValue::F32(_) | DynValue::F64(_) => "float",
            DynValue::String(_) => "string",
            _ => "integer",
        }
    }

    /// The value as a number, if it is one and is whole.
    pub(crate) fn as_int(&self) -> Option<i128> {
        match *self {
            DynValue::U8(v) => Some(v.into()),
            DynValue::I8(v) => Some(v.into()),
            DynValue::U16(v) => Some(v.into()),
            DynValue::I16(v) => Some(v.into()),
            DynValue::U32(v) => Some(v.into()),
            DynValue::I32(v) => Some(v.into()),
            DynValue::U64(v) => Some(v.into()),
            DynValue::I64(v) => Some(v.into()),
            DynValue::F32(v) => whole(v.into()),
            DynValue::F64(v) => whole(v),
            DynValue::Bool(_) | DynValue::String(_) => None,
        }
    }

    /// This value as a value of type `ty`: numbers convert to any numeric type that holds
    /// them exactly (and an `f64` to the nearest `f32` within range); booleans and strings
    /// only to their own types. String contents are checked against the variable when it
    /// is set.
    ///
    /// ```
    /// use msm::map::{DynValue, VarType};
    /// assert_eq!(DynValue::F64(3.0).convert(VarType::I16)?, DynValue::I16(3));
    /// assert_eq!(DynValue::F64(0.1).convert(VarType::F32)?, DynValue::F32(0.1)); // nearest f32
    /// assert!(DynValue::F64(3.5).convert(VarType::I16).is_err());  // not whole
    /// assert!(DynValue::U16(300).convert(VarType::U8).is_err());   // out of range
    /// assert!(DynValue::Bool(true).convert(VarType::U8).is_err()); // another kind
    /// # Ok::<(), msm::map::MapErrorKind>(())
    /// ```
    pub fn convert(&self, ty: VarType) -> Result<DynValue, MapErrorKind> {
        let wrong_type = || MapErrorKind::ValueType {
            ty,
            found: self.kind_name(),
        };
        let out_of_range = || MapErrorKind::ValueOutOfRange {
            ty,
            value: self.to_string(),
        };
        match (ty.kind(), self) {
            (Kind::Bool, DynValue::Bool(b)) => Ok(DynValue::Bool(*b)),
            (Kind::Text, DynValue::String(s)) => Ok(DynValue::String(s.clone())),
            (Kind::Bool | Kind::Text, _) | (_, DynValue::Bool(_) | DynValue::String(_)) => {
                Err(wrong_type())
            }
            // A float is itself a rounding, so to a narrower float the nearest is meant.
            (Kind::Float, DynValue::F32(f)) if ty == VarType::F32 => Ok(DynValue::F32(*f)),
            (Kind::Float, DynValue::F32(f)) => Ok(DynValue::F64((*f).into())),
            (Kind::Float, DynValue::F64(f)) if ty == VarType::F64 => Ok(DynValue::F64(*f)),
            (Kind::Float, DynValue::F64(f)) => {
                let narrow = *f as f32;
                if narrow.is_infinite() && f.is_finite() {
                    return Err(out_of_range());
                }
                Ok(DynValue::F32(narrow))
            }
            _ => self
                .as_int()
                .and_then(|i| ty.int_value(i))
                .ok_or_else(out_of_range),
        }
    }
}

/// `f` as an integer, if it is a whole number.
fn whole(f: f64) -> Option<i128> {
    // `as` saturates: a float past i128 comes back different and is refused.
    (f.fract() == 0.0 && (f as i128) as f64 == f).then_some(f as i128)
}

impl fmt::Display for DynValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug prints floats in the shortest form that reads back the same, with an
        // exponent when long (1e40, not 40 digits), as JSON writers do.
        match self {
            DynValue::Bool(v) => v.fmt(f),
            DynValue::U8(v) => v.fmt(f),
            DynValue::I8(v) => v.fmt(f),
            DynValue::U16(v) => v.fmt(f),
            DynValue::I16(v) => v.fmt(f),
            DynValue::U32(v) => v.fmt(f),
            DynValue::I32(v) => v.fmt(f),
            DynValue::U64(v) => v.fmt(f),
            DynValue::I64(v) => v.fmt(f),
            DynValue::F32(v) => fmt::Debug::fmt(v, f),
            DynValue::F64(v) => fmt::Debug::fmt(v, f),
            DynValue::String(v) => v.fmt(f),
        }
    }
}

/// `From<T> for DynValue` and a lossless `TryFrom<DynValue> for T`, per Rust type.
macro_rules! conversions {
    ($($variant:ident $t:ty => $ty:ident),* $(,)?) => {$(
        impl From<$t> for DynValue {
            fn from(v: $t) -> DynValue {
                DynValue::$variant(v)
            }
        }

        impl TryFrom<DynValue> for $t {
            type Error = MapErrorKind;

            /// Converts when nothing is lost (see [`DynValue::convert`]).
            fn try_from(v: DynValue) -> Result<$t, MapErrorKind> {
                match v.convert(VarType::$ty)? {
                    DynValue::$variant(x) => Ok(x),
                    // convert() gives the variant of the type asked for.
                    other => Err(MapErrorKind::ValueType { ty: VarType::$ty, found: other.kind_name() }),
                }
            }
        }
    )*};
}

conversions! {
    Bool bool => Bool,
    U8 u8 => U8,
    I8 i8 => I8,
    U16 u16 => U16,
    I16 i16 => I16,
    U32 u32 => U32,
    I32 i32 => I32,
    U64 u64 => U64,
    I64 i64 => I64,
    F32 f32 => F32,
    F64 f64 => F64,
    String String => String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_people_write_them() {
        assert!(matches!(parse_int("-0x10"), Ok(-16)));
        assert!(matches!(parse_int("0b1010"), Ok(10)));
        assert!(matches!(parse_int("1_000"), Ok(1000)));
        assert!(matches!(parse_int("+7"), Ok(7)));
        assert!(matches!(parse_int("--5"), Err(IntError::Syntax)));
        assert!(matches!(parse_int("-+5"), Err(IntError::Syntax)));
        assert!(matches!(parse_int("0x"), Err(IntError::Syntax)));
        assert!(matches!(parse_int("12a"), Err(IntError::Syntax)));
        assert!(matches!(
            parse_int("99999999999999999999999999999999999999999"),
            Err(IntError::Overflow)
        ));
    }

    #[test]
    fn whole_refuses_fractions_and_huge_floats() {
        assert_eq!(whole(3.0), Some(3));
        assert_eq!(whole(-0.0), Some(0));
        assert_eq!(whole(1.5), None);
        assert_eq!(whole(f64::NAN), None);
        assert_eq!(whole(f64::INFINITY), None);
        assert_eq!(whole(1e300), None);
    }

    #[test]
    fn type_names_round_trip() {
        for t in VarType::ALL {
            assert_eq!(t.name().parse::<VarType>().ok(), Some(t));
        }
        assert_eq!("U16".parse::<VarType>().ok(), Some(VarType::U16));
        assert!("uint16".parse::<VarType>().is_err());
    }
}
