//! What the engine sends: local writes first, then the cycle's reads.

use std::time::Instant;

use super::{Engine, Framing, InFlight, Op, SentPdu};
use crate::master::core::status::{Fault, Operation};
use crate::master::core::sync::{WriteTicket, begin_read, take_dirty};
use crate::memory::Area;
use crate::protocol::{Bits, EncodeError, Registers, Request, rtu, tcp};
use crate::time::later;

impl Engine {
    /// The next frame to send, written into `buf` (at least 260 bytes); its length.
    /// `None` when nothing may be sent now: not connected, as many requests in flight as
    /// allowed, the serial line not yet silent long enough, or nothing to do.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.connected || self.reconnect_requested || self.in_flight.len() >= self.depth {
            return None;
        }
        if self.bus_free_at.is_some_and(|t| t > now) {
            return None;
        }
        // A cycle flushes the writes made before it, then reads; writes made during the
        // cycle alternate with its reads, so a program writing all the time cannot starve it.
        let reads_first = self.last_was_write && self.peek_read().is_some() && !self.flushing();
        if reads_first && let Some(n) = self.transmit_read(now, buf) {
            self.last_was_write = false;
            return Some(n);
        }
        if let Some(n) = self.transmit_write(now, buf) {
            self.last_was_write = true;
            return Some(n);
        }
        let n = self.transmit_read(now, buf)?;
        self.last_was_write = false;
        Some(n)
    }

    fn transmit_write(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let units = self.units.len();
        for k in 0..units {
            let u = (self.next_writer + k) % units;
            let unit = &self.units[u];
            if !unit.write_backoff.ready(now) {
                continue; // pausing after a transient fault; reads go on
            }
            let mut data = [0u8; 256];
            let ticket = {
                let mut st = unit.mem.lock();
                [Area::Coil, Area::Holding]
                    .into_iter()
                    .find_map(|area| take_dirty(&mut st, area, &mut data, unit.mask_writes))
            };
            if let Some(ticket) = ticket {
                self.next_writer = (u + 1) % units;
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
        let block = ticket.block;
        let address = self.units[u].address(block);
        let count = block.count;
        let single = count == 1 && !self.cfg.force_multiple_writes;
        let built = if ticket.is_masked() {
            // Only some bits of the register were written: change just those (FC22).
            let value = u16::from_be_bytes([data[0], data[1]]);
            Ok(Request::MaskWriteRegister {
                address,
                and_mask: !ticket.mask,
                or_mask: value & ticket.mask,
            })
        } else {
            match (block.area.is_bits(), single) {
                (true, true) => Ok(Request::WriteSingleCoil {
                    address,
                    value: data[0] & 1 == 1,
                }),
                (true, false) => Bits::new(&data[..count.div_ceil(8)], count as u16)
                    .map(|values| Request::WriteMultipleCoils { address, values }),
                (false, true) => Ok(Request::WriteSingleRegister {
                    address,
                    value: u16::from_be_bytes([data[0], data[1]]),
                }),
                (false, false) => Registers::new(&data[..count * 2])
                    .map(|values| Request::WriteMultipleRegisters { address, values }),
            }
        };
        let encoded = built
            .map_err(|e| e.to_string())
            .and_then(|req| self.encode(u, &req, buf).map_err(|e| e.to_string()));
        let (len, tid) = match encoded {
            Ok(x) => x,
            Err(e) => {
                // Unreachable for blocks within the protocol limits; reported, never a panic.
                self.record_error(
                    u,
                    Operation::Write,
                    block,
                    Fault::BadResponse(format!("cannot encode the write: {e}")),
                );
                return None;
            }
        };
        if self.is_broadcast(u) {
            // No answer comes to a broadcast: it counts as sent; the line is given time.
            if let Framing::Rtu(t) = self.cfg.framing {
                self.bus_free_at = Some(later(now + t.transmit_time(len), t.broadcast_delay));
            }
            self.status.writes_confirmed += 1;
            self.check_flushes();
            return Some(len);
        }
        self.push_in_flight(now, &buf[..len], tid, u, Op::Write { ticket });
        Some(len)
    }

    fn transmit_read(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let (u, block) = self.next_read_block()?;
        let address = self.units[u].address(block);
        let quantity = block.count as u16;
        let req = match block.area {
            Area::Coil => Request::ReadCoils { address, quantity },
            Area::Discrete => Request::ReadDiscreteInputs { address, quantity },
            Area::Input => Request::ReadInputRegisters { address, quantity },
            Area::Holding => Request::ReadHoldingRegisters { address, quantity },
        };
        let mut ticket = begin_read(&self.units[u].mem.lock(), block);
        // Items of writes still in flight keep their local value if those writes fail.
        for f in &self.in_flight {
            if let Op::Write { ticket: w, .. } = &f.op
                && f.unit == u
                && w.block.area == block.area
            {
                let (a0, a1) = (w.block.index, w.block.index + w.block.count);
                let (b0, b1) = (block.index, block.index + block.count);
                if a0 < b1 && b0 < a1 {
                    let from = a0.max(b0);
                    ticket.protect(from - b0, a1.min(b1) - from);
                }
            }
        }
        match self.encode(u, &req, buf) {
            Ok((len, tid)) => {
                self.push_in_flight(now, &buf[..len], tid, u, Op::Read { block, ticket });
                Some(len)
            }
            Err(e) => {
                self.record_error(
                    u,
                    Operation::Read,
                    block,
                    Fault::BadResponse(format!("cannot encode the read: {e}")),
                );
                self.read_finished(now);
                None
            }
        }
    }

    /// Records a request sent as `frame`, to match and check its answer.
    fn push_in_flight(&mut self, now: Instant, frame: &[u8], tid: u16, unit: usize, op: Op) {
        let len = frame.len();
        // The PDU, kept to check the answer against (protocol::check).
        let pdu = match self.cfg.framing {
            Framing::Tcp => frame.get(tcp::HEADER_LEN..),
            Framing::Rtu(_) => frame.get(1..len.saturating_sub(2)),
        }
        .unwrap_or_default();
        let mut sent = SentPdu::default();
        sent.keep(pdu);
        let left = match self.cfg.framing {
            Framing::Tcp => now,
            // The answer cannot start before the request has left the line, and takes its
            // own time to arrive: 290 ms for 125 registers at 9600 baud.
            Framing::Rtu(t) => now + t.transmit_time(len + expected_response_len(&op)),
        };
        let beside = !self.in_flight.is_empty();
        self.in_flight.push_back(InFlight {
            tid,
            unit,
            sent,
            beside,
            deadline: later(left, self.cfg.response_timeout),
            op,
        });
    }

    /// Frames `req` for unit `u` into `buf`: the frame's length and its transaction id.
    fn encode(
        &mut self,
        u: usize,
        req: &Request<'_>,
        buf: &mut [u8],
    ) -> Result<(usize, u16), EncodeError> {
        let unit = self.units[u].id;
        match self.cfg.framing {
            Framing::Tcp => {
                let tid = self.allocate_tid();
                let pdu = req.encode(buf.get_mut(tcp::HEADER_LEN..).unwrap_or_default())?;
                tcp::encode_header(buf, tid, unit, pdu)?;
                Ok((tcp::HEADER_LEN + pdu, tid))
            }
            Framing::Rtu(_) => {
                let pdu = req.encode(buf.get_mut(1..).unwrap_or_default())?;
                Ok((rtu::finish_frame(buf, unit, pdu)?, 0))
            }
        }
    }

    /// The next transaction id not in flight.
    fn allocate_tid(&mut self) -> u16 {
        loop {
            let tid = self.next_tid;
            self.next_tid = self.next_tid.wrapping_add(1);
            if !self.in_flight.iter().any(|f| f.tid == tid) {
                return tid;
            }
        }
    }
}

/// Bytes of the RTU frame that answers `op` (address + PDU + CRC).
fn expected_response_len(op: &Op) -> usize {
    match op {
        Op::Read { block, .. } if block.area.is_bits() => 5 + block.count.div_ceil(8),
        Op::Read { block, .. } => 5 + 2 * block.count,
        Op::Write { .. } => 8,
    }
}
