//! `[[file]]` (files of records, FC20/FC21) and `[[fifo]]` (FIFO queues, FC24): arrays
//! of tables, each checked where it stands.

use toml::de::DeTable;

use super::{Parser, Value};
use crate::map::{FileDef, MapError};
use crate::memory::{Area, AreaSpec};
use crate::types::{Error, MapErrorKind};

const FILE_KEYS: &[&str] = &["number", "records"];
const FIFO_KEYS: &[&str] = &["address"];

impl Parser<'_> {
    /// The tables of an array of tables `[[name]]`.
    fn tables<'v, 'i>(
        &self,
        value: &'v Value<'i>,
        name: &str,
        expected: &'static str,
    ) -> Result<Vec<(&'v DeTable<'i>, &'v Value<'i>)>, MapError> {
        let Some(items) = value.get_ref().as_array() else {
            return Err(self.wrong_type(value, name, None, expected));
        };
        items
            .iter()
            .map(|item| Ok((self.table(item, name, expected, None)?, item)))
            .collect()
    }

    /// `[[file]]`: `number` (1..=65535, each once) and `records` (1..=10000).
    pub(super) fn files(&self, value: &Value<'_>) -> Result<Vec<FileDef>, MapError> {
        const EXPECTED: &str = "an array of tables: [[file]] with number = N and records = R";
        let mut files: Vec<FileDef> = Vec::new();
        for (table, whole) in self.tables(value, "file", EXPECTED)? {
            let (mut number, mut records) = (None, None);
            for (key, v) in table.iter() {
                match key.get_ref().as_ref() {
                    "number" => number = Some((self.positive(v, "number", 65535, "1..=65535")?, v)),
                    "records" => {
                        records = Some(self.positive(v, "records", 10_000, "1..=10000")?)
                    }
                    other => {
                        return Err(self.unknown_key(
                            key,
                            None,
                            "a [[file]] table",
                            other,
                            FILE_KEYS,
                        ));
                    }
                }
            }
            let missing =
                |key, hint| self.error(whole.span(), None, MapErrorKind::MissingKey { key, hint });
            let Some((number, at)) = number else {
                return Err(missing(
                    "number",
                    "a [[file]] needs its number, 1..=65535: number = 4",
                ));
            };
            let Some(records) = records else {
                return Err(missing(
                    "records",
                    "a [[file]] needs its size in records, 1..=10000: records = 100",
                ));
            };
            if files.iter().any(|f| u32::from(f.number) == number) {
                let problem = format!("{number} is declared twice: give each file its own number");
                return Err(self.bad_setting(at.span(), "[[file]]", "number", problem));
            }
            files.push(FileDef {
                number: number as u16,
                records: records as u16,
            });
        }
        Ok(files)
    }

    /// `[[fifo]]`: `address`, a holding register (the FIFO's count) of the map, each once.
    pub(super) fn fifos(&self, value: &Value<'_>, holding: AreaSpec) -> Result<Vec<u16>, MapError> {
        const EXPECTED: &str = "an array of tables: [[fifo]] with address = A";
        let mut fifos: Vec<u16> = Vec::new();
        for (table, whole) in self.tables(value, "fifo", EXPECTED)? {
            let mut address = None;
            for (key, v) in table.iter() {
                match key.get_ref().as_ref() {
                    "address" => {
                        address =
                            Some((self.int(v, "address", None, 65535, "0..=65535")? as u16, v))
                    }
                    other => {
                        return Err(self.unknown_key(
                            key,
                            None,
                            "a [[fifo]] table",
                            other,
                            FIFO_KEYS,
                        ));
                    }
                }
            }
            let Some((address, at)) = address else {
                let kind = MapErrorKind::MissingKey {
                    key: "address",
                    hint: "a [[fifo]] needs the address of its count register: address = 100",
                };
                return Err(self.error(whole.span(), None, kind));
            };
            if holding.index_of(u32::from(address), 1).is_none() {
                let e = Error::OutOfRange {
                    what: "a FIFO's count register".into(),
                    area: Area::Holding,
                    address: u32::from(address),
                    count: 1,
                    start: holding.start,
                    size: holding.size,
                };
                return Err(self.memory_error(at.span(), None, e));
            }
            if fifos.contains(&address) {
                let problem =
                    format!("{address} is declared twice: give each FIFO its own address");
                return Err(self.bad_setting(at.span(), "[[fifo]]", "address", problem));
            }
            fifos.push(address);
        }
        Ok(fifos)
    }

    /// An integer key that must lie in `1..=max`.
    fn positive(
        &self,
        value: &Value<'_>,
        key: &'static str,
        max: u32,
        range: &'static str,
    ) -> Result<u32, MapError> {
        let n = self.int(value, key, None, max, range)?;
        if n == 0 {
            let kind = MapErrorKind::NumberOutOfRange {
                key,
                value: "0".into(),
                range,
            };
            return Err(self.error(value.span(), None, kind));
        }
        Ok(n)
    }
}
