//! One variable of `[vars]`: its keys, which of them its type takes, its starting value.

use super::{Key, Parser, Value};
use crate::map::def::{
    ADDRESS_HINT, AREA_HINT, BIT_HINT, LEN_HINT, TYPE_HINT, applies_to, area_mismatch, check_name,
    key_applies,
};
use crate::map::{Places, VarDef};
use crate::memory::{Area, Byte, MAX_VAR_REGISTERS};
use crate::types::Error;
use crate::types::{DynValue, VarType};
use crate::types::{MapError, MapErrorKind, Position};
use toml::de::DeValue;

const VAR_KEYS: &[&str] = &[
    "area", "address", "type", "order", "bit", "byte", "len", "value", "sim",
];

impl Parser<'_> {
    pub(super) fn var(
        &self,
        name_key: &Key<'_>,
        value: &Value<'_>,
    ) -> Result<(VarDef, Places), MapError> {
        let name = name_key.get_ref().as_ref();
        check_name(name).map_err(|kind| self.error(name_key.span(), None, kind))?;
        let var = Some(name);
        let expected = "a table such as { area = \"holding\", address = 0, type = \"u16\" }";
        let table = self.table(value, name, expected, var)?;
        let mut fields: [Option<&Value<'_>>; 9] = Default::default();
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
            sim_v,
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
        for (key, field) in [
            ("order", order_v),
            ("bit", bit_v),
            ("byte", byte_v),
            ("len", len_v),
        ] {
            if let (Some(field), false) = (field, key_applies(key, ty)) {
                let kind = MapErrorKind::KeyNotApplicable {
                    key,
                    ty,
                    hint: applies_to(key),
                };
                return Err(self.error(field.span(), var, kind));
            }
        }
        let mut def = VarDef::new(name, area, address, ty);
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
        if let Some(v) = sim_v {
            def.sim = Some(self.sim(v, name, ty)?);
        }
        let places = Places {
            address: Some(Position::of(self.text, address_v.span().start)),
            value: value_v.map(|v| Position::of(self.text, v.span().start)),
            sim: sim_v.map(|v| Position::of(self.text, v.span().start)),
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
