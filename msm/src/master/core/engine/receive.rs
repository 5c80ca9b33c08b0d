//! What the engine does with the bytes the slave sends.

use std::time::Instant;

use super::Engine;
use super::config::Framing;
use super::in_flight::Op;
use super::timers::Timer;
use crate::master::core::status::Fault;
use crate::protocol::Response;
use crate::protocol::ascii::AsciiDiscarded;
use crate::protocol::stream::{Framed, Skipped, StreamError, StreamFramer};
use crate::protocol::tcp::FrameError;

impl Engine {
    /// Bytes arrived from the slave at `now` (none: only time passed, for RTU silences).
    /// Over UDP, `bytes` are one datagram: one answer exactly, or dropped whole.
    pub(crate) fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        let Some(mut framer) = self.framer.take() else {
            return;
        };
        if self.cfg.framing == Framing::Udp {
            if !bytes.is_empty() {
                framer.push_datagram(now, bytes);
                self.split(now, &mut framer);
            }
            self.framer = Some(framer);
            self.refresh_status();
            return;
        }
        if let Some(silence) = self.cfg.framing.silence()
            && !bytes.is_empty()
        {
            // Whatever is on the line, answer or noise, the next frame waits for silence.
            self.timers.extend(Timer::BusFree, now + silence);
        }
        let mut rest = bytes;
        loop {
            let taken = framer.push(now, rest);
            rest = rest.get(taken..).unwrap_or_default();
            if !self.split(now, &mut framer) {
                framer.clear();
                break;
            }
            if rest.is_empty() {
                break;
            }
            if taken == 0 {
                // Only a framer never polled to the end is full; it was just polled.
                framer.clear();
            }
        }
        self.framer = Some(framer);
        self.refresh_status();
    }

    /// Handles every frame buffered; false once the stream can't go on (a reconnection
    /// was requested).
    fn split(&mut self, now: Instant, framer: &mut StreamFramer) -> bool {
        loop {
            let framed = match framer.poll(now) {
                Ok(Some(framed)) => framed,
                Ok(None) => return true,
                // The frame error alone: the message already says "malformed frame".
                Err(StreamError::Frame(e)) => {
                    self.malformed(&e, frame_error_tid(&e));
                    return false;
                }
                Err(e) => {
                    self.malformed(&e, None);
                    return false;
                }
            };
            match framed {
                Framed::Frame(frame) => {
                    self.on_response(now, frame.transaction_id, frame.unit, frame.pdu);
                }
                Framed::Skipped(why @ (Skipped::Foreign { .. } | Skipped::Datagram { .. }))
                    if self.cfg.framing == Framing::Udp =>
                {
                    // A datagram is no stream to fall out of step: the request it may
                    // have answered gets its answer again, or is sent again.
                    tracing::debug!(peer = %self.cfg.peer, %why, "datagram dropped");
                }
                Framed::Skipped(why @ Skipped::Ascii(AsciiDiscarded::Noise { .. })) => {
                    // Characters before an answer's ':' (a stray CR LF, a line settling):
                    // the answer may still come.
                    tracing::debug!(peer = %self.cfg.peer, %why, "ASCII: noise on the line");
                }
                Framed::Skipped(Skipped::Foreign {
                    transaction_id,
                    protocol_id,
                    len,
                }) => {
                    // From a slave, a frame of another protocol means a wrong peer.
                    self.malformed(
                        &FrameError::ProtocolId {
                            transaction_id,
                            protocol_id,
                            frame_len: len,
                        },
                        Some(transaction_id),
                    );
                    return false;
                }
                Framed::Skipped(why @ (Skipped::Rtu(_) | Skipped::Ascii(_))) => {
                    // Noise or a corrupted answer: the request in flight has failed.
                    if let Some(silence) = self.cfg.framing.silence() {
                        self.timers.set(Timer::BusFree, now + silence);
                    }
                    if let Some(f) = self.in_flight.pop_oldest() {
                        self.fail(now, f, Fault::BadResponse(why.to_string()));
                    } else {
                        tracing::debug!(%why, "noise on the line");
                    }
                }
                Framed::Skipped(why @ Skipped::Datagram { .. }) => {
                    // Which request it answered can't be told: its own answer may still come.
                    tracing::debug!(%why, "a datagram that is no answer");
                }
            }
        }
    }

    /// `first_bytes`: the frame's first two bytes (its transaction id), when known.
    fn malformed(&mut self, e: &dyn std::fmt::Display, first_bytes: Option<u16>) {
        let reason = if first_bytes.is_some_and(is_tls_record) {
            format!(
                "the slave sent a malformed frame: {e}: its first bytes are a TLS record: \
                 this is a Modbus/TCP Security (TLS) server: connect over TLS \
                 (--tls with --ca, --cert, --key; Master::tls in Rust)"
            )
        } else {
            format!(
                "the slave sent a malformed frame: {e}: is this a Modbus/TCP server \
                 (and not, say, a web server, or a serial converter speaking RTU, \
                 which needs --rtu-over-tcp)?"
            )
        };
        self.link.ask_reconnect(reason);
    }

    fn on_response(&mut self, now: Instant, tid: Option<u16>, unit_id: u8, pdu: &[u8]) {
        let in_flight_before = self.in_flight.len();
        let Some(f) = self.in_flight.take_answered(tid, unit_id) else {
            tracing::debug!(
                ?tid,
                unit_id,
                "dropping a response that answers no request in flight"
            );
            return;
        };
        self.link.answered(f.seq, f.op.is_read());
        if let Some(silence) = self.cfg.framing.silence() {
            self.timers.set(Timer::BusFree, now + silence);
        }
        if unit_id != f.unit_id {
            // Another unit's answer is never applied, never a confirmation.
            let fault = Fault::WrongUnit {
                expected: f.unit_id,
                found: unit_id,
            };
            return self.fail(now, f, fault);
        }
        self.depth.answered(in_flight_before, f.beside);
        let checked = Response::decode(pdu)
            .map_err(|e| e.to_string())
            .and_then(|r| match f.pdu.request() {
                Some(req) => r.check_answers(&req).map(|()| r).map_err(|e| e.to_string()),
                None => Ok(r),
            });
        match checked {
            Err(e) => self.fail(now, f, Fault::BadResponse(e)),
            Ok(Response::Exception { code, .. }) => self.fail(now, f, Fault::Exception { code }),
            // A one-off request's answer goes to the program as it came.
            Ok(_) if matches!(f.op, Op::OneOff { .. }) => {
                if let Op::OneOff { id } = f.op {
                    self.one_offs.answered(id, pdu);
                }
            }
            Ok(response) => self.complete(now, f, response),
        }
    }
}

/// The transaction id a frame error names: its first two bytes.
fn frame_error_tid(e: &FrameError) -> Option<u16> {
    match e {
        FrameError::ProtocolId { transaction_id, .. }
        | FrameError::Length { transaction_id, .. } => Some(*transaction_id),
        _ => None,
    }
}

/// Whether two bytes start a TLS record: a content type (20 change cipher spec, 21 alert,
/// 22 handshake, 23 application data) and the major version 3. A TLS server answers a
/// plaintext request with an alert (or closes).
fn is_tls_record(first_bytes: u16) -> bool {
    let [content_type, major] = first_bytes.to_be_bytes();
    (20..=23).contains(&content_type) && major == 3
}
