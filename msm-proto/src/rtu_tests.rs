//! Unit tests of RTU framing (kept apart so `rtu.rs` stays readable).

use super::*;
use crate::{Registers, Request, Response};

/// `body` (address + PDU) with its CRC appended.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut frame = body.to_vec();
    frame.extend_from_slice(&crc16(body).to_le_bytes());
    frame
}

#[test]
fn request_lengths_follow_function_and_byte_count() {
    let cases: &[(&[u8], usize)] = &[
        (&[1, 0x01], 8),
        (&[1, 0x05], 8),
        (&[1, 0x0F, 0, 0, 0, 10, 2], 11),
        (&[1, 0x10, 0, 0, 0, 2, 4], 13),
        (&[1, 0x16], 10),
        (&[1, 0x17, 0, 3, 0, 6, 0, 0x0E, 0, 3, 6], 19),
        (&[1, 0x2B, 0x0E], 7),
        (&[1, 0x07], 4),
        (&[1, 0x08, 0x00, 0x0B], 8),
        (&[1, 0x0B], 4),
        (&[1, 0x0C], 4),
        (&[1, 0x11], 4),
        (&[1, 0x14, 14], 19),
        (&[1, 0x15, 13], 18),
        (&[1, 0x18], 6),
    ];
    for (head, len) in cases {
        assert_eq!(request_len(head), Ok(Some(*len)), "{head:02x?}");
        // One byte less than the header needs: cannot tell yet (the fixed-length
        // functions need only the function code).
        if head.len() > 2 {
            assert_eq!(
                request_len(&head[..head.len() - 1]),
                Ok(None),
                "{head:02x?}"
            );
        }
    }
}

#[test]
fn lengths_that_cannot_be_told_are_errors() {
    for function in [0x09u8, 0x41, 0x81] {
        assert_eq!(
            request_len(&[1, function]),
            Err(RtuError::UnknownLength {
                function,
                direction: Direction::Request
            })
        );
    }
    assert!(request_len(&[1, 0x2B, 0x0D]).is_err());
    assert!(request_len(&[1, 0x08, 0x00, 0x00]).is_err());
    assert!(request_len(&[1, 0x08, 0x00, 0x15]).is_err());
    assert!(response_len(&[1, 0x08, 0x00, 0x00]).is_err());
    assert!(response_len(&[1, 0x2B, 0x0D]).is_err());
    // A byte count that would push the frame past 256 bytes.
    assert_eq!(
        request_len(&[1, 0x10, 0, 0, 0, 0x7D, 0xFA]),
        Err(RtuError::TooLong {
            function: 0x10,
            len: 259
        })
    );
    assert_eq!(
        request_len(&[1, 0x17, 0, 0, 0, 1, 0, 0, 0, 0x7B, 0xF6]),
        Err(RtuError::TooLong {
            function: 0x17,
            len: 259
        })
    );
}

#[test]
fn response_lengths() {
    assert_eq!(response_len(&[1]), Ok(None));
    assert_eq!(response_len(&[1, 0x01]), Ok(None));
    assert_eq!(response_len(&[1, 0x01, 3]), Ok(Some(8)));
    assert_eq!(response_len(&[1, 0x17, 12]), Ok(Some(17)));
    assert_eq!(response_len(&[1, 0x0F]), Ok(Some(8)));
    assert_eq!(response_len(&[1, 0x16]), Ok(Some(10)));
    assert_eq!(response_len(&[1, 0x90]), Ok(Some(5)));
    assert_eq!(response_len(&[1, 0x07]), Ok(Some(5)));
    assert_eq!(response_len(&[1, 0x08, 0x00]), Ok(None));
    assert_eq!(response_len(&[1, 0x08, 0x00, 0x02]), Ok(Some(8)));
    assert_eq!(response_len(&[1, 0x0B]), Ok(Some(8)));
    assert_eq!(response_len(&[1, 0x0C, 8]), Ok(Some(13)));
    assert_eq!(response_len(&[1, 0x11, 5]), Ok(Some(10)));
    assert_eq!(response_len(&[1, 0x14, 12]), Ok(Some(17)));
    assert_eq!(response_len(&[1, 0x15, 13]), Ok(Some(18)));
    assert_eq!(response_len(&[1, 0x18, 0]), Ok(None));
    assert_eq!(response_len(&[1, 0x18, 0, 6]), Ok(Some(12)));
    assert!(matches!(
        response_len(&[1, 0x18, 1, 0]),
        Err(RtuError::TooLong { function: 0x18, .. })
    ));
}

#[test]
fn device_id_response_is_walked_object_by_object() {
    let head = [1, 0x2B, 0x0E, 1, 1, 0, 0, 2];
    assert_eq!(response_len(&head[..7]), Ok(None));
    assert_eq!(response_len(&head), Ok(None));
    let mut frame = head.to_vec();
    frame.extend_from_slice(&[0x00, 3, b'a', b'b', b'c', 0x01]);
    assert_eq!(response_len(&frame), Ok(None));
    frame.extend_from_slice(&[1, b'x']);
    assert_eq!(response_len(&frame), Ok(Some(frame.len() + 2)));
    // Objects adding up to more than a frame can hold.
    let mut long = head.to_vec();
    long.extend_from_slice(&[0, 200]);
    long.extend_from_slice(&[0; 200]);
    long.extend_from_slice(&[1, 100]);
    assert!(matches!(
        response_len(&long),
        Err(RtuError::TooLong { function: 0x2B, .. })
    ));
}

#[test]
fn split_frame_byte_by_byte_then_pipelined() {
    let first = framed(&[0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]);
    let second = framed(&[0x11, 0x10, 0, 1, 0, 2, 4, 0, 0x0A, 1, 2]);
    let mut stream = first.clone();
    stream.extend_from_slice(&second);
    for end in 0..first.len() {
        assert_eq!(split_frame(&stream[..end], Direction::Request), Ok(None));
    }
    let (frame, used) = split_frame(&stream, Direction::Request).unwrap().unwrap();
    assert_eq!((frame.address, frame.pdu, used), (0x11, &first[1..6], 8));
    let (frame, used2) = split_frame(&stream[used..], Direction::Request)
        .unwrap()
        .unwrap();
    assert_eq!(frame.pdu, &second[1..second.len() - 2]);
    assert_eq!(used + used2, stream.len());
}

#[test]
fn crc_mismatch_names_both_values() {
    let mut frame = framed(&[0x02, 0x07]);
    assert_eq!(frame, [0x02, 0x07, 0x41, 0x12]);
    frame[2] = 0x40;
    assert_eq!(
        decode_frame(&frame),
        Err(RtuError::Crc {
            expected: 0x1241,
            found: 0x1240
        })
    );
    assert_eq!(
        decode_frame(&frame[..3]),
        Err(RtuError::TooShort { len: 3 })
    );
    assert!(matches!(
        decode_frame(&[0u8; 257]),
        Err(RtuError::TooLong { len: 257, .. })
    ));
}

#[test]
fn encode_then_split_round_trips() {
    let mut buf = [0u8; MAX_FRAME_LEN];
    let values = Registers::new(&[0, 0x0A, 1, 2]).unwrap();
    let request = Request::WriteMultipleRegisters { address: 1, values };
    let len = encode_request(&mut buf, 7, &request).unwrap();
    let (frame, used) = split_frame(&buf[..len], Direction::Request)
        .unwrap()
        .unwrap();
    assert_eq!((frame.address, used), (7, len));
    assert_eq!(Request::decode(frame.pdu), Ok(request));

    let response = Response::WriteMultipleRegisters {
        address: 1,
        quantity: 2,
    };
    let len = encode_response(&mut buf, 7, &response).unwrap();
    let (frame, _) = split_frame(&buf[..len], Direction::Response)
        .unwrap()
        .unwrap();
    assert_eq!(Response::decode(frame.pdu), Ok(response));
}

#[test]
fn frame_encoding_checks_lengths_and_buffer() {
    let mut buf = [0u8; 7];
    assert_eq!(
        finish_frame(&mut buf, 1, 0),
        Err(EncodeError::PduLength { len: 0 })
    );
    assert_eq!(
        finish_frame(&mut buf, 1, 254),
        Err(EncodeError::PduLength { len: 254 })
    );
    assert_eq!(
        finish_frame(&mut buf, 1, 5),
        Err(EncodeError::BufferTooSmall {
            needed: 8,
            available: 7
        })
    );
    let request = Request::ReadCoils {
        address: 0,
        quantity: 1,
    };
    assert_eq!(
        encode_request(&mut buf, 1, &request),
        Err(EncodeError::BufferTooSmall {
            needed: 8,
            available: 7
        })
    );
    assert_eq!(
        encode_request(&mut [], 1, &request),
        Err(EncodeError::BufferTooSmall {
            needed: 8,
            available: 0
        })
    );
}
