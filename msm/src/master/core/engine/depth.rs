//! The pipelining depth controller: how many requests may be in flight, and why.
//!
//! Every connection starts at one request in flight, so the first `sync()` works with
//! any slave. Once a cycle went through at the depth in use, an answer that comes back
//! with the window full widens it by one, up to the configured depth. A request sent
//! beside another that goes unanswered narrows it: to one for good if the slave never
//! answered a pipelined request (it takes one at a time), else to one until a cycle goes
//! through (a fault), and for good after two such fall backs in a row.

use crate::master::core::status::DepthReason;

/// Why the depth was narrowed, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Narrowed {
    pub(super) reason: DepthReason,
    pub(super) why: &'static str,
}

/// The pipelining depth and the evidence it rests on.
#[derive(Debug)]
pub(super) struct DepthController {
    /// Requests in flight allowed now.
    depth: usize,
    /// The most allowed: the configured depth, or 1 once the slave showed it takes one
    /// at a time (always 1 on a serial line).
    limit: usize,
    /// What the user asked for (`Master::pipelining`).
    configured: usize,
    serial: bool,
    reason: DepthReason,
    /// The slave answered a request sent while another was in flight.
    pipelining_seen: bool,
    /// A cycle completed on this connection at the depth in use: widening is allowed.
    may_widen: bool,
    /// Fall backs since a cycle last went through at a depth above 1 without a request
    /// lost beside another: two in a row say the slave cannot take several after all.
    fallbacks: u32,
}

impl DepthController {
    /// A controller for `configured` requests in flight (`serial`: always one).
    pub(super) fn new(configured: usize, serial: bool) -> DepthController {
        let mut c = DepthController {
            depth: 1,
            limit: if serial { 1 } else { configured.max(1) },
            configured,
            serial,
            reason: DepthReason::Configured,
            pipelining_seen: false,
            may_widen: false,
            fallbacks: 0,
        };
        c.reason = c.reason_when_narrow();
        c
    }

    /// Requests in flight allowed now.
    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    pub(super) fn reason(&self) -> DepthReason {
        self.reason
    }

    /// True once the slave answered a request sent while another was in flight.
    pub(super) fn pipelining_seen(&self) -> bool {
        self.pipelining_seen
    }

    /// A new connection: one request in flight until a cycle goes through.
    pub(super) fn connected(&mut self) {
        self.set(1, self.reason_when_narrow());
        self.may_widen = false;
    }

    /// An answer came with `in_flight_before` requests in flight, to a request sent
    /// `beside` another or alone: widen while the slave keeps up with a full window.
    pub(super) fn answered(&mut self, in_flight_before: usize, beside: bool) {
        if beside {
            self.pipelining_seen = true;
        }
        if self.may_widen && in_flight_before >= self.depth && self.depth < self.limit {
            let depth = self.depth + 1;
            let reason = if depth == self.limit {
                DepthReason::Configured
            } else {
                DepthReason::Widening
            };
            self.set(depth, reason);
        }
    }

    /// A cycle went through; `lost_beside` if a request sent beside another timed out
    /// during it.
    pub(super) fn cycle_done(&mut self, lost_beside: bool) {
        self.may_widen = true;
        if self.depth > 1 && !lost_beside {
            self.fallbacks = 0;
        }
    }

    /// A request sent beside another got no answer in time.
    pub(super) fn lost_beside(&mut self) -> Option<Narrowed> {
        if self.pipelining_seen {
            self.fall_back("a request timed out while several were in flight")
        } else {
            self.limit_to_one("a request sent while another was in flight got no answer")
        }
    }

    /// The connection closed with `in_flight` requests in flight after `answers`
    /// answers: a slave that closes when sent several at once takes one at a time.
    pub(super) fn connection_lost(&mut self, in_flight: usize, answers: u64) -> Option<Narrowed> {
        if in_flight > 1 && answers == 0 && !self.pipelining_seen {
            return self.limit_to_one(
                "the slave closed the connection when sent several requests at once",
            );
        }
        None
    }

    /// Tests of other rules start at the configured depth at once.
    #[cfg(test)]
    pub(super) fn assume_full(&mut self) {
        self.set(self.limit, DepthReason::Configured);
        self.may_widen = true;
    }

    /// A fault while pipelining (a blackhole, a lost answer): one request at a time until
    /// a cycle goes through, then wider again.
    fn fall_back(&mut self, why: &'static str) -> Option<Narrowed> {
        if self.depth <= 1 {
            return None;
        }
        self.fallbacks += 1;
        if self.fallbacks >= 2 {
            // Widening failed again before a clean pipelined cycle: some slaves answer a
            // request beside another only now and then (pymodbus, when they arrive in
            // separate segments). Not a passing fault: stay at one.
            return self.limit_to_one("requests sent beside another keep going unanswered");
        }
        self.set(1, DepthReason::FaultFallBack);
        self.may_widen = false;
        Some(Narrowed {
            reason: DepthReason::FaultFallBack,
            why,
        })
    }

    /// The slave takes one request at a time, by its nature: stay at one. Said once.
    fn limit_to_one(&mut self, why: &'static str) -> Option<Narrowed> {
        let news = self.limit > 1;
        self.limit = 1;
        self.set(1, DepthReason::SlaveOneAtATime);
        news.then_some(Narrowed {
            reason: DepthReason::SlaveOneAtATime,
            why,
        })
    }

    fn set(&mut self, depth: usize, reason: DepthReason) {
        self.depth = depth;
        self.reason = reason;
    }

    /// Why the depth is 1 at the start of a connection.
    fn reason_when_narrow(&self) -> DepthReason {
        if self.serial {
            DepthReason::Serial
        } else if self.limit > 1 {
            DepthReason::Widening
        } else if self.configured > 1 {
            DepthReason::SlaveOneAtATime
        } else {
            DepthReason::Configured
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cycle at the depth in use, each answer coming with the window full.
    fn full_cycle(c: &mut DepthController, answers: usize) {
        for _ in 0..answers {
            c.answered(c.depth(), c.depth() > 1);
        }
        c.cycle_done(false);
    }

    #[test]
    fn first_contact_is_one_at_a_time_then_widens_one_step_per_full_window() {
        let mut c = DepthController::new(4, false);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::Widening));
        c.answered(1, false);
        assert_eq!(c.depth(), 1, "no widening before a cycle went through");
        c.cycle_done(false);
        c.answered(0, false);
        assert_eq!(
            c.depth(),
            1,
            "an answer with the window not full says nothing"
        );
        c.answered(1, false);
        assert_eq!((c.depth(), c.reason()), (2, DepthReason::Widening));
        c.answered(2, true);
        c.answered(3, true);
        assert_eq!((c.depth(), c.reason()), (4, DepthReason::Configured));
        c.answered(4, true);
        assert_eq!(c.depth(), 4, "never beyond the configured depth");
        c.connected();
        assert_eq!(
            (c.depth(), c.reason()),
            (1, DepthReason::Widening),
            "each connection starts at one"
        );
    }

    #[test]
    fn a_lost_request_beside_another_before_any_pipelined_answer_means_one_at_a_time_for_good() {
        let mut c = DepthController::new(4, false);
        c.cycle_done(false);
        c.answered(1, false);
        assert_eq!(c.depth(), 2);
        let n = c.lost_beside().expect("news");
        assert_eq!(n.reason, DepthReason::SlaveOneAtATime);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::SlaveOneAtATime));
        assert_eq!(c.lost_beside(), None, "said once");
        full_cycle(&mut c, 10);
        assert_eq!(c.depth(), 1, "it never widens again");
        c.connected();
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::SlaveOneAtATime));
    }

    #[test]
    fn a_fault_while_pipelining_falls_back_until_a_cycle_goes_through() {
        let mut c = DepthController::new(4, false);
        c.assume_full();
        full_cycle(&mut c, 4);
        let n = c.lost_beside().expect("news");
        assert_eq!(n.reason, DepthReason::FaultFallBack);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::FaultFallBack));
        c.answered(1, false);
        assert_eq!(c.depth(), 1, "not before a cycle went through");
        c.cycle_done(true);
        for _ in 0..3 {
            c.answered(c.depth(), true);
        }
        assert_eq!(
            (c.depth(), c.reason()),
            (4, DepthReason::Configured),
            "wider again"
        );
    }

    #[test]
    fn two_fall_backs_without_a_clean_pipelined_cycle_mean_one_at_a_time() {
        let mut c = DepthController::new(4, false);
        c.assume_full();
        full_cycle(&mut c, 4);
        c.lost_beside();
        c.cycle_done(true);
        c.answered(1, false);
        assert_eq!(c.depth(), 2);
        let n = c.lost_beside().expect("news");
        assert_eq!(n.reason, DepthReason::SlaveOneAtATime);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::SlaveOneAtATime));
    }

    #[test]
    fn a_clean_pipelined_cycle_forgives_a_fall_back() {
        let mut c = DepthController::new(2, false);
        c.assume_full();
        full_cycle(&mut c, 4);
        c.lost_beside();
        c.cycle_done(false);
        c.answered(1, true);
        assert_eq!(c.depth(), 2);
        c.cycle_done(false); // clean, at depth 2
        assert_eq!(
            c.lost_beside().map(|n| n.reason),
            Some(DepthReason::FaultFallBack)
        );
    }

    #[test]
    fn a_slave_closing_on_several_requests_before_any_answer_takes_one_at_a_time() {
        let mut c = DepthController::new(4, false);
        assert_eq!(c.connection_lost(1, 0), None, "one request: says nothing");
        assert_eq!(c.connection_lost(2, 3), None, "it had answered");
        let n = c.connection_lost(2, 0).expect("news");
        assert_eq!(n.reason, DepthReason::SlaveOneAtATime);
        c.connected();
        assert_eq!(c.reason(), DepthReason::SlaveOneAtATime);
    }

    #[test]
    fn a_serial_line_and_a_depth_of_one_stay_at_one() {
        let mut c = DepthController::new(8, true);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::Serial));
        full_cycle(&mut c, 5);
        c.connected();
        full_cycle(&mut c, 5);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::Serial));
        let mut c = DepthController::new(1, false);
        full_cycle(&mut c, 5);
        assert_eq!((c.depth(), c.reason()), (1, DepthReason::Configured));
    }
}
