//! `[identity]`: FC17's server id, run indicator and additional data, FC07's exception
//! status coils, and FC43's objects.

use toml::de::DeValue;

use super::{Parser, Value};
use crate::map::{Identity, MapError};
use crate::memory::{Area, AreaSpec};
use crate::types::{Error, MapErrorKind};

const SECTION: &str = "[identity]";
const IDENTITY_KEYS: &[&str] = &[
    "server_id",
    "run",
    "additional_data",
    "exception_status_coils",
    "vendor",
    "product_code",
    "revision",
    "vendor_url",
    "product_name",
    "model_name",
    "application_name",
];
/// Longest FC43 object: one alone fills a response.
const MAX_OBJECT_LEN: usize = 244;
/// Most bytes of FC17's answer: server id, run indicator and additional data.
const MAX_SERVER_ID_BYTES: usize = 251;

impl Parser<'_> {
    /// `[identity]`; `coils` is the map's coil area, for the exception status coils.
    pub(super) fn identity(
        &self,
        value: &Value<'_>,
        coils: AreaSpec,
    ) -> Result<Identity, MapError> {
        let table = self.table(value, "identity", "a table: [identity]", None)?;
        let mut id = Identity::default();
        let mut id_span = None;
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            match name {
                "server_id" => {
                    id.server_id = Some(self.server_id(value)?);
                    id_span = Some(value.span());
                }
                "run" => {
                    let DeValue::Boolean(run) = value.get_ref() else {
                        return Err(self.wrong_type(value, name, None, "true or false"));
                    };
                    id.run = Some(*run);
                }
                "additional_data" => {
                    id.additional_data = Some(self.str(value, name, None)?.to_string());
                    id_span = id_span.or(Some(value.span()));
                }
                "exception_status_coils" => {
                    let address =
                        self.int(value, "exception_status_coils", None, 65535, "0..=65535")? as u16;
                    if coils.index_of(u32::from(address), 8).is_none() {
                        let e = Error::OutOfRange {
                            what: "the eight exception status coils".into(),
                            area: Area::Coil,
                            address: u32::from(address),
                            count: 8,
                            start: coils.start,
                            size: coils.size,
                        };
                        return Err(self.memory_error(value.span(), None, e));
                    }
                    id.exception_status_coils = Some(address);
                }
                _ => {
                    let Some(slot) = object(&mut id, name) else {
                        return Err(self.unknown_key(key, None, SECTION, name, IDENTITY_KEYS));
                    };
                    let text = self.str(value, name, None)?;
                    if text.len() > MAX_OBJECT_LEN {
                        let problem = format!(
                            "is {} bytes: a device identification object holds at most \
                             {MAX_OBJECT_LEN} (what fits in one response); shorten it",
                            text.len()
                        );
                        return Err(self.bad_setting(value.span(), SECTION, name, problem));
                    }
                    *slot = Some(text.to_string());
                }
            }
        }
        let len = id.server_id().bytes(0).len();
        if let (true, Some(span)) = (len > MAX_SERVER_ID_BYTES, id_span) {
            let problem = format!(
                "makes the server id report (FC17) {len} bytes, over the {MAX_SERVER_ID_BYTES} \
                 one response holds: shorten server_id or additional_data"
            );
            return Err(self.bad_setting(span, SECTION, "additional_data", problem));
        }
        Ok(id)
    }

    /// `server_id = 10` or `server_id = [0, 42]`: bytes 0..=255, at least one.
    fn server_id(&self, value: &Value<'_>) -> Result<Vec<u8>, MapError> {
        const RANGE: &str = "0..=255";
        match value.get_ref() {
            DeValue::Integer(_) => Ok(vec![self.int(value, "server_id", None, 255, RANGE)? as u8]),
            DeValue::Array(items) if items.is_empty() => Err(self.bad_setting(
                value.span(),
                SECTION,
                "server_id",
                "is empty: give at least one byte, for example server_id = 10".into(),
            )),
            DeValue::Array(items) => items
                .iter()
                .map(|item| Ok(self.int(item, "server_id", None, 255, RANGE)? as u8))
                .collect(),
            _ => Err(self.wrong_type(
                value,
                "server_id",
                None,
                "an integer 0..=255 or an array of them",
            )),
        }
    }

    /// A problem with the value of a key of a section (`[identity]`, `[[file]]`, ...).
    pub(super) fn bad_setting(
        &self,
        span: std::ops::Range<usize>,
        section: &'static str,
        key: &str,
        problem: String,
    ) -> MapError {
        let kind = MapErrorKind::BadSetting {
            section,
            key: key.to_string(),
            problem,
        };
        self.error(span, None, kind)
    }
}

/// The field of an FC43 object key.
fn object<'a>(id: &'a mut Identity, key: &str) -> Option<&'a mut Option<String>> {
    Some(match key {
        "vendor" => &mut id.vendor,
        "product_code" => &mut id.product_code,
        "revision" => &mut id.revision,
        "vendor_url" => &mut id.vendor_url,
        "product_name" => &mut id.product_name,
        "model_name" => &mut id.model_name,
        "application_name" => &mut id.application_name,
        _ => return None,
    })
}
