//! `[roles]`: the roles-to-rights database of Modbus/TCP Security, one table per role
//! with `read` and `write` lists of variable names, `"*"` or raw ranges
//! (`"holding 100..=199"`, `"coil 0..=15"`, `"input 3"`).

use super::{Parser, Value};
use crate::authz::{Rights, Roles, Scope};
use crate::map::MapError;
use crate::map::VarDef;
use crate::memory::Area;
use crate::types::MapErrorKind;

const ROLE_KEYS: &[&str] = &["read", "write"];

impl Parser<'_> {
    /// The `[roles]` table, its names resolved against the variables declared.
    pub(super) fn roles(&self, value: &Value<'_>, vars: &[VarDef]) -> Result<Roles, MapError> {
        let mut roles = Roles::new();
        let table = self.table(value, "roles", "a table: [roles]", None)?;
        for (name, rights) in table.iter() {
            let role = name.get_ref().as_ref();
            let expected = "a table: [roles.NAME] with read = [...] and write = [...]";
            let mut parsed = Rights::default();
            for (key, list) in self.table(rights, role, expected, None)?.iter() {
                let scopes = match key.get_ref().as_ref() {
                    "read" => &mut parsed.read,
                    "write" => &mut parsed.write,
                    other => return Err(self.unknown_key(key, None, "a role", other, ROLE_KEYS)),
                };
                let Some(entries) = list.get_ref().as_array() else {
                    let what = "an array of variable names, \"*\" or ranges";
                    return Err(self.wrong_type(list, key.get_ref(), None, what));
                };
                for entry in entries {
                    let text = self.str(entry, key.get_ref(), None)?;
                    let scope = scope(text, vars).map_err(|reason| {
                        let kind = MapErrorKind::BadRight {
                            role: role.to_string(),
                            entry: text.to_string(),
                            reason,
                        };
                        self.error(entry.span(), None, kind)
                    })?;
                    scopes.push(scope);
                }
            }
            roles.insert(role, parsed);
        }
        Ok(roles)
    }
}

/// One entry: `"*"`, a variable's name, or `AREA FIRST..=LAST` / `AREA FIRST..END` /
/// `AREA ADDRESS`.
fn scope(text: &str, vars: &[VarDef]) -> Result<Scope, String> {
    if text.trim() == "*" {
        return Ok(Scope::All);
    }
    if let Some(var) = vars.iter().find(|v| v.name == text) {
        let last = u32::from(var.address) + var.count().max(1) as u32 - 1;
        return Ok(Scope::Range {
            area: var.area,
            first: var.address,
            last: u16::try_from(last).unwrap_or(u16::MAX),
        });
    }
    let Some((area, range)) = text.trim().split_once(char::is_whitespace) else {
        return Err("is no variable of this map".into());
    };
    let area: Area = area.parse().map_err(|_| {
        format!("is no variable, and {area:?} is no area (coil, discrete, input, holding)")
    })?;
    let number = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("has {s:?} where an address (0..=65535) belongs"))
    };
    let range = range.trim();
    let (first, last) = if let Some((a, b)) = range.split_once("..=") {
        (number(a)?, number(b)?)
    } else if let Some((a, b)) = range.split_once("..") {
        let (a, b) = (number(a)?, number(b)?);
        if b <= a {
            return Err(format!("is an empty range: {a}..{b} holds no address"));
        }
        (a, b - 1)
    } else {
        let a = number(range)?;
        (a, a)
    };
    if first > last || last > 65535 {
        return Err(
            "is not a range of addresses: write FIRST..=LAST with FIRST <= LAST <= 65535".into(),
        );
    }
    Ok(Scope::Range {
        area,
        first: first as u16,
        last: last as u16,
    })
}
