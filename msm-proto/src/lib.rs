//! The Modbus codec of msm: sans-IO and zero-copy (re-exported by `msm` as `msm::protocol`).
//!
//! This crate turns bytes into Modbus requests and responses and back, and nothing
//! else: it never opens a socket, never reads a clock and never allocates per frame (the
//! stream framer works in one buffer, given or allocated once). It is usable on its own
//! over any byte stream, and without std (below).
//!
//! - [`Request`] and [`Response`] are the PDUs (function code + data) of the Modbus
//!   Application Protocol V1.1b3. Decoding borrows from the input buffer (register and
//!   bit data stay as wire bytes behind [`Registers`] and [`Bits`]); encoding writes into
//!   a buffer the caller owns.
//! - [`tcp`] frames PDUs with the MBAP header (Modbus/TCP) and splits a byte stream into
//!   frames.
//! - [`rtu`] frames PDUs for serial lines (address + PDU + CRC-16) and finds the end of a
//!   frame from its function code and byte count; [`rtu_framer`] finds frames on a
//!   serial line by its silences.
//! - [`ascii`] frames PDUs as Modbus ASCII (`:`, hex digits, LRC, CR LF), decoding and
//!   encoding in the caller's buffer.
//! - [`stream`] is the one framer every reader of a byte stream uses: MBAP, RTU delimited
//!   by length (RTU over TCP) or by silence (a serial line), or ASCII, in one buffer,
//!   with the instants ([`Timestamp`]) its caller gives; datagrams too (Modbus/UDP).
//!
//! Decoding a request is strict: every limit of the spec is checked, and a request that
//! breaks one decodes to a [`RequestError`] whose [`RequestError::exception`] is the
//! exception code the spec prescribes, so a server can answer it. Nothing is clamped.
//!
//! A function code this codec does not model decodes to [`Request::Custom`] /
//! [`Response::Custom`] rather than to an error, so an application may handle it (a
//! server that does not answers exception 01, Illegal Function).
//!
//! ```
//! use msm_proto::{ExceptionCode, Request, Response, read_response_body};
//!
//! // Server side: decode a request (the spec's FC3 example)...
//! let request = Request::decode(&[0x03, 0x00, 0x6B, 0x00, 0x03])?;
//! assert_eq!(request, Request::ReadHoldingRegisters { address: 0x6B, quantity: 3 });
//!
//! // ...and answer it by copying register bytes straight into the response.
//! let mut buf = [0u8; 253];
//! let body = read_response_body(&mut buf, 0x03, 6)?;
//! body.copy_from_slice(&[0x02, 0x2B, 0x00, 0x00, 0x00, 0x64]);
//! let pdu = &buf[..2 + 6];
//!
//! // Client side: decode the response and check it answers the request.
//! let response = Response::decode(pdu)?;
//! response.check_answers(&request)?;
//! if let Response::ReadHoldingRegisters(registers) = response {
//!     assert_eq!(registers.iter().collect::<Vec<_>>(), [0x022B, 0x0000, 0x0064]);
//! }
//!
//! // A request that breaks a limit decodes to the exception to answer.
//! let err = Request::decode(&[0x03, 0x00, 0x00, 0x00, 0x7E]).unwrap_err();
//! assert_eq!(err.exception(), Some(ExceptionCode::IllegalDataValue));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Without std
//!
//! With the default `std` feature off (`default-features = false`), the crate is
//! `#![no_std]` and needs no allocator: a microcontroller's program uses all of it but
//! the allocating constructors ([`stream::StreamFramer::new`],
//! [`rtu_framer::Framer::new`]). The framer then works in the program's buffer and takes
//! the time since boot as a `core::time::Duration`:
//!
//! ```
//! use core::time::Duration;
//! use msm_proto::rtu::Direction;
//! use msm_proto::stream::{Delimiter, Framed, Framer, MIN_CAPACITY, Timing};
//!
//! let mut rx = [0u8; MIN_CAPACITY];
//! let line = Delimiter::RtuBySilence {
//!     direction: Direction::Request,
//!     timing: Timing::for_baud(19_200, 11),
//! };
//! let mut framer = Framer::with_buffer(line, &mut rx[..])?;
//! let since_boot = Duration::from_millis(1500);
//! framer.push(since_boot, &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B]);
//! if let Ok(Some(Framed::Frame(frame))) = framer.poll(since_boot) {
//!     assert_eq!((frame.unit, frame.pdu), (0x11, &[0x06, 0x00, 0x01, 0x00, 0x03][..]));
//! }
//! # Ok::<(), msm_proto::stream::BufferTooSmall>(())
//! ```
//!
//! docs/protocol.md has a whole serial slave's receive path this way.

#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
// The codec reads untrusted bytes: no indexing or slicing that could panic, no unwrap,
// no panic is allowed in it. Tests may index and unwrap freely: a panic there is a
// failed test.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod check;
mod code_enum;
mod comm_event;
mod crc;
mod device_id;
mod diagnostics;
mod discarded;
mod error;
mod exception;
mod file_record;
mod function;
mod limits;
mod request;
mod request_decode;
mod response;
mod response_decode;
mod rtu_timing;
mod server_id;
mod shared_decode;
mod sub_function;
mod timestamp;
mod views;
mod wire;

pub mod ascii;
pub mod rtu;
pub mod rtu_framer;
pub mod stream;
pub mod tcp;

pub use comm_event::{COMM_STATUS_BUSY, CommEvent, CommEventLog, ReceiveEvent, SendEvent};
pub use device_id::{
    DeviceIdentification, DeviceObjectIter, DeviceObjects, ReadDeviceIdCode,
    encode_device_identification,
};
pub use diagnostics::{DiagnosticCounter, DiagnosticsRequest, DiagnosticsResponse};
pub use error::{EncodeError, RequestError, ResponseError, ViewError};
pub use exception::ExceptionCode;
pub use file_record::{
    FileRead, FileReadIter, FileReads, FileRecordIter, FileRecords, FileWrite, FileWriteIter,
    FileWrites, encode_file_records,
};
pub use function::FunctionCode;
pub use limits::{
    FILE_REFERENCE_TYPE, MAX_COMM_EVENTS, MAX_DIAGNOSTICS_DATA_LEN, MAX_FIFO_COUNT,
    MAX_FILE_RECORD_NUMBER, MAX_FILE_RECORDS, MAX_PDU_LEN, MAX_READ_BITS, MAX_READ_REGISTERS,
    MAX_RW_READ_REGISTERS, MAX_RW_WRITE_REGISTERS, MAX_WRITE_BITS, MAX_WRITE_REGISTERS,
    MEI_READ_DEVICE_ID,
};
pub use request::Request;
pub use response::{Response, encode_exception, read_response_body};
pub use server_id::{ServerIdParts, ServerIdReport};
pub use sub_function::DiagnosticsSubFunction;
pub use timestamp::Timestamp;
pub use views::{BitIter, Bits, RegisterIter, Registers};

/// docs/protocol.md's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/protocol.md")]
pub struct ProtocolDocDoctests;
