//! What the engine does with the bytes the slave sends.

use std::time::{Duration, Instant};

use super::{Engine, Framing, InFlight, Op};
use crate::master::core::status::{Fault, Operation};
use crate::master::core::sync::apply_read;
use crate::protocol::Response;
use crate::protocol::stream::{Framed, Skipped, StreamError, StreamFramer};
use crate::protocol::tcp::FrameError;

impl Engine {
    /// Bytes arrived from the slave at `now` (none: only time passed, for RTU silences).
    pub(crate) fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        let Some(mut framer) = self.framer.take() else {
            return;
        };
        let rtu = match self.cfg.framing {
            Framing::Rtu(t) => Some(t.silence()),
            Framing::Tcp => None,
        };
        if let Some(silence) = rtu
            && !bytes.is_empty()
        {
            // Whatever is on the line, answer or noise, the next frame waits for silence.
            self.bus_free_at = Some(
                self.bus_free_at
                    .map_or(now, |t| t.max(now))
                    .max(now + silence),
            );
        }
        let mut rest = bytes;
        loop {
            let taken = framer.push(now, rest);
            rest = rest.get(taken..).unwrap_or_default();
            if !self.split(now, &mut framer, rtu) {
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
    }

    /// Handles every frame buffered; false once the stream can't go on (a reconnection
    /// was requested).
    fn split(&mut self, now: Instant, framer: &mut StreamFramer, rtu: Option<Duration>) -> bool {
        loop {
            let framed = match framer.poll(now) {
                Ok(Some(framed)) => framed,
                Ok(None) => return true,
                // The frame error alone: the message already says "malformed frame".
                Err(StreamError::Frame(e)) => {
                    self.malformed(&e);
                    return false;
                }
                Err(e) => {
                    self.malformed(&e);
                    return false;
                }
            };
            match framed {
                Framed::Frame(frame) => {
                    self.on_response(now, frame.transaction_id, frame.unit, frame.pdu);
                }
                Framed::Skipped(Skipped::Foreign {
                    transaction_id,
                    protocol_id,
                    len,
                }) => {
                    // From a slave, a frame of another protocol means a wrong peer.
                    self.malformed(&FrameError::ProtocolId {
                        transaction_id,
                        protocol_id,
                        frame_len: len,
                    });
                    return false;
                }
                Framed::Skipped(Skipped::Rtu(why)) => {
                    // Noise or a corrupted answer: the request in flight has failed.
                    if let Some(silence) = rtu {
                        self.bus_free_at = Some(now + silence);
                    }
                    if let Some(f) = self.in_flight.pop_front() {
                        self.fail(now, f, Fault::BadResponse(why.to_string()));
                    } else {
                        tracing::debug!(%why, "RTU: noise on the line");
                    }
                }
            }
        }
    }

    fn malformed(&mut self, e: &dyn std::fmt::Display) {
        self.request_reconnect(format!(
            "the slave sent a malformed frame: {e}: is this a Modbus/TCP server \
             (and not, say, a web server, or a serial converter speaking RTU, \
             which needs --rtu-over-tcp)?"
        ));
    }

    fn on_response(&mut self, now: Instant, tid: Option<u16>, unit_id: u8, pdu: &[u8]) {
        let pos = match tid {
            Some(tid) => self.in_flight.iter().position(|f| f.tid == tid),
            None => self
                .in_flight
                .front()
                .filter(|f| self.units[f.unit].id == unit_id)
                .map(|_| 0),
        };
        let in_flight_before = self.in_flight.len();
        let Some(f) = pos.and_then(|p| self.in_flight.remove(p)) else {
            tracing::debug!(
                ?tid,
                unit_id,
                "dropping a response that answers no request in flight"
            );
            return;
        };
        self.consecutive_timeouts = 0;
        self.responses_on_connection += 1;
        if let Framing::Rtu(t) = self.cfg.framing {
            self.bus_free_at = Some(now + t.silence());
        }
        let expected = self.units[f.unit].id;
        if unit_id != expected {
            // Another unit's answer is never applied, never a confirmation.
            let fault = Fault::WrongUnit {
                expected,
                found: unit_id,
            };
            return self.fail(now, f, fault);
        }
        self.widen(in_flight_before, f.beside);
        let checked = Response::decode(pdu)
            .map_err(|e| e.to_string())
            .and_then(|r| match f.sent.request() {
                Some(req) => r.check_answers(&req).map(|()| r).map_err(|e| e.to_string()),
                None => Ok(r),
            });
        match checked {
            Err(e) => self.fail(now, f, Fault::BadResponse(e)),
            Ok(Response::Exception { code, .. }) => self.fail(now, f, Fault::Exception { code }),
            Ok(response) => self.complete(now, f, response),
        }
    }

    fn complete(&mut self, now: Instant, f: InFlight, response: Response<'_>) {
        match &f.op {
            Op::Read { block, ticket } => {
                // check_answers made sure of the function and the quantity.
                let data = match response {
                    Response::ReadHoldingRegisters(r) | Response::ReadInputRegisters(r) => {
                        r.as_bytes()
                    }
                    Response::ReadCoils(b) | Response::ReadDiscreteInputs(b) => b.as_bytes(),
                    other => {
                        let fault = Fault::BadResponse(format!("not a read answer: {other:?}"));
                        return self.fail(now, f, fault);
                    }
                };
                let (block, unit) = (*block, f.unit);
                let u = &self.units[unit];
                apply_read(&mut u.mem.lock(), block, data, ticket, u.peer, now);
                self.clear_error(unit, Operation::Read, block);
                self.read_finished(now);
            }
            Op::Write { ticket } => {
                self.status.writes_confirmed += 1;
                let (block, unit) = (ticket.block, f.unit);
                let u = &mut self.units[unit];
                u.write_backoff.succeeded();
                u.mem
                    .lock()
                    .write_confirmed(block.area, block.index, block.count, ticket.sent_at);
                self.forget_refusals(unit, block);
                self.clear_error(unit, Operation::Write, block);
                self.check_flushes();
            }
        }
    }
}
