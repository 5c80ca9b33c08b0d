//! Property tests of Modbus ASCII: any frame survives encode → decode, a stream of
//! frames and noise comes out the same however it is cut, and arbitrary bytes never
//! make the decoder or the framer panic.

use std::time::{Duration, Instant};

use msm_proto::ascii::{self, AsciiDiscarded};
use msm_proto::stream::{Delimiter, Framed, Skipped, StreamFramer};
use msm_proto::{MAX_PDU_LEN, Request, rtu, tcp};
use proptest::prelude::*;

fn pdu() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..=MAX_PDU_LEN)
}

/// Bytes that are no part of a frame: anything but `:`.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>().prop_filter("no start", |&c| c != b':'), 1..30)
}

fn end_char() -> impl Strategy<Value = u8> {
    prop_oneof![Just(ascii::LF), Just(ascii::CR), any::<u8>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    /// Any address and PDU round-trip, in upper case as sent and in lower case as some
    /// devices send.
    #[test]
    fn any_frame_round_trips(address: u8, pdu in pdu(), lower: bool) {
        let mut buf = [0u8; ascii::MAX_FRAME_LEN];
        let len = ascii::encode_frame(&mut buf, address, &pdu).expect("fits");
        prop_assert_eq!(len, ascii::frame_len(pdu.len()));
        if lower {
            buf[..len].make_ascii_lowercase();
        }
        let frame = ascii::decode_frame(&mut buf[..len], ascii::LF).expect("valid");
        prop_assert_eq!((frame.address, frame.pdu), (address, &pdu[..]));
    }

    /// Requests framed in ASCII decode to themselves, as in RTU.
    #[test]
    fn requests_survive_ascii_as_rtu(address: u8, register: u16, value: u16, quantity in 1u16..=125) {
        for request in [
            Request::WriteSingleRegister { address: register, value },
            Request::ReadHoldingRegisters { address: register, quantity },
        ] {
            let mut a = [0u8; ascii::MAX_FRAME_LEN];
            let mut r = [0u8; rtu::MAX_FRAME_LEN];
            let len = ascii::encode_request(&mut a, address, &request).expect("fits");
            let rtu_len = rtu::encode_request(&mut r, address, &request).expect("fits");
            prop_assert_eq!(len, 2 * (rtu_len - 2) + 5);
            let frame = ascii::decode_frame(&mut a[..len], ascii::LF).expect("valid");
            prop_assert_eq!(Request::decode(frame.pdu), Ok(request));
        }
    }

    /// Frames with noise between them, cut anywhere, with whatever end character:
    /// every frame comes out whole and in order, and every byte of noise is reported.
    #[test]
    fn a_stream_splits_however_it_is_cut(
        frames in prop::collection::vec((any::<u8>(), pdu(), prop::option::of(noise())), 1..6),
        cuts in prop::collection::vec(1usize..80, 1..40),
        end in end_char(),
    ) {
        prop_assume!(end != b':' && !end.is_ascii_hexdigit());
        let mut stream = Vec::new();
        let mut noise_len = 0;
        for (address, pdu, noise) in &frames {
            if let Some(noise) = noise {
                stream.extend_from_slice(noise);
                noise_len += noise.len();
            }
            let mut buf = [0u8; ascii::MAX_FRAME_LEN];
            let len = ascii::encode_frame(&mut buf, *address, pdu).expect("fits");
            // The end character the framer is told of, instead of LF.
            let len = if end == ascii::CR { len - 1 } else { buf[len - 1] = end; len };
            stream.extend_from_slice(&buf[..len]);
        }
        let now = Instant::now();
        let mut framer = StreamFramer::new(Delimiter::Ascii { char_timeout: ascii::CHAR_TIMEOUT, end });
        let (mut got, mut dropped) = (Vec::new(), 0);
        let mut sent = 0;
        let mut cuts = cuts.into_iter().cycle();
        while sent < stream.len() {
            let chunk = cuts.next().expect("cycle").min(stream.len() - sent);
            sent += framer.push(now, &stream[sent..sent + chunk]);
            while let Some(framed) = framer.poll(now).expect("no stream errors") {
                match framed {
                    Framed::Frame(f) => got.push((f.unit, f.pdu.to_vec())),
                    Framed::Skipped(Skipped::Ascii(AsciiDiscarded::Noise { len })) => dropped += len,
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }
        let want: Vec<(u8, Vec<u8>)> = frames.iter().map(|(a, p, _)| (*a, p.clone())).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(dropped, noise_len);
        prop_assert_eq!(framer.buffered(), 0);
    }
}

/// Bytes that often look like an ASCII frame: `:`, hex digits, CR LF, with slips.
fn ascii_like() -> impl Strategy<Value = Vec<u8>> {
    let framed = (
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 1..40),
        any::<u8>(),
        0usize..200,
    )
        .prop_map(|(address, pdu, slip, at)| {
            let mut buf = [0u8; ascii::MAX_FRAME_LEN];
            let len = ascii::encode_frame(&mut buf, address, &pdu).expect("fits");
            let mut v = buf[..len].to_vec();
            let i = at % v.len();
            v[i] = slip;
            v
        });
    let digits = prop::collection::vec(
        prop::sample::select(b":0123456789abcdefABCDEF\r\n".to_vec()),
        0..300,
    );
    prop_oneof![framed, digits, bytes(600)]
}

/// Up to `max` random bytes, drawn as 64-bit words: eight times fewer value trees than
/// one per byte (as in protocol_props.rs).
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u64>(), 0..=max.div_ceil(8))
        .prop_map(|words| words.iter().flat_map(|w| w.to_le_bytes()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Whatever decodes is a frame of the length its PDU implies; nothing panics.
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in ascii_like(), end in end_char()) {
        let mut copy = bytes.clone();
        if let Ok(frame) = ascii::decode_frame(&mut copy, end) {
            let trailer = if end == ascii::CR { 1 } else { 2 };
            prop_assert_eq!(ascii::frame_len(frame.pdu.len()) - 2 + trailer, bytes.len());
            prop_assert!(!frame.pdu.is_empty() && frame.pdu.len() <= MAX_PDU_LEN);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The framer, fed arbitrary bytes in arbitrary pieces with pauses around its
    /// timeout, never panics and keeps its buffer bounded; frames it gives are whole.
    /// (framer_no_alloc.rs also checks that every byte is accounted for.)
    #[test]
    fn arbitrary_streams_never_panic_the_framer(
        pieces in prop::collection::vec((ascii_like(), 0u64..30), 1..12),
        datagram: bool,
    ) {
        let t0 = Instant::now();
        let mut framer = StreamFramer::with_capacity(
            Delimiter::Ascii { char_timeout: Duration::from_millis(10), end: ascii::LF },
            0,
        );
        let mut now = t0;
        for (bytes, pause) in pieces {
            now += Duration::from_millis(pause);
            if datagram {
                framer.push_datagram(now, &bytes);
            } else {
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let n = framer.push(now, rest);
                    rest = &rest[n..];
                    while let Some(framed) = framer.poll(now).expect("no stream errors") {
                        if let Framed::Frame(f) = framed {
                            prop_assert!(!f.pdu.is_empty() && f.pdu.len() <= MAX_PDU_LEN);
                        }
                    }
                }
            }
            while let Some(framed) = framer.poll(now).expect("no stream errors") {
                if let Framed::Frame(f) = framed {
                    prop_assert!(f.pdu.len() <= MAX_PDU_LEN);
                }
            }
            prop_assert!(framer.buffered() <= framer.capacity());
            prop_assert!(framer.capacity() < 2 * tcp::MAX_FRAME_LEN + 1);
        }
    }
}
