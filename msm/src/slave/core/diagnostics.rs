//! A slave's diagnostics, as the serial line spec defines them: the eight FC08 counters,
//! the diagnostic register, the comm event counter and log (FC11, FC12), listen-only
//! mode and the ASCII input delimiter. One per slave, shared by its connections and
//! kept by the [`Responder`](super::respond::Responder) from what each connection sees
//! (`observe`) and answers (`respond`), so that every transport counts alike.
//!
//! What is counted, and when:
//! - a bus message: every whole frame a connection cuts, for this slave or not;
//! - a communication error: bytes dropped for a bad CRC/LRC or framing (a gap, a frame
//!   cut short, an impossible length); a character overrun: bytes dropped because they
//!   came faster than they were taken (which also sets the overrun flag, bit 0 of the
//!   diagnostic register);
//! - a server message: a request addressed to this slave (or broadcast) that it
//!   processed; a no response: one addressed to it that it did not answer (a broadcast,
//!   listen-only mode, FC08/04);
//! - a bus exception: every exception response sent; NAK (07) and busy (06) ones also
//!   count on their own;
//! - the comm event counter: every normal response, except to FC11 and FC12 (the spec's
//!   "fetch" commands);
//! - the event log (64 bytes, newest first): a receive event before each request
//!   addressed to this slave is processed and for each error on the bus, a send event
//!   after it is answered (or not), 0x04 when listen-only mode starts and 0x00 on a
//!   restart.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::protocol::{CommEvent, DiagnosticCounter, MAX_COMM_EVENTS, ReceiveEvent, SendEvent};

/// The ASCII input delimiter a slave starts with (LF), until FC08/03 changes it.
pub(crate) const DEFAULT_ASCII_DELIMITER: u8 = b'\n';

/// Bit 0 of the diagnostic register: a character overrun happened since the last clear.
pub(crate) const OVERRUN_FLAG: u16 = 0x0001;

/// The counters and the log, behind one lock.
#[derive(Clone, Debug, Default)]
struct Counters {
    counters: [u16; 8],
    register: u16,
    event_count: u16,
    /// Newest first.
    events: VecDeque<u8>,
    /// A restart answered, applied once its response is counted ("a normal response is
    /// returned ... before the restart is executed").
    restart: Option<bool>,
}

impl Counters {
    fn add(&mut self, counter: DiagnosticCounter) {
        let c = &mut self.counters[counter.index()];
        *c = c.wrapping_add(1);
    }

    fn log(&mut self, event: CommEvent) {
        if self.events.len() == MAX_COMM_EVENTS {
            self.events.pop_back();
        }
        self.events.push_front(event.to_byte());
    }

    fn clear(&mut self) {
        self.counters = [0; 8];
        self.register = 0;
        self.event_count = 0;
    }
}

/// One slave's diagnostics state (see the [module](self)).
#[derive(Debug)]
pub(crate) struct DiagnosticsState {
    listen_only: AtomicBool,
    delimiter: AtomicU8,
    inner: Mutex<Counters>,
}

impl Default for DiagnosticsState {
    fn default() -> Self {
        DiagnosticsState {
            listen_only: AtomicBool::new(false),
            delimiter: AtomicU8::new(DEFAULT_ASCII_DELIMITER),
            inner: Mutex::new(Counters::default()),
        }
    }
}

/// A copy of a slave's diagnostics, as FC08, FC11 and FC12 report them.
///
/// ```
/// use msm::protocol::DiagnosticCounter;
/// use msm::{Memory, Slave};
/// let slave = Slave::tcp("127.0.0.1:0").serve(Memory::new(1))?;
/// let d = slave.diagnostics();
/// assert_eq!(d.counter(DiagnosticCounter::BusMessages), 0);
/// assert!(!d.listen_only);
/// assert_eq!(d.ascii_delimiter, b'\n');
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostics {
    /// The eight counters, in [`DiagnosticCounter::ALL`] order (read them with
    /// [`counter`](Self::counter)).
    pub counters: [u16; 8],
    /// The diagnostic register (bit 0: a character overrun since the last clear).
    pub diagnostic_register: u16,
    /// The comm event counter (FC11).
    pub event_count: u16,
    /// The comm event log, newest first (at most 64 bytes).
    pub events: Vec<u8>,
    /// The slave answers nothing until FC08/01 (restart communications).
    pub listen_only: bool,
    /// The character that ends an ASCII frame (LF, until FC08/03 changes it).
    pub ascii_delimiter: u8,
}

impl Diagnostics {
    /// One counter's value.
    pub fn counter(&self, counter: DiagnosticCounter) -> u16 {
        self.counters[counter.index()]
    }
}

impl DiagnosticsState {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything.
    pub(crate) fn snapshot(&self) -> Diagnostics {
        let c = self.lock();
        Diagnostics {
            counters: c.counters,
            diagnostic_register: c.register,
            event_count: c.event_count,
            events: c.events.iter().copied().collect(),
            listen_only: self.listen_only(),
            ascii_delimiter: self.ascii_delimiter(),
        }
    }

    /// The slave is in listen-only mode.
    pub(crate) fn listen_only(&self) -> bool {
        self.listen_only.load(Ordering::Relaxed)
    }

    /// The character that ends an ASCII frame, for an ASCII framer to read.
    pub(crate) fn ascii_delimiter(&self) -> u8 {
        self.delimiter.load(Ordering::Relaxed)
    }

    /// One counter, the diagnostic register and the event counter, as FC08 and FC11
    /// report them.
    pub(crate) fn counter(&self, counter: DiagnosticCounter) -> u16 {
        self.lock().counters[counter.index()]
    }

    pub(crate) fn register(&self) -> u16 {
        self.lock().register
    }

    pub(crate) fn event_count(&self) -> u16 {
        self.lock().event_count
    }

    /// FC12's event count, message count and events (newest first), into `events`;
    /// returns how many events it wrote.
    pub(crate) fn event_log(&self, events: &mut [u8; MAX_COMM_EVENTS]) -> (u16, u16, usize) {
        let c = self.lock();
        for (slot, event) in events.iter_mut().zip(&c.events) {
            *slot = *event;
        }
        let messages = c.counters[DiagnosticCounter::BusMessages.index()];
        (c.event_count, messages, c.events.len())
    }

    // ---- what a connection sees ----

    /// A whole frame on the bus.
    pub(crate) fn bus_message(&self) {
        self.lock().add(DiagnosticCounter::BusMessages);
    }

    /// Bytes dropped: a communication error (CRC/LRC, framing), or a character overrun.
    pub(crate) fn bus_error(&self, overrun: bool) {
        let mut c = self.lock();
        if overrun {
            c.add(DiagnosticCounter::BusCharacterOverruns);
            c.register |= OVERRUN_FLAG;
        } else {
            c.add(DiagnosticCounter::BusCommunicationErrors);
        }
        let event = ReceiveEvent {
            communication_error: !overrun,
            character_overrun: overrun,
            listen_only: self.listen_only(),
            broadcast: false,
        };
        c.log(CommEvent::Received(event));
    }

    /// A request addressed to this slave (or broadcast) came: logs its receive event.
    /// Returns true while in listen-only mode (it is then not processed).
    pub(crate) fn received(&self, broadcast: bool) -> bool {
        let listen_only = self.listen_only();
        let event = ReceiveEvent {
            broadcast,
            listen_only,
            ..ReceiveEvent::default()
        };
        let mut c = self.lock();
        c.log(CommEvent::Received(event));
        if !listen_only {
            c.add(DiagnosticCounter::ServerMessages);
        }
        listen_only
    }

    /// The request was answered; `exception` is the response's exception code, if it
    /// is one; `function` the request's function (FC11 and FC12 do not count as events).
    pub(crate) fn answered(&self, function: Option<u8>, exception: Option<u8>) {
        let mut c = self.lock();
        match exception {
            Some(code) => {
                c.add(DiagnosticCounter::BusExceptionErrors);
                match code {
                    0x06 => c.add(DiagnosticCounter::ServerBusy),
                    0x07 => c.add(DiagnosticCounter::ServerNaks),
                    _ => {}
                }
            }
            None if matches!(function, Some(0x0B | 0x0C)) => {}
            None => c.event_count = c.event_count.wrapping_add(1),
        }
        self.finish(&mut c, exception);
    }

    /// A request addressed to this slave got no response.
    pub(crate) fn unanswered(&self) {
        let mut c = self.lock();
        c.add(DiagnosticCounter::ServerNoResponses);
        self.finish(&mut c, None);
    }

    /// The send event, then a restart answered.
    fn finish(&self, c: &mut Counters, exception: Option<u8>) {
        let mut event = SendEvent::after(exception);
        event.listen_only = self.listen_only();
        c.log(CommEvent::Sent(event));
        if let Some(clear_log) = c.restart.take() {
            self.restart_now(c, clear_log);
        }
    }

    /// An exception response sent for a request not addressed to this slave (exception
    /// 0B for a unit not served).
    pub(crate) fn exception_sent(&self) {
        self.lock().add(DiagnosticCounter::BusExceptionErrors);
    }

    // ---- what FC08 asks ----

    /// FC08/01 answered (not in listen-only mode): the restart is applied once its
    /// response is counted.
    pub(crate) fn restart_after_answer(&self, clear_log: bool) {
        self.lock().restart = Some(clear_log);
    }

    /// FC08/01 in listen-only mode: no response; restarted at once.
    pub(crate) fn restart(&self, clear_log: bool) {
        let mut c = self.lock();
        self.restart_now(&mut c, clear_log);
    }

    /// Leaves listen-only mode, clears the counters (and the log with `clear_log`) and
    /// logs the restart.
    fn restart_now(&self, c: &mut Counters, clear_log: bool) {
        self.listen_only.store(false, Ordering::Relaxed);
        c.clear();
        if clear_log {
            c.events.clear();
        }
        c.log(CommEvent::Restarted);
    }

    /// FC08/04: listen-only from now on.
    pub(crate) fn force_listen_only(&self) {
        let mut c = self.lock();
        self.listen_only.store(true, Ordering::Relaxed);
        c.log(CommEvent::EnteredListenOnly);
    }

    /// FC08/03.
    pub(crate) fn set_ascii_delimiter(&self, delimiter: u8) {
        self.delimiter.store(delimiter, Ordering::Relaxed);
    }

    /// FC08/0A: the counters and the diagnostic register.
    pub(crate) fn clear_counters(&self) {
        self.lock().clear();
    }

    /// FC08/14: the overrun counter and flag.
    pub(crate) fn clear_overrun(&self) {
        let mut c = self.lock();
        c.counters[DiagnosticCounter::BusCharacterOverruns.index()] = 0;
        c.register &= !OVERRUN_FLAG;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_64_events_first() {
        let d = DiagnosticsState::default();
        for _ in 0..40 {
            d.received(false);
            d.answered(Some(3), None);
        }
        let s = d.snapshot();
        assert_eq!(s.events.len(), 64);
        assert_eq!(s.events[0], 0x40, "a send event last");
        assert_eq!(s.events[1], 0x80, "its receive event before it");
        assert_eq!(s.event_count, 40);
        assert_eq!(s.counter(DiagnosticCounter::ServerMessages), 40);
    }

    #[test]
    fn exceptions_and_fetches_do_not_count_as_events() {
        let d = DiagnosticsState::default();
        d.answered(Some(0x0B), None);
        d.answered(Some(0x0C), None);
        d.answered(Some(3), Some(2));
        d.answered(Some(3), Some(6));
        d.answered(Some(3), Some(7));
        let s = d.snapshot();
        assert_eq!(s.event_count, 0);
        assert_eq!(s.counter(DiagnosticCounter::BusExceptionErrors), 3);
        assert_eq!(s.counter(DiagnosticCounter::ServerBusy), 1);
        assert_eq!(s.counter(DiagnosticCounter::ServerNaks), 1);
        // Newest first: the NAK, busy and read exception send events.
        assert_eq!(s.events[..3], [0x48, 0x44, 0x41]);
    }

    #[test]
    fn restart_after_the_answer_clears_then_logs_it() {
        let d = DiagnosticsState::default();
        d.bus_message();
        d.received(false);
        d.restart_after_answer(true);
        d.answered(Some(8), None);
        let s = d.snapshot();
        assert_eq!(s.counters, [0; 8]);
        assert_eq!((s.event_count, s.events.as_slice()), (0, &[0x00][..]));
    }

    #[test]
    fn listen_only_is_logged_and_left_by_a_restart_that_keeps_the_log() {
        let d = DiagnosticsState::default();
        d.force_listen_only();
        assert!(d.received(false), "in listen-only mode");
        d.restart(false);
        let s = d.snapshot();
        assert!(!s.listen_only);
        // Newest first: the restart, the receive event in listen-only mode, 0x04.
        assert_eq!(s.events, [0x00, 0xA0, 0x04]);
    }

    #[test]
    fn overruns_set_the_flag_until_cleared() {
        let d = DiagnosticsState::default();
        d.bus_error(true);
        d.bus_error(false);
        let s = d.snapshot();
        assert_eq!(s.diagnostic_register, OVERRUN_FLAG);
        assert_eq!(s.counter(DiagnosticCounter::BusCharacterOverruns), 1);
        assert_eq!(s.counter(DiagnosticCounter::BusCommunicationErrors), 1);
        assert_eq!(s.events, [0x82, 0x90]);
        d.clear_overrun();
        let s = d.snapshot();
        assert_eq!(s.diagnostic_register, 0);
        assert_eq!(s.counter(DiagnosticCounter::BusCharacterOverruns), 0);
        assert_eq!(s.counter(DiagnosticCounter::BusCommunicationErrors), 1);
    }
}
