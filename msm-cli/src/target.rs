//! What a one-shot read or write works on: variables of a map file, or raw values
//! described by `--area/--address/--type/--order`.

use clap::Args;
use msm::{Area, AreaSpec, Map, Order, VarDef, VarType};

use crate::failure::Failure;

/// Raw access: an area, an address, a type, without a map.
#[derive(Args, Debug, Clone)]
pub(crate) struct RawArgs {
    /// Area: coil, discrete, input or holding.
    #[arg(long, value_name = "AREA")]
    pub(crate) area: Option<String>,
    /// First address.
    #[arg(long, value_name = "N")]
    pub(crate) address: Option<u16>,
    /// Value type: bool (bit areas), u16, i16, u32, i32, u64, i64, f32, f64.
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) ty: Option<String>,
    /// Word order of multi-register values: ABCD, CDAB, BADC, DCBA.
    #[arg(long, default_value = "ABCD", value_name = "ORDER")]
    pub(crate) order: String,
}

/// The map and the words left after it (names to read, NAME=VALUE pairs or raw values).
pub(crate) struct Target {
    pub(crate) map: Map,
    pub(crate) rest: Vec<String>,
    pub(crate) raw: bool,
}

impl RawArgs {
    fn used(&self) -> bool {
        self.area.is_some() || self.address.is_some() || self.ty.is_some()
    }
}

/// Splits `words` into a map file and what follows it, or reads raw flags. `count` is
/// the number of raw values (for a write: the number of values given).
pub(crate) fn resolve(
    words: &[String],
    raw: &RawArgs,
    count: Option<u16>,
) -> Result<Target, Failure> {
    if raw.used() {
        let count = match count {
            Some(n) => n,
            None => u16::try_from(words.len()).map_err(|_| Failure::usage("too many values"))?,
        };
        return Ok(Target {
            map: raw_map(raw, count)?,
            rest: words.to_vec(),
            raw: true,
        });
    }
    let Some((path, rest)) = words.split_first() else {
        return Err(Failure::usage(
            "name a map file (and variables), or use --area, --address and --type for raw access",
        ));
    };
    if !std::path::Path::new(path).exists() && path.parse::<Area>().is_ok() {
        // `msm read coil 100`: raw access spelled as words.
        let address = rest.first().map_or("N", String::as_str);
        return Err(Failure::usage(format!(
            "{path:?} is no map file here; for raw access by area and address write \
             --area {path} --address {address}"
        )));
    }
    Ok(Target {
        map: Map::from_path(path)?,
        rest: rest.to_vec(),
        raw: false,
    })
}

/// A map with `count` consecutive values of one type from `--address` in `--area`,
/// named like `holding[10]`.
fn raw_map(raw: &RawArgs, count: u16) -> Result<Map, Failure> {
    let area: Area = raw
        .area
        .as_deref()
        .ok_or_else(|| {
            Failure::usage("raw access needs --area (coil, discrete, input or holding)")
        })?
        .parse()
        .map_err(|e: msm::Error| Failure::usage(e.to_string()))?;
    let address = raw.address.ok_or_else(|| {
        Failure::usage("raw access needs --address (the first address, 0..=65535)")
    })?;
    let default_type = if area.is_bits() { "bool" } else { "u16" };
    let ty: VarType = raw
        .ty
        .as_deref()
        .unwrap_or(default_type)
        .parse()
        .map_err(|e| Failure::usage(format!("--type: {e}")))?;
    let order: Order = raw
        .order
        .parse()
        .map_err(|e: msm::Error| Failure::usage(format!("--order: {e}")))?;
    let fits = match ty {
        VarType::Bool => area.is_bits(),
        VarType::Bit | VarType::U8 | VarType::I8 | VarType::String => false,
        _ => !area.is_bits(),
    };
    if !fits {
        let allowed = if area.is_bits() {
            "bool"
        } else {
            "u16, i16, u32, i32, u64, i64, f32 or f64"
        };
        return Err(Failure::usage(format!(
            "--type {ty} cannot be read or written raw on {area}: use {allowed} (bits and bytes of registers, and strings, need a map file)"
        )));
    }
    if count == 0 {
        return Err(Failure::usage("--count must be at least 1"));
    }
    let width = ty.registers().unwrap_or(1) as u32;
    let size = u32::from(count) * width;
    if u32::from(address) + size > 65536 {
        return Err(Failure::usage(format!(
            "{count} {ty} value(s) from address {address} run past address 65535"
        )));
    }
    let mut map = Map::builder()
        .name("raw access")
        .area(area, AreaSpec::new(address, size))
        .order(order);
    for i in 0..u32::from(count) {
        // Inside the address space: checked above.
        let a = (u32::from(address) + i * width) as u16;
        map = map.var(VarDef::new(format!("{}[{a}]", area.key()), area, a, ty));
    }
    map.build().map_err(Failure::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(area: &str, address: u16, ty: &str, order: &str) -> RawArgs {
        RawArgs {
            area: Some(area.into()),
            address: Some(address),
            ty: Some(ty.into()),
            order: order.into(),
        }
    }

    #[test]
    fn raw_values_become_named_variables() {
        let t = resolve(&[], &raw("holding", 10, "f32", "CDAB"), Some(2)).expect("valid");
        let names: Vec<_> = t.map.vars().iter().map(|v| v.name.clone()).collect();
        assert_eq!(names, ["holding[10]", "holding[12]"]);
        assert_eq!(t.map.order(), Order::CDAB);
    }

    #[test]
    fn raw_mistakes_are_usage_errors() {
        for (args, count, needle) in [
            (
                raw("holding", 0, "bool", "ABCD"),
                1,
                "cannot be read or written raw",
            ),
            (raw("coil", 0, "u16", "ABCD"), 1, "use bool"),
            (
                raw("holding", 65535, "u32", "ABCD"),
                1,
                "past address 65535",
            ),
            (raw("holding", 0, "u33", "ABCD"), 1, "--type"),
            (raw("holding", 0, "u16", "ACBD"), 1, "--order"),
            (raw("registers", 0, "u16", "ABCD"), 1, "unknown area"),
            (raw("holding", 0, "u16", "ABCD"), 0, "at least 1"),
        ] {
            let e = resolve(&[], &args, Some(count)).err().expect("an error");
            assert_eq!(e.code, 2);
            assert!(
                e.message.contains(needle),
                "{needle:?} not in {:?}",
                e.message
            );
        }
    }
}
