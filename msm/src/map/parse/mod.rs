//! TOML text to a checked [`Map`]: every key read by hand, so that each error can say
//! where it is, which variable it concerns and how to fix it. This file reads the
//! document and `[memory]`; `var.rs` reads one variable.

mod fault;
mod identity;
mod roles;
mod sim;
mod tables;
mod var;

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Map;
use super::behaviour::check_links;
use crate::memory::{Area, AreaSpec, Order};
use crate::types::Error;
use crate::types::{MapError, MapErrorKind, Position};

const TOP_KEYS: &[&str] = &[
    "memory", "vars", "roles", "seed", "fault", "identity", "file", "fifo",
];
/// The area keys of `[memory]`, in `Area::ALL` order, then the default order.
const MEMORY_KEYS: &[&str] = &[
    "coils",
    "discrete_inputs",
    "input_registers",
    "holding_registers",
    "order",
];
const AREA_KEYS: &[&str] = &["start", "size"];

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
    let (mut memory, mut vars, mut roles) = (None, None, None);
    let (mut seed, mut faults) = (None, None);
    let (mut identity, mut files, mut fifos) = (None, None, None);
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "memory" => memory = Some(value),
            "vars" => vars = Some(value),
            "roles" => roles = Some(value),
            "seed" => seed = Some(p.seed(value)?),
            "fault" => faults = Some(p.faults(value)?),
            "identity" => identity = Some(value),
            "file" => files = Some(value),
            "fifo" => fifos = Some(value),
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
        roles: None,
        faults: faults.unwrap_or_default(),
        seed,
        identity: None,
        files: Vec::new(),
        fifos: Vec::new(),
    };
    if let Some(vars) = vars {
        for (key, value) in p.table(vars, "vars", "a table: [vars]", None)?.iter() {
            let (def, places) = p.var(key, value)?;
            map.vars.push(def);
            map.places.push(places);
        }
    }
    if let Some(roles) = roles {
        map.roles = Some(p.roles(roles, &map.vars)?);
    }
    check_links(&map.vars).map_err(|(i, reason)| {
        let var = &map.vars[i];
        let position = map.places[i].sim;
        MapError::new(
            file,
            position,
            Some(&var.name),
            MapErrorKind::BadBehaviour { reason },
        )
    })?;
    if let Some(identity) = identity {
        map.identity = Some(p.identity(identity, areas[Area::Coil.index()])?);
    }
    if let Some(files) = files {
        map.files = p.files(files)?;
    }
    if let Some(fifos) = fifos {
        map.fifos = p.fifos(fifos, areas[Area::Holding.index()])?;
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
}
