//! One-off requests (report server id, diagnostics, file records...): sent before the
//! cycle's requests, within the depth, each answered exactly once.

use super::*;
use crate::master::core::engine::one_off::MAX_QUEUED;
use crate::master::core::status::RequestFailure;
use crate::protocol::FunctionCode;

/// The one answer to one-off request `id` among `events`.
fn answer_of(events: &[Event], id: u64) -> &Result<Vec<u8>, Error> {
    let mut found = events.iter().filter_map(|e| match e {
        Event::RequestDone { id: i, result } if *i == id => Some(result),
        _ => None,
    });
    let answer = found.next().expect("an answer");
    assert!(found.next().is_none(), "answered once");
    answer
}

fn failure(result: &Result<Vec<u8>, Error>) -> &RequestFailure {
    match result {
        Err(Error::Request(f)) => f,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_one_off_request_goes_before_the_cycles_reads_and_gets_its_pdu() {
    let (_m, mut h, mut slave) = setup(10, 4);
    h.connect_at_full_depth();
    // The cycle's first read is on its way; the request goes next, before the others.
    let first = h.sent();
    assert_eq!(first.len(), 1, "the one block of 10 registers");
    h.engine.request_one_off(7, 1, vec![0x11], true);
    let frames = h.sent();
    assert_eq!(request_of(&frames[0]), Request::ReportServerId);
    h.feed(&frame_with(&frames[0], 1, &[0x11, 3, 42, 0xFF, b'x']));
    h.feed(&slave.answer(&first[0]));
    let events = h.events();
    assert_eq!(
        answer_of(&events, 7).as_deref().ok(),
        Some(&[0x11, 3, 42, 0xFF, b'x'][..])
    );
    assert_eq!(h.engine.status().cycles, 1, "the cycle went on beside it");
}

#[test]
fn an_exception_or_an_answer_that_does_not_fit_fails_it_with_the_reason() {
    let (_m, mut h, mut slave) = setup(1, 1);
    h.connect_and_converse(&mut slave);
    h.engine.request_one_off(1, 1, vec![0x11], true);
    let frames = h.sent();
    h.feed(&frame_with(&frames[0], 1, &[0x91, 0x01]));
    let f = failure(answer_of(&h.events(), 1)).clone();
    assert_eq!((f.unit, f.function), (1, FunctionCode::ReportServerId));
    assert!(f.unsupported(), "{f}");
    // An answer for another function is no answer to it.
    h.engine.request_one_off(2, 1, vec![0x07], true);
    let frames = h.sent();
    h.feed(&frame_with(&frames[0], 1, &[0x0B, 0, 0, 0, 1]));
    let f = failure(answer_of(&h.events(), 2)).clone();
    assert!(matches!(f.fault, Fault::BadResponse(_)), "{f}");
    // Another unit's answer neither.
    h.engine.request_one_off(3, 1, vec![0x07], true);
    let frames = h.sent();
    h.feed(&frame_with(&frames[0], 9, &[0x07, 0]));
    let f = failure(answer_of(&h.events(), 3)).clone();
    assert!(
        matches!(
            f.fault,
            Fault::WrongUnit {
                expected: 1,
                found: 9
            }
        ),
        "{f}"
    );
}

#[test]
fn one_unanswered_times_out_and_a_lost_connection_fails_the_others() {
    let (_m, mut h, mut slave) = setup(1, 1);
    h.connect_and_converse(&mut slave);
    h.engine.request_one_off(1, 1, vec![0x0B], true);
    assert_eq!(h.sent().len(), 1);
    h.advance(TIMEOUT);
    let f = failure(answer_of(&h.events(), 1)).clone();
    assert!(matches!(f.fault, Fault::Timeout(t) if t == TIMEOUT), "{f}");
    // Depth 1: one in flight, one waiting; the connection goes.
    h.engine.request_one_off(2, 1, vec![0x0B], true);
    h.engine.request_one_off(3, 1, vec![0x0C], true);
    assert_eq!(h.sent().len(), 1);
    h.engine.handle_disconnected(h.now, "reset by peer");
    let events = h.events();
    let f = failure(answer_of(&events, 2));
    assert!(matches!(f.fault, Fault::Disconnected(_)), "{f}");
    assert!(matches!(
        answer_of(&events, 3),
        Err(Error::NotConnected { .. })
    ));
    // Asked while there is no connection: it waits for one, and fails if none is made.
    h.engine.request_one_off(4, 1, vec![0x0B], true);
    assert!(h.events().is_empty());
    h.engine.handle_connect_failed("connection refused");
    assert!(matches!(
        answer_of(&h.events(), 4),
        Err(Error::NotConnected { .. })
    ));
}

#[test]
fn a_request_never_answered_is_done_once_sent() {
    let (_m, mut h, mut slave) = setup(1, 1);
    h.connect_and_converse(&mut slave);
    h.engine
        .request_one_off(5, 1, vec![0x08, 0, 4, 0, 0], false);
    let frames = h.sent();
    assert_eq!(frames.len(), 1);
    assert_eq!(answer_of(&h.events(), 5).as_deref().ok(), Some(&[][..]));
    assert!(h.sent_nothing_pending(), "nothing in flight waits for it");
}

#[test]
fn a_full_queue_refuses_at_once_and_a_stop_answers_everyone() {
    let (_m, mut h, _slave) = setup(1, 1);
    for id in 0..=MAX_QUEUED as u64 {
        h.engine.request_one_off(id, 1, vec![0x11], true);
    }
    let full = h.events();
    assert!(matches!(
        answer_of(&full, MAX_QUEUED as u64),
        Err(Error::QueueFull { capacity: 64, .. })
    ));
    h.engine.handle_connected(h.now);
    assert_eq!(h.sent().len(), 1, "depth 1");
    h.engine.stop();
    let events = h.events();
    for id in 0..MAX_QUEUED as u64 {
        assert!(
            matches!(answer_of(&events, id), Err(Error::Stopped)),
            "{id}"
        );
    }
}

#[test]
fn a_request_lost_beside_another_goes_again() {
    let (_m, mut h, mut slave) = setup(10, 4);
    h.connect_at_full_depth();
    let read = h.sent();
    h.engine.request_one_off(9, 1, vec![0x0B], true);
    let request = h.sent();
    assert_eq!(request.len(), 1);
    // The read is answered; the request, sent beside it, is not: it goes again.
    h.feed(&slave.answer(&read[0]));
    h.advance(TIMEOUT);
    assert!(
        h.events()
            .iter()
            .all(|e| !matches!(e, Event::RequestDone { .. }))
    );
    let again = h.sent();
    assert_eq!(request_of(&again[0]), Request::GetCommEventCounter);
    h.feed(&frame_with(&again[0], 1, &[0x0B, 0, 0, 0, 3]));
    assert!(answer_of(&h.events(), 9).is_ok());
}
