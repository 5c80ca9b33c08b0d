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
