//! The serial-line functions and the diagnostics, through the slave's service as a
//! connection drives it (`observe` the frame, `respond`, `observe` the answer): FC07,
//! every FC08 sub-function, FC11, FC12, FC17, FC20, FC21, FC24, and what each counts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;
use crate::memory::{Area, Memory, Origin};
use crate::protocol::rtu::RtuError;
use crate::protocol::stream::{Discarded, Skipped};
use crate::protocol::{DiagnosticCounter, ExceptionCode};
use crate::slave::config::Config;
use crate::transport::Framing;
use crate::types::ServerId;

/// A slave's service, and the requests a connection hands it.
struct Bus {
    responder: Responder,
    rules: Arc<Rules>,
    mem: Memory,
}

fn memory() -> Memory {
    Memory::builder()
        .coils(16)
        .holding_registers(40)
        .file(4, 20)
        .file(3, 10)
        .build()
        .expect("memory")
}

impl Bus {
    fn new(config: Config, framing: Framing) -> Bus {
        let mem = memory();
        let settings = config.settings(&mem, framing).expect("settings");
        let rules = settings.rules.clone();
        let client = Client::Tcp {
            addr: SocketAddr::from(([127, 0, 0, 1], 40000)),
            role: None,
        };
        Bus {
            responder: Responder::new(rules.clone(), mem.clone(), client),
            rules,
            mem,
        }
    }

    fn tcp() -> Bus {
        Bus::new(Config::default(), Framing::Mbap)
    }

    /// The request `pdu` for `unit`, as a connection hands it over: the response PDU,
    /// or `None` for none.
    fn to(&mut self, unit: u8, pdu: &[u8]) -> Option<Vec<u8>> {
        self.responder.observe(Observed::Message { unit });
        let request = Incoming {
            transaction_id: Some(1),
            unit,
            pdu,
            at: Instant::now(),
        };
        let mut out = [0u8; 253];
        match self.responder.respond(&request, &mut out) {
            Answer::Pdu(len) => {
                let exception = match out[..len] {
                    [f, code] if f & 0x80 != 0 => Some(code),
                    _ => None,
                };
                self.responder.observe(Observed::Answered { exception });
                Some(out[..len].to_vec())
            }
            Answer::Nothing(why) => {
                self.responder.observe(Observed::Unanswered(why));
                None
            }
            other => panic!("{other:?}"),
        }
    }

    fn ask(&mut self, pdu: &[u8]) -> Option<Vec<u8>> {
        self.to(1, pdu)
    }

    fn counter(&self, counter: DiagnosticCounter) -> u16 {
        self.rules.diagnostics.snapshot().counter(counter)
    }

    fn events(&self) -> Vec<u8> {
        self.rules.diagnostics.snapshot().events
    }
}

fn exception(function: u8, code: ExceptionCode) -> Option<Vec<u8>> {
    Some(vec![function | 0x80, code.value()])
}

#[test]
fn fc07_reports_the_eight_coils_or_zero() {
    let mut plain = Bus::tcp();
    assert_eq!(plain.ask(&[0x07]), Some(vec![0x07, 0x00]));
    let mut bus = Bus::new(
        Config {
            exception_status_coils: Some(4),
            ..Config::default()
        },
        Framing::Mbap,
    );
    for coil in [4u16, 6, 11] {
        bus.mem
            .coil::<bool>(coil)
            .expect("coil")
            .set(true)
            .expect("set");
    }
    bus.mem
        .coil::<bool>(12)
        .expect("coil")
        .set(true)
        .expect("set"); // the ninth: not reported
    assert_eq!(bus.ask(&[0x07]), Some(vec![0x07, 0b1000_0101]));
    assert_eq!(
        bus.ask(&[0x07, 0x00]),
        exception(0x07, ExceptionCode::IllegalDataValue)
    );
}

#[test]
fn fc08_echoes_counts_and_clears() {
    let mut bus = Bus::tcp();
    assert_eq!(
        bus.ask(&[0x08, 0, 0, 0xA5, 0x37]),
        Some(vec![0x08, 0, 0, 0xA5, 0x37])
    );
    bus.ask(&[0x03, 0, 0, 0, 200]); // 02: past the holding registers
    bus.to(2, &[0x03, 0, 0, 0, 1]); // TCP: any unit is served
    let counter = |bus: &mut Bus, sub: u8| {
        let answer = bus.ask(&[0x08, 0, sub, 0, 0]).expect("an answer");
        assert_eq!(answer[..3], [0x08, 0, sub]);
        u16::from_be_bytes([answer[3], answer[4]])
    };
    // Counted before this request is answered: the three before it and itself.
    assert_eq!(counter(&mut bus, 0x0B), 4, "bus messages");
    assert_eq!(counter(&mut bus, 0x0D), 1, "exceptions");
    assert_eq!(counter(&mut bus, 0x0E), 6, "server messages");
    for sub in [0x0C, 0x0F, 0x10, 0x11, 0x12] {
        assert_eq!(counter(&mut bus, sub), 0, "sub-function {sub:#x}");
    }
    assert_eq!(counter(&mut bus, 0x02), 0, "diagnostic register");
    assert_eq!(
        bus.ask(&[0x08, 0, 0x0A, 0, 0]),
        Some(vec![0x08, 0, 0x0A, 0, 0])
    );
    assert_eq!(counter(&mut bus, 0x0B), 1, "cleared, then this request");
    // Data that breaks the sub-function's rule: 03; an undefined sub-function: 01.
    assert_eq!(
        bus.ask(&[0x08, 0, 0x0B, 0, 1]),
        exception(0x08, ExceptionCode::IllegalDataValue)
    );
    assert_eq!(
        bus.ask(&[0x08, 0, 0x15, 0, 0]),
        exception(0x08, ExceptionCode::IllegalFunction)
    );
}

#[test]
fn fc08_03_changes_the_ascii_delimiter() {
    let mut bus = Bus::tcp();
    assert_eq!(bus.responder.ascii_end(), b'\n');
    assert_eq!(
        bus.ask(&[0x08, 0, 3, b'\r', 0]),
        Some(vec![0x08, 0, 3, b'\r', 0])
    );
    assert_eq!(bus.responder.ascii_end(), b'\r');
    assert_eq!(bus.rules.diagnostics.snapshot().ascii_delimiter, b'\r');
}

#[test]
fn listen_only_answers_nothing_until_a_restart() {
    let mut bus = Bus::tcp();
    assert_eq!(
        bus.ask(&[0x08, 0, 4, 0, 0]),
        None,
        "FC08/04 is not answered"
    );
    assert!(bus.rules.diagnostics.listen_only());
    // Not executed, not answered, not even with an exception.
    assert_eq!(bus.ask(&[0x06, 0, 0, 0, 9]), None);
    assert_eq!(bus.mem.holding::<u16>(0).expect("var").get(), 0);
    assert_eq!(bus.ask(&[0x41]), None);
    assert_eq!(bus.counter(DiagnosticCounter::ServerNoResponses), 3);
    assert_eq!(bus.counter(DiagnosticCounter::BusMessages), 3);
    // The restart leaves it, unanswered, and starts the counters again.
    assert_eq!(bus.ask(&[0x08, 0, 1, 0, 0]), None);
    assert!(!bus.rules.diagnostics.listen_only());
    assert_eq!(bus.counter(DiagnosticCounter::BusMessages), 0);
    assert_eq!(bus.ask(&[0x06, 0, 0, 0, 9]), Some(vec![0x06, 0, 0, 0, 9]));
    // Newest first: the write's send and receive events, the restart after its own
    // receive event, each receive event in listen-only mode (bit 5) after the send event
    // (no response, bit 5) before it, and FC08/04's: its send event, 0x04, its receive.
    assert_eq!(
        bus.events(),
        [
            0x40, 0x80, 0x00, 0xA0, 0x60, 0xA0, 0x60, 0xA0, 0x60, 0x04, 0x80
        ]
    );
}

#[test]
fn a_restart_answers_first_and_clears_the_log_with_ff00() {
    let mut bus = Bus::tcp();
    bus.ask(&[0x03, 0, 0, 0, 1]);
    assert_eq!(bus.ask(&[0x08, 0, 1, 0, 0]), Some(vec![0x08, 0, 1, 0, 0]));
    assert_eq!(bus.counter(DiagnosticCounter::BusMessages), 0);
    assert_eq!(
        bus.events()[..2],
        [0x00, 0x40],
        "restart after the answer's send event"
    );
    assert_eq!(bus.events().len(), 5, "the log kept");
    assert_eq!(
        bus.ask(&[0x08, 0, 1, 0xFF, 0]),
        Some(vec![0x08, 0, 1, 0xFF, 0])
    );
    assert_eq!(bus.events(), [0x00], "the log cleared");
}

#[test]
fn bus_errors_overruns_and_their_clear() {
    let mut bus = Bus::tcp();
    let crc = Skipped::Rtu(Discarded::Invalid {
        len: 8,
        error: RtuError::Crc {
            expected: 1,
            found: 2,
        },
    });
    let overrun = Skipped::Rtu(Discarded::Overrun { len: 300 });
    let foreign = Skipped::Foreign {
        transaction_id: 1,
        protocol_id: 9,
        len: 8,
    };
    for skipped in [&crc, &crc, &overrun, &foreign] {
        bus.responder.observe(Observed::Skipped(skipped));
    }
    assert_eq!(bus.counter(DiagnosticCounter::BusCommunicationErrors), 2);
    assert_eq!(bus.counter(DiagnosticCounter::BusCharacterOverruns), 1);
    assert_eq!(bus.events(), [0x90, 0x82, 0x82]);
    assert_eq!(
        bus.ask(&[0x08, 0, 2, 0, 0]),
        Some(vec![0x08, 0, 2, 0, 1]),
        "overrun flag"
    );
    assert_eq!(
        bus.ask(&[0x08, 0, 0x14, 0, 0]),
        Some(vec![0x08, 0, 0x14, 0, 0])
    );
    assert_eq!(bus.ask(&[0x08, 0, 2, 0, 0]), Some(vec![0x08, 0, 2, 0, 0]));
    assert_eq!(bus.counter(DiagnosticCounter::BusCharacterOverruns), 0);
    assert_eq!(bus.counter(DiagnosticCounter::BusCommunicationErrors), 2);
}

#[test]
fn rtu_broadcasts_and_other_units_count_as_the_spec_says() {
    let mut bus = Bus::new(Config::default(), Framing::Rtu);
    assert_eq!(
        bus.to(0, &[0x06, 0, 1, 0, 7]),
        None,
        "a broadcast: executed, unanswered"
    );
    assert_eq!(bus.mem.holding::<u16>(1).expect("var").get(), 7);
    assert_eq!(
        bus.to(9, &[0x03, 0, 0, 0, 1]),
        None,
        "another device's request"
    );
    assert!(bus.to(1, &[0x03, 0, 0, 0, 1]).is_some());
    assert_eq!(bus.counter(DiagnosticCounter::BusMessages), 3);
    assert_eq!(bus.counter(DiagnosticCounter::ServerMessages), 2);
    assert_eq!(bus.counter(DiagnosticCounter::ServerNoResponses), 1);
    // Newest first: the read, then the broadcast's send event and its receive event
    // (bit 6); the other device's request is not logged.
    assert_eq!(bus.events(), [0x40, 0x80, 0x40, 0xC0]);
}

#[test]
fn fc11_and_fc12_report_the_event_counter_and_log() {
    let mut bus = Bus::tcp();
    bus.ask(&[0x03, 0, 0, 0, 1]);
    bus.ask(&[0x03, 0, 0, 0, 200]); // an exception: not an event
    bus.ask(&[0x0B]); // a fetch: not an event
    assert_eq!(bus.ask(&[0x0B]), Some(vec![0x0B, 0, 0, 0, 1]));
    let log = bus.ask(&[0x0C]).expect("the log");
    // Status 0, 1 event, 5 messages (this one included), then the events newest first:
    // this request's receive event, each FC11's send and receive events, the
    // exception's (bit 0: a read exception), the first read's.
    assert_eq!(log[..8], [0x0C, 6 + 9, 0, 0, 0, 1, 0, 5]);
    assert_eq!(
        log[8..],
        [0x80, 0x40, 0x80, 0x40, 0x80, 0x41, 0x80, 0x40, 0x80]
    );
    assert_eq!(
        bus.ask(&[0x0C, 0]),
        exception(0x0C, ExceptionCode::IllegalDataValue)
    );
}

#[test]
fn fc17_reports_the_unit_or_the_server_id() {
    let mut bus = Bus::tcp();
    let answer = bus.to(5, &[0x11]).expect("an answer");
    let version = concat!("msm ", env!("CARGO_PKG_VERSION")).as_bytes();
    assert_eq!(answer[..4], [0x11, (2 + version.len()) as u8, 5, 0xFF]);
    assert_eq!(&answer[4..], version);
    let mut bus = Bus::new(
        Config {
            server_id: ServerId {
                id: Some(vec![0, 42]),
                run: false,
                additional_data: b"x".to_vec(),
            },
            ..Config::default()
        },
        Framing::Mbap,
    );
    assert_eq!(bus.ask(&[0x11]), Some(vec![0x11, 4, 0, 42, 0x00, b'x']));
}

#[test]
fn fc20_reads_several_sub_requests_or_refuses_with_02() {
    let mut bus = Bus::tcp();
    bus.mem
        .file(4)
        .expect("file")
        .write(1, &[0x0DFE, 0x0020])
        .expect("write");
    bus.mem
        .file(3)
        .expect("file")
        .write(9, &[0x33CD])
        .expect("write");
    // The spec's example, with file 3 holding records 0..=9.
    let request = [0x14, 14, 6, 0, 4, 0, 1, 0, 2, 6, 0, 3, 0, 8, 0, 2];
    assert_eq!(
        bus.ask(&request),
        Some(vec![
            0x14, 12, 5, 6, 0x0D, 0xFE, 0x00, 0x20, 5, 6, 0, 0, 0x33, 0xCD
        ])
    );
    let past_the_end = [0x14, 7, 6, 0, 3, 0, 9, 0, 2];
    assert_eq!(
        bus.ask(&past_the_end),
        exception(0x14, ExceptionCode::IllegalDataAddress)
    );
    let no_such_file = [0x14, 7, 6, 0, 5, 0, 0, 0, 1];
    assert_eq!(
        bus.ask(&no_such_file),
        exception(0x14, ExceptionCode::IllegalDataAddress)
    );
    let reference_type = [0x14, 7, 5, 0, 4, 0, 0, 0, 1];
    assert_eq!(
        bus.ask(&reference_type),
        exception(0x14, ExceptionCode::IllegalDataAddress)
    );
    let byte_count = [0x14, 6, 6, 0, 4, 0, 0, 0];
    assert_eq!(
        bus.ask(&byte_count),
        exception(0x14, ExceptionCode::IllegalDataValue)
    );
}

/// What a write validator saw: (file, first record or address, count).
type SeenWrites = Arc<Mutex<Vec<(Option<u16>, u16, u16)>>>;

#[test]
fn fc21_writes_whole_or_not_at_all_and_is_published() {
    let seen: SeenWrites = Arc::default();
    let log = seen.clone();
    let mut bus = Bus::new(
        Config {
            validator: Some(Arc::new(move |w| {
                log.lock().expect("log").push((w.file, w.address, w.count));
                Ok(())
            })),
            ..Config::default()
        },
        Framing::Mbap,
    );
    let mut changes = bus.mem.subscribe().with_files();
    let request = [
        0x15, 0x16, 6, 0, 4, 0, 7, 0, 3, 0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D, 6, 0, 3, 0, 0, 0, 1,
        0, 9,
    ];
    assert_eq!(bus.ask(&request), Some(request.to_vec()), "echoed");
    assert_eq!(
        bus.mem.file(4).expect("file").read(7, 3).expect("read"),
        [0x06AF, 0x04BE, 0x100D]
    );
    assert_eq!(bus.mem.file(3).expect("file").get(0).expect("read"), 9);
    assert_eq!(
        *seen.lock().expect("log"),
        [(Some(4), 7, 3), (Some(3), 0, 1)]
    );
    let first = changes
        .try_recv_stamped()
        .expect("no lag")
        .expect("a change");
    assert_eq!((first.file, first.address, first.count), (Some(4), 7, 3));
    assert!(matches!(first.origin, Origin::Remote(_)));
    assert_eq!(first.area, Area::Holding);
    assert!(changes.try_recv_stamped().expect("no lag").is_some());
    // The second sub-request runs past file 3: nothing is written.
    let request = [
        0x15, 0x14, 6, 0, 4, 0, 0, 0, 1, 0, 1, 6, 0, 3, 0, 9, 0, 2, 0, 1, 0, 2,
    ];
    assert_eq!(
        bus.ask(&request),
        exception(0x15, ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(bus.mem.file(4).expect("file").get(0).expect("read"), 0);
    assert_eq!(changes.try_recv_stamped().expect("no lag"), None);
}

#[test]
fn fc24_reads_declared_fifos_only() {
    let mut bus = Bus::new(
        Config {
            fifos: vec![0, 39, 20],
            ..Config::default()
        },
        Framing::Mbap,
    );
    let holding = bus.mem.holding_raw(0, 4).expect("var");
    holding.set(vec![2, 0x01B8, 0x1284, 99]).expect("set");
    assert_eq!(
        bus.ask(&[0x18, 0, 0]),
        Some(vec![0x18, 0, 6, 0, 2, 0x01, 0xB8, 0x12, 0x84])
    );
    assert_eq!(
        bus.ask(&[0x18, 0, 1]),
        exception(0x18, ExceptionCode::IllegalDataAddress)
    );
    // An empty FIFO at the last register: its count only.
    assert_eq!(bus.ask(&[0x18, 0, 39]), Some(vec![0x18, 0, 2, 0, 0]));
    // 31 registers fit, 32 are 03; a count running past the area is 02.
    let fifo = bus.mem.holding::<u16>(20).expect("var");
    fifo.set(32).expect("set");
    assert_eq!(
        bus.ask(&[0x18, 0, 20]),
        exception(0x18, ExceptionCode::IllegalDataValue)
    );
    fifo.set(31).expect("set");
    assert_eq!(
        bus.ask(&[0x18, 0, 20]),
        exception(0x18, ExceptionCode::IllegalDataAddress)
    );
    bus.mem
        .holding::<u16>(39)
        .expect("var")
        .set(1)
        .expect("set");
    assert_eq!(
        bus.ask(&[0x18, 0, 39]),
        exception(0x18, ExceptionCode::IllegalDataAddress)
    );
    fifo.set(19).expect("set");
    let answer = bus.ask(&[0x18, 0, 20]).expect("an answer");
    assert_eq!(
        (answer.len(), answer[..5].to_vec()),
        (5 + 38, vec![0x18, 0, 40, 0, 19])
    );
}
