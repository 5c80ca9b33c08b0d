//! What the engine does with the bytes the slave sends.

use std::time::{Duration, Instant};

use super::{Engine, Framing, InFlight, Op};
use crate::master::status::{Fault, Operation};
use crate::master::sync::apply_read;
use crate::protocol::rtu_framer::Framed;
use crate::protocol::{Response, tcp};

impl Engine {
    /// Bytes arrived from the slave at `now` (none: only time passed, for RTU silences).
    pub(crate) fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        match self.cfg.framing {
            Framing::Tcp => self.split_tcp(now, bytes),
            Framing::Rtu(t) => self.split_rtu(now, bytes, t.silence()),
        }
    }

    fn split_tcp(&mut self, now: Instant, bytes: &[u8]) {
        self.rx.extend_from_slice(bytes);
        let rx = std::mem::take(&mut self.rx);
        let mut used = 0;
        while used < rx.len() {
            match tcp::split_frame(&rx[used..]) {
                Ok(Some((frame, n))) => {
                    used += n;
                    self.on_response(
                        now,
                        Some(frame.header.transaction_id),
                        frame.header.unit_id,
                        frame.pdu,
                    );
                }
                Ok(None) => break,
                Err(e) => {
                    used = rx.len();
                    self.request_reconnect(format!(
                        "the slave sent a malformed frame: {e}: is this a Modbus/TCP server \
                         (and not, say, a web server, or a serial converter speaking RTU, \
                         which needs --rtu-over-tcp)?"
                    ));
                }
            }
        }
        let mut rx = rx;
        rx.drain(..used.min(rx.len()));
        self.rx = rx;
    }

    fn split_rtu(&mut self, now: Instant, bytes: &[u8], silence: Duration) {
        let Some(mut framer) = self.framer.take() else {
            return;
        };
        if !bytes.is_empty() {
            // Whatever is on the line, answer or noise, the next frame waits for silence.
            self.bus_free_at = Some(
                self.bus_free_at
                    .map_or(now, |t| t.max(now))
                    .max(now + silence),
            );
        }
        framer.push(now, bytes);
        while let Some(framed) = framer.poll(now) {
            match framed {
                Framed::Frame(frame) => self.on_response(now, None, frame.address, frame.pdu),
                Framed::Discarded(why) => {
                    // Noise or a corrupted answer: the request in flight has failed.
                    self.bus_free_at = Some(now + silence);
                    if let Some(f) = self.in_flight.pop_front() {
                        self.fail(now, f, Fault::BadResponse(why.to_string()));
                    } else {
                        tracing::debug!(%why, "RTU: noise on the line");
                    }
                }
            }
        }
        self.framer = Some(framer);
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
