//! Reading the configuration's TOML by hand, so that every problem is reported (not
//! only the first, as serde would) at its line and column, with the keys that exist and
//! a "did you mean" for a misspelt one, as map files do.

use std::ops::Range;
use std::time::Duration;

use msm::map::suggest::did_you_mean;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ConfigError;

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects the problems of one file.
pub(super) struct Checker<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
    pub(super) errors: Vec<ConfigError>,
}

/// A table's keys by name, once each unknown one was reported.
pub(super) struct Keys<'t, 'i> {
    entries: Vec<(&'t str, &'t Value<'i>)>,
    span: Range<usize>,
}

impl<'t, 'i> Keys<'t, 'i> {
    pub(super) fn get(&self, key: &str) -> Option<&'t Value<'i>> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// Where the table is (for a missing key).
    pub(super) fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl Checker<'_> {
    pub(super) fn line(&self, offset: usize) -> usize {
        let offset = floor_char_boundary(self.text, offset);
        self.text[..offset].matches('\n').count() + 1
    }

    /// A problem at `span`.
    pub(super) fn at(&mut self, span: Range<usize>, message: String) {
        let offset = floor_char_boundary(self.text, span.start);
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        self.errors.push(ConfigError::At {
            file: self.file.to_string(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            message,
        });
    }

    /// The keys of `table` (named `what` in messages), each unknown one reported with
    /// the keys that exist and the closest of them.
    pub(super) fn keys<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        span: Range<usize>,
        what: &str,
        known: &[&str],
    ) -> Keys<'t, 'i> {
        let mut entries = Vec::new();
        for (key, value) in table.iter() {
            let name: &'t str = key.get_ref().as_ref();
            if known.contains(&name) {
                entries.push((name, value));
            } else {
                self.at(
                    key.span(),
                    format!(
                        "unknown key `{name}` in {what}{}: the keys are {} (see docs/gateway.md)",
                        did_you_mean(name, known.iter().copied()),
                        known.join(", ")
                    ),
                );
            }
        }
        Keys { entries, span }
    }

    fn wrong_type(&mut self, value: &Value<'_>, key: &str, expected: &str) {
        self.at(
            value.span(),
            format!(
                "`{key}` is {} {}: give {expected}",
                article(value.get_ref().type_str()),
                value.get_ref().type_str()
            ),
        );
    }

    /// The table `value` is, or a reported problem.
    pub(super) fn table<'v, 'i>(
        &mut self,
        value: &'v Value<'i>,
        key: &str,
        expected: &str,
    ) -> Option<&'v DeTable<'i>> {
        let table = value.get_ref().as_table();
        if table.is_none() {
            self.wrong_type(value, key, expected);
        }
        table
    }

    /// The string at `key`, if there; a reported problem if not a string.
    pub(super) fn string(&mut self, keys: &Keys<'_, '_>, key: &str) -> Option<Spanned<String>> {
        let value = keys.get(key)?;
        match value.get_ref().as_str() {
            Some(s) => Some(Spanned::new(value.span(), s.to_string())),
            None => {
                self.wrong_type(value, key, "a string in quotes");
                None
            }
        }
    }

    /// The string at `key`, reported missing (with `hint`) if absent.
    pub(super) fn required(
        &mut self,
        keys: &Keys<'_, '_>,
        key: &str,
        what: &str,
        hint: &str,
    ) -> Option<Spanned<String>> {
        if keys.get(key).is_none() {
            self.at(keys.span(), format!("{what} has no `{key}`: {hint}"));
            return None;
        }
        self.string(keys, key)
    }

    pub(super) fn bool(&mut self, keys: &Keys<'_, '_>, key: &str) -> Option<bool> {
        let value = keys.get(key)?;
        let b = value.get_ref().as_bool();
        if b.is_none() {
            self.wrong_type(value, key, "true or false");
        }
        b
    }

    /// The integer at `key` in `range` (`0..=255` for a u8, say), with its span.
    pub(super) fn int<T: TryFrom<i128>>(
        &mut self,
        keys: &Keys<'_, '_>,
        key: &str,
        range: &str,
    ) -> Option<Spanned<T>> {
        let value = keys.get(key)?;
        let Some(i) = value.get_ref().as_integer() else {
            self.wrong_type(value, key, &format!("an integer in {range}"));
            return None;
        };
        let n = i128::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .and_then(|n| T::try_from(n).ok());
        if n.is_none() {
            self.at(
                value.span(),
                format!("`{key}` = {} is out of range: give {range}", i.as_str()),
            );
        }
        n.map(|n| Spanned::new(value.span(), n))
    }

    /// A duration at `key` (`"500ms"`, `"1s"`); `off` (when `off_allowed`) is `Some(None)`.
    pub(super) fn duration(
        &mut self,
        keys: &Keys<'_, '_>,
        key: &str,
        off_allowed: bool,
    ) -> Option<Option<Duration>> {
        let text = self.string(keys, key)?;
        let off = if off_allowed { ", or \"off\"" } else { "" };
        if off_allowed && matches!(text.get_ref().as_str(), "off" | "none") {
            return Some(None);
        }
        match humantime::parse_duration(text.get_ref()) {
            Ok(d) if !d.is_zero() => Some(Some(d)),
            Ok(_) => {
                self.at(
                    text.span(),
                    format!(
                        "{key} is 0: give a positive duration such as \"1s\" or \"100ms\"{off}"
                    ),
                );
                None
            }
            Err(e) => {
                self.at(
                    text.span(),
                    format!(
                        "{key} {:?}: {e}: write a duration such as \"1s\" or \"100ms\"{off}",
                        text.get_ref()
                    ),
                );
                None
            }
        }
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
