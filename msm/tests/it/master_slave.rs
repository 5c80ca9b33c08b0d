//! The master against the msm slave, over real sockets: writes visible after `flush()`,
//! two memories converging under concurrent writes on both sides without a torn value,
//! and a slave stopped and restarted in the middle of a stream of writes.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use msm::{Master, Memory, Order, Slave, Var};

const DEADLINE: Duration = Duration::from_secs(20);

fn memory() -> Memory {
    Memory::builder()
        .coils(64)
        .discrete_inputs(64)
        .input_registers(64)
        .holding_registers(400)
        .build()
        .expect("valid areas")
}

fn master(addr: std::net::SocketAddr, mem: &Memory) -> msm::MasterHandle {
    Master::tcp(addr)
        .period(Duration::from_millis(20))
        .response_timeout(Duration::from_millis(500))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .start(mem.clone())
        .expect("start master")
}

/// Both memories' full images, for comparison.
fn image(mem: &Memory) -> (Vec<u16>, Vec<bool>) {
    let regs = (0..400)
        .step_by(100)
        .flat_map(|a| mem.holding_raw(a, 100).expect("declare").get())
        .collect();
    let coils = (0..64)
        .map(|a| mem.coil::<bool>(a).expect("declare").get())
        .collect();
    (regs, coils)
}

fn a_write_is_on_the_slave_when_flush_returns() {
    common::init_logging();
    let plc = memory();
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let hmi = memory();
    let m = master(slave.local_addr(), &hmi);
    let on_hmi: Var<u32> = hmi.holding(10).expect("declare").order(Order::CDAB);
    let on_plc: Var<u32> = plc.holding(10).expect("declare").order(Order::CDAB);
    let coil_hmi: Var<bool> = hmi.coil(3).expect("declare");
    for v in [1u32, 99_999, 0x8000_0001, 7] {
        on_hmi.set(v).expect("set");
        coil_hmi.set(v % 2 == 1).expect("set");
        m.flush_timeout(DEADLINE).expect("flush");
        assert_eq!(on_plc.get(), v, "visible on the slave right after flush");
        assert_eq!(plc.coil::<bool>(3).expect("declare").get(), v % 2 == 1);
    }
    // And the other way: a slave-side change reaches the master at the next cycle.
    plc.input::<f32>(4)
        .expect("declare")
        .set(21.5)
        .expect("set");
    m.sync_timeout(DEADLINE).expect("sync");
    assert_eq!(hmi.input::<f32>(4).expect("declare").get(), 21.5);
    assert!(matches!(
        hmi.input::<f32>(4).expect("declare").set(1.0),
        Err(msm::Error::ReadOnly { .. })
    ));
    m.stop();
    slave.stop();
}

/// A 64-bit pattern whose halves agree, so a torn read shows.
fn pattern(n: u64) -> u64 {
    let half = (n.wrapping_mul(0x9E37_79B9) ^ 0x5555) & 0xFFFF_FFFF;
    half << 32 | half
}

fn halves_agree(v: u64) -> bool {
    v >> 32 == v & 0xFFFF_FFFF
}

fn two_memories_converge_under_concurrent_writes_with_nothing_torn() {
    common::init_logging();
    let plc = memory();
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let hmi = memory();
    let m = master(slave.local_addr(), &hmi);
    m.sync_timeout(DEADLINE).expect("first cycle");

    // PLC-side values at 0..40, HMI-side values at 200..240, and two contested ones at
    // 124 and 300 (124 straddles the 125-register block boundary if split; it must not be).
    let plc_vars: Vec<Var<u64>> = (0..10)
        .map(|i| plc.holding(i * 4).expect("declare"))
        .collect();
    let hmi_vars: Vec<Var<u64>> = (0..10)
        .map(|i| {
            hmi.holding(200 + i * 4)
                .expect("declare")
                .order(Order::CDAB)
        })
        .collect();
    let contested_hmi: Vec<Var<f64>> = [122u16, 300]
        .iter()
        .map(|&a| hmi.holding(a).expect("declare"))
        .collect();
    let contested_plc: Vec<Var<f64>> = [122u16, 300]
        .iter()
        .map(|&a| plc.holding(a).expect("declare"))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let torn = Arc::new(AtomicU64::new(0));
    let checks = Arc::new(AtomicU64::new(0));
    let run_for = Duration::from_millis(1500);
    let started = Instant::now();

    let mut threads = Vec::new();
    for (side, vars, contested) in [
        ("plc", plc_vars.clone(), contested_plc.clone()),
        ("hmi", hmi_vars.clone(), contested_hmi.clone()),
    ] {
        let stop = stop.clone();
        threads.push(thread::spawn(move || {
            let mut n = if side == "plc" { 0 } else { 1 << 20 };
            while started.elapsed() < run_for && n < (1 << 21) + 200_000 {
                for v in &vars {
                    v.set(pattern(n)).expect("set");
                    n += 1;
                }
                for c in &contested {
                    c.set(f64::from_bits(pattern(n))).expect("set");
                    n += 1;
                }
                thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        }));
    }
    // Readers on both sides: every 64-bit value read is whole.
    for mem in [plc.clone(), hmi.clone()] {
        let (stop, torn, checks) = (stop.clone(), torn.clone(), checks.clone());
        threads.push(thread::spawn(move || {
            let all: Vec<Var<u64>> = (0..10)
                .map(|i| mem.holding::<u64>(i * 4).expect("declare"))
                .chain((0..10).map(|i| {
                    mem.holding::<u64>(200 + i * 4)
                        .expect("declare")
                        .order(Order::CDAB)
                }))
                .chain(
                    [122u16, 300]
                        .iter()
                        .map(|&a| mem.holding::<u64>(a).expect("declare")),
                )
                .collect();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < DEADLINE {
                for v in &all {
                    let x = v.get();
                    if x != 0 && !halves_agree(x) {
                        torn.fetch_add(1, Ordering::Relaxed);
                    }
                }
                checks.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(
        torn.load(Ordering::Relaxed),
        0,
        "torn 64-bit values were seen"
    );
    assert!(checks.load(Ordering::Relaxed) > 10);

    // Quiet now: the master's last writes land, then a cycle brings the slave's back.
    m.flush_timeout(DEADLINE).expect("flush");
    m.sync_timeout(DEADLINE).expect("sync");
    assert_eq!(image(&hmi), image(&plc), "the two memories converged");
    for (h, p) in hmi_vars.iter().zip(&plc_vars) {
        assert!(halves_agree(h.get()) && halves_agree(p.get()));
    }
    let s = m.status();
    assert!(s.writes_confirmed > 0 && s.block_errors.is_empty(), "{s:?}");
    m.stop();
    slave.stop();
}

fn a_slave_restarted_mid_stream_ends_up_with_every_last_local_write() {
    common::init_logging();
    let plc = memory();
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let addr = slave.local_addr();
    let hmi = memory();
    let m = master(addr, &hmi);
    m.sync_timeout(DEADLINE).expect("first cycle");

    let vars: Vec<Var<u32>> = (0..20)
        .map(|i| hmi.holding(i * 2).expect("declare"))
        .collect();
    let coils: Vec<Var<bool>> = (0..16).map(|i| hmi.coil(i).expect("declare")).collect();
    let writing = Arc::new(AtomicBool::new(true));
    let last = Arc::new(std::sync::Mutex::new(vec![0u32; vars.len()]));
    let writer = {
        let (vars, coils, writing, last) =
            (vars.clone(), coils.clone(), writing.clone(), last.clone());
        thread::spawn(move || {
            let mut n = 1u32;
            let began = Instant::now();
            while writing.load(Ordering::Relaxed) && began.elapsed() < DEADLINE && n < 5_000_000 {
                let i = (n as usize) % vars.len();
                vars[i].set(n).expect("set");
                coils[(n as usize) % coils.len()]
                    .set(n.is_multiple_of(3))
                    .expect("set");
                last.lock().expect("lock")[i] = n;
                n += 1;
                if n.is_multiple_of(64) {
                    thread::yield_now();
                }
            }
        })
    };

    // Stop the slave in the middle of the stream; the master notices and keeps the writes.
    assert!(
        common::wait_until(DEADLINE, || m.status().writes_confirmed > 50),
        "writes flow"
    );
    slave.stop();
    assert!(
        common::wait_until(DEADLINE, || !m.status().connected),
        "the master saw the slave go"
    );
    assert!(
        common::wait_until(DEADLINE, || hmi.is_stale()),
        "the memory is flagged stale"
    );
    let down_since = m.status().writes_confirmed;
    // Writes keep coming while the slave is down...
    let before = last.lock().expect("lock").clone();
    assert!(common::wait_until(DEADLINE, || *last.lock().expect("lock") != before));
    assert!(
        m.status().last_error.is_some(),
        "status says why: {:?}",
        m.status()
    );
    // ...then the slave comes back on the same address.
    let slave = Slave::tcp(addr.to_string())
        .serve(plc.clone())
        .expect("serve again");
    assert!(
        common::wait_until(DEADLINE, || m.status().connected),
        "the master reconnected by itself"
    );
    assert!(
        common::wait_until(DEADLINE, || m.status().writes_confirmed > down_since + 50),
        "writes flow again"
    );
    writing.store(false, Ordering::Relaxed);
    writer.join().expect("writer");

    m.flush_timeout(DEADLINE).expect("flush");
    let last = last.lock().expect("lock").clone();
    for (i, want) in last.iter().enumerate() {
        let on_plc: Var<u32> = plc.holding(i as u16 * 2).expect("declare");
        assert_eq!(
            on_plc.get(),
            *want,
            "variable {i} on the slave holds the last local write"
        );
    }
    for (i, c) in coils.iter().enumerate() {
        assert_eq!(
            plc.coil::<bool>(i as u16).expect("declare").get(),
            c.get(),
            "coil {i}"
        );
    }
    let s = m.status();
    assert!(s.reconnects >= 1 && !s.stale, "{s:?}");
    assert!(!hmi.is_stale());
    m.stop();
    slave.stop();
}

fn pipelined_cycles_over_ten_thousand_registers_read_everything() {
    let plc = Memory::builder()
        .holding_registers(10_000)
        .input_registers(10_000)
        .build()
        .expect("build");
    for a in (0..10_000u16).step_by(1) {
        plc.input::<u16>(a).expect("declare").set(a).expect("set");
    }
    plc.holding::<u32>(124)
        .expect("declare")
        .set(0xABCD_1234)
        .expect("set");
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let hmi = Memory::builder()
        .holding_registers(10_000)
        .input_registers(10_000)
        .build()
        .expect("build");
    let m = Master::tcp(slave.local_addr().to_string())
        .pipelining(8)
        .start(hmi.clone())
        .expect("start");
    m.sync_timeout(DEADLINE).expect("sync");
    for a in [0u16, 1, 124, 125, 5000, 9999] {
        assert_eq!(hmi.input::<u16>(a).expect("declare").get(), a);
    }
    assert_eq!(hmi.holding::<u32>(124).expect("declare").get(), 0xABCD_1234);
    // First contact is one request at a time; the next cycle widens to the full depth.
    m.sync_timeout(DEADLINE).expect("sync");
    assert_eq!(
        m.status().depth,
        8,
        "the msm slave takes pipelined requests"
    );
    m.stop();
    slave.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_write_is_on_the_slave_when_flush_returns",
        run: a_write_is_on_the_slave_when_flush_returns,
        needs: &[],
    },
    crate::Test {
        name: "two_memories_converge_under_concurrent_writes_with_nothing_torn",
        run: two_memories_converge_under_concurrent_writes_with_nothing_torn,
        needs: &[],
    },
    crate::Test {
        name: "a_slave_restarted_mid_stream_ends_up_with_every_last_local_write",
        run: a_slave_restarted_mid_stream_ends_up_with_every_last_local_write,
        needs: &[],
    },
    crate::Test {
        name: "pipelined_cycles_over_ten_thousand_registers_read_everything",
        run: pipelined_cycles_over_ten_thousand_registers_read_everything,
        needs: &[],
    },
];
