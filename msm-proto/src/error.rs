//! Errors of the PDU codec. Each names the function, the field, the value and the limit,
//! and the byte offset in the PDU where that helps to find the culprit in a capture.
//! (Framing errors live beside their framing: `tcp::FrameError`, `rtu::RtuError`.)

use super::{DiagnosticsSubFunction, ExceptionCode, FunctionCode, MAX_PDU_LEN};

/// The spec's name of a function code, for error messages.
fn name(function: &u8) -> FunctionCode {
    FunctionCode::from_u8(*function)
}

/// Why a request PDU could not be decoded (server side).
///
/// [`RequestError::exception`] gives the exception code the spec prescribes for it, so a
/// server can answer the request.
///
/// ```
/// use msm_proto::{ExceptionCode, Request, RequestError};
///
/// // FC5 with a value other than 0x0000 or 0xFF00.
/// let err = Request::decode(&[0x05, 0x00, 0xAC, 0x12, 0x34]).unwrap_err();
/// assert_eq!(err, RequestError::CoilValue { value: 0x1234 });
/// assert_eq!(err.exception(), Some(ExceptionCode::IllegalDataValue));
/// assert_eq!(err.function(), Some(0x05));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The PDU is empty: there is no function code, and so nothing to answer.
    #[error("empty request PDU: no function code")]
    Empty,
    /// The PDU is longer than [`MAX_PDU_LEN`].
    #[error("{} request PDU is {len} bytes, over the {MAX_PDU_LEN}-byte limit", name(.function))]
    TooLong {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
    },
    /// The function code has the exception bit (0x80) set, which only responses carry.
    #[error("function code {function:#04x} has the exception bit set: not a request")]
    NotARequest {
        /// The function code (byte 0).
        function: u8,
    },
    /// The PDU is shorter than its function's fixed part.
    #[error("{} request PDU is {len} bytes, needs at least {min}", name(.function))]
    Truncated {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
        /// The shortest PDU the function allows.
        min: usize,
    },
    /// The PDU's length disagrees with its function (or with its byte count).
    #[error("{} request PDU is {len} bytes, expected {expected}", name(.function))]
    Length {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
        /// The length the function (and byte count) call for.
        expected: usize,
    },
    /// A quantity is 0 or over the spec's limit.
    #[error("{}: {field} {value} at byte {offset} is outside 1..={max}", name(.function))]
    Quantity {
        /// The function code (byte 0).
        function: u8,
        /// Which quantity ("quantity", "read quantity", "write quantity").
        field: &'static str,
        /// Offset of the quantity in the PDU.
        offset: usize,
        /// The quantity found.
        value: u16,
        /// The spec's limit.
        max: u16,
    },
    /// A byte count disagrees with the quantity it carries.
    #[error(
        "{}: byte count {byte_count} at byte {offset} should be {expected} for the quantity",
        name(.function)
    )]
    ByteCount {
        /// The function code (byte 0).
        function: u8,
        /// Offset of the byte count in the PDU.
        offset: usize,
        /// The byte count found.
        byte_count: u8,
        /// The byte count the quantity calls for.
        expected: usize,
    },
    /// An FC5 value other than 0x0000 (off) or 0xFF00 (on).
    #[error("Write Single Coil: value {value:#06x} at byte 3 is neither 0x0000 nor 0xFF00")]
    CoilValue {
        /// The value found.
        value: u16,
    },
    /// A Read Device Identification code outside 1..=4.
    #[error("Read Device Identification: read device id code {code:#04x} at byte 2 is not 1..=4")]
    ReadDeviceIdCode {
        /// The code found.
        code: u8,
    },
    /// FC08 data that breaks its sub-function's rule (0x0000 for a counter, ...).
    #[error("Diagnostics: the data of {} must be {rule}", DiagnosticsSubFunction::from_u16(*.sub_function))]
    DiagnosticsData {
        /// The sub-function code.
        sub_function: u16,
        /// What the data must be.
        rule: &'static str,
    },
    /// A file record request's byte count (byte 1) outside its range, or not made of
    /// whole sub-requests.
    #[error("{}: byte count {byte_count} at byte 1 must be {rule}", name(.function))]
    FileByteCount {
        /// The function code (0x14 or 0x15).
        function: u8,
        /// The byte count found.
        byte_count: u8,
        /// What it must be.
        rule: &'static str,
    },
    /// A file record sub-request that is malformed: a record length of 0, or data that
    /// runs past the byte count.
    #[error("{}: sub-request #{index} at byte {offset} {problem}", name(.function))]
    FileSubRequest {
        /// The function code (0x14 or 0x15).
        function: u8,
        /// Index of the sub-request (0-based).
        index: usize,
        /// Offset in the PDU of the field at fault.
        offset: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A file record sub-request naming a place that cannot exist: a reference type
    /// other than 6, file 0, a record past 0x270F. Answered with 02.
    #[error("{}: sub-request #{index}: {field} {value} at byte {offset} is not allowed (reference type 6, files 1..=65535, records 0..=9999)", name(.function))]
    FileReference {
        /// The function code (0x14 or 0x15).
        function: u8,
        /// Index of the sub-request (0-based).
        index: usize,
        /// Offset in the PDU of the field at fault.
        offset: usize,
        /// Which field.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// The response the request calls for would not fit in a PDU.
    #[error("{}: the response would be {len} bytes, over the {MAX_PDU_LEN}-byte limit", name(.function))]
    ResponseTooLong {
        /// The function code.
        function: u8,
        /// The response's length.
        len: usize,
    },
}

impl RequestError {
    /// The exception the spec prescribes as the answer, or `None` for an empty PDU
    /// (there is no function code to answer).
    ///
    /// Illegal Function (01) for a function code with the exception bit set; Illegal Data
    /// Address (02) for a file record sub-request naming a place that cannot exist; Illegal
    /// Data Value (03) for everything else: a quantity, byte count or value out of its
    /// limits, a PDU of the wrong length, a read device id code not 1..=4, FC08 data
    /// that breaks its sub-function's rule, a response that would not fit.
    ///
    /// ```
    /// use msm_proto::{ExceptionCode, Request};
    ///
    /// let err = Request::decode(&[0x01, 0x00, 0x00, 0x00, 0x00]).unwrap_err();
    /// assert_eq!(err.exception(), Some(ExceptionCode::IllegalDataValue));
    /// assert_eq!(Request::decode(&[]).unwrap_err().exception(), None);
    /// ```
    pub const fn exception(&self) -> Option<ExceptionCode> {
        match self {
            Self::Empty => None,
            Self::NotARequest { .. } => Some(ExceptionCode::IllegalFunction),
            Self::TooLong { .. }
            | Self::Truncated { .. }
            | Self::Length { .. }
            | Self::Quantity { .. }
            | Self::ByteCount { .. }
            | Self::CoilValue { .. }
            | Self::ReadDeviceIdCode { .. }
            | Self::DiagnosticsData { .. }
            | Self::FileByteCount { .. }
            | Self::FileSubRequest { .. }
            | Self::ResponseTooLong { .. } => Some(ExceptionCode::IllegalDataValue),
            Self::FileReference { .. } => Some(ExceptionCode::IllegalDataAddress),
        }
    }

    /// The function code of the offending PDU, `None` when it is empty.
    ///
    /// ```
    /// use msm_proto::Request;
    ///
    /// let err = Request::decode(&[0x10, 0x00]).unwrap_err();
    /// assert_eq!(err.function(), Some(0x10));
    /// ```
    pub const fn function(&self) -> Option<u8> {
        match *self {
            Self::Empty => None,
            Self::TooLong { function, .. }
            | Self::NotARequest { function }
            | Self::Truncated { function, .. }
            | Self::Length { function, .. }
            | Self::Quantity { function, .. }
            | Self::ByteCount { function, .. }
            | Self::FileByteCount { function, .. }
            | Self::FileSubRequest { function, .. }
            | Self::FileReference { function, .. }
            | Self::ResponseTooLong { function, .. } => Some(function),
            Self::CoilValue { .. } => Some(0x05),
            Self::DiagnosticsData { .. } => Some(0x08),
            Self::ReadDeviceIdCode { .. } => Some(0x2B),
        }
    }
}

/// Why a response PDU could not be decoded, or does not answer its request (client side).
///
/// ```
/// use msm_proto::{Response, ResponseError};
///
/// // FC3 response whose byte count (4) disagrees with the 2 data bytes that follow.
/// let err = Response::decode(&[0x03, 0x04, 0x00, 0x01]).unwrap_err();
/// assert_eq!(err, ResponseError::Length { function: 3, len: 4, expected: 6 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The PDU is empty.
    #[error("empty response PDU: no function code")]
    Empty,
    /// The PDU is longer than [`MAX_PDU_LEN`].
    #[error("{} response PDU is {len} bytes, over the {MAX_PDU_LEN}-byte limit", name(.function))]
    TooLong {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
    },
    /// The PDU is shorter than its function's fixed part.
    #[error("{} response PDU is {len} bytes, needs at least {min}", name(.function))]
    Truncated {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
        /// The shortest PDU the function allows.
        min: usize,
    },
    /// The PDU's length disagrees with its function (or with its byte count).
    #[error("{} response PDU is {len} bytes, expected {expected}", name(.function))]
    Length {
        /// The function code (byte 0).
        function: u8,
        /// The PDU's length.
        len: usize,
        /// The length the function (and byte count) call for.
        expected: usize,
    },
    /// A read response's byte count (byte 1) is not one a valid read can produce.
    #[error("{} response: byte count {byte_count} at byte 1 is not {rule}", name(.function))]
    ByteCount {
        /// The function code (byte 0).
        function: u8,
        /// The byte count found.
        byte_count: u8,
        /// What it should be.
        rule: &'static str,
    },
    /// An echoed quantity is 0 or over the spec's limit.
    #[error("{} response: quantity {value} at byte 3 is outside 1..={max}", name(.function))]
    Quantity {
        /// The function code (byte 0).
        function: u8,
        /// The quantity found.
        value: u16,
        /// The spec's limit.
        max: u16,
    },
    /// An FC5 value other than 0x0000 or 0xFF00.
    #[error(
        "Write Single Coil response: value {value:#06x} at byte 3 is neither 0x0000 nor 0xFF00"
    )]
    CoilValue {
        /// The value found.
        value: u16,
    },
    /// A Read Device Identification code outside 1..=4.
    #[error(
        "Read Device Identification response: read device id code {code:#04x} at byte 2 is not 1..=4"
    )]
    ReadDeviceIdCode {
        /// The code found.
        code: u8,
    },
    /// A "more follows" byte other than 0x00 or 0xFF.
    #[error(
        "Read Device Identification response: more follows {value:#04x} at byte 4 is neither 0x00 nor 0xFF"
    )]
    MoreFollows {
        /// The byte found.
        value: u8,
    },
    /// The object list of a device identification response does not fill its PDU
    /// exactly: an object runs past the end, or bytes are left after the last one.
    #[error(
        "Read Device Identification response: object list breaks at object #{index}, byte {offset} (runs past the PDU's end or leaves bytes after the last object)"
    )]
    DeviceObject {
        /// Index of the object in the list (0-based; the object count for trailing bytes).
        index: usize,
        /// Offset of that object's id (or of the trailing bytes) in the PDU.
        offset: usize,
    },
    /// The response is for another function than the request.
    #[error("response is for function {found:#04x}, the request was {expected:#04x}")]
    FunctionMismatch {
        /// The request's function code.
        expected: u8,
        /// The response's function code (without the exception bit).
        found: u8,
    },
    /// An echoed or implied field disagrees with the request.
    #[error("{} response: {field} is {found}, the request implies {expected}", name(.function))]
    Mismatch {
        /// The function code.
        function: u8,
        /// Which field ("address", "value", "quantity", "byte count", ...).
        field: &'static str,
        /// What the request implies.
        expected: u16,
        /// What the response carries.
        found: u16,
    },
    /// A Diagnostics echo (sub-function 0) does not return the request's data.
    #[error("Diagnostics response: echoed data differs from the request's")]
    EchoMismatch,
    /// FC08 response data that breaks its sub-function's rule (one word for a counter).
    #[error("Diagnostics response: the data of {} must be {rule}", DiagnosticsSubFunction::from_u16(*.sub_function))]
    DiagnosticsData {
        /// The sub-function code.
        sub_function: u16,
        /// What the data must be.
        rule: &'static str,
    },
    /// A file record response that breaks the spec's layout.
    #[error("{} response: at byte {offset}, {rule}", name(.function))]
    FileRecord {
        /// The function code (0x14 or 0x15).
        function: u8,
        /// Offset in the PDU of the field at fault.
        offset: usize,
        /// The rule broken.
        rule: &'static str,
    },
    /// A Read FIFO Queue response with more than 31 registers.
    #[error("Read FIFO Queue response: FIFO count {count} at byte 3 is over 31")]
    FifoCount {
        /// The count found.
        count: u16,
    },
    /// A Write File Record response that does not echo its request.
    #[error("Write File Record response: the echo differs from the request")]
    FileWriteEcho,
}

/// Why a request or response could not be encoded.
///
/// Out-of-limit arguments are refused, never clamped.
///
/// ```
/// use msm_proto::{EncodeError, Request};
///
/// let mut buf = [0u8; 253];
/// let too_many = Request::ReadHoldingRegisters { address: 0, quantity: 126 };
/// assert!(matches!(too_many.encode(&mut buf), Err(EncodeError::Quantity { value: 126, .. })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The caller's buffer cannot hold the encoding.
    #[error("buffer of {available} bytes is too small, {needed} needed")]
    BufferTooSmall {
        /// Bytes the encoding needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// A quantity (or a number of values) is 0 or over the spec's limit.
    #[error("{}: {field} {value} is outside 1..={max}", name(.function))]
    Quantity {
        /// The function code.
        function: u8,
        /// Which quantity.
        field: &'static str,
        /// The quantity given.
        value: usize,
        /// The spec's limit.
        max: u16,
    },
    /// A read response's byte count is not one a valid read can produce.
    #[error("{}: byte count {byte_count} is not {rule}", name(.function))]
    ByteCount {
        /// The function code.
        function: u8,
        /// The byte count given.
        byte_count: u8,
        /// What it should be.
        rule: &'static str,
    },
    /// Variable data would make the PDU longer than [`MAX_PDU_LEN`].
    #[error("{}: PDU would be {len} bytes, over the {MAX_PDU_LEN}-byte limit", name(.function))]
    PduTooLong {
        /// The function code.
        function: u8,
        /// The PDU length it would have.
        len: usize,
    },
    /// The function code cannot be used here (e.g. the exception bit set in a request,
    /// or a non-read function for a read response body).
    #[error("function code {function:#04x} cannot be encoded here: {reason}")]
    Function {
        /// The function code given.
        function: u8,
        /// Why not.
        reason: &'static str,
    },
    /// A device identification object cannot fit in any PDU.
    #[error("device object {id:#04x} is {len} bytes, more than a PDU can carry")]
    ObjectTooLong {
        /// The object's id.
        id: u8,
        /// The object's length.
        len: usize,
    },
    /// The index of the first device object is past the end of the list.
    #[error("first object index {first} is past the end of the {len}-object list")]
    ObjectIndex {
        /// The index given.
        first: usize,
        /// The list's length.
        len: usize,
    },
    /// A PDU length given to a framing function is 0 or over [`MAX_PDU_LEN`].
    #[error("PDU length {len} is outside 1..={MAX_PDU_LEN}")]
    PduLength {
        /// The length given.
        len: usize,
    },
    /// FC08 data that breaks its sub-function's rule.
    #[error("Diagnostics: the data does not fit {}", DiagnosticsSubFunction::from_u16(*.sub_function))]
    DiagnosticsData {
        /// The sub-function code.
        sub_function: u16,
    },
    /// The request would be refused by a server as it decodes it (file record
    /// sub-requests out of the spec's limits).
    #[error("a server would refuse this request: {error}")]
    InvalidRequest {
        /// What the server's decoder would say.
        error: RequestError,
    },
    /// A Read FIFO Queue response with more than 31 registers.
    #[error("Read FIFO Queue: {count} registers, at most 31 fit a FIFO response")]
    FifoCount {
        /// The number of registers given.
        count: usize,
    },
    /// A Get Comm Event Log response with more than 64 events.
    #[error("Get Comm Event Log: {len} events, at most 64 fit the log")]
    EventLog {
        /// The number of events given.
        len: usize,
    },
}

/// Why a [`Registers`](super::Registers) or [`Bits`](super::Bits) view could not be made.
///
/// ```
/// use msm_proto::{Registers, ViewError};
///
/// assert_eq!(Registers::new(&[0x00, 0x01, 0x02]), Err(ViewError::OddLength { len: 3 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// Register data must be two bytes per register.
    #[error("register data is {len} bytes, not a whole number of registers")]
    OddLength {
        /// The length given.
        len: usize,
    },
    /// Packed bits need exactly `ceil(quantity / 8)` bytes.
    #[error("{quantity} bits need {expected} bytes, {found} given")]
    BitsLength {
        /// The quantity of bits.
        quantity: u16,
        /// Bytes they need.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// A buffer to pack values into is too small (or the values too many).
    #[error("buffer of {available} bytes is too small, {needed} needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The bytes are too few or too many for the view.
    #[error("{len} bytes cannot be used: {rule}")]
    Length {
        /// The length given.
        len: usize,
        /// The lengths allowed.
        rule: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_function_field_value_and_limit() {
        let err = RequestError::ByteCount {
            function: 0x0F,
            offset: 5,
            byte_count: 1,
            expected: 2,
        };
        assert_eq!(
            err.to_string(),
            "Write Multiple Coils: byte count 1 at byte 5 should be 2 for the quantity"
        );
        let err = RequestError::Quantity {
            function: 0x17,
            field: "write quantity",
            offset: 7,
            value: 122,
            max: 121,
        };
        assert_eq!(
            err.to_string(),
            "Read/Write Multiple Registers: write quantity 122 at byte 7 is outside 1..=121"
        );
        let err = ResponseError::Mismatch {
            function: 0x06,
            field: "value",
            expected: 3,
            found: 4,
        };
        assert_eq!(
            err.to_string(),
            "Write Single Register response: value is 4, the request implies 3"
        );
        let err = EncodeError::Quantity {
            function: 0x03,
            field: "quantity",
            value: 126,
            max: 125,
        };
        assert_eq!(
            err.to_string(),
            "Read Holding Registers: quantity 126 is outside 1..=125"
        );
    }
}
