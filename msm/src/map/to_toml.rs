//! A map written back as a map file ([`Map::to_toml`]), and what makes two maps the same
//! map ([`PartialEq`]): what the file says, not where it came from.

use std::fmt::{self, Write as _};

use toml_writer::{TomlStringBuilder, TomlWrite as _};

use super::DynValue;
use super::behaviour::{Behaviour, BehaviourKind, integer_range};
use super::def::VarDef;
use super::{Identity, Map};
use crate::authz::{Roles, Scope};
use crate::memory::AreaSpec;
use crate::types::{DurationText, Fault, FaultAction, Hit, VarType};

/// `[memory]`'s key for each area, in `Area::ALL` order.
const AREA_KEYS: [&str; 4] = [
    "coils",
    "discrete_inputs",
    "input_registers",
    "holding_registers",
];

impl Map {
    /// The map as a map file: `[memory]` (every area that is not empty, and the default
    /// word order), `[vars]` (one line per variable, in the map's order, with every key
    /// it was given and its starting value), `[roles]` if the map has them, then
    /// `[identity]` (the keys given), each `[[file]]` and each `[[fifo]]`.
    /// [`Map::from_toml_str`] reads it back as an equal map, whether the map came from a
    /// file, from [`Map::builder`] or from `#[derive(Vars)]`.
    ///
    /// Names that are not bare TOML keys are quoted; numbers are written in decimal,
    /// floats in their shortest form that reads back the same; rights over a variable
    /// of `[roles]` are written as the address range it covers.
    ///
    /// ```
    /// let text = r#"
    ///     [memory]
    ///     holding_registers = { start = 100, size = 8 }
    ///     [vars]
    ///     "PUMP.1" = { area = "holding", address = 100, type = "u32", order = "CDAB", value = 0x10 }
    ///     SPEED = { area = "holding", address = 102, type = "f32", value = 0.1 }
    /// "#;
    /// let map = msm::Map::from_toml_str(text)?;
    /// let written = map.to_toml();
    /// assert_eq!(written, "\
    /// [memory]
    /// holding_registers = { start = 100, size = 8 }
    /// order = \"ABCD\"
    ///
    /// [vars]
    /// \"PUMP.1\" = { area = \"holding\", address = 100, type = \"u32\", order = \"CDAB\", value = 16 }
    /// SPEED    = { area = \"holding\", address = 102, type = \"f32\", value = 0.1 }
    /// ");
    /// assert_eq!(msm::Map::from_toml_str(&written)?, map);
    /// # Ok::<(), msm::MapError>(())
    /// ```
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_toml(&mut out);
        out
    }

    fn write_toml(&self, out: &mut String) -> fmt::Result {
        if let Some(seed) = self.seed {
            // A top-level key: before the first table.
            writeln!(out, "seed = {seed}\n")?;
        }
        out.write_str("[memory]\n")?;
        for ((_, spec), key) in self.areas().into_iter().zip(AREA_KEYS) {
            if spec != AreaSpec::default() {
                write_area(out, key, spec)?;
            }
        }
        writeln!(out, "order = \"{}\"", self.order)?;
        if !self.vars.is_empty() {
            out.write_str("\n[vars]\n")?;
            let keys: Vec<String> = self.vars.iter().map(|v| key(&v.name)).collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
            for (var, key) in self.vars.iter().zip(&keys) {
                write!(out, "{key:width$} = ")?;
                write_var(out, var)?;
                out.newline()?;
            }
        }
        if let Some(roles) = &self.roles {
            write_roles(out, roles)?;
        }
        for fault in &self.faults {
            write_fault(out, fault)?;
        }
        if let Some(identity) = &self.identity {
            write_identity(out, identity)?;
        }
        for file in &self.files {
            write!(
                out,
                "\n[[file]]\nnumber = {}\nrecords = {}\n",
                file.number, file.records
            )?;
        }
        for address in &self.fifos {
            write!(out, "\n[[fifo]]\naddress = {address}\n")?;
        }
        Ok(())
    }
}

/// `[identity]` with the keys given, in the order map-files.md lists them.
fn write_identity(out: &mut String, id: &Identity) -> fmt::Result {
    out.write_str("\n[identity]\n")?;
    match id.server_id.as_deref() {
        Some([byte]) => writeln!(out, "server_id = {byte}")?,
        Some(bytes) => {
            out.write_str("server_id = ")?;
            out.value(bytes.iter().map(|b| i64::from(*b)).collect::<Vec<_>>())?;
            out.newline()?;
        }
        None => {}
    }
    if let Some(run) = id.run {
        writeln!(out, "run = {run}")?;
    }
    if let Some(address) = id.exception_status_coils {
        writeln!(out, "exception_status_coils = {address}")?;
    }
    let texts = [
        ("additional_data", &id.additional_data),
        ("vendor", &id.vendor),
        ("product_code", &id.product_code),
        ("revision", &id.revision),
        ("vendor_url", &id.vendor_url),
        ("product_name", &id.product_name),
        ("model_name", &id.model_name),
        ("application_name", &id.application_name),
    ];
    for (key, text) in texts {
        if let Some(text) = text {
            write!(out, "{key} = ")?;
            write_value(out, &DynValue::String(text.clone()))?;
            out.newline()?;
        }
    }
    Ok(())
}

/// A key as TOML writes it: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    let mut out = String::new();
    let _ = out.key(name);
    out
}

fn write_area(out: &mut String, key: &str, spec: AreaSpec) -> fmt::Result {
    if spec.start == 0 {
        writeln!(out, "{key} = {}", spec.size)
    } else {
        writeln!(
            out,
            "{key} = {{ start = {}, size = {} }}",
            spec.start, spec.size
        )
    }
}

fn write_var(out: &mut String, var: &VarDef) -> fmt::Result {
    write!(
        out,
        "{{ area = \"{}\", address = {}, type = \"{}\"",
        var.area.key(),
        var.address,
        var.ty
    )?;
    if let Some(order) = var.order {
        write!(out, ", order = \"{order}\"")?;
    }
    if let Some(bit) = var.bit {
        write!(out, ", bit = {bit}")?;
    }
    if let Some(byte) = var.byte {
        write!(out, ", byte = \"{byte}\"")?;
    }
    if let Some(len) = var.len {
        write!(out, ", len = {len}")?;
    }
    if let Some(value) = &var.value {
        out.write_str(", value = ")?;
        write_value(out, value)?;
    }
    if let Some(sim) = &var.sim {
        out.write_str(", sim = ")?;
        write_sim(out, sim, var.ty)?;
    }
    out.write_str(" }")
}

fn write_value(out: &mut String, value: &DynValue) -> fmt::Result {
    match value {
        DynValue::String(s) => {
            // On one line, escaped where needed: one variable per line.
            let s = TomlStringBuilder::new(s);
            let one_line = s.as_basic_pretty().or_else(|| s.as_literal());
            out.value(one_line.unwrap_or_else(|| s.as_basic()))
        }
        DynValue::F32(f) => write_float(out, f64::from(*f), shortest_f32(*f)),
        DynValue::F64(f) => write_float(out, *f, format!("{f:?}")),
        // Integers and booleans display as TOML writes them.
        other => write!(out, "{other}"),
    }
}

/// `shortest`, Rust's shortest form of `f` (`0.1`, `1e40`), is valid TOML except for
/// NaN and the infinities.
fn write_float(out: &mut String, f: f64, shortest: String) -> fmt::Result {
    if f.is_nan() {
        out.write_str("nan")
    } else if f.is_infinite() {
        out.write_str(if f < 0.0 { "-inf" } else { "inf" })
    } else {
        out.write_str(&shortest)
    }
}

/// The shortest form of an `f32`, if reading it as an `f64` and rounding to the nearest
/// `f32` (what the parser does) gives it back; otherwise its exact `f64` form.
fn shortest_f32(f: f32) -> String {
    let short = format!("{f:?}");
    match short.parse::<f64>() {
        Ok(back) if (back as f32).to_bits() == f.to_bits() => short,
        _ => format!("{:?}", f64::from(f)),
    }
}

fn write_roles(out: &mut String, roles: &Roles) -> fmt::Result {
    if roles.is_empty() {
        // `[roles]` with no role still means "every request refused".
        return out.write_str("\n[roles]\n");
    }
    for name in roles.names() {
        write!(out, "\n[roles.{}]\n", key(name))?;
        let Some(rights) = roles.get(name) else {
            continue;
        };
        for (list, scopes) in [("read", &rights.read), ("write", &rights.write)] {
            if scopes.is_empty() {
                continue;
            }
            let entries: Vec<String> = scopes.iter().map(scope).collect();
            write!(out, "{list} = ")?;
            out.value(entries)?;
            out.newline()?;
        }
    }
    Ok(())
}

/// A right as `[roles]` writes it: `"*"` or `"AREA FIRST..=LAST"` (a variable's name
/// was resolved to its range when the map was read).
fn scope(scope: &Scope) -> String {
    match *scope {
        Scope::All => "*".to_string(),
        Scope::Range { area, first, last } => format!("{} {first}..={last}", area.key()),
    }
}

/// A `sim` inline table, its keys in the documentation's order; `min` and `max` as the
/// variable's type writes them (integers for integer types).
fn write_sim(out: &mut String, sim: &Behaviour, ty: VarType) -> fmt::Result {
    let kind = sim.kind();
    write!(out, "{{ kind = \"{}\"", kind.name())?;
    let bound = |out: &mut String, key: &str, x: f64| -> fmt::Result {
        write!(out, ", {key} = ")?;
        if integer_range(ty).is_some() {
            // Checked to be a whole number in the type's range.
            write!(out, "{}", x as i128)
        } else {
            write_float(out, x, format!("{x:?}"))
        }
    };
    match kind {
        BehaviourKind::Sine { min, max, period } | BehaviourKind::Ramp { min, max, period } => {
            bound(out, "min", *min)?;
            bound(out, "max", *max)?;
            write!(out, ", period = \"{}\"", DurationText(*period))?;
        }
        BehaviourKind::Random { min, max } => {
            bound(out, "min", *min)?;
            bound(out, "max", *max)?;
        }
        BehaviourKind::Counter { step } => write!(out, ", step = {step}")?,
        BehaviourKind::Follow { source, tau, gain } => {
            out.write_str(", source = ")?;
            out.value(source.as_str())?;
            write!(out, ", tau = \"{}\"", DurationText(*tau))?;
            if *gain != 1.0 {
                out.write_str(", gain = ")?;
                write_float(out, *gain, format!("{gain:?}"))?;
            }
        }
        BehaviourKind::Toggle | BehaviourKind::Uptime | BehaviourKind::Timestamp => {}
    }
    if let Some(every) = sim.every_given() {
        write!(out, ", every = \"{}\"", DurationText(every))?;
    }
    if let Some(enable) = sim.enabled_by() {
        out.write_str(", enable = ")?;
        out.value(enable)?;
    }
    out.write_str(" }")
}

/// A `[[fault]]` table, its keys in the documentation's order.
fn write_fault(out: &mut String, fault: &Fault) -> fmt::Result {
    out.write_str("\n[[fault]]\n")?;
    let one_or_list = |out: &mut String, key: &str, items: &[u8]| -> fmt::Result {
        match items {
            [] => Ok(()),
            [one] => writeln!(out, "{key} = {one}"),
            many => {
                let items: Vec<String> = many.iter().map(u8::to_string).collect();
                writeln!(out, "{key} = [{}]", items.join(", "))
            }
        }
    };
    one_or_list(out, "function", fault.function_codes())?;
    if let Some(range) = fault.address_range() {
        if range.start() == range.end() {
            writeln!(out, "address = {}", range.start())?;
        } else {
            writeln!(out, "address = \"{}..={}\"", range.start(), range.end())?;
        }
    }
    if let Some(count) = fault.quantity() {
        writeln!(out, "count = {count}")?;
    }
    one_or_list(out, "unit", fault.unit_ids())?;
    let action = fault.action();
    writeln!(out, "action = \"{}\"", action.name())?;
    match action {
        FaultAction::Exception(code) => writeln!(out, "code = {}", code.value())?,
        FaultAction::Delay(d) | FaultAction::Trickle(d) => {
            writeln!(out, "delay = \"{}\"", DurationText(d))?;
        }
        _ => {}
    }
    match fault.hit() {
        Hit::Every(1) => Ok(()),
        Hit::Every(n) => writeln!(out, "every = {n}"),
        Hit::Probability(p) => {
            out.write_str("probability = ")?;
            write_float(out, p, format!("{p:?}"))?;
            out.newline()
        }
    }
}

/// Two maps are equal when they describe the same memory and variables: the areas, the
/// default word order, the variables in order with every key and starting value, the
/// roles, the identity, the files and the FIFOs. Where a map came from ([`Map::file`], positions in a file) does not count. A
/// NaN starting value equals a NaN, since a map file cannot tell one NaN from another.
///
/// ```
/// let a = msm::Map::from_toml_str("[memory]\nholding_registers = 2\n")?;
/// let b = msm::Map::from_toml_str("[memory]\n\nholding_registers = { size = 2 }\norder = \"abcd\"\n")?;
/// assert_eq!(a, b);
/// let c = msm::Map::from_toml_str("[memory]\nholding_registers = 3\n")?;
/// assert_ne!(a, c);
/// # Ok::<(), msm::MapError>(())
/// ```
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.areas == other.areas
            && self.order == other.order
            && self.roles == other.roles
            && self.faults == other.faults
            && self.seed == other.seed
            && self.identity == other.identity
            && self.files == other.files
            && self.fifos == other.fifos
            && self.vars.len() == other.vars.len()
            && self
                .vars
                .iter()
                .zip(&other.vars)
                .all(|(a, b)| same_var(a, b))
    }
}

fn same_var(a: &VarDef, b: &VarDef) -> bool {
    // Every field named, so that a new key cannot be forgotten here.
    let VarDef {
        name,
        area,
        address,
        ty,
        order,
        bit,
        byte,
        len,
        value,
        sim,
    } = a;
    *name == b.name
        && *area == b.area
        && *address == b.address
        && *ty == b.ty
        && *order == b.order
        && *bit == b.bit
        && *byte == b.byte
        && *len == b.len
        && *sim == b.sim
        && match (value, &b.value) {
            (Some(x), Some(y)) => same_value(x, y),
            (x, y) => x.is_none() && y.is_none(),
        }
}

fn same_value(a: &DynValue, b: &DynValue) -> bool {
    match (a, b) {
        (DynValue::F32(x), DynValue::F32(y)) => x == y || x.is_nan() && y.is_nan(),
        (DynValue::F64(x), DynValue::F64(y)) => x == y || x.is_nan() && y.is_nan(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_values_are_written_short_when_that_reads_back() {
        assert_eq!(shortest_f32(0.1), "0.1");
        assert_eq!(shortest_f32(-2.5e-7), "-2.5e-7");
        for bits in [1u32, 0x0080_0000, 0x7F7F_FFFF, 0x3DCC_CCCD, 0x4B80_0001] {
            let f = f32::from_bits(bits);
            let back = shortest_f32(f).parse::<f64>().expect("a float") as f32;
            assert_eq!(back.to_bits(), bits, "{f:?}");
        }
    }

    #[test]
    fn floats_that_toml_spells_its_own_way() {
        let mut out = String::new();
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e300] {
            write_float(&mut out, f, format!("{f:?}")).expect("write");
            out.push(' ');
        }
        assert_eq!(out, "nan inf -inf -0.0 1e300 ");
    }

    #[test]
    fn names_are_quoted_when_toml_needs_it() {
        assert_eq!(key("STATE"), "STATE");
        assert_eq!(key("pump-1_a"), "pump-1_a");
        assert_eq!(key("PUMP.1"), "\"PUMP.1\"");
        assert_eq!(key("Füllstand"), "\"Füllstand\"");
        assert_eq!(key("a\"b"), "'a\"b'");
    }
}
