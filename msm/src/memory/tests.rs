//! Unit tests of declarations, layouts and change tracking.

use super::*;

fn mem() -> Memory {
    Memory::builder()
        .coils(16)
        .discrete_inputs(16)
        .input_registers(16)
        .holding_registers(16)
        .build()
        .expect("valid areas")
}

#[test]
fn declaration_range_errors_name_the_area_and_fix() {
    let m = Memory::new(8);
    let err = m.holding::<u32>(7).expect_err("u32 at 7 needs register 8");
    let msg = err.to_string();
    assert!(msg.contains("holding registers"), "{msg}");
    assert!(msg.contains("0..=7"), "{msg}");
    assert!(msg.contains("declare a larger area"), "{msg}");
    assert!(m.holding::<u64>(4).is_ok());
    assert!(m.holding::<u64>(5).is_err());
    assert!(m.holding_string(4, 4).is_ok());
    assert!(m.holding_string(5, 4).is_err());
    assert!(matches!(
        m.holding_string(0, 0),
        Err(Error::BadLength { .. })
    ));
    assert!(matches!(
        m.holding_raw(0, 124),
        Err(Error::BadLength { .. })
    ));
    assert!(
        matches!(m.coil::<bool>(0), Err(Error::OutOfRange { .. })),
        "no coils"
    );
}

#[test]
fn areas_with_a_start_address() {
    let m = Memory::builder()
        .holding_registers_at(1000, 10)
        .build()
        .expect("valid");
    assert!(m.holding::<u16>(999).is_err());
    assert!(m.holding::<u16>(1000).is_ok());
    assert!(m.holding::<u32>(1008).is_ok());
    assert!(m.holding::<u32>(1009).is_err());
    let full = Memory::builder().coils(65536).build().expect("whole space");
    assert!(full.coil::<bool>(65535).is_ok());
    assert!(matches!(
        Memory::builder().holding_registers_at(1, 65536).build(),
        Err(Error::AreaTooLarge { .. })
    ));
}

#[test]
fn type_area_mismatches_are_typed_errors() {
    let m = mem();
    for r in [
        m.coil::<u32>(0).map(|_| ()),
        m.discrete_input::<f32>(0).map(|_| ()),
        m.holding::<bool>(0).map(|_| ()),
        m.holding::<u8>(0).map(|_| ()),
        m.holding::<String>(0).map(|_| ()),
        m.holding::<Vec<u16>>(0).map(|_| ()),
        m.holding_byte::<u16>(0, Byte::Low).map(|_| ()),
        m.string(Area::Coil, 0, 2).map(|_| ()),
        m.bit(Area::Discrete, 0, 1).map(|_| ()),
    ] {
        assert!(matches!(r, Err(Error::TypeMismatch { .. })), "{r:?}");
    }
    assert!(matches!(
        m.holding_bit(0, 16),
        Err(Error::BitOutOfRange { bit: 16 })
    ));
}

#[test]
fn original_layout_bits_bytes_and_words() {
    // The original's server_mapper: WORK_MODE byte 0 and PROCESS_STEP byte 1 of word 0,
    // CURRENT_VALUE u32 at 1 (CDAB), ERROR_STATE bit 0 of word 3.
    let m = Memory::new(8);
    let work_mode: Var<u8> = m.holding_byte(0, Byte::Low).expect("declare");
    let step: Var<u8> = m.holding_byte(0, Byte::High).expect("declare");
    let value: Var<u32> = m.holding(1).expect("declare").order(Order::CDAB);
    let error: Var<bool> = m.holding_bit(3, 0).expect("declare");
    let control: Var<u16> = m.holding(3).expect("declare");
    let raw: Var<[u16; 4]> = m.holding(0).expect("declare");
    work_mode.set(4).expect("set");
    step.set(10).expect("set");
    value.set(99_999).expect("set");
    control.set(0x8000).expect("set");
    error.set(true).expect("set");
    assert_eq!(raw.get(), [0x0A04, 0x869F, 0x0001, 0x8001]);
    assert_eq!(control.get(), 0x8001, "the bit variable overlaps the word");
    error.set(false).expect("set");
    assert_eq!(control.get(), 0x8000);
    assert_eq!((work_mode.get(), step.get(), value.get()), (4, 10, 99_999));
}

#[test]
fn signed_bytes_and_strings() {
    let m = Memory::new(8);
    let b: Var<i8> = m.holding_byte(0, Byte::High).expect("declare");
    b.set(-2).expect("set");
    let w: Var<u16> = m.holding(0).expect("declare");
    assert_eq!(w.get(), 0xFE00);
    assert_eq!(b.get(), -2);

    let s = m.holding_string(2, 2).expect("declare");
    s.set("AB".into()).expect("set");
    let raw = m.holding_raw(2, 2).expect("declare");
    assert_eq!(raw.get(), vec![0x4142, 0x0000]);
    assert!(matches!(
        s.set("ABCDE".into()),
        Err(Error::StringTooLong {
            len: 5,
            capacity: 4
        })
    ));
    assert!(matches!(
        s.set("Aé".into()),
        Err(Error::NotAscii { index: 1, .. })
    ));
    assert_eq!(s.get(), "AB", "a refused set writes nothing");
    let swapped = m.holding_string(2, 2).expect("declare").order(Order::BADC);
    assert_eq!(swapped.get(), "BA");
    assert!(matches!(
        raw.set(vec![1, 2, 3]),
        Err(Error::LengthMismatch {
            expected: 2,
            got: 3
        })
    ));
}

#[test]
fn bit_areas_pack_lsb_first() {
    let m = mem();
    for a in [0u16, 3, 9, 15] {
        m.coil::<bool>(a).expect("declare").set(true).expect("set");
    }
    let st = m.lock();
    assert_eq!(st.area(Area::Coil).data, vec![0b0000_1001, 0b1000_0010]);
}

#[test]
fn subscription_reports_area_range_and_origin() {
    let m = mem();
    let mut sub = m.subscribe();
    let v: Var<u64> = m.holding(4).expect("declare");
    v.set(1).expect("set");
    m.coil::<bool>(7).expect("declare").set(true).expect("set");
    let a = sub.try_recv().expect("no lag").expect("a change");
    assert_eq!(
        a,
        Change {
            area: Area::Holding,
            address: 4,
            count: 4,
            origin: Origin::Local
        }
    );
    let b = sub.try_recv().expect("no lag").expect("a change");
    assert_eq!((b.area, b.address, b.count), (Area::Coil, 7, 1));
    assert_eq!(sub.try_recv(), Ok(None));
}

#[test]
fn subscription_reports_lag_then_goes_on() {
    let m = mem();
    let mut sub = m.subscribe_with_capacity(2);
    let v: Var<u16> = m.holding(0).expect("declare");
    for i in 0..5 {
        v.set(i).expect("set");
    }
    assert_eq!(sub.try_recv(), Err(Lagged(3)));
    assert!(sub.try_recv().expect("after lag").is_some());
    assert!(sub.try_recv().expect("after lag").is_some());
    assert_eq!(sub.try_recv(), Ok(None));
}

#[test]
fn a_dropped_subscription_is_forgotten_at_the_next_change() {
    let m = mem();
    let kept = m.subscribe();
    drop(m.subscribe());
    assert_eq!(m.lock().subscribers.len(), 2);
    m.holding::<u16>(0).expect("declare").set(1).expect("set");
    assert_eq!(m.lock().subscribers.len(), 1);
    drop(kept);
    // The changes a dropped subscription held are freed at once.
    assert_eq!(m.lock().subscribers.queued(), vec![0]);
}

/// A reader is woken only when its queue goes from empty to not empty: one that comes
/// back to a queue still holding changes must get them all, in order, and then wait.
#[test]
fn an_async_reader_gets_every_change_queued_while_it_was_away() {
    let m = mem();
    let mut sub = m.subscribe();
    let v: Var<u16> = m.holding(0).expect("declare");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for i in 1..=3 {
            v.set(i).expect("set");
        }
        for _ in 0..3 {
            assert_eq!(sub.recv().await.expect("no lag").address, 0);
        }
        assert_eq!(sub.try_recv(), Ok(None));
        // The reader waits on the empty queue first; only then does the write come.
        let mut waiting = std::pin::pin!(sub.recv());
        let short = std::time::Duration::from_millis(20);
        assert!(
            tokio::time::timeout(short, &mut waiting).await.is_err(),
            "a change came from nowhere"
        );
        let writer = std::thread::spawn({
            let v = v.clone();
            move || v.set(9)
        });
        let woken = tokio::time::timeout(std::time::Duration::from_secs(10), waiting).await;
        assert!(
            matches!(woken, Ok(Ok(_))),
            "the reader was not woken: {woken:?}"
        );
        writer.join().expect("writer").expect("set");
    });
    assert_eq!(v.get(), 9);
}

#[test]
fn a_paused_subscription_counts_per_origin_and_queues_again_on_resume() {
    let m = mem();
    let mut sub = m.subscribe();
    let plc = Origin::Remote(Peer::Tcp(([127, 0, 0, 1], 5020).into()));
    sub.pause();
    sub.pause(); // twice: still one count
    for origin in [plc, Origin::Local, plc] {
        m.lock().publish(Area::Holding, 0, 1, origin);
    }
    assert_eq!(sub.try_recv(), Ok(None), "nothing queued while paused");
    assert_eq!(
        sub.recv_timeout(std::time::Duration::from_millis(20)),
        Err(RecvTimeoutError::Timeout),
        "a paused subscription wakes no one"
    );
    let counted = sub.resume();
    assert_eq!(counted.by_origin(), &[(plc, 2), (Origin::Local, 1)]);
    assert_eq!(counted.total(), 3);
    assert!(!sub.is_paused());
    assert_eq!(sub.resume().total(), 0, "resumed once");
    m.lock().publish(Area::Holding, 1, 1, plc);
    assert_eq!(sub.try_recv().expect("no lag").map(|c| c.address), Some(1));
}

/// Pausing and resuming while a writer writes: every change is received or counted,
/// exactly once.
#[test]
fn pausing_and_resuming_loses_and_repeats_no_change() {
    let m = mem();
    let mut sub = m.subscribe_with_capacity(100_000);
    let v: Var<u16> = m.holding(0).expect("declare");
    const WRITES: u64 = 20_000;
    let writer = std::thread::spawn(move || {
        for i in 0..WRITES {
            v.set(i as u16).expect("set");
        }
    });
    let (mut received, mut counted) = (0u64, 0u64);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while received + counted < WRITES && std::time::Instant::now() < deadline {
        sub.pause();
        while sub.try_recv().expect("no lag").is_some() {
            received += 1;
        }
        counted += sub.resume().total();
        while sub.try_recv().expect("no lag").is_some() {
            received += 1;
        }
    }
    writer.join().expect("writer");
    counted += sub.resume().total();
    while sub.try_recv().expect("no lag").is_some() {
        received += 1;
    }
    assert_eq!(
        received + counted,
        WRITES,
        "received {received}, counted {counted}"
    );
}

#[test]
fn pausing_a_subscription_whose_memory_is_gone_does_nothing() {
    let mut sub = mem().subscribe();
    sub.pause();
    assert!(!sub.is_paused());
    assert_eq!(sub.resume().total(), 0);
}

#[test]
fn local_writes_stamp_and_mark_dirty() {
    let m = mem();
    let h = Area::Holding;
    let v: Var<u32> = m.holding(2).expect("declare");
    v.set(1).expect("set");
    {
        // No master: marked dirty (a master attached later sends it), not stamped (a
        // stamp of 0 is older than any request a master will send).
        let st = m.lock();
        assert_eq!((st.stamp(h, 2), st.stamp(h, 3)), (0, 0));
        assert!(st.is_dirty(h, 2) && st.is_dirty(h, 3));
    }
    assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    v.set(2).expect("set");
    let st = m.lock();
    assert_eq!((st.stamp(h, 2), st.stamp(h, 3)), (2, 2));
    assert!(st.is_dirty(h, 2) && st.is_dirty(h, 3) && !st.is_dirty(h, 4));
    assert_eq!(st.generation(), 2);
    assert!(st.spans().contains(&Span {
        area: Area::Holding,
        index: 2,
        count: 2
    }));
}

/// The bits of a register written and not yet sent, through every step that changes them.
#[test]
fn written_bits_follow_writes_sends_and_losses() {
    let m = mem();
    assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    let h = Area::Holding;
    let mut st = m.lock();
    assert_eq!(st.dirty_mask(h, 0), 0, "clean: no bit written");
    st.stamp_write(h, 0, 1, 0x0001);
    st.stamp_write(h, 0, 1, 0x0100);
    assert_eq!(st.dirty_mask(h, 0), 0x0101, "two bit writes add up");
    st.stamp_write(h, 0, 2, WHOLE);
    assert_eq!((st.dirty_mask(h, 0), st.dirty_mask(h, 1)), (WHOLE, WHOLE));
    st.stamp_write(h, 1, 1, 0x0010);
    assert_eq!(st.dirty_mask(h, 1), WHOLE, "a bit more of a whole register");
    let sent_at = st.generation();
    st.take_dirty(h, 0, 2);
    assert_eq!((st.dirty_mask(h, 0), st.dirty_mask(h, 1)), (0, 0));
    // Register 0 written again (some bits) after the send, then the send is lost: both
    // the new bits and the lost ones are to be sent.
    st.stamp_write(h, 0, 1, 0x0002);
    st.write_lost(h, 0, 2, sent_at, 0x00F0);
    assert_eq!(st.dirty_mask(h, 0), 0x00F2);
    assert_eq!(
        st.dirty_mask(h, 1),
        0x00F0,
        "a lost write marks a clean register"
    );
    assert!(st.is_dirty(h, 1));
    st.write_lost(h, 1, 1, sent_at, WHOLE);
    assert_eq!(st.dirty_mask(h, 1), WHOLE);
    assert_eq!(st.dirty_mask(Area::Coil, 0), WHOLE, "bits have no masks");
}

#[test]
fn input_areas_are_read_only_on_a_master_memory() {
    let m = mem();
    let inp: Var<u16> = m.input(0).expect("declare");
    inp.set(5).expect("a slave-side program may set its inputs");
    assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    assert!(matches!(
        inp.set(6),
        Err(Error::ReadOnly {
            area: Area::Input,
            ..
        })
    ));
    assert!(matches!(
        m.discrete_input::<bool>(0).expect("declare").set(true),
        Err(Error::ReadOnly { .. })
    ));
    assert_eq!(inp.get(), 5);
    m.holding::<u16>(0)
        .expect("declare")
        .set(1)
        .expect("holding stays writable");
}

#[test]
fn init_writes_without_marking_or_notifying() {
    let m = mem();
    let mut sub = m.subscribe();
    let v: Var<u32> = m.holding(0).expect("declare");
    v.init(42).expect("init");
    assert_eq!(v.get(), 42);
    assert_eq!(sub.try_recv(), Ok(None));
    let st = m.lock();
    assert_eq!(st.next_dirty(Area::Holding, 0), None);
    assert_eq!(st.generation(), 0);
}
