//! A variable as a map file declares it.

use super::behaviour::Behaviour;
use crate::memory::{Area, Byte, MAX_VAR_REGISTERS, Order};
use crate::types::Error;
use crate::types::MapErrorKind;
use crate::types::{DynValue, VarType};

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
    /// How the serving side moves it (`sim`), if it is simulated; a master ignores it.
    pub sim: Option<Behaviour>,
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

    /// A variable of type `ty` at `address` in `area`, for a map built in code
    /// ([`Map::builder`](crate::Map::builder)); set the keys its type takes with the
    /// `with_` methods.
    ///
    /// ```
    /// use msm::map::{VarDef, VarType};
    /// use msm::{Area, Byte, Order};
    /// let total = VarDef::new("TOTAL", Area::Holding, 0, VarType::U32).with_order(Order::CDAB);
    /// let ready = VarDef::new("READY", Area::Holding, 2, VarType::Bit).with_bit(3);
    /// let step = VarDef::new("STEP", Area::Holding, 3, VarType::U8).with_byte(Byte::High);
    /// let name = VarDef::new("NAME", Area::Holding, 4, VarType::String).with_len(4);
    /// assert_eq!((total.count(), ready.count(), step.count(), name.count()), (2, 1, 1, 4));
    /// ```
    pub fn new(name: impl Into<String>, area: Area, address: u16, ty: VarType) -> VarDef {
        VarDef {
            name: name.into(),
            area,
            address,
            ty,
            order: None,
            bit: None,
            byte: None,
            len: None,
            value: None,
            sim: None,
        }
    }

    /// Its own word order (numbers of two registers or more, and strings).
    ///
    /// ```
    /// # use msm::map::{VarDef, VarType};
    /// let v = VarDef::new("X", msm::Area::Holding, 0, VarType::F32).with_order(msm::Order::DCBA);
    /// assert_eq!(v.order, Some(msm::Order::DCBA));
    /// ```
    pub fn with_order(mut self, order: Order) -> VarDef {
        self.order = Some(order);
        self
    }

    /// The bit of a `bit` variable, 0 the least significant.
    ///
    /// ```
    /// # use msm::map::{VarDef, VarType};
    /// assert_eq!(VarDef::new("B", msm::Area::Holding, 0, VarType::Bit).with_bit(15).bit, Some(15));
    /// ```
    pub fn with_bit(mut self, bit: u8) -> VarDef {
        self.bit = Some(bit);
        self
    }

    /// The byte of a `u8` or `i8` variable.
    ///
    /// ```
    /// # use msm::map::{VarDef, VarType};
    /// let v = VarDef::new("S", msm::Area::Holding, 0, VarType::I8).with_byte(msm::Byte::Low);
    /// assert_eq!(v.byte, Some(msm::Byte::Low));
    /// ```
    pub fn with_byte(mut self, byte: Byte) -> VarDef {
        self.byte = Some(byte);
        self
    }

    /// The size in registers of a `string` variable.
    ///
    /// ```
    /// # use msm::map::{VarDef, VarType};
    /// assert_eq!(VarDef::new("N", msm::Area::Input, 0, VarType::String).with_len(8).count(), 8);
    /// ```
    pub fn with_len(mut self, registers: usize) -> VarDef {
        self.len = Some(registers);
        self
    }

    /// The starting value (checked and converted when the map is built).
    ///
    /// ```
    /// # use msm::map::{DynValue, VarDef, VarType};
    /// let v = VarDef::new("S", msm::Area::Holding, 0, VarType::U16).with_value(DynValue::U16(7));
    /// assert_eq!(v.value, Some(DynValue::U16(7)));
    /// ```
    pub fn with_value(mut self, value: DynValue) -> VarDef {
        self.value = Some(value);
        self
    }

    /// How the serving side moves it ([`Simulator`](crate::sim::Simulator)); checked
    /// against its type when the map is built.
    ///
    /// ```
    /// # use msm::map::{VarDef, VarType};
    /// use msm::sim::Behaviour;
    /// let v = VarDef::new("C", msm::Area::Input, 0, VarType::U16).with_sim(Behaviour::counter(1));
    /// assert_eq!(v.sim, Some(Behaviour::counter(1)));
    /// ```
    pub fn with_sim(mut self, sim: Behaviour) -> VarDef {
        self.sim = Some(sim);
        self
    }

    /// Checks what a map file's parser checks of a variable: a usable name, a type that
    /// fits the area, only the keys its type takes, those it needs, a starting value of
    /// its type. Returns it with the value converted to its type.
    pub(crate) fn checked(mut self) -> Result<VarDef, MapErrorKind> {
        check_name(&self.name)?;
        if let Some(hint) = area_mismatch(self.ty, self.area) {
            return Err(MapErrorKind::TypeNotInArea {
                ty: self.ty,
                area: self.area,
                hint,
            });
        }
        for (key, given) in [
            ("order", self.order.is_some()),
            ("bit", self.bit.is_some()),
            ("byte", self.byte.is_some()),
            ("len", self.len.is_some()),
        ] {
            if given && !key_applies(key, self.ty) {
                return Err(MapErrorKind::KeyNotApplicable {
                    key,
                    ty: self.ty,
                    hint: applies_to(key),
                });
            }
        }
        if self.ty == VarType::Bit {
            match self.bit {
                None => {
                    return Err(MapErrorKind::MissingKey {
                        key: "bit",
                        hint: BIT_HINT,
                    });
                }
                Some(bit) if bit > 15 => {
                    return Err(MapErrorKind::Memory(Error::BitOutOfRange { bit }));
                }
                Some(_) => {}
            }
        }
        if self.ty == VarType::String {
            match self.len {
                None => {
                    return Err(MapErrorKind::MissingKey {
                        key: "len",
                        hint: LEN_HINT,
                    });
                }
                Some(len) if !(1..=MAX_VAR_REGISTERS).contains(&len) => {
                    return Err(MapErrorKind::Memory(Error::BadLength {
                        count: len,
                        max: MAX_VAR_REGISTERS,
                    }));
                }
                Some(_) => {}
            }
        }
        if let Some(value) = self.value.take() {
            self.value = Some(self.accept(&value)?);
        }
        if let Some(problem) = self.sim.as_ref().and_then(|b| b.problem_for(self.ty)) {
            return Err(MapErrorKind::BadBehaviour { reason: problem });
        }
        Ok(self)
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

pub(crate) const AREA_HINT: &str =
    "say where the variable lives: area = \"coil\", \"discrete\", \"input\" or \"holding\"";
pub(crate) const ADDRESS_HINT: &str =
    "give its (first) address in the area, for example address = 0";
pub(crate) const TYPE_HINT: &str = "give its type, for example type = \"u16\"; the types are bool, bit, u8, i8, \
                         u16, i16, u32, i32, u64, i64, f32, f64 and string";
pub(crate) const BIT_HINT: &str = "a bit variable needs bit = 0..=15, 0 the least significant";
pub(crate) const LEN_HINT: &str = "a string needs len = its size in registers, two characters each";

/// Names go into tables, JSON and `msm write NAME=VALUE`, so some characters cannot be used.
pub(crate) fn check_name(name: &str) -> Result<(), MapErrorKind> {
    let reason = if name.is_empty() {
        "a variable needs a name of at least one character"
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "names may not hold spaces or control characters"
    } else if name.contains('=') {
        "names may not hold `=`, which separates name and value in `msm write NAME=VALUE`"
    } else {
        return Ok(());
    };
    Err(MapErrorKind::BadName {
        name: name.to_string(),
        reason,
    })
}

/// Why `ty` cannot live on `area`, if it cannot.
pub(crate) fn area_mismatch(ty: VarType, area: Area) -> Option<&'static str> {
    match (ty.is_bits(), area.is_bits()) {
        (true, false) => Some(
            "in a register, a boolean is one of its bits: use type = \"bit\" with bit = 0..=15",
        ),
        (false, true) => Some(
            "coils and discrete inputs hold single bits: use type = \"bool\" there, \
             or put the value in area = \"holding\" or \"input\"",
        ),
        _ => None,
    }
}

/// Which types take `key`, for the message when another type is given it.
pub(crate) fn applies_to(key: &str) -> &'static str {
    match key {
        "order" => "a word order applies to values of whole registers (u16 and wider, and string)",
        "bit" => "only type = \"bit\" takes a bit number",
        "byte" => "only u8 and i8 take a byte (low or high)",
        _ => "only a string takes a length, in registers",
    }
}

/// True if a variable of type `ty` takes `key` (`order`, `bit`, `byte`, `len`).
pub(crate) fn key_applies(key: &str, ty: VarType) -> bool {
    match key {
        "order" => !matches!(ty, VarType::Bool | VarType::Bit | VarType::U8 | VarType::I8),
        "bit" => ty == VarType::Bit,
        "byte" => matches!(ty, VarType::U8 | VarType::I8),
        "len" => ty == VarType::String,
        _ => true,
    }
}
