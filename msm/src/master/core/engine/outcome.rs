//! What the end of a request means: a read applied or failed, a write confirmed,
//! refused, or lost and sent again.

use std::time::Instant;

use super::Engine;
use super::in_flight::{Op, Sent};
use super::one_off::Queued;
use crate::master::core::planner::Block;
use crate::master::core::status::{BlockError, Fault, Operation};
use crate::master::core::sync::{WriteTicket, apply_read, unsent_since, write_lost};
use crate::protocol::{ExceptionCode, Response};

impl Engine {
    /// A request ended without a usable answer.
    pub(super) fn fail(&mut self, now: Instant, f: Sent, fault: Fault) {
        match f.op {
            Op::Read { block, .. } => self.read_failed(now, f.unit, block, fault),
            Op::Write { ticket } => self.write_failed(now, f.unit, &ticket, fault),
            Op::OneOff { id } => {
                let function = f.pdu.bytes().first().copied().unwrap_or(0);
                self.one_offs.failed(id, f.unit_id, function, fault);
            }
        }
    }

    fn read_failed(&mut self, now: Instant, unit: usize, block: Block, fault: Fault) {
        let lost = matches!(fault, Fault::Disconnected(_));
        let e = self.record_error(unit, Operation::Read, block, fault);
        if !lost {
            // The items' quality: bad, with the reason (a lost connection makes them
            // stale instead, in set_stale).
            self.units[unit].read_failed(block, &e);
        }
        if let Some(c) = self.cycle.as_mut() {
            c.failed(e);
        }
        self.read_finished(now);
    }

    fn write_failed(&mut self, now: Instant, unit: usize, ticket: &WriteTicket, fault: Fault) {
        let illegal_function = Fault::Exception {
            code: ExceptionCode::IllegalFunction,
        };
        if ticket.is_masked() && fault == illegal_function {
            // No mask writes here: the bits go again, in their whole register.
            tracing::info!(peer = %self.cfg.peer, unit = self.units[unit].id,
                "the slave refused a mask write (FC22); writing bits and bytes with their whole register from now on");
            self.units[unit].stop_mask_writes();
            self.status.mask_writes = false;
            write_lost(&mut self.units[unit].mem.lock(), ticket);
        } else if !fault.is_transient() {
            // The slave refused: not retried; the next read brings its value back.
            self.status.writes_refused += 1;
            let e = self.record_error(unit, Operation::Write, ticket.block, fault);
            let b = ticket.block;
            let mut st = self.units[unit].mem.lock();
            st.write_refused(b.area, b.index, b.count, &e);
            drop(st);
            self.waiters.write_refused(unit, b, ticket.oldest, &e);
        } else {
            // Lost or garbled: sent again, after a pause that grows while the faults go
            // on (a lost connection: after reconnecting, see `WritePacing`).
            write_lost(&mut self.units[unit].mem.lock(), ticket);
            if matches!(fault, Fault::Disconnected(_)) {
                self.writes.lost_with_link(unit);
            } else {
                self.writes.failed(unit, now);
                self.status.writes_retried += 1;
            }
            self.record_error(unit, Operation::Write, ticket.block, fault);
        }
        self.check_flushes();
    }

    /// A request answered usably.
    pub(super) fn complete(&mut self, now: Instant, f: Sent, response: Response<'_>) {
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
                let u = &self.units[f.unit];
                apply_read(&mut u.mem.lock(), *block, data, ticket, u.peer, now);
                self.clear_error(f.unit, Operation::Read, *block);
                self.read_finished(now);
            }
            Op::OneOff { id } => self.one_offs.answered(*id, &[]),
            Op::Write { ticket } => {
                self.status.writes_confirmed += 1;
                let (block, unit) = (ticket.block, f.unit);
                self.writes.confirmed(unit);
                self.units[unit].mem.lock().write_confirmed(
                    block.area,
                    block.index,
                    block.count,
                    ticket.sent_at,
                );
                self.waiters.write_confirmed(unit, block);
                self.clear_error(unit, Operation::Write, block);
                self.check_flushes();
            }
        }
    }

    /// Sends a request that was lost beside another again: a read inside the running
    /// cycle, a write with the next ones.
    pub(super) fn retry(&mut self, f: Sent) {
        match f.op {
            Op::Read { block, .. } => {
                if let Some(c) = self.cycle.as_mut() {
                    c.read_again(f.unit, block);
                }
            }
            Op::Write { ticket } => {
                write_lost(&mut self.units[f.unit].mem.lock(), &ticket);
                self.check_flushes();
            }
            Op::OneOff { id } => self.one_offs.again(Queued {
                id,
                unit: f.unit_id,
                pdu: f.pdu.bytes().to_vec(),
                answered: true,
            }),
        }
    }

    pub(super) fn record_error(
        &mut self,
        unit: usize,
        operation: Operation,
        block: Block,
        fault: Fault,
    ) -> BlockError {
        let e = self.units[unit].error(operation, block, fault);
        if self.errors.record(&e) {
            tracing::warn!(peer = %self.cfg.peer, "{e}");
        }
        e
    }

    fn clear_error(&mut self, unit: usize, operation: Operation, block: Block) {
        let u = &self.units[unit];
        self.errors
            .clear(u.id, operation, block.area, u.address(block));
    }

    /// Answers the flushes whose writes are all confirmed (or refused).
    pub(super) fn check_flushes(&mut self) {
        let (units, in_flight) = (&self.units, &self.in_flight);
        self.waiters.check_flushes(|targets| {
            targets.iter().enumerate().all(|(u, &target)| {
                !unsent_since(&units[u].mem.lock(), target) && !in_flight.has_write_up_to(u, target)
            })
        });
    }
}
