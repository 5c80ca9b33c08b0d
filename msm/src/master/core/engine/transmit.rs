//! What the engine sends: local writes first, then the cycle's reads.

use std::time::Instant;

use super::config::{Framing, ascii_chars};
use super::in_flight::{Op, Sent, SentPdu, may_resend};
use super::one_off::Queued;
use super::timers::Timer;
use super::{Engine, ReadTicket};
use crate::master::core::planner::Block;
use crate::master::core::status::{Fault, Operation};
use crate::master::core::sync::{WriteTicket, begin_read};
use crate::memory::Area;
use crate::protocol::{Bits, EncodeError, Registers, Request, ViewError, ascii, rtu, tcp};
use crate::time::later;

impl Engine {
    /// The next frame to send, written into `buf` (at least 260 bytes; 513 for ASCII);
    /// its length. `None` when nothing may be sent now: not connected, as many requests
    /// in flight as allowed, the serial line not yet silent long enough, or nothing to
    /// do. Over UDP, a request whose answer did not come goes again first.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.link.may_send() || self.timers.is_pending(Timer::BusFree, now) {
            return None;
        }
        if let Some(n) = self.resend(now, buf) {
            return Some(n);
        }
        if self.in_flight.len() >= self.depth.depth() {
            return None;
        }
        let sent = self.transmit(now, buf);
        self.refresh_status();
        sent
    }

    /// UDP: the first request waiting to go again, framed as it was the first time (its
    /// transaction id too), with a new deadline.
    fn resend(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let deadline = later(now, self.cfg.response_timeout);
        let f = self.in_flight.next_resend()?;
        f.resend = false;
        f.deadline = deadline;
        let tid = f.tid;
        // A frame that fitted the first time fits again; if not, it simply expires.
        let n = mbap_frame(buf, tid, f.unit_id, f.pdu.bytes())?;
        self.status.requests_resent += 1;
        tracing::debug!(peer = %self.cfg.peer, tid, "no answer in time: sent again");
        Some(n)
    }

    fn transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        // A program asking a one-off request waits for it: it goes before the cycle's.
        while let Some(request) = self.one_offs.pop() {
            if let Some(n) = self.send_one_off(now, request, buf) {
                return Some(n);
            }
        }
        // A cycle flushes the writes made before it, then reads; writes made during the
        // cycle alternate with its reads, so a program writing all the time cannot starve it.
        let reads_first = self.writes.last_was_write() && self.has_read() && !self.flushing();
        if reads_first && let Some(n) = self.transmit_read(now, buf) {
            self.writes.sent(false);
            return Some(n);
        }
        if let Some(n) = self.transmit_write(now, buf) {
            self.writes.sent(true);
            return Some(n);
        }
        let n = self.transmit_read(now, buf)?;
        self.writes.sent(false);
        Some(n)
    }

    fn transmit_write(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        for u in self.writes.order() {
            if !self.writes.ready(u, now) {
                continue; // pausing after a fault, or reads go first; reads go on
            }
            let mut data = [0u8; 256];
            if let Some(ticket) = self.units[u].take_write(&mut data) {
                self.writes.took_from(u);
                return self.send_write(now, u, ticket, &data, buf);
            }
        }
        None
    }

    fn send_write(
        &mut self,
        now: Instant,
        u: usize,
        ticket: WriteTicket,
        data: &[u8],
        buf: &mut [u8],
    ) -> Option<usize> {
        let address = self.units[u].address(ticket.block);
        let single = ticket.block.count == 1 && !self.cfg.force_multiple_writes;
        let encoded = write_request(&ticket, address, data, single)
            .map_err(|e| e.to_string())
            .and_then(|req| self.encode(u, &req, buf).map_err(|e| e.to_string()));
        let (len, tid, pdu) = match encoded {
            Ok(x) => x,
            Err(e) => {
                // Unreachable for blocks within the protocol limits; reported, never a panic.
                let fault = Fault::BadResponse(format!("cannot encode the write: {e}"));
                self.record_error(u, Operation::Write, ticket.block, fault);
                return None;
            }
        };
        if self.units[u].is_broadcast() {
            // No answer comes to a broadcast: it counts as sent; the line is given time.
            if let Some(t) = self.cfg.framing.line() {
                let free = later(now + t.transmit_time(len), t.broadcast_delay);
                self.timers.set(Timer::BusFree, free);
            }
            self.status.writes_confirmed += 1;
            self.check_flushes();
            return Some(len);
        }
        let unit_id = self.units[u].id;
        self.push_in_flight(now, len, tid, pdu, (u, unit_id), Op::Write { ticket });
        Some(len)
    }

    /// Frames a one-off request; one that expects no answer is answered as sent.
    fn send_one_off(&mut self, now: Instant, q: Queued, buf: &mut [u8]) -> Option<usize> {
        let framed = Request::decode(&q.pdu)
            .map_err(|e| e.to_string())
            .and_then(|req| self.encode_to(q.unit, &req, buf).map_err(|e| e.to_string()));
        let (len, tid, pdu) = match framed {
            Ok(x) => x,
            Err(e) => {
                let function = q.pdu.first().copied().unwrap_or(0);
                let fault = Fault::BadResponse(format!("cannot frame the request: {e}"));
                self.one_offs.failed(q.id, q.unit, function, fault);
                return None;
            }
        };
        if !q.answered {
            if let Some(t) = self.cfg.framing.line() {
                let free = later(now + t.transmit_time(len), t.broadcast_delay);
                self.timers.set(Timer::BusFree, free);
            }
            self.one_offs.answered(q.id, &[]);
            return Some(len);
        }
        // Not one of the units synced, perhaps: the index only matters to reads and writes.
        let u = self.units.iter().position(|u| u.id == q.unit).unwrap_or(0);
        self.push_in_flight(now, len, tid, pdu, (u, q.unit), Op::OneOff { id: q.id });
        Some(len)
    }

    fn transmit_read(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let (u, block) = self.cycle.as_mut()?.take_read(&self.units)?;
        let address = self.units[u].address(block);
        let quantity = block.count as u16;
        let req = match block.area {
            Area::Coil => Request::ReadCoils { address, quantity },
            Area::Discrete => Request::ReadDiscreteInputs { address, quantity },
            Area::Input => Request::ReadInputRegisters { address, quantity },
            Area::Holding => Request::ReadHoldingRegisters { address, quantity },
        };
        let ticket = self.read_ticket(u, block);
        match self.encode(u, &req, buf) {
            Ok((len, tid, pdu)) => {
                let unit_id = self.units[u].id;
                let op = Op::Read { block, ticket };
                self.push_in_flight(now, len, tid, pdu, (u, unit_id), op);
                Some(len)
            }
            Err(e) => {
                let fault = Fault::BadResponse(format!("cannot encode the read: {e}"));
                self.record_error(u, Operation::Read, block, fault);
                self.read_finished(now);
                None
            }
        }
    }

    /// What a read of `block` remembers: the items dirty now, and the items of writes
    /// still in flight, which keep their local value if those writes fail.
    fn read_ticket(&self, u: usize, block: Block) -> ReadTicket {
        let mut ticket = begin_read(&self.units[u].mem.lock(), block);
        for w in self.in_flight.writes_to(u) {
            if w.block.overlaps(&block) {
                let from = w.block.index.max(block.index);
                let to = (w.block.index + w.block.count).min(block.index + block.count);
                ticket.protect(from - block.index, to - from);
            }
        }
        ticket
    }

    /// Records a request sent as a `len`-byte frame carrying `pdu` to `(unit index,
    /// unit id)`, to match and check its answer.
    fn push_in_flight(
        &mut self,
        now: Instant,
        len: usize,
        tid: u16,
        pdu: SentPdu,
        (unit, unit_id): (usize, u8),
        op: Op,
    ) {
        let left = match self.cfg.framing {
            Framing::Tcp | Framing::Udp => now,
            // The answer cannot start before the request has left the line, and takes its
            // own time to arrive: 290 ms for 125 registers at 9600 baud.
            Framing::Rtu(t) => now + t.transmit_time(len + expected_response_len(&op)),
            Framing::Ascii(t) => {
                now + t.transmit_time(len + ascii_chars(expected_response_len(&op)))
            }
        };
        let retries_left = match self.cfg.framing {
            Framing::Udp if may_resend(pdu.bytes()) => self.cfg.retries,
            _ => 0,
        };
        self.in_flight.push(Sent {
            tid,
            unit,
            unit_id,
            seq: self.link.sending(!op.is_read()),
            pdu,
            beside: false, // set by `push`
            deadline: later(left, self.cfg.response_timeout),
            op,
            retries_left,
            resend: false,
        });
    }

    /// Frames `req` for unit `u` into `buf`: the frame's length, its transaction id, and
    /// the PDU as sent (to check the answer against, `protocol::check`, and to send it
    /// again).
    fn encode(
        &mut self,
        u: usize,
        req: &Request<'_>,
        buf: &mut [u8],
    ) -> Result<(usize, u16, SentPdu), EncodeError> {
        self.encode_to(self.units[u].id, req, buf)
    }

    /// [`encode`](Self::encode) for any `unit` (a one-off request's).
    fn encode_to(
        &mut self,
        unit: u8,
        req: &Request<'_>,
        buf: &mut [u8],
    ) -> Result<(usize, u16, SentPdu), EncodeError> {
        let pdu_of = |buf: &[u8], from: usize, len: usize| {
            SentPdu::new(buf.get(from..from + len).unwrap_or_default())
        };
        match self.cfg.framing {
            Framing::Tcp | Framing::Udp => {
                let tid = self.in_flight.allocate_tid();
                let pdu = req.encode(buf.get_mut(tcp::HEADER_LEN..).unwrap_or_default())?;
                tcp::encode_header(buf, tid, unit, pdu)?;
                Ok((
                    tcp::HEADER_LEN + pdu,
                    tid,
                    pdu_of(buf, tcp::HEADER_LEN, pdu),
                ))
            }
            Framing::Rtu(_) => {
                let pdu = req.encode(buf.get_mut(1..).unwrap_or_default())?;
                let sent = pdu_of(buf, 1, pdu);
                Ok((rtu::finish_frame(buf, unit, pdu)?, 0, sent))
            }
            Framing::Ascii(_) => {
                // Kept before the PDU is spread into hex digits in place.
                let pdu = req.encode(buf.get_mut(1..).unwrap_or_default())?;
                let sent = pdu_of(buf, 1, pdu);
                Ok((ascii::finish_frame(buf, unit, pdu)?, 0, sent))
            }
        }
    }
}

/// The request writing `ticket`'s items (`data`, from the memory) at `address`: FC5/FC6
/// for one item when `single`, FC15/FC16 otherwise, FC22 for some bits of a register.
fn write_request<'a>(
    ticket: &WriteTicket,
    address: u16,
    data: &'a [u8],
    single: bool,
) -> Result<Request<'a>, ViewError> {
    let count = ticket.block.count;
    let register = || u16::from_be_bytes([data[0], data[1]]);
    if ticket.is_masked() {
        // Only some bits of the register were written: change just those (FC22).
        return Ok(Request::MaskWriteRegister {
            address,
            and_mask: !ticket.mask,
            or_mask: register() & ticket.mask,
        });
    }
    match (ticket.block.area.is_bits(), single) {
        (true, true) => Ok(Request::WriteSingleCoil {
            address,
            value: data[0] & 1 == 1,
        }),
        (true, false) => Bits::new(&data[..count.div_ceil(8)], count as u16)
            .map(|values| Request::WriteMultipleCoils { address, values }),
        (false, true) => Ok(Request::WriteSingleRegister {
            address,
            value: register(),
        }),
        (false, false) => Registers::new(&data[..count * 2])
            .map(|values| Request::WriteMultipleRegisters { address, values }),
    }
}

/// `pdu` in an MBAP frame in `buf`; the frame's length.
fn mbap_frame(buf: &mut [u8], tid: u16, unit: u8, pdu: &[u8]) -> Option<usize> {
    let header = tcp::encode_header(buf, tid, unit, pdu.len()).ok()?;
    buf.get_mut(header..header + pdu.len())?
        .copy_from_slice(pdu);
    Some(header + pdu.len())
}

/// Bytes of the RTU frame that answers `op` (address + PDU + CRC).
fn expected_response_len(op: &Op) -> usize {
    match op {
        Op::Read { block, .. } if block.area.is_bits() => 5 + block.count.div_ceil(8),
        Op::Read { block, .. } => 5 + 2 * block.count,
        Op::Write { .. } => 8,
        // Anything up to the longest frame.
        Op::OneOff { .. } => rtu::MAX_FRAME_LEN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::WHOLE;

    fn ticket(area: Area, count: usize, mask: u16) -> WriteTicket {
        let block = Block {
            area,
            index: 0,
            count,
        };
        WriteTicket {
            block,
            sent_at: 1,
            oldest: 1,
            mask,
        }
    }

    #[test]
    fn one_item_goes_with_a_single_write_unless_told_otherwise() {
        let data = [0x12, 0x34, 0, 0];
        let one = ticket(Area::Holding, 1, WHOLE);
        assert_eq!(
            write_request(&one, 7, &data, true),
            Ok(Request::WriteSingleRegister {
                address: 7,
                value: 0x1234
            })
        );
        assert!(matches!(
            write_request(&one, 7, &data, false),
            Ok(Request::WriteMultipleRegisters { address: 7, .. })
        ));
        let coil = ticket(Area::Coil, 1, WHOLE);
        assert_eq!(
            write_request(&coil, 3, &[1], true),
            Ok(Request::WriteSingleCoil {
                address: 3,
                value: true
            })
        );
        let coils = ticket(Area::Coil, 10, WHOLE);
        assert!(matches!(
            write_request(&coils, 3, &[0xff, 0x03], false),
            Ok(Request::WriteMultipleCoils { address: 3, values }) if values.len() == 10
        ));
    }

    #[test]
    fn some_bits_of_a_register_go_as_a_mask_write_of_those_bits_only() {
        let bits = ticket(Area::Holding, 1, 0x00F0);
        assert_eq!(
            write_request(&bits, 9, &[0xAB, 0xCD], true),
            Ok(Request::MaskWriteRegister {
                address: 9,
                and_mask: 0xFF0F,
                or_mask: 0x00C0
            })
        );
    }

    #[test]
    fn the_rtu_answer_length_allows_for_the_data_read() {
        let block = Block {
            area: Area::Coil,
            index: 0,
            count: 9,
        };
        let ticket = begin_read(&crate::Memory::new(1).lock(), block);
        assert_eq!(
            expected_response_len(&Op::Read {
                block,
                ticket: ticket.clone()
            }),
            7
        );
        let block = Block {
            area: Area::Holding,
            index: 0,
            count: 125,
        };
        assert_eq!(expected_response_len(&Op::Read { block, ticket }), 255);
        let w = ticket_op();
        assert_eq!(expected_response_len(&w), 8);
    }

    fn ticket_op() -> Op {
        Op::Write {
            ticket: ticket(Area::Holding, 1, WHOLE),
        }
    }
}
