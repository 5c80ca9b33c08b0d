//! A cycle: every planned block of every unit read once, after the local writes made
//! before it started.
//!
//! Invariants: the cursor visits each block once, in order, skipping units that are
//! never read (the broadcast address); reads to send again (lost beside another
//! request) go before the cursor's next; `outstanding` counts the reads taken and not
//! yet finished; the cycle is done when nothing is outstanding and nothing is left.

use std::time::{Duration, Instant};

use super::Engine;
use super::timers::Timer;
use super::unit::Unit;
use crate::master::core::planner::Block;
use crate::master::core::status::BlockError;
use crate::master::core::sync::unsent_since;
use crate::time::later;

pub(super) struct Cycle {
    started: Instant,
    /// Cursor: the next block to read, as (unit, block index).
    unit: usize,
    block: usize,
    outstanding: usize,
    /// Reads of this cycle to send again: they timed out while several requests were
    /// in flight (the slave may take only one), and go again one at a time.
    retry: Vec<(usize, Block)>,
    /// A request sent beside another timed out during this cycle.
    lost_beside: bool,
    first_error: Option<BlockError>,
    /// Per unit, the write counter when the cycle started: local writes up to there go
    /// out before the cycle's reads.
    flush_up_to: Vec<u64>,
}

impl Cycle {
    pub(super) fn new(started: Instant, flush_up_to: Vec<u64>) -> Cycle {
        Cycle {
            started,
            unit: 0,
            block: 0,
            outstanding: 0,
            retry: Vec::new(),
            lost_beside: false,
            first_error: None,
            flush_up_to,
        }
    }

    /// True if a read is left to send.
    pub(super) fn has_read(&self, units: &[Unit]) -> bool {
        !self.retry.is_empty() || self.cursor(units).is_some()
    }

    /// Takes the next read to send, advancing the cursor.
    pub(super) fn take_read(&mut self, units: &[Unit]) -> Option<(usize, Block)> {
        let read = match self.retry.pop() {
            Some(r) => r,
            None => {
                let (u, b) = self.cursor(units)?;
                self.unit = u;
                self.block = b + 1;
                (u, units[u].reads()[b])
            }
        };
        self.outstanding += 1;
        Some(read)
    }

    /// A read taken is over (answered or failed).
    pub(super) fn read_finished(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    /// A read taken goes again, one at a time: it was lost beside another request.
    pub(super) fn read_again(&mut self, unit: usize, block: Block) {
        self.outstanding = self.outstanding.saturating_sub(1);
        self.retry.push((unit, block));
    }

    /// A request sent beside another timed out during this cycle.
    pub(super) fn lost_beside(&mut self) {
        self.lost_beside = true;
    }

    /// A block failed: the cycle reports its first error.
    pub(super) fn failed(&mut self, e: BlockError) {
        self.first_error.get_or_insert(e);
    }

    pub(super) fn is_done(&self, units: &[Unit]) -> bool {
        self.outstanding == 0 && !self.has_read(units)
    }

    /// True while writes made before the cycle started are still unsent: they go
    /// before the cycle's reads.
    pub(super) fn flushing(&self, units: &[Unit]) -> bool {
        units
            .iter()
            .zip(&self.flush_up_to)
            .any(|(u, &g)| unsent_since(&u.mem.lock(), g))
    }

    fn cursor(&self, units: &[Unit]) -> Option<(usize, usize)> {
        let (mut u, mut b) = (self.unit, self.block);
        while let Some(unit) = units.get(u) {
            if b < unit.reads().len() {
                return Some((u, b));
            }
            u += 1;
            b = 0;
        }
        None
    }
}

impl Engine {
    pub(super) fn start_cycle(&mut self, now: Instant) {
        for u in &mut self.units {
            u.replan();
        }
        self.cycle = Some(Cycle::new(now, self.generations()));
        self.waiters.cycle_started();
        self.timers.stop(Timer::NextCycle);
        self.writes.cycle_started();
        self.finish_cycle_if_done(now);
    }

    /// True if the running cycle has a read left to send.
    pub(super) fn has_read(&self) -> bool {
        self.cycle.as_ref().is_some_and(|c| c.has_read(&self.units))
    }

    /// True while the running cycle's writes made before it are still unsent.
    pub(super) fn flushing(&self) -> bool {
        self.cycle.as_ref().is_some_and(|c| c.flushing(&self.units))
    }

    pub(super) fn read_finished(&mut self, now: Instant) {
        if let Some(c) = self.cycle.as_mut() {
            c.read_finished();
        }
        self.finish_cycle_if_done(now);
    }

    pub(super) fn finish_cycle_if_done(&mut self, now: Instant) {
        let Some(cycle) = self.cycle.take_if(|c| c.is_done(&self.units)) else {
            return;
        };
        self.count_cycle(now.saturating_duration_since(cycle.started));
        self.set_stale(false, now);
        // A cycle at the depth in use went through: the slave keeps up.
        self.depth.cycle_done(cycle.lost_beside);
        self.status.writes_retried += self.writes.cycle_done(now) as u64;
        self.waiters.cycle_done(cycle.first_error.as_ref());
        if self.waiters.syncs_waiting() {
            self.start_cycle(now);
        } else {
            let next = later(cycle.started, self.cfg.period).max(now);
            self.timers.set(Timer::NextCycle, next);
        }
    }

    fn count_cycle(&mut self, took: Duration) {
        let s = &mut self.status;
        s.cycles += 1;
        self.total_cycle_time += took;
        s.last_cycle = Some(took);
        s.average_cycle = Some(self.total_cycle_time / s.cycles.min(u64::from(u32::MAX)) as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::core::planner::Plan;
    use crate::master::core::status::{Fault, Operation};
    use crate::memory::{Memory, Peer};

    /// Units over memories of `sizes` holding registers, planned (125 per block).
    fn units(sizes: &[u32]) -> Vec<Unit> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let mem = Memory::new(n);
                assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
                let mut u = Unit::new(
                    i as u8 + 1,
                    mem,
                    Plan::WholeMemory,
                    Peer::Serial { unit: 1 },
                );
                u.replan();
                u
            })
            .collect()
    }

    fn drain(c: &mut Cycle, units: &[Unit]) -> Vec<(usize, usize)> {
        std::iter::from_fn(|| c.take_read(units).map(|(u, b)| (u, b.index))).collect()
    }

    #[test]
    fn every_block_of_every_unit_is_read_once_in_order() {
        let mut us = units(&[300, 0, 10]);
        us.push(units(&[50]).remove(0));
        us[3].set_broadcast();
        let mut c = Cycle::new(Instant::now(), vec![0; 4]);
        assert!(c.has_read(&us) && !c.is_done(&us));
        assert_eq!(drain(&mut c, &us), [(0, 0), (0, 125), (0, 250), (2, 0)]);
        assert!(!c.has_read(&us));
        assert!(!c.is_done(&us), "four reads outstanding");
        for _ in 0..4 {
            c.read_finished();
        }
        assert!(c.is_done(&us));
    }

    #[test]
    fn a_read_lost_beside_another_goes_again_before_the_next_block() {
        let us = units(&[300]);
        let mut c = Cycle::new(Instant::now(), vec![0]);
        let (u, first) = c.take_read(&us).expect("a read");
        c.take_read(&us).expect("another");
        c.read_again(u, first);
        assert_eq!(
            c.take_read(&us).map(|(_, b)| b.index),
            Some(0),
            "again, first"
        );
        assert_eq!(c.take_read(&us).map(|(_, b)| b.index), Some(250));
        assert_eq!(c.outstanding, 3);
    }

    #[test]
    fn the_first_error_is_the_one_reported() {
        let us = units(&[10]);
        let mut c = Cycle::new(Instant::now(), vec![0]);
        let (_, block) = c.take_read(&us).expect("a read");
        let e = |f| us[0].error(Operation::Read, block, f);
        c.failed(e(Fault::BadResponse("first".into())));
        c.failed(e(Fault::BadResponse("second".into())));
        assert_eq!(c.first_error, Some(e(Fault::BadResponse("first".into()))));
    }

    #[test]
    fn writes_made_before_the_cycle_are_flushed_first_not_those_made_after() {
        let us = units(&[10]);
        let v = us[0].mem.holding::<u16>(1).expect("declare");
        v.set(1).expect("set");
        let g = us[0].mem.lock().generation();
        let c = Cycle::new(Instant::now(), vec![g]);
        assert!(c.flushing(&us));
        let mut data = [0u8; 256];
        us[0].take_write(&mut data).expect("the write");
        assert!(!c.flushing(&us));
        v.set(2).expect("set");
        assert!(
            !c.flushing(&us),
            "made during the cycle: alternates with its reads"
        );
    }
}
