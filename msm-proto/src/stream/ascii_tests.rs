//! The ASCII delimiter with injected times: every rule of 2.5.2 of the serial line
//! guide, and the resynchronisation after each fault.

use std::time::{Duration, Instant};

use crate::ascii::{self, AsciiDiscarded, AsciiError};
use crate::stream::{Delimiter, Framed, Skipped, StreamFramer};

/// What a poll gave, owned.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Frame(u8, Vec<u8>),
    Dropped(AsciiDiscarded),
}

fn drain(f: &mut StreamFramer, now: Instant) -> Vec<Got> {
    let mut out = Vec::new();
    while let Some(framed) = f.poll(now).expect("ASCII has no stream errors") {
        out.push(match framed {
            Framed::Frame(fr) => {
                assert_eq!(fr.transaction_id, None);
                Got::Frame(fr.unit, fr.pdu.to_vec())
            }
            Framed::Skipped(Skipped::Ascii(why)) => Got::Dropped(why),
            Framed::Skipped(other) => panic!("not an ASCII drop: {other:?}"),
        });
    }
    out
}

/// FC6 write of register 1 = 10 to unit 1, and FC3 read of 3 registers at 0x6B from 0x11.
const WRITE: &[u8] = b":01060001000AEE\r\n";
const READ: &[u8] = b":1103006B00037E\r\n";

fn write() -> Got {
    Got::Frame(1, vec![6, 0, 1, 0, 10])
}
fn read() -> Got {
    Got::Frame(0x11, vec![3, 0, 0x6B, 0, 3])
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_frame_cut_at_every_character_comes_out_once_whole() {
    let now = Instant::now();
    for cut in 1..WRITE.len() {
        let mut f = StreamFramer::new(Delimiter::ascii());
        f.push(now, &WRITE[..cut]);
        assert_eq!(drain(&mut f, now), vec![], "cut at {cut}");
        assert_eq!(f.poll_timeout(), Some(now + ascii::CHAR_TIMEOUT));
        f.push(now, &WRITE[cut..]);
        assert_eq!(drain(&mut f, now), vec![write()], "cut at {cut}");
        assert_eq!(f.poll_timeout(), None);
    }
}

#[test]
fn frames_back_to_back_and_a_character_at_a_time_come_out_in_order() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(Delimiter::ascii());
    let stream = [WRITE, READ, WRITE].concat();
    let mut seen = Vec::new();
    for (i, c) in stream.iter().enumerate() {
        let now = t0 + MS * i as u32;
        f.push(now, &[*c]);
        seen.extend(drain(&mut f, now));
    }
    assert_eq!(seen, vec![write(), read(), write()]);
}

#[test]
fn noise_is_dropped_in_one_piece_up_to_the_next_start() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(now, b"\r\n\x00garbage");
    assert_eq!(drain(&mut f, now), vec![], "more noise may come");
    f.push(now, b"01");
    f.push(now, WRITE);
    assert_eq!(
        drain(&mut f, now),
        vec![Got::Dropped(AsciiDiscarded::Noise { len: 12 }), write()]
    );
    // Noise and then silence: dropped when the line has been quiet for the timeout.
    f.push(now, b"xyz");
    let at = f.poll_timeout().expect("bytes buffered");
    assert_eq!(drain(&mut f, at - MS), vec![]);
    assert_eq!(
        drain(&mut f, at),
        vec![Got::Dropped(AsciiDiscarded::Noise { len: 3 })]
    );
}

#[test]
fn a_new_start_drops_the_frame_begun_and_starts_over() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(now, b":0106000");
    f.push(now, WRITE);
    assert_eq!(
        drain(&mut f, now),
        vec![Got::Dropped(AsciiDiscarded::Restarted { len: 8 }), write()]
    );
}

#[test]
fn a_pause_over_the_timeout_inside_a_frame_drops_it() {
    let t0 = Instant::now();
    let timeout = ascii::CHAR_TIMEOUT;
    // The caller polls at the deadline: the frame begun is dropped then.
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(t0, &WRITE[..6]);
    assert_eq!(drain(&mut f, t0 + timeout - MS), vec![]);
    assert_eq!(
        drain(&mut f, t0 + timeout),
        vec![Got::Dropped(AsciiDiscarded::Timeout {
            len: 6,
            gap: timeout
        })]
    );
    // The rest of it comes after: noise, up to the next frame, which is taken.
    let later = t0 + 2 * timeout;
    f.push(later, &WRITE[6..]);
    f.push(later, READ);
    assert_eq!(
        drain(&mut f, later),
        vec![
            Got::Dropped(AsciiDiscarded::Noise {
                len: WRITE.len() - 6
            }),
            read()
        ]
    );

    // The caller did not poll in the pause: the frame is dropped whole when its end comes.
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(t0, &WRITE[..6]);
    let gap = timeout + 5 * MS;
    f.push(t0 + gap, &WRITE[6..]);
    assert_eq!(
        drain(&mut f, t0 + gap),
        vec![Got::Dropped(AsciiDiscarded::Timeout {
            len: WRITE.len(),
            gap
        })]
    );
    // Just under the timeout, the frame stands.
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(t0, &WRITE[..6]);
    f.push(t0 + timeout - MS, &WRITE[6..]);
    assert_eq!(drain(&mut f, t0 + timeout - MS), vec![write()]);
}

#[test]
fn the_inter_character_timeout_is_configurable() {
    let t0 = Instant::now();
    let delimiter = Delimiter::Ascii {
        char_timeout: 50 * MS,
        end: ascii::LF,
    };
    let mut f = StreamFramer::new(delimiter);
    f.push(t0, &WRITE[..3]);
    assert_eq!(f.poll_timeout(), Some(t0 + 50 * MS));
    assert_eq!(
        drain(&mut f, t0 + 50 * MS),
        vec![Got::Dropped(AsciiDiscarded::Timeout {
            len: 3,
            gap: 50 * MS
        })]
    );
}

#[test]
fn a_wrong_frame_is_dropped_alone_and_the_next_one_is_taken() {
    let now = Instant::now();
    let cases: [(&[u8], AsciiError); 4] = [
        (
            b":01060001000AEF\r\n",
            AsciiError::Lrc {
                expected: 0xEE,
                found: 0xEF,
            },
        ),
        (
            b":0106000X000AEE\r\n",
            AsciiError::NotHex { at: 8, byte: b'X' },
        ),
        (b":01060001000AE\r\n", AsciiError::OddDigits { digits: 13 }),
        (b":01\r\n", AsciiError::TooShort { len: 5 }),
    ];
    for (bad, error) in cases {
        let mut f = StreamFramer::new(Delimiter::ascii());
        f.push(now, &[bad, WRITE].concat());
        let len = bad.len();
        assert_eq!(
            drain(&mut f, now),
            vec![
                Got::Dropped(AsciiDiscarded::Invalid { len, error }),
                write()
            ],
            "{error}"
        );
    }
    // CR followed by something else than the end character.
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push(now, b":01060001000AEE\r");
    assert_eq!(
        drain(&mut f, now),
        vec![],
        "the end character may still come"
    );
    f.push(now, b"X");
    f.push(now, WRITE);
    let error = AsciiError::End {
        expected: b'\n',
        found: b'X',
    };
    assert_eq!(
        drain(&mut f, now),
        vec![
            Got::Dropped(AsciiDiscarded::Invalid { len: 16, error }),
            Got::Dropped(AsciiDiscarded::Noise { len: 1 }),
            write()
        ]
    );
}

#[test]
fn a_frame_that_never_ends_is_dropped_at_the_longest_length() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::ascii());
    let mut endless = vec![b':'];
    endless.extend(std::iter::repeat_n(b'0', 600));
    let mut rest = &endless[..];
    let mut seen = Vec::new();
    while !rest.is_empty() {
        let n = f.push(now, &rest[..rest.len().min(100)]);
        rest = &rest[n..];
        seen.extend(drain(&mut f, now));
    }
    assert!(
        matches!(
            seen[..],
            [Got::Dropped(AsciiDiscarded::Invalid { len, error: AsciiError::TooLong { .. } })]
                if len >= ascii::MAX_FRAME_LEN
        ),
        "{seen:?}"
    );
    f.push(now, WRITE);
    let got = drain(&mut f, now);
    assert_eq!(got.last(), Some(&write()), "{got:?}");
}

#[test]
fn the_end_character_follows_fc08_sub_function_03() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.set_ascii_end(b'!');
    f.push(now, b":01060001000AEE\r!");
    assert_eq!(drain(&mut f, now), vec![write()]);
    // A frame ended the old way is wrong now.
    f.push(now, WRITE);
    assert_eq!(
        drain(&mut f, now)[0],
        Got::Dropped(AsciiDiscarded::Invalid {
            len: 16,
            error: AsciiError::End {
                expected: b'!',
                found: b'\n'
            }
        })
    );
    // With CR itself, a frame ends at its CR (the LF left over is noise).
    f.set_ascii_end(ascii::CR);
    f.push(now, &WRITE[..WRITE.len() - 1]);
    assert_eq!(
        drain(&mut f, now),
        vec![Got::Dropped(AsciiDiscarded::Noise { len: 1 }), write()]
    );
    // Other delimiters have no end character.
    let mut mbap = StreamFramer::new(Delimiter::Mbap);
    mbap.set_ascii_end(b'!');
    assert_eq!(mbap.delimiter(), Delimiter::Mbap);
}

#[test]
fn characters_never_polled_are_reported_as_an_overrun() {
    let now = Instant::now();
    let mut f = StreamFramer::with_capacity(Delimiter::ascii(), 0);
    let cap = f.capacity();
    // Read after read without polling: the framer makes room by dropping the oldest.
    for _ in 0..3 {
        let space = f.read_space();
        let n = space.len();
        space.fill(b'0');
        f.filled(now, n);
    }
    let got = drain(&mut f, now);
    assert!(
        matches!(got[0], Got::Dropped(AsciiDiscarded::Overrun { len }) if len >= cap),
        "{got:?}"
    );
}
