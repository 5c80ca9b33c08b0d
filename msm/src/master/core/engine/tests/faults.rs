//! A slave that misbehaves: silence, garbage, malformed answers, exceptions, another
//! unit's answers.

use super::*;

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
fn a_tls_server_is_named_as_such_with_the_fix() {
    let reason_for = |answer: &[u8]| {
        let m = Memory::new(10);
        let mut h = Harness::new(&m, 1);
        h.engine.handle_connected(h.now);
        h.sent();
        h.feed(answer);
        h.events()
            .into_iter()
            .find_map(|e| match e {
                Event::Reconnect { reason } => Some(reason),
                _ => None,
            })
            .expect("a reconnection")
    };
    // A TLS server's alert to a plaintext client: record type 21, version 3.3, length 2.
    let tls = reason_for(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]);
    assert!(tls.contains("TLS record") && tls.contains("--tls"), "{tls}");
    // Anything else keeps the general question.
    let other = reason_for(&[0x48, 0x54, 0x54, 0x50, 0x2F, 0x31, 0x2E]); // "HTTP/1."
    assert!(
        other.contains("is this a Modbus/TCP server") && !other.contains("TLS"),
        "{other}"
    );
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

/// What happened against a slave that serves reads and closes the connection on every
/// write: when reads and writes were sent.
struct Trace {
    reads: Vec<Instant>,
    writes: Vec<Instant>,
}

impl Trace {
    fn longest_gap_between_reads(&self) -> Duration {
        self.reads
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default()
    }
}

/// Runs the engine for `span` in steps of 5 ms against a slave that answers reads and
/// closes the connection on every write, after answering it if `answers_writes`. As the
/// driver does, it connects again 100 ms after each loss. `each_step` runs before each
/// step (a program writing, say).
fn against_a_slave_closing_on_writes(
    h: &mut Harness,
    slave: &mut FakeSlave,
    answers_writes: bool,
    span: Duration,
    mut each_step: impl FnMut(),
) -> Trace {
    let mut trace = Trace {
        reads: Vec::new(),
        writes: Vec::new(),
    };
    let end = h.now + span;
    let mut reconnect_at = None;
    while h.now < end {
        each_step();
        if reconnect_at.is_some_and(|t| h.now >= t) {
            reconnect_at = None;
            h.engine.handle_connected(h.now);
        }
        for f in h.sent() {
            if matches!(request_of(&f), Request::ReadHoldingRegisters { .. }) {
                trace.reads.push(h.now);
                let answer = slave.answer(&f);
                h.feed(&answer);
                continue;
            }
            trace.writes.push(h.now);
            if answers_writes {
                let answer = slave.answer(&f);
                h.feed(&answer);
            }
            h.engine.handle_disconnected(h.now, "closed by the slave");
            reconnect_at = Some(h.now + Duration::from_millis(100));
            break; // the rest was sent on a dead connection
        }
        let events = h.events();
        assert!(
            events.iter().all(|e| !matches!(e, Event::Reconnect { .. })),
            "{events:?}"
        );
        h.advance(Duration::from_millis(5));
    }
    trace
}

#[test]
fn a_slave_that_closes_the_connection_on_every_write_keeps_its_reads_and_the_writes_go_on_with_growing_pauses()
 {
    let (m, mut h, mut slave) = setup(4, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    v.set(7).expect("set");
    let trace = against_a_slave_closing_on_writes(
        &mut h,
        &mut slave,
        false,
        Duration::from_secs(10),
        || {},
    );
    // Before: after each reconnection the write went first and took the connection
    // down, so not one read in 10 s.
    assert!(
        trace.reads.len() >= 70,
        "{} reads in 10 s",
        trace.reads.len()
    );
    let gap = trace.longest_gap_between_reads();
    assert!(
        gap <= 3 * PERIOD,
        "reads keep their period: a gap of {gap:?}"
    );
    // The write is tried again and again, after pauses that grow (100 ms doubling).
    let pauses: Vec<Duration> = trace.writes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        (5..=12).contains(&trace.writes.len()),
        "{:?}",
        trace.writes.len()
    );
    assert!(pauses.windows(2).all(|p| p[1] >= p[0]), "{pauses:?}");
    assert!(
        pauses.last().is_some_and(|p| *p >= Duration::from_secs(2)),
        "{pauses:?}"
    );
    let st = h.engine.status();
    assert!(st.writes_retried >= 4, "{st:?}");
    assert_eq!(st.writes_confirmed, 0);
    assert!(v.pending(), "never confirmed");
    assert_eq!(slave.holding[0], 0);
}

#[test]
fn a_slave_that_answers_a_write_then_closes_still_gets_a_cycle_of_reads_on_every_connection() {
    let (m, mut h, mut slave) = setup(4, 4);
    let v: Var<u16> = m.holding(0).expect("declare");
    h.connect_and_converse(&mut slave);
    let mut n = 0u16;
    let trace =
        against_a_slave_closing_on_writes(&mut h, &mut slave, true, Duration::from_secs(5), || {
            n = n.wrapping_add(1);
            v.set(n).expect("a program writing all the time");
        });
    assert!(
        trace.reads.len() >= 20,
        "{} reads in 5 s",
        trace.reads.len()
    );
    let gap = trace.longest_gap_between_reads();
    assert!(gap <= 3 * PERIOD, "a gap of {gap:?} between reads");
    assert!(
        trace.writes.len() >= 20,
        "the writes go on: {}",
        trace.writes.len()
    );
    assert!(h.engine.status().writes_confirmed >= 20);
    assert!(slave.holding[0] > 0);
}
