//! Sans-IO tests of a slave connection: bytes go in as a driver's reads would bring
//! them, responses are taken from `poll_transmit`, and time only moves when a test says
//! so. No socket, no sleep.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::Memory;
use crate::protocol::rtu::Direction;
use crate::protocol::rtu_framer::{Discarded, Timing};
use crate::protocol::stream::StreamError;
use crate::protocol::tcp::FrameError;
use crate::slave::config::Config;
use crate::slave::core::respond::{Client, Responder};
use crate::transport::Framing;

const LIMITS: Limits = Limits {
    idle_timeout: Duration::from_secs(60),
    frame_timeout: Duration::from_secs(5),
    write_timeout: Duration::from_secs(3),
    max_frame_len: tcp::MAX_FRAME_LEN,
};

/// What a scripted service saw, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Message(u8),
    Skipped(Skipped),
    Answered { exception: bool },
    Unanswered(NoAnswer),
}

/// Answers each PDU with itself, except: 0x41 gets no answer, 0x42 an answer held 10 ms,
/// 0x43 closes the connection, 0x44 an exception 01.
#[derive(Default)]
struct Script {
    requests: Vec<(Option<u16>, u8, Vec<u8>)>,
    seen: Vec<Seen>,
}

const HELD: Duration = Duration::from_millis(10);

impl Service for Script {
    fn respond(&mut self, request: &Incoming<'_>, out: &mut [u8]) -> Answer {
        let pdu = request.pdu;
        self.requests
            .push((request.transaction_id, request.unit, pdu.to_vec()));
        match pdu.first() {
            Some(0x41) => return Answer::Nothing(NoAnswer::NoFunction),
            Some(0x43) => return Answer::Close,
            Some(0x44) => {
                out[..2].copy_from_slice(&[0xC4, 0x01]);
                return Answer::Pdu(2);
            }
            _ => {}
        }
        out[..pdu.len()].copy_from_slice(pdu);
        match pdu.first() {
            Some(0x42) => Answer::Later {
                len: pdu.len(),
                at: request.at + HELD,
            },
            _ => Answer::Pdu(pdu.len()),
        }
    }

    fn observe(&mut self, event: Observed<'_>) {
        self.seen.push(match event {
            Observed::Message { unit } => Seen::Message(unit),
            Observed::Skipped(why) => Seen::Skipped(why.clone()),
            Observed::Answered { exception } => Seen::Answered {
                exception: exception.is_some(),
            },
            Observed::Unanswered(why) => Seen::Unanswered(why),
        });
    }
}

fn mbap(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = vec![0; tcp::HEADER_LEN + pdu.len()];
    v[tcp::HEADER_LEN..].copy_from_slice(pdu);
    tcp::encode_header(&mut v, tid, unit, pdu.len()).expect("header");
    v
}

fn rtu_frame(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.extend_from_slice(&rtu::crc16(body).to_le_bytes());
    v
}

fn tcp_conn(t0: Instant) -> Connection<Script> {
    Connection::new(Delimiter::Mbap, LIMITS, Script::default(), t0)
}

/// A read of `bytes` at `now`, through the read space as a driver's read would.
fn read(c: &mut Connection<Script>, now: Instant, bytes: &[u8]) {
    assert!(c.wants_input(), "read while the connection takes no input");
    let space = c.read_space();
    space[..bytes.len()].copy_from_slice(bytes);
    c.filled(now, bytes.len());
}

/// Everything the connection sends at `now`, each transmit as the transport took it.
fn transmits(c: &mut Connection<Script>, now: Instant) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    while let Some(out) = c.poll_transmit(now) {
        all.push(out.to_vec());
        let n = out.len();
        c.transmitted(n);
    }
    all
}

#[test]
fn coalesced_frames_are_answered_in_order_in_one_transmit() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    let bytes = [
        mbap(1, 7, &[3, 9]),
        mbap(2, 8, &[0x41]),
        mbap(3, 9, &[5, 0, 4]),
        mbap(4, 1, &[3, 0, 0, 0, 1])[..4].to_vec(),
    ]
    .concat();
    read(&mut c, t0, &bytes);
    assert_eq!(
        transmits(&mut c, t0),
        [[mbap(1, 7, &[3, 9]), mbap(3, 9, &[5, 0, 4])].concat()],
        "one transmit: both answers, in order; 0x41 is not answered"
    );
    assert_eq!(
        c.service().seen,
        [
            Seen::Message(7),
            Seen::Answered { exception: false },
            Seen::Message(8),
            Seen::Unanswered(NoAnswer::NoFunction),
            Seen::Message(9),
            Seen::Answered { exception: false },
        ]
    );
    assert_eq!(c.last_request(), Some(t0));
    // The 4th frame has begun: the frame timeout runs from its first bytes.
    assert_eq!(c.poll_timeout_but_idle(), Some(t0 + LIMITS.frame_timeout));
    assert!(c.wants_input() && c.poll_close().is_none());
}

#[test]
fn a_frame_split_anywhere_is_answered_once_whole() {
    let frame = mbap(9, 1, &[3, 0, 0, 0, 1]);
    for cut in 1..frame.len() {
        let t0 = Instant::now();
        let mut c = tcp_conn(t0);
        read(&mut c, t0, &frame[..cut]);
        assert!(transmits(&mut c, t0).is_empty(), "cut at {cut}");
        let t1 = t0 + Duration::from_millis(1);
        // Copied in, as a datagram or a test would bring it.
        assert_eq!(c.handle_input(t1, &frame[cut..]), frame.len() - cut);
        assert_eq!(
            transmits(&mut c, t1),
            std::slice::from_ref(&frame),
            "cut at {cut}"
        );
        assert_eq!(c.service().requests.len(), 1);
        assert_eq!(c.poll_timeout_but_idle(), None, "no frame begun");
        assert_eq!(
            c.last_request(),
            Some(t1),
            "the request came with its last bytes"
        );
    }
}

#[test]
fn a_frame_left_incomplete_closes_at_the_frame_timeout_from_its_first_bytes() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    let frame = mbap(1, 1, &[0x10, 0, 0, 0, 2, 4, 0, 1, 0, 2]);
    // A byte every second: trickling does not move the deadline.
    for (i, b) in frame[..4].iter().enumerate() {
        let at = t0 + Duration::from_secs(i as u64);
        read(&mut c, at, &[*b]);
        assert!(transmits(&mut c, at).is_empty());
        assert_eq!(c.poll_timeout_but_idle(), Some(t0 + LIMITS.frame_timeout));
    }
    let deadline = t0 + LIMITS.frame_timeout;
    c.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(c.poll_close(), None, "not before the frame timeout");
    c.handle_timeout(deadline);
    assert_eq!(
        c.poll_close(),
        Some(CloseReason::FrameTimeout(LIMITS.frame_timeout))
    );
    assert!(!c.wants_input() && c.poll_transmit(deadline).is_none());
    assert_eq!(
        c.poll_timeout(),
        None,
        "a closed connection waits for nothing"
    );
}

#[test]
fn the_frame_timeout_restarts_with_each_frame() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    let frame = mbap(1, 1, &[3, 0, 0, 0, 1]);
    read(&mut c, t0, &frame[..3]);
    assert!(transmits(&mut c, t0).is_empty());
    // The rest of it and the start of the next, 4 s later.
    let t1 = t0 + Duration::from_secs(4);
    read(&mut c, t1, &[&frame[3..], &frame[..2]].concat());
    assert_eq!(transmits(&mut c, t1).len(), 1);
    assert_eq!(c.poll_timeout_but_idle(), Some(t1 + LIMITS.frame_timeout));
    c.handle_timeout(t0 + LIMITS.frame_timeout);
    assert_eq!(c.poll_close(), None, "the first frame's deadline is gone");
}

#[test]
fn a_connection_without_requests_closes_at_the_idle_timeout() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    assert_eq!(c.poll_timeout(), Some(t0 + LIMITS.idle_timeout));
    assert_eq!(
        c.poll_timeout_but_idle(),
        None,
        "the idle timer is left out"
    );
    let t1 = t0 + Duration::from_secs(30);
    read(&mut c, t1, &mbap(1, 1, &[3, 0, 0, 0, 1]));
    assert_eq!(transmits(&mut c, t1).len(), 1);
    assert_eq!(c.idle_since(), t1);
    assert_eq!(c.poll_timeout(), Some(t1 + LIMITS.idle_timeout));
    c.handle_timeout(t0 + LIMITS.idle_timeout);
    assert_eq!(c.poll_close(), None, "a request came since");
    c.handle_timeout(t1 + LIMITS.idle_timeout);
    assert_eq!(c.poll_close(), Some(CloseReason::Idle(LIMITS.idle_timeout)));
}

#[test]
fn an_oversize_length_closes_with_its_reason_after_the_answers_before_it() {
    let t0 = Instant::now();
    let limits = Limits {
        max_frame_len: 12,
        ..LIMITS
    };
    let mut c = Connection::new(Delimiter::Mbap, limits, Script::default(), t0);
    let good = mbap(1, 1, &[3, 0, 0, 0, 1]);
    read(&mut c, t0, &[&good[..], &[0, 2, 0, 0, 0, 7]].concat());
    let out = c.poll_transmit(t0).expect("the answer before it").to_vec();
    assert_eq!(out, good);
    assert_eq!(c.poll_close(), None, "its answer is not sent yet");
    let fault = CloseReason::Fault(StreamError::TooLong {
        transaction_id: 2,
        len: 13,
        max: 12,
    });
    assert_eq!(c.closing(), Some(fault));
    assert!(!c.wants_input(), "nothing more is read");
    c.transmitted(out.len());
    assert_eq!(c.poll_close(), Some(fault));
    assert_eq!(
        fault.to_string(),
        "frame 2 announces 13 bytes, over the 12-byte limit"
    );
    // An impossible length closes it as well, whatever the limit.
    let mut c = tcp_conn(t0);
    read(&mut c, t0, &[0, 1, 0, 0, 0xFF, 0xFF]);
    assert!(transmits(&mut c, t0).is_empty());
    assert!(matches!(
        c.poll_close(),
        Some(CloseReason::Fault(StreamError::Frame(FrameError::Length {
            length: 0xFFFF,
            ..
        })))
    ));
}

#[test]
fn frames_of_another_protocol_are_skipped_and_the_stream_goes_on() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    let foreign = [0, 1, 0, 9, 0, 2, 1, 3];
    read(&mut c, t0, &[&foreign[..], &mbap(2, 1, &[4])].concat());
    assert_eq!(transmits(&mut c, t0), [mbap(2, 1, &[4])]);
    assert_eq!(
        c.service().seen[0],
        Seen::Skipped(Skipped::Foreign {
            transaction_id: 1,
            protocol_id: 9,
            len: 8
        })
    );
    assert_eq!(
        c.service().requests.len(),
        1,
        "the foreign frame is not executed"
    );
    assert_eq!(c.poll_close(), None);
}

#[test]
fn a_transmit_taken_in_part_is_resumed_and_nothing_is_read_meanwhile() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    let frame = mbap(1, 1, &[3, 0, 0, 0, 1]);
    let bytes = frame.repeat(100);
    read(&mut c, t0, &bytes);
    let out = c.poll_transmit(t0).expect("answers");
    assert_eq!(out, bytes, "all 100 answers in one transmit");
    c.transmitted(500);
    assert!(
        !c.wants_input(),
        "a client that has not taken its answers is not read"
    );
    assert_eq!(c.unsent(), &bytes[500..]);
    assert_eq!(transmits(&mut c, t0), [bytes[500..].to_vec()]);
    assert!(c.wants_input());
    assert_eq!(c.service().requests.len(), 100);
}

/// Answers every request with a full-size PDU.
struct Big;

impl Service for Big {
    fn respond(&mut self, _: &Incoming<'_>, out: &mut [u8]) -> Answer {
        out[..253].fill(3);
        Answer::Pdu(253)
    }
}

#[test]
fn full_size_answers_are_gathered_while_a_whole_one_still_fits() {
    let t0 = Instant::now();
    let mut c = Connection::new(Delimiter::Mbap, LIMITS, Big, t0);
    let frame = mbap(1, 1, &[3, 0, 0, 0, 125]);
    let space = c.read_space();
    let n = space.len() / frame.len() * frame.len();
    for chunk in space[..n].chunks_exact_mut(frame.len()) {
        chunk.copy_from_slice(&frame);
    }
    c.filled(t0, n);
    let mut total = 0;
    let mut slices = 0;
    while let Some(out) = c.poll_transmit(t0) {
        assert!(out.len() <= STREAM_OUTPUT && out.len() % 260 == 0);
        total += out.len() / 260;
        slices += 1;
        let len = out.len();
        c.transmitted(len);
    }
    assert_eq!(total, n / frame.len());
    assert_eq!(slices, total.div_ceil(STREAM_OUTPUT / 260));
}

#[test]
fn a_client_that_takes_nothing_is_closed_at_the_write_timeout() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    read(&mut c, t0, &mbap(1, 1, &[3, 0, 0, 0, 1]));
    let len = c.poll_transmit(t0).expect("an answer").len();
    c.transmitted(2);
    let t1 = t0 + Duration::from_secs(1);
    c.stalled(t1);
    c.stalled(t1 + Duration::from_secs(1)); // the first stall counts
    assert_eq!(c.poll_timeout(), Some(t1 + LIMITS.write_timeout));
    // Progress restarts it.
    let t2 = t1 + Duration::from_secs(2);
    c.transmitted(1);
    c.stalled(t2);
    c.handle_timeout(t1 + LIMITS.write_timeout);
    assert_eq!(c.poll_close(), None, "it took a byte since");
    assert_eq!(c.unsent().len(), len - 3);
    c.handle_timeout(t2 + LIMITS.write_timeout);
    assert_eq!(
        c.poll_close(),
        Some(CloseReason::WriteTimeout(LIMITS.write_timeout))
    );
    assert!(c.poll_transmit(t2 + LIMITS.write_timeout).is_none());
}

#[test]
fn a_held_answer_is_sent_at_its_instant_and_later_requests_wait_behind_it() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    read(
        &mut c,
        t0,
        &[mbap(1, 1, &[3]), mbap(2, 1, &[0x42]), mbap(3, 1, &[4])].concat(),
    );
    assert_eq!(transmits(&mut c, t0), [mbap(1, 1, &[3])]);
    assert_eq!(c.service().requests.len(), 2, "the third waits");
    assert_eq!(c.poll_timeout(), Some(t0 + HELD));
    assert!(!c.wants_input());
    let at = t0 + HELD;
    assert!(transmits(&mut c, at - Duration::from_micros(1)).is_empty());
    assert_eq!(
        transmits(&mut c, at),
        [mbap(2, 1, &[0x42]), mbap(3, 1, &[4])]
    );
    assert!(c.wants_input());
}

#[test]
fn a_service_may_close_the_connection_instead_of_answering() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    read(
        &mut c,
        t0,
        &[mbap(1, 1, &[3]), mbap(2, 1, &[0x43]), mbap(3, 1, &[4])].concat(),
    );
    assert_eq!(transmits(&mut c, t0), [mbap(1, 1, &[3])]);
    assert_eq!(c.poll_close(), Some(CloseReason::Service));
    assert_eq!(
        c.service().requests.len(),
        2,
        "nothing after it is executed"
    );
}

#[test]
fn the_client_closing_mid_frame_is_told_apart() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    read(&mut c, t0, &[0, 1, 0]);
    assert!(transmits(&mut c, t0).is_empty());
    c.handle_eof();
    assert_eq!(
        c.poll_close(),
        Some(CloseReason::PeerClosed { mid_frame: true })
    );
    let mut c = tcp_conn(t0);
    c.handle_eof();
    assert_eq!(
        c.poll_close().map(|r| r.to_string()),
        Some("closed by the client".into())
    );
}

#[test]
fn exception_answers_are_observed_as_such() {
    let t0 = Instant::now();
    let mut c = tcp_conn(t0);
    read(&mut c, t0, &mbap(5, 2, &[0x44]));
    assert_eq!(transmits(&mut c, t0), [mbap(5, 2, &[0xC4, 1])]);
    assert_eq!(
        c.service().seen,
        [Seen::Message(2), Seen::Answered { exception: true }]
    );
}

fn rtu_over_tcp(t0: Instant) -> Connection<Script> {
    Connection::new(
        Delimiter::rtu_over_tcp(Direction::Request),
        LIMITS,
        Script::default(),
        t0,
    )
}

#[test]
fn rtu_frames_over_tcp_are_cut_by_length_and_bad_ones_skipped() {
    let t0 = Instant::now();
    let mut c = rtu_over_tcp(t0);
    let good = rtu_frame(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x01]);
    let mut bad = rtu_frame(&[0x01, 0x03, 0x00, 0x05, 0x00, 0x01]);
    bad[7] ^= 0x55;
    let other = rtu_frame(&[0x02, 0x06, 0x00, 0x01, 0x00, 0x07]);
    read(&mut c, t0, &[good.clone(), bad, other.clone()].concat());
    assert_eq!(transmits(&mut c, t0), [[good, other].concat()]);
    assert!(matches!(
        c.service().seen[2],
        Seen::Skipped(Skipped::Rtu(Discarded::Invalid { len: 8, .. }))
    ));
    assert_eq!(c.poll_close(), None);
}

#[test]
fn an_rtu_frame_of_unknown_length_is_answered_when_whole_and_garbage_dropped_at_the_silence() {
    let t0 = Instant::now();
    let mut c = rtu_over_tcp(t0);
    let echo = rtu_frame(&[0x01, 0x08, 0x00, 0x00, 0xA5, 0x37]);
    for (i, b) in echo.iter().enumerate() {
        read(&mut c, t0, &[*b]);
        let sent = transmits(&mut c, t0);
        assert_eq!(sent.len(), usize::from(i + 1 == echo.len()), "byte {i}");
    }
    let t1 = t0 + Duration::from_millis(1);
    read(&mut c, t1, &[0x01, 0x08, 0x00, 0x00, 0x00, 0x00]); // its CRC never checks
    assert!(transmits(&mut c, t1).is_empty());
    let silence = t1 + crate::protocol::stream::STREAM_SILENCE;
    assert_eq!(c.poll_timeout_but_idle(), Some(silence));
    c.handle_timeout(silence);
    assert!(transmits(&mut c, silence).is_empty());
    assert!(matches!(
        c.service().seen.last(),
        Some(Seen::Skipped(Skipped::Rtu(_)))
    ));
    assert_eq!(c.poll_timeout_but_idle(), None, "nothing left to wait for");
    assert_eq!(c.poll_close(), None, "the stream goes on");
}

fn serial(t0: Instant, timing: Timing) -> Connection<Script> {
    let delimiter = Delimiter::RtuBySilence {
        direction: Direction::Request,
        timing,
    };
    Connection::new(delimiter, Limits::NONE, Script::default(), t0)
}

#[test]
fn a_serial_answer_waits_for_the_lines_turnaround() {
    let timing = Timing::for_baud(9600, 11);
    let t0 = Instant::now();
    let mut c = serial(t0, timing);
    let request = rtu_frame(&[0x11, 0x03, 0x00, 0x00, 0x00, 0x01]);
    read(&mut c, t0, &request);
    assert!(c.poll_transmit(t0).is_none(), "not during the turnaround");
    let at = t0 + timing.frame_gap;
    assert_eq!(c.poll_timeout(), Some(at));
    assert!(!c.wants_input());
    assert_eq!(transmits(&mut c, at), [request]);
    assert_eq!(
        c.poll_timeout(),
        Some(later(t0, Duration::MAX)),
        "only the idle timer, never"
    );
}

#[test]
fn a_serial_frame_with_a_silence_inside_is_dropped_not_answered() {
    let timing = Timing::for_baud(9600, 11);
    let gap = timing
        .char_gap
        .expect("an inter-character limit at 9600 baud");
    let t0 = Instant::now();
    let mut c = serial(t0, timing);
    let request = rtu_frame(&[0x11, 0x03, 0x00, 0x00, 0x00, 0x01]);
    read(&mut c, t0, &request[..3]);
    assert!(transmits(&mut c, t0).is_empty());
    let t1 = t0 + gap + Duration::from_micros(100);
    read(&mut c, t1, &request[3..]);
    let end = t1 + timing.frame_gap;
    c.handle_timeout(end);
    assert!(transmits(&mut c, end).is_empty());
    assert!(c.service().requests.is_empty());
    assert!(
        matches!(
            c.service().seen.as_slice(),
            [Seen::Skipped(Skipped::Rtu(Discarded::CharGap {
                len: 8,
                ..
            }))]
        ),
        "{:?}",
        c.service().seen
    );
}

/// The slave's own service over a small memory, with `config`'s rules.
fn responder(config: Config, framing: Framing, client: Client) -> (Memory, Responder) {
    let mem = Memory::new(4);
    let settings = config.settings(&mem, framing).expect("settings");
    let rules = Arc::clone(&settings.rules);
    (mem.clone(), Responder::new(rules, mem, client))
}

fn tcp_client() -> Client {
    Client::Tcp {
        addr: ([127, 0, 0, 1], 40_000).into(),
        role: None,
    }
}

#[test]
fn undecodable_requests_are_answered_with_exceptions() {
    let t0 = Instant::now();
    let (_, service) = responder(Config::default(), Framing::Mbap, tcp_client());
    let mut c = Connection::new(Delimiter::Mbap, LIMITS, service, t0);
    let asks = [
        (&[0x03, 0, 0, 0, 0][..], &[0x83, 0x03][..]), // quantity 0
        (&[0x41], &[0xC1, 0x01]),                     // no such function
        (&[0x10, 0, 0, 0, 2, 4, 0, 1], &[0x90, 0x03]), // byte count disagrees
        (&[0x03, 0, 9, 0, 1], &[0x83, 0x02]),         // outside the memory
    ];
    let bytes: Vec<u8> = asks
        .iter()
        .enumerate()
        .flat_map(|(i, (ask, _))| mbap(i as u16, 1, ask))
        .collect();
    let space = c.read_space();
    space[..bytes.len()].copy_from_slice(&bytes);
    c.filled(t0, bytes.len());
    let out = c.poll_transmit(t0).expect("answers").to_vec();
    let expected: Vec<u8> = asks
        .iter()
        .enumerate()
        .flat_map(|(i, (_, answer))| mbap(i as u16, 1, answer))
        .collect();
    assert_eq!(out, expected);
}

#[test]
fn rtu_broadcasts_are_executed_unanswered_and_other_units_ignored() {
    let t0 = Instant::now();
    let (mem, service) = responder(
        Config::default(),
        Framing::Rtu,
        Client::Serial {
            line: "test line".into(),
        },
    );
    let timing = Timing::for_baud(19_200, 11);
    let delimiter = Delimiter::RtuBySilence {
        direction: Direction::Request,
        timing,
    };
    let mut c = Connection::new(delimiter, Limits::NONE, service, t0);
    // A broadcast write of register 1, then a read for unit 2 (the slave is unit 1).
    let broadcast = rtu_frame(&[0x00, 0x06, 0x00, 0x01, 0x12, 0x34]);
    let space = c.read_space();
    space[..broadcast.len()].copy_from_slice(&broadcast);
    c.filled(t0, broadcast.len());
    assert!(c.poll_transmit(t0).is_none());
    assert_eq!(mem.holding::<u16>(1).expect("var").get(), 0x1234, "applied");
    let t1 = t0 + Duration::from_millis(10);
    let other = rtu_frame(&[0x02, 0x03, 0x00, 0x00, 0x00, 0x01]);
    let space = c.read_space();
    space[..other.len()].copy_from_slice(&other);
    c.filled(t1, other.len());
    let end = t1 + timing.frame_gap;
    assert!(c.poll_transmit(end).is_none(), "unit 2 is another device");
    assert!(c.wants_input());
}

#[test]
fn a_unit_not_served_gets_silence_or_exception_0b() {
    let t0 = Instant::now();
    for (exception, expected) in [(false, vec![]), (true, vec![mbap(1, 9, &[0x83, 0x0B])])] {
        let config = Config {
            unknown_unit_exception: exception,
            ..Config::default()
        };
        let mut config = config;
        config.units.insert(1);
        let (_, service) = responder(config, Framing::Mbap, tcp_client());
        let mut c = Connection::new(Delimiter::Mbap, LIMITS, service, t0);
        let ask = mbap(1, 9, &[3, 0, 0, 0, 1]);
        let space = c.read_space();
        space[..ask.len()].copy_from_slice(&ask);
        c.filled(t0, ask.len());
        let mut sent = Vec::new();
        while let Some(out) = c.poll_transmit(t0) {
            sent.push(out.to_vec());
            let n = out.len();
            c.transmitted(n);
        }
        assert_eq!(sent, expected);
    }
}

#[path = "connection_links_tests.rs"]
mod links;
