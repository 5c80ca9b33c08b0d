//! Sans-IO tests of the engine: frames are taken from `poll_transmit`, answered by a
//! scripted slave, and time only moves when a test says so.

use std::time::{Duration, Instant};

use super::*;
use crate::master::core::status::{DepthReason, Operation};
use crate::protocol::{ExceptionCode, Registers, Request, Response, rtu, tcp};
use crate::{Memory, Quality, Var};

const TIMEOUT: Duration = Duration::from_millis(500);
const PERIOD: Duration = Duration::from_millis(100);

/// A slave's memory, answering requests the simplest possible way.
struct FakeSlave {
    holding: Vec<u16>,
    coils: Vec<bool>,
    inputs: Vec<u16>,
    /// Exception to answer for requests touching this holding address.
    refuse_holding: Option<(u16, ExceptionCode)>,
    /// Answers FC22 with exception 01, as many older devices do.
    no_mask_write: bool,
}

impl FakeSlave {
    fn new(n: usize) -> Self {
        FakeSlave {
            holding: vec![0; n],
            coils: vec![false; n],
            inputs: (0..n as u16).collect(),
            refuse_holding: None,
            no_mask_write: false,
        }
    }

    /// The response frame to a Modbus/TCP request frame.
    fn answer(&mut self, frame: &[u8]) -> Vec<u8> {
        let (f, _) = tcp::split_frame(frame).expect("valid").expect("whole");
        let pdu = self.respond(f.pdu);
        let mut out = vec![0u8; tcp::HEADER_LEN + pdu.len()];
        out[tcp::HEADER_LEN..].copy_from_slice(&pdu);
        tcp::encode_header(
            &mut out,
            f.header.transaction_id,
            f.header.unit_id,
            pdu.len(),
        )
        .expect("header");
        out
    }

    /// The response frame to an RTU request frame.
    fn answer_rtu(&mut self, frame: &[u8]) -> Vec<u8> {
        let (f, _) = rtu::split_frame(frame, rtu::Direction::Request)
            .expect("valid")
            .expect("whole");
        let pdu = self.respond(f.pdu);
        let mut out = vec![0u8; pdu.len() + 3];
        out[1..1 + pdu.len()].copy_from_slice(&pdu);
        let len = rtu::finish_frame(&mut out, f.address, pdu.len()).expect("frame");
        out.truncate(len);
        out
    }

    /// The response PDU to a request PDU.
    fn respond(&mut self, pdu: &[u8]) -> Vec<u8> {
        let req = Request::decode(pdu).expect("valid request");
        let mut regs = [0u8; 256];
        let mut bits = [0u8; 256];
        let refused = |a: u16, n: u16| {
            self.refuse_holding
                .filter(|(r, _)| (a..a + n).contains(r))
                .map(|(_, code)| code)
        };
        let resp = match req {
            Request::ReadHoldingRegisters { address, quantity } => match refused(address, quantity)
            {
                Some(code) => Response::Exception { function: 3, code },
                None => {
                    let n = usize::from(quantity);
                    for (i, v) in self.holding[usize::from(address)..][..n].iter().enumerate() {
                        regs[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
                    }
                    Response::ReadHoldingRegisters(Registers::new(&regs[..n * 2]).expect("view"))
                }
            },
            Request::ReadInputRegisters { address, quantity } => {
                let n = usize::from(quantity);
                for (i, v) in self.inputs[usize::from(address)..][..n].iter().enumerate() {
                    regs[i * 2..i * 2 + 2].copy_from_slice(&v.to_be_bytes());
                }
                Response::ReadInputRegisters(Registers::new(&regs[..n * 2]).expect("view"))
            }
            Request::ReadCoils { address, quantity } => {
                let n = usize::from(quantity);
                for (i, &v) in self.coils[usize::from(address)..][..n].iter().enumerate() {
                    bits[i / 8] |= u8::from(v) << (i % 8);
                }
                Response::ReadCoils(
                    crate::protocol::Bits::new(&bits[..n.div_ceil(8)], quantity).expect("view"),
                )
            }
            Request::WriteSingleRegister { address, value } => match refused(address, 1) {
                Some(code) => Response::Exception { function: 6, code },
                None => {
                    self.holding[usize::from(address)] = value;
                    Response::WriteSingleRegister { address, value }
                }
            },
            Request::WriteMultipleRegisters { address, values } => {
                match refused(address, values.len() as u16) {
                    Some(code) => Response::Exception { function: 16, code },
                    None => {
                        for (i, v) in values.iter().enumerate() {
                            self.holding[usize::from(address) + i] = v;
                        }
                        Response::WriteMultipleRegisters {
                            address,
                            quantity: values.len() as u16,
                        }
                    }
                }
            }
            Request::WriteSingleCoil { address, value } => {
                self.coils[usize::from(address)] = value;
                Response::WriteSingleCoil { address, value }
            }
            Request::WriteMultipleCoils { address, values } => {
                for (i, v) in values.iter().enumerate() {
                    self.coils[usize::from(address) + i] = v;
                }
                Response::WriteMultipleCoils {
                    address,
                    quantity: values.len() as u16,
                }
            }
            Request::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            } => {
                if self.no_mask_write {
                    Response::Exception {
                        function: 22,
                        code: ExceptionCode::IllegalFunction,
                    }
                } else {
                    let r = &mut self.holding[usize::from(address)];
                    *r = (*r & and_mask) | (or_mask & !and_mask);
                    Response::MaskWriteRegister {
                        address,
                        and_mask,
                        or_mask,
                    }
                }
            }
            other => panic!("the fake slave does not serve {other:?}"),
        };
        let mut out = [0u8; 300];
        let len = resp.encode(&mut out).expect("encode");
        out[..len].to_vec()
    }
}

struct Harness {
    engine: Engine,
    now: Instant,
}

impl Harness {
    fn new(mem: &Memory, depth: usize) -> Self {
        Self::with(mem, depth, false)
    }

    fn with(mem: &Memory, depth: usize, force_multiple: bool) -> Self {
        assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
        let cfg = Config {
            period: PERIOD,
            response_timeout: TIMEOUT,
            depth,
            force_multiple_writes: force_multiple,
            framing: Framing::Tcp,
            timeouts_before_reconnect: 2,
            peer: "test-slave".into(),
        };
        let unit = Unit::new(1, mem.clone(), Plan::WholeMemory, Peer::Serial { unit: 1 });
        Harness {
            engine: Engine::new(cfg, vec![unit]),
            now: Instant::now(),
        }
    }

    /// Every frame the engine sends now.
    fn sent(&mut self) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut buf = [0u8; 300];
        while let Some(n) = self.engine.poll_transmit(self.now, &mut buf) {
            frames.push(buf[..n].to_vec());
            assert!(frames.len() < 1000, "runaway transmit");
        }
        frames
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.engine.handle_input(self.now, bytes);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.engine.handle_timeout(self.now);
    }

    /// Runs frames through the slave until the engine has nothing more to send.
    fn converse(&mut self, slave: &mut FakeSlave) -> Vec<Request<'static>> {
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let frames = self.sent();
            if frames.is_empty() {
                return seen;
            }
            for f in frames {
                seen.push(request_of(&f));
                let answer = slave.answer(&f);
                self.feed(&answer);
            }
        }
        panic!("the engine never went idle");
    }

    /// Connects and runs the first cycle with `slave`.
    fn connect_and_converse(&mut self, slave: &mut FakeSlave) {
        self.engine.handle_connected(self.now);
        self.converse(slave);
    }

    /// Like `converse` for up to 20 rounds, checking that each sends one frame only.
    fn converse_one_at_a_time(&mut self, slave: &mut FakeSlave, what: &str) {
        for _ in 0..20 {
            let frames = self.sent();
            if frames.is_empty() {
                break;
            }
            assert_eq!(frames.len(), 1, "{what}");
            let answer = slave.answer(&frames[0]);
            self.feed(&answer);
        }
    }

    /// Asserts that the only event now is flush `id` done, confirmed.
    fn assert_flushed(&mut self, id: u64) {
        let events = self.events();
        assert!(
            matches!(events[..], [Event::FlushDone { id: i, result: Ok(()) }] if i == id),
            "{events:?}"
        );
    }

    /// Asserts that the only event now is sync `id` done, successfully.
    fn assert_synced(&mut self, id: u64) {
        let events = self.events();
        assert!(
            matches!(events[..], [Event::SyncDone { id: i, result: Ok(()) }] if i == id),
            "{events:?}"
        );
    }

    /// True when nothing is in flight and no cycle is running.
    fn sent_nothing_pending(&self) -> bool {
        self.engine.in_flight.is_empty() && self.engine.cycle.is_none()
    }

    /// Connects, starting at the configured depth (as if the slave had kept up).
    fn connect_at_full_depth(&mut self) {
        self.engine.handle_connected(self.now);
        self.engine.assume_full_depth();
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.engine.poll_event()).collect()
    }
}

/// The request in a frame, with its data leaked so tests can keep it around.
fn request_of(frame: &[u8]) -> Request<'static> {
    let frame: &'static [u8] = Box::leak(frame.to_vec().into_boxed_slice());
    let (f, _) = tcp::split_frame(frame).expect("valid").expect("whole");
    Request::decode(f.pdu).expect("valid request")
}

/// FC6, as the engine sends one register.
fn write_register(address: u16, value: u16) -> Request<'static> {
    Request::WriteSingleRegister { address, value }
}

fn tid_of(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[0], frame[1]])
}

/// `Memory::new(n)`, a harness over it at `depth` and a slave of `n` items.
fn setup(n: u32, depth: usize) -> (Memory, Harness, FakeSlave) {
    let m = Memory::new(n);
    let h = Harness::new(&m, depth);
    (m, h, FakeSlave::new(n as usize))
}

fn mem(n: u32) -> Memory {
    Memory::builder()
        .coils(n)
        .input_registers(n)
        .holding_registers(n)
        .build()
        .expect("build")
}

#[test]
fn a_cycle_reads_every_area_and_clears_stale() {
    let m = mem(8);
    let mut h = Harness::new(&m, 4);
    let mut slave = FakeSlave::new(8);
    slave.holding[3] = 33;
    slave.coils[5] = true;
    assert!(m.is_stale() && h.engine.status().stale);
    assert!(
        h.sent().is_empty(),
        "nothing goes out before the connection"
    );
    h.engine.handle_connected(h.now);
    let reqs = h.converse(&mut slave);
    assert_eq!(
        reqs.len(),
        3,
        "coils, input registers, holding registers: {reqs:?}"
    );
    assert_eq!(m.holding::<u16>(3).expect("declare").get(), 33);
    assert!(m.coil::<bool>(5).expect("declare").get());
    assert_eq!(m.input::<u16>(7).expect("declare").get(), 7);
    let st = h.engine.status();
    assert_eq!((st.cycles, st.connected, st.stale), (1, true, false));
    assert!(!m.is_stale());
    // The next cycle waits for the period, and the engine says when to wake.
    assert!(h.sent().is_empty());
    assert_eq!(h.engine.poll_timeout(), Some(h.now + PERIOD));
    h.advance(PERIOD);
    assert_eq!(h.converse(&mut slave).len(), 3);
    assert_eq!(h.engine.status().cycles, 2);
}

#[test]
fn a_local_write_between_sending_a_read_and_its_response_wins() {
    let (m, mut h, mut slave) = setup(4, 4);
    let v: Var<u16> = m.holding(1).expect("declare");
    slave.holding = vec![10, 11, 12, 13];
    h.engine.handle_connected(h.now);
    let read = h.sent();
    assert_eq!(read.len(), 1);
    v.set(99).expect("local write while the read is in flight");
    let answer = slave.answer(&read[0]);
    h.feed(&answer);
    assert_eq!(
        v.get(),
        99,
        "the stale read did not overwrite the local write"
    );
    assert_eq!(
        m.holding::<u16>(2).expect("declare").get(),
        12,
        "the rest was applied"
    );
    let reqs = h.converse(&mut slave);
    assert_eq!(reqs, vec![write_register(1, 99)]);
    assert_eq!(slave.holding[1], 99);
}

#[test]
fn a_conflict_on_a_word_never_loses_later_local_writes() {
    let (m, mut h, mut slave) = setup(2, 1);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    for round in 1..=20u16 {
        // The PLC changes the word, and the program writes it, both in the same cycle.
        slave.holding[0] = 1000 + round;
        h.advance(PERIOD);
        let read = h.sent();
        v.set(round).expect("set");
        let answer = slave.answer(&read[0]);
        h.feed(&answer);
        h.converse(&mut slave);
        assert_eq!(
            slave.holding[0], round,
            "round {round}: the local write reached the slave"
        );
        assert_eq!(v.get(), round);
    }
}

#[test]
fn writes_made_while_disconnected_are_sent_on_reconnect_newest_first_wins() {
    let (m, mut h, mut slave) = setup(4, 4);
    let a: Var<u32> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    h.engine.handle_disconnected(h.now, "cable pulled");
    assert!(m.is_stale() && !h.engine.status().connected);
    a.set(1).expect("set while disconnected");
    a.set(0x0002_0003).expect("set again");
    assert!(h.sent().is_empty());
    h.engine.handle_connected(h.now);
    let reqs = h.converse(&mut slave);
    assert_eq!(
        reqs[0],
        Request::WriteMultipleRegisters {
            address: 0,
            values: Registers::new(&[0, 2, 0, 3]).expect("view"),
        },
        "one write, newest value, before the reads"
    );
    assert_eq!(&slave.holding[..2], &[2, 3]);
    assert_eq!(a.get(), 0x0002_0003);
    assert_eq!(h.engine.status().reconnects, 1);
}

#[test]
fn a_write_lost_with_the_connection_is_sent_again() {
    let (m, mut h, mut slave) = setup(2, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    v.set(7).expect("set");
    let w = h.sent();
    assert_eq!(request_of(&w[0]), write_register(0, 7));
    h.engine.handle_disconnected(h.now, "reset by peer"); // the write is lost with it
    h.engine.handle_connected(h.now);
    let reqs = h.converse(&mut slave);
    assert_eq!(reqs[0], write_register(0, 7));
    assert_eq!(slave.holding[0], 7);
}

#[test]
fn a_lost_write_does_not_resurrect_an_older_value() {
    let (m, mut h, mut slave) = setup(2, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_at_full_depth();
    h.converse(&mut slave);
    v.set(1).expect("set");
    let first = h.sent();
    v.set(2).expect("set");
    let second = h.sent();
    assert_eq!(request_of(&second[0]), write_register(0, 2));
    // The first is lost, the second confirmed: nothing is sent again.
    let answer = slave.answer(&second[0]);
    h.feed(&answer);
    h.advance(TIMEOUT);
    let reqs = h.converse(&mut slave);
    assert!(
        !reqs
            .iter()
            .any(|r| matches!(r, Request::WriteSingleRegister { .. })),
        "{reqs:?}"
    );
    assert_eq!(slave.holding[0], 2);
    let _ = first;
}

#[test]
fn a_read_after_a_write_that_times_out_keeps_the_local_value() {
    let (m, mut h, mut slave) = setup(2, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    slave.holding[0] = 5;
    h.connect_at_full_depth();
    h.converse(&mut slave);
    v.set(9).expect("set");
    let write = h.sent(); // a gateway loses this one
    h.advance(PERIOD);
    let read = h.sent();
    assert!(matches!(
        request_of(&read[0]),
        Request::ReadHoldingRegisters { .. }
    ));
    let answer = slave.answer(&read[0]); // still 5: the write never arrived
    h.feed(&answer);
    assert_eq!(v.get(), 9, "a write in flight protects its items");
    h.advance(TIMEOUT);
    let at_once: Vec<_> = h.sent().iter().map(|f| request_of(f)).collect();
    assert!(
        !at_once
            .iter()
            .any(|r| matches!(r, Request::WriteSingleRegister { .. })),
        "a timed-out write is not sent again at once: {at_once:?}"
    );
    h.advance(WRITE_BACKOFF_MIN);
    let reqs = h.converse(&mut slave);
    assert!(reqs.contains(&write_register(0, 9)), "{reqs:?}");
    assert_eq!(slave.holding[0], 9);
    let _ = write;
}

#[test]
fn writes_use_single_functions_and_merge_adjacent_items() {
    let m = mem(8);
    let mut h = Harness::new(&m, 4);
    let mut slave = FakeSlave::new(8);
    h.connect_and_converse(&mut slave);
    m.coil::<bool>(2).expect("declare").set(true).expect("set");
    m.holding::<u16>(6).expect("declare").set(6).expect("set");
    assert_eq!(
        h.converse(&mut slave),
        vec![
            Request::WriteSingleCoil {
                address: 2,
                value: true
            },
            write_register(6, 6),
        ]
    );
    m.holding::<u16>(1).expect("declare").set(1).expect("set");
    m.holding::<u16>(2).expect("declare").set(2).expect("set");
    for c in 3..6 {
        m.coil::<bool>(c).expect("declare").set(true).expect("set");
    }
    let reqs = h.converse(&mut slave);
    assert_eq!(reqs.len(), 2, "two coalesced writes: {reqs:?}");
    assert!(
        matches!(reqs[0], Request::WriteMultipleCoils { address: 3, values } if values.len() >= 3)
    );
    assert!(
        matches!(reqs[1], Request::WriteMultipleRegisters { address: 1, values } if values.len() == 2)
    );
    assert_eq!(&slave.holding[..3], &[0, 1, 2]);
    assert_eq!(&slave.coils[2..6], &[true; 4]);

    let m = Memory::new(2);
    let mut h = Harness::with(&m, 1, true);
    let mut slave = FakeSlave::new(2);
    h.connect_and_converse(&mut slave);
    m.holding::<u16>(0).expect("declare").set(5).expect("set");
    assert!(
        matches!(
            h.converse(&mut slave)[0],
            Request::WriteMultipleRegisters { address: 0, .. }
        ),
        "forced FC16"
    );
}

#[test]
fn an_exception_for_one_block_is_reported_and_the_others_go_on() {
    let (m, mut h, mut slave) = setup(300, 4);
    slave.holding[290] = 290;
    slave.holding[10] = 10;
    slave.refuse_holding = Some((130, ExceptionCode::IllegalDataAddress));
    h.engine.handle_connected(h.now);
    h.engine.request_sync(h.now, 7);
    h.converse(&mut slave);
    assert_eq!(m.holding::<u16>(10).expect("declare").get(), 10);
    assert_eq!(m.holding::<u16>(290).expect("declare").get(), 290);
    let st = h.engine.status().clone();
    assert_eq!(st.block_errors.len(), 1);
    let e = &st.block_errors[0];
    assert_eq!(
        (e.area, e.address, e.count, e.operation),
        (Area::Holding, 125, 125, Operation::Read)
    );
    assert_eq!(
        e.fault,
        Fault::Exception {
            code: ExceptionCode::IllegalDataAddress
        }
    );
    assert!(e.to_string().contains("holding registers 125..=249"), "{e}");
    let events = h.events();
    assert!(
        events.iter().any(|ev| matches!(ev, Event::SyncDone { result: Err(Error::Block(b)), .. } if b.address == 125)),
        "{events:?}"
    );
    // When the slave serves it again, the error goes.
    slave.refuse_holding = None;
    h.advance(PERIOD);
    h.converse(&mut slave);
    assert!(h.engine.status().block_errors.is_empty());
}

#[test]
fn a_refused_write_is_not_retried_and_fails_a_flush() {
    let (m, mut h, mut slave) = setup(4, 4);
    let v: Var<u16> = m.holding(2).expect("declare");
    slave.holding[2] = 42;
    h.connect_and_converse(&mut slave);
    slave.refuse_holding = Some((2, ExceptionCode::IllegalDataValue));
    v.set(1).expect("set");
    h.engine.request_flush(1);
    let reqs = h.converse(&mut slave);
    assert_eq!(reqs.len(), 1);
    let events = h.events();
    assert!(
        events.iter().any(|e| matches!(e, Event::FlushDone { id: 1, result: Err(Error::Block(b)) }
            if b.operation == Operation::Write && b.fault == Fault::Exception { code: ExceptionCode::IllegalDataValue })),
        "{events:?}"
    );
    assert_eq!(h.engine.status().writes_refused, 1);
    slave.refuse_holding = None;
    h.advance(PERIOD);
    let reqs = h.converse(&mut slave);
    assert!(
        reqs.iter()
            .all(|r| matches!(r, Request::ReadHoldingRegisters { .. })),
        "not retried: {reqs:?}"
    );
    assert_eq!(v.get(), 42, "the next read brought the slave's value back");
}

#[test]
fn flush_completes_when_the_slave_confirms() {
    let (m, mut h, mut slave) = setup(2, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    h.engine.request_flush(1);
    h.assert_flushed(1); // nothing to flush
    v.set(3).expect("set");
    h.engine.request_flush(2);
    assert!(h.events().is_empty());
    let w = h.sent();
    assert!(h.events().is_empty(), "sent is not confirmed");
    let answer = slave.answer(&w[0]);
    h.feed(&answer);
    h.assert_flushed(2);
}

#[test]
fn pipelining_matches_responses_by_transaction_id() {
    let (m, mut h, mut slave) = setup(1000, 4);
    for (i, v) in slave.holding.iter_mut().enumerate() {
        *v = i as u16;
    }
    h.connect_at_full_depth();
    let first = h.sent();
    assert_eq!(first.len(), 4, "depth 4 in flight");
    let answers: Vec<Vec<u8>> = first.iter().map(|f| slave.answer(f)).collect();
    // Out of order, a duplicate, and one nobody asked for.
    h.feed(&answers[2]);
    h.feed(&answers[2]);
    let mut stray = answers[0].clone();
    stray[0] = 0xEE;
    h.feed(&stray);
    h.feed(&[answers[1].clone(), answers[0].clone(), answers[3].clone()].concat());
    assert_eq!(h.engine.in_flight.len(), 0);
    let more = h.sent();
    assert_eq!(more.len(), 4, "the next four blocks");
    assert!(tid_of(&more[0]) != tid_of(&first[3]));
    // Split across reads, byte by byte.
    for f in &more {
        for b in slave.answer(f) {
            h.feed(&[b]);
        }
    }
    h.converse(&mut slave);
    assert_eq!(h.engine.status().cycles, 1);
    let all = m.holding_raw(0, 8).expect("declare").get();
    assert_eq!(all, (0..8).collect::<Vec<u16>>());
    assert_eq!(m.holding::<u16>(999).expect("declare").get(), 999);
}

#[test]
fn a_slave_that_drops_pipelined_requests_is_served_one_at_a_time_within_the_same_sync() {
    let (_, mut h, mut slave) = setup(1000, 4);
    h.engine.request_sync(h.now, 1);
    h.connect_at_full_depth();
    let sent = h.sent();
    assert_eq!(sent.len(), 4);
    // A slave that answers only the first of pipelined requests (as pymodbus does).
    let answer = slave.answer(&sent[0]);
    h.feed(&answer);
    h.advance(TIMEOUT);
    let st = h.engine.status().clone();
    assert_eq!(st.depth, 1);
    assert_eq!(st.depth_reason, DepthReason::SlaveOneAtATime);
    assert!(st.block_errors.is_empty(), "{:?}", st.block_errors);
    assert!(
        !h.events()
            .iter()
            .any(|e| matches!(e, Event::Reconnect { .. })),
        "no reconnection for the slave's nature"
    );
    // The three unanswered reads go again, one at a time, inside the same cycle.
    h.converse_one_at_a_time(&mut slave, "one at a time");
    h.assert_synced(1);
    assert_eq!(h.engine.status().cycles, 1);
    // It stays at one: it never widens again for this slave.
    h.advance(PERIOD);
    h.converse_one_at_a_time(&mut slave, "still one at a time");
}

#[test]
fn first_contact_is_one_request_at_a_time_then_widens_while_the_slave_keeps_up() {
    let (_, mut h, mut slave) = setup(2000, 8);
    h.engine.request_sync(h.now, 1);
    h.engine.handle_connected(h.now);
    let mut widest = 0;
    for _ in 0..100 {
        let frames = h.sent();
        if frames.is_empty() {
            break;
        }
        widest = widest.max(frames.len());
        for f in frames {
            let answer = slave.answer(&f);
            h.feed(&answer);
        }
    }
    assert_eq!(widest, 1, "the first cycle goes one request at a time");
    h.assert_synced(1);
    assert_eq!(h.engine.status().depth_reason, DepthReason::Widening);
    // Later cycles widen up to the configured depth.
    let mut in_flight_max = 0;
    for _ in 0..3 {
        h.advance(PERIOD);
        for _ in 0..200 {
            let frames = h.sent();
            in_flight_max = in_flight_max.max(h.engine.in_flight.len());
            if frames.is_empty() {
                break;
            }
            for f in frames {
                let answer = slave.answer(&f);
                h.feed(&answer);
            }
        }
    }
    assert_eq!(in_flight_max, 8);
    let st = h.engine.status();
    assert_eq!((st.depth, st.depth_reason), (8, DepthReason::Configured));
}

#[test]
fn a_fault_while_pipelining_falls_back_then_recovers() {
    let (_, mut h, mut slave) = setup(1000, 4);
    h.connect_at_full_depth();
    // A cycle at depth 4, answered in full: the slave takes several requests.
    h.converse(&mut slave);
    assert_eq!(h.engine.status().cycles, 1);
    // Then a blackhole: nothing is answered.
    h.advance(PERIOD);
    let lost = h.sent();
    assert_eq!(lost.len(), 4);
    h.advance(TIMEOUT);
    assert_eq!(h.engine.status().depth, 1);
    assert_eq!(h.engine.status().depth_reason, DepthReason::FaultFallBack);
    // The line comes back: a cycle at depth 1 goes through, then it widens again.
    for _ in 0..3 {
        h.converse(&mut slave);
        h.advance(PERIOD);
    }
    h.converse(&mut slave);
    assert_eq!(h.engine.status().depth, 4, "{:?}", h.engine.status());
}

#[test]
fn a_silent_slave_times_out_without_a_busy_loop() {
    let m = Memory::new(10);
    let mut h = Harness::new(&m, 1);
    h.engine.handle_connected(h.now);
    assert_eq!(h.sent().len(), 1);
    let wake = h.engine.poll_timeout().expect("a deadline");
    assert_eq!(wake, h.now + TIMEOUT);
    h.advance(TIMEOUT);
    assert!(h.engine.status().block_errors[0].fault == Fault::Timeout(TIMEOUT));
    // After handling, the next wake-up is in the future: the driver sleeps.
    assert!(
        h.engine.poll_timeout().is_none_or(|t| t > h.now),
        "no wake-up in the past"
    );
}

#[test]
fn sync_waits_for_a_whole_cycle_started_after_it() {
    let (_, mut h, mut slave) = setup(300, 1);
    h.engine.handle_connected(h.now);
    let first = h.sent(); // cycle 1 underway
    h.engine.request_sync(h.now, 9);
    let answer = slave.answer(&first[0]);
    h.feed(&answer);
    h.converse(&mut slave);
    let events = h.events();
    assert_eq!(
        h.engine.status().cycles,
        2,
        "a second cycle ran for the sync"
    );
    assert!(
        matches!(
            events[..],
            [Event::SyncDone {
                id: 9,
                result: Ok(())
            }]
        ),
        "{events:?}"
    );
    // While disconnected, a sync fails at the next failed connection attempt.
    h.engine.handle_disconnected(h.now, "gone");
    h.engine.request_sync(h.now, 10);
    h.engine.handle_connect_failed("connection refused");
    assert!(matches!(
        &h.events()[..],
        [Event::SyncDone {
            id: 10,
            result: Err(Error::NotConnected { .. })
        }]
    ));
}

#[test]
fn garbage_from_the_slave_asks_for_a_new_connection() {
    let m = Memory::new(10);
    let mut h = Harness::new(&m, 1);
    h.engine.handle_connected(h.now);
    h.sent();
    h.feed(&[0, 1, 0, 9, 0, 3, 1, 3, 0]); // protocol id 9
    assert!(
        h.events()
            .iter()
            .any(|e| matches!(e, Event::Reconnect { .. }))
    );
    assert!(
        h.sent().is_empty(),
        "nothing more on a connection being dropped"
    );
}

#[test]
fn on_a_9600_baud_line_frames_are_always_three_and_a_half_characters_apart() {
    let timing = RtuTiming::serial(9600, 11, Duration::from_millis(20));
    let silence = timing.line.frame_gap;
    // Small blocks, many frames: a 125-register answer alone takes 290 ms at 9600 baud.
    let mem1 = Memory::builder()
        .coils(40)
        .holding_registers(130)
        .build()
        .expect("build");
    let mem0 = Memory::new(4); // unit 0: broadcast writes only
    for m in [&mem1, &mem0] {
        assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    }
    let cfg = Config {
        period: Duration::from_millis(50),
        response_timeout: Duration::from_millis(100),
        depth: 4, // ignored on a serial line
        force_multiple_writes: false,
        framing: Framing::Rtu(timing),
        timeouts_before_reconnect: 2,
        peer: "/dev/ttyS9".into(),
    };
    let units = vec![
        Unit::new(1, mem1.clone(), Plan::WholeMemory, Peer::Serial { unit: 1 }),
        Unit::new(0, mem0.clone(), Plan::WholeMemory, Peer::Serial { unit: 0 }),
    ];
    let mut engine = Engine::new(cfg, units);
    let mut slave = FakeSlave::new(300);
    let t0 = Instant::now() + silence;
    let mut now = t0;
    engine.handle_connected(now);
    // End of the last frame on the line, either way; the line was idle before.
    let mut line_quiet_since = t0 - silence;
    let mut answer: Option<(Instant, Vec<u8>)> = None;
    let (mut requests, mut broadcasts, mut answered) = (0, 0, 0);
    let mut buf = [0u8; 300];
    let step = Duration::from_micros(50);
    while now < t0 + Duration::from_secs(4) {
        if let Some((at, bytes)) = answer.take_if(|(at, _)| *at <= now) {
            engine.handle_input(at, &bytes);
            line_quiet_since = at;
            answered += 1;
        }
        engine.handle_timeout(now);
        // Local writes now and then, to both units; the slave drops one answer in 10.
        if requests % 7 == 3 {
            mem1.holding::<u16>(5)
                .expect("declare")
                .set(requests as u16)
                .expect("set");
            mem0.holding::<u16>(1)
                .expect("declare")
                .set(requests as u16)
                .expect("set");
        }
        if answer.is_none()
            && let Some(n) = engine.poll_transmit(now, &mut buf)
        {
            assert!(
                now >= line_quiet_since + silence,
                "a frame started {:?} after the line went quiet (need {silence:?})",
                now - line_quiet_since
            );
            let frame_end = now + timing.char_time * n as u32;
            line_quiet_since = frame_end;
            if buf[0] == 0 {
                broadcasts += 1;
            } else {
                requests += 1;
                if requests % 10 != 0 {
                    let resp = slave.answer_rtu(&buf[..n]);
                    // The slave answers after its own 3.5-character silence.
                    let arrives = frame_end + silence + timing.char_time * resp.len() as u32;
                    answer = Some((arrives, resp));
                }
            }
        }
        now += step;
    }
    assert!(
        requests > 25 && answered > 20,
        "requests {requests}, answered {answered}"
    );
    assert!(broadcasts > 0, "broadcast writes went out");
    assert!(engine.status().timeouts > 0, "dropped answers timed out");
    assert!(engine.status().cycles > 5);
}

#[test]
fn stopping_with_a_write_in_flight_keeps_it_for_the_next_master() {
    let (m, mut h, mut slave) = setup(2, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    v.set(42).expect("set");
    assert_eq!(h.sent().len(), 1, "the write is in flight");
    h.engine.stop();
    drop(h);
    // A new master on the same memory sends it, and its flush waits for it.
    let mut h = Harness::new(&m, 4);
    h.engine.handle_connected(h.now);
    h.engine.request_flush(1);
    assert!(h.events().is_empty(), "the write is not confirmed yet");
    let reqs = h.converse(&mut slave);
    assert_eq!(reqs[0], write_register(0, 42));
    h.assert_flushed(1);
}

#[test]
fn a_cycle_sends_the_writes_made_before_it_then_reads() {
    let (m, mut h, mut slave) = setup(300, 1);
    h.connect_and_converse(&mut slave);
    for a in [0u16, 130, 260] {
        m.holding::<u16>(a)
            .expect("declare")
            .set(a + 1)
            .expect("set");
    }
    h.advance(PERIOD);
    let reqs = h.converse(&mut slave);
    let kinds: Vec<bool> = reqs
        .iter()
        .map(|r| matches!(r, Request::WriteSingleRegister { .. }))
        .collect();
    assert_eq!(
        kinds,
        [true, true, true, false, false, false],
        "three writes, then three reads: {reqs:?}"
    );
}

// ---- the write path against a misbehaving slave ------------------------------------------

/// A TCP answer frame with `pdu`, for the request in `frame`, from `unit`.
fn frame_with(frame: &[u8], unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; tcp::HEADER_LEN + pdu.len()];
    out[tcp::HEADER_LEN..].copy_from_slice(pdu);
    tcp::encode_header(&mut out, tid_of(frame), unit, pdu.len()).expect("header");
    out
}

#[test]
fn a_malformed_write_answer_is_retried_with_a_growing_pause_and_reads_go_on() {
    let (m, mut h, mut slave) = setup(4, 1);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    v.set(7).expect("set");
    let mut writes = 0;
    let mut reads = 0;
    // 10 s of a slave that answers every write with a wrong echo.
    for _ in 0..2000 {
        for f in h.sent() {
            match request_of(&f) {
                Request::WriteSingleRegister { address, .. } => {
                    writes += 1;
                    let bad = [6, (address >> 8) as u8, address as u8, 0x12, 0x34];
                    h.feed(&frame_with(&f, 1, &bad));
                }
                _ => {
                    reads += 1;
                    let answer = slave.answer(&f);
                    h.feed(&answer);
                }
            }
        }
        h.advance(Duration::from_millis(5));
    }
    // 100 ms, 200, 400, ... capped at 5 s: a handful in 10 s, not thousands.
    assert!((3..=10).contains(&writes), "{writes} writes in 10 s");
    assert!(reads > 50, "reads keep their share: {reads}");
    let st = h.engine.status();
    assert!(st.writes_retried >= 3);
    assert!(st.connected && !st.stale);
    assert!(
        st.block_errors
            .iter()
            .any(|e| e.operation == Operation::Write && matches!(e.fault, Fault::BadResponse(_))),
        "{:?}",
        st.block_errors
    );
    assert!(v.pending(), "never confirmed");
}

#[test]
fn busy_and_gateway_exceptions_are_transient_and_retried() {
    for code in [
        ExceptionCode::ServerDeviceBusy,
        ExceptionCode::GatewayTargetDevice,
    ] {
        let (m, mut h, mut slave) = setup(4, 1);
        let v: Var<u16> = m.holding(1).expect("declare");
        h.connect_and_converse(&mut slave);
        v.set(9).expect("set");
        h.engine.request_flush(5);
        slave.refuse_holding = Some((1, code));
        h.converse(&mut slave);
        assert_eq!(h.engine.status().writes_refused, 0, "{code}: not final");
        slave.refuse_holding = None;
        h.advance(WRITE_BACKOFF_MIN);
        h.converse(&mut slave);
        assert_eq!(slave.holding[1], 9, "{code}: sent again and taken");
        assert!(
            h.events().iter().any(|e| matches!(
                e,
                Event::FlushDone {
                    id: 5,
                    result: Ok(())
                }
            )),
            "{code}"
        );
        assert!(!v.pending());
    }
}

#[test]
fn an_answer_from_another_unit_is_never_applied_nor_a_confirmation() {
    let m = Memory::new(4);
    let v: Var<u16> = m.holding(0).expect("declare");
    let mut h = Harness::new(&m, 1);
    h.engine.handle_connected(h.now);
    // The read's answer comes from unit 9, with data.
    let read = h.sent();
    h.feed(&frame_with(
        &read[0],
        9,
        &[3, 8, 0, 42, 0, 42, 0, 42, 0, 42],
    ));
    assert_eq!(v.get(), 0, "not applied");
    assert!(matches!(
        v.quality(),
        Quality::Bad(BlockError {
            fault: Fault::WrongUnit {
                expected: 1,
                found: 9
            },
            ..
        })
    ));
    // A write's echo from unit 9 confirms nothing.
    h.advance(PERIOD);
    v.set(5).expect("set");
    h.engine.request_flush(3);
    let mut confirmed = false;
    for f in h.sent() {
        if let Request::WriteSingleRegister { .. } = request_of(&f) {
            h.feed(&frame_with(&f, 9, &[6, 0, 0, 0, 5]));
        }
    }
    for e in h.events() {
        confirmed |= matches!(
            e,
            Event::FlushDone {
                id: 3,
                result: Ok(())
            }
        );
    }
    assert!(!confirmed);
    assert!(v.pending());
    assert_eq!(h.engine.status().writes_confirmed, 0);
}

#[test]
fn flush_and_sync_report_a_write_refused_before_they_were_asked() {
    let (m, mut h, mut slave) = setup(4, 1);
    let v: Var<u16> = m.holding(2).expect("declare");
    slave.refuse_holding = Some((2, ExceptionCode::IllegalDataValue));
    h.connect_and_converse(&mut slave);
    v.set(7).expect("set");
    h.converse(&mut slave); // refused, before anyone asked
    assert!(v.refused().is_some());
    h.engine.request_flush(1);
    h.engine.request_sync(h.now, 2);
    h.converse(&mut slave);
    let events = h.events();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::FlushDone {
                id: 1,
                result: Err(Error::Block(_))
            }
        )),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::SyncDone {
                id: 2,
                result: Err(Error::Block(_))
            }
        )),
        "{events:?}"
    );
    // A later write of the same items, confirmed, ends the refusal.
    slave.refuse_holding = None;
    v.set(8).expect("set");
    h.advance(PERIOD);
    h.converse(&mut slave);
    assert!(v.refused().is_none());
    h.engine.request_flush(3);
    h.assert_flushed(3);
}

#[test]
fn a_register_bit_is_written_with_a_mask_write_leaving_the_other_bits_alone() {
    let (m, mut h, mut slave) = setup(2, 1);
    let alarm = m.holding_bit(1, 15).expect("declare");
    let low = m.holding_byte::<u8>(0, crate::Byte::Low).expect("declare");
    h.connect_and_converse(&mut slave);
    slave.holding[1] = 0x0001; // the PLC set bit 0 since the last read
    slave.holding[0] = 0xAB00;
    alarm.set(true).expect("set");
    low.set(0x12).expect("set");
    let reqs = h.converse(&mut slave);
    assert!(reqs.contains(&Request::MaskWriteRegister {
        address: 1,
        and_mask: 0x7FFF,
        or_mask: 0x8000
    }));
    assert!(reqs.contains(&Request::MaskWriteRegister {
        address: 0,
        and_mask: 0xFF00,
        or_mask: 0x0012
    }));
    assert_eq!(slave.holding[1], 0x8001, "bit 0 kept");
    assert_eq!(slave.holding[0], 0xAB12, "the high byte kept");
    assert!(h.engine.status().mask_writes);
}

#[test]
fn a_slave_without_mask_writes_gets_read_modify_write() {
    let (m, mut h, mut slave) = setup(2, 1);
    let alarm = m.holding_bit(1, 15).expect("declare");
    slave.no_mask_write = true;
    h.connect_and_converse(&mut slave);
    alarm.set(true).expect("set");
    h.engine.request_flush(1);
    let reqs = h.converse(&mut slave);
    assert!(matches!(reqs[0], Request::MaskWriteRegister { .. }));
    assert!(reqs.contains(&write_register(1, 0x8000)));
    assert_eq!(slave.holding[1], 0x8000);
    assert!(!h.engine.status().mask_writes);
    h.assert_flushed(1);
    // From then on, no more FC22.
    alarm.set(false).expect("set");
    let reqs = h.converse(&mut slave);
    assert!(
        !reqs
            .iter()
            .any(|r| matches!(r, Request::MaskWriteRegister { .. }))
    );
}

#[test]
fn quality_goes_not_read_good_stale_and_is_published() {
    let (m, mut h, mut slave) = setup(4, 1);
    let v: Var<u16> = m.holding(0).expect("declare");
    let mut changes = m.subscribe();
    assert_eq!(v.quality(), Quality::NotRead);
    h.connect_and_converse(&mut slave);
    assert_eq!(
        v.quality(),
        Quality::Good {
            last_read: Some(h.now)
        }
    );
    assert!(
        changes.try_recv().expect("no lag").is_some(),
        "good is published"
    );
    let read_at = h.now;
    h.advance(Duration::from_millis(1));
    h.engine.handle_disconnected(h.now, "cut");
    assert_eq!(
        v.quality(),
        Quality::Stale {
            since: h.now,
            last_good: read_at
        }
    );
    assert!(
        h.engine.status().block_errors.is_empty(),
        "a lost connection is not a block error"
    );
    assert!(
        changes.try_recv().expect("no lag").is_some(),
        "stale is published"
    );
    h.advance(Duration::from_millis(1));
    h.connect_and_converse(&mut slave);
    assert!(v.quality().is_good());
    drop(h);
    assert_eq!(
        v.quality(),
        Quality::Good { last_read: None },
        "its own again"
    );
}

#[test]
fn a_slave_that_answers_pipelined_requests_only_now_and_then_is_served_one_at_a_time() {
    let (_, mut h, mut slave) = setup(2000, 4);
    h.connect_at_full_depth();
    // A first cycle answered in full: pipelining looks fine...
    h.converse(&mut slave);
    // ...then only the first of each batch is answered (requests in one segment).
    for _ in 0..20 {
        h.advance(PERIOD);
        for _ in 0..200 {
            let frames = h.sent();
            if frames.is_empty() {
                h.advance(TIMEOUT);
                if h.sent_nothing_pending() {
                    break;
                }
                continue;
            }
            let answer = slave.answer(&frames[0]);
            h.feed(&answer);
        }
        if h.engine.status().depth_reason == DepthReason::SlaveOneAtATime {
            break;
        }
    }
    let st = h.engine.status();
    assert_eq!(
        (st.depth, st.depth_reason),
        (1, DepthReason::SlaveOneAtATime),
        "{st:?}"
    );
    assert!(st.block_errors.is_empty(), "{:?}", st.block_errors);
}

#[test]
fn rtu_over_tcp_answers_are_cut_by_length_however_the_segments_come() {
    let m = Memory::new(4);
    assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    let cfg = Config {
        period: PERIOD,
        response_timeout: TIMEOUT,
        depth: 1,
        force_multiple_writes: false,
        framing: Framing::Rtu(RtuTiming::over_tcp(Duration::ZERO)),
        timeouts_before_reconnect: 2,
        peer: "converter".into(),
    };
    let unit = Unit::new(1, m.clone(), Plan::WholeMemory, Peer::Serial { unit: 1 });
    let mut engine = Engine::new(cfg, vec![unit]);
    let mut slave = FakeSlave::new(4);
    slave.holding[2] = 0x1234;
    let mut now = Instant::now();
    engine.handle_connected(now);
    let mut buf = [0u8; 300];
    let mut answered = 0;
    while engine.status().cycles == 0 {
        engine.handle_timeout(now);
        let Some(n) = engine.poll_transmit(now, &mut buf) else {
            now += Duration::from_millis(1);
            assert!(answered < 20, "the cycle never ended");
            continue;
        };
        let resp = slave.answer_rtu(&buf[..n]);
        // Two TCP segments 100 ms apart: far over a serial line's gaps, under the
        // stream's silence. The length rule joins them.
        engine.handle_input(now, &resp[..3]);
        now += Duration::from_millis(100);
        engine.handle_input(now, &resp[3..]);
        answered += 1;
    }
    assert!(answered >= 1, "{answered}");
    assert_eq!(engine.status().timeouts, 0);
    assert!(engine.status().block_errors.is_empty());
    assert_eq!(m.holding::<u16>(2).expect("declare").get(), 0x1234);
}
