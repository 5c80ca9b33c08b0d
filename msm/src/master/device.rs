//! What a master's one-off requests answer, typed: a device's server id report (FC17),
//! identification objects (FC43/14), comm event counter and log (FC11, FC12), and the
//! record writes of FC21.

use super::status::{Fault, RequestFailure};
use crate::protocol::{
    CommEvent, ExceptionCode, FunctionCode, MAX_PDU_LEN, ReadDeviceIdCode, Request, Response,
};
use crate::types::Error;

/// What a device answered to Report Server ID (FC17).
///
/// The wire carries one byte count for the server id, the run indicator and the
/// additional data, so where the id ends is the device's convention. The fields read
/// the two layouts met in the field: the spec's with a one-byte server id followed by
/// the run indicator (libmodbus's, msm's with an integer id), and a text id with the run
/// indicator last and no additional data (pymodbus's); [`split`](Self::split) reads
/// another.
///
/// ```
/// use msm::master::ServerReport;
/// let report = ServerReport::from_bytes(vec![0x0A, 0xFF, b'm', b's', b'm']);
/// assert_eq!((report.server_id.as_slice(), report.running), (&[0x0A][..], Some(true)));
/// assert_eq!(report.additional_text(), "msm");
/// let two = report.split(2).expect("3 bytes at least");
/// assert_eq!((two.server_id.as_slice(), two.running), (&[0x0A, 0xFF][..], None)); // 'm' is no run indicator
/// // pymodbus: the id as text, the run indicator last.
/// let py = ServerReport::from_bytes(b"ACME-PUMP\xff".to_vec());
/// assert_eq!((py.server_id.as_slice(), py.running), (&b"ACME-PUMP"[..], Some(true)));
/// assert!(py.additional_data.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerReport {
    /// Every byte after the byte count, as sent.
    pub bytes: Vec<u8>,
    /// The server id (the first byte, unless [`split`](Self::split) says otherwise).
    pub server_id: Vec<u8>,
    /// The run indicator read: `Some(true)` for 0xFF (ON), `Some(false)` for 0x00 (OFF),
    /// `None` for another byte or none.
    pub running: Option<bool>,
    /// What follows the run indicator.
    pub additional_data: Vec<u8>,
}

impl ServerReport {
    /// The report of `bytes`: a one-byte server id and the run indicator after it; or,
    /// when the second byte is no run indicator but the last one is, every byte before
    /// that last one as the id.
    pub fn from_bytes(bytes: Vec<u8>) -> ServerReport {
        let is_run = |b: Option<&u8>| matches!(b, Some(0x00 | 0xFF));
        if bytes.len() > 2 && !is_run(bytes.get(1)) && is_run(bytes.last()) {
            return ServerReport::split_at(bytes.clone(), bytes.len() - 1);
        }
        ServerReport::split_at(bytes, 1)
    }

    /// The same report read with a server id of `id_len` bytes; `None` when there are
    /// not `id_len + 1` bytes.
    pub fn split(&self, id_len: usize) -> Option<ServerReport> {
        (self.bytes.len() > id_len).then(|| ServerReport::split_at(self.bytes.clone(), id_len))
    }

    fn split_at(bytes: Vec<u8>, id_len: usize) -> ServerReport {
        let id_len = id_len.min(bytes.len());
        let (id, rest) = bytes.split_at(id_len);
        let (running, additional) = match rest.split_first() {
            Some((0xFF, more)) => (Some(true), more),
            Some((0x00, more)) => (Some(false), more),
            Some((_, more)) => (None, more),
            None => (None, rest),
        };
        ServerReport {
            server_id: id.to_vec(),
            running,
            additional_data: additional.to_vec(),
            bytes,
        }
    }

    /// The additional data as text (bytes that are not UTF-8 shown as `�`).
    pub fn additional_text(&self) -> String {
        String::from_utf8_lossy(&self.additional_data).into_owned()
    }
}

/// A device's identification objects (FC43 / MEI 14), every one it reports.
///
/// ```
/// use msm::{Master, Memory, Slave};
/// use msm::slave::DeviceIdentity;
/// let id = DeviceIdentity { product_name: "Mixer".into(), ..DeviceIdentity::default() };
/// let slave = Slave::tcp("127.0.0.1:0").identity(id).serve(Memory::new(1))?;
/// let master = Master::tcp(slave.local_addr()).start(Memory::new(0))?;
/// let info = master.read_device_identification()?;
/// assert_eq!(info.vendor().as_deref(), Some("msm"));
/// assert_eq!(info.product_name().as_deref(), Some("Mixer"));
/// assert_eq!(info.conformity_level, 0x82); // regular objects, individual access
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// The conformity level the device reports (0x01..=0x03; 0x81..=0x83 with
    /// individual access).
    pub conformity_level: u8,
    /// The objects, `(id, value)`, in the order they came.
    pub objects: Vec<(u8, Vec<u8>)>,
}

impl DeviceInfo {
    /// Object `id` as text, if the device reports it.
    pub fn object(&self, id: u8) -> Option<String> {
        self.objects
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    /// Object 0x00, VendorName.
    pub fn vendor(&self) -> Option<String> {
        self.object(0x00)
    }

    /// Object 0x01, ProductCode.
    pub fn product_code(&self) -> Option<String> {
        self.object(0x01)
    }

    /// Object 0x02, MajorMinorRevision.
    pub fn revision(&self) -> Option<String> {
        self.object(0x02)
    }

    /// Object 0x03, VendorUrl.
    pub fn vendor_url(&self) -> Option<String> {
        self.object(0x03)
    }

    /// Object 0x04, ProductName.
    pub fn product_name(&self) -> Option<String> {
        self.object(0x04)
    }

    /// Object 0x05, ModelName.
    pub fn model_name(&self) -> Option<String> {
        self.object(0x05)
    }

    /// Object 0x06, UserApplicationName.
    pub fn user_application_name(&self) -> Option<String> {
        self.object(0x06)
    }
}

/// How many requests reading a device's objects takes at most: one per object id, and
/// each answer must bring at least one new object.
const MAX_ID_ROUNDS: usize = 256;

/// Reads every object, following "more follows" from request to request.
pub(crate) struct DeviceIdReader {
    info: DeviceInfo,
    next: Option<u8>,
    rounds: usize,
    /// The category asked: extended first, lower when the device refuses it.
    category: ReadDeviceIdCode,
}

impl DeviceIdReader {
    pub(crate) fn new() -> DeviceIdReader {
        DeviceIdReader {
            info: DeviceInfo::default(),
            next: Some(0),
            rounds: 0,
            category: ReadDeviceIdCode::Extended,
        }
    }

    /// The next request's PDU, `None` when every object has come. The extended
    /// category first: a device answers with the objects of its own level (or refuses
    /// it, see [`refused`](Self::refused)).
    pub(crate) fn next_request(&self) -> Option<Vec<u8>> {
        let object_id = self.next?;
        let request = Request::ReadDeviceIdentification {
            read_code: self.category,
            object_id,
        };
        encode(&request).ok()
    }

    /// The request failed with `error`: before any object came, a device that refuses
    /// the category asked (exception 02 or 03, as a basic-only device may) is asked the
    /// next lower one; any other failure is the reading's.
    pub(crate) fn refused(&mut self, error: Error) -> Result<(), Error> {
        let category_refused = matches!(&error, Error::Request(f)
            if matches!(f.exception(), Some(ExceptionCode::IllegalDataAddress | ExceptionCode::IllegalDataValue)));
        let lower = match self.category {
            ReadDeviceIdCode::Extended => Some(ReadDeviceIdCode::Regular),
            ReadDeviceIdCode::Regular => Some(ReadDeviceIdCode::Basic),
            _ => None,
        };
        match lower {
            Some(lower) if category_refused && self.rounds == 0 => {
                self.category = lower;
                Ok(())
            }
            _ => Err(error),
        }
    }

    /// One answer's objects; an answer that says more follow but brings nothing new
    /// (the same next object again, or none) ends the reading with what came.
    pub(crate) fn take(&mut self, unit: u8, pdu: &[u8]) -> Result<(), Error> {
        let Ok(Response::ReadDeviceIdentification(id)) = Response::decode(pdu) else {
            return Err(malformed(unit, 0x2B, "not a device identification answer"));
        };
        self.info.conformity_level = id.conformity_level;
        let before = self.info.objects.len();
        self.info
            .objects
            .extend(id.objects.iter().map(|(i, v)| (i, v.to_vec())));
        self.rounds += 1;
        let progressed = self.info.objects.len() > before && Some(id.next_object_id) != self.next;
        self.next = (id.more_follows && progressed && self.rounds < MAX_ID_ROUNDS)
            .then_some(id.next_object_id);
        Ok(())
    }

    pub(crate) fn finish(self) -> DeviceInfo {
        self.info
    }
}

/// A one-off request's answer that does not read as its function's.
pub(crate) fn malformed(unit: u8, function: u8, why: &str) -> Error {
    Error::Request(RequestFailure::new(
        unit,
        FunctionCode::from_u8(function),
        Fault::BadResponse(why.to_string()),
    ))
}

/// A request's PDU, as bytes to queue.
pub(crate) fn encode(request: &Request<'_>) -> Result<Vec<u8>, Error> {
    let mut buf = [0u8; MAX_PDU_LEN];
    let len = request
        .encode(&mut buf)
        .map_err(|e| Error::Config(format!("cannot encode the request: {e}")))?;
    Ok(buf[..len].to_vec())
}

/// What a device answered to Get Comm Event Counter (FC11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventCounter {
    /// The status word: 0xFFFF while a previous command is still processed, else 0.
    pub status: u16,
    /// The comm event counter.
    pub event_count: u16,
}

impl EventCounter {
    /// True while the device is busy with a previous command.
    pub fn busy(&self) -> bool {
        self.status == crate::protocol::COMM_STATUS_BUSY
    }
}

/// What a device answered to Get Comm Event Log (FC12).
///
/// ```
/// use msm::master::EventLog;
/// use msm::protocol::CommEvent;
/// let log = EventLog { status: 0, event_count: 1, message_count: 2, events: vec![0x40, 0x80] };
/// assert!(matches!(log.decoded()[..], [CommEvent::Sent(_), CommEvent::Received(_)]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLog {
    /// The status word: 0xFFFF while busy, else 0.
    pub status: u16,
    /// The comm event counter.
    pub event_count: u16,
    /// The bus message count.
    pub message_count: u16,
    /// The event bytes, newest first (at most 64).
    pub events: Vec<u8>,
}

impl EventLog {
    /// The events, read as the spec encodes them.
    pub fn decoded(&self) -> Vec<CommEvent> {
        self.events
            .iter()
            .map(|b| CommEvent::from_byte(*b))
            .collect()
    }
}

/// Records of a file to write (one sub-request of FC21).
///
/// ```
/// use msm::master::RecordWrite;
/// let w = RecordWrite::new(4, 7, vec![0x06AF, 0x04BE]);
/// assert_eq!((w.file, w.record, w.values.len()), (4, 7, 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordWrite {
    /// The file, 1..=65535.
    pub file: u16,
    /// The first record, 0..=9999.
    pub record: u16,
    /// The values, one per record.
    pub values: Vec<u16>,
}

impl RecordWrite {
    /// `values` for the records of `file` from `record`.
    pub fn new(file: u16, record: u16, values: Vec<u16>) -> RecordWrite {
        RecordWrite {
            file,
            record,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: ExceptionCode) -> Error {
        let fault = Fault::Exception { code };
        Error::Request(RequestFailure::new(1, FunctionCode::from_u8(0x2B), fault))
    }

    fn read_code(reader: &DeviceIdReader) -> Option<u8> {
        reader.next_request().map(|pdu| pdu[2])
    }

    #[test]
    fn a_refused_category_is_asked_lower_until_basic() {
        let mut r = DeviceIdReader::new();
        assert_eq!(read_code(&r), Some(3));
        r.refused(refusal(ExceptionCode::IllegalDataValue))
            .expect("regular next");
        assert_eq!(read_code(&r), Some(2));
        r.refused(refusal(ExceptionCode::IllegalDataAddress))
            .expect("basic next");
        assert_eq!(read_code(&r), Some(1));
        assert!(r.refused(refusal(ExceptionCode::IllegalDataValue)).is_err());
    }

    #[test]
    fn other_failures_and_failures_after_objects_end_the_reading() {
        let mut r = DeviceIdReader::new();
        assert!(r.refused(refusal(ExceptionCode::IllegalFunction)).is_err());
        let mut r = DeviceIdReader::new();
        // One object, more to follow from object 1.
        let answer = [0x2B, 0x0E, 3, 0x83, 0xFF, 1, 1, 0, 1, b'm'];
        r.take(1, &answer).expect("an answer");
        assert_eq!(read_code(&r), Some(3));
        assert!(r.refused(refusal(ExceptionCode::IllegalDataValue)).is_err());
    }
}
