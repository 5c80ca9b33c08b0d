//! `#[msm(...)]`: the keys of a field and of the struct, read and checked one by one, each
//! error at the key or value at fault.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitInt, LitStr};

use crate::Errors;

/// The keys a field takes.
pub(crate) const FIELD_KEYS: &[&str] = &[
    "holding", "input", "coil", "discrete", "order", "bit", "byte", "len", "name",
];
/// The keys the struct takes.
const STRUCT_KEYS: &[&str] = &["order"];
/// The word orders, as map files spell them.
const ORDERS: &[&str] = &["ABCD", "CDAB", "BADC", "DCBA"];

/// One of the four Modbus areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Area {
    Holding,
    Input,
    Coil,
    Discrete,
}

impl Area {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Area::Holding => "holding",
            Area::Input => "input",
            Area::Coil => "coil",
            Area::Discrete => "discrete",
        }
    }

    pub(crate) fn is_bits(self) -> bool {
        matches!(self, Area::Coil | Area::Discrete)
    }

    /// How messages call the area.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Area::Holding => "holding registers",
            Area::Input => "input registers",
            Area::Coil => "coils",
            Area::Discrete => "discrete inputs",
        }
    }
}

/// A key's value and where the key stands.
#[derive(Clone, Debug)]
pub(crate) struct Given<T> {
    pub(crate) value: T,
    /// The key (`holding`, `bit`, ...), for errors about the key as a whole.
    pub(crate) span: Span,
}

/// The keys of one field, each at most once.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) area: Option<Given<(Area, u16)>>,
    pub(crate) order: Option<Given<&'static str>>,
    pub(crate) bit: Option<Given<u8>>,
    /// `true` for the high byte.
    pub(crate) byte: Option<Given<bool>>,
    pub(crate) len: Option<Given<u16>>,
    pub(crate) name: Option<Given<String>>,
}

/// The keys of the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) order: Option<Given<&'static str>>,
}

/// Reads every `#[msm(...)]` of a field.
pub(crate) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("msm")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta, FIELD_KEYS, "a field")?;
            let span = meta.path.span();
            match key {
                "holding" | "input" | "coil" | "discrete" => {
                    let area = match key {
                        "holding" => Area::Holding,
                        "input" => Area::Input,
                        "coil" => Area::Coil,
                        _ => Area::Discrete,
                    };
                    let address = address(&meta, key)?;
                    if let Some(first) = &out.area {
                        let (was, _) = first.value;
                        let msg = if was == area {
                            format!("`{key}` is given twice: give the address once")
                        } else {
                            format!(
                                "`{}` and `{key}` are both given: a field lives in one area; \
                                 keep one of them",
                                was.key()
                            )
                        };
                        return Err(syn::Error::new(span, msg));
                    }
                    out.area = Some(Given {
                        value: (area, address),
                        span,
                    });
                }
                "order" => once(&mut out.order, order(&meta)?, span, key)?,
                "bit" => once(&mut out.bit, bit(&meta)?, span, key)?,
                "byte" => once(&mut out.byte, byte(&meta)?, span, key)?,
                "len" => once(&mut out.len, len(&meta)?, span, key)?,
                _ => once(&mut out.name, name(&meta)?, span, key)?,
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// Reads every `#[msm(...)]` of the struct.
pub(crate) fn structure(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("msm")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let name = meta.path.get_ident().map(ToString::to_string);
            if let Some(key) = name
                .as_deref()
                .filter(|k| FIELD_KEYS.contains(k) && *k != "order")
            {
                return Err(meta.error(format!(
                    "`{key}` belongs on a field, not on the struct: the struct takes only \
                     `order`, the default word order of its fields"
                )));
            }
            key_of(&meta, STRUCT_KEYS, "the struct")?;
            once(&mut out.order, order(&meta)?, meta.path.span(), "order")
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// The key's name, or an error naming the closest valid key.
fn key_of(
    meta: &ParseNestedMeta<'_>,
    valid: &'static [&'static str],
    place: &str,
) -> syn::Result<&'static str> {
    let name = meta
        .path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| {
            let path = &meta.path;
            quote::quote!(#path).to_string().replace(' ', "")
        });
    if let Some(key) = valid.iter().find(|k| **k == name) {
        return Ok(key);
    }
    let mut msg = format!("unknown key `{name}` in #[msm(...)] on {place}");
    if let Some(close) = closest(&name, valid) {
        msg.push_str(&format!(" (did you mean `{close}`?)"));
    }
    match map_file_hint(&name).filter(|_| valid.len() > 1) {
        Some(hint) => msg.push_str(&format!(": {hint}; the keys are ")),
        None => msg.push_str(": the keys are "),
    }
    msg.push_str(&valid.join(", "));
    Err(syn::Error::new(meta.path.span(), msg))
}

/// What a map file's key is in the derive, for those who write one out of habit.
fn map_file_hint(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower == "addr" || strsim::damerau_levenshtein(&lower, "address") <= 2 {
        Some("the address goes with the area, as in holding = 0 (or input, coil, discrete)")
    } else {
        match lower.as_str() {
            "area" => {
                Some("the area is the key itself: holding = 0, input = 0, coil = 0 or discrete = 0")
            }
            "type" | "ty" => {
                Some("the type is the field's own: Var<u16>, Var<f32>, Var<bool>, ...")
            }
            "value" | "default" | "init" => {
                Some("starting values are set in code, with the field's set(...) after declare")
            }
            _ => None,
        }
    }
}

/// The valid key nearest to `name`, if one is near enough to be a typo of it.
fn closest(name: &str, valid: &[&'static str]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    valid
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, k), *k))
        .filter(|(d, k)| {
            let prefix = lower.len() >= 3 && (k.starts_with(&lower) || lower.starts_with(k));
            *d <= (k.len() / 3).max(1) || prefix
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn once<T>(slot: &mut Option<Given<T>>, value: T, span: Span, key: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            span,
            format!("`{key}` is given twice: give it once"),
        ));
    }
    *slot = Some(Given { value, span });
    Ok(())
}

/// The literal after `key =`, or an error saying what the key takes.
fn value(meta: &ParseNestedMeta<'_>, key: &str, takes: &str) -> syn::Result<Lit> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: {takes}")));
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(lit) => Ok(lit.lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{key}` takes a literal (the derive reads no constants or expressions): {takes}"
            ),
        )),
    }
}

fn int(meta: &ParseNestedMeta<'_>, key: &str, takes: &str) -> syn::Result<(LitInt, u64)> {
    match value(meta, key, takes)? {
        Lit::Int(i) => {
            let n = i.base10_parse::<u64>().map_err(|_| {
                syn::Error::new(i.span(), format!("`{key}` = {i} is out of range: {takes}"))
            })?;
            Ok((i, n))
        }
        other => Err(syn::Error::new(
            other.span(),
            format!("`{key}` takes an integer: {takes}"),
        )),
    }
}

fn string(meta: &ParseNestedMeta<'_>, key: &str, takes: &str) -> syn::Result<LitStr> {
    match value(meta, key, takes)? {
        Lit::Str(s) => Ok(s),
        other => Err(syn::Error::new(
            other.span(),
            format!("`{key}` takes a string: {takes}"),
        )),
    }
}

fn address(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<u16> {
    let takes = format!("the field's (first) address, 0..=65535, such as {key} = 0");
    let (lit, n) = int(meta, key, &takes)?;
    u16::try_from(n).map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("address {n} does not exist: Modbus addresses are 0..=65535"),
        )
    })
}

fn order(meta: &ParseNestedMeta<'_>) -> syn::Result<&'static str> {
    let takes = "\"ABCD\", \"CDAB\", \"BADC\" or \"DCBA\", such as order = \"CDAB\"";
    let lit = string(meta, "order", takes)?;
    let given = lit.value();
    ORDERS
        .iter()
        .find(|o| o.eq_ignore_ascii_case(given.trim()))
        .copied()
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!("unknown word order {given:?}: use {takes}"),
            )
        })
}

fn bit(meta: &ParseNestedMeta<'_>) -> syn::Result<u8> {
    let takes = "a bit number 0..=15, 0 the least significant, such as bit = 0";
    let (lit, n) = int(meta, "bit", takes)?;
    if n > 15 {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "bit {n} does not exist in a 16-bit register: bits are numbered 0..=15, \
                 0 the least significant"
            ),
        ));
    }
    Ok(n as u8)
}

fn byte(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    let takes = "\"low\" (bits 0..=7) or \"high\" (bits 8..=15), such as byte = \"high\"";
    let lit = string(meta, "byte", takes)?;
    match lit.value().trim().to_ascii_lowercase().as_str() {
        "low" => Ok(false),
        "high" => Ok(true),
        _ => Err(syn::Error::new(
            lit.span(),
            format!("unknown byte {:?}: use {takes}", lit.value()),
        )),
    }
}

fn len(meta: &ParseNestedMeta<'_>) -> syn::Result<u16> {
    let takes = "the size in registers, 1..=123 (a string holds two characters in each)";
    let (lit, n) = int(meta, "len", takes)?;
    if !(1..=123).contains(&n) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "a variable of {n} registers cannot be declared: it must span 1..=123 registers, \
                 so that it is read and written whole in one Modbus request"
            ),
        ));
    }
    Ok(n as u16)
}

fn name(meta: &ParseNestedMeta<'_>) -> syn::Result<String> {
    let takes = "the variable's name in the map, such as name = \"SETPOINT\"";
    let lit = string(meta, "name", takes)?;
    let name = lit.value();
    check_name(&name).map_err(|reason| {
        syn::Error::new(
            lit.span(),
            format!("the name {name:?} cannot be used: {reason}"),
        )
    })?;
    Ok(name)
}

/// The rule of map files: names go into tables, JSON and `msm write NAME=VALUE`.
pub(crate) fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("a variable needs a name of at least one character")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("names may not hold spaces or control characters")
    } else if name.contains('=') {
        Err("names may not hold `=`, which separates name and value in `msm write NAME=VALUE`")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        assert_eq!(closest("hodling", FIELD_KEYS), Some("holding"));
        assert_eq!(closest("adress", FIELD_KEYS), None);
        assert_eq!(closest("Order", FIELD_KEYS), Some("order"));
        assert_eq!(closest("bits", FIELD_KEYS), Some("bit"));
        assert_eq!(closest("length", FIELD_KEYS), Some("len"));
        assert_eq!(closest("disc", FIELD_KEYS), Some("discrete"));
        assert_eq!(closest("zzz", FIELD_KEYS), None);
    }

    #[test]
    fn names_follow_the_map_rule() {
        assert!(check_name("PUMP.1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("A B").is_err());
        assert!(check_name("A=B").is_err());
    }
}
