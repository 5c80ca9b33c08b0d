//! Datagrams: one frame exactly, or dropped whole; nothing carries over.

use std::time::Instant;

use crate::ascii::{AsciiDiscarded, AsciiError};
use crate::rtu::{self, Direction, RtuError};
use crate::stream::{Delimiter, Discarded, Framed, Skipped, StreamFramer, Timing};

const REQUEST: [u8; 12] = [0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];

fn dropped(len: usize, frame_len: Option<usize>) -> Option<Framed<'static>> {
    Some(Framed::Skipped(Skipped::Datagram { len, frame_len }))
}

#[test]
fn an_mbap_datagram_is_one_whole_frame_or_nothing() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::Mbap);
    let cases: [(Vec<u8>, Option<Framed<'static>>); 6] = [
        (REQUEST[..11].to_vec(), dropped(11, Some(12))),
        ([&REQUEST[..], &[0]].concat(), dropped(13, Some(12))),
        (REQUEST[..5].to_vec(), dropped(5, None)),
        (vec![0, 1, 0, 0, 0xFF, 0xFF, 1, 3], dropped(8, None)),
        (vec![0; 1000], dropped(1000, None)),
        (Vec::new(), dropped(0, None)),
    ];
    for (datagram, expected) in cases {
        f.push_datagram(now, &datagram);
        assert_eq!(f.poll(now), Ok(expected), "{datagram:?}");
        assert_eq!(f.poll(now), Ok(None));
        assert_eq!(f.buffered(), 0);
    }
    // A frame of another protocol is a frame still, skipped as on a stream.
    f.push_datagram(now, &[0, 9, 0, 5, 0, 2, 1, 3]);
    assert_eq!(
        f.poll(now),
        Ok(Some(Framed::Skipped(Skipped::Foreign {
            transaction_id: 9,
            protocol_id: 5,
            len: 8
        })))
    );
    f.push_datagram(now, &REQUEST);
    let Ok(Some(Framed::Frame(frame))) = f.poll(now) else {
        panic!("a whole frame")
    };
    assert_eq!(
        (frame.transaction_id, frame.unit, frame.pdu),
        (Some(7), 1, &REQUEST[7..])
    );
}

#[test]
fn a_datagram_never_continues_another() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::Mbap);
    f.push_datagram(now, &REQUEST[..6]);
    f.push_datagram(now, &REQUEST[6..]); // the first was never polled: forgotten
    // Its 6 bytes read as a header announcing 8 bytes (length field 2).
    assert_eq!(f.poll(now), Ok(dropped(6, Some(8))));
    // Bytes left by a stream's read are forgotten too.
    f.push(now, &REQUEST[..3]);
    f.push_datagram(now, &REQUEST);
    assert!(matches!(f.poll(now), Ok(Some(Framed::Frame(_)))));
}

#[test]
fn an_mbap_datagram_over_the_limit_is_dropped_not_an_error() {
    let now = Instant::now();
    let mut f = StreamFramer::new(Delimiter::Mbap).with_max_frame_len(11);
    f.push_datagram(now, &REQUEST);
    assert_eq!(f.poll(now), Ok(dropped(12, Some(12))));
}

#[test]
fn rtu_and_ascii_datagrams_are_checked_whole() {
    let now = Instant::now();
    let fc6 = [0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B];
    let rtu_line = Delimiter::RtuBySilence {
        direction: Direction::Request,
        timing: Timing::for_baud(9600, 11),
    };
    for delimiter in [rtu_line, Delimiter::rtu_over_tcp(Direction::Request)] {
        let mut f = StreamFramer::new(delimiter);
        f.push_datagram(now, &fc6);
        assert!(matches!(f.poll(now), Ok(Some(Framed::Frame(fr))) if fr.unit == 0x11));
        f.push_datagram(now, &[&fc6[..], &fc6[..]].concat());
        assert!(matches!(
            f.poll(now),
            Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::Invalid {
                len: 16,
                error: RtuError::Crc { .. }
            }))))
        ));
        f.push_datagram(now, &[0u8; rtu::MAX_FRAME_LEN * 4]);
        assert!(matches!(
            f.poll(now),
            Ok(Some(Framed::Skipped(Skipped::Rtu(Discarded::Invalid {
                error: RtuError::TooLong { len: 1024, .. },
                ..
            }))))
        ));
    }
    let mut f = StreamFramer::new(Delimiter::ascii());
    f.push_datagram(now, b":01060001000AEE\r\n");
    assert!(matches!(f.poll(now), Ok(Some(Framed::Frame(fr))) if fr.pdu == [6, 0, 1, 0, 10]));
    f.push_datagram(now, b":01060001000AEE\r\n:");
    assert_eq!(
        f.poll(now),
        Ok(Some(Framed::Skipped(Skipped::Ascii(
            AsciiDiscarded::Invalid {
                len: 18,
                error: AsciiError::NotHex {
                    at: 15,
                    byte: b'\r'
                }
            }
        ))))
    );
}
