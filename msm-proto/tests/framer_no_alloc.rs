//! The framers as a program without std drives them: a buffer on the stack (an array, or
//! a slice of one) and `core::time::Duration`s since an origin for instants. Nothing here
//! uses an allocator or std's clock, except the property test's inputs and its tally.

use core::time::Duration;

use msm_proto::rtu::{self, Direction, RtuError};
use msm_proto::rtu_framer::{self, RtuFramer};
use msm_proto::stream::{
    AsciiDiscarded, BufferTooSmall, Delimiter, Discarded, Framed, Framer, MIN_CAPACITY, Skipped,
    StreamError, Timing,
};
use msm_proto::{ascii, tcp};
use proptest::prelude::*;

/// FC6 write of register 1 = 3 to unit 0x11, with its CRC.
const FC6: [u8; 8] = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
/// FC8 echo (its length can't be told from its header), with its CRC.
const FC8: [u8; 8] = [0x01, 0x08, 0x00, 0x00, 0xA5, 0x37, 0xDA, 0x8D];

fn serial() -> Delimiter {
    Delimiter::RtuBySilence {
        direction: Direction::Request,
        timing: Timing::for_baud(9600, 11),
    }
}

/// `n` character times at 9600 baud, 11 bits per character.
fn chars(n: u64) -> Duration {
    Duration::from_nanos(n * 11 * 1_000_000_000 / 9600)
}

#[test]
fn the_constants_are_what_the_buffers_assume() {
    assert_eq!(rtu::crc16(&FC8[..6]).to_le_bytes(), [FC8[6], FC8[7]]);
    assert_eq!(rtu::crc16(&FC6[..6]).to_le_bytes(), [FC6[6], FC6[7]]);
    assert_eq!(MIN_CAPACITY, 2 * tcp::MAX_FRAME_LEN);
}

#[test]
fn pipelined_mbap_requests_come_out_of_an_array_owned_by_the_framer() {
    let mut framer = Framer::with_buffer(Delimiter::Mbap, [0u8; MIN_CAPACITY])
        .expect("a buffer of MIN_CAPACITY");
    let mut stream = [0u8; 9 * 100];
    for (i, frame) in stream.chunks_exact_mut(9).enumerate() {
        frame.copy_from_slice(&[0, i as u8, 0, 0, 0, 3, 1, 0x41, i as u8]);
    }
    let mut seen = 0u8;
    let mut now = Duration::from_secs(1);
    // Reads of 97 bytes straight into the framer's space, which cut frames anywhere.
    for chunk in stream.chunks(97) {
        let space = framer.read_space();
        assert!(space.len() >= chunk.len());
        space[..chunk.len()].copy_from_slice(chunk);
        framer.filled(now, chunk.len());
        while let Some(framed) = framer.poll(now).expect("valid MBAP") {
            let Framed::Frame(f) = framed else {
                panic!("{framed:?}")
            };
            assert_eq!(
                (f.transaction_id, f.unit, f.pdu),
                (Some(u16::from(seen)), 1, &[0x41, seen][..])
            );
            seen += 1;
        }
        now += Duration::from_millis(1);
    }
    assert_eq!(seen, 100);
    assert_eq!(framer.buffered(), 0);
    assert_eq!(framer.poll_timeout(), None, "MBAP never times");
}

#[test]
fn a_serial_line_on_a_borrowed_buffer_ends_frames_on_silence() {
    let mut buf = [0u8; 600];
    let mut framer = Framer::with_buffer(serial(), &mut buf[..]).expect("a buffer of MIN_CAPACITY");
    let t0 = Duration::from_millis(5);
    framer.push(t0, &FC8);
    // FC8's length is unknown: the frame waits for 3.5 characters of silence.
    assert_eq!(framer.poll(t0 + chars(3)), Ok(None));
    let at = framer.poll_timeout().expect("a deadline");
    assert_eq!(at, t0 + Timing::for_baud(9600, 11).frame_gap);
    let Ok(Some(Framed::Frame(f))) = framer.poll(at) else {
        panic!()
    };
    assert_eq!((f.unit, f.pdu), (0x01, &FC8[1..6]));
    assert_eq!(framer.poll_timeout(), None);

    // A gap of 2 characters inside a frame spoils it; 1 character does not.
    let t1 = at + chars(10);
    framer.push(t1, &FC6[..4]);
    framer.push(t1 + chars(2), &FC6[4..]);
    assert!(matches!(
        framer.poll(t1 + chars(2)),
        Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::CharGap {
            len: 8,
            ..
        }))))
    ));
    let t2 = t1 + chars(10);
    framer.push(t2, &FC6[..4]);
    framer.push(t2 + chars(1), &FC6[4..]);
    assert!(matches!(framer.poll(t2 + chars(1)), Ok(Some(Framed::Frame(f))) if f.unit == 0x11));
}

#[test]
fn the_rtu_framer_runs_on_a_stack_buffer_too() {
    let mut buf = [0u8; MIN_CAPACITY];
    let timing = Timing::for_baud(19_200, 11);
    let mut framer = RtuFramer::with_buffer(Direction::Request, timing, &mut buf[..])
        .expect("a buffer of MIN_CAPACITY");
    let t0 = Duration::ZERO;
    let mut two = [0u8; 16];
    two[..8].copy_from_slice(&FC6);
    two[8..].copy_from_slice(&FC6);
    framer.push(t0, &two);
    for _ in 0..2 {
        assert!(matches!(framer.poll(t0), Some(rtu_framer::Framed::Frame(f)) if f.address == 0x11));
    }
    assert!(framer.poll(t0).is_none());
    let mut bad = FC6;
    bad[7] ^= 0xFF;
    framer.push(t0, &bad);
    assert!(matches!(
        framer.poll(t0),
        Some(rtu_framer::Framed::Discarded(Discarded::Invalid {
            len: 8,
            error: RtuError::Crc { .. }
        }))
    ));
}

#[test]
fn a_buffer_under_the_minimum_is_refused_with_what_it_needs() {
    let err = Framer::<_, Duration>::with_buffer(Delimiter::Mbap, [0u8; MIN_CAPACITY - 1]);
    assert_eq!(
        err.err(),
        Some(BufferTooSmall {
            len: MIN_CAPACITY - 1,
            min: MIN_CAPACITY
        })
    );
    let mut tiny = [0u8; 8];
    let err = RtuFramer::<_, Duration>::with_buffer(
        Direction::Response,
        Timing::for_baud(9600, 11),
        &mut tiny[..],
    );
    assert_eq!(
        err.err(),
        Some(BufferTooSmall {
            len: 8,
            min: MIN_CAPACITY
        })
    );
}

#[test]
fn a_deadline_past_what_the_instant_holds_never_comes_and_does_not_panic() {
    let mut framer =
        Framer::with_buffer(serial(), [0u8; MIN_CAPACITY]).expect("a buffer of MIN_CAPACITY");
    framer.push(Duration::MAX, &FC8[..3]);
    assert_eq!(framer.poll_timeout(), None);
    assert_eq!(framer.poll(Duration::MAX), Ok(None));
}

#[test]
fn an_instant_earlier_than_the_last_is_no_silence() {
    // A caller whose clock stepped back: the gap counts as none, the frame goes on.
    let mut framer =
        Framer::with_buffer(serial(), [0u8; MIN_CAPACITY]).expect("a buffer of MIN_CAPACITY");
    let t0 = Duration::from_secs(10);
    framer.push(t0, &FC6[..4]);
    framer.push(t0 - Duration::from_secs(5), &FC6[4..]);
    assert!(matches!(framer.poll(t0), Ok(Some(Framed::Frame(f))) if f.pdu == &FC6[1..6]));
}

#[test]
fn a_frame_sealed_by_a_silence_and_never_polled_is_reported_when_the_next_silence_drops_it() {
    let mut framer =
        Framer::with_buffer(serial(), [0u8; MIN_CAPACITY]).expect("a buffer of MIN_CAPACITY");
    let t0 = Duration::ZERO;
    // Three frames of unknown length, each after a silence, and no poll in between.
    framer.push(t0, &FC8);
    framer.push(t0 + chars(10), &FC8);
    framer.push(t0 + chars(20), &FC8);
    let now = t0 + chars(20);
    assert_eq!(
        framer.poll(now),
        Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::Overrun {
            len: 8
        }))))
    );
    assert!(matches!(framer.poll(now), Ok(Some(Framed::Frame(f))) if f.pdu == &FC8[1..6]));
    assert_eq!(
        framer.poll(now),
        Ok(None),
        "the third waits for its silence"
    );
    let at = framer.poll_timeout().expect("a deadline");
    assert!(matches!(framer.poll(at), Ok(Some(Framed::Frame(f))) if f.pdu == &FC8[1..6]));
}

#[test]
fn reading_into_a_full_buffer_without_polling_is_an_mbap_stream_error_reported_once() {
    let mut framer = Framer::with_buffer(Delimiter::Mbap, [0u8; MIN_CAPACITY])
        .expect("a buffer of MIN_CAPACITY");
    let now = Duration::ZERO;
    let frame = [0, 1, 0, 0, 0, 2, 1, 0x41];
    let mut read = 0;
    // A caller that reads and reads and never polls.
    while read <= MIN_CAPACITY {
        let space = framer.read_space();
        let n = space.len().min(frame.len());
        space[..n].copy_from_slice(&frame[..n]);
        framer.filled(now, n);
        read += n;
    }
    let dropped = read - framer.buffered();
    assert!(dropped >= MIN_CAPACITY - tcp::MAX_FRAME_LEN, "{dropped}");
    assert_eq!(framer.poll(now), Err(StreamError::Overrun { len: dropped }));
    assert_ne!(
        framer.poll(now),
        Err(StreamError::Overrun { len: dropped }),
        "reported once"
    );
    framer.clear();
    assert_eq!(framer.buffered(), 0);
}

#[test]
fn a_chunk_larger_than_the_buffer_keeps_its_newest_bytes_and_reports_the_rest() {
    let mut framer = RtuFramer::with_buffer(
        Direction::Request,
        Timing::for_baud(9600, 11),
        [0u8; MIN_CAPACITY],
    )
    .expect("a buffer of MIN_CAPACITY");
    let now = Duration::ZERO;
    framer.push(now, &FC6[..3]); // a partial frame, then a long burst of noise
    let mut chunk = [0u8; 1000];
    let len = chunk.len();
    chunk[len - 8..].copy_from_slice(&FC6);
    framer.push(now, &chunk);
    assert_eq!(
        framer.poll(now),
        Some(rtu_framer::Framed::Discarded(Discarded::Overrun {
            len: 3 + 1000 - MIN_CAPACITY
        }))
    );
    // Then the kept bytes: noise (address 0, function 0: an illegal function), reported.
    let mut reported = 0;
    while let Some(rtu_framer::Framed::Discarded(d)) = framer.poll(now) {
        reported += match d {
            Discarded::Invalid { len, .. } | Discarded::Incomplete { len } => len,
            other => panic!("{other:?}"),
        };
    }
    assert!(reported > 0 && reported <= MIN_CAPACITY);
}

/// What a caller does next in the property test.
#[derive(Clone, Debug)]
enum Step {
    /// Bytes arriving `after` microseconds, pushed (or read into the framer's space).
    Bytes {
        after: u32,
        bytes: Vec<u8>,
        read: bool,
    },
    /// Polling until `None` after `after` microseconds.
    Poll { after: u32 },
}

/// Microseconds: mostly around a serial line's silences, sometimes a TCP stream's.
fn gap() -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0u32..6000, 1 => 400_000u32..700_000]
}

/// Bytes as ASCII lines carry them: mostly hex digits, some `:`, CR and LF, some whole
/// frames, and noise.
fn ascii_like() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = prop::sample::select(b"0123456789ABCDEFa:\r\n\x00".to_vec());
    let frame = (any::<u8>(), prop::collection::vec(any::<u8>(), 1..60)).prop_map(|(a, pdu)| {
        let mut buf = [0u8; ascii::MAX_FRAME_LEN];
        let n = ascii::encode_frame(&mut buf, a, &pdu).expect("a PDU that fits");
        buf[..n].to_vec()
    });
    let piece = prop_oneof![
        prop::collection::vec(alphabet, 1..40),
        frame,
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn step() -> impl Strategy<Value = Step> {
    let bytes = prop_oneof![prop::collection::vec(any::<u8>(), 0..300), ascii_like()];
    prop_oneof![
        3 => (gap(), bytes, any::<bool>())
            .prop_map(|(after, bytes, read)| Step::Bytes { after, bytes, read }),
        2 => gap().prop_map(|after| Step::Poll { after }),
    ]
}

fn delimiter() -> impl Strategy<Value = Delimiter> {
    prop_oneof![
        Just(Delimiter::Mbap),
        Just(Delimiter::rtu_over_tcp(Direction::Request)),
        Just(Delimiter::rtu_over_tcp(Direction::Response)),
        Just(serial()),
        Just(Delimiter::RtuBySilence {
            direction: Direction::Response,
            timing: Timing {
                char_gap: None,
                frame_gap: Duration::from_micros(1750)
            },
        }),
        Just(Delimiter::ascii()),
        // A short timeout, so that the gaps drawn cross it.
        Just(Delimiter::Ascii {
            char_timeout: Duration::from_millis(3),
            end: ascii::LF
        }),
        Just(Delimiter::Ascii {
            char_timeout: Duration::from_millis(3),
            end: ascii::CR
        }),
    ]
}

/// The bytes a poll accounts for: a frame's whole length, or what it says it dropped.
fn accounted(delimiter: Delimiter, framed: &Framed<'_>) -> usize {
    match framed {
        Framed::Frame(f) if f.transaction_id.is_some() => tcp::HEADER_LEN + f.pdu.len(),
        Framed::Frame(f) => match delimiter {
            Delimiter::Ascii { end: ascii::CR, .. } => ascii::frame_len(f.pdu.len()) - 1,
            Delimiter::Ascii { .. } => ascii::frame_len(f.pdu.len()),
            _ => 3 + f.pdu.len(),
        },
        Framed::Skipped(Skipped::Ascii(
            AsciiDiscarded::Noise { len }
            | AsciiDiscarded::Restarted { len }
            | AsciiDiscarded::Timeout { len, .. }
            | AsciiDiscarded::Invalid { len, .. }
            | AsciiDiscarded::Overrun { len },
        )) => *len,
        Framed::Skipped(Skipped::Datagram { len, .. }) => *len,
        Framed::Skipped(Skipped::Ascii(other)) => panic!("a new kind of drop: {other:?}"),
        Framed::Skipped(Skipped::Foreign { len, .. }) => *len,
        Framed::Skipped(Skipped::Rtu(
            Discarded::CharGap { len, .. }
            | Discarded::Incomplete { len }
            | Discarded::Invalid { len, .. }
            | Discarded::Overrun { len },
        )) => *len,
        Framed::Skipped(Skipped::Rtu(other)) => panic!("a new kind of drop: {other:?}"),
    }
}

/// Polls until `None`: the bytes the polls accounted for, or `None` once the stream
/// can't go on (the caller would close it).
fn drain<B: AsRef<[u8]> + AsMut<[u8]>>(
    framer: &mut Framer<B, Duration>,
    now: Duration,
) -> Option<usize> {
    let delimiter = framer.delimiter();
    let mut out = 0;
    loop {
        match framer.poll(now) {
            Ok(Some(framed)) => {
                if let Framed::Frame(f) = &framed {
                    assert!(f.pdu.len() <= msm_proto::MAX_PDU_LEN);
                }
                out += accounted(delimiter, &framed);
            }
            Ok(None) => return Some(out),
            Err(StreamError::Overrun { len }) => out += len,
            Err(_) => return None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// Whatever bytes come, whenever, and however the caller polls (or forgets to): no
    /// panic, the buffer is bounded, every frame is well formed, and every byte that came
    /// is either buffered, in a frame or reported dropped: nothing vanishes unreported.
    #[test]
    fn every_byte_is_framed_buffered_or_reported(
        delimiter in delimiter(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let mut framer = Framer::with_buffer(delimiter, [0u8; MIN_CAPACITY]).expect("a buffer of MIN_CAPACITY");
        let mut now = Duration::from_secs(1);
        let (mut came, mut out) = (0usize, 0usize);
        for step in steps {
            match step {
                Step::Bytes { after, bytes, read } => {
                    now += Duration::from_micros(u64::from(after));
                    came += if read {
                        let space = framer.read_space();
                        prop_assert!(!space.is_empty());
                        let n = space.len().min(bytes.len());
                        space[..n].copy_from_slice(&bytes[..n]);
                        framer.filled(now, n);
                        n
                    } else {
                        framer.push(now, &bytes)
                    };
                }
                Step::Poll { after } => {
                    now += Duration::from_micros(u64::from(after));
                    match drain(&mut framer, now) {
                        Some(n) => out += n,
                        None => return Ok(()),
                    }
                }
            }
            prop_assert!(framer.buffered() <= framer.capacity());
        }
        match drain(&mut framer, now) {
            Some(n) => out += n,
            None => return Ok(()),
        }
        prop_assert_eq!(came, out + framer.buffered());
    }
}
