//! The requests in flight: what each asked, matched to its answer by transaction id
//! (Modbus/TCP) or by being the one on the line from the right unit (RTU), each with
//! its deadline.
//!
//! Invariants: at most one request per transaction id is in flight; requests are kept
//! in the order they were sent, so the oldest expires and is failed first.
//!
//! Over UDP a request whose answer does not come in time is sent again with the same
//! transaction id (an answer to either copy completes it), up to the configured retries,
//! if sending it twice is safe ([`may_resend`]). While waiting to go again it stays in
//! flight (it counts against the depth and its answer is still matched) but expires no
//! more.

use std::collections::VecDeque;
use std::time::Instant;

use crate::master::core::planner::Block;
use crate::master::core::sync::{ReadTicket, WriteTicket};
use crate::protocol::{MAX_PDU_LEN, Request};

/// What a request does with its answer.
// At most `depth` of these exist; inline tickets avoid an allocation per read.
#[allow(clippy::large_enum_variant)]
pub(super) enum Op {
    Read {
        block: Block,
        ticket: ReadTicket,
    },
    Write {
        ticket: WriteTicket,
    },
    /// A program's one-off request (`one_off.rs`), answered with the response PDU.
    OneOff {
        id: u64,
    },
}

impl Op {
    /// True for a request that changes no data of a memory: a read, or a one-off
    /// request (what the link state counts when a slave drops the connection after
    /// writes).
    pub(super) fn is_read(&self) -> bool {
        !matches!(self, Op::Write { .. })
    }
}

/// A request sent and not answered yet.
pub(super) struct Sent {
    /// Its transaction id (TCP; 0 on RTU, where one request is on the line at a time).
    pub(super) tid: u16,
    /// The unit it went to, as an index into the engine's units...
    pub(super) unit: usize,
    /// ...and as the address on the link.
    pub(super) unit_id: u8,
    /// Its place among the requests sent on this connection (`LinkState::sending`).
    pub(super) seq: u64,
    /// What was asked, to check the answer against.
    pub(super) pdu: SentPdu,
    /// Sent while another request was in flight: if it goes unanswered, the slave may
    /// be one that takes a single request at a time.
    pub(super) beside: bool,
    pub(super) deadline: Instant,
    pub(super) op: Op,
    /// UDP: times it may still be sent again when its answer does not come.
    pub(super) retries_left: u32,
    /// Its answer did not come in time: it is to be sent again.
    pub(super) resend: bool,
}

/// A request's PDU as sent, to check its answer against (`protocol::check`).
pub(super) struct SentPdu {
    bytes: [u8; MAX_PDU_LEN],
    len: u8,
}

impl SentPdu {
    pub(super) fn new(pdu: &[u8]) -> SentPdu {
        let mut bytes = [0; MAX_PDU_LEN];
        let n = pdu.len().min(bytes.len());
        bytes[..n].copy_from_slice(&pdu[..n]);
        SentPdu {
            bytes,
            len: n as u8,
        }
    }

    /// The request, decoded again.
    pub(super) fn request(&self) -> Option<Request<'_>> {
        Request::decode(self.bytes()).ok()
    }

    /// The PDU's bytes, to send it again.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// True if a request with this PDU may be sent a second time when its answer did not
/// come: the first may have been executed and only its answer lost, so a second
/// execution must leave the slave as one would.
///
/// - Reads (FC1, 2, 3, 4, 7, 11, 12, 17, 20, 24, 43) change nothing.
/// - FC5, 6, 15, 16 and 21 write absolute values: twice is once.
/// - FC22 (mask write) is idempotent too: with `m(x) = (x & and) | (or & !and)`,
///   `m(m(x)) = (x & and) | (or & !and) = m(x)`, since `(or & !and) & and = 0`.
/// - FC23 writes absolute values, then reads.
/// - FC8 is not: "restart communications", "clear counters" and "force listen only"
///   act again, and the counters it reads change with every message. Neither are codes
///   msm does not model (their effect is unknown).
///
/// A write sent again lands a second time: if the slave's program changed the same
/// registers in between (a command it consumed and reset), the write sets them again, as
/// a write delayed in the network would. msm's own writes are retried anyway after a
/// timeout (with the newest value), so the resend only makes that quicker.
pub(super) fn may_resend(pdu: &[u8]) -> bool {
    matches!(pdu.first(), Some(1..=7 | 11 | 12 | 15..=17 | 20..=24 | 43))
}

/// The requests in flight on the connection, oldest first.
pub(super) struct InFlight {
    requests: VecDeque<Sent>,
    next_tid: u16,
}

impl InFlight {
    pub(super) fn new() -> InFlight {
        InFlight {
            requests: VecDeque::new(),
            next_tid: 1,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.requests.len()
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The next transaction id not in flight.
    pub(super) fn allocate_tid(&mut self) -> u16 {
        loop {
            let tid = self.next_tid;
            self.next_tid = self.next_tid.wrapping_add(1);
            if !self.requests.iter().any(|f| f.tid == tid) {
                return tid;
            }
        }
    }

    /// Records a request just sent; it is `beside` another if any is in flight.
    pub(super) fn push(&mut self, mut request: Sent) {
        request.beside = !self.requests.is_empty();
        self.requests.push_back(request);
    }

    /// Keeps a request that expired, to be sent again ([`next_resend`](Self::next_resend)).
    pub(super) fn resend_later(&mut self, mut request: Sent) {
        request.resend = true;
        request.retries_left = request.retries_left.saturating_sub(1);
        self.requests.push_back(request);
    }

    /// The first request waiting to be sent again, if any.
    pub(super) fn next_resend(&mut self) -> Option<&mut Sent> {
        self.requests.iter_mut().find(|f| f.resend)
    }

    /// Takes the request an answer from `unit_id` with transaction id `tid` (TCP) or
    /// without one (RTU: the request on the line, if it went to that unit) answers.
    pub(super) fn take_answered(&mut self, tid: Option<u16>, unit_id: u8) -> Option<Sent> {
        let pos = match tid {
            Some(tid) => self.requests.iter().position(|f| f.tid == tid)?,
            None => self
                .requests
                .front()
                .filter(|f| f.unit_id == unit_id)
                .map(|_| 0)?,
        };
        self.requests.remove(pos)
    }

    /// Takes the oldest request whose deadline has passed at `now` (not one waiting to
    /// be sent again).
    pub(super) fn take_expired(&mut self, now: Instant) -> Option<Sent> {
        let pos = self
            .requests
            .iter()
            .position(|f| !f.resend && f.deadline <= now)?;
        self.requests.remove(pos)
    }

    /// Takes the oldest request (the one an RTU line's noise spoils, or the next to
    /// fail when the connection goes).
    pub(super) fn pop_oldest(&mut self) -> Option<Sent> {
        self.requests.pop_front()
    }

    /// Forgets every request (a new connection: nothing sent before will be answered).
    pub(super) fn clear(&mut self) {
        self.requests.clear();
    }

    /// When the next request expires.
    pub(super) fn earliest_deadline(&self) -> Option<Instant> {
        self.requests
            .iter()
            .filter(|f| !f.resend)
            .map(|f| f.deadline)
            .min()
    }

    /// The writes to `unit` in flight.
    pub(super) fn writes_to(&self, unit: usize) -> impl Iterator<Item = &WriteTicket> {
        self.requests.iter().filter_map(move |f| match &f.op {
            Op::Write { ticket } if f.unit == unit => Some(ticket),
            _ => None,
        })
    }

    /// True while a write to `unit` carrying a local write made at or before
    /// `generation` is in flight.
    pub(super) fn has_write_up_to(&self, unit: usize, generation: u64) -> bool {
        self.writes_to(unit).any(|t| t.oldest <= generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::core::sync::begin_read;
    use crate::memory::{Area, Memory, WHOLE};
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    fn write(oldest: u64) -> Op {
        let block = Block {
            area: Area::Holding,
            index: 0,
            count: 1,
        };
        Op::Write {
            ticket: WriteTicket {
                block,
                sent_at: oldest,
                oldest,
                mask: WHOLE,
            },
        }
    }

    fn read() -> Op {
        let block = Block {
            area: Area::Holding,
            index: 0,
            count: 1,
        };
        let ticket = begin_read(&Memory::new(1).lock(), block);
        Op::Read { block, ticket }
    }

    /// Sends `op` to unit index `unit` (unit id `unit + 1`); its transaction id.
    fn send(t: &mut InFlight, unit: usize, deadline: Instant, op: Op) -> u16 {
        let tid = t.allocate_tid();
        t.push(Sent {
            tid,
            unit,
            unit_id: unit as u8 + 1,
            seq: u64::from(tid),
            pdu: SentPdu::new(&[3, 0, 0, 0, 1]),
            beside: false,
            deadline,
            op,
            retries_left: 0,
            resend: false,
        });
        tid
    }

    #[test]
    fn transaction_ids_skip_those_in_flight_and_wrap() {
        let now = Instant::now();
        let mut t = InFlight::new();
        assert_eq!(send(&mut t, 0, now, read()), 1);
        t.next_tid = u16::MAX;
        assert_eq!(send(&mut t, 0, now, read()), u16::MAX);
        assert_eq!(t.allocate_tid(), 0, "wraps to 0");
        assert_eq!(t.allocate_tid(), 2, "1 is still in flight");
    }

    #[test]
    fn answers_are_matched_by_transaction_id_in_any_order() {
        let now = Instant::now();
        let mut t = InFlight::new();
        let a = send(&mut t, 0, now, read());
        let b = send(&mut t, 1, now, write(5));
        assert!(
            !t.take_answered(Some(a), 1).expect("a").beside,
            "sent alone"
        );
        let first = t
            .take_answered(Some(b), 9)
            .expect("b, whatever the unit says");
        assert!(first.beside, "sent while another was in flight");
        assert!(
            t.take_answered(Some(b), 2).is_none(),
            "a duplicate matches nothing"
        );
        assert!(t.is_empty());
    }

    #[test]
    fn without_transaction_ids_only_the_request_on_the_line_from_its_unit_is_answered() {
        let now = Instant::now();
        let mut t = InFlight::new();
        send(&mut t, 2, now, read()); // unit id 3
        assert!(t.take_answered(None, 7).is_none(), "another unit's answer");
        assert_eq!(t.take_answered(None, 3).expect("answered").unit, 2);
        assert!(t.take_answered(None, 3).is_none(), "nothing on the line");
    }

    #[test]
    fn the_oldest_expired_request_goes_first_and_the_earliest_deadline_is_known() {
        let now = Instant::now();
        let mut t = InFlight::new();
        assert_eq!(t.earliest_deadline(), None);
        let late = send(&mut t, 0, now + 30 * MS, read());
        let soon = send(&mut t, 0, now + 10 * MS, read());
        let also = send(&mut t, 0, now + 20 * MS, read());
        assert_eq!(t.earliest_deadline(), Some(now + 10 * MS));
        assert!(t.take_expired(now + 5 * MS).is_none());
        let at = now + 25 * MS;
        assert_eq!(t.take_expired(at).map(|f| f.tid), Some(soon));
        assert_eq!(t.take_expired(at).map(|f| f.tid), Some(also));
        assert!(t.take_expired(at).is_none());
        assert_eq!(t.pop_oldest().map(|f| f.tid), Some(late));
    }

    #[test]
    fn writes_in_flight_are_found_by_unit_and_by_the_local_writes_they_carry() {
        let now = Instant::now();
        let mut t = InFlight::new();
        send(&mut t, 0, now, read());
        send(&mut t, 1, now, write(7));
        assert_eq!(t.writes_to(1).count(), 1);
        assert_eq!(t.writes_to(0).count(), 0);
        assert!(t.has_write_up_to(1, 7) && t.has_write_up_to(1, 9));
        assert!(!t.has_write_up_to(1, 6), "made after the flush was asked");
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_request_to_send_again_is_still_answered_but_expires_no_more() {
        let now = Instant::now();
        let mut t = InFlight::new();
        let tid = send(&mut t, 0, now, read());
        let mut f = t.take_expired(now).expect("expired");
        f.retries_left = 2;
        t.resend_later(f);
        assert_eq!(t.len(), 1, "still in flight");
        assert!(t.take_expired(now + 10 * MS).is_none());
        assert_eq!(t.earliest_deadline(), None);
        let again = t.next_resend().expect("to send again");
        assert_eq!((again.tid, again.retries_left), (tid, 1));
        again.resend = false;
        again.deadline = now + 5 * MS;
        assert!(t.next_resend().is_none());
        assert_eq!(t.earliest_deadline(), Some(now + 5 * MS));
        assert!(
            t.take_answered(Some(tid), 1).is_some(),
            "an answer to either copy"
        );
    }

    #[test]
    fn reads_and_idempotent_writes_may_go_twice_diagnostics_and_unknown_codes_not() {
        for function in [
            1u8, 2, 3, 4, 5, 6, 7, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
        ] {
            assert!(may_resend(&[function, 0, 0]), "{function}");
        }
        for function in [8u8, 9, 0x41, 0x64, 0x83] {
            assert!(!may_resend(&[function, 0, 0]), "{function}");
        }
        assert!(!may_resend(&[]));
        // FC22 twice is FC22 once, whatever the register held.
        let m = |x: u16, and: u16, or: u16| (x & and) | (or & !and);
        for (x, and, or) in [
            (0x1234u16, 0xF00F, 0x0FF0),
            (0xFFFF, 0, 0x5555),
            (0, 0xFFFF, 1),
        ] {
            assert_eq!(m(m(x, and, or), and, or), m(x, and, or));
        }
    }

    #[test]
    fn the_sent_pdu_decodes_again() {
        let pdu = SentPdu::new(&[6, 0, 1, 0, 42]);
        assert_eq!(
            pdu.request(),
            Some(Request::WriteSingleRegister {
                address: 1,
                value: 42
            })
        );
        assert!(SentPdu::new(&[]).request().is_none());
    }
}
