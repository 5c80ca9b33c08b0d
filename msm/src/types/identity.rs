//! What a device says about itself: the objects of Read Device Identification (FC43/14)
//! and the answer to Report Server ID (FC17). Plain settings, shared by the slave, which
//! answers with them, and maps, whose `[identity]` sets them.

use super::Error;

/// What the slave reports to Read Device Identification (FC43 / MEI 14).
///
/// The basic objects (vendor, product code, revision) are always sent; the regular ones
/// (vendor URL, product name, model name, user application name) when not empty;
/// `extended` holds private objects 0x80..=0xFF. Each value is at most 244 bytes (what
/// fits in one response).
///
/// ```
/// use msm::slave::DeviceIdentity;
/// use msm::{Memory, Slave};
/// let id = DeviceIdentity {
///     vendor: "ACME".into(),
///     product_code: "PUMP-7".into(),
///     revision: "2.1".into(),
///     product_name: "Pump controller".into(),
///     extended: vec![(0x80, b"serial 0042".to_vec())],
///     ..DeviceIdentity::default()
/// };
/// assert_eq!(DeviceIdentity::default().vendor, "msm");
/// assert!(Slave::tcp("127.0.0.1:0").identity(id).serve(Memory::new(1)).is_ok());
/// // Private objects are 0x80..=0xFF; the others are the named fields.
/// let bad = DeviceIdentity { extended: vec![(0x05, b"x".to_vec())], ..DeviceIdentity::default() };
/// assert!(Slave::tcp("127.0.0.1:0").identity(bad).serve(Memory::new(1)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// Object 0x00, VendorName (default `msm`).
    pub vendor: String,
    /// Object 0x01, ProductCode (default `msm`).
    pub product_code: String,
    /// Object 0x02, MajorMinorRevision (default: this crate's version).
    pub revision: String,
    /// Object 0x03, VendorUrl (not sent when empty).
    pub vendor_url: String,
    /// Object 0x04, ProductName (not sent when empty).
    pub product_name: String,
    /// Object 0x05, ModelName (not sent when empty).
    pub model_name: String,
    /// Object 0x06, UserApplicationName (not sent when empty).
    pub user_application_name: String,
    /// Private objects, ids 0x80..=0xFF.
    pub extended: Vec<(u8, Vec<u8>)>,
}

impl Default for DeviceIdentity {
    fn default() -> Self {
        DeviceIdentity {
            vendor: "msm".into(),
            product_code: "msm".into(),
            revision: env!("CARGO_PKG_VERSION").into(),
            vendor_url: String::new(),
            product_name: String::new(),
            model_name: String::new(),
            user_application_name: String::new(),
            extended: Vec::new(),
        }
    }
}

/// What the slave answers to Report Server ID (FC17): the server id, the run indicator
/// and additional data, sent one after another.
///
/// ```
/// use msm::slave::ServerId;
/// use msm::{Memory, Slave};
/// let id = ServerId { id: Some(vec![0x2A]), run: true, additional_data: b"pump 7".to_vec() };
/// assert_eq!(id.bytes(1), [0x2A, 0xFF, b'p', b'u', b'm', b'p', b' ', b'7']);
/// assert_eq!(ServerId::default().bytes(5)[..2], [5, 0xFF]); // the unit id, running
/// assert!(ServerId::default().additional_data.starts_with(b"msm "));
/// assert!(Slave::tcp("127.0.0.1:0").server_id(id).serve(Memory::new(1)).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerId {
    /// The server id; `None`: one byte, the unit id the request was addressed to.
    pub id: Option<Vec<u8>>,
    /// The run indicator: `true` sends 0xFF (ON), `false` 0x00 (OFF).
    pub run: bool,
    /// What follows (default `msm VERSION`).
    pub additional_data: Vec<u8>,
}

impl Default for ServerId {
    fn default() -> Self {
        ServerId {
            id: None,
            run: true,
            additional_data: concat!("msm ", env!("CARGO_PKG_VERSION"))
                .as_bytes()
                .to_vec(),
        }
    }
}

/// Most bytes an FC17 response carries after its byte count.
const MAX_SERVER_ID_BYTES: usize = 251;

impl ServerId {
    /// The bytes of the answer to a request addressed to `unit`: the server id, the run
    /// indicator, the additional data.
    pub fn bytes(&self, unit: u8) -> Vec<u8> {
        let mut bytes = self.id.clone().unwrap_or_else(|| vec![unit]);
        bytes.push(if self.run { 0xFF } else { 0x00 });
        bytes.extend_from_slice(&self.additional_data);
        bytes
    }

    /// Checks that the answer fits one response (at most 251 bytes).
    pub(crate) fn check(&self) -> Result<(), Error> {
        let len = self.bytes(0).len();
        if len > MAX_SERVER_ID_BYTES {
            return Err(Error::Config(format!(
                "the server id report (FC17) would be {len} bytes, over the \
                 {MAX_SERVER_ID_BYTES} that fit in one response: shorten the server id or the \
                 additional data"
            )));
        }
        Ok(())
    }
}
