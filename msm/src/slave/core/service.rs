//! The seam between a connection and what answers it: the connection cuts frames and
//! hands each request to a [`Service`], which writes the response PDU and says what to do
//! with it ([`Answer`]); the connection frames it (MBAP header, or RTU address and CRC)
//! and queues it. Everything worth counting or logging is reported to the service as it
//! happens ([`Observed`]), on every transport alike.
//!
//! The slave's service is [`Responder`](super::respond::Responder); the connection's
//! tests use scripted ones.

use std::time::{Duration, Instant};

use crate::protocol::ascii;
use crate::protocol::stream::Skipped;

/// A request, as the connection hands it to the service: a view into its input buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming<'a> {
    /// The MBAP transaction id; `None` for RTU.
    pub(crate) transaction_id: Option<u16>,
    /// The MBAP unit id, or the RTU address (0: a broadcast).
    pub(crate) unit: u8,
    /// The request PDU: function code and data.
    pub(crate) pdu: &'a [u8],
    /// When it is executed.
    pub(crate) at: Instant,
}

/// What to do with a request once the service has seen it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Send the response PDU written at the front of `out`, `len` bytes long.
    Pdu(usize),
    /// Send the response PDU (`len` bytes at the front of `out`), not before `at`: the
    /// requests behind it wait (they are not executed before it is sent).
    Later {
        /// The response PDU's length.
        len: usize,
        /// The earliest instant it is sent at.
        at: Instant,
    },
    /// Send nothing.
    Nothing(NoAnswer),
    /// Send nothing and close the connection, once the responses before are sent.
    Close,
    /// Send the response PDU (`len` bytes at the front of `out`) otherwise than a correct
    /// device would: a fault the slave was told to make (`core/fault/`).
    Misframed {
        /// The response PDU's length (for [`Misframe::Raw`], the bytes to send).
        len: usize,
        /// How it is sent wrong.
        how: Misframe,
    },
}

/// How a response is framed or sent wrong, on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Misframe {
    /// With this transaction id in its MBAP header instead of the request's.
    TransactionId(u16),
    /// As from this unit id (RTU address) instead of the request's.
    Unit(u8),
    /// With a wrong check: the RTU CRC inverted (nothing to spoil in an MBAP header).
    BadCheck,
    /// The `len` bytes at the front of `out` sent as they are, without a frame.
    Raw,
    /// Framed as usual, and released one byte at a time with this pause between bytes.
    Trickle(Duration),
}

/// Why a request gets no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoAnswer {
    /// An RTU broadcast (address 0): executed, never answered.
    Broadcast,
    /// For a unit this slave does not serve (another device on a serial line; no such
    /// device behind a gateway).
    UnitNotServed,
    /// The PDU has no function code to answer with.
    NoFunction,
    /// The response did not fit a frame (a bug in the service).
    TooLong,
    /// A fault the slave was told to make: the request was executed, its answer lost.
    Dropped,
    /// The slave is in listen-only mode (FC08/04), or was just put in it: it answers
    /// nothing until FC08/01 (restart communications).
    ListenOnly,
}

/// What a connection saw, reported to its service as it happens: bus messages, errors,
/// exceptions and silences are counted from these (FC08's counters), skipped frames
/// logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observed<'a> {
    /// A whole, valid frame, for this slave or not (a bus message); its request follows.
    Message {
        /// Its unit id or RTU address.
        unit: u8,
    },
    /// Bytes that made no frame (an RTU CRC, an ASCII LRC or a framing error, a datagram
    /// that is not one frame) or an MBAP frame for another protocol: dropped unanswered,
    /// the stream goes on.
    Skipped(&'a Skipped),
    /// A response queued to be sent.
    Answered {
        /// The exception code, for an exception response.
        exception: Option<u8>,
    },
    /// A request the service chose not to answer.
    Unanswered(NoAnswer),
}

/// What answers a connection's requests.
pub(crate) trait Service {
    /// Executes `request` and writes its response PDU at the front of `out` (at least
    /// 253 bytes); says what to send.
    fn respond(&mut self, request: &Incoming<'_>, out: &mut [u8]) -> Answer;

    /// Sees what the connection saw (nothing by default).
    fn observe(&mut self, _event: Observed<'_>) {}

    /// The character after CR that ends the ASCII frames the connection receives: LF
    /// unless FC08 sub-function 03 ("change ASCII input delimiter") set another.
    fn ascii_end(&self) -> u8 {
        ascii::LF
    }
}
