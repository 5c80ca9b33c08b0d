//! Atomicity under contention: multi-register values are never torn, and read-modify-
//! write updates never lose an increment. Every loop is bounded in count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use msm::{Memory, Order, Var};

const RUN: Duration = Duration::from_millis(1500);
const MAX_WRITES: u64 = 2_000_000;

/// A u64 whose two 32-bit halves are equal, and an f64 with the same bit pattern.
fn halves_agree(bits: u64) -> bool {
    bits >> 32 == bits & 0xFFFF_FFFF
}

fn multi_register_values_are_never_torn() {
    let mem = Memory::new(16);
    let a: Var<u64> = mem.holding(0).expect("declare");
    let b: Var<u64> = mem.holding(4).expect("declare").order(Order::CDAB);
    let f: Var<f64> = mem.holding(8).expect("declare").order(Order::DCBA);
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + RUN;

    let mut threads = Vec::new();
    for w in 0..2u64 {
        let (a, b, f, stop) = (a.clone(), b.clone(), f.clone(), stop.clone());
        threads.push(thread::spawn(move || {
            let mut i = w;
            while !stop.load(Ordering::Relaxed) && i < MAX_WRITES && Instant::now() < deadline {
                let half = (i * 0x9E37_79B9) & 0xFFFF_FFFF;
                let v = half << 32 | half;
                a.set(v).expect("set a");
                b.set(v).expect("set b");
                f.set(f64::from_bits(v)).expect("set f");
                i += 2;
            }
        }));
    }
    for _ in 0..2 {
        let (a, b, f, stop, checks) = (
            a.clone(),
            b.clone(),
            f.clone(),
            stop.clone(),
            checks.clone(),
        );
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                for (name, bits) in [("a", a.get()), ("b", b.get()), ("f", f.get().to_bits())] {
                    assert!(halves_agree(bits), "torn {name}: {bits:#018x}");
                }
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in threads {
        if t.join().is_err() {
            stop.store(true, Ordering::Relaxed);
            panic!("a thread failed (see its message above)");
        }
    }
    assert!(checks.load(Ordering::Relaxed) > 100, "readers ran");
}

fn updates_lose_no_increment() {
    let mem = Memory::new(4);
    let counter: Var<u64> = mem.holding(0).expect("declare").order(Order::CDAB);
    let per_thread = 20_000u64;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = counter.clone();
            thread::spawn(move || {
                for _ in 0..per_thread {
                    c.update(|v| v + 1).expect("update");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(counter.get(), 4 * per_thread);
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "multi_register_values_are_never_torn",
        run: multi_register_values_are_never_torn,
        needs: &[],
    },
    crate::Test {
        name: "updates_lose_no_increment",
        run: updates_lose_no_increment,
        needs: &[],
    },
];
