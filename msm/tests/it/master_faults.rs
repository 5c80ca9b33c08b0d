//! Faults found in review, kept fixed: a slave that accepts and closes at once must not
//! be reconnected to in a busy loop, and "never" durations must not crash anything.

use crate::common;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use msm::{Master, Memory, Slave, Var};

fn a_slave_that_accepts_and_closes_is_retried_with_backoff() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let run_for = Duration::from_millis(1200);
    let closer = {
        let accepted = accepted.clone();
        thread::spawn(move || {
            let began = Instant::now();
            while began.elapsed() < run_for {
                match listener.accept() {
                    Ok((stream, _)) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        drop(stream); // accept, then close at once
                    }
                    Err(_) => thread::sleep(Duration::from_millis(1)), // nothing to accept yet
                }
            }
        })
    };
    let master = Master::tcp(addr)
        .reconnect_backoff(Duration::from_millis(50), Duration::from_secs(1))
        .start(Memory::new(4))
        .expect("start");
    closer.join().expect("closer");
    let n = accepted.load(Ordering::Relaxed);
    // 50 ms doubling: attempts near 0, 50, 150, 350, 750 ms: about 5 in 1.2 s.
    assert!(
        (2..=10).contains(&n),
        "{n} connections in {run_for:?}: the backoff did not hold"
    );
    assert!(
        master.status().last_error.is_some(),
        "{:?}",
        master.status()
    );
    master.stop();
}

fn the_msm_slave_refusing_a_client_is_not_hammered_either() {
    let plc = Memory::new(4);
    let slave = Slave::tcp("127.0.0.1:0")
        .allow("10.0.0.0/8".parse().expect("network"))
        .serve(plc)
        .expect("serve");
    let master = Master::tcp(slave.local_addr())
        .reconnect_backoff(Duration::from_millis(50), Duration::from_secs(1))
        .start(Memory::new(4))
        .expect("start");
    let began = Instant::now();
    assert!(common::wait_until(Duration::from_secs(5), || master
        .status()
        .reconnects
        >= 3));
    let took = began.elapsed();
    // Three more connections take at least 50 + 100 + 200 ms of backoff.
    assert!(
        took >= Duration::from_millis(300),
        "3 reconnections in {took:?}: no backoff"
    );
    assert!(master.status().reconnects < 20, "{:?}", master.status());
    master.stop();
    slave.stop();
}

fn never_durations_are_allowed() {
    let plc = Memory::new(4);
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let hmi = Memory::new(4);
    let master = Master::tcp(slave.local_addr())
        .period(Duration::MAX) // cycles only on sync()
        .response_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .reconnect_backoff(Duration::MAX, Duration::MAX)
        .start(hmi.clone())
        .expect("start");
    plc.holding::<u16>(1).expect("declare").set(7).expect("set");
    master.sync_timeout(Duration::from_secs(10)).expect("sync");
    assert_eq!(hmi.holding::<u16>(1).expect("declare").get(), 7);
    hmi.holding::<u16>(2).expect("declare").set(9).expect("set");
    master
        .flush_timeout(Duration::from_secs(10))
        .expect("flush");
    assert_eq!(plc.holding::<u16>(2).expect("declare").get(), 9);
    assert!(master.status().connected);

    // Waiting "forever" ends with the change it waits for.
    let v: Var<u16> = plc.holding(3).expect("declare");
    let waiter = {
        let v = v.clone();
        thread::spawn(move || v.wait_changed(Duration::MAX))
    };
    let mut sub = plc.subscribe();
    // Write until the waiter has seen one (it subscribes when its thread starts).
    let began = Instant::now();
    let mut i = 0u32;
    while !waiter.is_finished() && i < 10_000_000 && began.elapsed() < Duration::from_secs(10) {
        v.set(i as u16).expect("set");
        i += 1;
        thread::yield_now();
    }
    assert!(waiter.join().expect("waiter").is_ok());
    assert!(sub.recv_timeout(Duration::MAX).is_ok());
    master.stop();
    slave.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_slave_that_accepts_and_closes_is_retried_with_backoff",
        run: a_slave_that_accepts_and_closes_is_retried_with_backoff,
        needs: &[],
    },
    crate::Test {
        name: "the_msm_slave_refusing_a_client_is_not_hammered_either",
        run: the_msm_slave_refusing_a_client_is_not_hammered_either,
        needs: &[],
    },
    crate::Test {
        name: "never_durations_are_allowed",
        run: never_durations_are_allowed,
        needs: &[],
    },
];
