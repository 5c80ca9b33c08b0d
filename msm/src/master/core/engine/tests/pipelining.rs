//! Requests in flight: matching answers, first contact, widening and falling back.

use super::*;

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
