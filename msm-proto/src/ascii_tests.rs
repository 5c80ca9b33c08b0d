//! The ASCII codec against the spec's examples and its own round trip.

use super::*;

#[test]
fn every_pdu_round_trips_through_its_ascii_form() {
    let mut buf = [0u8; MAX_FRAME_LEN];
    for len in [1usize, 2, 5, 100, MAX_PDU_LEN] {
        let pdu: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let n = encode_frame(&mut buf, 0xA7, &pdu).unwrap();
        assert_eq!(n, frame_len(len));
        assert!(
            buf[1..n - 2]
                .iter()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        let f = decode_frame(&mut buf[..n], LF).unwrap();
        assert_eq!((f.address, f.pdu), (0xA7, &pdu[..]));
    }
}

#[test]
fn lower_case_digits_are_taken() {
    let mut frame = *b":01060001000aee\r\n";
    let f = decode_frame(&mut frame, LF).unwrap();
    assert_eq!(f.pdu, [6, 0, 1, 0, 10]);
}

#[test]
fn each_fault_is_named() {
    let cases: [(&[u8], AsciiError); 7] = [
        (b"01060001000AEE\r\n", AsciiError::NoStart { found: b'0' }),
        (
            b":0106000G000AEE\r\n",
            AsciiError::NotHex { at: 8, byte: b'G' },
        ),
        (b":01060001000AE\r\n", AsciiError::OddDigits { digits: 13 }),
        (
            b":01060001000AEE\n\n",
            AsciiError::End {
                expected: LF,
                found: LF,
            },
        ),
        (
            b":01060001000AEE\r\r",
            AsciiError::End {
                expected: LF,
                found: CR,
            },
        ),
        (b":0106\r\n", AsciiError::TooShort { len: 7 }),
        (
            b":01060001000AEF\r\n",
            AsciiError::Lrc {
                expected: 0xEE,
                found: 0xEF,
            },
        ),
    ];
    for (frame, error) in cases {
        let mut frame = frame.to_vec();
        assert_eq!(decode_frame(&mut frame, LF), Err(error), "{error}");
    }
    let mut long = vec![b'0'; MAX_FRAME_LEN + 1];
    long[0] = START;
    assert_eq!(
        decode_frame(&mut long, LF),
        Err(AsciiError::TooLong {
            len: MAX_FRAME_LEN + 1
        })
    );
    assert_eq!(
        decode_frame(&mut [], LF),
        Err(AsciiError::TooShort { len: 0 })
    );
}

#[test]
fn with_cr_as_the_end_character_a_frame_ends_at_its_cr() {
    let mut frame = *b":01060001000AEE\r";
    assert!(decode_frame(&mut frame, CR).is_ok());
}

#[test]
fn encoders_report_the_whole_frame_they_need() {
    let request = Request::ReadCoils {
        address: 0,
        quantity: 1,
    };
    let mut small = [0u8; 16];
    assert_eq!(
        encode_request(&mut small, 1, &request),
        Err(EncodeError::BufferTooSmall {
            needed: 17,
            available: 16
        })
    );
    assert_eq!(
        encode_frame(&mut small, 1, &[]),
        Err(EncodeError::PduLength { len: 0 })
    );
    assert_eq!(
        finish_frame(&mut [0u8; 600], 1, MAX_PDU_LEN + 1),
        Err(EncodeError::PduLength {
            len: MAX_PDU_LEN + 1
        })
    );
    // The PDU fits in 6 bytes after the address, its ASCII form does not.
    let mut tiny = [0u8; 7];
    assert!(matches!(
        encode_request(&mut tiny, 1, &request),
        Err(EncodeError::BufferTooSmall { needed: 17, .. })
    ));
}
