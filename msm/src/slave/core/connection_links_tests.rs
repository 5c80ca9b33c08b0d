//! The connection core on the links of issue 24: Modbus ASCII on a serial line (its
//! characters, its pauses, its input delimiter) and Modbus/UDP (one request per
//! datagram, nothing kept between them).

use super::*;
use crate::memory::{Origin, Peer};
use crate::protocol::ascii::{self, AsciiDiscarded, AsciiError};

fn ascii_conn(t0: Instant) -> Connection<Script> {
    Connection::new(Delimiter::ascii(), Limits::NONE, Script::default(), t0)
}

/// `pdu` for `unit` as an ASCII frame.
fn ascii_frame(unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut buf = [0u8; ascii::MAX_FRAME_LEN];
    let n = ascii::encode_frame(&mut buf, unit, pdu).expect("fits");
    buf[..n].to_vec()
}

#[test]
fn an_ascii_request_is_answered_in_ascii_as_soon_as_it_is_whole() {
    let t0 = Instant::now();
    let mut c = ascii_conn(t0);
    let request = ascii_frame(1, &[6, 0, 1, 0, 10]);
    for (i, b) in request.iter().enumerate() {
        read(&mut c, t0, &[*b]);
        let sent = transmits(&mut c, t0);
        let whole = i + 1 == request.len();
        // No turnaround to wait for: characters, not silences, delimit ASCII frames.
        assert_eq!(
            sent,
            if whole { vec![request.clone()] } else { vec![] },
            "byte {i}"
        );
    }
    read(&mut c, t0, &ascii_frame(2, &[0x44]));
    assert_eq!(transmits(&mut c, t0), [ascii_frame(2, &[0xC4, 0x01])]);
    assert_eq!(
        c.service().seen,
        [
            Seen::Message(1),
            Seen::Answered { exception: false },
            Seen::Message(2),
            Seen::Answered { exception: true },
        ]
    );
}

#[test]
fn a_bad_ascii_frame_is_dropped_and_observed_and_the_next_one_served() {
    let t0 = Instant::now();
    let mut c = ascii_conn(t0);
    let mut bad = ascii_frame(1, &[3, 0, 0, 0, 1]);
    bad[5] = b'G';
    let good = ascii_frame(1, &[3, 0, 0, 0, 2]);
    read(&mut c, t0, &[bad.clone(), good.clone()].concat());
    assert_eq!(transmits(&mut c, t0), [good]);
    assert_eq!(
        c.service().seen[0],
        Seen::Skipped(Skipped::Ascii(AsciiDiscarded::Invalid {
            len: bad.len(),
            error: AsciiError::NotHex { at: 5, byte: b'G' }
        }))
    );
}

#[test]
fn an_ascii_frame_that_pauses_over_a_second_is_dropped_at_the_timeout() {
    let t0 = Instant::now();
    let mut c = ascii_conn(t0);
    let request = ascii_frame(1, &[3, 0, 0, 0, 1]);
    read(&mut c, t0, &request[..7]);
    assert!(transmits(&mut c, t0).is_empty());
    let at = t0 + ascii::CHAR_TIMEOUT;
    assert_eq!(c.poll_timeout(), Some(at));
    c.handle_timeout(at);
    assert!(transmits(&mut c, at).is_empty());
    assert_eq!(
        c.service().seen,
        [Seen::Skipped(Skipped::Ascii(AsciiDiscarded::Timeout {
            len: 7,
            gap: ascii::CHAR_TIMEOUT
        }))]
    );
    assert_eq!(
        c.poll_timeout(),
        Some(later(t0, Duration::MAX)),
        "nothing left to time"
    );
}

/// The slave's own service on an ASCII line, unit 1.
fn ascii_slave(
    t0: Instant,
) -> (
    Memory,
    Arc<crate::slave::config::Rules>,
    Connection<Responder>,
) {
    let mem = Memory::new(4);
    let settings = Config::default()
        .settings(&mem, Framing::Ascii)
        .expect("settings");
    let rules = Arc::clone(&settings.rules);
    let client = Client::Serial {
        line: "ascii line".into(),
    };
    let service = Responder::new(Arc::clone(&rules), mem.clone(), client);
    let c = Connection::new(Delimiter::ascii(), Limits::NONE, service, t0);
    (mem, rules, c)
}

fn respond_all(c: &mut Connection<Responder>, now: Instant, bytes: &[u8]) -> Vec<u8> {
    let space = c.read_space();
    space[..bytes.len()].copy_from_slice(bytes);
    c.filled(now, bytes.len());
    let mut sent = Vec::new();
    while let Some(out) = c.poll_transmit(now) {
        sent.extend_from_slice(out);
        let n = out.len();
        c.transmitted(n);
    }
    sent
}

#[test]
fn the_slave_answers_its_own_address_in_ascii_and_executes_broadcasts_silently() {
    let t0 = Instant::now();
    let (mem, _, mut c) = ascii_slave(t0);
    mem.holding::<u16>(2)
        .expect("var")
        .set(0x1234)
        .expect("set");
    let read_two = ascii_frame(1, &[3, 0, 2, 0, 1]);
    assert_eq!(
        respond_all(&mut c, t0, &read_two),
        ascii_frame(1, &[3, 2, 0x12, 0x34])
    );
    let broadcast = ascii_frame(0, &[6, 0, 3, 0, 9]);
    assert!(respond_all(&mut c, t0, &broadcast).is_empty());
    assert_eq!(mem.holding::<u16>(3).expect("var").get(), 9, "executed");
    assert!(respond_all(&mut c, t0, &ascii_frame(2, &[3, 0, 0, 0, 1])).is_empty());
    assert_eq!(
        respond_all(&mut c, t0, &ascii_frame(1, &[3, 0, 9, 0, 1])),
        ascii_frame(1, &[0x83, 2]),
        "exceptions as on RTU"
    );
}

#[test]
fn the_ascii_input_delimiter_is_the_slaves_and_applies_to_the_next_frame() {
    let t0 = Instant::now();
    let (_, rules, mut c) = ascii_slave(t0);
    let read_one = ascii_frame(1, &[3, 0, 0, 0, 1]);
    let answer = ascii_frame(1, &[3, 2, 0, 0]);
    assert_eq!(respond_all(&mut c, t0, &read_one), answer);
    // FC08/03 stores the new delimiter per slave: '!' ends frames from now on.
    rules.diagnostics.set_ascii_delimiter(b'!');
    let mut bang = read_one.clone();
    *bang.last_mut().expect("LF") = b'!';
    assert_eq!(
        respond_all(&mut c, t0, &bang),
        answer,
        "answers still end with CR LF"
    );
    assert!(
        respond_all(&mut c, t0, &read_one).is_empty(),
        "LF ends nothing now"
    );
    rules.diagnostics.set_ascii_delimiter(ascii::LF);
    // The rest of the refused frame (its LF) is noise before the next ':'.
    assert_eq!(respond_all(&mut c, t0, &read_one), answer);
}

fn datagram_conn(t0: Instant) -> Connection<Script> {
    Connection::new(Delimiter::Mbap, Limits::NONE, Script::default(), t0)
}

#[test]
fn a_datagram_of_one_request_is_answered_and_anything_else_dropped_whole() {
    let t0 = Instant::now();
    let mut c = datagram_conn(t0);
    let one = mbap(7, 1, &[3, 0, 0, 0, 1]);
    c.handle_datagram(t0, &one);
    assert_eq!(transmits(&mut c, t0), std::slice::from_ref(&one));
    // Two requests in one datagram: neither is executed.
    c.handle_datagram(t0, &[one.clone(), mbap(8, 1, &[3, 0, 0, 0, 2])].concat());
    assert!(transmits(&mut c, t0).is_empty());
    // A request cut short, then its rest: two bad datagrams, not one good request.
    c.handle_datagram(t0, &one[..5]);
    assert!(transmits(&mut c, t0).is_empty());
    c.handle_datagram(t0, &one[5..]);
    assert!(transmits(&mut c, t0).is_empty());
    assert_eq!(c.service().requests.len(), 1, "only the first was executed");
    let skipped: Vec<&Seen> = c
        .service()
        .seen
        .iter()
        .filter(|s| matches!(s, Seen::Skipped(Skipped::Datagram { .. })))
        .collect();
    assert_eq!(skipped.len(), 3, "{:?}", c.service().seen);
    assert_eq!(c.poll_close(), None, "no stream to lose step with");
    c.handle_datagram(t0, &one);
    assert_eq!(transmits(&mut c, t0), [one]);
}

#[test]
fn a_write_in_a_datagram_is_the_senders() {
    let t0 = Instant::now();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 40_404).into();
    let (mem, mut service) = responder(Config::default(), Framing::Mbap, tcp_client());
    service.datagram_from(addr);
    let mut changes = mem.subscribe();
    let mut c = Connection::new(Delimiter::Mbap, Limits::NONE, service, t0);
    let write = mbap(3, 1, &[6, 0, 1, 0, 5]);
    c.handle_datagram(t0, &write);
    assert_eq!(c.poll_transmit(t0), Some(&write[..]));
    let change = changes.try_recv().expect("open").expect("a change");
    assert_eq!(change.origin, Origin::Remote(Peer::Udp(addr)));
}
