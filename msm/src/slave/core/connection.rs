//! One connection of a slave as a state machine without I/O: bytes and instants in,
//! responses, timers and a close reason out. Every driver (a TCP connection on a thread
//! of its own, a tokio task with or without TLS, a serial line) only moves bytes and time
//! between its transport and a [`Connection`]; every rule of a connection is here, once:
//!
//! - frames are cut by the stream framer (`protocol::stream`): MBAP, RTU by length with a
//!   silence as fallback (RTU over TCP), RTU by silence (a serial line), or ASCII (a
//!   serial line, its end character the one the service says: FC08 sub-function 03);
//!   bytes may come in any pieces; a datagram (Modbus/UDP) is one frame exactly;
//! - each whole frame's request goes to the [`Service`], whose [`Answer`] is framed and
//!   queued; pipelined requests are answered in order, and the responses gathered while
//!   there is room are sent with one write;
//! - a serial line's response waits for the turnaround (the line's 3.5 characters after
//!   the request), and an answer held back delays the requests behind it;
//! - timers: the idle timeout (no request), the frame timeout (a frame left incomplete),
//!   the write timeout (the client takes no response data), the RTU silence, and a held
//!   answer's instant;
//! - a frame the stream cannot be resynchronised after (an impossible MBAP length, or one
//!   over the limit) closes the connection once the responses before it are sent.
//!
//! The driver's loop, in the quinn-proto shape:
//!
//! ```text
//! loop {
//!     while let Some(bytes) = conn.poll_transmit(now) { n = write(bytes); conn.transmitted(n) }
//!     if let Some(reason) = conn.poll_close() { close; break }
//!     wait for: input (if conn.wants_input()), conn.poll_timeout()
//!     input  → conn.filled(now, n) (read into conn.read_space()), or conn.handle_eof()
//!     timer  → conn.handle_timeout(now)
//! }
//! ```
//! A transport that cannot take all it is given reports it with
//! [`stalled`](Connection::stalled): the write timeout runs from then until it takes more.

use std::time::{Duration, Instant};

use crate::protocol::stream::{Delimiter, Framed, Skipped, StreamFramer};
use crate::protocol::tcp::{self, HEADER_LEN};
use crate::protocol::{ascii, rtu};
use crate::time::later;

use super::close::CloseReason;
use super::outbox::Outbox;
use super::service::{Answer, Incoming, Misframe, NoAnswer, Observed, Service};

/// Bytes read per `read` at most on a TCP stream: room for 7 requests of the largest
/// size, or 170 reads of registers, pipelined. Each connection holds its buffers for its
/// whole life, so they are kept small: a slave with 64 busy connections holds 384 KiB.
const STREAM_INPUT: usize = 2 * 1024;
/// Responses gathered before they are sent, on a TCP stream: a batch stops when another
/// full-size response might not fit (15 fit), so a flood of pipelined requests is
/// answered in slices instead of growing a buffer.
const STREAM_OUTPUT: usize = 4 * 1024;
/// A serial line carries one request at a time.
const LINE_INPUT: usize = 2 * rtu::MAX_FRAME_LEN;
const LINE_OUTPUT: usize = 2 * rtu::MAX_FRAME_LEN;
/// An ASCII line's frames are twice as long.
const ASCII_LINE: usize = 2 * ascii::MAX_FRAME_LEN;

/// How responses are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Mbap,
    Rtu,
    Ascii,
}

/// What a connection may take of the slave's time. `Duration::MAX` is "never".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// A connection without a request for this long is closed.
    pub(crate) idle_timeout: Duration,
    /// A frame still incomplete this long after its first bytes came closes it.
    pub(crate) frame_timeout: Duration,
    /// A client that takes no response data for this long is closed.
    pub(crate) write_timeout: Duration,
    /// Longest MBAP frame, header included; a longer one announced closes it.
    pub(crate) max_frame_len: usize,
}

impl Limits {
    /// No timeouts (a serial line: the bus is not a client that can go away).
    pub(crate) const NONE: Limits = Limits {
        idle_timeout: Duration::MAX,
        frame_timeout: Duration::MAX,
        write_timeout: Duration::MAX,
        max_frame_len: tcp::MAX_FRAME_LEN,
    };
}

/// A close decided, and whether the responses queued are sent first.
#[derive(Clone, Copy, Debug)]
struct Closing {
    reason: CloseReason,
    flush: bool,
}

/// One connection's state. See the [module](self).
pub(crate) struct Connection<S> {
    service: S,
    framer: StreamFramer,
    framing: Framing,
    out: Outbox,
    limits: Limits,
    /// Room kept in the output for one more response: the longest frame either way.
    room: usize,
    /// A serial line's turnaround: a response waits this long after the last byte read.
    turnaround: Option<Duration>,
    /// When the connection opened: the idle timeout runs from here before a request.
    opened: Instant,
    /// When the last bytes came.
    last_input: Instant,
    /// When the bytes that completed the last request came.
    last_request: Option<Instant>,
    /// When the bytes of the frame still incomplete began to come.
    partial_since: Option<Instant>,
    /// Since when the transport takes none of the responses.
    stalled_since: Option<Instant>,
    close: Option<Closing>,
}

impl<S: Service> Connection<S> {
    /// A connection opened at `now`, its frames cut by `delimiter`, its requests answered
    /// by `service`. Its buffers are allocated here, once.
    pub(crate) fn new(delimiter: Delimiter, limits: Limits, service: S, now: Instant) -> Self {
        let (input, output, turnaround) = match delimiter {
            Delimiter::Mbap | Delimiter::RtuByLength { .. } => (STREAM_INPUT, STREAM_OUTPUT, None),
            Delimiter::RtuBySilence { timing, .. } => {
                (LINE_INPUT, LINE_OUTPUT, Some(timing.frame_gap))
            }
            // Characters, not silences, delimit ASCII frames: no turnaround to keep.
            Delimiter::Ascii { .. } => (ASCII_LINE, ASCII_LINE, None),
        };
        let (framing, room) = match delimiter {
            Delimiter::Mbap => (Framing::Mbap, tcp::MAX_FRAME_LEN),
            Delimiter::Ascii { .. } => (Framing::Ascii, ascii::MAX_FRAME_LEN),
            _ => (Framing::Rtu, rtu::MAX_FRAME_LEN),
        };
        Connection {
            service,
            framer: StreamFramer::with_capacity(delimiter, input)
                .with_max_frame_len(limits.max_frame_len),
            framing,
            out: Outbox::new(output),
            limits,
            room,
            turnaround,
            opened: now,
            last_input: now,
            last_request: None,
            partial_since: None,
            stalled_since: None,
            close: None,
        }
    }

    /// The service answering this connection.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub(crate) fn service(&self) -> &S {
        &self.service
    }

    /// The service, to tell it who sent the next datagram.
    pub(crate) fn service_mut(&mut self) -> &mut S {
        &mut self.service
    }

    // ---- input ----

    /// True if the connection takes input now: it is open and has nothing left to send
    /// (a client that does not take its responses is not read from).
    pub(crate) fn wants_input(&self) -> bool {
        self.close.is_none() && self.out.is_empty()
    }

    /// Where the next read goes (never empty).
    pub(crate) fn read_space(&mut self) -> &mut [u8] {
        self.framer.read_space()
    }

    /// Takes `n` bytes just read into [`read_space`](Self::read_space) at `now`.
    pub(crate) fn filled(&mut self, now: Instant, n: usize) {
        self.framer.filled(now, n);
        self.last_input = now;
    }

    /// Copies bytes received at `now` in; returns how many were taken (all of them while
    /// [`wants_input`](Self::wants_input) and they are at most a frame's worth).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "for datagram transports (issue 24)")
    )]
    pub(crate) fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> usize {
        self.last_input = now;
        self.framer.push(now, bytes)
    }

    /// A datagram received at `now`: one request exactly (MBAP), answered by the next
    /// [`poll_transmit`](Self::poll_transmit) (call it after each datagram); anything
    /// else is dropped whole and reported as skipped. Nothing of an earlier datagram is
    /// kept.
    pub(crate) fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        self.last_input = now;
        self.framer.push_datagram(now, datagram);
    }

    /// The client closed its side.
    pub(crate) fn handle_eof(&mut self) {
        if self.close.is_none() {
            let mid_frame = self.framer.buffered() > 0;
            self.close_now(CloseReason::PeerClosed { mid_frame });
        }
    }

    // ---- time ----

    /// Applies the timers due at `now`: a write stalled, a frame left incomplete, or no
    /// request for too long closes the connection. (The RTU silence and a held answer
    /// are applied by the next [`poll_transmit`](Self::poll_transmit).)
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        let limits = self.limits;
        let due =
            |since: Option<Instant>, limit: Duration| since.is_some_and(|t| later(t, limit) <= now);
        if due(self.stalled_since, limits.write_timeout) {
            self.close_now(CloseReason::WriteTimeout(limits.write_timeout));
            return;
        }
        if self.close.is_some() {
            return;
        }
        if due(self.partial_since, limits.frame_timeout) {
            self.close_now(CloseReason::FrameTimeout(limits.frame_timeout));
        } else if due(Some(self.idle_since()), limits.idle_timeout) {
            self.close_now(CloseReason::Idle(limits.idle_timeout));
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) and
    /// [`poll_transmit`](Self::poll_transmit) must run again if nothing comes first.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer(true)
    }

    /// [`poll_timeout`](Self::poll_timeout) without the idle timer, for a driver that
    /// keeps that one elsewhere: a blocking read with a timeout arms a kernel timer each
    /// time, so the thread driver waits without one between frames.
    pub(crate) fn poll_timeout_but_idle(&self) -> Option<Instant> {
        self.next_timer(false)
    }

    /// The time the idle timeout runs from: the last request, or the opening.
    pub(crate) fn idle_since(&self) -> Instant {
        self.last_request.unwrap_or(self.opened)
    }

    fn next_timer(&self, idle: bool) -> Option<Instant> {
        let write = self
            .stalled_since
            .map(|t| later(t, self.limits.write_timeout));
        match self.close {
            // Sending what is queued before closing: a held answer, a stalled client.
            Some(Closing { flush: true, .. }) => {
                return write.into_iter().chain(self.out.held_until()).min();
            }
            Some(_) => return None,
            None => {}
        }
        let frame = self
            .partial_since
            .map(|t| later(t, self.limits.frame_timeout));
        let idle = idle.then(|| later(self.idle_since(), self.limits.idle_timeout));
        // Frames are cut only while nothing waits to be sent.
        let silence = if self.out.is_empty() {
            self.framer.poll_timeout()
        } else {
            None
        };
        [write, frame, idle, self.out.held_until(), silence]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- output ----

    /// The responses ready to send at `now`, if any: when nothing waits to be sent, the
    /// requests buffered are answered first, as many as the output has room for.
    #[inline]
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<&[u8]> {
        if self.close.is_some_and(|c| !c.flush) {
            return None;
        }
        if self.out.is_empty() {
            self.process(now);
        }
        let ready = self.out.ready(now);
        (!ready.is_empty()).then_some(ready)
    }

    /// The responses released and not sent yet, without answering more requests.
    pub(crate) fn unsent(&self) -> &[u8] {
        self.out.unsent()
    }

    /// The transport took the first `n` bytes [`poll_transmit`](Self::poll_transmit)
    /// gave. Any progress stops the write timeout.
    pub(crate) fn transmitted(&mut self, n: usize) {
        self.out.sent(n);
        if n > 0 || self.out.is_empty() {
            self.stalled_since = None;
        }
    }

    /// The transport could not take what it was given, or holds bytes it has not sent,
    /// since `now` (or earlier): the write timeout runs from the first such call until
    /// [`transmitted`](Self::transmitted) reports progress.
    pub(crate) fn stalled(&mut self, now: Instant) {
        self.stalled_since.get_or_insert(now);
    }

    // ---- closing ----

    /// Why the connection is closed, once it is: at once for a timeout or the client's
    /// close, after the queued responses are sent for a fault in the stream.
    pub(crate) fn poll_close(&self) -> Option<CloseReason> {
        let closing = self.close?;
        (!closing.flush || self.out.is_empty()).then_some(closing.reason)
    }

    /// Why the connection is closing, even if responses are still to be sent: the reason
    /// a driver gives when sending them fails.
    pub(crate) fn closing(&self) -> Option<CloseReason> {
        self.close.map(|c| c.reason)
    }

    fn close_now(&mut self, reason: CloseReason) {
        self.close = Some(Closing {
            reason,
            flush: false,
        });
        self.out.clear();
        self.stalled_since = None;
    }

    /// When the bytes that completed the last request came, if one came.
    pub(crate) fn last_request(&self) -> Option<Instant> {
        self.last_request
    }

    // ---- answering ----

    /// Answers the whole frames buffered at `now`, in order, while the output has room
    /// and no answer is held back.
    #[inline]
    fn process(&mut self, now: Instant) {
        if self.close.is_some() {
            return;
        }
        let mut took = false;
        // Whether it stopped for want of a whole frame (rather than of room).
        let mut drained = false;
        while self.out.held_until().is_none() {
            let Some(slot) = self.out.slot(self.room) else {
                break;
            };
            if self.framing == Framing::Ascii {
                // FC08/03 may have changed it, for the frames after its own.
                self.framer.set_ascii_end(self.service.ascii_end());
            }
            let frame = match self.framer.poll(now) {
                Ok(Some(Framed::Frame(frame))) => frame,
                Ok(Some(Framed::Skipped(why))) => {
                    took |= matches!(why, Skipped::Foreign { .. });
                    self.service.observe(Observed::Skipped(&why));
                    continue;
                }
                Ok(None) => {
                    drained = true;
                    break;
                }
                Err(fault) => {
                    // The frames before it were answered: they are sent first.
                    self.close = Some(Closing {
                        reason: CloseReason::Fault(fault),
                        flush: true,
                    });
                    break;
                }
            };
            took = true;
            self.service.observe(Observed::Message { unit: frame.unit });
            let request = Incoming {
                transaction_id: frame.transaction_id,
                unit: frame.unit,
                pdu: frame.pdu,
                at: now,
            };
            let head = if request.transaction_id.is_some() {
                HEADER_LEN
            } else {
                1
            };
            let (len, at, how) = match self.service.respond(&request, &mut slot[head..]) {
                Answer::Pdu(len) => (len, None, None),
                Answer::Later { len, at } => (len, Some(at), None),
                Answer::Misframed { len, how } => (len, None, Some(how)),
                Answer::Nothing(why) => {
                    self.service.observe(Observed::Unanswered(why));
                    continue;
                }
                Answer::Close => {
                    self.close = Some(Closing {
                        reason: CloseReason::Service,
                        flush: true,
                    });
                    break;
                }
            };
            // Read before framing: an ASCII frame rewrites the slot as hex digits.
            let exception = match slot.get(head..head + 2) {
                Some(&[function, code]) if how != Some(Misframe::Raw) && function & 0x80 != 0 => {
                    Some(code)
                }
                _ => None,
            };
            let Some(n) = frame_response(self.framing, slot, &request, len, how) else {
                self.service
                    .observe(Observed::Unanswered(NoAnswer::TooLong));
                continue;
            };
            self.service.observe(Observed::Answered { exception });
            let turnaround = self.turnaround.map(|gap| later(self.last_input, gap));
            let release = at.max(turnaround).filter(|&t| t > now);
            match how {
                Some(Misframe::Trickle(pace)) => {
                    self.out.commit_paced(n, release.unwrap_or(now), pace);
                }
                _ => self.out.commit(n, release),
            }
        }
        if took {
            self.last_request = Some(self.last_input);
        }
        self.partial_since = match self.partial_since {
            // Whole frames wait for room: the client is not slow.
            _ if !drained || self.framer.buffered() == 0 => None,
            Some(since) if !took => Some(since),
            _ => Some(self.last_input),
        };
    }
}

/// Frames the response PDU written after the header's room in `slot` (`len` bytes) for
/// `request`: the MBAP header with its transaction and unit ids, the RTU address and
/// CRC, or the ASCII form (address, LRC, hex digits, CR LF); or, for a fault the service
/// was told to make, framed wrong as `how` says. Returns the frame's length. This is
/// where a response's bytes are made.
fn frame_response(
    framing: Framing,
    slot: &mut [u8],
    request: &Incoming<'_>,
    len: usize,
    how: Option<Misframe>,
) -> Option<usize> {
    let (mut tid, mut unit) = (request.transaction_id, request.unit);
    match how {
        Some(Misframe::Raw) => {
            let head = if tid.is_some() { HEADER_LEN } else { 1 };
            slot.get(head..head.checked_add(len)?)?;
            slot.copy_within(head..head + len, 0);
            return Some(len);
        }
        Some(Misframe::TransactionId(other)) => tid = tid.map(|_| other),
        Some(Misframe::Unit(other)) => unit = other,
        Some(Misframe::BadCheck | Misframe::Trickle(_)) | None => {}
    }
    let n = match (tid, framing) {
        (Some(tid), _) => tcp::encode_header(slot, tid, unit, len)
            .ok()
            .map(|header| header + len)?,
        (None, Framing::Ascii) => ascii::finish_frame(slot, unit, len).ok()?,
        (None, _) => rtu::finish_frame(slot, unit, len).ok()?,
    };
    if how == Some(Misframe::BadCheck) && tid.is_none() {
        match framing {
            // The LRC's two hex digits, before CR LF: each nibble inverted.
            Framing::Ascii => {
                for c in slot.get_mut(n.checked_sub(4)?..n - 2)? {
                    let nibble = char::from(*c).to_digit(16)?;
                    *c = b"0123456789ABCDEF"[(nibble ^ 0xF) as usize];
                }
            }
            _ => {
                for b in slot.get_mut(n.checked_sub(2)?..n)? {
                    *b ^= 0xFF;
                }
            }
        }
    }
    Some(n)
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
