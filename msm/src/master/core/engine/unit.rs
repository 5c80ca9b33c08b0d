//! One slave unit behind the link and the memory that mirrors it: its read plan, its
//! addresses, and how its writes are taken from the memory.

use std::time::Instant;

use crate::master::core::planner::{Block, Plan, plan_reads};
use crate::master::core::status::{BlockError, Fault, Operation};
use crate::master::core::sync::{WriteTicket, take_dirty};
use crate::memory::{Area, Memory, Origin, Peer};

/// One slave unit and the memory that mirrors it.
pub(crate) struct Unit {
    pub(crate) id: u8,
    pub(crate) mem: Memory,
    pub(crate) plan: Plan,
    pub(crate) peer: Peer,
    /// The first address of each area, to turn item indexes into addresses.
    starts: [u16; 4],
    blocks: Vec<Block>,
    /// Variables declared when the blocks were planned: a new declaration plans again.
    planned_spans: Option<usize>,
    /// False once the slave refused a mask write (FC22) with exception 01: bits and
    /// bytes of registers are then written with their whole register.
    mask_writes: bool,
    /// RTU address 0: written by broadcast, never read.
    broadcast: bool,
}

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
            broadcast: false,
        }
    }

    /// Marks the unit as the broadcast address of an RTU line: written, never read.
    pub(super) fn set_broadcast(&mut self) {
        self.broadcast = true;
    }

    pub(super) fn is_broadcast(&self) -> bool {
        self.broadcast
    }

    /// The Modbus address of a block's first item.
    pub(super) fn address(&self, block: Block) -> u16 {
        self.address_at(block.area, block.index)
    }

    fn address_at(&self, area: Area, index: usize) -> u16 {
        (usize::from(self.starts[area as usize]) + index) as u16
    }

    /// Plans again when variables were declared since the last plan.
    pub(super) fn replan(&mut self) {
        let st = self.mem.lock();
        if self.planned_spans != Some(st.spans().len()) {
            self.blocks = plan_reads(&st, self.plan);
            self.planned_spans = Some(st.spans().len());
        }
    }

    /// The blocks a cycle reads: none for the broadcast address.
    pub(super) fn reads(&self) -> &[Block] {
        if self.broadcast { &[] } else { &self.blocks }
    }

    /// The error of an exchange of `block` that failed with `fault`.
    pub(super) fn error(&self, operation: Operation, block: Block, fault: Fault) -> BlockError {
        BlockError {
            unit: self.id,
            operation,
            area: block.area,
            address: self.address(block),
            count: block.count as u16,
            fault,
        }
    }

    /// Takes the next local write to send (coils first, then holding registers) and its
    /// data into `data`, which must hold a full write (256 bytes).
    pub(super) fn take_write(&self, data: &mut [u8]) -> Option<WriteTicket> {
        let mut st = self.mem.lock();
        [Area::Coil, Area::Holding]
            .into_iter()
            .find_map(|area| take_dirty(&mut st, area, data, self.mask_writes))
    }

    /// The slave refused a mask write with exception 01: whole registers from now on.
    pub(super) fn stop_mask_writes(&mut self) {
        self.mask_writes = false;
    }

    /// A read of `block` failed with `e`: its items are bad, and subscribers are told.
    pub(super) fn read_failed(&self, block: Block, e: &BlockError) {
        let mut st = self.mem.lock();
        if let Some((i, n)) = st.read_failed(block.area, block.index, block.count, e) {
            st.publish(
                block.area,
                self.address_at(block.area, i),
                n,
                Origin::Remote(self.peer),
            );
        }
    }

    /// The memory's copy is stale (the connection is lost) or fresh again.
    pub(super) fn set_stale(&self, stale: bool, now: Instant) {
        let mut st = self.mem.lock();
        for (area, i, n) in st.set_stale(stale, now) {
            st.publish(area, self.address_at(area, i), n, Origin::Remote(self.peer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Var;

    fn unit(mem: &Memory) -> Unit {
        assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
        Unit::new(
            1,
            mem.clone(),
            Plan::DeclaredVars { max_gap: 0 },
            Peer::Serial { unit: 1 },
        )
    }

    #[test]
    fn addresses_count_from_the_start_of_each_area() {
        let mem = Memory::builder()
            .coils_at(100, 20)
            .holding_registers_at(40_000, 10)
            .build()
            .expect("build");
        let u = unit(&mem);
        let block = |area, index| Block {
            area,
            index,
            count: 2,
        };
        assert_eq!(u.address(block(Area::Coil, 3)), 103);
        assert_eq!(u.address(block(Area::Holding, 9)), 40_009);
        let e = u.error(
            Operation::Read,
            block(Area::Holding, 1),
            Fault::Timeout(Default::default()),
        );
        assert_eq!((e.unit, e.address, e.count), (1, 40_001, 2));
    }

    #[test]
    fn a_declaration_plans_again_and_the_broadcast_address_reads_nothing() {
        let mem = Memory::new(100);
        let mut u = unit(&mem);
        u.replan();
        assert!(u.reads().is_empty(), "no variable declared yet");
        let _v: Var<u16> = mem.holding(10).expect("declare");
        u.replan();
        assert_eq!(
            u.reads(),
            [Block {
                area: Area::Holding,
                index: 10,
                count: 1
            }]
        );
        u.set_broadcast();
        assert!(u.is_broadcast() && u.reads().is_empty());
    }

    #[test]
    fn writes_are_taken_coils_first_and_bits_of_registers_as_mask_writes_while_allowed() {
        let mem = Memory::builder()
            .coils(8)
            .holding_registers(8)
            .build()
            .expect("build");
        let mut u = unit(&mem);
        mem.holding_bit(2, 3)
            .expect("declare")
            .set(true)
            .expect("set");
        mem.coil(1).expect("declare").set(true).expect("set");
        let mut data = [0u8; 256];
        let first = u.take_write(&mut data).expect("a write");
        assert_eq!(first.block.area, Area::Coil);
        let second = u.take_write(&mut data).expect("a write");
        assert!(second.is_masked() && second.block.index == 2);
        assert!(u.take_write(&mut data).is_none(), "nothing left");
        u.stop_mask_writes();
        mem.holding_bit(2, 4)
            .expect("declare")
            .set(true)
            .expect("set");
        assert!(!u.take_write(&mut data).expect("a write").is_masked());
    }

    #[test]
    fn a_failed_read_makes_its_items_bad_and_a_lost_link_stale() {
        let mem = Memory::new(4);
        let v: Var<u16> = mem.holding(1).expect("declare");
        let u = unit(&mem);
        let block = Block {
            area: Area::Holding,
            index: 0,
            count: 4,
        };
        let mut changes = mem.subscribe();
        let e = u.error(Operation::Read, block, Fault::BadResponse("garbled".into()));
        u.read_failed(block, &e);
        assert!(matches!(v.quality(), crate::Quality::Bad(ref b) if *b == e));
        assert!(changes.try_recv().expect("no lag").is_some(), "published");
        let now = Instant::now();
        u.set_stale(true, now);
        assert!(mem.is_stale());
        u.set_stale(false, now);
        assert!(!mem.is_stale());
    }
}
