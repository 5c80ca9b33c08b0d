//! A slave that misbehaves on purpose (`Slave::faults`), met by masters over real
//! sockets: pymodbus and msm's own master against each action, the bytes and the timing
//! a raw client sees, faults switched on and off while serving, and seeded
//! probabilities that repeat. (The core's tests check every action's bytes with
//! scripted instants: `slave/core/fault/`.)

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use msm::master::Fault as Seen;
use msm::protocol::ExceptionCode;
use msm::protocol::tcp;
use msm::slave::{Fault, FaultAction};
use msm::{Error, Master, Memory, Plan, Slave, Var};
use serde_json::Value;

const PACE: Duration = Duration::from_millis(20);
const LATE: Duration = Duration::from_millis(300);

/// One fault per address 10, 20, ... 100, each hitting reads of holding registers there.
fn one_fault_per_address() -> Vec<Fault> {
    let actions = [
        FaultAction::Exception(ExceptionCode::ServerDeviceBusy),
        FaultAction::Delay(LATE),
        FaultAction::Drop,
        FaultAction::Close,
        FaultAction::WrongTransaction,
        FaultAction::WrongUnit,
        FaultAction::Short,
        FaultAction::Trickle(PACE),
        FaultAction::Garbage,
        FaultAction::BadCrc,
    ];
    (1..)
        .zip(actions)
        .map(|(k, action)| Fault::new(action).function(3).address(10 * k..=10 * k))
        .collect()
}

/// A slave over 120 holding registers holding 1000, 1001, ..., with a fault at every
/// tenth address.
fn faulty_slave(rtu: bool) -> (Memory, msm::SlaveHandle) {
    let mem = Memory::new(120);
    let values: Var<[u16; 120]> = mem.holding(0).expect("declare");
    values
        .set(std::array::from_fn(|i| 1000 + i as u16))
        .expect("set");
    let builder = if rtu {
        Slave::rtu_over_tcp("127.0.0.1:0")
    } else {
        Slave::tcp("127.0.0.1:0")
    };
    let slave = builder
        .faults(one_fault_per_address())
        .seed(1)
        .serve(mem.clone())
        .expect("serve");
    (mem, slave)
}

fn pymodbus(port: u16, framer: &str, addresses: &[u16]) -> Value {
    let python = common::pymodbus_python().expect("pymodbus");
    let output = Command::new(python)
        .arg(common::peer_script("slave_faults_client.py"))
        .args(["127.0.0.1", &port.to_string(), framer, "1.0"])
        .args(addresses.iter().map(u16::to_string))
        .output()
        .expect("run the pymodbus client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pymodbus client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("JSON from the client")
}

fn elapsed(v: &Value) -> Duration {
    Duration::from_secs_f64(v["elapsed"].as_f64().expect("elapsed"))
}

/// No answer pymodbus could take: it waited its whole timeout (1 s).
fn timed_out(v: &Value) -> bool {
    v["error"] == "ModbusIOException" && elapsed(v) >= Duration::from_millis(950)
}

fn pymodbus_meets_every_fault() {
    common::init_logging();
    let (_, slave) = faulty_slave(false);
    let got = pymodbus(
        slave.local_addr().port(),
        "socket",
        &[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    );
    assert_eq!(
        got["0"]["registers"],
        serde_json::json!([1000, 1001]),
        "no fault: {got}"
    );
    assert_eq!(got["10"]["exception"], 6, "{}", got["10"]);
    assert_eq!(got["20"]["registers"], serde_json::json!([1020, 1021]));
    assert!(elapsed(&got["20"]) >= LATE, "answered late: {}", got["20"]);
    assert!(timed_out(&got["30"]), "dropped: {}", got["30"]);
    assert_eq!(got["40"]["error"], "ConnectionException", "{}", got["40"]);
    assert!(
        elapsed(&got["40"]) < Duration::from_millis(500),
        "closed at once: {}",
        got["40"]
    );
    assert!(
        timed_out(&got["50"]),
        "another transaction id is no answer: {}",
        got["50"]
    );
    assert!(
        timed_out(&got["60"]),
        "another unit is no answer: {}",
        got["60"]
    );
    // pymodbus takes a short answer as it comes: one register, not two.
    assert_eq!(
        got["70"]["registers"],
        serde_json::json!([1070]),
        "{}",
        got["70"]
    );
    assert_eq!(got["80"]["registers"], serde_json::json!([1080, 1081]));
    // 13 bytes (7 of header, 6 of PDU): 12 pauses between them.
    assert!(elapsed(&got["80"]) >= 12 * PACE, "trickled: {}", got["80"]);
    assert!(timed_out(&got["90"]), "garbage: {}", got["90"]);
    assert_eq!(
        got["100"]["registers"],
        serde_json::json!([1100, 1101]),
        "no CRC on Modbus/TCP"
    );
    let applied = slave.faults_applied();
    assert_eq!(applied[..9], [1; 9], "each fault counted once: {applied:?}");
    assert_eq!(applied[9], 0, "bad-crc is skipped on Modbus/TCP");

    // RTU over TCP: a bad CRC, another address, a short answer.
    let (_, slave) = faulty_slave(true);
    let got = pymodbus(slave.local_addr().port(), "rtu", &[0, 60, 70, 80, 100]);
    assert_eq!(
        got["0"]["registers"],
        serde_json::json!([1000, 1001]),
        "{got}"
    );
    assert!(timed_out(&got["60"]), "another address: {}", got["60"]);
    assert_eq!(got["70"]["registers"], serde_json::json!([1070]));
    // 9 bytes (address, 6 of PDU, CRC): 8 pauses.
    assert!(elapsed(&got["80"]) >= 8 * PACE, "{}", got["80"]);
    assert!(timed_out(&got["100"]), "bad CRC: {}", got["100"]);
}

/// What msm's master made of reading 2 registers at `address` (its own connection).
fn msm_master_reads(
    slave: &msm::SlaveHandle,
    address: u16,
    rtu: bool,
) -> (Result<[u16; 2], Seen>, Duration) {
    let shape = Memory::builder()
        .holding_registers(120)
        .build()
        .expect("memory");
    let values: Var<[u16; 2]> = shape.holding(address).expect("declare");
    let builder = if rtu {
        Master::rtu_over_tcp(slave.local_addr())
    } else {
        Master::tcp(slave.local_addr())
    };
    let master = builder
        .unit(1)
        .plan(Plan::DeclaredVars { max_gap: 0 })
        .response_timeout(Duration::from_millis(700))
        .start(shape)
        .expect("start");
    let began = Instant::now();
    let result = match master.sync() {
        Ok(()) => Ok(values.get()),
        Err(Error::Block(e)) => Err(e.fault),
        // The connection dropped before the request's own failure was told (garbage
        // makes the master reconnect): what the master saw, all the same.
        Err(Error::NotConnected { reason, .. }) => Err(Seen::Disconnected(reason)),
        Err(other) => panic!("reading {address}: {other}"),
    };
    (result, began.elapsed())
}

fn msm_master_meets_every_fault() {
    common::init_logging();
    let (_, slave) = faulty_slave(false);
    // The master reads only what a memory declares: one variable at each address.
    let read = |address| msm_master_reads(&slave, address, false);
    assert_eq!(read(0).0, Ok([1000, 1001]));
    assert_eq!(
        read(10).0,
        Err(Seen::Exception {
            code: ExceptionCode::ServerDeviceBusy
        })
    );
    let (late, took) = read(20);
    assert_eq!(late, Ok([1020, 1021]));
    assert!(took >= LATE, "{took:?}");
    assert!(matches!(read(30).0, Err(Seen::Timeout(_))), "dropped");
    assert!(
        matches!(read(40).0, Err(Seen::Disconnected(_) | Seen::Timeout(_))),
        "closed"
    );
    assert!(
        matches!(read(50).0, Err(Seen::Timeout(_) | Seen::BadResponse(_))),
        "another transaction id"
    );
    assert_eq!(
        read(60).0,
        Err(Seen::WrongUnit {
            expected: 1,
            found: 2
        })
    );
    assert!(
        matches!(read(70).0, Err(Seen::BadResponse(_))),
        "short: one register of two"
    );
    let (trickled, took) = read(80);
    assert_eq!(trickled, Ok([1080, 1081]));
    assert!(took >= 12 * PACE, "{took:?}");
    assert!(
        matches!(
            read(90).0,
            Err(Seen::BadResponse(_) | Seen::Timeout(_) | Seen::Disconnected(_))
        ),
        "garbage"
    );

    let (_, slave) = faulty_slave(true);
    let read = |address| msm_master_reads(&slave, address, true);
    assert_eq!(read(0).0, Ok([1000, 1001]));
    // On a line, a frame from another address is another device's: not an answer.
    assert!(
        matches!(read(60).0, Err(Seen::Timeout(_))),
        "another address"
    );
    assert!(
        matches!(read(100).0, Err(Seen::Timeout(_) | Seen::BadResponse(_))),
        "bad CRC"
    );
}

/// Sends one MBAP read of 2 registers at `address` with transaction id `tid`; returns
/// each piece the socket gave and when, until `len` bytes came (`None`: as many as the
/// answer's MBAP header announces).
fn raw_read(
    stream: &mut TcpStream,
    tid: u16,
    address: u16,
    len: Option<usize>,
) -> Vec<(Instant, Vec<u8>)> {
    let mut frame = [0u8; tcp::MAX_FRAME_LEN];
    let request = msm::protocol::Request::ReadHoldingRegisters {
        address,
        quantity: 2,
    };
    let n = tcp::encode_request(&mut frame, tid, 1, &request).expect("encode");
    stream.write_all(&frame[..n]).expect("send");
    let mut pieces = Vec::new();
    let mut got = Vec::new();
    // Never more than this answer: nothing of the next one is taken.
    loop {
        let wanted = len.unwrap_or_else(|| match got.get(4..6) {
            Some(&[hi, lo]) => 6 + usize::from(u16::from_be_bytes([hi, lo])),
            _ => 6,
        });
        if got.len() >= wanted {
            return pieces;
        }
        let mut buf = vec![0u8; wanted - got.len()];
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "closed after {got:?}");
        got.extend_from_slice(&buf[..n]);
        pieces.push((Instant::now(), buf[..n].to_vec()));
    }
}

fn raw_bytes_and_timing_are_what_the_faults_say() {
    let (_, slave) = faulty_slave(false);
    let mut stream = TcpStream::connect(slave.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    let answer = |tid: u16, values: [u16; 2]| {
        let mut v = vec![0, 0, 0, 0, 0, 7, 1, 3, 4];
        v[..2].copy_from_slice(&tid.to_be_bytes());
        v.extend(values.iter().flat_map(|x| x.to_be_bytes()));
        v
    };
    // Another transaction id: the request's, every bit flipped.
    let pieces = raw_read(&mut stream, 0x1234, 50, None);
    let bytes = pieces.concat_bytes();
    assert_eq!(bytes, answer(0xEDCB, [1050, 1051]));
    // Trickled: a byte at a time (a reader held up may find two or three waiting), the
    // whole no sooner than 12 pauses.
    let asked = Instant::now();
    let pieces = raw_read(&mut stream, 7, 80, None);
    assert!(
        pieces.len() >= 7 && pieces.iter().all(|(_, b)| b.len() <= 3),
        "{pieces:?}"
    );
    let bytes = pieces.concat_bytes();
    assert_eq!(bytes, answer(7, [1080, 1081]));
    assert!(asked.elapsed() >= 12 * PACE);
    // Late, and a pipelined request behind it waits with it.
    let asked = Instant::now();
    let mut both = [0u8; 2 * 12];
    for (i, (tid, address)) in [(8u16, 20u16), (9, 0)].into_iter().enumerate() {
        let request = msm::protocol::Request::ReadHoldingRegisters {
            address,
            quantity: 2,
        };
        tcp::encode_request(&mut both[i * 12..], tid, 1, &request).expect("encode");
    }
    stream.write_all(&both).expect("send");
    let mut got = [0u8; 26];
    stream.read_exact(&mut got).expect("both answers");
    assert!(asked.elapsed() >= LATE, "{:?}", asked.elapsed());
    assert_eq!(
        got.to_vec(),
        [answer(8, [1020, 1021]), answer(9, [1000, 1001])].concat()
    );
    // Garbage: as long as the answer, not a Modbus frame.
    let pieces = raw_read(&mut stream, 10, 90, Some(13));
    let bytes = pieces.concat_bytes();
    assert_eq!(bytes.len(), 13);
    assert_ne!(
        bytes[2..4],
        [0, 0],
        "the protocol id is not Modbus's: {bytes:?}"
    );
}

fn faults_switch_on_and_off_while_serving() {
    let slave = Slave::tcp("127.0.0.1:0")
        .serve(Memory::new(4))
        .expect("serve");
    let mem = Memory::new(4);
    let master = Master::tcp(slave.local_addr())
        .response_timeout(Duration::from_millis(200))
        .start(mem.clone())
        .expect("start");
    master.sync().expect("answered");
    let busy = Fault::new(FaultAction::Exception(ExceptionCode::ServerDeviceBusy));
    slave.set_faults([busy]).expect("faults");
    let Err(Error::Block(e)) = master.sync() else {
        panic!("the fault is on")
    };
    assert_eq!(
        e.fault,
        Seen::Exception {
            code: ExceptionCode::ServerDeviceBusy
        }
    );
    assert!(slave.faults_applied()[0] >= 1);
    assert!(
        slave
            .set_faults([Fault::new(FaultAction::Drop).every(0)])
            .is_err()
    );
    assert!(
        master.sync().is_err(),
        "a wrong fault leaves the ones in place"
    );
    slave.set_faults([]).expect("off");
    master
        .sync()
        .expect("answered again, on the same connection");
    assert!(slave.faults_applied().is_empty());
}

fn a_seed_makes_the_same_requests_fail() {
    // 40 requests, one after the other on one connection: which were refused.
    let outcomes = |seed| {
        let busy = Fault::new(FaultAction::Exception(ExceptionCode::ServerDeviceBusy));
        let slave = Slave::tcp("127.0.0.1:0")
            .faults([busy.probability(0.3)])
            .seed(seed)
            .serve(Memory::new(4))
            .expect("serve");
        let mut stream = TcpStream::connect(slave.local_addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let refused: Vec<bool> = (0..40)
            .map(|tid| {
                let pieces = raw_read(&mut stream, tid, 0, None);
                pieces.concat_bytes()[7] == 0x83
            })
            .collect();
        (refused, slave.faults_applied()[0])
    };
    let (first, hits) = outcomes(11);
    assert_eq!(
        first,
        outcomes(11).0,
        "the same seed, the same requests refused"
    );
    assert_ne!(first, outcomes(12).0, "another seed, others");
    assert_eq!(first.iter().filter(|r| **r).count() as u64, hits);
    assert!((4..=24).contains(&hits), "about 30 % of 40: {hits}");
}

/// The bytes of the pieces a socket gave, in order.
trait Bytes {
    fn concat_bytes(&self) -> Vec<u8>;
}

impl Bytes for Vec<(Instant, Vec<u8>)> {
    fn concat_bytes(&self) -> Vec<u8> {
        self.iter().flat_map(|(_, b)| b.iter().copied()).collect()
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "pymodbus_meets_every_fault",
        run: pymodbus_meets_every_fault,
        needs: &["pymodbus"],
    },
    crate::Test {
        name: "msm_master_meets_every_fault",
        run: msm_master_meets_every_fault,
        needs: &[],
    },
    crate::Test {
        name: "raw_bytes_and_timing_are_what_the_faults_say",
        run: raw_bytes_and_timing_are_what_the_faults_say,
        needs: &[],
    },
    crate::Test {
        name: "faults_switch_on_and_off_while_serving",
        run: faults_switch_on_and_off_while_serving,
        needs: &[],
    },
    crate::Test {
        name: "a_seed_makes_the_same_requests_fail",
        run: a_seed_makes_the_same_requests_fail,
        needs: &[],
    },
];
