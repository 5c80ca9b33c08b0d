//! Stream splitting on arbitrary bytes, as a server would run it: take frames off the
//! front until more bytes are needed or the stream is refused. MBAP and RTU (both
//! directions) each consume the whole input this way; nothing may panic, and every frame
//! must lie inside the input and inside the protocol's size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msm_proto::{Request, Response, rtu, tcp};

fuzz_target!(|stream: &[u8]| {
    let mut rest = stream;
    while let Ok(Some((frame, used))) = tcp::split_frame(rest) {
        assert!(used <= rest.len() && used <= tcp::MAX_FRAME_LEN);
        assert_eq!(frame.pdu.len() + tcp::HEADER_LEN, used);
        let _ = Request::decode(frame.pdu);
        rest = &rest[used..];
    }
    for direction in [rtu::Direction::Request, rtu::Direction::Response] {
        let mut rest = stream;
        // A real driver drops a byte and resynchronises on a CRC error; do the same so
        // the whole input is walked.
        while !rest.is_empty() {
            match rtu::split_frame(rest, direction) {
                Ok(Some((frame, used))) => {
                    assert!(used <= rest.len() && used <= rtu::MAX_FRAME_LEN);
                    assert_eq!(frame.pdu.len() + 3, used);
                    let _ = Request::decode(frame.pdu);
                    let _ = Response::decode(frame.pdu);
                    rest = &rest[used..];
                }
                Ok(None) => break,
                Err(_) => rest = &rest[1..],
            }
        }
    }
    let _ = rtu::decode_frame(stream);
});
