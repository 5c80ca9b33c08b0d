//! The blocks whose last exchange failed, as `Status::block_errors` reports them.
//!
//! Invariants: one entry per (unit, operation, area, address), the newest fault; an
//! entry goes when its block next goes through; a lost connection is no block's error
//! (it is said once, in `last_error`, and by the items' quality).

use std::collections::BTreeMap;

use crate::master::core::status::{BlockError, Fault, Operation};
use crate::memory::Area;

type Key = (u8, Operation, Area, u16);

fn key(e: &BlockError) -> Key {
    (e.unit, e.operation, e.area, e.address)
}

#[derive(Default)]
pub(super) struct BlockErrors {
    by_block: BTreeMap<Key, BlockError>,
    /// The newest failure on this connection, even if its block went through since:
    /// the cause to give a caller who stopped waiting (issue 23).
    last: Option<BlockError>,
    /// The list changed since `take_changed`.
    changed: bool,
}

impl BlockErrors {
    /// Records a failure; true if it is news (a new block, or another fault): worth a
    /// log line.
    pub(super) fn record(&mut self, e: &BlockError) -> bool {
        self.last = Some(e.clone());
        let news = self
            .by_block
            .get(&key(e))
            .is_none_or(|old| old.fault != e.fault);
        self.by_block.insert(key(e), e.clone());
        self.changed = true;
        news
    }

    /// The block of unit `unit` at `address` went through.
    pub(super) fn clear(&mut self, unit: u8, operation: Operation, area: Area, address: u16) {
        if self
            .by_block
            .remove(&(unit, operation, area, address))
            .is_some()
        {
            self.changed = true;
        }
    }

    /// The connection was lost: the blocks it took down are not failures of their own.
    pub(super) fn forget_disconnects(&mut self) {
        let before = self.by_block.len();
        self.by_block
            .retain(|_, e| !matches!(e.fault, Fault::Disconnected(_)));
        self.changed |= self.by_block.len() != before;
    }

    /// A new connection: the causes of the last one are history.
    pub(super) fn connected(&mut self) {
        self.last = None;
    }

    /// The newest failure on this connection (`Status::last_fault`).
    pub(super) fn last(&self) -> Option<&BlockError> {
        self.last.as_ref()
    }

    /// The errors, by unit, operation, area and address, if they changed since the last
    /// call.
    pub(super) fn take_changed(&mut self) -> Option<Vec<BlockError>> {
        std::mem::take(&mut self.changed).then(|| self.by_block.values().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ExceptionCode;
    use std::time::Duration;

    fn error(address: u16, fault: Fault) -> BlockError {
        BlockError {
            unit: 1,
            operation: Operation::Read,
            area: Area::Holding,
            address,
            count: 10,
            fault,
        }
    }

    fn timeout() -> Fault {
        Fault::Timeout(Duration::from_millis(500))
    }

    #[test]
    fn one_entry_per_block_with_its_newest_fault_news_only_when_it_changes() {
        let mut e = BlockErrors::default();
        assert!(e.take_changed().is_none());
        assert!(e.record(&error(20, timeout())));
        assert!(!e.record(&error(20, timeout())), "the same again: no news");
        let busy = Fault::Exception {
            code: ExceptionCode::ServerDeviceBusy,
        };
        assert!(e.record(&error(20, busy.clone())), "another fault");
        assert!(e.record(&error(10, timeout())));
        let list = e.take_changed().expect("changed");
        assert_eq!(
            list,
            [error(10, timeout()), error(20, busy)],
            "ordered by address"
        );
        assert!(e.take_changed().is_none(), "unchanged since");
    }

    #[test]
    fn an_entry_goes_when_its_block_goes_through_and_the_last_cause_stays() {
        let mut e = BlockErrors::default();
        e.record(&error(20, timeout()));
        e.take_changed();
        e.clear(1, Operation::Write, Area::Holding, 20);
        assert!(e.take_changed().is_none(), "not a write's");
        e.clear(1, Operation::Read, Area::Holding, 20);
        assert_eq!(e.take_changed(), Some(vec![]));
        assert_eq!(
            e.last(),
            Some(&error(20, timeout())),
            "the cause is remembered"
        );
        e.connected();
        assert_eq!(e.last(), None, "until a new connection");
    }

    #[test]
    fn a_lost_connection_is_no_block_error() {
        let mut e = BlockErrors::default();
        e.record(&error(1, Fault::Disconnected("reset".into())));
        e.record(&error(2, timeout()));
        e.take_changed();
        e.forget_disconnects();
        assert_eq!(e.take_changed(), Some(vec![error(2, timeout())]));
        e.forget_disconnects();
        assert!(e.take_changed().is_none());
    }
}
