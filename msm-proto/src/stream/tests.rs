//! The stream framer in its three modes, with injected times: no sleeps, no sockets.

use std::time::{Duration, Instant};

use super::*;
use crate::rtu::{self, RtuError};

/// What a poll gave, owned.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Frame(Option<u16>, u8, Vec<u8>),
    Skipped(Skipped),
}

/// Polls until `None`; a stream error ends the list.
fn drain(f: &mut StreamFramer, now: Instant) -> Result<Vec<Got>, StreamError> {
    let mut out = Vec::new();
    while let Some(framed) = f.poll(now)? {
        out.push(match framed {
            Framed::Frame(fr) => Got::Frame(fr.transaction_id, fr.unit, fr.pdu.to_vec()),
            Framed::Skipped(s) => Got::Skipped(s),
        });
    }
    Ok(out)
}

fn with_crc(body: &[u8]) -> Vec<u8> {
    let mut v = body.to_vec();
    v.extend_from_slice(&rtu::crc16(body).to_le_bytes());
    v
}

fn rtu_got(frame: &[u8]) -> Got {
    Got::Frame(None, frame[0], frame[1..frame.len() - 2].to_vec())
}

/// FC3 read of 10 registers at 0 from unit 1; FC16 of one register to unit 2.
fn read_request() -> Vec<u8> {
    with_crc(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A])
}
fn write_request() -> Vec<u8> {
    with_crc(&[0x02, 0x10, 0x00, 0x01, 0x00, 0x01, 0x02, 0x12, 0x34])
}

const MBAP: [u8; 12] = [0, 9, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];

fn serial() -> Delimiter {
    Delimiter::RtuBySilence {
        direction: Direction::Request,
        timing: Timing::for_baud(9600, 11),
    }
}

/// One character time at 9600 baud, 11 bits.
fn chars(n: f64) -> Duration {
    Duration::from_secs_f64(n * 11.0 / 9600.0)
}

#[test]
fn an_mbap_frame_split_at_every_byte_boundary_comes_out_once_whole() {
    let now = Instant::now();
    for cut in 1..MBAP.len() {
        let mut f = StreamFramer::new(Delimiter::Mbap);
        f.push(now, &MBAP[..cut]);
        assert_eq!(drain(&mut f, now), Ok(vec![]), "cut at {cut}");
        f.push(now, &MBAP[cut..]);
        assert_eq!(
            drain(&mut f, now),
            Ok(vec![Got::Frame(Some(9), 1, MBAP[7..].to_vec())])
        );
        assert_eq!(f.buffered(), 0);
    }
}

#[test]
fn an_rtu_frame_split_at_every_byte_boundary_comes_out_once_whole_in_every_rtu_mode() {
    let now = Instant::now();
    let frame = write_request();
    for delimiter in [Delimiter::rtu_over_tcp(Direction::Request), serial()] {
        for cut in 1..frame.len() {
            let mut f = StreamFramer::new(delimiter);
            f.push(now, &frame[..cut]);
            assert_eq!(drain(&mut f, now), Ok(vec![]), "{delimiter:?} cut at {cut}");
            f.push(now, &frame[cut..]);
            assert_eq!(drain(&mut f, now), Ok(vec![rtu_got(&frame)]));
            assert_eq!(f.poll_timeout(), None, "nothing left to time");
        }
    }
}

#[test]
fn pipelined_frames_come_out_in_order_and_the_buffer_is_reused() {
    let now = Instant::now();
    let mut f = StreamFramer::with_capacity(Delimiter::Mbap, 600);
    let frames: Vec<u8> = (0..40u8)
        .flat_map(|i| [0, i, 0, 0, 0, 3, 1, 0x41, i])
        .collect();
    let mut seen = Vec::new();
    let mut rest = &frames[..];
    // Read into the framer's own buffer, in chunks that cut frames anywhere.
    while !rest.is_empty() {
        let space = f.read_space();
        assert!(space.len() >= tcp::MAX_FRAME_LEN, "room for a whole frame");
        let n = space.len().min(rest.len()).min(97);
        space[..n].copy_from_slice(&rest[..n]);
        f.filled(now, n);
        rest = &rest[n..];
        for got in drain(&mut f, now).expect("valid") {
            seen.push(got);
        }
    }
    let expected: Vec<Got> = (0..40u8)
        .map(|i| Got::Frame(Some(u16::from(i)), 1, vec![0x41, i]))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(f.buf.len(), 600, "the buffer never grew");
}

#[test]
fn a_foreign_protocol_id_is_skipped_whole_and_the_stream_goes_on() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::Mbap);
    f.push(now, &[0, 1, 0, 1, 0, 2, 1, 3]);
    f.push(now, &[0, 2, 0, 0, 0, 2, 1, 4]);
    assert_eq!(
        drain(&mut f, now),
        Ok(vec![
            Got::Skipped(Skipped::Foreign {
                transaction_id: 1,
                protocol_id: 1,
                len: 8
            }),
            Got::Frame(Some(2), 1, vec![4]),
        ])
    );
}

#[test]
fn an_impossible_or_over_limit_length_is_a_stream_error_as_soon_as_the_header_is_in() {
    let now = Instant::now();
    for length in [0u8, 1, 255] {
        let mut f = StreamFramer::new(Delimiter::Mbap);
        // A good frame first: it is still handed over.
        f.push(now, &[0, 1, 0, 0, 0, 2, 1, 0x41, 0, 2, 0, 0, 0, length]);
        assert!(matches!(f.poll(now), Ok(Some(Framed::Frame(_)))));
        assert_eq!(
            f.poll(now),
            Err(StreamError::Frame(FrameError::Length {
                transaction_id: 2,
                length: u16::from(length)
            }))
        );
    }
    let mut f = StreamFramer::new(Delimiter::Mbap).with_max_frame_len(12);
    f.push(now, &[0, 5, 0, 0, 0, 7]);
    assert_eq!(
        f.poll(now),
        Err(StreamError::TooLong {
            transaction_id: 5,
            len: 13,
            max: 12
        })
    );
}

#[test]
fn rtu_by_length_skips_just_the_frame_with_a_bad_crc() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    let mut bad = with_crc(&[0x01, 0x03, 0x00, 0x05, 0x00, 0x01]);
    bad[7] ^= 0x55;
    let stream = [read_request(), bad, write_request()].concat();
    let got = drain(&mut f, now).and_then(|_| {
        f.push(now, &stream);
        drain(&mut f, now)
    });
    let got = got.expect("no stream error");
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], rtu_got(&read_request()));
    assert!(
        matches!(
            got[1],
            Got::Skipped(Skipped::Rtu(Discarded::Invalid {
                len: 8,
                error: RtuError::Crc { .. }
            }))
        ),
        "{got:?}"
    );
    assert_eq!(got[2], rtu_got(&write_request()));
}

#[test]
fn rtu_by_length_drops_an_impossible_length_and_what_came_with_it() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    // FC16 announcing 250 data bytes: over 256 in all.
    f.push(now, &[0x01, 0x10, 0, 0, 0, 125, 250, 1, 2, 3]);
    let got = drain(&mut f, now).expect("no stream error");
    assert!(
        matches!(
            got[..],
            [Got::Skipped(Skipped::Rtu(Discarded::Invalid {
                len: 10,
                error: RtuError::TooLong { .. }
            }))]
        ),
        "{got:?}"
    );
    f.push(now, &read_request());
    assert_eq!(drain(&mut f, now), Ok(vec![rtu_got(&read_request())]));
}

#[test]
fn rtu_by_length_takes_an_unknown_length_once_its_crc_checks_else_at_the_silence() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    let echo = with_crc(&[0x01, 0x08, 0x00, 0x00, 0xA5, 0x37]);
    // In two pieces: the first is no frame yet, the whole is taken without waiting.
    f.push(t0, &echo[..5]);
    assert_eq!(drain(&mut f, t0), Ok(vec![]));
    assert_eq!(f.poll_timeout(), Some(t0 + STREAM_SILENCE));
    f.push(t0, &echo[5..]);
    assert_eq!(drain(&mut f, t0), Ok(vec![rtu_got(&echo)]));
    // Bytes whose CRC never checks wait for the silence, then are dropped.
    f.push(t0, &[0x01, 0x08, 0x00, 0x00, 0x00, 0x00]);
    assert_eq!(drain(&mut f, t0 + STREAM_SILENCE / 2), Ok(vec![]));
    let at = f.poll_timeout().expect("a deadline");
    let got = drain(&mut f, at).expect("no stream error");
    assert!(
        matches!(
            got[..],
            [Got::Skipped(Skipped::Rtu(Discarded::Invalid {
                len: 6,
                error: RtuError::Crc { .. }
            }))]
        ),
        "{got:?}"
    );
    assert_eq!(f.poll_timeout(), None);
}

#[test]
fn rtu_by_length_drops_a_frame_left_incomplete_by_a_silence_and_resynchronises() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    let frame = read_request();
    f.push(t0, &frame[..5]);
    let at = f.poll_timeout().expect("a deadline");
    assert_eq!(
        drain(&mut f, at),
        Ok(vec![Got::Skipped(Skipped::Rtu(Discarded::Incomplete {
            len: 5
        }))])
    );
    f.push(at, &frame);
    assert_eq!(drain(&mut f, at), Ok(vec![rtu_got(&frame)]));
}

#[test]
fn rtu_by_silence_ends_an_unknown_length_on_silence_only() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(serial());
    let echo = with_crc(&[0x01, 0x08, 0x00, 0x00, 0x12, 0x34]);
    f.push(t0, &echo);
    assert_eq!(
        drain(&mut f, t0 + chars(3.0)),
        Ok(vec![]),
        "waits for silence"
    );
    let at = f.poll_timeout().expect("a deadline");
    assert_eq!(at, t0 + Timing::for_baud(9600, 11).frame_gap);
    assert_eq!(drain(&mut f, at), Ok(vec![rtu_got(&echo)]));
}

#[test]
fn a_silence_inside_a_frame_invalidates_it_on_a_serial_line() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(serial());
    let frame = read_request();
    f.push(t0, &frame[..4]);
    let t1 = t0 + chars(2.0);
    f.push(t1, &frame[4..]);
    let got = drain(&mut f, t1).expect("no stream error");
    assert!(
        matches!(
            got[..],
            [Got::Skipped(Skipped::Rtu(Discarded::CharGap {
                len: 8,
                ..
            }))]
        ),
        "{got:?}"
    );
    // After a proper silence the next frame is served; a short gap inside is fine.
    let t2 = t1 + chars(4.0);
    f.push(t2, &frame[..4]);
    f.push(t2 + chars(1.4), &frame[4..]);
    assert_eq!(drain(&mut f, t2 + chars(1.4)), Ok(vec![rtu_got(&frame)]));
}

#[test]
fn a_silence_inside_a_frame_is_no_fault_on_a_stream() {
    let t0 = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Request));
    let frame = read_request();
    f.push(t0, &frame[..4]);
    let t1 = t0 + Duration::from_millis(100); // TCP segments come when they come
    f.push(t1, &frame[4..]);
    assert_eq!(drain(&mut f, t1), Ok(vec![rtu_got(&frame)]));
}

#[test]
fn responses_use_the_response_length_rules() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::rtu_over_tcp(Direction::Response));
    let resp = with_crc(&[0x11, 0x03, 0x04, 0x00, 0x01, 0x00, 0x02]);
    let exception = with_crc(&[0x11, 0x83, 0x02]);
    f.push(now, &[resp.clone(), exception.clone()].concat());
    assert_eq!(
        drain(&mut f, now),
        Ok(vec![rtu_got(&resp), rtu_got(&exception)])
    );
}

#[test]
fn noise_never_fills_the_buffer() {
    let now = Instant::now();
    for delimiter in [Delimiter::rtu_over_tcp(Direction::Request), serial()] {
        let mut f = StreamFramer::with_capacity(delimiter, 0);
        for i in 0..10_000u32 {
            // Address 0, FC7: length unknown, CRC never right.
            let taken = f.push(now, &[0x00, 0x07, (i % 251) as u8]);
            assert_eq!(taken, 3);
            let _ = drain(&mut f, now);
            assert!(f.buffered() <= rtu::MAX_FRAME_LEN, "{delimiter:?}");
        }
    }
}

#[test]
fn push_takes_what_fits_and_the_rest_after_a_poll() {
    let now = Instant::now();
    let mut f = StreamFramer::with_capacity(Delimiter::Mbap, 0);
    let frames: Vec<u8> = (0..100u8).flat_map(|i| [0, i, 0, 0, 0, 2, 1, i]).collect();
    let mut rest = &frames[..];
    let mut seen = 0;
    while !rest.is_empty() {
        let n = f.push(now, rest);
        assert!(n > 0);
        rest = &rest[n..];
        seen += drain(&mut f, now).expect("valid").len();
    }
    assert_eq!(seen, 100);
}
