//! TOML text to a checked [`Map`]: every key read by hand, so that each error can say
//! where it is, which variable it concerns and how to fix it.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{MapError, MapErrorKind, Position};
use super::types::{DynValue, VarType};
use super::{Map, Places, VarDef};
use crate::error::Error;
use crate::memory::{Area, AreaSpec, Byte, MAX_VAR_REGISTERS, Order};

const TOP_KEYS: &[&str] = &["memory", "vars"];
/// The area keys of `[memory]`, in `Area::ALL` order, then the default order.
const MEMORY_KEYS: &[&str] = &[
    "coils",
    "discrete_inputs",
    "input_registers",
    "holding_registers",
    "order",
];
const AREA_KEYS: &[&str] = &["start", "size"];
const VAR_KEYS: &[&str] = &[
    "area", "address", "type", "order", "bit", "byte", "len", "value",
];

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

/// Reads a map file's text; `file` is the name its errors give.
pub(super) fn parse(text: &str, file: &str) -> Result<Map, MapError> {
    let p = Parser { text, file };
    let (root, errors) = DeTable::parse_recoverable(text);
    if let Some(e) = errors.first() {
        return Err(p.syntax_error(root.get_ref(), e));
    }
    let root = root.into_inner();
    let (mut memory, mut vars) = (None, None);
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "memory" => memory = Some(value),
            "vars" => vars = Some(value),
            other => return Err(p.unknown_key(key, None, "the top level", other, TOP_KEYS)),
        }
    }
    let Some(memory) = memory else {
        return Err(MapError::new(file, None, None, MapErrorKind::NoMemory));
    };
    let (areas, order) = p.memory(memory)?;
    let mut map = Map {
        file: file.to_string(),
        areas,
        order,
        vars: Vec::new(),
        places: Vec::new(),
    };
    if let Some(vars) = vars {
        for (key, value) in p.table(vars, "vars", "a table: [vars]", None)?.iter() {
            let (def, places) = p.var(key, value)?;
            map.vars.push(def);
            map.places.push(places);
        }
    }
    // Declaring every variable on a memory is the one check of addresses against areas.
    map.build()?;
    Ok(map)
}

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
}

impl Parser<'_> {
    fn error(&self, span: Range<usize>, var: Option<&str>, kind: MapErrorKind) -> MapError {
        MapError::new(
            self.file,
            Some(Position::of(self.text, span.start)),
            var,
            kind,
        )
    }

    fn memory_error(&self, span: Range<usize>, var: Option<&str>, e: Error) -> MapError {
        self.error(span, var, MapErrorKind::Memory(e))
    }

    /// TOML's own error, at TOML's position; a duplicate key in `[vars]` is a duplicate
    /// variable name, and an error inside a variable names it.
    fn syntax_error(&self, root: &DeTable<'_>, e: &toml::de::Error) -> MapError {
        let span = e.span().unwrap_or(0..0);
        let vars = root.get("vars").and_then(|v| v.get_ref().as_table());
        let inside = vars.and_then(|vars| {
            vars.iter()
                .find(|(_, v)| v.span().contains(&span.start))
                .map(|(k, _)| k.get_ref().as_ref())
        });
        let key = self
            .text
            .get(span.clone())
            .unwrap_or_default()
            .trim_matches(['"', '\'']);
        let duplicate = e.message().starts_with("duplicate key");
        let declared = vars.is_some_and(|vars| vars.get(key).is_some());
        // A second `NAME = ...` or `[vars.NAME]`: the span is the name itself.
        if duplicate && declared && inside.is_none_or(|var| var == key) {
            let kind = MapErrorKind::DuplicateName {
                name: key.to_string(),
            };
            return self.error(span, Some(key), kind);
        }
        let mut message = e.message().trim_end().to_string();
        if duplicate {
            message = format!("{message} `{key}`: each key may be given once");
        }
        self.error(span, inside, MapErrorKind::Syntax(message))
    }

    fn unknown_key(
        &self,
        key: &Key<'_>,
        var: Option<&str>,
        table: &'static str,
        name: &str,
        valid: &'static [&'static str],
    ) -> MapError {
        let kind = MapErrorKind::UnknownKey {
            table,
            key: name.to_string(),
            valid,
        };
        self.error(key.span(), var, kind)
    }

    fn wrong_type(
        &self,
        value: &Value<'_>,
        key: &str,
        var: Option<&str>,
        expected: &'static str,
    ) -> MapError {
        let kind = MapErrorKind::WrongType {
            key: key.to_string(),
            expected,
            found: value.get_ref().type_str(),
        };
        self.error(value.span(), var, kind)
    }

    fn table<'v, 'i>(
        &self,
        value: &'v Value<'i>,
        key: &str,
        expected: &'static str,
        var: Option<&str>,
    ) -> Result<&'v DeTable<'i>, MapError> {
        value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.wrong_type(value, key, var, expected))
    }

    fn str<'v>(
        &self,
        value: &'v Value<'_>,
        key: &str,
        var: Option<&str>,
    ) -> Result<&'v str, MapError> {
        value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.wrong_type(value, key, var, "a string"))
    }

    /// An integer key that must lie in `0..=max` (`range` says so in the message).
    fn int(
        &self,
        value: &Value<'_>,
        key: &'static str,
        var: Option<&str>,
        max: u32,
        range: &'static str,
    ) -> Result<u32, MapError> {
        let Some(i) = value.get_ref().as_integer() else {
            return Err(self.wrong_type(value, key, var, "an integer"));
        };
        i128::from_str_radix(i.as_str(), i.radix())
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n <= max)
            .ok_or_else(|| {
                let kind = MapErrorKind::NumberOutOfRange {
                    key,
                    value: i.to_string(),
                    range,
                };
                self.error(value.span(), var, kind)
            })
    }

    fn memory(&self, value: &Value<'_>) -> Result<([AreaSpec; 4], Order), MapError> {
        let table = self.table(value, "memory", "a table: [memory]", None)?;
        let mut areas = [AreaSpec::default(); 4];
        let mut order = Order::default();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            match MEMORY_KEYS.iter().position(|&k| k == name) {
                Some(4) => {
                    order = self
                        .str(value, name, None)?
                        .parse()
                        .map_err(|e| self.memory_error(value.span(), None, e))?;
                }
                Some(i) => areas[i] = self.area(Area::ALL[i], name, value)?,
                None => return Err(self.unknown_key(key, None, "[memory]", name, MEMORY_KEYS)),
            }
        }
        Ok((areas, order))
    }

    /// `size` or `{ start, size }`.
    fn area(&self, area: Area, key: &str, value: &Value<'_>) -> Result<AreaSpec, MapError> {
        const SIZE: &str = "0..=65536";
        let spec = match value.get_ref() {
            DeValue::Integer(_) => AreaSpec::new(0, self.int(value, "size", None, 65536, SIZE)?),
            DeValue::Table(t) => {
                let mut spec = AreaSpec::default();
                let mut sized = false;
                for (k, v) in t.iter() {
                    match k.get_ref().as_ref() {
                        "start" => {
                            let start = self.int(v, "start", None, 65535, "0..=65535")?;
                            // int() checked the range.
                            spec.start = start as u16;
                        }
                        "size" => {
                            spec.size = self.int(v, "size", None, 65536, SIZE)?;
                            sized = true;
                        }
                        other => return Err(self.unknown_key(k, None, "an area", other, AREA_KEYS)),
                    }
                }
                if !sized {
                    let kind = MapErrorKind::MissingKey {
                        key: "size",
                        hint: "an area written as a table needs its size: { start = 1024, size = 1024 }",
                    };
                    return Err(self.error(value.span(), None, kind));
                }
                spec
            }
            _ => {
                let expected = "a size or a table { start = ..., size = ... }";
                return Err(self.wrong_type(value, key, None, expected));
            }
        };
        spec.check(area)
            .map_err(|e| self.memory_error(value.span(), None, e))?;
        Ok(spec)
    }

    fn var(&self, name_key: &Key<'_>, value: &Value<'_>) -> Result<(VarDef, Places), MapError> {
        let name = name_key.get_ref().as_ref();
        check_name(name).map_err(|kind| self.error(name_key.span(), None, kind))?;
        let var = Some(name);
        let expected = "a table such as { area = \"holding\", address = 0, type = \"u16\" }";
        let table = self.table(value, name, expected, var)?;
        let mut fields: [Option<&Value<'_>>; 8] = Default::default();
        for (k, v) in table.iter() {
            let key_name = k.get_ref().as_ref();
            match VAR_KEYS.iter().position(|&valid| valid == key_name) {
                Some(i) => fields[i] = Some(v),
                None => return Err(self.unknown_key(k, var, "a variable", key_name, VAR_KEYS)),
            }
        }
        let [
            area_v,
            address_v,
            type_v,
            order_v,
            bit_v,
            byte_v,
            len_v,
            value_v,
        ] = fields;
        let missing = |key, hint| {
            let kind = MapErrorKind::MissingKey { key, hint };
            self.error(name_key.span(), var, kind)
        };

        let area_v = area_v.ok_or_else(|| missing("area", AREA_HINT))?;
        let area: Area = self
            .str(area_v, "area", var)?
            .parse()
            .map_err(|e| self.memory_error(area_v.span(), var, e))?;
        let address_v = address_v.ok_or_else(|| missing("address", ADDRESS_HINT))?;
        let address = self.int(address_v, "address", var, 65535, "0..=65535")? as u16;
        let type_v = type_v.ok_or_else(|| missing("type", TYPE_HINT))?;
        let ty: VarType = self
            .str(type_v, "type", var)?
            .parse()
            .map_err(|kind| self.error(type_v.span(), var, kind))?;
        if let Some(hint) = area_mismatch(ty, area) {
            let kind = MapErrorKind::TypeNotInArea { ty, area, hint };
            return Err(self.error(type_v.span(), var, kind));
        }
        for (key, field, applies) in [
            (
                "order",
                order_v,
                !matches!(ty, VarType::Bool | VarType::Bit | VarType::U8 | VarType::I8),
            ),
            ("bit", bit_v, ty == VarType::Bit),
            ("byte", byte_v, matches!(ty, VarType::U8 | VarType::I8)),
            ("len", len_v, ty == VarType::String),
        ] {
            if let (Some(field), false) = (field, applies) {
                let kind = MapErrorKind::KeyNotApplicable {
                    key,
                    ty,
                    hint: applies_to(key),
                };
                return Err(self.error(field.span(), var, kind));
            }
        }
        let mut def = VarDef {
            name: name.to_string(),
            area,
            address,
            ty,
            order: None,
            bit: None,
            byte: None,
            len: None,
            value: None,
        };
        if let Some(v) = order_v {
            let order = self.str(v, "order", var)?.parse();
            def.order = Some(order.map_err(|e| self.memory_error(v.span(), var, e))?);
        }
        if let Some(v) = byte_v {
            let byte: Result<Byte, Error> = self.str(v, "byte", var)?.parse();
            def.byte = Some(byte.map_err(|e| self.memory_error(v.span(), var, e))?);
        }
        if ty == VarType::Bit {
            let v = bit_v.ok_or_else(|| missing("bit", BIT_HINT))?;
            let bit = self.int(v, "bit", var, 255, "0..=15")? as u8;
            if bit > 15 {
                return Err(self.memory_error(v.span(), var, Error::BitOutOfRange { bit }));
            }
            def.bit = Some(bit);
        }
        if ty == VarType::String {
            let v = len_v.ok_or_else(|| missing("len", LEN_HINT))?;
            let len = self.int(v, "len", var, 65535, "1..=123")? as usize;
            if !(1..=MAX_VAR_REGISTERS).contains(&len) {
                let e = Error::BadLength {
                    count: len,
                    max: MAX_VAR_REGISTERS,
                };
                return Err(self.memory_error(v.span(), var, e));
            }
            def.len = Some(len);
        }
        if let Some(v) = value_v {
            let loose = self.loose_value(v, ty).and_then(|value| def.accept(&value));
            def.value = Some(loose.map_err(|kind| self.error(v.span(), var, kind))?);
        }
        let places = Places {
            address: Some(Position::of(self.text, address_v.span().start)),
            value: value_v.map(|v| Position::of(self.text, v.span().start)),
        };
        Ok((def, places))
    }

    /// A TOML value as the nearest `DynValue`, before conversion to the variable's type.
    fn loose_value(&self, value: &Value<'_>, ty: VarType) -> Result<DynValue, MapErrorKind> {
        match value.get_ref() {
            DeValue::Boolean(b) => Ok(DynValue::Bool(*b)),
            DeValue::String(s) => Ok(DynValue::String(s.to_string())),
            DeValue::Integer(i) => {
                let n = i128::from_str_radix(i.as_str(), i.radix()).ok();
                n.and_then(|n| {
                    i64::try_from(n)
                        .map(DynValue::I64)
                        .ok()
                        .or_else(|| u64::try_from(n).map(DynValue::U64).ok())
                })
                .ok_or_else(|| MapErrorKind::ValueOutOfRange {
                    ty,
                    value: i.to_string(),
                })
            }
            DeValue::Float(f) => {
                f.as_str()
                    .parse()
                    .map(DynValue::F64)
                    .map_err(|_| MapErrorKind::ValueSyntax {
                        ty,
                        text: f.to_string(),
                    })
            }
            other => Err(MapErrorKind::ValueType {
                ty,
                found: other.type_str(),
            }),
        }
    }
}

const AREA_HINT: &str =
    "say where the variable lives: area = \"coil\", \"discrete\", \"input\" or \"holding\"";
const ADDRESS_HINT: &str = "give its (first) address in the area, for example address = 0";
const TYPE_HINT: &str = "give its type, for example type = \"u16\"; the types are bool, bit, u8, i8, \
                         u16, i16, u32, i32, u64, i64, f32, f64 and string";
const BIT_HINT: &str = "a bit variable needs bit = 0..=15, 0 the least significant";
const LEN_HINT: &str = "a string needs len = its size in registers, two characters each";

/// Names go into tables, JSON and `msm write NAME=VALUE`, so some characters cannot be used.
fn check_name(name: &str) -> Result<(), MapErrorKind> {
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
fn area_mismatch(ty: VarType, area: Area) -> Option<&'static str> {
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
fn applies_to(key: &str) -> &'static str {
    match key {
        "order" => "a word order applies to values of whole registers (u16 and wider, and string)",
        "bit" => "only type = \"bit\" takes a bit number",
        "byte" => "only u8 and i8 take a byte (low or high)",
        _ => "only a string takes a length, in registers",
    }
}
