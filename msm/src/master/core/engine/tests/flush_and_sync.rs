//! `sync` and `flush`: what they wait for and what they report.

use super::*;

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
