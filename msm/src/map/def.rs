//! A variable as a map file declares it.

use super::error::MapErrorKind;
use super::types::{DynValue, VarType};
use crate::error::Error;
use crate::memory::{Area, Byte, Order};

/// One variable of a map file, checked: its area, address, type and the keys that
/// apply to that type.
///
/// ```
/// let map = msm::Map::from_toml_str(r#"
///     [memory]
///     holding_registers = 8
///     [vars]
///     STEP = { area = "holding", address = 4, type = "u8", byte = "high", value = 3 }
/// "#)?;
/// let step = &map.vars()[0];
/// assert_eq!(step.name, "STEP");
/// assert_eq!(step.byte, Some(msm::Byte::High));
/// assert_eq!(step.value, Some(msm::map::DynValue::U8(3)));
/// assert_eq!(step.count(), 1);
/// # Ok::<(), msm::map::MapError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct VarDef {
    /// The name, as written in `[vars]`.
    pub name: String,
    /// The area it lives in.
    pub area: Area,
    /// Its first address.
    pub address: u16,
    /// Its type.
    pub ty: VarType,
    /// Its own word order, if the file gives one (otherwise the map's `order` applies).
    pub order: Option<Order>,
    /// For `bit`: which bit, 0 the least significant.
    pub bit: Option<u8>,
    /// For `u8`/`i8`: which byte, if the file says (the low byte when it does not).
    pub byte: Option<Byte>,
    /// For `string`: its size in registers.
    pub len: Option<usize>,
    /// The starting value, already converted to the variable's type.
    pub value: Option<DynValue>,
}

impl VarDef {
    /// How many items (bits or registers) it covers.
    ///
    /// ```
    /// let map = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 16
    ///     [vars]
    ///     TOTAL = { area = "holding", address = 0, type = "u64" }
    ///     NAME  = { area = "holding", address = 4, type = "string", len = 6 }
    ///     READY = { area = "holding", address = 10, type = "bit", bit = 2 }
    /// "#)?;
    /// let counts: Vec<usize> = map.vars().iter().map(|v| v.count()).collect();
    /// assert_eq!(counts, [4, 6, 1]);
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn count(&self) -> usize {
        self.ty.registers().unwrap_or(self.len.unwrap_or(0))
    }

    /// `value` converted to this variable's type, or why it cannot be: a wrong kind of
    /// value, a number out of range, a string that is not ASCII or longer than the
    /// variable.
    ///
    /// ```
    /// # let map = msm::Map::from_toml_str(
    /// #     "[memory]\nholding_registers = 4\n[vars]\nNAME = { area = \"holding\", address = 0, type = \"string\", len = 2 }\n",
    /// # )?;
    /// use msm::map::DynValue;
    /// let name = &map.vars()[0]; // a string of 2 registers: 4 characters
    /// assert!(name.accept(&DynValue::String("ABCD".into())).is_ok());
    /// assert!(name.accept(&DynValue::String("ABCDE".into())).is_err());
    /// assert!(name.accept(&DynValue::U16(1)).is_err());
    /// # Ok::<(), msm::map::MapError>(())
    /// ```
    pub fn accept(&self, value: &DynValue) -> Result<DynValue, MapErrorKind> {
        let value = value.convert(self.ty)?;
        if let DynValue::String(s) = &value {
            check_string(s, self.count() * 2).map_err(MapErrorKind::Memory)?;
        }
        Ok(value)
    }

    /// Reads `text` as a value for this variable (see [`VarType::parse_value`]) and
    /// checks it as [`accept`](Self::accept) does.
    ///
    /// ```
    /// use msm::map::DynValue;
    /// let map = msm::Map::from_toml_str(r#"
    ///     [memory]
    ///     holding_registers = 1
    ///     [vars]
    ///     STEP = { area = "holding", address = 0, type = "u8" }
    /// "#)?;
    /// let step = &map.vars()[0];
    /// assert_eq!(step.parse_value("0x7F")?, DynValue::U8(127));
    /// assert!(step.parse_value("300").is_err()); // a u8 holds 0..=255
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_value(&self, text: &str) -> Result<DynValue, MapErrorKind> {
        self.accept(&self.ty.parse_value(text)?)
    }
}

/// The checks a string variable makes on a write, made before the write so that the
/// error can name the variable.
fn check_string(s: &str, capacity: usize) -> Result<(), Error> {
    if let Some((index, found)) = s.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(Error::NotAscii { index, found });
    }
    if s.len() > capacity {
        return Err(Error::StringTooLong {
            len: s.len(),
            capacity,
        });
    }
    Ok(())
}
