//! Modbus ASCII over virtual serial lines (socat pty pairs): the msm slave and master
//! together, the master against pymodbus's ASCII server, and raw frames for the rules
//! of the line (other units ignored, a bad LRC, line noise, a non-hex character or a
//! wrong end ignored, a new ':' starting over, broadcasts applied and unanswered) on
//! both sides. Virtual ptys refuse parity settings, so the
//! lines run without parity.

use crate::common;
use common::raw_line::RawLine;

use std::time::Duration;

use msm::protocol::ascii;
use msm::{Master, Memory, Order, Parity, Slave};

const DEADLINE: Duration = Duration::from_secs(15);
const BAUD: u32 = 19_200;

/// `pdu` for `unit` as an ASCII frame.
fn frame(unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    let n = ascii::encode_frame(&mut buf, unit, pdu).expect("fits");
    buf[..n].to_vec()
}

fn msm_master_and_slave_exchange_all_four_areas_over_an_ascii_line() {
    common::init_logging();
    let Some(line) = common::SerialPair::new() else {
        return;
    };
    let plc = common::four_areas(32);
    plc.input::<f32>(2)
        .expect("declare")
        .set(21.5)
        .expect("set");
    plc.discrete_input::<bool>(7)
        .expect("declare")
        .set(true)
        .expect("set");
    plc.holding::<u32>(10)
        .expect("declare")
        .order(Order::CDAB)
        .set(99_999)
        .expect("set");
    // ASCII's own character format, 7 data bits (no parity: ptys refuse it).
    let slave = Slave::ascii(line.a(), BAUD)
        .parity(Parity::None)
        .unit(7)
        .serve(plc.clone())
        .expect("serve");
    let hmi = common::four_areas(32);
    let master = Master::ascii(line.b(), BAUD)
        .parity(Parity::None)
        .unit(7)
        .period(Duration::from_millis(50))
        .response_timeout(Duration::from_millis(500))
        .start(hmi.clone())
        .expect("start");
    master.sync_timeout(DEADLINE).expect("a cycle");
    assert_eq!(hmi.input::<f32>(2).expect("declare").get(), 21.5);
    assert!(hmi.discrete_input::<bool>(7).expect("declare").get());
    assert_eq!(
        hmi.holding::<u32>(10)
            .expect("declare")
            .order(Order::CDAB)
            .get(),
        99_999
    );
    hmi.holding::<f64>(20)
        .expect("declare")
        .set(-12.75)
        .expect("set");
    for c in 10..20 {
        hmi.coil::<bool>(c)
            .expect("declare")
            .set(c % 2 == 1)
            .expect("set");
    }
    // A bit of a register: a mask write (FC22), framed in ASCII like the rest.
    hmi.holding_bit(0, 3)
        .expect("declare")
        .set(true)
        .expect("set");
    master.flush_timeout(DEADLINE).expect("flush");
    assert_eq!(plc.holding::<f64>(20).expect("declare").get(), -12.75);
    assert!((10..20).all(|c| plc.coil::<bool>(c).expect("declare").get() == (c % 2 == 1)));
    assert_eq!(plc.holding::<u16>(0).expect("declare").get(), 1 << 3);
    let s = master.status();
    assert!(s.block_errors.is_empty() && s.timeouts == 0, "{s:?}");
    master.stop();
    slave.stop();
}

fn the_master_polls_pymodbus_ascii_server() {
    common::init_logging();
    let Some(python) = common::pymodbus_python() else {
        return;
    };
    let Some(line) = common::SerialPair::new() else {
        return;
    };
    let script = common::peer_script("pymodbus_link_server.py");
    let server = common::PeerProcess::start(
        &python,
        &[
            script.to_str().expect("utf-8"),
            "ascii",
            line.b(),
            "19200",
            "20",
        ],
    );
    assert_eq!(server.announced, "READY");
    let mem = common::four_areas(20);
    let master = Master::ascii(line.a(), BAUD)
        .data_bits(8)
        .parity(Parity::None)
        .unit(1)
        .period(Duration::from_millis(50))
        // pymodbus answers from Python, on a machine busy with other tests.
        .response_timeout(Duration::from_secs(2))
        .start(mem.clone())
        .expect("start");
    master.sync_timeout(DEADLINE).expect("first cycle");
    common::assert_pymodbus_link_server_values(&mem, &[0, 1, 2, 19]);
    mem.holding::<u32>(10)
        .expect("declare")
        .set(0xDEAD_BEEF)
        .expect("set");
    mem.coil::<bool>(1)
        .expect("declare")
        .set(true)
        .expect("set");
    master.flush_timeout(DEADLINE).expect("flush");
    master.sync_timeout(DEADLINE).expect("read back");
    assert_eq!(mem.holding::<u32>(10).expect("declare").get(), 0xDEAD_BEEF);
    assert!(mem.coil::<bool>(1).expect("declare").get());
    let s = master.status();
    assert!(s.connected && s.block_errors.is_empty(), "{s:?}");
    master.stop();
}

fn other_units_bad_lrcs_and_restarted_frames_are_ignored_broadcasts_applied_silently() {
    common::init_logging();
    let Some(line) = common::SerialPair::new() else {
        return;
    };
    let plc = common::four_areas(32);
    plc.holding::<u16>(1)
        .expect("declare")
        .set(0x1234)
        .expect("set");
    let slave = Slave::ascii(line.a(), BAUD)
        .data_bits(8)
        .parity(Parity::None)
        .unit(1)
        .serve(plc.clone())
        .expect("serve");
    let mut raw = RawLine::open(line.b());
    let read_reg1 = |unit: u8| frame(unit, &[0x03, 0x00, 0x01, 0x00, 0x01]);
    let answer = frame(1, &[0x03, 0x02, 0x12, 0x34]);

    raw.send(&read_reg1(1));
    assert_eq!(raw.line(), answer);
    raw.send(&read_reg1(9));
    assert!(raw.silent(), "a frame for another unit is not answered");
    // A wrong LRC: silence, and the next good frame is answered.
    let mut bad = read_reg1(1);
    let at = bad.len() - 3;
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    raw.send(&bad);
    assert!(raw.silent(), "a frame with a bad LRC is not answered");
    // A frame cut off by a new ':': only the second is answered, and lower case is fine.
    let half = &read_reg1(1)[..7];
    raw.send(&[half, &read_reg1(1).to_ascii_lowercase()].concat());
    assert_eq!(raw.line(), answer);
    assert!(raw.silent(), "the cut frame is not answered");
    // Line noise before a frame (no ':' yet) is dropped, and the frame answered.
    raw.send(&[&b"\x00\xffnoise\r\n"[..], &read_reg1(1)].concat());
    assert_eq!(raw.line(), answer);
    // A character that is no hex digit, and CR followed by another character than LF:
    // dropped unanswered, and the next good frame is answered.
    let mut not_hex = read_reg1(1);
    not_hex[4] = b'G';
    raw.send(&not_hex);
    assert!(
        raw.silent(),
        "a frame with a non-hex character is not answered"
    );
    let mut bad_end = read_reg1(1);
    let lf = bad_end.len() - 1;
    bad_end[lf] = b'X';
    raw.send(&bad_end);
    assert!(raw.silent(), "a frame ended by CR X is not answered");
    raw.send(&read_reg1(1));
    assert_eq!(raw.line(), answer);
    // A broadcast write: applied, never answered.
    let mut changes = plc.subscribe();
    raw.send(&frame(0, &[0x06, 0x00, 0x02, 0xBE, 0xEF]));
    let c = changes
        .recv_timeout(DEADLINE)
        .expect("the broadcast was applied");
    assert_eq!((c.address, c.count), (2, 1));
    assert!(raw.silent(), "a broadcast is not answered");
    // An exception still goes to the right unit, in ASCII.
    raw.send(&frame(1, &[0x03, 0x00, 0x40, 0x00, 0x01]));
    assert_eq!(raw.line(), frame(1, &[0x83, 0x02]));
    slave.stop();
}

fn the_master_takes_answers_after_line_noise_and_fails_only_a_request_with_a_bad_lrc() {
    common::init_logging();
    let Some(line) = common::SerialPair::new() else {
        return;
    };
    // The slave is the raw end of the line, answering by hand.
    let mut raw = RawLine::open(line.b());
    let mem = Memory::builder()
        .holding_registers(1)
        .build()
        .expect("build");
    let master = std::sync::Arc::new(
        Master::ascii(line.a(), BAUD)
            .data_bits(8)
            .parity(Parity::None)
            .unit(1)
            .period(Duration::from_secs(3600))
            .response_timeout(Duration::from_millis(500))
            .start(mem.clone())
            .expect("start"),
    );
    let request = frame(1, &[0x03, 0x00, 0x00, 0x00, 0x01]);
    let answer_with = |value: u16| {
        let [hi, lo] = value.to_be_bytes();
        frame(1, &[0x03, 0x02, hi, lo])
    };
    // The first cycle: noise on the line, then the answer.
    assert_eq!(raw.line(), request);
    raw.send(&[&b"\x00\xff#\r\n"[..], &answer_with(7)].concat());
    assert!(
        common::wait_until(DEADLINE, || mem.holding::<u16>(0).expect("declare").get()
            == 7),
        "{:?}",
        master.status()
    );
    // The next: an answer with a bad LRC fails that request, and only that one.
    let m = master.clone();
    let sync = std::thread::spawn(move || m.sync_timeout(DEADLINE));
    assert_eq!(raw.line(), request);
    let mut bad = answer_with(8);
    let at = bad.len() - 3;
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    raw.send(&bad);
    let failed = sync.join().expect("sync thread");
    assert!(failed.is_err(), "a bad LRC is no answer: {failed:?}");
    assert_eq!(
        mem.holding::<u16>(0).expect("declare").get(),
        7,
        "not applied"
    );
    // And the line goes on: the next cycle's answer is taken.
    let m = master.clone();
    let sync = std::thread::spawn(move || m.sync_timeout(DEADLINE));
    assert_eq!(raw.line(), request);
    raw.send(&answer_with(9));
    sync.join().expect("sync thread").expect("a cycle");
    assert_eq!(mem.holding::<u16>(0).expect("declare").get(), 9);
    let s = master.status();
    assert!(s.connected && s.block_errors.is_empty(), "{s:?}");
}

fn serial_ascii_settings_are_checked() {
    let err = Slave::ascii("/dev/null", BAUD)
        .unit(0)
        .serve(Memory::new(1))
        .expect_err("unit 0");
    assert!(err.to_string().contains("1..=247"), "{err}");
    let err = Master::ascii("/dev/null", BAUD)
        .data_bits(9)
        .start(Memory::new(1))
        .expect_err("9 data bits");
    assert!(err.to_string().contains("7 or 8"), "{err}");
    let err = Master::ascii("/dev/null", BAUD)
        .retries(1)
        .start(Memory::new(1))
        .expect_err("retries on a line");
    assert!(
        err.to_string().contains("retries apply to Modbus/UDP"),
        "{err}"
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "msm_master_and_slave_exchange_all_four_areas_over_an_ascii_line",
        run: msm_master_and_slave_exchange_all_four_areas_over_an_ascii_line,
        needs: &["socat"],
    },
    crate::Test {
        name: "the_master_polls_pymodbus_ascii_server",
        run: the_master_polls_pymodbus_ascii_server,
        needs: &["socat", "pymodbus"],
    },
    crate::Test {
        name: "other_units_bad_lrcs_and_restarted_frames_are_ignored_broadcasts_applied_silently",
        run: other_units_bad_lrcs_and_restarted_frames_are_ignored_broadcasts_applied_silently,
        needs: &["socat"],
    },
    crate::Test {
        name: "the_master_takes_answers_after_line_noise_and_fails_only_a_request_with_a_bad_lrc",
        run: the_master_takes_answers_after_line_noise_and_fails_only_a_request_with_a_bad_lrc,
        needs: &["socat"],
    },
    crate::Test {
        name: "serial_ascii_settings_are_checked",
        run: serial_ascii_settings_are_checked,
        needs: &[],
    },
];
