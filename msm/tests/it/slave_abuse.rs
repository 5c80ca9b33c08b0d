//! Abuse: garbage, impossible lengths, stalled frames, connection floods, clients that
//! never read. After each, a well-behaved client must still be served correctly.
//! Every loop is bounded in count and time; timeouts are shortened so the tests are
//! quick, and every wait is on a condition with a deadline.

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::slave::{Raw, frame, still_served, test_memory};
use msm::slave::WhenFull;
use msm::{Slave, SlaveHandle};

const SOON: Duration = Duration::from_secs(5);

fn serve(slave: Slave) -> SlaveHandle {
    common::init_logging();
    slave.serve(test_memory()).expect("serve")
}

/// Deterministic bytes (xorshift), so a failure can be replayed.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn random_garbage_closes_only_the_connections_that_sent_it() {
    let slave = serve(Slave::tcp("127.0.0.1:0").frame_timeout(Duration::from_millis(300)));
    let addr = slave.local_addr();
    let mut good = Raw::connect(addr);
    for seed in 1..=40u64 {
        let mut bad = Raw::connect(addr);
        // Errors are fine: the slave may close while we still write.
        let _ = bad
            .stream
            .write_all(&garbage(seed, 64 + (seed as usize * 37) % 2000));
        // Whatever the bytes meant (an impossible length, a frame with a foreign
        // protocol id, requests, half a frame), the connection either is closed or stays
        // usable; the slave itself goes on.
        drop(bad);
        let v = seed as u16;
        assert_eq!(
            good.ask(&[6, 0, 7, 0, v as u8]),
            [6, 0, 7, 0, v as u8],
            "seed {seed}"
        );
    }
    still_served(addr, 0xBEEF);
}

fn a_length_field_of_65535_closes_the_connection() {
    let slave = serve(Slave::tcp("127.0.0.1:0"));
    let mut bad = Raw::connect(slave.local_addr());
    bad.stream
        .write_all(&[0, 1, 0, 0, 0xFF, 0xFF, 1, 3])
        .expect("send");
    assert!(bad.closed_within(SOON));
    // Also when the impossible length follows good frames in the same write.
    let mut bad = Raw::connect(slave.local_addr());
    let mut bytes = frame(1, 1, &[3, 0, 0, 0, 1]);
    bytes.extend_from_slice(&[0, 2, 0, 0, 0xFF, 0xFF, 1]);
    bad.stream.write_all(&bytes).expect("send");
    assert_eq!(
        bad.recv(),
        (1, 1, vec![3, 2, 0, 0]),
        "the good frame is answered first"
    );
    assert!(bad.closed_within(SOON));
    still_served(slave.local_addr(), 1);
}

fn frames_left_hanging_are_closed_after_the_frame_timeout() {
    let timeout = Duration::from_millis(300);
    let slave = serve(Slave::tcp("127.0.0.1:0").frame_timeout(timeout));
    let addr = slave.local_addr();
    let request = frame(1, 1, &[0x10, 0, 0, 0, 2, 4, 0, 1, 0, 2]);
    let start = Instant::now();
    let mut loris: Vec<Raw> = (0..20)
        .map(|i| {
            let mut c = Raw::connect(addr);
            c.stream
                .write_all(&request[..1 + i % 15])
                .expect("send a part");
            c
        })
        .collect();
    // While they hang, others are served.
    still_served(addr, 2);
    // A client trickling a byte at a time still gets no more than the frame timeout.
    let mut trickle = Raw::connect(addr);
    let trickle_start = Instant::now();
    let mut sent = 0;
    while sent < request.len() - 1 && trickle_start.elapsed() < timeout * 3 {
        if trickle.stream.write_all(&request[sent..=sent]).is_err() {
            break;
        }
        sent += 1;
        if trickle.silent_for(Duration::from_millis(100)) {
            continue;
        }
        break;
    }
    assert!(
        trickle.closed_within(SOON),
        "the trickling client is closed"
    );
    assert!(trickle_start.elapsed() < timeout * 3);
    for c in &mut loris {
        assert!(c.closed_within(SOON));
    }
    assert!(start.elapsed() >= timeout, "not closed before the timeout");
    assert!(common::wait_until(SOON, || slave.connections() == 0));
    still_served(addr, 3);
}

fn silent_connections_are_closed_after_the_idle_timeout() {
    let slave = serve(Slave::tcp("127.0.0.1:0").idle_timeout(Duration::from_millis(300)));
    let mut c = Raw::connect(slave.local_addr());
    assert_eq!(c.ask(&[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
    let start = Instant::now();
    assert!(c.closed_within(SOON));
    assert!(start.elapsed() >= Duration::from_millis(250));
    still_served(slave.local_addr(), 4);
}

fn five_hundred_connections_at_once_evict_the_oldest_idle() {
    let slave = serve(Slave::tcp("127.0.0.1:0"));
    let addr = slave.local_addr();
    // One master that keeps talking: it is never the oldest idle.
    let mut active = Raw::connect(addr);
    assert_eq!(active.ask(&[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
    let flood: Vec<TcpStream> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(move || {
                    (0..50)
                        .filter_map(|_| TcpStream::connect(addr).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.join().expect("connector"));
            assert_eq!(active.ask(&[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
        }
        all
    });
    assert_eq!(
        flood.len(),
        500,
        "every connection was accepted by the system"
    );
    assert!(common::wait_until(SOON, || slave.connections() == 256));
    assert_eq!(
        active.ask(&[6, 0, 0, 0, 9]),
        [6, 0, 0, 0, 9],
        "the active master stayed"
    );
    still_served(addr, 5);
    assert!(slave.connections() <= 256);
    drop(flood);
    assert!(common::wait_until(SOON, || slave.connections() == 1));
}

fn refusing_when_full_keeps_the_connections_served() {
    let slave = serve(
        Slave::tcp("127.0.0.1:0")
            .max_connections(10)
            .when_full(WhenFull::Refuse),
    );
    let addr = slave.local_addr();
    let mut held: Vec<Raw> = (0..10).map(|_| Raw::connect(addr)).collect();
    assert!(common::wait_until(SOON, || slave.connections() == 10));
    let mut refused = Raw::connect(addr);
    assert!(refused.closed_within(SOON));
    for c in &mut held {
        assert_eq!(c.ask(&[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
    }
    drop(held);
    assert!(common::wait_until(SOON, || slave.connections() == 0));
    still_served(addr, 6);
}

fn a_client_that_never_reads_is_closed_and_others_are_served() {
    let slave = serve(Slave::tcp("127.0.0.1:0").write_timeout(Duration::from_millis(300)));
    let addr = slave.local_addr();
    let mut greedy = TcpStream::connect(addr).expect("connect");
    greedy
        .set_write_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    // Full-size reads, pipelined, never read back. Once the kernel's buffers on both
    // sides are full the slave's writes stall, it stops reading, and so our writes
    // stall too.
    let burst: Vec<u8> = (0..200u16)
        .flat_map(|t| frame(t, 1, &[3, 0, 0, 0, 125]))
        .collect();
    let start = Instant::now();
    let mut bursts = 0u32;
    while bursts < 2_000 && start.elapsed() < Duration::from_secs(20) {
        if greedy.write_all(&burst).is_err() {
            break; // stalled, or already closed by the slave
        }
        bursts += 1;
        if bursts.is_multiple_of(50) {
            still_served(addr, bursts as u16);
        }
    }
    assert!(
        bursts < 2_000,
        "the slave kept up with a client that never reads?"
    );
    // The slave gives up on it within its write timeout; the others are served.
    assert!(common::wait_until(SOON, || slave.connections() == 0));
    still_served(addr, 7);
    drop(greedy);
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "random_garbage_closes_only_the_connections_that_sent_it",
        run: random_garbage_closes_only_the_connections_that_sent_it,
        needs: &[],
    },
    crate::Test {
        name: "a_length_field_of_65535_closes_the_connection",
        run: a_length_field_of_65535_closes_the_connection,
        needs: &[],
    },
    crate::Test {
        name: "frames_left_hanging_are_closed_after_the_frame_timeout",
        run: frames_left_hanging_are_closed_after_the_frame_timeout,
        needs: &[],
    },
    crate::Test {
        name: "silent_connections_are_closed_after_the_idle_timeout",
        run: silent_connections_are_closed_after_the_idle_timeout,
        needs: &[],
    },
    crate::Test {
        name: "five_hundred_connections_at_once_evict_the_oldest_idle",
        run: five_hundred_connections_at_once_evict_the_oldest_idle,
        needs: &[],
    },
    crate::Test {
        name: "refusing_when_full_keeps_the_connections_served",
        run: refusing_when_full_keeps_the_connections_served,
        needs: &[],
    },
    crate::Test {
        name: "a_client_that_never_reads_is_closed_and_others_are_served",
        run: a_client_that_never_reads_is_closed_and_others_are_served,
        needs: &[],
    },
];
