//! What a `Stamped` change says: when it was made (one time for every subscriber), and which
//! bits of a register a partial write wrote.

use std::time::{Duration, SystemTime};

use msm::{Area, Byte, Master, Memory, Origin, Slave, Var};

const DEADLINE: Duration = Duration::from_secs(10);

fn a_change_carries_the_time_it_was_made_the_same_for_every_subscriber() {
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(1).expect("declare");
    let (mut first, mut second) = (mem.subscribe(), mem.subscribe());
    let before = SystemTime::now();
    v.set(5).expect("set");
    let after = SystemTime::now();
    let a = first.try_recv_stamped().expect("no lag").expect("a change");
    let b = second
        .try_recv_stamped()
        .expect("no lag")
        .expect("a change");
    assert!(
        before <= a.time && a.time <= after,
        "{:?} not in the write",
        a.time
    );
    assert_eq!(a, b, "every subscriber sees the same change, time included");
    // Received later, it keeps the time it was made.
    let mut late = mem.subscribe();
    v.set(6).expect("set");
    let made = SystemTime::now();
    let c = late.recv_stamped_timeout(DEADLINE).expect("a change");
    assert!(c.time <= made);
}

/// A master writes a byte of a register with a mask write (FC22): the slave's change
/// says which bits, so the variable on the other byte is not touched.
fn a_mask_write_touches_only_the_bits_it_wrote() {
    let served = Memory::new(4);
    let (high, low): (Var<u8>, Var<u8>) = (
        served.holding_byte(2, Byte::High).expect("declare"),
        served.holding_byte(2, Byte::Low).expect("declare"),
    );
    let whole: Var<u16> = served.holding(2).expect("declare");
    low.set(9).expect("set");
    let slave = Slave::tcp("127.0.0.1:0")
        .serve(served.clone())
        .expect("serve");
    let mut changes = served.subscribe();

    let mem = Memory::new(4);
    let mode: Var<u8> = mem.holding_byte(2, Byte::High).expect("declare");
    let master = Master::tcp(slave.local_addr())
        .start(mem.clone())
        .expect("start");
    master.sync_timeout(DEADLINE).expect("first read");
    mode.set(4).expect("set");
    master.flush_timeout(DEADLINE).expect("write");

    let c = changes.recv_stamped_timeout(DEADLINE).expect("the write");
    assert_eq!((c.area, c.address, c.count), (Area::Holding, 2, 1));
    assert!(matches!(c.origin, Origin::Remote(_)));
    assert_eq!(c.mask, 0xFF00, "the high byte was written");
    assert!(high.touched_by(&c) && whole.touched_by(&c));
    assert!(!low.touched_by(&c), "the low byte was left alone");
    assert_eq!((high.get(), low.get()), (4, 9));
    master.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_change_carries_the_time_it_was_made_the_same_for_every_subscriber",
        run: a_change_carries_the_time_it_was_made_the_same_for_every_subscriber,
        needs: &[],
    },
    crate::Test {
        name: "a_mask_write_touches_only_the_bits_it_wrote",
        run: a_mask_write_touches_only_the_bits_it_wrote,
        needs: &[],
    },
];
