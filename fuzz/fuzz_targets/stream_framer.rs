//! The stream framer on arbitrary bytes at arbitrary times, as a board without std would
//! drive it (a stack buffer, `Duration`s since boot): whatever comes, nothing panics,
//! frames are well formed, and every byte that came is in a frame, reported dropped or
//! still buffered.
#![no_main]

use core::time::Duration;

use libfuzzer_sys::fuzz_target;
use msm_proto::rtu::Direction;
use msm_proto::stream::{
    AsciiDiscarded, Delimiter, Discarded, Framed, Framer, MIN_CAPACITY, Skipped, StreamError,
    Timing,
};
use msm_proto::{MAX_PDU_LEN, ascii, tcp};

fn delimiter(selector: u8) -> Delimiter {
    let direction = if selector & 0x10 == 0 {
        Direction::Request
    } else {
        Direction::Response
    };
    match selector % 6 {
        0 => Delimiter::Mbap,
        4 => Delimiter::ascii(),
        5 => Delimiter::Ascii {
            char_timeout: Duration::from_millis(2),
            end: if selector & 0x20 == 0 { ascii::LF } else { ascii::CR },
        },
        1 => Delimiter::rtu_over_tcp(direction),
        2 => Delimiter::RtuBySilence {
            direction,
            timing: Timing::for_baud(9600, 11),
        },
        _ => Delimiter::RtuBySilence {
            direction,
            timing: Timing {
                char_gap: None,
                frame_gap: Duration::from_micros(1750),
            },
        },
    }
}

/// Polls until `None`: the bytes accounted for, or `None` once the stream is refused.
fn drain(framer: &mut Framer<[u8; MIN_CAPACITY], Duration>, now: Duration) -> Option<usize> {
    let mut out = 0;
    let delimiter = framer.delimiter();
    loop {
        match framer.poll(now) {
            Ok(Some(Framed::Frame(f))) => {
                assert!(f.pdu.len() <= MAX_PDU_LEN);
                out += match (f.transaction_id, delimiter) {
                    (Some(_), _) => tcp::HEADER_LEN + f.pdu.len(),
                    (None, Delimiter::Ascii { end: ascii::CR, .. }) => {
                        ascii::frame_len(f.pdu.len()) - 1
                    }
                    (None, Delimiter::Ascii { .. }) => ascii::frame_len(f.pdu.len()),
                    (None, _) => 3 + f.pdu.len(),
                };
            }
            Ok(Some(Framed::Skipped(Skipped::Ascii(why)))) => {
                out += match why {
                    AsciiDiscarded::Noise { len }
                    | AsciiDiscarded::Restarted { len }
                    | AsciiDiscarded::Timeout { len, .. }
                    | AsciiDiscarded::Invalid { len, .. }
                    | AsciiDiscarded::Overrun { len } => len,
                    other => panic!("a drop the tally does not know: {other:?}"),
                }
            }
            Ok(Some(Framed::Skipped(Skipped::Datagram { len, .. }))) => out += len,
            Ok(Some(Framed::Skipped(Skipped::Foreign { len, .. }))) => out += len,
            Ok(Some(Framed::Skipped(Skipped::Rtu(why)))) => {
                out += match why {
                    Discarded::CharGap { len, .. }
                    | Discarded::Incomplete { len }
                    | Discarded::Invalid { len, .. }
                    | Discarded::Overrun { len } => len,
                    other => panic!("a drop the tally does not know: {other:?}"),
                }
            }
            Ok(None) => return Some(out),
            Err(StreamError::Overrun { len }) => out += len,
            Err(_) => return None,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let Ok(mut framer) = Framer::with_buffer(delimiter(selector), [0u8; MIN_CAPACITY]) else {
        return;
    };
    let mut now = Duration::from_secs(1);
    let (mut came, mut out) = (0usize, 0usize);
    // Steps of [control, length, bytes...]: the control byte's low 6 bits are the gap
    // before the step (in 100 µs, the top value meaning a second), bit 6 reads into the
    // framer's space instead of pushing, bit 7 polls until None afterwards.
    while let Some((&[control, len], tail)) = rest.split_first_chunk::<2>() {
        let (bytes, after) = tail.split_at(usize::from(len).min(tail.len()));
        rest = after;
        let gap = u64::from(control & 0x3F);
        now += if gap == 0x3F {
            Duration::from_secs(1)
        } else {
            Duration::from_micros(gap * 100)
        };
        came += if control & 0x40 != 0 {
            let space = framer.read_space();
            assert!(!space.is_empty());
            let n = space.len().min(bytes.len());
            space[..n].copy_from_slice(&bytes[..n]);
            framer.filled(now, n);
            n
        } else {
            framer.push(now, bytes)
        };
        assert!(framer.buffered() <= framer.capacity());
        if control & 0x80 != 0 {
            match drain(&mut framer, now) {
                Some(n) => out += n,
                None => return,
            }
        }
    }
    if let Some(n) = drain(&mut framer, now) {
        assert_eq!(came, out + n + framer.buffered());
    }
});
