//! What a map says about the device that serves it, beside its memory: `[identity]`
//! (FC17's server id, FC43's objects, FC07's exception status coils), `[[file]]` (files
//! of records, FC20/FC21) and `[[fifo]]` (FIFO queues, FC24).

use crate::memory::Area;
use crate::types::{DeviceIdentity, Error, MapErrorKind, ServerId};

/// `[identity]`: what a slave serving the map says about itself. Every key is optional;
/// what is left out keeps the slave's default.
///
/// ```
/// let map = msm::Map::from_toml_str(r#"
///     [memory]
///     coils = 8
///     [identity]
///     server_id = 10
///     additional_data = "pump 7"
///     exception_status_coils = 0
///     vendor = "ACME"
///     product_name = "Pump controller"
/// "#)?;
/// let id = map.identity().expect("[identity]");
/// assert_eq!(id.server_id, Some(vec![10]));
/// assert_eq!(id.server_id().bytes(1), b"\x0a\xffpump 7");
/// assert_eq!(id.device_identity().vendor, "ACME");
/// assert_eq!(id.device_identity().product_code, "msm"); // the default
/// # Ok::<(), msm::MapError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// `server_id`: FC17's server id, one byte (`server_id = 10`) or several
    /// (`server_id = [0, 42]`); left out, the unit id a request is addressed to.
    pub server_id: Option<Vec<u8>>,
    /// `run`: FC17's run indicator (default `true`: ON).
    pub run: Option<bool>,
    /// `additional_data`: what FC17 sends after the run indicator (default `msm VERSION`).
    pub additional_data: Option<String>,
    /// `exception_status_coils`: the first of the eight coils FC07 reports (without it,
    /// FC07 answers 0).
    pub exception_status_coils: Option<u16>,
    /// `vendor`: FC43 object 0x00.
    pub vendor: Option<String>,
    /// `product_code`: FC43 object 0x01.
    pub product_code: Option<String>,
    /// `revision`: FC43 object 0x02.
    pub revision: Option<String>,
    /// `vendor_url`: FC43 object 0x03.
    pub vendor_url: Option<String>,
    /// `product_name`: FC43 object 0x04.
    pub product_name: Option<String>,
    /// `model_name`: FC43 object 0x05.
    pub model_name: Option<String>,
    /// `application_name`: FC43 object 0x06 (UserApplicationName).
    pub application_name: Option<String>,
}

impl Identity {
    /// The FC43 objects: the ones given, the slave's defaults for the others.
    ///
    /// ```
    /// let mut id = msm::map::Identity::default();
    /// id.model_name = Some("MX-200".into());
    /// assert_eq!(id.device_identity().model_name, "MX-200");
    /// assert_eq!(id.device_identity().vendor, "msm");
    /// ```
    pub fn device_identity(&self) -> DeviceIdentity {
        let mut d = DeviceIdentity::default();
        let objects = [
            (&mut d.vendor, &self.vendor),
            (&mut d.product_code, &self.product_code),
            (&mut d.revision, &self.revision),
            (&mut d.vendor_url, &self.vendor_url),
            (&mut d.product_name, &self.product_name),
            (&mut d.model_name, &self.model_name),
            (&mut d.user_application_name, &self.application_name),
        ];
        for (field, given) in objects {
            if let Some(value) = given {
                field.clone_from(value);
            }
        }
        d
    }

    /// FC17's answer: the keys given, the defaults for the others.
    ///
    /// ```
    /// let mut id = msm::map::Identity::default();
    /// id.run = Some(false);
    /// assert_eq!(id.server_id().bytes(7)[..2], [7, 0x00]);
    /// ```
    pub fn server_id(&self) -> ServerId {
        let mut s = ServerId::default();
        if let Some(id) = &self.server_id {
            s.id = Some(id.clone());
        }
        if let Some(run) = self.run {
            s.run = run;
        }
        if let Some(data) = &self.additional_data {
            s.additional_data = data.as_bytes().to_vec();
        }
        s
    }
}

/// A `[[file]]` table: a file of `records` records numbered `number` (FC20/FC21).
///
/// ```
/// let map = msm::Map::from_toml_str("[memory]\n[[file]]\nnumber = 4\nrecords = 100\n")?;
/// assert_eq!(map.files(), [msm::map::FileDef { number: 4, records: 100 }]);
/// assert_eq!(map.build()?.memory().file(4)?.len(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileDef {
    /// The file's number, 1..=65535.
    pub number: u16,
    /// How many records it holds, 1..=10000.
    pub records: u16,
}

impl super::Map {
    /// What the parser checks of `[identity]`, `[[file]]` and `[[fifo]]` where each key
    /// stands, for a map built in code: the same rules, without positions.
    pub(super) fn check_device(&self) -> Result<(), MapErrorKind> {
        let bad = |section, key: &str, problem: String| MapErrorKind::BadSetting {
            section,
            key: key.to_string(),
            problem,
        };
        let [coils, _, _, holding] = self.areas;
        if let Some(id) = &self.identity {
            if id.server_id.as_ref().is_some_and(Vec::is_empty) {
                return Err(bad(
                    "[identity]",
                    "server_id",
                    "is empty: give at least one byte".into(),
                ));
            }
            let len = id.server_id().bytes(0).len();
            if len > 251 {
                let problem = format!("makes the server id report (FC17) {len} bytes, over 251");
                return Err(bad("[identity]", "additional_data", problem));
            }
            let d = id.device_identity();
            for (key, value) in [
                ("vendor", &d.vendor),
                ("product_code", &d.product_code),
                ("revision", &d.revision),
                ("vendor_url", &d.vendor_url),
                ("product_name", &d.product_name),
                ("model_name", &d.model_name),
                ("application_name", &d.user_application_name),
            ] {
                if value.len() > 244 {
                    let problem = format!("is {} bytes, over the 244 an object holds", value.len());
                    return Err(bad("[identity]", key, problem));
                }
            }
            if let Some(address) = id.exception_status_coils
                && coils.index_of(u32::from(address), 8).is_none()
            {
                return Err(MapErrorKind::Memory(Error::OutOfRange {
                    what: "the eight exception status coils".into(),
                    area: Area::Coil,
                    address: u32::from(address),
                    count: 8,
                    start: coils.start,
                    size: coils.size,
                }));
            }
        }
        for (i, f) in self.files.iter().enumerate() {
            let problem = if f.number == 0 {
                "0 is not a file number: files are 1..=65535"
            } else if f.records == 0 || f.records > 10_000 {
                "a file holds 1..=10000 records"
            } else if self.files[..i].iter().any(|g| g.number == f.number) {
                "is declared twice: give each file its own number"
            } else {
                continue;
            };
            return Err(bad(
                "[[file]]",
                "number",
                format!("{}: {problem}", f.number),
            ));
        }
        for (i, &address) in self.fifos.iter().enumerate() {
            if holding.index_of(u32::from(address), 1).is_none() {
                return Err(MapErrorKind::Memory(Error::OutOfRange {
                    what: "a FIFO's count register".into(),
                    area: Area::Holding,
                    address: u32::from(address),
                    count: 1,
                    start: holding.start,
                    size: holding.size,
                }));
            }
            if self.fifos[..i].contains(&address) {
                let problem = format!("{address} is declared twice");
                return Err(bad("[[fifo]]", "address", problem));
            }
        }
        Ok(())
    }
}
