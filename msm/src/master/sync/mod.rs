//! The sync rule (DESIGN.md, "The sync rule, precisely"), over a memory's state.
//!
//! A local write stamps its items with the write counter and marks them dirty. Sending a
//! write takes the dirty items and clears their marks; losing it marks them again unless
//! a newer write did. Sending a read remembers the counter and which items were dirty;
//! its response overwrites an item only if nothing was written locally since.

use crate::memory::{Area, Origin, Peer, State};

use super::planner::{Block, cut, write_limit};

/// Items per read block at most (2000 bits), as 64-bit words.
const TICKET_WORDS: usize = 2000usize.div_ceil(64);

/// What a read remembers when it is sent.
#[derive(Clone, Debug)]
pub(crate) struct ReadTicket {
    /// The write counter when the read was sent.
    pub(crate) sent_at: u64,
    /// Items of the block that were dirty when the read was sent.
    dirty: [u64; TICKET_WORDS],
}

impl ReadTicket {
    /// Keeps `count` items from `rel` (relative to the block) from being overwritten by
    /// the response: a write of them is in flight, and if it fails the local value must
    /// survive to be sent again.
    pub(crate) fn protect(&mut self, rel: usize, count: usize) {
        for i in rel..rel + count {
            if let Some(w) = self.dirty.get_mut(i / 64) {
                *w |= 1 << (i % 64);
            }
        }
    }

    fn was_dirty(&self, i: usize) -> bool {
        self.dirty
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

/// Takes the ticket for a read of `block`, to be sent now.
pub(crate) fn begin_read(st: &State, block: Block) -> ReadTicket {
    let data = st.area(block.area);
    let mut dirty = [0u64; TICKET_WORDS];
    let end = block.index + block.count;
    let mut next = data.dirty.next_set(block.index);
    while let Some(i) = next.filter(|&i| i < end) {
        let rel = i - block.index;
        if let Some(w) = dirty.get_mut(rel / 64) {
            *w |= 1 << (rel % 64);
        }
        next = data.dirty.next_set(i + 1);
    }
    ReadTicket {
        sent_at: st.generation,
        dirty,
    }
}

/// Applies a read response to `block` under the sync rule, then reports each run of
/// items whose value changed as a remote change. `data` is the response's register bytes
/// or packed bits. Returns how many items changed.
pub(crate) fn apply_read(
    st: &mut State,
    block: Block,
    data: &[u8],
    ticket: &ReadTicket,
    peer: Peer,
) -> usize {
    let (area, subscribers) = st.area_and_subscribers(block.area);
    let start = usize::from(area.start);
    let mut changed = 0;
    let mut run: Option<(usize, usize)> = None;
    for rel in 0..block.count {
        let i = block.index + rel;
        let newer_locally =
            area.stamps[i] > ticket.sent_at || ticket.was_dirty(rel) || area.dirty.contains(i);
        let differs = if newer_locally {
            false
        } else if block.area.is_bits() {
            let v = data.get(rel / 8).is_some_and(|b| b >> (rel % 8) & 1 == 1);
            let differs = area.bit(i) != v;
            area.set_bit(i, v);
            differs
        } else {
            let Some(src) = data.get(rel * 2..rel * 2 + 2) else {
                break;
            };
            let dst = area.registers_mut(i, 1);
            let differs = dst != src;
            dst.copy_from_slice(src);
            differs
        };
        if differs {
            changed += 1;
            run = Some(match run {
                Some((s, n)) if s + n == i => (s, n + 1),
                Some((s, n)) => {
                    report(subscribers, block.area, start + s, n, peer);
                    (i, 1)
                }
                None => (i, 1),
            });
        }
    }
    if let Some((s, n)) = run {
        report(subscribers, block.area, start + s, n, peer);
    }
    changed
}

fn report(
    subscribers: &mut crate::memory::Subscribers,
    area: Area,
    address: usize,
    count: usize,
    peer: Peer,
) {
    subscribers.publish(crate::Change {
        area,
        address: address as u16,
        count: count as u16,
        origin: Origin::Remote(peer),
    });
}

/// A write taken from the dirty marks, to be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteTicket {
    pub(crate) block: Block,
    /// The write counter when the write was sent.
    pub(crate) sent_at: u64,
    /// The oldest stamp among its items: the write confirms every local write up to here.
    pub(crate) oldest: u64,
}

/// Takes the first run of dirty items of `area`, at most one write request long and cut
/// between variables, clears their marks and copies their values into `out` (register
/// bytes, or bits packed LSB-first). `out` must hold a full write.
pub(crate) fn take_dirty(st: &mut State, area: Area, out: &mut [u8]) -> Option<WriteTicket> {
    let sent_at = st.generation;
    let first = st.area(area).dirty.next_set(0)?;
    let data = st.area(area);
    let mut end = first + 1;
    let limit = (first + write_limit(area)).min(data.size as usize);
    while end < limit && data.dirty.contains(end) {
        end += 1;
    }
    if end == limit && end < data.size as usize {
        end = cut(&st.spans, area, first, end);
    }
    let block = Block {
        area,
        index: first,
        count: end - first,
    };
    let data = st.area_mut(area);
    if area.is_bits() {
        data.read_bits(first, block.count, out);
    } else {
        out[..block.count * 2].copy_from_slice(data.registers(first, block.count));
    }
    data.dirty.clear_range(first, block.count);
    let oldest = data.stamps[first..end].iter().copied().min().unwrap_or(0);
    Some(WriteTicket {
        block,
        sent_at,
        oldest,
    })
}

/// A write was lost (timeout, connection dropped): mark its items dirty again, except
/// those a newer local write has stamped (they are dirty already, with the newer value).
pub(crate) fn write_lost(st: &mut State, ticket: &WriteTicket) {
    let b = ticket.block;
    let data = st.area_mut(b.area);
    for i in b.index..b.index + b.count {
        if data.stamps[i] <= ticket.sent_at {
            data.dirty.insert(i);
        }
    }
}

/// True if some item of a writable area written locally at or before `generation` is
/// still waiting to be sent.
pub(crate) fn unsent_since(st: &State, generation: u64) -> bool {
    [Area::Coil, Area::Holding].into_iter().any(|area| {
        let data = st.area(area);
        let mut next = data.dirty.next_set(0);
        while let Some(i) = next {
            if data.stamps[i] <= generation {
                return true;
            }
            next = data.dirty.next_set(i + 1);
        }
        false
    })
}

/// Forgets dirty marks a master can never send (input areas, written by the program
/// before the memory was attached to a master).
pub(crate) fn clear_read_only_marks(st: &mut State) {
    for area in [Area::Discrete, Area::Input] {
        let data = st.area_mut(area);
        let size = data.size as usize;
        data.dirty.clear_range(0, size);
    }
}

#[cfg(test)]
mod tests;
