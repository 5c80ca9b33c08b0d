//! Modbus/UDP on loopback: the msm slave and master together, the master against
//! pymodbus's UDP server, a lossy network (a proxy that drops datagrams) the master's
//! retries get through, datagrams that are no request (garbage, two frames, oversize),
//! answers to each sender, and answers from another address ignored.

use crate::common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use msm::protocol::tcp;
use msm::{Master, Memory, Slave};

const DEADLINE: Duration = Duration::from_secs(15);
/// Long enough for any answer on loopback to have come.
const NO_ANSWER: Duration = Duration::from_millis(300);

/// `pdu` for `unit` in an MBAP frame with `tid`.
fn frame(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; tcp::HEADER_LEN + pdu.len()];
    v[tcp::HEADER_LEN..].copy_from_slice(pdu);
    tcp::encode_header(&mut v, tid, unit, pdu.len()).expect("header");
    v
}

/// A client socket on loopback whose reads give up after `within`.
fn client(within: Duration) -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(within)).expect("timeout");
    s
}

/// The next datagram within the socket's timeout, if one comes.
fn next(s: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = [0u8; 1024];
    s.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

fn msm_master_and_slave_exchange_over_udp() {
    common::init_logging();
    let plc = common::four_areas(300);
    plc.input::<f32>(2)
        .expect("declare")
        .set(21.5)
        .expect("set");
    plc.holding::<u16>(299)
        .expect("declare")
        .set(7)
        .expect("set");
    let slave = Slave::udp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    let hmi = common::four_areas(300);
    let master = Master::udp(slave.local_addr())
        .pipelining(4)
        .period(Duration::from_millis(50))
        .start(hmi.clone())
        .expect("start");
    master.sync_timeout(DEADLINE).expect("a cycle");
    master.sync_timeout(DEADLINE).expect("a cycle, pipelined");
    assert_eq!(hmi.input::<f32>(2).expect("declare").get(), 21.5);
    assert_eq!(hmi.holding::<u16>(299).expect("declare").get(), 7);
    let mut changes = plc.subscribe();
    hmi.holding::<u32>(10)
        .expect("declare")
        .set(0xCAFE_F00D)
        .expect("set");
    hmi.coil::<bool>(5)
        .expect("declare")
        .set(true)
        .expect("set");
    master.flush_timeout(DEADLINE).expect("flush");
    assert_eq!(plc.holding::<u32>(10).expect("declare").get(), 0xCAFE_F00D);
    assert!(plc.coil::<bool>(5).expect("declare").get());
    // The write is the master's socket's, as the slave saw it.
    let c = changes.recv_timeout(DEADLINE).expect("a change");
    assert!(
        matches!(c.origin, msm::Origin::Remote(msm::Peer::Udp(a)) if a.ip().is_loopback()),
        "{:?}",
        c.origin
    );
    let s = master.status();
    assert!(
        s.connected && s.block_errors.is_empty() && s.timeouts == 0,
        "{s:?}"
    );
    assert!(s.depth > 1, "pipelined over UDP: {s:?}");
    assert_eq!(slave.connections(), 0, "UDP keeps no connection");
    master.stop();
    slave.stop();
}

fn the_master_polls_pymodbus_udp_server() {
    common::init_logging();
    let Some(python) = common::pymodbus_python() else {
        return;
    };
    let script = common::peer_script("pymodbus_link_server.py");
    let server =
        common::PeerProcess::start(&python, &[script.to_str().expect("utf-8"), "udp", "20"]);
    let mem = common::four_areas(20);
    let master = Master::udp(("127.0.0.1", server.port()))
        .unit(1)
        .period(Duration::from_millis(50))
        .response_timeout(Duration::from_secs(2))
        .start(mem.clone())
        .expect("start");
    master.sync_timeout(DEADLINE).expect("first cycle");
    common::assert_pymodbus_link_server_values(&mem, &[0, 1, 19]);
    mem.holding::<u16>(4)
        .expect("declare")
        .set(44)
        .expect("set");
    mem.coil::<bool>(2)
        .expect("declare")
        .set(true)
        .expect("set");
    master.flush_timeout(DEADLINE).expect("flush");
    master.sync_timeout(DEADLINE).expect("read back");
    assert_eq!(mem.holding::<u16>(4).expect("declare").get(), 44);
    assert!(mem.coil::<bool>(2).expect("declare").get());
    let s = master.status();
    assert!(s.block_errors.is_empty(), "{s:?}");
    master.stop();
}

/// A UDP proxy on loopback between one master and a slave that drops every `nth`
/// datagram (counting both ways), until dropped.
struct LossyProxy {
    addr: SocketAddr,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LossyProxy {
    fn new(slave: SocketAddr, nth: u64) -> LossyProxy {
        let front = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let back = UdpSocket::bind("127.0.0.1:0").expect("bind");
        // Short reads, so the thread sees `stop` soon; not a synchronisation.
        for s in [&front, &back] {
            s.set_read_timeout(Some(Duration::from_millis(20)))
                .expect("timeout");
        }
        back.connect(slave).expect("connect");
        let addr = front.local_addr().expect("addr");
        let (dropped, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (d, st) = (dropped.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut master: Option<SocketAddr> = None;
            let mut seen = 0u64;
            let mut buf = [0u8; 2048];
            // True if this datagram goes through: every `nth` one is lost.
            let mut passes = || {
                seen += 1;
                let lost = seen.is_multiple_of(nth);
                if lost {
                    d.fetch_add(1, Ordering::Relaxed);
                }
                !lost
            };
            while !st.load(Ordering::Relaxed) {
                if let Ok((n, from)) = front.recv_from(&mut buf) {
                    master = Some(from);
                    if passes() {
                        let _ = back.send(&buf[..n]);
                    }
                }
                if let (Ok(n), Some(to)) = (back.recv(&mut buf), master)
                    && passes()
                {
                    let _ = front.send_to(&buf[..n], to);
                }
            }
        });
        LossyProxy {
            addr,
            dropped,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LossyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn the_masters_retries_get_through_a_network_that_loses_datagrams() {
    common::init_logging();
    let plc = Memory::new(100);
    for i in 0..100u16 {
        plc.holding::<u16>(i)
            .expect("declare")
            .set(i * 3)
            .expect("set");
    }
    let slave = Slave::udp("127.0.0.1:0").serve(plc.clone()).expect("serve");
    // Every 4th datagram lost, requests and answers alike.
    let proxy = LossyProxy::new(slave.local_addr(), 4);
    let hmi = Memory::new(100);
    let master = Master::udp(proxy.addr)
        .pipelining(1)
        .retries(4)
        .response_timeout(Duration::from_millis(200))
        .period(Duration::from_secs(3600))
        .start(hmi.clone())
        .expect("start");
    // Reads: several cycles of the whole memory (one request each).
    for _ in 0..6 {
        master
            .sync_timeout(DEADLINE)
            .expect("a cycle despite the losses");
    }
    assert_eq!(hmi.holding::<u16>(99).expect("declare").get(), 297);
    // Writes: each confirmed, none lost for good, each applied once or twice (the same).
    for i in 0..8u16 {
        hmi.holding::<u16>(i)
            .expect("declare")
            .set(1000 + i)
            .expect("set");
        master
            .flush_timeout(DEADLINE)
            .expect("a write despite the losses");
    }
    assert!((0..8u16).all(|i| plc.holding::<u16>(i).expect("declare").get() == 1000 + i));
    let s = master.status();
    assert!(
        proxy.dropped.load(Ordering::Relaxed) >= 3,
        "the proxy dropped some"
    );
    assert!(s.requests_resent >= 3, "{s:?}");
    assert_eq!(s.timeouts, 0, "every loss was recovered by a retry: {s:?}");
    assert!(s.block_errors.is_empty(), "{s:?}");
    master.stop();
}

fn datagrams_that_are_no_request_get_no_answer_and_the_slave_stays_up() {
    common::init_logging();
    let plc = Memory::new(10);
    plc.holding::<u16>(1)
        .expect("declare")
        .set(11)
        .expect("set");
    let slave = Slave::udp("127.0.0.1:0")
        .unit(1)
        .serve(plc.clone())
        .expect("serve");
    let addr = slave.local_addr();
    let s = client(NO_ANSWER);
    let read = frame(5, 1, &[3, 0, 1, 0, 1]);
    let answer = frame(5, 1, &[3, 2, 0, 11]);
    s.send_to(&read, addr).expect("send");
    assert_eq!(next(&s), Some(answer.clone()));
    let mut oversize = frame(6, 1, &[16, 0, 0, 0, 1, 2, 0, 5]);
    oversize.resize(1500, 0xAA);
    let mut write_past = frame(7, 1, &[6, 0, 2, 0, 9]);
    write_past.push(0); // one byte more than the header says
    let garbage: [&[u8]; 6] = [
        b"GET / HTTP/1.1\r\n\r\n",
        &[0, 1],
        &[&read[..], &read[..]].concat(),
        &oversize,
        &write_past,
        &[0; 0],
    ];
    for datagram in garbage {
        s.send_to(datagram, addr).expect("send");
        assert_eq!(next(&s), None, "no answer to {datagram:?}");
    }
    assert_eq!(
        plc.holding::<u16>(2).expect("declare").get(),
        0,
        "nothing executed"
    );
    // Requests that are whole but wrong are answered with the spec's exceptions.
    s.send_to(&frame(8, 1, &[3, 0, 0, 0, 0]), addr)
        .expect("send");
    assert_eq!(next(&s), Some(frame(8, 1, &[0x83, 3])));
    s.send_to(&frame(9, 1, &[0x41]), addr).expect("send");
    assert_eq!(next(&s), Some(frame(9, 1, &[0xC1, 1])));
    // Another unit: silence, as over TCP.
    s.send_to(&frame(10, 2, &[3, 0, 1, 0, 1]), addr)
        .expect("send");
    assert_eq!(next(&s), None);
    // And the slave is still there.
    s.send_to(&read, addr).expect("send");
    assert_eq!(next(&s), Some(answer));
    slave.stop();
}

fn each_sender_gets_its_own_answer() {
    let plc = Memory::new(4);
    plc.holding::<u16>(0).expect("declare").set(1).expect("set");
    plc.holding::<u16>(1).expect("declare").set(2).expect("set");
    let slave = Slave::udp("127.0.0.1:0").serve(plc).expect("serve");
    let (a, b) = (client(DEADLINE), client(DEADLINE));
    a.send_to(&frame(1, 1, &[3, 0, 0, 0, 1]), slave.local_addr())
        .expect("send");
    b.send_to(&frame(1, 1, &[3, 0, 1, 0, 1]), slave.local_addr())
        .expect("send");
    assert_eq!(next(&b), Some(frame(1, 1, &[3, 2, 0, 2])));
    assert_eq!(next(&a), Some(frame(1, 1, &[3, 2, 0, 1])));
    slave.stop();
}

fn answers_from_another_address_are_ignored() {
    common::init_logging();
    // The "slave" is a raw socket: it sees the master's request, a rogue socket answers
    // it first with other data, then the slave answers.
    let fake = client(DEADLINE);
    let rogue = client(DEADLINE);
    let mem = Memory::new(1);
    let master = Master::udp(fake.local_addr().expect("addr"))
        .retries(0)
        .response_timeout(Duration::from_secs(5))
        .start(mem.clone())
        .expect("start");
    let mut buf = [0u8; 300];
    let (n, from) = fake.recv_from(&mut buf).expect("a request");
    let (request, _) = tcp::split_frame(&buf[..n]).expect("valid").expect("whole");
    assert_eq!(request.pdu, [3, 0, 0, 0, 1]);
    let tid = request.header.transaction_id;
    rogue
        .send_to(&frame(tid, 1, &[3, 2, 0x66, 0x66]), from)
        .expect("send");
    fake.send_to(&frame(tid, 1, &[3, 2, 0, 42]), from)
        .expect("send");
    assert!(
        common::wait_until(DEADLINE, || master.status().cycles > 0),
        "{:?}",
        master.status()
    );
    assert_eq!(
        mem.holding::<u16>(0).expect("declare").get(),
        42,
        "the slave's answer"
    );
    master.stop();
}

fn udp_settings_are_checked() {
    let err = Slave::udp("127.0.0.1:0")
        .parity(msm::Parity::Odd)
        .serve(Memory::new(1))
        .expect_err("parity on UDP");
    assert!(
        err.to_string().contains("parity applies to serial lines"),
        "{err}"
    );
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let err = Slave::udp(taken.local_addr().expect("addr"))
        .serve(Memory::new(1))
        .expect_err("port in use");
    assert!(err.to_string().contains("choose another port"), "{err}");
    let err = Master::udp("plc")
        .start(Memory::new(1))
        .expect_err("no port");
    assert!(err.to_string().contains("no port"), "{err}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "msm_master_and_slave_exchange_over_udp",
        run: msm_master_and_slave_exchange_over_udp,
        needs: &[],
    },
    crate::Test {
        name: "the_master_polls_pymodbus_udp_server",
        run: the_master_polls_pymodbus_udp_server,
        needs: &["pymodbus"],
    },
    crate::Test {
        name: "the_masters_retries_get_through_a_network_that_loses_datagrams",
        run: the_masters_retries_get_through_a_network_that_loses_datagrams,
        needs: &[],
    },
    crate::Test {
        name: "datagrams_that_are_no_request_get_no_answer_and_the_slave_stays_up",
        run: datagrams_that_are_no_request_get_no_answer_and_the_slave_stays_up,
        needs: &[],
    },
    crate::Test {
        name: "each_sender_gets_its_own_answer",
        run: each_sender_gets_its_own_answer,
        needs: &[],
    },
    crate::Test {
        name: "answers_from_another_address_are_ignored",
        run: answers_from_another_address_are_ignored,
        needs: &[],
    },
    crate::Test {
        name: "udp_settings_are_checked",
        run: udp_settings_are_checked,
        needs: &[],
    },
];
