//! RTU links: the line's silences, and RTU over TCP cut by length.

use super::*;

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
        retries: 0,
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
fn rtu_over_tcp_answers_are_cut_by_length_however_the_segments_come() {
    let m = Memory::new(4);
    assert!(m.lock().attach(std::sync::Arc::new(|| {})));
    let cfg = Config {
        period: PERIOD,
        response_timeout: TIMEOUT,
        depth: 1,
        retries: 0,
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
