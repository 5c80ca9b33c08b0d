//! msm's master against a scripted misbehaving Modbus/TCP slave (wrong echoes, answers
//! from another unit, refusals), and the bit race through FC22 against msm's own slave.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use msm::master::Fault;
use msm::{Master, Memory, Quality, Slave, Var};

/// How the scripted slave misbehaves.
#[derive(Clone, Copy)]
pub(crate) enum Script {
    /// Reads are answered well; every write gets a wrong echo (value 0x1234).
    BadWriteEcho,
    /// Everything is answered correctly, but from unit 9.
    OtherUnit,
    /// Reads are answered well; every write gets exception 06 (server device busy).
    BusyWrites,
}

/// A one-connection-at-a-time Modbus/TCP slave that runs `script` until `stop`, counting
/// the writes it receives. Holding registers read as 42.
pub(crate) struct Hostile {
    pub(crate) addr: SocketAddr,
    pub(crate) writes: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Hostile {
    pub(crate) fn start(script: Script) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let writes = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (writes, stop) = (writes.clone(), stop.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((s, _)) => serve(s, script, &writes, &stop, deadline),
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Hostile {
            addr,
            writes,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut s: TcpStream,
    script: Script,
    writes: &AtomicUsize,
    stop: &AtomicBool,
    deadline: Instant,
) {
    s.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        match s.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        }
        while buf.len() >= 7 {
            let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
            if buf.len() < 6 + len {
                break;
            }
            let frame: Vec<u8> = buf.drain(..6 + len).collect();
            let (tid, unit, pdu) = ([frame[0], frame[1]], frame[6], &frame[7..]);
            let answer_unit = match script {
                Script::OtherUnit => 9,
                Script::BadWriteEcho | Script::BusyWrites => unit,
            };
            let reply: Vec<u8> = match pdu[0] {
                3 | 4 => {
                    let qty = usize::from(u16::from_be_bytes([pdu[3], pdu[4]]));
                    let mut r = vec![pdu[0], (qty * 2) as u8];
                    for _ in 0..qty {
                        r.extend_from_slice(&42u16.to_be_bytes());
                    }
                    r
                }
                6 | 16 => {
                    writes.fetch_add(1, Ordering::Relaxed);
                    match script {
                        Script::BadWriteEcho => vec![pdu[0], pdu[1], pdu[2], 0x12, 0x34],
                        Script::OtherUnit => pdu[..5].to_vec(),
                        Script::BusyWrites => vec![pdu[0] | 0x80, 0x06],
                    }
                }
                f => vec![f | 0x80, 1],
            };
            let mut out = Vec::with_capacity(7 + reply.len());
            out.extend_from_slice(&tid);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&((reply.len() + 1) as u16).to_be_bytes());
            out.push(answer_unit);
            out.extend_from_slice(&reply);
            if s.write_all(&out).is_err() {
                return;
            }
        }
    }
}

fn a_write_with_a_malformed_answer_is_retried_with_backoff_while_reads_go_on() {
    let slave = Hostile::start(Script::BadWriteEcho);
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(0).expect("declare");
    let other: Var<u16> = mem.holding(2).expect("declare");
    let master = Master::tcp(slave.addr)
        .pipelining(1)
        .period(Duration::from_millis(20))
        .start(mem.clone())
        .expect("start");
    master.sync().expect("first sync");
    v.set(7).expect("set");
    let began = Instant::now();
    let cycles_before = master.status().cycles;
    assert!(common::wait_until(Duration::from_secs(10), || {
        began.elapsed() >= Duration::from_secs(3)
    }));
    let status = master.status();
    let writes = slave.writes.load(Ordering::Relaxed);
    // 100 ms doubling up to 5 s: a handful of tries in 3 s, never thousands.
    assert!((2..=8).contains(&writes), "{writes} writes in 3 s");
    assert!(
        status.cycles - cycles_before >= 20,
        "reads keep their share: {status:?}"
    );
    assert!(status.connected && !status.stale);
    assert!(status.writes_retried >= 2, "{status:?}");
    assert!(v.pending(), "never confirmed");
    assert!(other.quality().is_good());
    assert_eq!(other.get(), 42);
    master.stop();
}

fn an_answer_from_another_unit_is_never_applied_nor_a_confirmation() {
    let slave = Hostile::start(Script::OtherUnit);
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(1).expect("declare");
    let master = Master::tcp(slave.addr)
        .unit(1)
        .pipelining(1)
        .response_timeout(Duration::from_millis(300))
        .start(mem.clone())
        .expect("start");
    let err = master.sync().expect_err("the answer came from unit 9");
    assert!(err.to_string().contains("unit 9"), "{err}");
    assert_eq!(v.get(), 0, "its data was not applied");
    match v.quality() {
        Quality::Bad(e) => assert_eq!(
            e.fault,
            Fault::WrongUnit {
                expected: 1,
                found: 9
            }
        ),
        q => panic!("{q:?}"),
    }
    v.set(5).expect("set");
    assert!(
        master.flush_timeout(Duration::from_millis(700)).is_err(),
        "an echo from unit 9 confirms nothing"
    );
    assert!(v.pending());
    assert_eq!(master.status().writes_confirmed, 0);
    master.stop();
}

fn a_refused_write_is_reported_by_the_next_flush_and_sync() {
    let plc = Memory::new(4);
    let slave = Slave::tcp("127.0.0.1:0")
        .read_only(msm::Area::Holding, 2..3)
        .serve(plc.clone())
        .expect("serve");
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(2).expect("declare");
    let master = Master::tcp(slave.local_addr())
        .start(mem.clone())
        .expect("start");
    master.sync().expect("sync");
    v.set(7).expect("set");
    // The refusal comes back before anyone asks.
    assert!(common::wait_until(Duration::from_secs(5), || v
        .refused()
        .is_some()));
    assert!(master.flush().is_err(), "flush reports the earlier refusal");
    assert!(master.sync().is_err(), "sync too");
    assert_eq!(v.get(), 0, "the slave's value came back");
    master.stop();
    slave.stop();
}

fn no_toggle_of_bit_0_is_lost_while_a_master_sets_bit_15_of_the_same_register() {
    let plc = Memory::new(2);
    let slave = Slave::tcp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let plc_bit0: Var<bool> = plc.holding_bit(0, 0).expect("declare");
    let hmi = Memory::new(2);
    let hmi_bit15: Var<bool> = hmi.holding_bit(0, 15).expect("declare");
    let master = Master::tcp(slave.local_addr())
        .period(Duration::from_millis(1))
        .start(hmi.clone())
        .expect("start");
    master.sync().expect("sync");
    let stop = Arc::new(AtomicBool::new(false));
    let toggles = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut n = 0u32;
            let began = Instant::now();
            while !stop.load(Ordering::Relaxed) && began.elapsed() < Duration::from_secs(20) {
                plc_bit0.update(|b| !b).expect("toggle");
                n += 1;
                if n.is_multiple_of(64) {
                    thread::yield_now();
                }
            }
            (n, plc_bit0.get())
        })
    };
    let mut flips = 0;
    let began = Instant::now();
    while flips < 400 && began.elapsed() < Duration::from_secs(10) {
        hmi_bit15.set(flips % 2 == 0).expect("set");
        master.flush().expect("flush");
        flips += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let (toggled, bit0) = toggles.join().expect("toggler");
    let word = plc.holding::<u16>(0).expect("declare").get();
    // Bit 0 is exactly what the PLC's own toggles left: every toggle counted.
    assert_eq!(
        bit0,
        toggled % 2 == 1,
        "{toggled} toggles, word {word:#06x}"
    );
    assert_eq!(
        word & 1 == 1,
        toggled % 2 == 1,
        "no toggle of bit 0 was lost"
    );
    assert_eq!(word >> 15 == 1, (flips - 1) % 2 == 0, "bit 15 as last set");
    assert!(
        toggled > 1000,
        "the race ran: {toggled} toggles, {flips} writes"
    );
    assert!(master.status().mask_writes);
    eprintln!("bit race: {toggled} toggles of bit 0 against {flips} writes of bit 15, none lost");
    master.stop();
    slave.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_write_with_a_malformed_answer_is_retried_with_backoff_while_reads_go_on",
        run: a_write_with_a_malformed_answer_is_retried_with_backoff_while_reads_go_on,
        needs: &[],
    },
    crate::Test {
        name: "an_answer_from_another_unit_is_never_applied_nor_a_confirmation",
        run: an_answer_from_another_unit_is_never_applied_nor_a_confirmation,
        needs: &[],
    },
    crate::Test {
        name: "a_refused_write_is_reported_by_the_next_flush_and_sync",
        run: a_refused_write_is_reported_by_the_next_flush_and_sync,
        needs: &[],
    },
    crate::Test {
        name: "no_toggle_of_bit_0_is_lost_while_a_master_sets_bit_15_of_the_same_register",
        run: no_toggle_of_bit_0_is_lost_while_a_master_sets_bit_15_of_the_same_register,
        needs: &[],
    },
];
