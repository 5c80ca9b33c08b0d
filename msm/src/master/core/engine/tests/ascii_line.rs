//! Modbus ASCII lines: requests go as `:`, hex digits, LRC, CR LF; answers come back so,
//! in any pieces; one request at a time.

use super::*;
use crate::protocol::ascii;

const BAUD: u32 = 9600;

fn ascii_engine(units: Vec<(u8, Memory)>) -> Engine {
    let timing = RtuTiming::ascii(BAUD, 10, Duration::from_millis(20));
    let cfg = Config {
        period: PERIOD,
        response_timeout: TIMEOUT,
        depth: 4, // ignored on a serial line
        retries: 0,
        force_multiple_writes: false,
        framing: Framing::Ascii(timing),
        timeouts_before_reconnect: 2,
        peer: "/dev/ttyS7".into(),
    };
    let units = units
        .into_iter()
        .map(|(id, m)| {
            assert!(m.lock().attach(std::sync::Arc::new(|| {})));
            Unit::new(id, m, Plan::WholeMemory, Peer::Serial { unit: id })
        })
        .collect();
    Engine::new(cfg, units)
}

/// The ASCII answer of `slave` to the ASCII request `frame`.
fn answer_ascii(slave: &mut FakeSlave, frame: &[u8]) -> Vec<u8> {
    let mut frame = frame.to_vec();
    let f = ascii::decode_frame(&mut frame, ascii::LF).expect("a valid ASCII request");
    let (address, pdu) = (f.address, slave.respond(f.pdu));
    let mut out = [0u8; ascii::MAX_FRAME_LEN];
    let n = ascii::encode_frame(&mut out, address, &pdu).expect("fits");
    out[..n].to_vec()
}

#[test]
fn requests_go_in_ascii_one_at_a_time_and_answers_in_pieces_are_applied() {
    let m = Memory::new(6);
    let mut engine = ascii_engine(vec![(3, m.clone())]);
    let mut slave = FakeSlave::new(6);
    slave.holding[5] = 0xBEEF;
    let mut now = Instant::now();
    engine.handle_connected(now);
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    let mut requests = 0;
    while engine.status().cycles == 0 {
        let n = engine.poll_transmit(now, &mut buf).expect("a request");
        assert!(
            engine.poll_transmit(now, &mut [0u8; 600]).is_none(),
            "one at a time"
        );
        assert_eq!((buf[0], &buf[n - 2..n]), (b':', &b"\r\n"[..]));
        assert!(buf[1..n - 2].iter().all(u8::is_ascii_hexdigit));
        let answer = answer_ascii(&mut slave, &buf[..n]);
        assert_eq!(&answer[1..3], b"03", "from unit 3");
        // The answer in three pieces, each well within the inter-character timeout.
        for piece in answer.chunks(answer.len() / 3 + 1) {
            now += Duration::from_millis(100);
            engine.handle_input(now, piece);
        }
        engine.handle_timeout(now);
        requests += 1;
        assert!(requests < 10, "the cycle never ended");
    }
    assert_eq!(engine.status().depth_reason, DepthReason::Serial);
    assert!(engine.status().block_errors.is_empty());
    assert_eq!(m.holding::<u16>(5).expect("declare").get(), 0xBEEF);
}

#[test]
fn the_deadline_allows_for_both_frames_on_the_line_in_ascii_characters() {
    let m = Memory::builder()
        .holding_registers(125)
        .build()
        .expect("build");
    let mut engine = ascii_engine(vec![(1, m)]);
    let now = Instant::now();
    engine.handle_connected(now);
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    let n = engine
        .poll_transmit(now, &mut buf)
        .expect("a read of 125 registers");
    assert_eq!(n, 17);
    // 17 characters out, 511 back (2 × 253 + 5): 528 characters of 10 bits at 9600 baud.
    let on_the_line = Duration::from_nanos(1_041_666) * 528;
    assert_eq!(engine.poll_timeout(), Some(now + on_the_line + TIMEOUT));
}

#[test]
fn noise_before_an_answer_is_no_fault_but_a_corrupted_answer_is() {
    let m = Memory::new(2);
    let mut engine = ascii_engine(vec![(1, m.clone())]);
    let mut slave = FakeSlave::new(2);
    slave.holding[1] = 4;
    let now = Instant::now();
    engine.handle_connected(now);
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    let n = engine.poll_transmit(now, &mut buf).expect("a read");
    let answer = answer_ascii(&mut slave, &buf[..n]);
    engine.handle_input(now, b"\r\n\x00"); // a line settling: dropped once ':' comes
    engine.handle_input(now, &answer);
    assert!(engine.status().block_errors.is_empty());
    assert_eq!(m.holding::<u16>(1).expect("declare").get(), 4);
    // The next cycle's answer with a wrong LRC: that read fails, as a bad CRC does.
    let later = now + PERIOD;
    engine.handle_timeout(later);
    let n = engine.poll_transmit(later, &mut buf).expect("a read");
    let mut bad = answer_ascii(&mut slave, &buf[..n]);
    let lrc_at = bad.len() - 3;
    bad[lrc_at] = if bad[lrc_at] == b'0' { b'1' } else { b'0' };
    engine.handle_input(later, &bad);
    let errors = &engine.status().block_errors;
    assert!(
        matches!(&errors[..], [e] if matches!(&e.fault, Fault::BadResponse(why) if why.contains("LRC"))),
        "{errors:?}"
    );
}

#[test]
fn a_broadcast_in_ascii_is_written_never_read_and_given_its_delay() {
    let (one, all) = (Memory::new(2), Memory::new(2));
    let mut engine = ascii_engine(vec![(1, one), (0, all.clone())]);
    let mut slave = FakeSlave::new(2);
    let mut now = Instant::now();
    engine.handle_connected(now);
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    // The first cycle reads unit 1 only.
    while engine.status().cycles == 0 {
        let n = engine.poll_transmit(now, &mut buf).expect("a read");
        assert_eq!(&buf[1..3], b"01", "unit 0 is never read");
        let answer = answer_ascii(&mut slave, &buf[..n]);
        engine.handle_input(now, &answer);
        now += Duration::from_millis(1);
        engine.handle_timeout(now);
    }
    all.holding::<u16>(1).expect("declare").set(6).expect("set");
    let n = engine.poll_transmit(now, &mut buf).expect("the broadcast");
    let mut frame = buf[..n].to_vec();
    let f = ascii::decode_frame(&mut frame, ascii::LF).expect("valid");
    assert_eq!((f.address, f.pdu), (0, &[6, 0, 1, 0, 6][..]));
    assert_eq!(
        engine.status().writes_confirmed,
        1,
        "no answer comes: sent is done"
    );
    // The slaves are given the broadcast delay after it has left the line.
    one_write(&mut engine);
    let free = now + Duration::from_nanos(1_041_666) * n as u32 + Duration::from_millis(20);
    let before = free - Duration::from_millis(1);
    engine.handle_timeout(before);
    assert!(engine.poll_transmit(before, &mut buf).is_none());
    engine.handle_timeout(free);
    let n = engine
        .poll_transmit(free, &mut buf)
        .expect("unit 1's write, once the line is free");
    assert_eq!(&buf[1..3], b"01");
    assert!(n > 0);
}

/// A local write to unit 1's memory (the engine's first unit).
fn one_write(engine: &mut Engine) {
    let mem = engine.units[0].mem.clone();
    mem.holding::<u16>(0).expect("declare").set(1).expect("set");
}
