//! Every fault action through a connection core and the slave's own service, over MBAP
//! and over RTU: the bytes sent, when, and what the memory saw. Scripted instants, no
//! socket.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Memory;
use crate::protocol::rtu::{self, Direction};
use crate::protocol::stream::Delimiter;
use crate::protocol::{ExceptionCode, tcp};
use crate::slave::config::Config;
use crate::slave::core::close::CloseReason;
use crate::slave::core::connection::{Connection, Limits};
use crate::slave::core::respond::{Client, Responder};
use crate::transport::Framing;
use crate::types::{Fault, FaultAction};

const LIMITS: Limits = Limits {
    idle_timeout: Duration::from_secs(60),
    frame_timeout: Duration::from_secs(5),
    write_timeout: Duration::from_secs(5),
    max_frame_len: tcp::MAX_FRAME_LEN,
};

/// A connection over MBAP or RTU over TCP to a slave with `faults` and 4 registers,
/// holding 1, 2, 3, 4.
fn served(faults: Vec<Fault>, framing: Framing, t0: Instant) -> (Memory, Connection<Responder>) {
    let mem = Memory::new(4);
    mem.holding::<[u16; 4]>(0)
        .expect("declare")
        .set([1, 2, 3, 4])
        .expect("set");
    let config = Config {
        faults,
        seed: Some(7),
        ..Config::default()
    };
    let settings = config.settings(&mem, framing).expect("settings");
    let client = Client::Tcp {
        addr: ([127, 0, 0, 1], 40_000).into(),
        role: None,
    };
    let responder = Responder::new(Arc::clone(&settings.rules), mem.clone(), client);
    let delimiter = match framing {
        Framing::Mbap => Delimiter::Mbap,
        Framing::Rtu => Delimiter::rtu_over_tcp(Direction::Request),
        Framing::Ascii => Delimiter::ascii(),
    };
    (mem, Connection::new(delimiter, LIMITS, responder, t0))
}

fn mbap(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = vec![0; tcp::HEADER_LEN + pdu.len()];
    v[tcp::HEADER_LEN..].copy_from_slice(pdu);
    tcp::encode_header(&mut v, tid, unit, pdu.len()).expect("header");
    v
}

fn rtu_frame(unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = [&[unit][..], pdu].concat();
    v.extend_from_slice(&rtu::crc16(&v).to_le_bytes());
    v
}

fn send(c: &mut Connection<Responder>, now: Instant, bytes: &[u8]) {
    let space = c.read_space();
    space[..bytes.len()].copy_from_slice(bytes);
    c.filled(now, bytes.len());
}

/// Everything sent at `now`, concatenated.
fn sent(c: &mut Connection<Responder>, now: Instant) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(out) = c.poll_transmit(now) {
        all.extend_from_slice(out);
        let n = out.len();
        c.transmitted(n);
    }
    all
}

const READ_2: [u8; 5] = [3, 0, 0, 0, 2];
const ANSWER_2: [u8; 6] = [3, 4, 0, 1, 0, 2];
/// Writes 9 to register 3.
const WRITE: [u8; 5] = [6, 0, 3, 0, 9];

fn register_3(mem: &Memory) -> u16 {
    mem.holding::<u16>(3).expect("declare").get()
}

#[test]
fn an_exception_is_answered_and_the_request_not_executed() {
    let t0 = Instant::now();
    let busy = Fault::new(FaultAction::Exception(ExceptionCode::ServerDeviceBusy));
    let (mem, mut c) = served(vec![busy], Framing::Mbap, t0);
    send(&mut c, t0, &mbap(1, 1, &WRITE));
    assert_eq!(sent(&mut c, t0), mbap(1, 1, &[0x86, 0x06]));
    assert_eq!(register_3(&mem), 4, "not written");
    let code_200 = Fault::new(FaultAction::Exception(ExceptionCode::from_u8(200)));
    let (_, mut c) = served(vec![code_200], Framing::Rtu, t0);
    send(&mut c, t0, &rtu_frame(1, &READ_2));
    assert_eq!(sent(&mut c, t0), rtu_frame(1, &[0x83, 200]));
}

#[test]
fn a_delayed_answer_holds_the_requests_behind_it() {
    let t0 = Instant::now();
    let late = Duration::from_millis(500);
    let delay = Fault::new(FaultAction::Delay(late)).function(3);
    let (mem, mut c) = served(vec![delay], Framing::Mbap, t0);
    send(
        &mut c,
        t0,
        &[mbap(1, 1, &READ_2), mbap(2, 1, &WRITE)].concat(),
    );
    assert!(sent(&mut c, t0).is_empty());
    assert_eq!(c.poll_timeout(), Some(t0 + late));
    assert_eq!(
        register_3(&mem),
        4,
        "the write waits behind the late answer"
    );
    let at = t0 + late;
    c.handle_timeout(at);
    // Then the write, executed and answered at once.
    assert_eq!(
        sent(&mut c, at),
        [mbap(1, 1, &ANSWER_2), mbap(2, 1, &WRITE)].concat()
    );
    assert_eq!(register_3(&mem), 9);
}

#[test]
fn a_dropped_answer_is_executed_and_never_sent() {
    let t0 = Instant::now();
    let (mem, mut c) = served(
        vec![Fault::new(FaultAction::Drop).every(2)],
        Framing::Mbap,
        t0,
    );
    send(
        &mut c,
        t0,
        &[mbap(1, 1, &READ_2), mbap(2, 1, &WRITE), mbap(3, 1, &READ_2)].concat(),
    );
    assert_eq!(
        sent(&mut c, t0),
        [mbap(1, 1, &ANSWER_2), mbap(3, 1, &ANSWER_2)].concat()
    );
    assert_eq!(register_3(&mem), 9, "the write landed; its answer was lost");
    assert!(c.poll_close().is_none());
}

#[test]
fn close_sends_the_answers_before_and_executes_nothing() {
    let t0 = Instant::now();
    let (mem, mut c) = served(
        vec![Fault::new(FaultAction::Close).function(6)],
        Framing::Mbap,
        t0,
    );
    send(
        &mut c,
        t0,
        &[mbap(1, 1, &READ_2), mbap(2, 1, &WRITE), mbap(3, 1, &READ_2)].concat(),
    );
    assert_eq!(sent(&mut c, t0), mbap(1, 1, &ANSWER_2));
    assert_eq!(c.poll_close(), Some(CloseReason::Service));
    assert_eq!(register_3(&mem), 4);
}

#[test]
fn wrong_ids_and_units_are_in_the_header_the_rest_is_right() {
    let t0 = Instant::now();
    let (_, mut c) = served(
        vec![Fault::new(FaultAction::WrongTransaction)],
        Framing::Mbap,
        t0,
    );
    send(&mut c, t0, &mbap(0x0102, 1, &READ_2));
    assert_eq!(sent(&mut c, t0), mbap(0xFEFD, 1, &ANSWER_2));
    let (_, mut c) = served(vec![Fault::new(FaultAction::WrongUnit)], Framing::Mbap, t0);
    send(&mut c, t0, &mbap(7, 0xFF, &READ_2));
    assert_eq!(sent(&mut c, t0), mbap(7, 0, &ANSWER_2));
    let (_, mut c) = served(vec![Fault::new(FaultAction::WrongUnit)], Framing::Rtu, t0);
    send(&mut c, t0, &rtu_frame(1, &READ_2));
    assert_eq!(
        sent(&mut c, t0),
        rtu_frame(2, &ANSWER_2),
        "a valid frame from unit 2"
    );
}

#[test]
fn a_short_answer_has_one_register_fewer() {
    let t0 = Instant::now();
    let (_, mut c) = served(vec![Fault::new(FaultAction::Short)], Framing::Rtu, t0);
    send(&mut c, t0, &rtu_frame(1, &READ_2));
    assert_eq!(sent(&mut c, t0), rtu_frame(1, &[3, 2, 0, 1]));
}

#[test]
fn a_trickled_answer_goes_a_byte_at_a_time() {
    let t0 = Instant::now();
    let pace = Duration::from_millis(5);
    let (_, mut c) = served(
        vec![Fault::new(FaultAction::Trickle(pace))],
        Framing::Mbap,
        t0,
    );
    send(&mut c, t0, &mbap(1, 1, &READ_2));
    let whole = mbap(1, 1, &ANSWER_2);
    let mut now = t0;
    let mut got = Vec::new();
    for (i, byte) in whole.iter().enumerate() {
        assert_eq!(sent(&mut c, now), [*byte], "byte {i}");
        let last = i == whole.len() - 1;
        assert_eq!(
            c.wants_input(),
            last,
            "nothing is read while the answer trickles"
        );
        got.push(*byte);
        match c.poll_timeout_but_idle() {
            Some(next) => {
                assert_eq!(next, now + pace);
                assert!(sent(&mut c, next - Duration::from_micros(1)).is_empty());
                now = next;
                c.handle_timeout(now);
            }
            None => assert_eq!(i, whole.len() - 1, "the pacing ends with the last byte"),
        }
    }
    assert_eq!(got, whole);
    assert!(c.wants_input());
}

#[test]
fn a_bad_crc_spoils_only_the_check_and_is_skipped_over_mbap() {
    let t0 = Instant::now();
    let (_, mut c) = served(vec![Fault::new(FaultAction::BadCrc)], Framing::Rtu, t0);
    send(&mut c, t0, &rtu_frame(1, &READ_2));
    let mut expected = rtu_frame(1, &ANSWER_2);
    let n = expected.len();
    expected[n - 2] ^= 0xFF;
    expected[n - 1] ^= 0xFF;
    assert_eq!(sent(&mut c, t0), expected);
    let (_, mut c) = served(vec![Fault::new(FaultAction::BadCrc)], Framing::Mbap, t0);
    send(&mut c, t0, &mbap(1, 1, &READ_2));
    assert_eq!(sent(&mut c, t0), mbap(1, 1, &ANSWER_2), "no CRC to spoil");
}

#[test]
fn a_bad_crc_over_ascii_is_a_wrong_lrc_in_a_well_formed_line() {
    let t0 = Instant::now();
    let ascii_frame = |pdu: &[u8]| {
        let mut buf = [0u8; crate::protocol::ascii::MAX_FRAME_LEN];
        let n = crate::protocol::ascii::encode_frame(&mut buf, 1, pdu).expect("encode");
        buf[..n].to_vec()
    };
    let (_, mut c) = served(vec![Fault::new(FaultAction::BadCrc)], Framing::Ascii, t0);
    send(&mut c, t0, &ascii_frame(&READ_2));
    let right = ascii_frame(&ANSWER_2);
    let got = sent(&mut c, t0);
    let n = right.len();
    assert_eq!(got.len(), n);
    assert_eq!(
        got[..n - 4],
        right[..n - 4],
        "all but the LRC as it should be"
    );
    assert_eq!(&got[n - 2..], b"\r\n");
    let lrc =
        |f: &[u8]| u8::from_str_radix(std::str::from_utf8(&f[n - 4..n - 2]).expect("hex"), 16);
    assert_eq!(
        lrc(&got).expect("hex digits"),
        !lrc(&right).expect("hex digits")
    );
}

#[test]
fn garbage_is_as_long_as_the_answer_and_no_modbus_frame() {
    let t0 = Instant::now();
    let (_, mut tcp_conn) = served(vec![Fault::new(FaultAction::Garbage)], Framing::Mbap, t0);
    let (_, mut rtu_conn) = served(vec![Fault::new(FaultAction::Garbage)], Framing::Rtu, t0);
    let mut seen = std::collections::HashSet::new();
    for i in 0..50 {
        send(&mut tcp_conn, t0, &mbap(i, 1, &READ_2));
        let noise = sent(&mut tcp_conn, t0);
        assert_eq!(noise.len(), tcp::HEADER_LEN + ANSWER_2.len());
        assert_ne!(noise[2..4], [0, 0], "a protocol id other than Modbus's");
        seen.insert(noise);
        send(&mut rtu_conn, t0, &rtu_frame(1, &READ_2));
        let noise = sent(&mut rtu_conn, t0);
        assert_eq!(noise.len(), 3 + ANSWER_2.len());
        let n = noise.len();
        assert_ne!(noise[n - 2..], rtu::crc16(&noise[..n - 2]).to_le_bytes());
    }
    assert_eq!(seen.len(), 50, "noise, not a pattern");
}
