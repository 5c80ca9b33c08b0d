//! The slave's [`Service`]: where a request becomes its response, on every transport.
//! The unit filter (own units, broadcasts, units not served), then the request itself
//! against the memory that serves the unit ([`exec`](super::exec)).

use ::core::net::SocketAddr;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::memory::{Memory, Peer};
use crate::protocol::stream::{Discarded, Skipped};
use crate::protocol::{DiagnosticsRequest, ExceptionCode, Request, encode_exception};

use super::exec::{self, Context};
use super::fault::{self, Faults};
use super::rules::Rules;
use super::service::{Answer, Incoming, NoAnswer, Observed, Service};

/// Who a connection serves.
#[derive(Clone, Debug)]
pub(crate) enum Client {
    /// A client on a TCP connection, with its role (from its TLS certificate; `None`
    /// is the NULL role, and every client's without TLS).
    Tcp {
        addr: SocketAddr,
        role: Option<String>,
    },
    /// The masters of a serial line.
    Serial {
        /// The line, for the logs.
        line: String,
    },
    /// The sender of the datagram being answered (Modbus/UDP).
    Udp { addr: SocketAddr },
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Client::Tcp { addr, .. } => write!(f, "{addr}"),
            Client::Serial { line } => f.write_str(line),
            Client::Udp { addr } => write!(f, "{addr} (UDP)"),
        }
    }
}

/// Answers one connection's requests against the slave's memory, by its rules, and
/// keeps the slave's diagnostics (`diagnostics.rs`) from what the connection sees.
pub(crate) struct Responder {
    rules: Arc<Rules>,
    mem: Memory,
    client: Client,
    /// The faults the slave makes on purpose, as this connection last read them.
    faults: Faults,
    /// The request being answered, when it was addressed to this slave: what its
    /// answer (or silence) is counted against.
    pending: Option<Pending>,
}

/// A request addressed to this slave (or broadcast), until its answer is observed.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// Its function code, `None` for an empty PDU.
    function: Option<u8>,
}

impl Responder {
    pub(crate) fn new(rules: Arc<Rules>, mem: Memory, client: Client) -> Responder {
        let faults = Faults::new(rules.faults.clone());
        Responder {
            rules,
            mem,
            client,
            faults,
            pending: None,
        }
    }

    /// The next request comes in a datagram from `addr`: answered to it, reported as
    /// its write. Nothing else of the sender is kept.
    pub(crate) fn datagram_from(&mut self, addr: SocketAddr) {
        self.client = Client::Udp { addr };
    }
}

impl Service for Responder {
    #[inline]
    fn respond(&mut self, request: &Incoming<'_>, out: &mut [u8]) -> Answer {
        let rules = &*self.rules;
        let unit = request.unit;
        self.pending = None;
        let (peer, role) = match &self.client {
            Client::Tcp { addr, role } => (Peer::Tcp(*addr), role.as_deref()),
            Client::Serial { .. } => (Peer::Serial { unit }, None),
            Client::Udp { addr } => (Peer::Udp(*addr), None),
        };
        // An RTU broadcast: executed by every slave, answered by none.
        let broadcast = rules.rtu && unit == 0;
        if !broadcast && !rules.units.contains(unit) {
            log_unit_not_served(&self.client, unit, request.at);
            if !rules.unknown_unit_exception || rules.rtu {
                // Silence, as a gateway without that device would give (and as every
                // other device on a serial line does): the master times out.
                return Answer::Nothing(NoAnswer::UnitNotServed);
            }
            let Some(function) = request.pdu.first() else {
                return Answer::Nothing(NoAnswer::NoFunction);
            };
            return encode_exception(out, function & 0x7F, ExceptionCode::GatewayTargetDevice)
                .map_or(Answer::Nothing(NoAnswer::TooLong), Answer::Pdu);
        }
        let diag = &rules.diagnostics;
        self.pending = Some(Pending {
            function: request.pdu.first().copied(),
        });
        if diag.received(broadcast) {
            // Listen-only mode: monitored, not executed, not answered; only a restart
            // (FC08/01) leaves it, unanswered too.
            if let Ok(Request::Diagnostics { sub_function, data }) = Request::decode(request.pdu)
                && let Ok(DiagnosticsRequest::RestartCommunications { clear_log }) =
                    DiagnosticsRequest::parse(sub_function, data)
            {
                // Counted anew from the restart.
                self.pending = None;
                diag.restart(clear_log);
                tracing::info!(peer = %self.client, unit, clear_log, "restart communications (FC08/01): listen-only mode left");
            }
            return Answer::Nothing(NoAnswer::ListenOnly);
        }
        let (mem, specs) = rules.route(unit, &self.mem);
        let ctx = Context {
            rules,
            specs,
            peer,
            unit,
            role,
        };
        let execute = |out: &mut [u8]| match exec::execute(request.pdu, mem, &ctx, out) {
            _ if broadcast => Answer::Nothing(NoAnswer::Broadcast),
            Ok(len) => Answer::Pdu(len),
            Err(why) => Answer::Nothing(why),
        };
        // A fault the slave was told to make, for the requests it answers.
        if !broadcast && let Some(struck) = self.faults.hit(request, &self.client) {
            return fault::answer(struck.action, request, out, self.faults.table(), execute);
        }
        execute(out)
    }

    fn observe(&mut self, event: Observed<'_>) {
        let diag = &self.rules.diagnostics;
        match event {
            Observed::Message { .. } => diag.bus_message(),
            Observed::Skipped(why) => {
                tracing::debug!(peer = %self.client, %why, "frame dropped unanswered");
                match why {
                    // Another protocol's frame on a TCP stream: not the bus's fault.
                    Skipped::Foreign { .. } => {}
                    Skipped::Rtu(Discarded::Overrun { .. }) => diag.bus_error(true),
                    _ => diag.bus_error(false),
                }
            }
            Observed::Answered { exception } => match self.pending.take() {
                Some(pending) => diag.answered(pending.function, exception),
                None if exception.is_some() => diag.exception_sent(),
                None => {}
            },
            Observed::Unanswered(_) => {
                if self.pending.take().is_some() {
                    diag.unanswered();
                }
            }
        }
    }

    fn ascii_end(&self) -> u8 {
        self.rules.diagnostics.ascii_delimiter()
    }
}

/// Logs a request for a unit this slave does not serve. On a serial line that is
/// another device's traffic (trace); elsewhere a master asking the wrong unit, logged
/// at most once a second across the process (a master polling the wrong unit would
/// otherwise flood the log). The target `msm::unknown_unit` lets a program show just
/// these.
fn log_unit_not_served(client: &Client, unit: u8, at: Instant) {
    if let Client::Serial { line } = client {
        tracing::trace!(%line, unit, "frame for another unit");
        return;
    }
    // Seconds counted from the first instant seen: the core reads no clock.
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    static LAST: AtomicU64 = AtomicU64::new(u64::MAX);
    static SKIPPED: AtomicU64 = AtomicU64::new(0);
    let origin = *ORIGIN.get_or_init(|| at);
    let second = at.saturating_duration_since(origin).as_secs();
    if LAST.swap(second, Ordering::Relaxed) == second {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let skipped = SKIPPED.swap(0, Ordering::Relaxed);
    tracing::warn!(
        target: "msm::unknown_unit",
        "request from {client} for unit {unit}, which this slave does not serve \
         (check the master's unit id, or --unit){}",
        if skipped > 0 { format!("; {skipped} more since the last such line") } else { String::new() }
    );
}

#[cfg(test)]
#[path = "functions_tests.rs"]
mod tests;
