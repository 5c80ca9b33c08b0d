//! FC20 Read File Record and FC21 Write File Record: sub-requests and sub-responses as
//! views over the wire bytes, checked against every limit of the spec, and writers.
//!
//! A file is numbered 1..=0xFFFF and holds records (16-bit words) numbered
//! 0..=0x270F. A request carries several sub-requests, each with the reference type 6,
//! a file, a first record and a record length. Byte counts of FC20 requests are
//! 0x07..=0xF5 and those of FC21 0x09..=0xFB (the spec's tables; the smallest write
//! sub-request is 9 bytes, and 0xFB is what a 253-byte PDU holds), and a read's
//! response must fit in 253 bytes.
//!
//! Check order, as everywhere in msm: what makes the request malformed (byte counts,
//! record lengths of 0, sub-requests that run past the byte count, a response over 253
//! bytes) is 03, Illegal Data Value; then what names a place that cannot exist
//! (reference type other than 6, file 0, record number over 0x270F or past it with the
//! length) is 02, Illegal Data Address, as the spec's state diagrams say.

use super::wire::Writer;
use super::{
    EncodeError, FILE_REFERENCE_TYPE, MAX_FILE_RECORD_NUMBER, MAX_FILE_RECORDS, MAX_PDU_LEN,
    Registers, RequestError, ResponseError,
};

/// Bytes of one sub-request header: reference type, file, record, length.
const SUB_REQUEST_LEN: usize = 7;
/// FC20 request byte counts.
const READ_BYTE_COUNTS: (usize, usize) = (0x07, 0xF5);
/// FC21 request (and response) byte counts.
const WRITE_BYTE_COUNTS: (usize, usize) = (0x09, 0xFB);

/// One sub-request of an FC20 (Read File Record) request: `length` records from
/// `record` of file `file`.
///
/// ```
/// use msm_proto::{FileRead, FileReads};
///
/// let mut buf = [0u8; 14];
/// let reads = FileReads::write(&mut buf, &[FileRead { file: 4, record: 1, length: 2 }])?;
/// assert_eq!(reads.iter().next(), Some(FileRead { file: 4, record: 1, length: 2 }));
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileRead {
    /// The file number, 1..=0xFFFF.
    pub file: u16,
    /// The first record, 0..=0x270F.
    pub record: u16,
    /// How many records (registers), at least 1.
    pub length: u16,
}

/// One sub-request of an FC21 (Write File Record) request, or of its echo: `values`
/// written from `record` of file `file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileWrite<'a> {
    /// The file number, 1..=0xFFFF.
    pub file: u16,
    /// The first record, 0..=0x270F.
    pub record: u16,
    /// The records' values, as wire bytes (one register per record).
    pub values: Registers<'a>,
}

/// The sub-requests of an FC20 (Read File Record) request: a checked view over their
/// wire bytes (those after the byte count).
///
/// ```
/// use msm_proto::{FileRead, Request};
///
/// // The spec's example: records 1..=2 of file 4 and 9..=10 of file 3.
/// let pdu = [0x14, 0x0E, 6, 0, 4, 0, 1, 0, 2, 6, 0, 3, 0, 9, 0, 2];
/// let Request::ReadFileRecord(reads) = Request::decode(&pdu)? else { panic!("FC20") };
/// let all: Vec<FileRead> = reads.iter().collect();
/// assert_eq!(all, [FileRead { file: 4, record: 1, length: 2 }, FileRead { file: 3, record: 9, length: 2 }]);
/// assert_eq!(reads.response_len(), 12 + 2);
/// # Ok::<(), msm_proto::RequestError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileReads<'a> {
    bytes: &'a [u8],
}

impl<'a> FileReads<'a> {
    /// The sub-requests in `bytes` (after the byte count), checked as
    /// [`Request::decode`](crate::Request::decode) checks them (see the [module's
    /// rules](self)).
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, FileReads};
    ///
    /// assert!(FileReads::new(&[6, 0, 1, 0, 0, 0, 1]).is_ok());
    /// let file_zero = FileReads::new(&[6, 0, 0, 0, 0, 0, 1]).unwrap_err();
    /// assert_eq!(file_zero.exception(), Some(ExceptionCode::IllegalDataAddress));
    /// ```
    pub fn new(bytes: &'a [u8]) -> Result<Self, RequestError> {
        check_reads(bytes).map_err(|fault| fault.request_error(0x14))?;
        Ok(Self { bytes })
    }

    /// Writes the sub-requests `reads` into `buf` and returns the view over them (for
    /// [`Request::ReadFileRecord`](crate::Request::ReadFileRecord)). Refused as a
    /// server would refuse them: no sub-request, too many, a record past 0x270F...
    ///
    /// ```
    /// use msm_proto::{EncodeError, FileRead, FileReads, Request};
    ///
    /// let mut buf = [0u8; 245];
    /// let reads = FileReads::write(&mut buf, &[FileRead { file: 1, record: 0, length: 3 }])?;
    /// let mut pdu = [0u8; 253];
    /// let len = Request::ReadFileRecord(reads).encode(&mut pdu)?;
    /// assert_eq!(&pdu[..len], [0x14, 7, 6, 0, 1, 0, 0, 0, 3]);
    ///
    /// let mut buf = [0u8; 245];
    /// let past = FileReads::write(&mut buf, &[FileRead { file: 1, record: 9999, length: 2 }]);
    /// assert!(matches!(past, Err(EncodeError::InvalidRequest { .. })));
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn write<'b>(buf: &'b mut [u8], reads: &[FileRead]) -> Result<FileReads<'b>, EncodeError> {
        let len = reads.len().saturating_mul(SUB_REQUEST_LEN);
        let mut w = Writer::new(buf, len)?;
        for read in reads {
            w.u8(FILE_REFERENCE_TYPE)?;
            w.u16(read.file)?;
            w.u16(read.record)?;
            w.u16(read.length)?;
        }
        let written = w.finish();
        let bytes: &'b [u8] = buf.get(..written).unwrap_or_default();
        check_reads(bytes).map_err(|fault| EncodeError::InvalidRequest {
            error: fault.request_error(0x14),
        })?;
        Ok(FileReads { bytes })
    }

    /// Number of sub-requests.
    ///
    /// ```
    /// # use msm_proto::FileReads;
    /// assert_eq!(FileReads::new(&[6, 0, 1, 0, 0, 0, 1])?.len(), 1);
    /// # Ok::<(), msm_proto::RequestError>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.bytes.len() / SUB_REQUEST_LEN
    }

    /// Whether there is no sub-request (never, for a checked view).
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The wire bytes (after the byte count).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The sub-requests in order.
    pub fn iter(&self) -> FileReadIter<'a> {
        FileReadIter { rest: self.bytes }
    }

    /// Length of the response PDU these sub-requests call for (at most 253).
    pub fn response_len(&self) -> usize {
        read_response_len(self.bytes)
    }
}

impl<'a> IntoIterator for FileReads<'a> {
    type Item = FileRead;
    type IntoIter = FileReadIter<'a>;
    fn into_iter(self) -> FileReadIter<'a> {
        self.iter()
    }
}

/// Iterator over [`FileReads`].
#[derive(Clone, Debug)]
pub struct FileReadIter<'a> {
    rest: &'a [u8],
}

impl Iterator for FileReadIter<'_> {
    type Item = FileRead;
    fn next(&mut self) -> Option<FileRead> {
        let (head, rest) = self.rest.split_first_chunk::<SUB_REQUEST_LEN>()?;
        self.rest = rest;
        let [_, f0, f1, r0, r1, l0, l1] = *head;
        Some(FileRead {
            file: u16::from_be_bytes([f0, f1]),
            record: u16::from_be_bytes([r0, r1]),
            length: u16::from_be_bytes([l0, l1]),
        })
    }
}

/// The sub-requests of an FC21 (Write File Record) request, or of its echo: a checked
/// view over their wire bytes (those after the byte count).
///
/// ```
/// use msm_proto::{FileWrites, Request};
///
/// // The spec's example: records 7..=9 of file 4.
/// let pdu = [0x15, 0x0D, 6, 0, 4, 0, 7, 0, 3, 0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D];
/// let Request::WriteFileRecord(writes) = Request::decode(&pdu)? else { panic!("FC21") };
/// let first = writes.iter().next().expect("one sub-request");
/// assert_eq!((first.file, first.record), (4, 7));
/// assert_eq!(first.values.iter().collect::<Vec<_>>(), [0x06AF, 0x04BE, 0x100D]);
/// # Ok::<(), msm_proto::RequestError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileWrites<'a> {
    bytes: &'a [u8],
}

impl<'a> FileWrites<'a> {
    /// The sub-requests in `bytes` (after the byte count), checked as
    /// [`Request::decode`](crate::Request::decode) checks them.
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, FileWrites};
    ///
    /// assert!(FileWrites::new(&[6, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD]).is_ok());
    /// // The record length says 2, but only one record's bytes follow.
    /// let short = FileWrites::new(&[6, 0, 1, 0, 0, 0, 2, 0xAB, 0xCD]).unwrap_err();
    /// assert_eq!(short.exception(), Some(ExceptionCode::IllegalDataValue));
    /// ```
    pub fn new(bytes: &'a [u8]) -> Result<Self, RequestError> {
        check_writes(bytes).map_err(|fault| fault.request_error(0x15))?;
        Ok(Self { bytes })
    }

    /// Writes the sub-requests `writes` into `buf` and returns the view over them (for
    /// [`Request::WriteFileRecord`](crate::Request::WriteFileRecord)), refused as a
    /// server would refuse them.
    ///
    /// ```
    /// use msm_proto::{FileWrite, FileWrites, Registers};
    ///
    /// let mut buf = [0u8; 251];
    /// let values = Registers::new(&[0x12, 0x34])?;
    /// let writes = FileWrites::write(&mut buf, &[FileWrite { file: 2, record: 5, values }])?;
    /// assert_eq!(writes.as_bytes(), [6, 0, 2, 0, 5, 0, 1, 0x12, 0x34]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write<'b>(
        buf: &'b mut [u8],
        writes: &[FileWrite<'_>],
    ) -> Result<FileWrites<'b>, EncodeError> {
        let len = writes
            .iter()
            .map(|w| w.values.as_bytes().len().saturating_add(SUB_REQUEST_LEN))
            .fold(0, usize::saturating_add);
        let mut w = Writer::new(buf, len)?;
        for write in writes {
            w.u8(FILE_REFERENCE_TYPE)?;
            w.u16(write.file)?;
            w.u16(write.record)?;
            w.u16(u16::try_from(write.values.len()).unwrap_or(u16::MAX))?;
            w.bytes(write.values.as_bytes())?;
        }
        let written = w.finish();
        let bytes: &'b [u8] = buf.get(..written).unwrap_or_default();
        check_writes(bytes).map_err(|fault| EncodeError::InvalidRequest {
            error: fault.request_error(0x15),
        })?;
        Ok(FileWrites { bytes })
    }

    /// Number of sub-requests.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no sub-request (never, for a checked view).
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The wire bytes (after the byte count).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The sub-requests in order.
    pub fn iter(&self) -> FileWriteIter<'a> {
        FileWriteIter { rest: self.bytes }
    }
}

impl<'a> IntoIterator for FileWrites<'a> {
    type Item = FileWrite<'a>;
    type IntoIter = FileWriteIter<'a>;
    fn into_iter(self) -> FileWriteIter<'a> {
        self.iter()
    }
}

/// Iterator over [`FileWrites`].
#[derive(Clone, Debug)]
pub struct FileWriteIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for FileWriteIter<'a> {
    type Item = FileWrite<'a>;
    fn next(&mut self) -> Option<FileWrite<'a>> {
        let (head, rest) = self.rest.split_first_chunk::<SUB_REQUEST_LEN>()?;
        let [_, f0, f1, r0, r1, l0, l1] = *head;
        let data_len = usize::from(u16::from_be_bytes([l0, l1])).saturating_mul(2);
        let (data, rest) = rest.split_at_checked(data_len)?;
        self.rest = rest;
        Some(FileWrite {
            file: u16::from_be_bytes([f0, f1]),
            record: u16::from_be_bytes([r0, r1]),
            values: Registers::new(data).ok()?,
        })
    }
}

/// The sub-responses of an FC20 (Read File Record) response: the records read, one
/// group per sub-request (a checked view over the bytes after the byte count).
///
/// ```
/// use msm_proto::Response;
///
/// // The spec's example response.
/// let pdu = [0x14, 0x0C, 0x05, 0x06, 0x0D, 0xFE, 0x00, 0x20, 0x05, 0x06, 0x33, 0xCD, 0x00, 0x40];
/// let Response::ReadFileRecord(records) = Response::decode(&pdu)? else { panic!("FC20") };
/// let groups: Vec<Vec<u16>> = records.iter().map(|r| r.iter().collect()).collect();
/// assert_eq!(groups, [[0x0DFE, 0x0020], [0x33CD, 0x0040]]);
/// # Ok::<(), msm_proto::ResponseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRecords<'a> {
    bytes: &'a [u8],
}

impl<'a> FileRecords<'a> {
    /// The sub-responses in `bytes` (after the byte count): each a length (1 + twice its
    /// records, at least one record), the reference type 6 and the records; at least one,
    /// filling `bytes` exactly, at most 251 bytes.
    ///
    /// ```
    /// use msm_proto::FileRecords;
    ///
    /// assert_eq!(FileRecords::new(&[3, 6, 0x12, 0x34])?.len(), 1);
    /// assert!(FileRecords::new(&[3, 7, 0x12, 0x34]).is_err()); // reference type 7
    /// # Ok::<(), msm_proto::ResponseError>(())
    /// ```
    pub fn new(bytes: &'a [u8]) -> Result<Self, ResponseError> {
        let fault = |offset, rule| ResponseError::FileRecord {
            function: 0x14,
            offset: offset + 2,
            rule,
        };
        if bytes.is_empty() || bytes.len() > MAX_PDU_LEN - 2 {
            return Err(fault(0, "the byte count must be 1..=251"));
        }
        let mut offset = 0;
        let mut rest = bytes;
        while let Some((&[len, reference], after)) = rest.split_first_chunk::<2>() {
            if len < 3 || len.is_multiple_of(2) {
                return Err(fault(
                    offset,
                    "a sub-response's length must be 1 + 2 per record",
                ));
            }
            if reference != FILE_REFERENCE_TYPE {
                return Err(fault(offset + 1, "the reference type must be 6"));
            }
            let Some((_, tail)) = after.split_at_checked(usize::from(len) - 1) else {
                return Err(fault(offset, "a sub-response runs past the byte count"));
            };
            offset += 1 + usize::from(len);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(fault(offset, "a sub-response runs past the byte count"));
        }
        Ok(Self { bytes })
    }

    /// Writes a response's sub-responses from groups of records into `buf` (a client
    /// would not; a test or a simulator may) and returns the view over them.
    ///
    /// ```
    /// use msm_proto::{FileRecords, Registers};
    ///
    /// let mut buf = [0u8; 251];
    /// let records = FileRecords::write(&mut buf, &[Registers::new(&[0, 1])?])?;
    /// assert_eq!(records.as_bytes(), [3, 6, 0, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write<'b>(
        buf: &'b mut [u8],
        groups: &[Registers<'_>],
    ) -> Result<FileRecords<'b>, EncodeError> {
        let len = groups
            .iter()
            .map(|g| g.as_bytes().len().saturating_add(2))
            .fold(0, usize::saturating_add);
        let mut w = Writer::new(buf, len)?;
        for group in groups {
            let bytes = group.as_bytes();
            let sub_len = u8::try_from(bytes.len().saturating_add(1)).map_err(|_| {
                EncodeError::PduTooLong {
                    function: 0x14,
                    len: len.saturating_add(2),
                }
            })?;
            w.u8(sub_len)?;
            w.u8(FILE_REFERENCE_TYPE)?;
            w.bytes(bytes)?;
        }
        let written = w.finish();
        let bytes: &'b [u8] = buf.get(..written).unwrap_or_default();
        FileRecords::new(bytes).map_err(|_| EncodeError::PduTooLong {
            function: 0x14,
            len: written.saturating_add(2),
        })
    }

    /// Number of sub-responses.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no sub-response (never, for a checked view).
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The wire bytes (after the byte count).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The records of each sub-response, in order.
    pub fn iter(&self) -> FileRecordIter<'a> {
        FileRecordIter { rest: self.bytes }
    }
}

impl<'a> IntoIterator for FileRecords<'a> {
    type Item = Registers<'a>;
    type IntoIter = FileRecordIter<'a>;
    fn into_iter(self) -> FileRecordIter<'a> {
        self.iter()
    }
}

/// Iterator over [`FileRecords`].
#[derive(Clone, Debug)]
pub struct FileRecordIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for FileRecordIter<'a> {
    type Item = Registers<'a>;
    fn next(&mut self) -> Option<Registers<'a>> {
        let (&[len, _], after) = self.rest.split_first_chunk::<2>()?;
        let (data, rest) = after.split_at_checked(usize::from(len).saturating_sub(1))?;
        self.rest = rest;
        Registers::new(data).ok()
    }
}

/// Writes an FC20 response into `buf` for `reads`, the records of each sub-request
/// filled by `fill` straight into the response (big-endian, `2 * length` bytes), and
/// returns the PDU's length. What `fill` fails with is returned as is: a server checks
/// each sub-request there and answers the exception.
///
/// ```
/// use msm_proto::{EncodeError, FileReads, Response, encode_file_records};
///
/// let reads = FileReads::new(&[6, 0, 4, 0, 1, 0, 2])?;
/// let mut buf = [0u8; 253];
/// let len = encode_file_records(&mut buf, reads, |read, dest| {
///     for (i, word) in dest.chunks_exact_mut(2).enumerate() {
///         word.copy_from_slice(&(read.record + i as u16).to_be_bytes());
///     }
///     Ok::<(), EncodeError>(())
/// })?;
/// assert_eq!(&buf[..len], [0x14, 6, 5, 6, 0, 1, 0, 2]);
/// assert!(matches!(Response::decode(&buf[..len]), Ok(Response::ReadFileRecord(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_file_records<E: From<EncodeError>>(
    buf: &mut [u8],
    reads: FileReads<'_>,
    mut fill: impl FnMut(FileRead, &mut [u8]) -> Result<(), E>,
) -> Result<usize, E> {
    let len = reads.response_len();
    let byte_count = u8::try_from(len.saturating_sub(2)).map_err(|_| EncodeError::PduTooLong {
        function: 0x14,
        len,
    })?;
    let mut w = Writer::new(buf, len)?;
    w.u8(0x14)?;
    w.u8(byte_count)?;
    for read in reads.iter() {
        let data_len = usize::from(read.length) * 2;
        // At most 125 records: checked with the response's length.
        w.u8(u8::try_from(data_len + 1).unwrap_or(u8::MAX))?;
        w.u8(FILE_REFERENCE_TYPE)?;
        fill(read, w.take(data_len)?)?;
    }
    Ok(w.finish())
}

/// Length of the FC20 response PDU the sub-requests in `bytes` call for.
fn read_response_len(bytes: &[u8]) -> usize {
    FileReadIter { rest: bytes }
        .map(|r| 2 + usize::from(r.length) * 2)
        .fold(2, usize::saturating_add)
}

/// Why a list of file record sub-requests is refused, before it is put in a request's
/// or a response's terms.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The byte count (the bytes' length) is outside the function's range.
    ByteCount {
        byte_count: usize,
        rule: &'static str,
    },
    /// A sub-request is malformed (03).
    SubRequest {
        index: usize,
        offset: usize,
        problem: &'static str,
    },
    /// The response would be longer than a PDU (03).
    ResponseTooLong { len: usize },
    /// A sub-request names a place that cannot exist (02).
    Reference {
        index: usize,
        offset: usize,
        field: &'static str,
        value: u32,
    },
}

impl Fault {
    /// `offset`s count from the first sub-request: PDU offsets are 2 more.
    fn request_error(self, function: u8) -> RequestError {
        match self {
            Fault::ByteCount { byte_count, rule } => RequestError::FileByteCount {
                function,
                byte_count: u8::try_from(byte_count).unwrap_or(u8::MAX),
                rule,
            },
            Fault::SubRequest {
                index,
                offset,
                problem,
            } => RequestError::FileSubRequest {
                function,
                index,
                offset: offset + 2,
                problem,
            },
            Fault::ResponseTooLong { len } => RequestError::ResponseTooLong { function, len },
            Fault::Reference {
                index,
                offset,
                field,
                value,
            } => RequestError::FileReference {
                function,
                index,
                offset: offset + 2,
                field,
                value,
            },
        }
    }
}

fn check_byte_count(
    len: usize,
    (min, max): (usize, usize),
    rule: &'static str,
) -> Result<(), Fault> {
    if len < min || len > max {
        return Err(Fault::ByteCount {
            byte_count: len,
            rule,
        });
    }
    Ok(())
}

/// The place one sub-request names: reference type 6, a file 1..=0xFFFF, records that
/// exist (02 otherwise).
fn check_reference(index: usize, offset: usize, read: [u8; SUB_REQUEST_LEN]) -> Result<(), Fault> {
    let [reference, f0, f1, r0, r1, l0, l1] = read;
    let fault = |at: usize, field, value| Fault::Reference {
        index,
        offset: offset + at,
        field,
        value,
    };
    let record = u16::from_be_bytes([r0, r1]);
    let length = u16::from_be_bytes([l0, l1]);
    if reference != FILE_REFERENCE_TYPE {
        return Err(fault(0, "reference type", reference.into()));
    }
    if u16::from_be_bytes([f0, f1]) == 0 {
        return Err(fault(1, "file number", 0));
    }
    if record > MAX_FILE_RECORD_NUMBER {
        return Err(fault(3, "record number", record.into()));
    }
    let end = u32::from(record) + u32::from(length);
    if end > MAX_FILE_RECORDS {
        return Err(fault(
            3,
            "last record (record number + record length - 1)",
            end - 1,
        ));
    }
    Ok(())
}

/// The record length of one sub-request: at least 1 (03 otherwise).
fn check_length(index: usize, offset: usize, length: u16) -> Result<(), Fault> {
    if length == 0 {
        return Err(Fault::SubRequest {
            index,
            offset: offset + 5,
            problem: "has a record length of 0",
        });
    }
    Ok(())
}

/// FC20 sub-requests: byte count, record lengths and the response's length (03), then
/// each place (02).
fn check_reads(bytes: &[u8]) -> Result<(), Fault> {
    check_byte_count(bytes.len(), READ_BYTE_COUNTS, "0x07..=0xF5")?;
    if !bytes.len().is_multiple_of(SUB_REQUEST_LEN) {
        return Err(Fault::ByteCount {
            byte_count: bytes.len(),
            rule: "7 per sub-request",
        });
    }
    for (index, read) in (FileReadIter { rest: bytes }).enumerate() {
        check_length(index, index * SUB_REQUEST_LEN, read.length)?;
    }
    let len = read_response_len(bytes);
    if len > MAX_PDU_LEN {
        return Err(Fault::ResponseTooLong { len });
    }
    let mut rest = bytes;
    let mut index = 0;
    while let Some((head, tail)) = rest.split_first_chunk::<SUB_REQUEST_LEN>() {
        check_reference(index, index * SUB_REQUEST_LEN, *head)?;
        rest = tail;
        index += 1;
    }
    Ok(())
}

/// FC21 sub-requests (a request or its echo): byte count, record lengths and each
/// sub-request's data within the byte count (03), then each place (02).
fn check_writes(bytes: &[u8]) -> Result<(), Fault> {
    check_byte_count(bytes.len(), WRITE_BYTE_COUNTS, "0x09..=0xFB")?;
    let mut offset = 0;
    let mut index = 0;
    let mut rest = bytes;
    while !rest.is_empty() {
        let past = Fault::SubRequest {
            index,
            offset,
            problem: "runs past the byte count",
        };
        let (&[.., l0, l1], tail) = rest.split_first_chunk::<SUB_REQUEST_LEN>().ok_or(past)?;
        let length = u16::from_be_bytes([l0, l1]);
        check_length(index, offset, length)?;
        let (_, tail) = tail.split_at_checked(usize::from(length) * 2).ok_or(past)?;
        offset = bytes.len() - tail.len();
        rest = tail;
        index += 1;
    }
    let mut offset = 0;
    let mut rest = bytes;
    let mut index = 0;
    while let Some((head, tail)) = rest.split_first_chunk::<SUB_REQUEST_LEN>() {
        check_reference(index, offset, *head)?;
        let [.., l0, l1] = *head;
        let length = usize::from(u16::from_be_bytes([l0, l1]));
        let tail = tail.get(length * 2..).unwrap_or_default();
        offset = bytes.len() - tail.len();
        rest = tail;
        index += 1;
    }
    Ok(())
}

/// FC21's echo: the same rules as its request, as a response's error.
pub(crate) fn check_write_echo(bytes: &[u8]) -> Result<FileWrites<'_>, ResponseError> {
    check_writes(bytes).map_err(|fault| ResponseError::FileRecord {
        function: 0x15,
        offset: match fault {
            Fault::SubRequest { offset, .. } | Fault::Reference { offset, .. } => offset + 2,
            Fault::ByteCount { .. } | Fault::ResponseTooLong { .. } => 1,
        },
        rule: match fault {
            Fault::ByteCount { .. } => "the byte count must be 0x09..=0xFB",
            Fault::SubRequest { problem, .. } => problem,
            Fault::ResponseTooLong { .. } => "the response is too long",
            Fault::Reference { field, .. } => field,
        },
    })?;
    Ok(FileWrites { bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExceptionCode;

    fn exception(result: Result<FileReads<'_>, RequestError>) -> Option<ExceptionCode> {
        result.unwrap_err().exception()
    }

    #[test]
    fn read_limits_and_their_exceptions() {
        let one = |file: u16, record: u16, length: u16| {
            let mut v = vec![6u8];
            v.extend_from_slice(&file.to_be_bytes());
            v.extend_from_slice(&record.to_be_bytes());
            v.extend_from_slice(&length.to_be_bytes());
            v
        };
        assert!(FileReads::new(&one(0xFFFF, 0x270F, 1)).is_ok());
        assert!(FileReads::new(&one(1, 0, 124)).is_ok());
        let illegal_address = Some(ExceptionCode::IllegalDataAddress);
        let illegal_value = Some(ExceptionCode::IllegalDataValue);
        assert_eq!(exception(FileReads::new(&one(0, 0, 1))), illegal_address);
        assert_eq!(
            exception(FileReads::new(&one(1, 0x2710, 1))),
            illegal_address
        );
        assert_eq!(
            exception(FileReads::new(&one(1, 0x270F, 2))),
            illegal_address
        );
        let mut bad_type = one(1, 0, 1);
        bad_type[0] = 5;
        assert_eq!(
            FileReads::new(&bad_type),
            Err(RequestError::FileReference {
                function: 0x14,
                index: 0,
                offset: 2,
                field: "reference type",
                value: 5
            })
        );
        assert_eq!(exception(FileReads::new(&one(1, 0, 0))), illegal_value);
        // 125 records: a response of 2 + 2 + 250 = 254 bytes.
        assert_eq!(
            FileReads::new(&one(1, 0, 125)),
            Err(RequestError::ResponseTooLong {
                function: 0x14,
                len: 254
            })
        );
        assert_eq!(exception(FileReads::new(&one(1, 0, 1)[..6])), illegal_value);
        // 36 sub-requests: 252 bytes, over 0xF5.
        let many: Vec<u8> = (0..36).flat_map(|_| one(1, 0, 1)).collect();
        assert_eq!(exception(FileReads::new(&many)), illegal_value);
        // 03 wins over 02: the record length of the second is checked before the file
        // number of the first.
        let mut both = one(0, 0, 1);
        both.extend(one(1, 0, 0));
        assert_eq!(exception(FileReads::new(&both)), illegal_value);
    }

    #[test]
    fn write_sub_requests_must_fill_the_byte_count() {
        let ok = [6, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD, 6, 0, 2, 0, 9, 0, 1, 1, 2];
        let writes = FileWrites::new(&ok).unwrap();
        assert_eq!(writes.len(), 2);
        let second = writes.iter().nth(1).unwrap();
        assert_eq!(
            (second.file, second.record, second.values.get(0)),
            (2, 9, Some(0x0102))
        );
        assert!(matches!(
            FileWrites::new(&ok[..17]),
            Err(RequestError::FileSubRequest {
                index: 1,
                offset: 11,
                ..
            })
        ));
        let mut extra = ok.to_vec();
        extra.push(0);
        assert!(FileWrites::new(&extra).is_err());
        assert!(matches!(
            FileWrites::new(&ok[..8]),
            Err(RequestError::FileByteCount { byte_count: 8, .. })
        ));
        let mut file_zero = ok;
        file_zero[11] = 0;
        assert!(matches!(
            FileWrites::new(&file_zero),
            Err(RequestError::FileReference {
                index: 1,
                offset: 12,
                ..
            })
        ));
    }

    #[test]
    fn sub_responses_are_walked_exactly() {
        assert!(FileRecords::new(&[3, 6, 0, 1, 5, 6, 0, 1, 0, 2]).is_ok());
        assert!(FileRecords::new(&[]).is_err());
        assert!(FileRecords::new(&[4, 6, 0, 1, 0]).is_err()); // even length
        assert!(FileRecords::new(&[5, 6, 0, 1]).is_err()); // past the end
        assert!(FileRecords::new(&[3, 6, 0, 1, 3]).is_err()); // a byte left over
    }
}
