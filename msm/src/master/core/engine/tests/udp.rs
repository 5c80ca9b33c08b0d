//! Modbus/UDP: datagrams get lost, so a request without an answer goes again (same
//! transaction id) before it counts as a timeout; datagrams that are no answer are
//! dropped without harm.

use super::*;

/// A harness on UDP, `retries` sends again per request, one request in flight.
fn udp(mem: &Memory, retries: u32) -> Harness {
    udp_at(mem, retries, 1)
}

/// A harness on UDP, `retries` sends again per request, up to `depth` in flight.
fn udp_at(mem: &Memory, retries: u32, depth: usize) -> Harness {
    assert!(mem.lock().attach(std::sync::Arc::new(|| {})));
    let cfg = Config {
        period: PERIOD,
        response_timeout: TIMEOUT,
        depth,
        retries,
        force_multiple_writes: false,
        framing: Framing::Udp,
        timeouts_before_reconnect: 2,
        peer: "127.0.0.1:5020 (UDP)".into(),
    };
    let unit = Unit::new(1, mem.clone(), Plan::WholeMemory, Peer::Serial { unit: 1 });
    Harness {
        engine: Engine::new(cfg, vec![unit]),
        now: Instant::now(),
    }
}

#[test]
fn a_request_whose_answer_is_lost_goes_again_as_it_was_and_its_answer_completes_it() {
    let m = Memory::new(4);
    let mut h = udp(&m, 2);
    let mut slave = FakeSlave::new(4);
    slave.holding[3] = 77;
    h.engine.handle_connected(h.now);
    let first = h.sent();
    assert_eq!(first.len(), 1);
    // Lost. At the deadline the same frame goes again, transaction id and all.
    assert_eq!(h.engine.poll_timeout(), Some(h.now + TIMEOUT));
    h.advance(TIMEOUT);
    let again = h.sent();
    assert_eq!(again, first, "the same datagram");
    let s = h.engine.status();
    assert_eq!((s.requests_resent, s.timeouts), (1, 0));
    assert!(s.block_errors.is_empty(), "no error while retries are left");
    assert_eq!(
        h.engine.poll_timeout(),
        Some(h.now + TIMEOUT),
        "a new deadline"
    );
    let answer = slave.answer(&again[0]);
    h.feed(&answer);
    assert_eq!(h.engine.status().cycles, 1);
    assert_eq!(m.holding::<u16>(3).expect("declare").get(), 77);
    // A late answer to the first copy matches nothing now: dropped, no harm.
    h.feed(&answer);
    assert!(h.events().is_empty());
    assert!(h.engine.status().block_errors.is_empty());
}

#[test]
fn a_late_answer_to_the_first_copy_completes_the_request_sent_again() {
    let m = Memory::new(4);
    let mut h = udp(&m, 1);
    let mut slave = FakeSlave::new(4);
    slave.holding[0] = 5;
    h.engine.handle_connected(h.now);
    let first = h.sent();
    h.advance(TIMEOUT);
    assert_eq!(h.sent(), first);
    h.feed(&slave.answer(&first[0])); // the answer to the first one, late
    assert_eq!(m.holding::<u16>(0).expect("declare").get(), 5);
    assert_eq!(h.engine.status().cycles, 1);
    assert!(h.engine.in_flight.is_empty());
}

#[test]
fn after_its_retries_a_request_is_a_timeout() {
    let m = Memory::new(4);
    let mut h = udp(&m, 2);
    h.engine.handle_connected(h.now);
    let first = h.sent();
    for _ in 0..2 {
        h.advance(TIMEOUT);
        assert_eq!(h.sent(), first);
    }
    h.advance(TIMEOUT);
    // What goes now is the next cycle's read, with a transaction id of its own.
    assert!(
        h.sent().iter().all(|f| tid_of(f) != tid_of(&first[0])),
        "no third resend"
    );
    let s = h.engine.status();
    assert_eq!((s.requests_resent, s.timeouts), (2, 1));
    assert_eq!(s.block_errors[0].fault, Fault::Timeout(TIMEOUT));
}

#[test]
fn a_lost_write_goes_again_and_is_confirmed_once() {
    let m = Memory::new(4);
    let mut h = udp(&m, 2);
    let mut slave = FakeSlave::new(4);
    h.engine.handle_connected(h.now);
    h.converse(&mut slave);
    let v: Var<u16> = m.holding(1).expect("declare");
    v.set(9).expect("set");
    h.engine.request_flush(7);
    let write = h.sent();
    assert_eq!(request_of(&write[0]), write_register(1, 9));
    h.advance(TIMEOUT);
    let again = h.sent();
    assert_eq!(again, write);
    h.feed(&slave.answer(&again[0]));
    h.assert_flushed(7);
    let s = h.engine.status();
    assert_eq!(
        (s.writes_confirmed, s.writes_retried, s.requests_resent),
        (1, 0, 1)
    );
    assert_eq!(slave.holding[1], 9);
}

#[test]
fn datagrams_that_are_no_answer_are_dropped_and_the_request_waits_for_its_own() {
    let m = Memory::new(4);
    let mut h = udp(&m, 0);
    let mut slave = FakeSlave::new(4);
    slave.holding[1] = 3;
    h.engine.handle_connected(h.now);
    let sent = h.sent();
    let answer = slave.answer(&sent[0]);
    // Cut short, two answers in one, another protocol, an empty one: none of them is
    // an answer, none drops the link (UDP has no stream to fall out of step).
    h.feed(&answer[..answer.len() - 1]);
    h.feed(&[answer.clone(), answer.clone()].concat());
    h.feed(&[0, 1, 0, 9, 0, 3, 1, 3, 0]);
    h.feed(&[]);
    assert!(h.events().is_empty());
    assert_eq!(h.engine.in_flight.len(), 1, "still waiting for its answer");
    h.feed(&answer);
    assert_eq!(m.holding::<u16>(1).expect("declare").get(), 3);
    assert!(h.engine.status().block_errors.is_empty());
}

#[test]
fn timeouts_in_a_row_make_the_socket_again() {
    let m = Memory::new(4);
    let mut h = udp(&m, 0);
    h.engine.handle_connected(h.now);
    for _ in 0..2 {
        assert_eq!(h.sent().len(), 1);
        h.advance(TIMEOUT);
    }
    assert!(
        h.events()
            .iter()
            .any(|e| matches!(e, Event::Reconnect { .. }))
    );
}

#[test]
fn requests_are_pipelined_over_udp_as_over_tcp() {
    let m = Memory::builder()
        .holding_registers(1000)
        .build()
        .expect("build");
    let mut h = udp_at(&m, 1, 4);
    let mut slave = FakeSlave::new(1000);
    h.connect_at_full_depth();
    h.engine.request_sync(h.now, 1);
    let batch = h.sent();
    assert!(batch.len() > 1, "{} in flight", batch.len());
    let tids: Vec<u16> = batch.iter().map(|f| tid_of(f)).collect();
    assert!(tids.windows(2).all(|w| w[0] != w[1]), "{tids:?}");
    // Answers in any order: matched by transaction id.
    for f in batch.iter().rev() {
        h.feed(&slave.answer(f));
    }
    h.converse(&mut slave);
    h.assert_synced(1);
}

#[test]
fn a_request_lost_beside_another_goes_one_at_a_time_rather_than_again_as_it_was() {
    // A slave that drops a request sent while it is busy with another (pymodbus does):
    // waiting for every retry before narrowing would cost a cycle of timeouts.
    let m = Memory::builder()
        .holding_registers(500)
        .build()
        .expect("build");
    let mut h = udp_at(&m, 2, 4);
    let mut slave = FakeSlave::new(500);
    h.connect_at_full_depth();
    let batch = h.sent();
    assert!(batch.len() > 1);
    h.feed(&slave.answer(&batch[0])); // the others are dropped
    h.advance(TIMEOUT);
    let s = h.engine.status();
    assert_eq!((s.depth, s.depth_reason), (1, DepthReason::SlaveOneAtATime));
    assert_eq!(s.requests_resent, 0, "not sent again as they were");
    assert!(s.block_errors.is_empty(), "read again, not failed: {s:?}");
    h.converse_one_at_a_time(&mut slave, "one at a time from now on");
    assert!(h.engine.status().cycles >= 1);
}
