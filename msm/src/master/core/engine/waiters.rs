//! Who waits for what: `sync`s for a cycle, `flush`es for their writes to be confirmed,
//! and the refusals they must report.
//!
//! Invariants: a `sync` asked while a cycle runs waits for the next one (it must see
//! the slave's data as of after it was asked); each waiter gets exactly one answer;
//! waiters of the same kind are answered in the order they asked; a refusal of a write
//! made before a waiter was asked fails it until a later write of the same items is
//! confirmed.

use std::collections::VecDeque;

use super::Event;
use crate::master::core::planner::Block;
use crate::master::core::status::BlockError;
use crate::types::Error;

/// A waiter and the write counters (one per unit) when it was asked.
struct Waiter {
    id: u64,
    targets: Vec<u64>,
}

/// A write the slave refused.
struct Refusal {
    unit: usize,
    block: Block,
    /// The oldest local write it carried.
    oldest: u64,
    error: BlockError,
}

/// The engine's waiters and their answers, ready for `poll_event`.
#[derive(Default)]
pub(super) struct Waiters {
    /// `sync`s waiting for the next cycle to start.
    next_cycle: Vec<Waiter>,
    /// `sync`s waiting for the running cycle to end.
    this_cycle: Vec<Waiter>,
    flushes: Vec<Waiter>,
    refusals: Vec<Refusal>,
    done: VecDeque<Event>,
}

impl Waiters {
    /// `sync` number `id`, asked when the write counters were `targets`.
    pub(super) fn sync(&mut self, id: u64, targets: Vec<u64>) {
        self.next_cycle.push(Waiter { id, targets });
    }

    /// `flush` number `id`: done once every write made up to `targets` is settled.
    pub(super) fn flush(&mut self, id: u64, targets: Vec<u64>) {
        self.flushes.push(Waiter { id, targets });
    }

    /// True while a `sync` waits for a cycle to start.
    pub(super) fn syncs_waiting(&self) -> bool {
        !self.next_cycle.is_empty()
    }

    /// A cycle started: the `sync`s waiting wait for its end.
    pub(super) fn cycle_started(&mut self) {
        self.this_cycle.append(&mut self.next_cycle);
    }

    /// The cycle ended, with `first_error` if a block of it failed.
    pub(super) fn cycle_done(&mut self, first_error: Option<&BlockError>) {
        for w in std::mem::take(&mut self.this_cycle) {
            let result = match first_error {
                Some(e) => Err(Error::Block(e.clone())),
                None => self.standing_refusal(&w.targets),
            };
            self.done.push_back(Event::SyncDone { id: w.id, result });
        }
    }

    /// No cycle will run for now (the connection is lost, or could not be made): every
    /// `sync` fails. Flushes wait on, across reconnections.
    pub(super) fn fail_syncs(&mut self, peer: &str, reason: &str) {
        let waiting = std::mem::take(&mut self.this_cycle);
        for w in waiting
            .into_iter()
            .chain(std::mem::take(&mut self.next_cycle))
        {
            let result = Err(Error::NotConnected {
                peer: peer.to_string(),
                reason: reason.to_string(),
            });
            self.done.push_back(Event::SyncDone { id: w.id, result });
        }
    }

    /// The worker stops: every waiter gets `Stopped`.
    pub(super) fn stopped(&mut self) {
        let syncs = std::mem::take(&mut self.this_cycle);
        for w in syncs
            .into_iter()
            .chain(std::mem::take(&mut self.next_cycle))
        {
            let result = Err(Error::Stopped);
            self.done.push_back(Event::SyncDone { id: w.id, result });
        }
        for w in std::mem::take(&mut self.flushes) {
            let result = Err(Error::Stopped);
            self.done.push_back(Event::FlushDone { id: w.id, result });
        }
    }

    /// Answers the flushes whose writes are all settled (`settled(targets)`): confirmed,
    /// or refused (then it fails).
    pub(super) fn check_flushes(&mut self, settled: impl Fn(&[u64]) -> bool) {
        let (ready, waiting) = std::mem::take(&mut self.flushes)
            .into_iter()
            .partition(|w| settled(&w.targets));
        self.flushes = waiting;
        for w in ready {
            let result = self.standing_refusal(&w.targets);
            self.done.push_back(Event::FlushDone { id: w.id, result });
        }
    }

    /// The slave refused a write of `block` to `unit` carrying local writes from
    /// `oldest` on: the flushes waiting for it fail now, and later ones report it until
    /// a write of its items is confirmed.
    pub(super) fn write_refused(
        &mut self,
        unit: usize,
        block: Block,
        oldest: u64,
        error: &BlockError,
    ) {
        self.write_confirmed(unit, block);
        self.refusals.push(Refusal {
            unit,
            block,
            oldest,
            error: error.clone(),
        });
        let (failed, waiting) = std::mem::take(&mut self.flushes)
            .into_iter()
            .partition(|w| w.targets.get(unit).is_some_and(|&t| oldest <= t));
        self.flushes = waiting;
        for w in failed {
            let result = Err(Error::Block(error.clone()));
            self.done.push_back(Event::FlushDone { id: w.id, result });
        }
    }

    /// A write of `block` to `unit` was confirmed: refusals of its items are over.
    pub(super) fn write_confirmed(&mut self, unit: usize, block: Block) {
        self.refusals
            .retain(|r| !(r.unit == unit && r.block.overlaps(&block)));
    }

    /// The next answer to deliver.
    pub(super) fn poll_done(&mut self) -> Option<Event> {
        self.done.pop_front()
    }

    /// The result for a waiter asked at `targets`: the refusal of a write made before
    /// it, if one stands.
    fn standing_refusal(&self, targets: &[u64]) -> Result<(), Error> {
        match self
            .refusals
            .iter()
            .find(|r| targets.get(r.unit).is_some_and(|&t| r.oldest <= t))
        {
            Some(r) => Err(Error::Block(r.error.clone())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::core::status::{Fault, Operation};
    use crate::memory::Area;
    use crate::protocol::ExceptionCode;

    fn block(index: usize) -> Block {
        Block {
            area: Area::Holding,
            index,
            count: 1,
        }
    }

    fn refused(index: usize) -> BlockError {
        BlockError {
            unit: 1,
            operation: Operation::Write,
            area: Area::Holding,
            address: index as u16,
            count: 1,
            fault: Fault::Exception {
                code: ExceptionCode::IllegalDataValue,
            },
        }
    }

    /// The answers now, as (id, Ok or the error's address).
    fn answers(w: &mut Waiters) -> Vec<(u64, Result<(), Option<u16>>)> {
        std::iter::from_fn(|| w.poll_done())
            .map(|e| match e {
                Event::SyncDone { id, result } | Event::FlushDone { id, result } => (
                    id,
                    result.map_err(|e| match e {
                        Error::Block(b) => Some(b.address),
                        _ => None,
                    }),
                ),
                Event::Reconnect { .. } | Event::RequestDone { .. } => panic!("not a waiter's"),
            })
            .collect()
    }

    #[test]
    fn syncs_wait_for_a_cycle_started_after_them_and_are_answered_in_order() {
        let mut w = Waiters::default();
        w.sync(1, vec![0]);
        w.sync(2, vec![0]);
        w.cycle_started();
        w.sync(3, vec![0]);
        assert!(w.syncs_waiting());
        w.cycle_done(None);
        assert_eq!(answers(&mut w), [(1, Ok(())), (2, Ok(()))]);
        w.cycle_started();
        assert!(!w.syncs_waiting());
        w.cycle_done(Some(&refused(9)));
        assert_eq!(
            answers(&mut w),
            [(3, Err(Some(9)))],
            "the cycle's first error"
        );
    }

    #[test]
    fn flushes_are_answered_in_order_once_their_writes_are_settled() {
        let mut w = Waiters::default();
        w.flush(1, vec![5]);
        w.flush(2, vec![9]);
        w.flush(3, vec![6]);
        w.check_flushes(|t| t[0] <= 6);
        assert_eq!(answers(&mut w), [(1, Ok(())), (3, Ok(()))]);
        w.check_flushes(|_| false);
        assert!(answers(&mut w).is_empty());
        w.check_flushes(|_| true);
        assert_eq!(answers(&mut w), [(2, Ok(()))]);
    }

    #[test]
    fn a_refusal_fails_the_flushes_waiting_for_it_and_later_ones_until_confirmed() {
        let mut w = Waiters::default();
        w.flush(1, vec![4]); // asked before the refused write was made
        w.flush(2, vec![7]);
        w.write_refused(0, block(3), 5, &refused(3));
        assert_eq!(answers(&mut w), [(2, Err(Some(3)))]);
        w.sync(3, vec![8]);
        w.cycle_started();
        w.cycle_done(None);
        w.flush(4, vec![8]);
        w.check_flushes(|_| true);
        assert_eq!(
            answers(&mut w),
            [(3, Err(Some(3))), (1, Ok(())), (4, Err(Some(3)))],
            "reported to those asked after the write, not before"
        );
        w.write_confirmed(0, block(3));
        w.flush(5, vec![9]);
        w.check_flushes(|_| true);
        assert_eq!(answers(&mut w), [(5, Ok(()))], "a confirmed write ends it");
    }

    #[test]
    fn a_refusal_of_another_unit_or_block_is_its_own() {
        let mut w = Waiters::default();
        w.write_refused(1, block(3), 5, &refused(3));
        w.write_refused(1, block(3), 6, &refused(33)); // the same items again: replaces
        w.write_confirmed(0, block(3));
        w.write_confirmed(1, block(4));
        w.flush(1, vec![9, 9]);
        w.check_flushes(|_| true);
        assert_eq!(answers(&mut w), [(1, Err(Some(33)))]);
        w.flush(2, vec![9]);
        w.check_flushes(|_| true);
        assert_eq!(
            answers(&mut w),
            [(2, Ok(()))],
            "no target for unit 1: nothing to report"
        );
    }

    #[test]
    fn a_lost_connection_fails_every_sync_in_order_and_flushes_wait_on() {
        let mut w = Waiters::default();
        w.sync(1, vec![0]);
        w.cycle_started();
        w.sync(2, vec![0]);
        w.flush(3, vec![0]);
        w.fail_syncs("slave", "reset");
        let events: Vec<Event> = std::iter::from_fn(|| w.poll_done()).collect();
        assert!(
            matches!(
                &events[..],
                [
                    Event::SyncDone {
                        id: 1,
                        result: Err(Error::NotConnected { .. })
                    },
                    Event::SyncDone {
                        id: 2,
                        result: Err(Error::NotConnected { .. })
                    }
                ]
            ),
            "{events:?}"
        );
        w.stopped();
        let events: Vec<Event> = std::iter::from_fn(|| w.poll_done()).collect();
        assert!(
            matches!(
                &events[..],
                [Event::FlushDone {
                    id: 3,
                    result: Err(Error::Stopped)
                }]
            ),
            "{events:?}"
        );
    }
}
