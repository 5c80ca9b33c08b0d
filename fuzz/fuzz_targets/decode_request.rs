//! Request decoding on arbitrary bytes: never panics; whatever decodes is within the
//! spec's limits (it encodes again, to a PDU that decodes the same); whatever does not
//! names the exception a server would answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msm_proto::{MAX_PDU_LEN, Request, Response};

fuzz_target!(|pdu: &[u8]| {
    match Request::decode(pdu) {
        Ok(request) => {
            let mut buf = [0u8; MAX_PDU_LEN];
            let len = request
                .encode(&mut buf)
                .expect("a decoded request is within limits");
            assert_eq!(Request::decode(&buf[..len]), Ok(request));
        }
        Err(err) => assert_eq!(err.exception().is_none(), pdu.is_empty()),
    }
    // The client side reads the same kind of bytes.
    if let Ok(response) = Response::decode(pdu) {
        let mut buf = [0u8; MAX_PDU_LEN];
        let len = response
            .encode(&mut buf)
            .expect("a decoded response is within limits");
        assert_eq!(Response::decode(&buf[..len]), Ok(response));
    }
});
