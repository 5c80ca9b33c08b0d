//! The exchange engine: a sans-IO state machine that decides what a master sends and
//! what it does with the answers.
//!
//! The shape is quinn-proto's: the driver feeds it events (`handle_connected`,
//! `handle_input`, `handle_timeout`, `request_sync`, ...) with the current time, and
//! polls it for frames to send (`poll_transmit`), the next wake-up (`poll_timeout`) and
//! completed operations (`poll_event`). It never reads a clock or touches a socket, so
//! every rule is tested by calling it directly.

mod receive;
mod transmit;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::planner::{Block, Plan, plan_reads};
use super::sync::{ReadTicket, WriteTicket, unsent_since, write_lost};
use crate::master::core::status::{BlockError, DepthReason, Fault, Operation, Status};
use crate::memory::{Area, Memory, Origin, Peer};
use crate::protocol::ExceptionCode;
use crate::protocol::rtu::Direction;
use crate::protocol::rtu_framer::Timing;
use crate::protocol::stream::{Delimiter, STREAM_SILENCE, StreamFramer};
use crate::time::later;
use crate::types::Error;

/// Receive buffer: a few reads' worth of pipelined responses.
const RX_LEN: usize = 4096;

/// How frames are delimited on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// MBAP header with transaction ids: several requests may be in flight.
    Tcp,
    /// Address + PDU + CRC on a serial line (or a TCP stream to a converter): one request
    /// at a time, with silent intervals between frames.
    Rtu(RtuTiming),
}

/// Serial line timing (Modbus over Serial Line V1.02, 2.5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RtuTiming {
    /// Time to send one character (start, data, parity and stop bits).
    pub(crate) char_time: Duration,
    /// The silences that delimit received frames.
    pub(crate) line: Timing,
    /// The silence the master keeps on the line before each frame it sends.
    pub(crate) gap: Duration,
    /// How long a broadcast is given to be processed before the next frame.
    pub(crate) broadcast_delay: Duration,
    /// RTU over TCP: frames are delimited by length, silence only as the fallback.
    pub(crate) over_tcp: bool,
}

impl RtuTiming {
    /// A serial line at `baud` with `bits_per_char` bits per character (11 for 8E1).
    pub(crate) fn serial(baud: u32, bits_per_char: u32, broadcast_delay: Duration) -> Self {
        let line = Timing::for_baud(baud, bits_per_char);
        RtuTiming {
            char_time: Duration::from_nanos(
                1_000_000_000 * u64::from(bits_per_char) / u64::from(baud.max(1)),
            ),
            line,
            gap: line.frame_gap,
            broadcast_delay,
            over_tcp: false,
        }
    }

    /// RTU frames over TCP: the converter keeps the line's timing, frames are delimited
    /// by length as the slave side does (`protocol::stream`), and a frame left incomplete
    /// for a while is dropped.
    pub(crate) fn over_tcp(broadcast_delay: Duration) -> Self {
        RtuTiming {
            char_time: Duration::ZERO,
            line: Timing {
                char_gap: None,
                frame_gap: STREAM_SILENCE,
            },
            gap: Duration::ZERO,
            broadcast_delay,
            over_tcp: true,
        }
    }

    /// How responses are delimited.
    fn delimiter(&self) -> Delimiter {
        if self.over_tcp {
            Delimiter::rtu_over_tcp(Direction::Response)
        } else {
            Delimiter::RtuBySilence {
                direction: Direction::Response,
                timing: self.line,
            }
        }
    }

    fn transmit_time(&self, bytes: usize) -> Duration {
        self.char_time * bytes as u32
    }

    /// The silence the master keeps between frames.
    fn silence(&self) -> Duration {
        self.gap
    }
}

/// Settings of the engine.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) period: Duration,
    pub(crate) response_timeout: Duration,
    /// Requests in flight at most (TCP only; RTU is always 1).
    pub(crate) depth: usize,
    /// Use FC15/FC16 even for a single coil or register.
    pub(crate) force_multiple_writes: bool,
    pub(crate) framing: Framing,
    /// Consecutive timeouts after which a TCP connection is dropped and made again.
    pub(crate) timeouts_before_reconnect: u32,
    /// The slave, for messages.
    pub(crate) peer: String,
}

/// One slave unit and the memory that mirrors it.
pub(crate) struct Unit {
    pub(crate) id: u8,
    pub(crate) mem: Memory,
    pub(crate) plan: Plan,
    pub(crate) peer: Peer,
    starts: [u16; 4],
    blocks: Vec<Block>,
    planned_spans: Option<usize>,
    /// False once the slave refused a mask write (FC22) with exception 01: bits and
    /// bytes of registers are then written with their whole register.
    mask_writes: bool,
    /// Writes to this unit pause after a transient fault, longer while they last.
    write_backoff: Backoff,
}

/// The first pause after a transient write fault, and the longest.
const WRITE_BACKOFF_MIN: Duration = Duration::from_millis(100);
const WRITE_BACKOFF_MAX: Duration = Duration::from_secs(5);

impl Unit {
    pub(crate) fn new(id: u8, mem: Memory, plan: Plan, peer: Peer) -> Unit {
        let starts = Area::ALL.map(|a| mem.spec(a).start);
        Unit {
            id,
            mem,
            plan,
            peer,
            starts,
            blocks: Vec::new(),
            planned_spans: None,
            mask_writes: true,
            write_backoff: Backoff::new(WRITE_BACKOFF_MIN, WRITE_BACKOFF_MAX),
        }
    }

    fn address(&self, block: Block) -> u16 {
        (usize::from(self.starts[block.area as usize]) + block.index) as u16
    }

    /// Plans again when variables were declared since the last plan.
    fn replan(&mut self) {
        let st = self.mem.lock();
        if self.planned_spans != Some(st.spans().len()) {
            self.blocks = plan_reads(&st, self.plan);
            self.planned_spans = Some(st.spans().len());
        }
    }
}

/// What the engine tells its driver.
#[derive(Debug)]
pub(crate) enum Event {
    /// A `sync` request completed.
    SyncDone { id: u64, result: Result<(), Error> },
    /// A `flush` request completed.
    FlushDone { id: u64, result: Result<(), Error> },
    /// The connection is unusable (garbage from the slave, repeated timeouts): drop it
    /// and connect again.
    Reconnect { reason: String },
}

// At most `depth` of these exist; inline tickets avoid an allocation per read.
#[allow(clippy::large_enum_variant)]
enum Op {
    Read { block: Block, ticket: ReadTicket },
    Write { ticket: WriteTicket },
}

struct InFlight {
    tid: u16,
    unit: usize,
    /// What was asked, to check the answer against.
    sent: SentPdu,
    /// Sent while another request was in flight: if it goes unanswered, the slave may
    /// be one that takes a single request at a time.
    beside: bool,
    deadline: Instant,
    op: Op,
}

/// A request's PDU as sent, to check its answer against (`protocol::check`).
pub(super) struct SentPdu {
    bytes: [u8; crate::protocol::MAX_PDU_LEN],
    len: u8,
}

impl Default for SentPdu {
    fn default() -> Self {
        SentPdu {
            bytes: [0; crate::protocol::MAX_PDU_LEN],
            len: 0,
        }
    }
}

impl SentPdu {
    pub(super) fn keep(&mut self, pdu: &[u8]) {
        let n = pdu.len().min(self.bytes.len());
        self.bytes[..n].copy_from_slice(&pdu[..n]);
        self.len = n as u8;
    }

    /// The request, decoded again.
    pub(super) fn request(&self) -> Option<crate::protocol::Request<'_>> {
        crate::protocol::Request::decode(&self.bytes[..usize::from(self.len)]).ok()
    }
}

/// A write the slave refused: reported by every `flush` and `sync` asked after it was
/// made, until a later write of the same items is confirmed.
struct Refusal {
    unit: usize,
    block: Block,
    /// The oldest local write it carried.
    oldest: u64,
    error: BlockError,
}

/// A `sync` waiting for its cycle, and the write counters when it was asked.
struct SyncWaiter {
    id: u64,
    targets: Vec<u64>,
}

struct Cycle {
    started: Instant,
    /// Cursor: the next block to read.
    unit: usize,
    block: usize,
    outstanding: usize,
    /// Reads of this cycle to send again: they timed out while several requests were
    /// in flight (the slave may take only one), and go again one at a time.
    retry: Vec<(usize, Block)>,
    /// A request sent beside another timed out during this cycle.
    lost_beside: bool,
    waiters: Vec<SyncWaiter>,
    first_error: Option<BlockError>,
    /// Per unit, the write counter when the cycle started: local writes up to there go
    /// out before the cycle's reads.
    flush_up_to: Vec<u64>,
}

struct FlushWaiter {
    id: u64,
    /// Per unit: the write counter when the flush was asked.
    targets: Vec<u64>,
}

/// The master's exchange engine.
pub(crate) struct Engine {
    cfg: Config,
    units: Vec<Unit>,
    connected: bool,
    ever_connected: bool,
    reconnect_requested: bool,
    depth: usize,
    /// The most requests in flight allowed now: the configured depth, or 1 once the
    /// slave showed it takes one at a time.
    depth_limit: usize,
    /// The slave answered while another request was in flight: it can take several.
    pipelining_seen: bool,
    /// Widening is allowed once a cycle completed on this connection at the depth in use.
    may_widen: bool,
    /// Fall backs since a cycle last went through at a depth above 1 without a request
    /// lost beside another: two in a row say the slave cannot take several after all.
    fallbacks: u32,
    next_tid: u16,
    in_flight: VecDeque<InFlight>,
    responses_on_connection: u64,
    consecutive_timeouts: u32,
    cycle: Option<Cycle>,
    next_cycle_at: Option<Instant>,
    pending_syncs: Vec<SyncWaiter>,
    refusals: Vec<Refusal>,
    flushes: Vec<FlushWaiter>,
    events: VecDeque<Event>,
    status: Status,
    total_cycle_time: Duration,
    block_errors: BTreeMap<(u8, Operation, Area, u16), BlockError>,
    /// Received bytes not yet making a whole frame. Always there: an `Option` only so
    /// that a frame borrowed from it can be handled with `&mut self`.
    framer: Option<StreamFramer>,
    /// RTU: the line must stay silent until then.
    bus_free_at: Option<Instant>,
    next_writer: usize,
    last_was_write: bool,
}

impl Engine {
    pub(crate) fn new(cfg: Config, units: Vec<Unit>) -> Engine {
        let depth_limit = match cfg.framing {
            Framing::Tcp => cfg.depth.max(1),
            Framing::Rtu(_) => 1,
        };
        // First contact at one request in flight; wider while the slave keeps up.
        let depth = 1;
        let delimiter = match cfg.framing {
            Framing::Tcp => Delimiter::Mbap,
            Framing::Rtu(t) => t.delimiter(),
        };
        let framer = Some(StreamFramer::with_capacity(delimiter, RX_LEN));
        Engine {
            status: Status {
                stale: true,
                depth,
                depth_reason: match cfg.framing {
                    Framing::Rtu(_) => DepthReason::Serial,
                    Framing::Tcp if depth_limit > 1 => DepthReason::Widening,
                    Framing::Tcp => DepthReason::Configured,
                },
                mask_writes: true,
                ..Status::default()
            },
            cfg,
            units,
            connected: false,
            ever_connected: false,
            reconnect_requested: false,
            depth,
            depth_limit,
            pipelining_seen: false,
            may_widen: false,
            fallbacks: 0,
            next_tid: 1,
            in_flight: VecDeque::new(),
            responses_on_connection: 0,
            consecutive_timeouts: 0,
            cycle: None,
            next_cycle_at: None,
            pending_syncs: Vec::new(),
            refusals: Vec::new(),
            flushes: Vec::new(),
            events: VecDeque::new(),
            total_cycle_time: Duration::ZERO,
            block_errors: BTreeMap::new(),
            framer,
            bus_free_at: None,
            next_writer: 0,
            last_was_write: false,
        }
    }

    pub(crate) fn status(&self) -> &Status {
        &self.status
    }

    /// True once the slave answered anything on the current connection.
    pub(crate) fn answered_on_connection(&self) -> bool {
        self.connected && self.responses_on_connection > 0
    }

    /// Who the slave is, once connected (reported as the origin of its changes).
    pub(crate) fn set_peer(&mut self, peer: Peer) {
        for u in &mut self.units {
            u.peer = peer;
        }
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The connection is up: start a cycle at once.
    pub(crate) fn handle_connected(&mut self, now: Instant) {
        if self.ever_connected {
            self.status.reconnects += 1;
        }
        self.ever_connected = true;
        self.connected = true;
        self.reconnect_requested = false;
        self.status.connected = true;
        self.in_flight.clear();
        if let Some(f) = self.framer.as_mut() {
            f.clear();
        }
        self.bus_free_at = None;
        self.consecutive_timeouts = 0;
        self.responses_on_connection = 0;
        // Each connection starts at one request in flight and widens again.
        self.set_depth(1, self.depth_reason_when_narrow());
        self.may_widen = false;
        for u in &mut self.units {
            u.mem.lock().clear_read_only_marks();
            u.write_backoff.clear_wait();
        }
        self.start_cycle(now);
    }

    /// The connection dropped (or the driver dropped it after a `Reconnect` event).
    /// Writes in flight are kept for the next connection; reads are abandoned.
    pub(crate) fn handle_disconnected(&mut self, now: Instant, reason: &str) {
        if !self.connected {
            return;
        }
        self.connected = false;
        self.status.connected = false;
        self.status.last_error = Some(format!("connection to {} lost: {reason}", self.cfg.peer));
        if self.in_flight.len() > 1 && self.responses_on_connection == 0 && !self.pipelining_seen {
            self.limit_to_one("the slave closed the connection when sent several requests at once");
        }
        while let Some(f) = self.in_flight.pop_front() {
            self.fail(now, f, Fault::Disconnected(reason.to_string()));
        }
        // A lost connection is said once, in `last_error` and by the items' quality
        // (stale), not as a failure of every block that was in flight.
        self.block_errors
            .retain(|_, e| !matches!(e.fault, Fault::Disconnected(_)));
        self.status.block_errors = self.block_errors.values().cloned().collect();
        if let Some(cycle) = self.cycle.take() {
            self.pending_syncs.extend(cycle.waiters);
        }
        self.fail_pending_syncs(reason);
        self.set_stale(true, now);
        tracing::warn!(peer = %self.cfg.peer, reason, "disconnected; writes are kept and sent after reconnecting");
    }

    /// A connection attempt failed.
    pub(crate) fn handle_connect_failed(&mut self, reason: &str) {
        self.status.last_error = Some(format!("cannot connect to {}: {reason}", self.cfg.peer));
        self.fail_pending_syncs(reason);
    }

    /// Time passed: expire requests, start the next cycle when due.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(pos) = self.in_flight.iter().position(|f| f.deadline <= now) {
            let Some(f) = self.in_flight.remove(pos) else {
                break;
            };
            self.status.timeouts += 1;
            if let Framing::Rtu(t) = self.cfg.framing {
                self.bus_free_at = Some(now + t.silence());
            }
            if f.beside {
                if let Some(c) = self.cycle.as_mut() {
                    c.lost_beside = true;
                }
                // Maybe the slave takes one request at a time: narrow, and send this one
                // again inside the same cycle rather than fail the user's sync.
                if self.pipelining_seen {
                    self.fall_back("a request timed out while several were in flight");
                } else {
                    self.limit_to_one("a request sent while another was in flight got no answer");
                }
                self.retry(now, f);
                continue;
            }
            self.consecutive_timeouts += 1;
            self.fail(now, f, Fault::Timeout(self.cfg.response_timeout));
        }

        for u in &mut self.units {
            if u.write_backoff.ready(now) {
                u.write_backoff.clear_wait(); // the pause is over: writes may go
            }
        }
        if self.cfg.framing == Framing::Tcp
            && self.consecutive_timeouts >= self.cfg.timeouts_before_reconnect.max(1)
            && !self.reconnect_requested
        {
            self.request_reconnect(format!(
                "{} requests in a row got no answer within {:?}",
                self.consecutive_timeouts, self.cfg.response_timeout
            ));
        }
        if self.bus_free_at.is_some_and(|t| t <= now) {
            self.bus_free_at = None;
        }
        if self
            .framer
            .as_ref()
            .and_then(StreamFramer::poll_timeout)
            .is_some_and(|t| t <= now)
        {
            self.handle_input(now, &[]);
        }
        if self.connected && self.cycle.is_none() && self.next_cycle_at.is_some_and(|t| t <= now) {
            self.start_cycle(now);
        }
    }

    /// When the driver must call `handle_timeout` next, if nothing else happens first.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.in_flight.iter().map(|f| f.deadline).min();
        if self.connected {
            if self.cycle.is_none() {
                next = min_opt(next, self.next_cycle_at);
            }
            next = min_opt(next, self.bus_free_at);
            next = min_opt(
                next,
                self.framer.as_ref().and_then(StreamFramer::poll_timeout),
            );
            for u in &self.units {
                next = min_opt(next, u.write_backoff.wake_at());
            }
        }
        next
    }

    /// Runs a cycle now (or right after the running one) and reports it as `SyncDone`.
    pub(crate) fn request_sync(&mut self, now: Instant, id: u64) {
        let targets = self.generations();
        self.pending_syncs.push(SyncWaiter { id, targets });
        if self.connected && self.cycle.is_none() {
            self.start_cycle(now);
        }
    }

    /// Reports `FlushDone` once every local write made so far is confirmed by the slave.
    pub(crate) fn request_flush(&mut self, id: u64) {
        let targets = self.generations();
        self.flushes.push(FlushWaiter { id, targets });
        self.check_flushes();
    }

    /// The worker is stopping: writes still in flight are marked to be sent again (by
    /// the next master of the memory), and every waiter gets `Stopped`.
    pub(crate) fn stop(&mut self) {
        while let Some(f) = self.in_flight.pop_front() {
            if let Op::Write { ticket, .. } = f.op {
                write_lost(&mut self.units[f.unit].mem.lock(), &ticket);
            }
        }
        let mut waiters = std::mem::take(&mut self.pending_syncs);
        if let Some(c) = self.cycle.take() {
            waiters.extend(c.waiters);
        }
        for w in waiters {
            self.events.push_back(Event::SyncDone {
                id: w.id,
                result: Err(Error::Stopped),
            });
        }
        for f in std::mem::take(&mut self.flushes) {
            self.events.push_back(Event::FlushDone {
                id: f.id,
                result: Err(Error::Stopped),
            });
        }
    }

    // ---- cycles ----------------------------------------------------------------------

    fn start_cycle(&mut self, now: Instant) {
        for u in &mut self.units {
            u.replan();
        }
        self.cycle = Some(Cycle {
            started: now,
            unit: 0,
            block: 0,
            outstanding: 0,
            retry: Vec::new(),
            lost_beside: false,
            waiters: std::mem::take(&mut self.pending_syncs),
            first_error: None,
            flush_up_to: self.generations(),
        });
        self.next_cycle_at = None;
        // A cycle flushes local writes first, then reads.
        self.last_was_write = false;
        self.finish_cycle_if_done(now);
    }

    /// A unit addressed by broadcast (RTU address 0): written, never read.
    fn is_broadcast(&self, unit: usize) -> bool {
        matches!(self.cfg.framing, Framing::Rtu(_)) && self.units[unit].id == 0
    }

    /// The next block of the running cycle to read, as (unit, block index), if any.
    fn peek_read(&self) -> Option<(usize, usize)> {
        let c = self.cycle.as_ref()?;
        if c.retry.is_empty() {
            self.peek_cursor(c)
        } else {
            Some((0, 0))
        }
    }

    fn peek_cursor(&self, c: &Cycle) -> Option<(usize, usize)> {
        let (mut u, mut b) = (c.unit, c.block);
        while u < self.units.len() {
            if !self.is_broadcast(u) && b < self.units[u].blocks.len() {
                return Some((u, b));
            }
            u += 1;
            b = 0;
        }
        None
    }

    /// True while writes made before the running cycle started are still unsent: they go
    /// before the cycle's reads.
    fn flushing(&self) -> bool {
        self.cycle.as_ref().is_some_and(|c| {
            self.units
                .iter()
                .zip(&c.flush_up_to)
                .any(|(u, &g)| unsent_since(&u.mem.lock(), g))
        })
    }

    /// Takes the next block of the running cycle to read, advancing the cursor.
    fn next_read_block(&mut self) -> Option<(usize, Block)> {
        if let Some(c) = self.cycle.as_mut()
            && let Some(r) = c.retry.pop()
        {
            c.outstanding += 1;
            return Some(r);
        }
        let (u, b) = self.peek_cursor(self.cycle.as_ref()?)?;
        let block = *self.units[u].blocks.get(b)?;
        let c = self.cycle.as_mut()?;
        c.unit = u;
        c.block = b + 1;
        c.outstanding += 1;
        Some((u, block))
    }

    fn read_finished(&mut self, now: Instant) {
        if let Some(c) = self.cycle.as_mut() {
            c.outstanding = c.outstanding.saturating_sub(1);
        }
        self.finish_cycle_if_done(now);
    }

    fn finish_cycle_if_done(&mut self, now: Instant) {
        let done =
            self.cycle.as_ref().is_some_and(|c| c.outstanding == 0) && self.peek_read().is_none();
        if !done {
            return;
        }
        let Some(cycle) = self.cycle.take() else {
            return;
        };
        let took = now.saturating_duration_since(cycle.started);
        self.status.cycles += 1;
        self.total_cycle_time += took;
        self.status.last_cycle = Some(took);
        self.status.average_cycle =
            Some(self.total_cycle_time / self.status.cycles.min(u64::from(u32::MAX)) as u32);
        self.set_stale(false, now);
        // A cycle at the depth in use went through: the slave keeps up.
        self.may_widen = true;
        if self.depth > 1 && !cycle.lost_beside {
            self.fallbacks = 0;
        }
        for w in cycle.waiters {
            let result = match &cycle.first_error {
                Some(e) => Err(Error::Block(e.clone())),
                None => match self.refusal_before(&w.targets) {
                    Some(e) => Err(Error::Block(e)),
                    None => Ok(()),
                },
            };
            self.events.push_back(Event::SyncDone { id: w.id, result });
        }
        if self.pending_syncs.is_empty() {
            self.next_cycle_at = Some(later(cycle.started, self.cfg.period).max(now));
        } else {
            self.start_cycle(now);
        }
    }

    fn fail_pending_syncs(&mut self, reason: &str) {
        for w in std::mem::take(&mut self.pending_syncs) {
            self.events.push_back(Event::SyncDone {
                id: w.id,
                result: Err(Error::NotConnected {
                    peer: self.cfg.peer.clone(),
                    reason: reason.to_string(),
                }),
            });
        }
    }

    // ---- outcomes --------------------------------------------------------------------

    /// A request ended without a usable answer.
    fn fail(&mut self, now: Instant, f: InFlight, fault: Fault) {
        match f.op {
            Op::Read { block, .. } => {
                let lost = matches!(fault, Fault::Disconnected(_));
                let e = self.record_error(f.unit, Operation::Read, block, fault);
                if !lost {
                    // The items' quality: bad, with the reason (a lost connection makes
                    // them stale instead, in set_stale).
                    let u = &self.units[f.unit];
                    let mut st = u.mem.lock();
                    if let Some((i, n)) = st.read_failed(block.area, block.index, block.count, &e) {
                        let address = (usize::from(u.starts[block.area as usize]) + i) as u16;
                        st.publish(block.area, address, n, Origin::Remote(u.peer));
                    }
                }
                if let Some(c) = self.cycle.as_mut() {
                    c.first_error.get_or_insert(e);
                }
                self.read_finished(now);
            }
            Op::Write { ticket } => {
                let unit = &mut self.units[f.unit];
                let fc22_unknown = ticket.is_masked()
                    && fault
                        == Fault::Exception {
                            code: ExceptionCode::IllegalFunction,
                        };
                if fc22_unknown {
                    // No mask writes here: the bits go again, in their whole register.
                    tracing::info!(peer = %self.cfg.peer, unit = unit.id,
                        "the slave refused a mask write (FC22); writing bits and bytes with their whole register from now on");
                    unit.mask_writes = false;
                    self.status.mask_writes = false;
                    write_lost(&mut unit.mem.lock(), &ticket);
                } else if !fault.is_transient() {
                    // The slave refused: not retried; the next read brings its value back.
                    self.status.writes_refused += 1;
                    let e = self.record_error(f.unit, Operation::Write, ticket.block, fault);
                    let b = ticket.block;
                    self.units[f.unit]
                        .mem
                        .lock()
                        .write_refused(b.area, b.index, b.count, &e);
                    self.refusals
                        .retain(|r| !(r.unit == f.unit && r.block.overlaps(&b)));
                    self.refusals.push(Refusal {
                        unit: f.unit,
                        block: b,
                        oldest: ticket.oldest,
                        error: e.clone(),
                    });
                    self.fail_flushes_covering(f.unit, ticket.oldest, &e);
                } else {
                    // Lost or garbled: sent again, after a pause that grows while the
                    // faults go on (a lost connection: after reconnecting).
                    write_lost(&mut unit.mem.lock(), &ticket);
                    if !matches!(fault, Fault::Disconnected(_)) {
                        unit.write_backoff.failed(now);
                        self.status.writes_retried += 1;
                    }
                    self.record_error(f.unit, Operation::Write, ticket.block, fault);
                }
                self.check_flushes();
            }
        }
    }

    fn record_error(
        &mut self,
        unit: usize,
        operation: Operation,
        block: Block,
        fault: Fault,
    ) -> BlockError {
        let u = &self.units[unit];
        let e = BlockError {
            unit: u.id,
            operation,
            area: block.area,
            address: u.address(block),
            count: block.count as u16,
            fault,
        };
        let key = (e.unit, operation, e.area, e.address);
        if self
            .block_errors
            .get(&key)
            .is_none_or(|old| old.fault != e.fault)
        {
            tracing::warn!(peer = %self.cfg.peer, "{e}");
        }
        self.block_errors.insert(key, e.clone());
        self.status.block_errors = self.block_errors.values().cloned().collect();
        e
    }

    fn clear_error(&mut self, unit: usize, operation: Operation, block: Block) {
        let u = &self.units[unit];
        let key = (u.id, operation, block.area, u.address(block));
        if self.block_errors.remove(&key).is_some() {
            self.status.block_errors = self.block_errors.values().cloned().collect();
        }
    }

    fn check_flushes(&mut self) {
        let mut i = 0;
        while i < self.flushes.len() {
            let done = self.flushes[i].targets.iter().enumerate().all(|(u, &target)| {
                !unsent_since(&self.units[u].mem.lock(), target)
                    && !self.in_flight.iter().any(|f| {
                        f.unit == u && matches!(&f.op, Op::Write { ticket, .. } if ticket.oldest <= target)
                    })
            });
            if done {
                let f = self.flushes.swap_remove(i);
                let result = match self.refusal_before(&f.targets) {
                    Some(e) => Err(Error::Block(e)),
                    None => Ok(()),
                };
                self.events.push_back(Event::FlushDone { id: f.id, result });
            } else {
                i += 1;
            }
        }
    }

    fn fail_flushes_covering(&mut self, unit: usize, oldest: u64, e: &BlockError) {
        let mut i = 0;
        while i < self.flushes.len() {
            if self.flushes[i]
                .targets
                .get(unit)
                .is_some_and(|&t| oldest <= t)
            {
                let f = self.flushes.swap_remove(i);
                self.events.push_back(Event::FlushDone {
                    id: f.id,
                    result: Err(Error::Block(e.clone())),
                });
            } else {
                i += 1;
            }
        }
    }

    /// Tests of other rules start at the configured depth at once.
    #[cfg(test)]
    pub(crate) fn assume_full_depth(&mut self) {
        let limit = self.depth_limit;
        self.set_depth(limit, DepthReason::Configured);
        self.may_widen = true;
    }

    /// The write counter of every unit's memory, now.
    fn generations(&self) -> Vec<u64> {
        self.units
            .iter()
            .map(|u| u.mem.lock().generation())
            .collect()
    }

    /// A standing refusal of a write made at or before `targets` (per unit).
    fn refusal_before(&self, targets: &[u64]) -> Option<BlockError> {
        self.refusals
            .iter()
            .find(|r| targets.get(r.unit).is_some_and(|&t| r.oldest <= t))
            .map(|r| r.error.clone())
    }

    /// A write of `block` to `unit` was confirmed: refusals of its items are over.
    fn forget_refusals(&mut self, unit: usize, block: Block) {
        self.refusals
            .retain(|r| !(r.unit == unit && r.block.overlaps(&block)));
    }

    /// A fault while pipelining (a blackhole, a lost answer): one request at a time until
    /// a cycle goes through, then wider again.
    fn fall_back(&mut self, why: &str) {
        if self.depth > 1 {
            self.fallbacks += 1;
            if self.fallbacks >= 2 {
                // Widening failed again before a clean pipelined cycle: some slaves
                // answer a request beside another only now and then (pymodbus, when
                // they arrive in separate segments). Not a passing fault: stay at one.
                return self.limit_to_one("requests sent beside another keep going unanswered");
            }
            tracing::info!(peer = %self.cfg.peer, why, "one request at a time until a cycle goes through");
            self.set_depth(1, DepthReason::FaultFallBack);
            self.may_widen = false;
        }
    }

    /// The slave takes one request at a time, by its nature: stay at one.
    fn limit_to_one(&mut self, why: &str) {
        if self.depth_limit > 1 {
            tracing::info!(peer = %self.cfg.peer, why, "the slave takes one request at a time");
        }
        self.depth_limit = 1;
        self.set_depth(1, DepthReason::SlaveOneAtATime);
    }

    fn set_depth(&mut self, depth: usize, reason: DepthReason) {
        self.depth = depth;
        self.status.depth = depth;
        self.status.depth_reason = reason;
    }

    /// Why the depth is 1 at the start of a connection.
    fn depth_reason_when_narrow(&self) -> DepthReason {
        match self.cfg.framing {
            Framing::Rtu(_) => DepthReason::Serial,
            Framing::Tcp if self.depth_limit > 1 => DepthReason::Widening,
            Framing::Tcp if self.cfg.depth > 1 => DepthReason::SlaveOneAtATime,
            Framing::Tcp => DepthReason::Configured,
        }
    }

    /// An answer came at `in_flight_before` requests in flight (to a request sent
    /// `beside` another, or alone): widen while the slave keeps up with a full window.
    fn widen(&mut self, in_flight_before: usize, beside: bool) {
        if beside {
            // An answer to a request sent while another was in flight.
            self.pipelining_seen = true;
        }
        if self.may_widen && in_flight_before >= self.depth && self.depth < self.depth_limit {
            let depth = self.depth + 1;
            let reason = if depth == self.depth_limit {
                DepthReason::Configured
            } else {
                DepthReason::Widening
            };
            self.set_depth(depth, reason);
        }
    }

    /// Sends a request that timed out again: a read inside the running cycle, a write
    /// with the next ones.
    fn retry(&mut self, now: Instant, f: InFlight) {
        match f.op {
            Op::Read { block, .. } => {
                if let Some(c) = self.cycle.as_mut() {
                    c.outstanding = c.outstanding.saturating_sub(1);
                    c.retry.push((f.unit, block));
                } else {
                    self.finish_cycle_if_done(now);
                }
            }
            Op::Write { ticket } => {
                write_lost(&mut self.units[f.unit].mem.lock(), &ticket);
                self.check_flushes();
            }
        }
    }

    fn request_reconnect(&mut self, reason: String) {
        self.reconnect_requested = true;
        self.events.push_back(Event::Reconnect { reason });
    }

    fn set_stale(&mut self, stale: bool, now: Instant) {
        self.status.stale = stale;
        for u in &self.units {
            let mut st = u.mem.lock();
            for (area, i, n) in st.set_stale(stale, now) {
                let address = (usize::from(u.starts[area as usize]) + i) as u16;
                st.publish(area, address, n, Origin::Remote(u.peer));
            }
        }
    }
}

impl Drop for Engine {
    /// The memories are no longer synced: local writes to input areas are allowed again.
    fn drop(&mut self) {
        for u in &self.units {
            u.mem.lock().detach();
        }
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
