//! Silence-based framing with injected timings: no sleeps, no serial port.

use std::time::{Duration, Instant};

use super::*;
use crate::rtu::RtuError;

const BAUD: u32 = 9600;

fn timing() -> Timing {
    Timing::for_baud(BAUD, 11)
}

/// One character time at 9600 baud, 11 bits: 1.1458 ms.
fn chars(n: f64) -> Duration {
    Duration::from_secs_f64(n * 11.0 / f64::from(BAUD))
}

/// FC6 write of register 1 = 3 to unit 0x11, with its CRC.
const FC6: [u8; 8] = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];

fn with_crc(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.extend_from_slice(&rtu::crc16(body).to_le_bytes());
    v
}

fn frames(framer: &mut Framer, now: Instant) -> Vec<Result<(u8, Vec<u8>), Discarded>> {
    let mut out = Vec::new();
    while let Some(f) = framer.poll(now) {
        out.push(match f {
            Framed::Frame(f) => Ok((f.address, f.pdu.to_vec())),
            Framed::Discarded(d) => Err(d),
        });
    }
    out
}

#[test]
fn spec_timing_per_baud_rate() {
    let t = Timing::for_baud(9600, 11);
    assert_eq!(t.char_gap, Some(Duration::from_nanos(1_718_749)));
    assert_eq!(t.frame_gap, Duration::from_nanos(4_010_415));
    let t = Timing::for_baud(19_200, 11);
    assert_eq!(t.frame_gap, Duration::from_nanos(2_005_206));
    for baud in [38_400, 115_200] {
        let t = Timing::for_baud(baud, 11);
        assert_eq!(
            (t.char_gap, t.frame_gap),
            (
                Some(Duration::from_micros(750)),
                Duration::from_micros(1750)
            )
        );
    }
}

#[test]
fn a_whole_frame_is_handed_over_without_waiting_for_silence() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    f.push(t0, &FC6);
    assert_eq!(frames(&mut f, t0), vec![Ok((0x11, FC6[1..6].to_vec()))]);
    assert_eq!(f.poll_timeout(), None, "nothing left to time");
}

#[test]
fn short_gaps_inside_a_frame_are_fine() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    f.push(t0, &FC6[..4]);
    assert!(frames(&mut f, t0).is_empty());
    assert_eq!(f.poll_timeout(), Some(t0 + timing().frame_gap));
    let t1 = t0 + chars(1.4);
    f.push(t1, &FC6[4..]);
    assert_eq!(frames(&mut f, t1), vec![Ok((0x11, FC6[1..6].to_vec()))]);
}

#[test]
fn a_gap_over_one_and_a_half_characters_discards_the_frame() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    f.push(t0, &FC6[..4]);
    let t1 = t0 + chars(2.0);
    f.push(t1, &FC6[4..]);
    let got = frames(&mut f, t1);
    assert!(
        matches!(got[..], [Err(Discarded::CharGap { len: 8, .. })]),
        "{got:?}"
    );
    // The next frame, after a proper silence, is served.
    let t2 = t1 + chars(4.0);
    f.push(t2, &FC6);
    assert_eq!(frames(&mut f, t2), vec![Ok((0x11, FC6[1..6].to_vec()))]);
}

#[test]
fn a_silence_of_three_and_a_half_characters_ends_a_frame() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    f.push(t0, &FC6[..5]);
    let t1 = t0 + chars(3.6);
    assert!(matches!(
        frames(&mut f, t1)[..],
        [Err(Discarded::Incomplete { len: 5 })]
    ));
    // The rest of the frame, late, is noise of its own and is dropped too.
    f.push(t1, &FC6[5..]);
    let got = frames(&mut f, t1 + chars(4.0));
    assert!(got.iter().all(Result::is_err) && !got.is_empty(), "{got:?}");
}

#[test]
fn a_bad_crc_is_dropped_and_the_next_frame_served() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    let mut bad = FC6;
    bad[7] ^= 0xFF;
    f.push(t0, &bad);
    let got = frames(&mut f, t0);
    assert!(
        matches!(
            got[..],
            [Err(Discarded::Invalid {
                error: RtuError::Crc { .. },
                ..
            })]
        ),
        "{got:?}"
    );
    let t1 = t0 + chars(4.0);
    f.push(t1, &FC6);
    assert_eq!(frames(&mut f, t1), vec![Ok((0x11, FC6[1..6].to_vec()))]);
}

#[test]
fn back_to_back_frames_split_by_length() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    let read = with_crc(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]);
    f.push(t0, &[FC6.to_vec(), read.clone()].concat());
    assert_eq!(
        frames(&mut f, t0),
        vec![
            Ok((0x11, FC6[1..6].to_vec())),
            Ok((0x01, read[1..6].to_vec()))
        ]
    );
}

#[test]
fn a_frame_of_unknown_length_ends_with_the_silence() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    let echo = with_crc(&[0x01, 0x08, 0x00, 0x00, 0xA5, 0x37]);
    f.push(t0, &echo);
    assert!(
        frames(&mut f, t0 + chars(3.0)).is_empty(),
        "FC8 waits for silence"
    );
    let at = f.poll_timeout().expect("a deadline");
    assert_eq!(at, t0 + timing().frame_gap);
    assert_eq!(frames(&mut f, at), vec![Ok((0x01, echo[1..6].to_vec()))]);
}

#[test]
fn a_late_poll_does_not_merge_two_frames() {
    let mut f = Framer::new(Direction::Request, timing());
    let t0 = Instant::now();
    let echo = with_crc(&[0x01, 0x08, 0x00, 0x00, 0x12, 0x34]);
    f.push(t0, &echo);
    // The caller polls only after the next frame arrived.
    let t1 = t0 + chars(10.0);
    f.push(t1, &FC6);
    assert_eq!(
        frames(&mut f, t1),
        vec![
            Ok((0x01, echo[1..6].to_vec())),
            Ok((0x11, FC6[1..6].to_vec()))
        ]
    );
}

#[test]
fn responses_use_the_response_length_rules() {
    let mut f = Framer::new(Direction::Response, timing());
    let t0 = Instant::now();
    let resp = with_crc(&[0x11, 0x03, 0x04, 0x00, 0x01, 0x00, 0x02]);
    let exception = with_crc(&[0x11, 0x83, 0x02]);
    f.push(t0, &resp[..3]);
    assert!(frames(&mut f, t0).is_empty());
    f.push(t0, &[&resp[3..], &exception[..]].concat());
    assert_eq!(
        frames(&mut f, t0),
        vec![
            Ok((0x11, resp[1..7].to_vec())),
            Ok((0x11, vec![0x83, 0x02]))
        ]
    );
}

#[test]
fn noise_is_bounded() {
    let mut f = Framer::new(
        Direction::Request,
        Timing {
            char_gap: None,
            frame_gap: Duration::from_millis(5),
        },
    );
    let t0 = Instant::now();
    for i in 0..10_000u32 {
        f.push(t0, &[0x00, 0x07, (i % 251) as u8]); // address 0, FC7: length unknown
        let _ = frames(&mut f, t0);
        assert!(f.inner.buffered() <= 2 * rtu::MAX_FRAME_LEN);
    }
}

#[test]
fn the_gap_check_can_be_disabled_for_bursty_adapters() {
    let mut f = Framer::new(
        Direction::Request,
        Timing {
            char_gap: None,
            ..timing()
        },
    );
    let t0 = Instant::now();
    f.push(t0, &FC6[..4]);
    f.push(t0 + chars(3.0), &FC6[4..]);
    assert_eq!(
        frames(&mut f, t0 + chars(3.0)),
        vec![Ok((0x11, FC6[1..6].to_vec()))]
    );
}
