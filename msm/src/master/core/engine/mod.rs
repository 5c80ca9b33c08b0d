//! The exchange engine: a sans-IO state machine that decides what a master sends and
//! what it does with the answers.
//!
//! The shape is quinn-proto's: the driver feeds it events (`handle_connected`,
//! `handle_input`, `handle_timeout`, `request_sync`, ...) with the current time, and
//! polls it for frames to send (`poll_transmit`), the next wake-up (`poll_timeout`) and
//! completed operations (`poll_event`). It never reads a clock or touches a socket, so
//! every rule is tested by calling it directly.
//!
//! The engine is a composition of named sub-states, each with its own rules and tests:
//!
//! | file | sub-state | what it keeps |
//! |---|---|---|
//! | `link_state.rs` | `LinkState` | the connection: first contact or again, answers, timeouts in a row, a reconnection asked, writes that kill it |
//! | `in_flight.rs` | `InFlight` | the requests sent, matched to answers by transaction id / unit, with deadlines |
//! | `depth.rs` | `DepthController` | how many requests may be in flight, and why |
//! | `cycle.rs` | `Cycle` | the running cycle's read cursor, retries and first error |
//! | `writes.rs` | `WritePacing` | whose writes go next, reads and writes alternating, pauses after faults |
//! | `waiters.rs` | `Waiters` | `sync`s, `flush`es and the refusals they report |
//! | `one_off.rs` | `OneOffs` | a program's one-off requests (FC17, FC08, FC20...) waiting to be sent, and their answers |
//! | `timers.rs` | `TimerTable` | the next cycle, the RTU line's silence |
//! | `errors.rs` | `BlockErrors` | the blocks whose last exchange failed |
//! | `unit.rs` | `Unit` | one slave unit: its memory, plan and addresses |
//!
//! `transmit.rs`, `receive.rs` and `outcome.rs` are the engine's steps over them: what
//! to send, what came back, and what an answer (or its absence) means.

mod config;
mod cycle;
mod depth;
mod errors;
mod in_flight;
mod link_state;
mod one_off;
mod outcome;
mod receive;
mod timers;
mod transmit;
mod unit;
mod waiters;
mod writes;

#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

pub(crate) use config::{Config, Framing, RtuTiming};
pub(crate) use unit::Unit;

use self::cycle::Cycle;
use self::depth::{DepthController, Narrowed};
use self::errors::BlockErrors;
use self::in_flight::{InFlight, Op};
use self::link_state::LinkState;
use self::one_off::{OneOffs, Queued};
use self::timers::{Timer, TimerTable};
use self::waiters::Waiters;
use self::writes::WritePacing;
use super::sync::{ReadTicket, write_lost};
use crate::master::core::status::{DepthReason, Fault, Status};
use crate::memory::Peer;
use crate::protocol::stream::StreamFramer;
use crate::types::Error;

#[cfg(test)]
use self::writes::WRITE_BACKOFF_MIN;
#[cfg(test)]
use super::planner::Plan;
#[cfg(test)]
use crate::master::core::status::BlockError;
#[cfg(test)]
use crate::memory::Area;

/// Receive buffer: a few reads' worth of pipelined responses.
const RX_LEN: usize = 4096;

/// What the engine tells its driver.
#[derive(Debug)]
pub(crate) enum Event {
    /// A `sync` request completed.
    SyncDone { id: u64, result: Result<(), Error> },
    /// A `flush` request completed.
    FlushDone { id: u64, result: Result<(), Error> },
    /// A one-off request completed: the response PDU (empty for a request that expects
    /// no answer), or why there is none.
    RequestDone {
        id: u64,
        result: Result<Vec<u8>, Error>,
    },
    /// The connection is unusable (garbage from the slave, repeated timeouts): drop it
    /// and connect again.
    Reconnect { reason: String },
}

/// The master's exchange engine.
pub(crate) struct Engine {
    cfg: Config,
    units: Vec<Unit>,
    link: LinkState,
    depth: DepthController,
    in_flight: InFlight,
    cycle: Option<Cycle>,
    writes: WritePacing,
    waiters: Waiters,
    one_offs: OneOffs,
    timers: TimerTable,
    errors: BlockErrors,
    /// What `status()` shows: counters kept here, the rest copied from the sub-states
    /// at the end of every step (`refresh_status`).
    status: Status,
    total_cycle_time: Duration,
    /// Received bytes not yet making a whole frame. Always there: an `Option` only so
    /// that a frame borrowed from it can be handled with `&mut self`.
    framer: Option<StreamFramer>,
}

impl Engine {
    pub(crate) fn new(cfg: Config, mut units: Vec<Unit>) -> Engine {
        let serial = cfg.framing.line().is_some();
        for u in units.iter_mut().filter(|u| serial && u.id == 0) {
            u.set_broadcast();
        }
        let depth = DepthController::new(cfg.depth, serial);
        let framer = StreamFramer::with_capacity(cfg.framing.delimiter(), RX_LEN);
        let mut engine = Engine {
            status: Status {
                stale: true,
                mask_writes: true,
                ..Status::default()
            },
            writes: WritePacing::new(units.len()),
            cfg,
            units,
            link: LinkState::default(),
            depth,
            in_flight: InFlight::new(),
            cycle: None,
            waiters: Waiters::default(),
            one_offs: OneOffs::default(),
            timers: TimerTable::default(),
            errors: BlockErrors::default(),
            total_cycle_time: Duration::ZERO,
            framer: Some(framer),
        };
        engine.refresh_status();
        engine
    }

    pub(crate) fn status(&self) -> &Status {
        &self.status
    }

    /// True once the slave answered anything on the current connection.
    pub(crate) fn answered_on_connection(&self) -> bool {
        self.link.answered_on_connection()
    }

    /// Who the slave is, once connected (reported as the origin of its changes).
    pub(crate) fn set_peer(&mut self, peer: Peer) {
        for u in &mut self.units {
            u.peer = peer;
        }
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.waiters
            .poll_done()
            .or_else(|| self.one_offs.poll_done())
            .or_else(|| {
                let reason = self.link.take_reconnect()?;
                Some(Event::Reconnect { reason })
            })
    }

    /// The connection is up: start a cycle at once.
    pub(crate) fn handle_connected(&mut self, now: Instant) {
        let connection = self.link.connected();
        if connection.again {
            self.status.reconnects += 1;
        }
        self.in_flight.clear();
        if let Some(f) = self.framer.as_mut() {
            f.clear();
        }
        self.timers.stop(Timer::BusFree);
        // Each connection starts at one request in flight and widens again.
        self.depth.connected();
        self.errors.connected();
        for u in &self.units {
            u.mem.lock().clear_read_only_marks();
        }
        self.writes.connected(connection.reads_first);
        if connection.reads_first_now {
            tracing::warn!(peer = %self.cfg.peer,
                "the slave dropped the last connections after writes: reads go first, writes follow with growing pauses");
        }
        self.start_cycle(now);
        self.refresh_status();
    }

    /// The connection dropped (or the driver dropped it after a `Reconnect` event).
    /// Writes in flight are kept for the next connection; reads are abandoned.
    pub(crate) fn handle_disconnected(&mut self, now: Instant, reason: &str) {
        let (in_flight, answers) = (self.in_flight.len(), self.link.answers());
        if !self.link.disconnected() {
            return;
        }
        self.status.last_error = Some(format!("connection to {} lost: {reason}", self.cfg.peer));
        let narrowed = self.depth.connection_lost(in_flight, answers);
        self.log_narrowed(narrowed);
        while let Some(f) = self.in_flight.pop_oldest() {
            self.fail(now, f, Fault::Disconnected(reason.to_string()));
        }
        // A lost connection is said once, in `last_error` and by the items' quality
        // (stale), not as a failure of every block that was in flight.
        self.errors.forget_disconnects();
        self.cycle = None;
        self.waiters.fail_syncs(&self.cfg.peer, reason);
        self.fail_one_offs(reason);
        self.set_stale(true, now);
        tracing::warn!(peer = %self.cfg.peer, reason, "disconnected; writes are kept and sent after reconnecting");
        self.refresh_status();
    }

    /// A connection attempt failed.
    pub(crate) fn handle_connect_failed(&mut self, reason: &str) {
        self.status.last_error = Some(format!("cannot connect to {}: {reason}", self.cfg.peer));
        self.waiters.fail_syncs(&self.cfg.peer, reason);
        self.fail_one_offs(reason);
    }

    /// The one-off requests waiting to be sent fail: no connection for them now.
    fn fail_one_offs(&mut self, reason: &str) {
        let peer = &self.cfg.peer;
        self.one_offs.fail_queued(|| Error::NotConnected {
            peer: peer.clone(),
            reason: reason.to_string(),
        });
    }

    /// Time passed: expire requests, start the next cycle when due.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.expire_requests(now);
        self.writes.expire(now);
        let timeouts = self.link.consecutive_timeouts();
        // A serial line stays open for the other units; a TCP connection (or a UDP
        // socket, resolved again) is made again.
        if self.cfg.framing.is_mbap()
            && timeouts >= self.cfg.timeouts_before_reconnect.max(1)
            && !self.link.reconnect_asked()
        {
            self.link.ask_reconnect(format!(
                "{timeouts} requests in a row got no answer within {:?}",
                self.cfg.response_timeout
            ));
        }
        self.timers.expire(Timer::BusFree, now);
        let framer_due = self.framer.as_ref().and_then(StreamFramer::poll_timeout);
        if framer_due.is_some_and(|t| t <= now) {
            self.handle_input(now, &[]);
        }
        if self.link.is_connected()
            && self.cycle.is_none()
            && self.timers.is_due(Timer::NextCycle, now)
        {
            self.start_cycle(now);
        }
        self.refresh_status();
    }

    /// When the driver must call `handle_timeout` next, if nothing else happens first.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let requests = self.in_flight.earliest_deadline();
        if !self.link.is_connected() {
            return requests;
        }
        let framer = self.framer.as_ref().and_then(StreamFramer::poll_timeout);
        [requests, self.timers.next(), framer, self.writes.wake_at()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs a cycle now (or right after the running one) and reports it as `SyncDone`.
    pub(crate) fn request_sync(&mut self, now: Instant, id: u64) {
        self.waiters.sync(id, self.generations());
        if self.link.is_connected() && self.cycle.is_none() {
            self.start_cycle(now);
        }
        self.refresh_status();
    }

    /// Sends the request `pdu` to `unit` with the cycle's requests (before them) and
    /// reports `RequestDone` with its answer; `answered` is false for a request the slave
    /// never answers (FC08/04), and a broadcast on a serial line is never answered either.
    pub(crate) fn request_one_off(&mut self, id: u64, unit: u8, pdu: Vec<u8>, answered: bool) {
        let broadcast = unit == 0 && self.cfg.framing.line().is_some();
        self.one_offs.push(Queued {
            id,
            unit,
            pdu,
            answered: answered && !broadcast,
        });
        self.refresh_status();
    }

    /// Reports `FlushDone` once every local write made so far is confirmed by the slave.
    pub(crate) fn request_flush(&mut self, id: u64) {
        self.waiters.flush(id, self.generations());
        self.check_flushes();
    }

    /// The worker is stopping: writes still in flight are marked to be sent again (by
    /// the next master of the memory), and every waiter gets `Stopped`.
    pub(crate) fn stop(&mut self) {
        while let Some(f) = self.in_flight.pop_oldest() {
            match f.op {
                Op::Write { ticket } => write_lost(&mut self.units[f.unit].mem.lock(), &ticket),
                Op::OneOff { id } => self.one_offs.stopped(id),
                Op::Read { .. } => {}
            }
        }
        self.cycle = None;
        self.waiters.stopped();
        self.one_offs.fail_queued(|| Error::Stopped);
    }

    /// Tests of other rules start at the configured depth at once.
    #[cfg(test)]
    pub(crate) fn assume_full_depth(&mut self) {
        self.depth.assume_full();
        self.refresh_status();
    }

    /// Requests whose deadline passed: over UDP one with retries left goes again as it
    /// was; a request sent beside another goes again (the slave may take one at a time),
    /// any other fails.
    fn expire_requests(&mut self, now: Instant) {
        while let Some(f) = self.in_flight.take_expired(now) {
            // Lost beside another, from a slave never seen to answer such a request: more
            // likely one that takes one at a time (pymodbus drops the others) than a lost
            // datagram; the rule for those below sends it again, alone.
            let one_at_a_time = f.beside && !self.depth.pipelining_seen();
            if f.retries_left > 0 && !one_at_a_time {
                // The datagram or its answer was lost (or is late: either answer counts).
                self.in_flight.resend_later(f);
                continue;
            }
            self.status.timeouts += 1;
            if let Some(silence) = self.cfg.framing.silence() {
                self.timers.set(Timer::BusFree, now + silence);
            }
            if f.beside {
                if let Some(c) = self.cycle.as_mut() {
                    c.lost_beside();
                }
                // Maybe the slave takes one request at a time: narrow, and send this one
                // again inside the same cycle rather than fail the user's sync.
                let narrowed = self.depth.lost_beside();
                self.log_narrowed(narrowed);
                self.retry(f);
                continue;
            }
            self.link.timed_out();
            self.fail(now, f, Fault::Timeout(self.cfg.response_timeout));
        }
    }

    fn log_narrowed(&self, narrowed: Option<Narrowed>) {
        let Some(Narrowed { reason, why }) = narrowed else {
            return;
        };
        let peer = &self.cfg.peer;
        if reason == DepthReason::FaultFallBack {
            tracing::info!(%peer, why, "one request at a time until a cycle goes through");
        } else {
            tracing::info!(%peer, why, "the slave takes one request at a time");
        }
    }

    /// Copies what the sub-states know into `status`: called at the end of every step.
    fn refresh_status(&mut self) {
        let s = &mut self.status;
        s.connected = self.link.is_connected();
        s.depth = self.depth.depth();
        s.depth_reason = self.depth.reason();
        if let Some(errors) = self.errors.take_changed() {
            s.block_errors = errors;
        }
        if s.last_fault.as_ref() != self.errors.last() {
            s.last_fault = self.errors.last().cloned();
        }
    }

    /// The write counter of every unit's memory, now.
    fn generations(&self) -> Vec<u64> {
        self.units
            .iter()
            .map(|u| u.mem.lock().generation())
            .collect()
    }

    fn set_stale(&mut self, stale: bool, now: Instant) {
        self.status.stale = stale;
        for u in &self.units {
            u.set_stale(stale, now);
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
