//! The sync rule, step by step, with no engine: a read or write is "sent" by taking its
//! ticket and "answered" by applying data.

use super::*;
use crate::memory::Peer;
use crate::{Memory, Var};
use std::time::Instant;

/// A memory kept by a master, as the engine's are: its local writes are stamped.
fn kept(mem: Memory) -> Memory {
    assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
    mem
}

fn peer() -> Peer {
    Peer::Serial { unit: 1 }
}

fn block(index: usize, count: usize) -> Block {
    Block {
        area: Area::Holding,
        index,
        count,
    }
}

fn regs(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

#[test]
fn a_read_never_overwrites_a_write_made_after_it_was_sent() {
    let mem = kept(Memory::new(4));
    let v: Var<u16> = mem.holding(1).expect("declare");
    let ticket = begin_read(&mem.lock(), block(0, 4));
    v.set(7).expect("local write while the read is in flight");
    apply_read(
        &mut mem.lock(),
        block(0, 4),
        &regs(&[1, 2, 3, 4]),
        &ticket,
        peer(),
        Instant::now(),
    );
    assert_eq!(v.get(), 7, "the pending local value wins");
    let raw = mem.holding_raw(0, 4).expect("declare").get();
    assert_eq!(
        raw,
        vec![1, 7, 3, 4],
        "the other registers took the slave's values"
    );
    // And it is still going to be written.
    let mut out = [0u8; 256];
    let w = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).expect("dirty");
    assert_eq!((w.block.index, w.block.count), (1, 1));
    assert_eq!(&out[..2], &7u16.to_be_bytes());
}

#[test]
fn a_read_sent_while_an_item_was_dirty_does_not_overwrite_it_after_the_write_goes_out() {
    let mem = kept(Memory::new(2));
    let v: Var<u16> = mem.holding(0).expect("declare");
    v.set(5).expect("set");
    let ticket = begin_read(&mem.lock(), block(0, 2)); // dirty at send
    let mut out = [0u8; 256];
    let w = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).expect("dirty"); // write sent after the read
    apply_read(
        &mut mem.lock(),
        block(0, 2),
        &regs(&[0, 9]),
        &ticket,
        peer(),
        Instant::now(),
    );
    assert_eq!(v.get(), 5, "the read predates the write: its 0 is stale");
    assert_eq!(mem.holding::<u16>(1).expect("declare").get(), 9);
    let _ = w;
}

#[test]
fn a_conflict_on_a_word_keeps_later_local_writes_alive() {
    // The original's bug: after one conflict every later local write to the word vanished.
    let mem = kept(Memory::new(1));
    let v: Var<u16> = mem.holding(0).expect("declare");
    let mut out = [0u8; 256];
    for round in 1..=5u16 {
        let ticket = begin_read(&mem.lock(), block(0, 1));
        v.set(round * 10).expect("set");
        apply_read(
            &mut mem.lock(),
            block(0, 1),
            &regs(&[999]),
            &ticket,
            peer(),
            Instant::now(),
        ); // PLC changed it too
        assert_eq!(v.get(), round * 10, "round {round}: local write kept");
        let w = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).expect("still dirty");
        assert_eq!(
            &out[..2],
            &(round * 10).to_be_bytes(),
            "round {round}: and sent"
        );
        // Once written and read back, the slave's value is applied normally.
        let ticket = begin_read(&mem.lock(), block(0, 1));
        apply_read(
            &mut mem.lock(),
            block(0, 1),
            &regs(&[round * 10 + 1]),
            &ticket,
            peer(),
            Instant::now(),
        );
        assert_eq!(v.get(), round * 10 + 1);
        let _ = w;
    }
}

#[test]
fn a_lost_write_is_marked_again_unless_a_newer_one_came() {
    let mem = kept(Memory::new(4));
    let a: Var<u16> = mem.holding(0).expect("declare");
    let b: Var<u16> = mem.holding(1).expect("declare");
    a.set(1).expect("set");
    b.set(2).expect("set");
    let mut out = [0u8; 256];
    let w = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).expect("dirty");
    assert_eq!(
        w.block.count, 2,
        "adjacent dirty items merge into one write"
    );
    b.set(3).expect("newer write while the first is in flight");
    write_lost(&mut mem.lock(), &w);
    let w2 = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).expect("dirty again");
    assert_eq!((w2.block.index, w2.block.count), (0, 2));
    assert_eq!(&out[..4], &regs(&[1, 3])[..], "newest values go out");
    assert!(take_dirty(&mut mem.lock(), Area::Holding, &mut out, true).is_none());
}

#[test]
fn writes_are_cut_at_the_limit_between_variables() {
    let mem = kept(Memory::new(300));
    for a in (0..300).step_by(2) {
        mem.holding::<u32>(a)
            .expect("declare")
            .set(u32::from(a))
            .expect("set");
    }
    let mut out = [0u8; 256];
    let mut sizes = Vec::new();
    while let Some(w) = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true) {
        assert_eq!(w.block.index % 2, 0, "never starts inside a u32");
        sizes.push(w.block.count);
    }
    assert_eq!(sizes, vec![122, 122, 56]);
}

#[test]
fn bits_apply_and_report_changed_runs() {
    let mem = Memory::builder().coils(16).build().expect("build");
    let mut sub = mem.subscribe();
    let ticket = begin_read(
        &mem.lock(),
        Block {
            area: Area::Coil,
            index: 0,
            count: 16,
        },
    );
    let n = apply_read(
        &mut mem.lock(),
        Block {
            area: Area::Coil,
            index: 0,
            count: 16,
        },
        &[0b0000_0110, 0b1000_0000],
        &ticket,
        peer(),
        Instant::now(),
    );
    assert_eq!(n, 3);
    let a = sub.try_recv().expect("no lag").expect("change");
    let b = sub.try_recv().expect("no lag").expect("change");
    assert_eq!(
        (a.address, a.count, a.origin),
        (1, 2, Origin::Remote(peer()))
    );
    assert_eq!((b.address, b.count), (15, 1));
    assert_eq!(sub.try_recv(), Ok(None), "unchanged items are not reported");
    assert!(mem.coil::<bool>(15).expect("declare").get());
}

#[test]
fn unsent_since_tracks_only_old_enough_marks() {
    let mem = kept(Memory::new(2));
    let v: Var<u16> = mem.holding(0).expect("declare");
    v.set(1).expect("set");
    let g = mem.lock().generation();
    assert!(unsent_since(&mem.lock(), g));
    let mut out = [0u8; 256];
    let _ = take_dirty(&mut mem.lock(), Area::Holding, &mut out, true);
    v.set(2).expect("set");
    assert!(!unsent_since(&mem.lock(), g), "only a newer write is dirty");
    assert!(unsent_since(&mem.lock(), g + 1));
}
