//! The block planner: which read requests cover a memory, and where a run of items may
//! be cut into requests without splitting a declared variable.

use std::collections::BTreeSet;

use crate::memory::{Area, MAX_VAR_REGISTERS, Span, State};
use crate::protocol::{MAX_READ_BITS, MAX_READ_REGISTERS, MAX_WRITE_BITS, MAX_WRITE_REGISTERS};

/// What a master reads every cycle.
///
/// ```
/// use msm::{Master, Memory, Plan, Slave};
/// assert_eq!(Plan::default(), Plan::WholeMemory);
/// let served = Memory::new(100);
/// for address in [0, 3, 50] {
///     served.holding::<u16>(address)?.set(1)?;
/// }
/// let slave = Slave::tcp("127.0.0.1:0").serve(served)?;
/// let mem = Memory::new(100);
/// let (_a, _b) = (mem.holding::<u16>(0)?, mem.holding::<u16>(5)?); // declared
/// let master = Master::tcp(slave.local_addr())
///     .plan(Plan::DeclaredVars { max_gap: 5 })
///     .start(mem.clone())?;
/// master.sync()?;                               // one request: 0..=5
/// assert_eq!(mem.holding::<u16>(3)?.get(), 1);  // in the gap: read with them
/// assert_eq!(mem.holding::<u16>(50)?.get(), 0); // far from them: not read
/// # Ok::<(), msm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Plan {
    /// Every item of every area (the default): memory is exchanged whole, whether or not
    /// variables are declared on it.
    #[default]
    WholeMemory,
    /// Only the items of declared variables, merging two runs when at most `max_gap`
    /// undeclared items lie between them (reading a few unused items is cheaper than
    /// another request).
    DeclaredVars {
        /// Largest gap, in items, bridged by one request.
        max_gap: u16,
    },
}

/// One request's worth of items: `count` items from `index` (relative to the area start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) area: Area,
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl Block {
    /// True if the two blocks share an item.
    pub(crate) fn overlaps(&self, other: &Block) -> bool {
        self.area == other.area
            && self.index < other.index + other.count
            && other.index < self.index + self.count
    }
}

pub(crate) fn read_limit(area: Area) -> usize {
    usize::from(if area.is_bits() {
        MAX_READ_BITS
    } else {
        MAX_READ_REGISTERS
    })
}

pub(crate) fn write_limit(area: Area) -> usize {
    usize::from(if area.is_bits() {
        MAX_WRITE_BITS
    } else {
        MAX_WRITE_REGISTERS
    })
}

/// The read blocks covering `st` under `plan`, area by area in table order.
pub(crate) fn plan_reads(st: &State, plan: Plan) -> Vec<Block> {
    let mut blocks = Vec::new();
    for area in Area::ALL {
        let size = st.area(area).size as usize;
        if size == 0 {
            continue;
        }
        let ranges = match plan {
            Plan::WholeMemory => vec![(0, size)],
            Plan::DeclaredVars { max_gap } => {
                declared_ranges(st.spans(), area, usize::from(max_gap))
            }
        };
        for (start, end) in ranges {
            split(st.spans(), area, start, end, read_limit(area), &mut blocks);
        }
    }
    blocks
}

/// Runs of declared items in `area`, merged across gaps of at most `max_gap` items.
fn declared_ranges(spans: &BTreeSet<Span>, area: Area, max_gap: usize) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for s in spans.iter().filter(|s| s.area == area) {
        let end = s.index + s.count;
        match ranges.last_mut() {
            Some(last) if s.index <= last.1 + max_gap => last.1 = last.1.max(end),
            _ => ranges.push((s.index, end)),
        }
    }
    ranges
}

fn split(
    spans: &BTreeSet<Span>,
    area: Area,
    start: usize,
    end: usize,
    limit: usize,
    out: &mut Vec<Block>,
) {
    let mut at = start;
    while at < end {
        let stop = cut(spans, area, at, end.min(at + limit));
        out.push(Block {
            area,
            index: at,
            count: stop - at,
        });
        at = stop;
    }
}

/// Where to end a request that starts at `start` and may reach `limit_end`: the latest
/// point at or before `limit_end` that falls inside no declared variable. If every point
/// does (overlapping variables chained over more than one request), `limit_end`.
pub(crate) fn cut(spans: &BTreeSet<Span>, area: Area, start: usize, limit_end: usize) -> usize {
    let mut end = limit_end;
    while let Some(inside) = span_across(spans, area, end) {
        if inside.index <= start {
            tracing::warn!(
                %area, index = inside.index, count = inside.count,
                "overlapping variables span more than one request; one of them is split"
            );
            return limit_end;
        }
        end = inside.index;
    }
    end
}

/// A declared span that starts before `point` and ends after it.
fn span_across(spans: &BTreeSet<Span>, area: Area, point: usize) -> Option<Span> {
    let from = Span {
        area,
        index: point.saturating_sub(MAX_VAR_REGISTERS),
        count: 0,
    };
    let to = Span {
        area,
        index: point,
        count: 0,
    };
    spans
        .range(from..to)
        .find(|s| s.index < point && s.index + s.count > point)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Memory;

    fn blocks(mem: &Memory, plan: Plan) -> Vec<(Area, usize, usize)> {
        plan_reads(&mem.lock(), plan)
            .into_iter()
            .map(|b| (b.area, b.index, b.count))
            .collect()
    }

    #[test]
    fn whole_memory_splits_at_the_protocol_limits() {
        let mem = Memory::builder()
            .coils(4100)
            .discrete_inputs(10)
            .holding_registers(300)
            .build()
            .expect("build");
        assert_eq!(
            blocks(&mem, Plan::WholeMemory),
            vec![
                (Area::Coil, 0, 2000),
                (Area::Coil, 2000, 2000),
                (Area::Coil, 4000, 100),
                (Area::Discrete, 0, 10),
                (Area::Holding, 0, 125),
                (Area::Holding, 125, 125),
                (Area::Holding, 250, 50),
            ]
        );
    }

    #[test]
    fn never_splits_a_variable() {
        let mem = Memory::new(300);
        let _a = mem.holding::<u32>(124).expect("declare"); // would straddle 125
        let _b = mem.holding::<u64>(246).expect("declare"); // would straddle 250 (after the move)
        assert_eq!(
            blocks(&mem, Plan::WholeMemory),
            vec![
                (Area::Holding, 0, 124),
                (Area::Holding, 124, 122),
                (Area::Holding, 246, 54),
            ]
        );
    }

    #[test]
    fn declared_vars_merge_small_gaps_only() {
        let mem = Memory::new(1000);
        for a in [0u16, 2, 10, 500] {
            let _ = mem.holding::<u16>(a).expect("declare");
        }
        let _s = mem.holding_string(900, 100).expect("declare");
        assert_eq!(
            blocks(&mem, Plan::DeclaredVars { max_gap: 8 }),
            vec![
                (Area::Holding, 0, 11),
                (Area::Holding, 500, 1),
                (Area::Holding, 900, 100),
            ]
        );
        assert_eq!(
            blocks(&mem, Plan::DeclaredVars { max_gap: 0 }),
            vec![
                (Area::Holding, 0, 1),
                (Area::Holding, 2, 1),
                (Area::Holding, 10, 1),
                (Area::Holding, 500, 1),
                (Area::Holding, 900, 100),
            ]
        );
    }

    #[test]
    fn overlapping_chain_longer_than_a_request_is_cut_at_the_limit() {
        let mem = Memory::new(400);
        let _a = mem.holding_raw(0, 100).expect("declare");
        let _b = mem.holding_raw(90, 100).expect("declare");
        let got = blocks(&mem, Plan::WholeMemory);
        assert_eq!(
            got[0],
            (Area::Holding, 0, 125),
            "no cut avoids both: the limit wins"
        );
        assert!(got.iter().all(|b| b.2 <= 125));
        assert_eq!(got.iter().map(|b| b.2).sum::<usize>(), 400);
    }
}
