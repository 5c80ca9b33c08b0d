//! The sync rule through the engine: local writes and read answers, reconnections,
//! quality, mask writes.

use super::*;

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
