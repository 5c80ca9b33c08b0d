//! FC17 Report Server ID: the response's data, and reading it.

use super::{MAX_PDU_LEN, ViewError};

/// Most data bytes an FC17 response carries (after the function code and byte count).
const MAX_SERVER_ID_DATA: usize = MAX_PDU_LEN - 2;

/// The data of an FC17 (Report Server ID) response: the server id, the run indicator
/// and additional data, all device-specific in length.
///
/// The wire carries one byte count for all three, so where the server id ends is the
/// device's convention: [`ServerIdReport::split`] takes the id's length (1 for most
/// devices, libmodbus's and msm's with an integer id among them).
///
/// ```
/// use msm_proto::{Response, ServerIdReport};
///
/// let pdu = [0x11, 0x05, 0x0A, 0xFF, b'm', b's', b'm'];
/// let Response::ReportServerId(report) = Response::decode(&pdu)? else { panic!("FC17") };
/// let parts = report.split(1).expect("at least 2 bytes");
/// assert_eq!(parts.server_id, [0x0A]);
/// assert_eq!(parts.running(), Some(true));
/// assert_eq!(parts.additional_data, b"msm");
///
/// let mut buf = [0u8; 8];
/// let report = ServerIdReport::new(&pdu[2..])?;
/// assert_eq!(Response::ReportServerId(report).encode(&mut buf)?, pdu.len());
/// assert_eq!(buf[..pdu.len()], pdu);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerIdReport<'a> {
    bytes: &'a [u8],
}

/// A [`ServerIdReport`] cut at the server id's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerIdParts<'a> {
    /// The server id.
    pub server_id: &'a [u8],
    /// The run indicator byte: 0xFF ON, 0x00 OFF.
    pub run_indicator: u8,
    /// What follows (often a text: a version, a name).
    pub additional_data: &'a [u8],
}

impl ServerIdParts<'_> {
    /// The run indicator read: `Some(true)` for 0xFF (ON), `Some(false)` for 0x00 (OFF),
    /// `None` for any other byte.
    ///
    /// ```
    /// # use msm_proto::ServerIdParts;
    /// let parts = ServerIdParts { server_id: &[1], run_indicator: 0x00, additional_data: &[] };
    /// assert_eq!(parts.running(), Some(false));
    /// ```
    pub const fn running(&self) -> Option<bool> {
        match self.run_indicator {
            0xFF => Some(true),
            0x00 => Some(false),
            _ => None,
        }
    }
}

impl<'a> ServerIdReport<'a> {
    /// The data of a response: 1..=251 bytes (the server id, the run indicator and any
    /// additional data, laid out by the caller).
    ///
    /// ```
    /// use msm_proto::{ServerIdReport, ViewError};
    ///
    /// assert!(ServerIdReport::new(&[0x01, 0xFF]).is_ok());
    /// assert!(matches!(ServerIdReport::new(&[]), Err(ViewError::Length { .. })));
    /// ```
    pub const fn new(bytes: &'a [u8]) -> Result<Self, ViewError> {
        if bytes.is_empty() || bytes.len() > MAX_SERVER_ID_DATA {
            return Err(ViewError::Length {
                len: bytes.len(),
                rule: "1..=251 bytes",
            });
        }
        Ok(Self { bytes })
    }

    /// The bytes after the byte count.
    ///
    /// ```
    /// # use msm_proto::ServerIdReport;
    /// assert_eq!(ServerIdReport::new(&[7, 0xFF])?.as_bytes(), [7, 0xFF]);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The report cut after a server id of `id_len` bytes: then the run indicator, then
    /// the additional data. `None` when there are not `id_len + 1` bytes.
    ///
    /// ```
    /// # use msm_proto::ServerIdReport;
    /// let report = ServerIdReport::new(&[0x00, 0x2A, 0xFF])?;
    /// assert_eq!(report.split(2).map(|p| p.server_id), Some(&[0x00, 0x2A][..]));
    /// assert_eq!(report.split(3), None);
    /// # Ok::<(), msm_proto::ViewError>(())
    /// ```
    pub fn split(&self, id_len: usize) -> Option<ServerIdParts<'a>> {
        let (server_id, rest) = self.bytes.split_at_checked(id_len)?;
        let (&run_indicator, additional_data) = rest.split_first()?;
        Some(ServerIdParts {
            server_id,
            run_indicator,
            additional_data,
        })
    }
}
