//! A map variable of any type: the right `Var<T>` behind one interface.

use std::any::Any;
use std::sync::Arc;

use super::def::VarDef;
use crate::memory::{AnyChange, Area, Byte, Memory, Quality, Value, Var};
use crate::types::Error;
use crate::types::quality::BlockError;
use crate::types::{DynValue, VarType};
use crate::types::{MapError, MapErrorKind};

/// The typed variable behind an [`AnyVar`]: one variant per Rust type (`bool` serves
/// both `bool` and `bit`).
#[derive(Clone, Debug)]
enum Typed {
    Bool(Var<bool>),
    U8(Var<u8>),
    I8(Var<i8>),
    U16(Var<u16>),
    I16(Var<i16>),
    U32(Var<u32>),
    I32(Var<i32>),
    U64(Var<u64>),
    I64(Var<i64>),
    F32(Var<f32>),
    F64(Var<f64>),
    String(Var<String>),
}

/// Runs `$body` with `$v` bound to the typed variable, whatever its type: each use is
/// written once and compiled for every type.
macro_rules! dispatch {
    ($typed:expr, $v:ident => $body:expr) => {
        match $typed {
            Typed::Bool($v) => $body,
            Typed::U8($v) => $body,
            Typed::I8($v) => $body,
            Typed::U16($v) => $body,
            Typed::I16($v) => $body,
            Typed::U32($v) => $body,
            Typed::I32($v) => $body,
            Typed::U64($v) => $body,
            Typed::I64($v) => $body,
            Typed::F32($v) => $body,
            Typed::F64($v) => $body,
            Typed::String($v) => $body,
        }
    };
}

impl Typed {
    fn declare(mem: &Memory, def: &VarDef) -> Result<Typed, Error> {
        let (area, address) = (def.area, def.address);
        let order = def.order.unwrap_or(mem.default_order());
        // The map file's default: the low byte, the original's byte 0.
        let byte = def.byte.unwrap_or(Byte::Low);
        Ok(match def.ty {
            VarType::Bool => Typed::Bool(mem.var(area, address)?),
            // A checked map always has a bit for a bit and a len for a string; the
            // memory rejects the fallbacks (an out-of-range bit, a string of 0 registers).
            VarType::Bit => Typed::Bool(mem.bit(area, address, def.bit.unwrap_or(u8::MAX))?),
            VarType::U8 => Typed::U8(mem.byte(area, address, byte)?),
            VarType::I8 => Typed::I8(mem.byte(area, address, byte)?),
            VarType::U16 => Typed::U16(mem.var(area, address)?.order(order)),
            VarType::I16 => Typed::I16(mem.var(area, address)?.order(order)),
            VarType::U32 => Typed::U32(mem.var(area, address)?.order(order)),
            VarType::I32 => Typed::I32(mem.var(area, address)?.order(order)),
            VarType::U64 => Typed::U64(mem.var(area, address)?.order(order)),
            VarType::I64 => Typed::I64(mem.var(area, address)?.order(order)),
            VarType::F32 => Typed::F32(mem.var(area, address)?.order(order)),
            VarType::F64 => Typed::F64(mem.var(area, address)?.order(order)),
            VarType::String => {
                let len = def.len.unwrap_or(0);
                Typed::String(mem.string(area, address, len)?.order(order))
            }
        })
    }
}

/// A variable of any type from a map: wraps the right [`Var`] and speaks [`DynValue`],
/// for programs (a command line, a table, JSON) that learn the variables from the file.
///
/// ```
/// use msm::map::DynValue;
/// let mm = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 8
///     [vars]
///     COUNTER = { area = "holding", address = 1, type = "u32", order = "CDAB" }
/// "#)?.build()?;
/// let counter = mm.find("COUNTER")?;
/// counter.set(DynValue::U16(7))?;                 // a u16 fits a u32
/// counter.set_str("0x10000")?;                    // as `msm write COUNTER=0x10000`
/// assert_eq!(counter.get(), DynValue::U32(65536));
/// assert!(counter.set(DynValue::I8(-1)).is_err()); // a u32 holds no negative number
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AnyVar {
    def: Arc<VarDef>,
    file: Arc<str>,
    typed: Typed,
}

impl AnyVar {
    pub(crate) fn declare(mem: &Memory, def: &VarDef, file: Arc<str>) -> Result<AnyVar, Error> {
        Ok(AnyVar {
            typed: Typed::declare(mem, def)?,
            def: Arc::new(def.clone()),
            file,
        })
    }

    /// Writes a starting value: not sent by a master, not reported as a change.
    pub(crate) fn init(&self, value: &DynValue) -> Result<(), MapErrorKind> {
        let value = self.def.accept(value)?;
        dispatch!(&self.typed, v => v.init(value.try_into()?).map_err(MapErrorKind::Memory))
    }

    /// The name.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\ncoils = 2\n[vars]\nRUN = { area = \"coil\", address = 0, type = \"bool\" }\n",
    /// )?
    /// .build()?;
    /// let names: Vec<&str> = mm.vars().iter().map(|v| v.name()).collect();
    /// assert_eq!(names, ["RUN"]);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The declaration, as the map file gives it.
    ///
    /// ```
    /// use msm::{Order, map::VarType};
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 2
    ///     [vars]
    ///     C = { area = "holding", address = 0, type = "u32", order = "CDAB" }
    /// "#)?
    /// .build()?;
    /// let def = mm.find("C")?.def();
    /// assert_eq!((def.ty, def.order), (VarType::U32, Some(Order::CDAB)));
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn def(&self) -> &VarDef {
        &self.def
    }

    /// The area it lives in.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     discrete_inputs = 4
    ///     [vars]
    ///     DOOR = { area = "discrete", address = 3, type = "bool" }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.find("DOOR")?.area(), msm::Area::Discrete);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn area(&self) -> Area {
        self.def.area
    }

    /// Its first address.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = { start = 40000, size = 10 }
    ///     [vars]
    ///     SP = { area = "holding", address = 40002, type = "u16" }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.find("SP")?.address(), 40002);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn address(&self) -> u16 {
        self.def.address
    }

    /// How many items (bits or registers) it covers.
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 8
    ///     [vars]
    ///     NAME = { area = "holding", address = 0, type = "string", len = 8 }
    /// "#)?
    /// .build()?;
    /// assert_eq!(mm.find("NAME")?.count(), 8); // registers: up to 16 characters
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn count(&self) -> usize {
        self.def.count()
    }

    /// The current value.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 2
    ///     [vars]
    ///     T = { area = "holding", address = 0, type = "f32", value = -1.5 }
    /// "#)?
    /// .build()?;
    /// let t = mm.find("T")?;
    /// assert_eq!(t.get(), DynValue::F32(-1.5));
    /// assert_eq!(t.get().to_string(), "-1.5");
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn get(&self) -> DynValue {
        dispatch!(&self.typed, v => DynValue::from(v.get()))
    }

    /// Writes `value`, converted to the variable's type when nothing is lost (a `U8`
    /// into a `u32`, a whole `F64` into an `i16`). A value of the wrong kind, out of
    /// range, or a string that does not fit is an [`Error::Map`] naming the variable;
    /// the memory's own refusals (an input area on a master's memory) come as they are.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 1
    ///     [vars]
    ///     LIMIT = { area = "holding", address = 0, type = "i16" }
    /// "#)?
    /// .build()?;
    /// let limit = mm.find("LIMIT")?;
    /// limit.set(DynValue::F64(-300.0))?; // whole: converts to an i16
    /// assert_eq!(limit.get(), DynValue::I16(-300));
    /// let err = limit.set(DynValue::F64(0.5)).unwrap_err();
    /// assert!(err.to_string().starts_with("<string>: variable LIMIT: "));
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn set(&self, value: DynValue) -> Result<(), Error> {
        let value = self.def.accept(&value).map_err(|k| self.error(k))?;
        dispatch!(&self.typed, v => v.set(value.try_into().map_err(|k| self.error(k))?))
    }

    /// Reads `text` as a value for this variable, as `msm write NAME=VALUE` gives it:
    /// booleans `true`/`false`/`1`/`0`/`on`/`off`; integers in decimal, `0x` hex, `0o`
    /// octal or `0b` binary, `-` for negative; floats (`nan`, `inf` too); strings as they
    /// are. The value is checked against the type's range and the string's length.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 1\n[vars]\nT = { area = \"holding\", address = 0, type = \"i16\" }\n",
    /// )?.build()?;
    /// let t = mm.find("T")?;
    /// assert_eq!(t.parse_value("-0x8000")?, DynValue::I16(i16::MIN));
    /// let err = t.parse_value("40000").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "<string>: variable T: 40000 does not fit an i16, which holds whole numbers -32768..=32767"
    /// );
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn parse_value(&self, text: &str) -> Result<DynValue, MapError> {
        self.def.parse_value(text).map_err(|k| self.map_error(k))
    }

    /// [`parse_value`](Self::parse_value), then [`set`](Self::set).
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\ncoils = 1\n[vars]\nPUMP = { area = \"coil\", address = 0, type = \"bool\" }\n",
    /// )?
    /// .build()?;
    /// let pump = mm.find("PUMP")?;
    /// pump.set_str("on")?;
    /// assert_eq!(pump.get(), DynValue::Bool(true));
    /// assert!(pump.set_str("maybe").is_err());
    /// # Ok::<(), msm::Error>(())
    /// ```
    pub fn set_str(&self, text: &str) -> Result<(), Error> {
        self.set(self.parse_value(text)?)
    }

    /// True if `change` touched this variable's items (and bits: see [`Var::touched_by`]).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 4
    ///     [vars]
    ///     A = { area = "holding", address = 0, type = "u32" }
    ///     B = { area = "holding", address = 2, type = "u16" }
    /// "#)?
    /// .build()?;
    /// let mut changes = mm.memory().subscribe();
    /// mm.find("A")?.set_str("1")?;
    /// let change = changes.try_recv()?.expect("a change");
    /// assert!(mm.find("A")?.touched_by(&change));
    /// assert!(!mm.find("B")?.touched_by(&change));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touched_by<C: AnyChange + ?Sized>(&self, change: &C) -> bool {
        dispatch!(&self.typed, v => v.touched_by(change))
    }

    /// How far its value can be trusted (see [`Var::quality`]).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 2\n[vars]\nC = { area = \"holding\", address = 0, type = \"u32\" }\n",
    /// )?.build()?;
    /// assert!(mm.find("C")?.quality().is_good()); // no master keeps this memory
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn quality(&self) -> Quality {
        dispatch!(&self.typed, v => v.quality())
    }

    /// The value and its quality read together (see [`Var::get_with_quality`]).
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 1\n[vars]\nC = { area = \"holding\", address = 0, type = \"u16\", value = 3 }\n",
    /// )?.build()?;
    /// let (value, quality) = mm.find("C")?.get_with_quality();
    /// assert_eq!((value, quality.is_good()), (DynValue::U16(3), true));
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn get_with_quality(&self) -> (DynValue, Quality) {
        dispatch!(&self.typed, v => {
            let (value, quality) = v.get_with_quality();
            (DynValue::from(value), quality)
        })
    }

    /// True while a local write of it is not yet confirmed by the slave (see
    /// [`Var::pending`]).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 2\n[vars]\nC = { area = \"holding\", address = 0, type = \"u16\" }\n",
    /// )?.build()?;
    /// assert!(!mm.find("C")?.pending());
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn pending(&self) -> bool {
        dispatch!(&self.typed, v => v.pending())
    }

    /// The slave's refusal of the last write of it, while it stands (see
    /// [`Var::refused`]).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 2\n[vars]\nC = { area = \"holding\", address = 0, type = \"u16\" }\n",
    /// )?.build()?;
    /// assert!(mm.find("C")?.refused().is_none());
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn refused(&self) -> Option<BlockError> {
        dispatch!(&self.typed, v => v.refused())
    }

    /// The typed variable, if `T` is its type (`bool` for both `bool` and `bit`).
    ///
    /// ```
    /// let mm = msm::Map::from_toml_str(
    ///     "[memory]\nholding_registers = 2\n[vars]\nC = { area = \"holding\", address = 0, type = \"u32\" }\n",
    /// )?.build()?;
    /// let c = mm.find("C")?;
    /// assert!(c.typed::<u32>().is_some());
    /// assert!(c.typed::<u16>().is_none());
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn typed<T: Value>(&self) -> Option<Var<T>> {
        dispatch!(&self.typed, v => (v as &dyn Any).downcast_ref::<Var<T>>().cloned())
    }

    fn map_error(&self, kind: MapErrorKind) -> MapError {
        MapError::new(&self.file, None, Some(&self.def.name), kind)
    }

    fn error(&self, kind: MapErrorKind) -> Error {
        Error::Map(self.map_error(kind))
    }
}
