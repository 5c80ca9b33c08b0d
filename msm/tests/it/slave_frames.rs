//! The slave over a real socket, with raw frames and no msm master: every function,
//! every exception path, pipelined and split frames, unit ids, hooks, limits, and the
//! handles' life cycle.

use crate::common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::slave::{Raw, frame, still_served, test_memory};
use msm::protocol::ExceptionCode;
use msm::slave::{DeviceIdentity, WriteValues};
use msm::{Area, Origin, Peer, Slave, Var};

fn serve(slave: Slave) -> (msm::Memory, msm::SlaveHandle) {
    common::init_logging();
    let mem = test_memory();
    let handle = slave.serve(mem.clone()).expect("serve");
    (mem, handle)
}

fn local() -> Slave {
    Slave::tcp("127.0.0.1:0")
}

fn every_function_is_executed_against_the_memory() {
    let (mem, slave) = serve(local());
    let mut c = Raw::connect(slave.local_addr());
    let input: Var<[u16; 2]> = mem.input(12).expect("declare");
    input.set([0x1234, 0xABCD]).expect("set");
    let di: Var<bool> = mem.discrete_input(15).expect("declare");
    di.set(true).expect("set");

    // FC5, FC15 then FC1.
    assert_eq!(c.ask(&[5, 0, 100, 0xFF, 0]), [5, 0, 100, 0xFF, 0]);
    assert_eq!(
        c.ask(&[0x0F, 0, 110, 0, 10, 2, 0b0101_0101, 0b11]),
        [0x0F, 0, 110, 0, 10]
    );
    assert_eq!(c.ask(&[1, 0, 100, 0, 20]), [1, 3, 1, 0b0101_0100, 0b1101]);
    // FC2, FC4.
    assert_eq!(c.ask(&[2, 0, 8, 0, 8]), [2, 1, 0x80]);
    assert_eq!(c.ask(&[4, 0, 12, 0, 2]), [4, 4, 0x12, 0x34, 0xAB, 0xCD]);
    // FC6, FC16, FC22, FC3.
    assert_eq!(c.ask(&[6, 0, 0, 0, 0x12]), [6, 0, 0, 0, 0x12]);
    assert_eq!(
        c.ask(&[0x10, 0, 1, 0, 2, 4, 1, 2, 3, 4]),
        [0x10, 0, 1, 0, 2]
    );
    assert_eq!(
        c.ask(&[0x16, 0, 0, 0, 0xF2, 0, 0x25]),
        [0x16, 0, 0, 0, 0xF2, 0, 0x25]
    );
    assert_eq!(c.ask(&[3, 0, 0, 0, 3]), [3, 6, 0, 0x17, 1, 2, 3, 4]);
    // FC23: write 1 register at 2, read 3 from 0.
    assert_eq!(
        c.ask(&[0x17, 0, 0, 0, 3, 0, 2, 0, 1, 2, 0xCA, 0xFE]),
        [0x17, 6, 0, 0x17, 1, 2, 0xCA, 0xFE]
    );
    // FC8/0 echoes.
    assert_eq!(c.ask(&[8, 0, 0, 0xA5, 0x37, 9]), [8, 0, 0, 0xA5, 0x37, 9]);
    // FC43/14 basic, then one object.
    let id = c.ask(&[0x2B, 0x0E, 1, 0]);
    assert_eq!(id[..7], [0x2B, 0x0E, 1, 0x81, 0, 0, 3]);
    assert_eq!(
        c.ask(&[0x2B, 0x0E, 4, 0]),
        [0x2B, 0x0E, 4, 0x81, 0, 0, 1, 0, 3, b'm', b's', b'm']
    );

    let holding: Var<[u16; 3]> = mem.holding(0).expect("declare");
    assert_eq!(holding.get(), [0x17, 0x0102, 0xCAFE]);
    let coils: Var<bool> = mem.coil(119).expect("declare");
    assert!(coils.get());
}

fn every_exception_path_answers_the_code_the_spec_asks() {
    let (_mem, slave) = serve(local());
    let mut c = Raw::connect(slave.local_addr());
    let cases: &[(&str, &[u8], u8)] = &[
        // Unknown functions and sub-functions: 01.
        ("fc 9", &[0x09], 1),
        ("fc 0x41", &[0x41, 1, 2], 1),
        ("fc 0x64", &[0x64], 1),
        ("fc 8 sub 0x15", &[8, 0, 0x15, 0, 0], 1),
        // A defined sub-function's data outside its rule: 03.
        ("fc 8 sub 0x0B data 0001", &[8, 0, 0x0B, 0, 1], 3),
        ("fc 43 mei 13", &[0x2B, 0x0D, 1, 0], 1),
        // Quantity 0 and max + 1: 03, whatever the address.
        ("fc1 q0", &[1, 0, 100, 0, 0], 3),
        ("fc1 q2001", &[1, 0, 100, 0x07, 0xD1], 3),
        ("fc2 q0", &[2, 0, 0, 0, 0], 3),
        ("fc2 q2001", &[2, 0xFF, 0, 0x07, 0xD1], 3),
        ("fc3 q0", &[3, 0, 0, 0, 0], 3),
        ("fc3 q126", &[3, 0, 0, 0, 126], 3),
        ("fc4 q0", &[4, 0, 10, 0, 0], 3),
        ("fc4 q126", &[4, 0, 10, 0, 126], 3),
        ("fc15 q0", &[0x0F, 0, 100, 0, 0, 0], 3),
        ("fc15 q1969", &[0x0F, 0, 100, 0x07, 0xB1, 0xF7], 3),
        ("fc16 q0", &[0x10, 0, 0, 0, 0, 0], 3),
        ("fc16 q124", &[0x10, 0, 0, 0, 124, 248], 3),
        ("fc23 read q0", &[0x17, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0], 3),
        (
            "fc23 read q126",
            &[0x17, 0, 0, 0, 126, 0, 0, 0, 1, 2, 0, 0],
            3,
        ),
        ("fc23 write q0", &[0x17, 0, 0, 0, 1, 0, 0, 0, 0, 0], 3),
        ("fc23 write q122", &[0x17, 0, 0, 0, 1, 0, 0, 0, 122, 244], 3),
        // Byte count that disagrees with the quantity: 03.
        ("fc15 bc", &[0x0F, 0, 100, 0, 9, 1, 0xFF], 3),
        ("fc16 bc", &[0x10, 0, 0, 0, 2, 2, 0, 1], 3),
        ("fc16 short data", &[0x10, 0, 0, 0, 2, 4, 0, 1], 3),
        ("fc23 bc", &[0x17, 0, 0, 0, 1, 0, 0, 0, 1, 4, 0, 1], 3),
        ("fc5 value", &[5, 0, 100, 0x12, 0x34], 3),
        ("fc43 code 5", &[0x2B, 0x0E, 5, 0], 3),
        ("fc3 long pdu", &[3, 0, 0, 0, 1, 0], 3),
        // Address at both ends of every area: the first and last are fine (elsewhere),
        // one before and one past are 02.
        ("coil before", &[1, 0, 99, 0, 1], 2),
        ("coil past", &[1, 0, 119, 0, 2], 2),
        ("coil write past", &[5, 0, 120, 0, 0], 2),
        ("coils write past", &[0x0F, 0, 119, 0, 2, 1, 3], 2),
        ("discrete past", &[2, 0, 15, 0, 2], 2),
        ("input before", &[4, 0, 9, 0, 1], 2),
        ("input past", &[4, 0, 13, 0, 2], 2),
        ("holding past", &[3, 0, 199, 0, 2], 2),
        ("holding far", &[3, 0xFF, 0xFF, 0, 1], 2),
        ("fc6 past", &[6, 0, 200, 0, 0], 2),
        ("fc16 past", &[0x10, 0, 199, 0, 2, 4, 0, 0, 0, 0], 2),
        ("fc22 past", &[0x16, 0, 200, 0, 0, 0, 0], 2),
        (
            "fc23 read past",
            &[0x17, 0, 199, 0, 2, 0, 0, 0, 1, 2, 0, 0],
            2,
        ),
        (
            "fc23 write past",
            &[0x17, 0, 0, 0, 1, 0, 199, 0, 2, 4, 0, 0, 0, 0],
            2,
        ),
        ("fc43 no such object", &[0x2B, 0x0E, 4, 0x06], 2),
    ];
    for (what, pdu, code) in cases {
        let answer = c.ask(pdu);
        assert_eq!(answer, [pdu[0] | 0x80, *code], "{what}: {pdu:02x?}");
    }
    for (what, pdu) in [
        ("coil first", &[1u8, 0, 100, 0, 1][..]),
        ("coil last", &[1, 0, 119, 0, 1]),
        ("coils whole", &[1, 0, 100, 0, 20]),
        ("discrete first", &[2, 0, 0, 0, 1]),
        ("discrete last", &[2, 0, 15, 0, 1]),
        ("input first", &[4, 0, 10, 0, 1]),
        ("input last", &[4, 0, 13, 0, 1]),
        ("holding first", &[3, 0, 0, 0, 125]),
        ("holding last", &[3, 0, 199, 0, 1]),
        ("coil write last", &[5, 0, 119, 0, 0]),
        ("fc16 last", &[0x10, 0, 198, 0, 2, 4, 0, 0, 0, 0]),
    ] {
        let answer = c.ask(pdu);
        assert_eq!(answer[0], pdu[0], "{what}: {answer:02x?}");
    }
}

fn pipelined_requests_are_answered_in_order() {
    let (mem, slave) = serve(local());
    let regs: Var<Vec<u16>> = mem.holding_raw(0, 50).expect("declare");
    regs.set((0..50).collect()).expect("set");
    let mut c = Raw::connect(slave.local_addr());
    let mut burst = Vec::new();
    for i in 0..50u16 {
        burst.extend(frame(1000 + i, 1, &[3, 0, i as u8, 0, 1]));
        burst.extend(frame(2000 + i, 1, &[0x09]));
    }
    c.stream.write_all(&burst).expect("send the burst");
    for i in 0..50u16 {
        assert_eq!(c.recv(), (1000 + i, 1, vec![3, 2, 0, i as u8]));
        assert_eq!(c.recv(), (2000 + i, 1, vec![0x89, 1]));
    }
}

fn frames_split_anywhere_are_answered_once_whole() {
    let (_mem, slave) = serve(local());
    let mut c = Raw::connect(slave.local_addr());
    let request = frame(7, 1, &[0x10, 0, 3, 0, 2, 4, 0xAB, 0xCD, 0xEF, 0x01]);
    for byte in &request {
        c.stream.write_all(&[*byte]).expect("send one byte");
        c.stream.flush().expect("flush");
    }
    assert_eq!(c.recv(), (7, 1, vec![0x10, 0, 3, 0, 2]));
    // A frame and a half, then the rest.
    let two = [frame(8, 1, &[3, 0, 3, 0, 2]), frame(9, 1, &[3, 0, 4, 0, 1])].concat();
    c.stream.write_all(&two[..18]).expect("send");
    assert_eq!(c.recv(), (8, 1, vec![3, 4, 0xAB, 0xCD, 0xEF, 0x01]));
    c.stream.write_all(&two[18..]).expect("send");
    assert_eq!(c.recv(), (9, 1, vec![3, 2, 0xEF, 0x01]));
}

fn any_unit_by_default_a_set_when_configured() {
    let (_mem, any) = serve(local());
    let mut c = Raw::connect(any.local_addr());
    for unit in [0u8, 1, 17, 0xFF] {
        assert_eq!(
            c.ask_unit(unit, &[3, 0, 0, 0, 1]),
            [3, 2, 0, 0],
            "unit {unit}"
        );
    }

    let (_mem, only) = serve(local().units([5, 6]));
    let mut c = Raw::connect(only.local_addr());
    assert_eq!(c.ask_unit(5, &[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
    c.send(1, &[3, 0, 0, 0, 1]);
    c.send(0xFF, &[3, 0, 0, 0, 1]);
    let tid = c.send(6, &[3, 0, 0, 0, 1]);
    assert_eq!(
        c.recv(),
        (tid, 6, vec![3, 2, 0, 0]),
        "units 1 and 255 get no answer"
    );

    let (_mem, gateway) = serve(local().unit(5).unknown_unit_exception(true));
    let mut c = Raw::connect(gateway.local_addr());
    assert_eq!(c.ask_unit(1, &[3, 0, 0, 0, 1]), [0x83, 0x0B]);
    assert_eq!(c.ask_unit(5, &[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
}

fn remote_writes_are_reported_with_the_peer_address() {
    let (mem, slave) = serve(local());
    let mut changes = mem.subscribe();
    let mut c = Raw::connect(slave.local_addr());
    let me: SocketAddr = c.stream.local_addr().expect("local address");
    c.ask(&[0x10, 0, 10, 0, 3, 6, 0, 1, 0, 2, 0, 3]);
    c.ask(&[5, 0, 105, 0xFF, 0]);
    c.ask(&[0x17, 0, 0, 0, 1, 0, 20, 0, 1, 2, 0, 9]);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let change = changes
            .recv_timeout(Duration::from_secs(5))
            .expect("a change");
        assert_eq!(change.origin, Origin::Remote(Peer::Tcp(me)));
        seen.push((change.area, change.address, change.count));
    }
    assert_eq!(
        seen,
        [
            (Area::Holding, 10, 3),
            (Area::Coil, 105, 1),
            (Area::Holding, 20, 1)
        ]
    );
    // Reads and refused writes change nothing.
    c.ask(&[3, 0, 0, 0, 10]);
    c.ask(&[6, 0, 200, 0, 1]);
    assert!(changes.recv_timeout(Duration::from_millis(50)).is_err());
}

fn hooks_refuse_writes_before_they_land() {
    let busy = Arc::new(AtomicBool::new(false));
    let flag = busy.clone();
    let (mem, slave) = serve(
        local()
            .read_only(Area::Holding, 100..=199)
            .read_only(Area::Coil, ..=101)
            .write_validator(move |w| {
                if flag.load(Ordering::Relaxed) {
                    return Err(ExceptionCode::ServerDeviceBusy);
                }
                match w.values {
                    WriteValues::Registers(r) if r.iter().any(|v| v > 1000) => {
                        Err(ExceptionCode::IllegalDataValue)
                    }
                    _ => Ok(()),
                }
            }),
    );
    let mut c = Raw::connect(slave.local_addr());
    assert_eq!(c.ask(&[6, 0, 150, 0, 1]), [0x86, 2]);
    assert_eq!(c.ask(&[0x10, 0, 99, 0, 2, 4, 0, 1, 0, 1]), [0x90, 2]);
    assert_eq!(c.ask(&[5, 0, 101, 0xFF, 0]), [0x85, 2]);
    assert_eq!(c.ask(&[5, 0, 102, 0xFF, 0]), [5, 0, 102, 0xFF, 0]);
    assert_eq!(c.ask(&[6, 0, 1, 0x03, 0xE9]), [0x86, 3]);
    assert_eq!(c.ask(&[6, 0, 1, 0x03, 0xE8]), [6, 0, 1, 0x03, 0xE8]);
    busy.store(true, Ordering::Relaxed);
    assert_eq!(c.ask(&[6, 0, 1, 0, 5]), [0x86, 6]);
    let r: Var<u16> = mem.holding(1).expect("declare");
    assert_eq!(r.get(), 1000);
}

fn device_identity_is_configurable() {
    let identity = DeviceIdentity {
        vendor: "ACME".into(),
        product_code: "PUMP-7".into(),
        revision: "2.1".into(),
        model_name: "P7".into(),
        extended: vec![(0x80, b"serial 42".to_vec())],
        ..DeviceIdentity::default()
    };
    let (_mem, slave) = serve(local().identity(identity));
    let mut c = Raw::connect(slave.local_addr());
    let regular = c.ask(&[0x2B, 0x0E, 2, 0]);
    assert_eq!(regular[..7], [0x2B, 0x0E, 2, 0x83, 0, 0, 4]);
    let objects = &regular[7..];
    let expected: Vec<u8> = [
        &[0u8, 4][..],
        b"ACME",
        &[1, 6],
        b"PUMP-7",
        &[2, 3],
        b"2.1",
        &[5, 2],
        b"P7",
    ]
    .concat();
    assert_eq!(objects, expected);
    assert_eq!(
        c.ask(&[0x2B, 0x0E, 4, 0x80]),
        [&[0x2B, 0x0E, 4, 0x83, 0, 0, 1, 0x80, 9][..], b"serial 42"].concat()
    );
}

fn the_allow_list_closes_clients_outside_it() {
    let (_mem, closed) = serve(local().allow("10.0.0.0/8".parse().expect("net")));
    let mut c = Raw::connect(closed.local_addr());
    assert!(c.closed_within(Duration::from_secs(5)));
    let (_mem, open) = serve(
        local()
            .allow("10.0.0.0/8".parse().expect("net"))
            .allow("127.0.0.1".parse().expect("net")),
    );
    still_served(open.local_addr(), 3);
}

fn a_frame_over_the_length_limit_closes_only_its_connection() {
    let (_mem, slave) = serve(local().max_frame_len(12));
    let mut good = Raw::connect(slave.local_addr());
    let mut bad = Raw::connect(slave.local_addr());
    bad.send(1, &[0x10, 0, 0, 0, 2, 4, 0, 1, 0, 2]);
    assert!(bad.closed_within(Duration::from_secs(5)));
    assert_eq!(good.ask(&[6, 0, 0, 0, 1]), [6, 0, 0, 0, 1]);
}

fn requests_from_different_connections_are_each_atomic() {
    let (_mem, slave) = serve(local());
    let addr = slave.local_addr();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let writers: Vec<_> = (0..2u8)
        .map(|w| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(addr);
                let mut n = 0u32;
                while n < 5000 && Instant::now() < deadline {
                    let v = (n as u8).wrapping_mul(2).wrapping_add(w);
                    let mut pdu = vec![0x10, 0, 0, 0, 100, 200];
                    pdu.extend(std::iter::repeat_n([v, v], 100).flatten());
                    assert_eq!(c.ask(&pdu), [0x10, 0, 0, 0, 100]);
                    n += 1;
                }
            })
        })
        .collect();
    let mut c = Raw::connect(addr);
    let mut reads = 0;
    while reads < 5000 && Instant::now() < deadline {
        let answer = c.ask(&[3, 0, 0, 0, 100]);
        assert!(
            answer[2..].iter().all(|b| *b == answer[2]),
            "torn read: {answer:02x?}"
        );
        reads += 1;
    }
    for w in writers {
        w.join().expect("writer");
    }
    assert!(reads > 10);
}

fn stop_frees_the_port_and_a_port_in_use_is_a_clear_error() {
    let (mem, slave) = serve(local());
    let addr = slave.local_addr();
    let err = Slave::tcp(addr.to_string())
        .serve(mem.clone())
        .expect_err("in use");
    let text = err.to_string();
    assert!(
        text.contains(&addr.to_string()) && text.contains("another port"),
        "{text}"
    );
    let mut c = Raw::connect(addr);
    slave.stop();
    assert!(
        c.closed_within(Duration::from_secs(5)),
        "connections end with the slave"
    );
    // The same port again, then dropping the handle stops it too.
    let again = Slave::tcp(addr.to_string())
        .serve(mem.clone())
        .expect("port free");
    still_served(addr, 11);
    drop(again);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after drop"
    );
}

fn connections_are_counted() {
    let (_mem, slave) = serve(local());
    let clients: Vec<Raw> = (0..3).map(|_| Raw::connect(slave.local_addr())).collect();
    assert!(common::wait_until(Duration::from_secs(5), || slave
        .connections()
        == 3));
    drop(clients);
    assert!(common::wait_until(Duration::from_secs(5), || slave
        .connections()
        == 0));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_form_serves_on_the_callers_runtime() {
    let mem = test_memory();
    let slave = local().serve_async(mem.clone()).await.expect("serve");
    let addr = slave.local_addr();
    tokio::task::spawn_blocking(move || still_served(addr, 42))
        .await
        .expect("client");
    let r: Var<u16> = mem.holding(7).expect("declare");
    assert_eq!(r.get(), 42);
    slave.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// A program that drops its runtime without stopping the slave: the connections it
/// served are closed, not left answering from threads of their own.
fn dropping_the_runtime_closes_the_connections_it_served() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let slave = runtime
        .block_on(local().serve_async(test_memory()))
        .expect("serve");
    let mut c = Raw::connect(slave.local_addr());
    assert_eq!(c.ask(&[3, 0, 0, 0, 1]), [3, 2, 0, 0]);
    drop(runtime);
    assert!(
        c.closed_within(Duration::from_secs(5)),
        "the connection ends with the runtime"
    );
    drop(slave);
}

/// A write validator that takes its time holds up only the connection it serves.
fn a_slow_validator_holds_up_only_its_own_connection() {
    let release = Arc::new(AtomicBool::new(false));
    let wait = release.clone();
    let (_mem, slave) = serve(local().write_validator(move |_| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !wait.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::yield_now();
        }
        Ok(())
    }));
    let addr = slave.local_addr();
    let mut writer = Raw::connect(addr);
    writer
        .stream
        .write_all(&frame(1, 1, &[6, 0, 0, 0, 5]))
        .expect("send");
    // Four other masters read meanwhile, each answered.
    for value in 0..4 {
        let mut reader = Raw::connect(addr);
        assert_eq!(reader.ask(&[3, 0, 1, 0, 1]), [3, 2, 0, 0], "reader {value}");
    }
    release.store(true, Ordering::SeqCst);
    assert_eq!(writer.recv(), (1, 1, vec![6, 0, 0, 0, 5]));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "every_function_is_executed_against_the_memory",
        run: every_function_is_executed_against_the_memory,
        needs: &[],
    },
    crate::Test {
        name: "every_exception_path_answers_the_code_the_spec_asks",
        run: every_exception_path_answers_the_code_the_spec_asks,
        needs: &[],
    },
    crate::Test {
        name: "pipelined_requests_are_answered_in_order",
        run: pipelined_requests_are_answered_in_order,
        needs: &[],
    },
    crate::Test {
        name: "frames_split_anywhere_are_answered_once_whole",
        run: frames_split_anywhere_are_answered_once_whole,
        needs: &[],
    },
    crate::Test {
        name: "any_unit_by_default_a_set_when_configured",
        run: any_unit_by_default_a_set_when_configured,
        needs: &[],
    },
    crate::Test {
        name: "remote_writes_are_reported_with_the_peer_address",
        run: remote_writes_are_reported_with_the_peer_address,
        needs: &[],
    },
    crate::Test {
        name: "hooks_refuse_writes_before_they_land",
        run: hooks_refuse_writes_before_they_land,
        needs: &[],
    },
    crate::Test {
        name: "device_identity_is_configurable",
        run: device_identity_is_configurable,
        needs: &[],
    },
    crate::Test {
        name: "the_allow_list_closes_clients_outside_it",
        run: the_allow_list_closes_clients_outside_it,
        needs: &[],
    },
    crate::Test {
        name: "a_frame_over_the_length_limit_closes_only_its_connection",
        run: a_frame_over_the_length_limit_closes_only_its_connection,
        needs: &[],
    },
    crate::Test {
        name: "requests_from_different_connections_are_each_atomic",
        run: requests_from_different_connections_are_each_atomic,
        needs: &[],
    },
    crate::Test {
        name: "stop_frees_the_port_and_a_port_in_use_is_a_clear_error",
        run: stop_frees_the_port_and_a_port_in_use_is_a_clear_error,
        needs: &[],
    },
    crate::Test {
        name: "connections_are_counted",
        run: connections_are_counted,
        needs: &[],
    },
    crate::Test {
        name: "the_async_form_serves_on_the_callers_runtime",
        run: the_async_form_serves_on_the_callers_runtime,
        needs: &[],
    },
    crate::Test {
        name: "dropping_the_runtime_closes_the_connections_it_served",
        run: dropping_the_runtime_closes_the_connections_it_served,
        needs: &[],
    },
    crate::Test {
        name: "a_slow_validator_holds_up_only_its_own_connection",
        run: a_slow_validator_holds_up_only_its_own_connection,
        needs: &[],
    },
];
