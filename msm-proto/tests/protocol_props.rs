//! Property tests of the protocol codec: every request and response type survives
//! encode → decode; frames survive framing and stream splitting however the stream is
//! cut; and arbitrary bytes never make a decoder or splitter panic or read out of bounds
//! (the codec has no indexing, so out-of-bounds would be a panic too).

use msm_proto::{
    Bits, DeviceIdentification, DeviceObjects, ExceptionCode, MAX_PDU_LEN, ReadDeviceIdCode,
    Registers, Request, Response, rtu, tcp,
};
use proptest::prelude::*;

/// Function codes the codec models; a `Custom` that round-trips must avoid them.
const MODELLED: [u8; 12] = [1, 2, 3, 4, 5, 6, 8, 15, 16, 22, 23, 43];

/// Owned inputs for a request (a `Request` borrows, so strategies produce these).
#[derive(Clone, Debug)]
enum ReqSpec {
    Read(u8, u16, u16),
    Coil(u16, bool),
    Register(u16, u16),
    Diagnostics(u16, Vec<u8>),
    Coils(u16, u16, Vec<u8>),
    Registers(u16, Vec<u8>),
    Mask(u16, u16, u16),
    ReadWrite(u16, u16, u16, Vec<u8>),
    DeviceId(ReadDeviceIdCode, u8),
    Custom(u8, Vec<u8>),
}

impl ReqSpec {
    fn request(&self) -> Request<'_> {
        match self {
            Self::Read(fc, address, quantity) => {
                let (address, quantity) = (*address, *quantity);
                match fc {
                    1 => Request::ReadCoils { address, quantity },
                    2 => Request::ReadDiscreteInputs { address, quantity },
                    3 => Request::ReadHoldingRegisters { address, quantity },
                    _ => Request::ReadInputRegisters { address, quantity },
                }
            }
            Self::Coil(address, value) => Request::WriteSingleCoil {
                address: *address,
                value: *value,
            },
            Self::Register(address, value) => Request::WriteSingleRegister {
                address: *address,
                value: *value,
            },
            Self::Diagnostics(sub_function, data) => Request::Diagnostics {
                sub_function: *sub_function,
                data,
            },
            Self::Coils(address, quantity, bytes) => Request::WriteMultipleCoils {
                address: *address,
                values: Bits::new(bytes, *quantity).expect("sized by the strategy"),
            },
            Self::Registers(address, bytes) => Request::WriteMultipleRegisters {
                address: *address,
                values: Registers::new(bytes).expect("even"),
            },
            Self::Mask(address, and_mask, or_mask) => Request::MaskWriteRegister {
                address: *address,
                and_mask: *and_mask,
                or_mask: *or_mask,
            },
            Self::ReadWrite(read_address, read_quantity, write_address, bytes) => {
                Request::ReadWriteMultipleRegisters {
                    read_address: *read_address,
                    read_quantity: *read_quantity,
                    write_address: *write_address,
                    values: Registers::new(bytes).expect("even"),
                }
            }
            Self::DeviceId(read_code, object_id) => Request::ReadDeviceIdentification {
                read_code: *read_code,
                object_id: *object_id,
            },
            Self::Custom(function, data) => Request::Custom {
                function: *function,
                data,
            },
        }
    }
}

fn register_bytes(min: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
    (min..=max).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 2))
}

fn custom_function() -> impl Strategy<Value = u8> {
    (0u8..0x80).prop_filter("modelled", |f| !MODELLED.contains(f))
}

fn read_code() -> impl Strategy<Value = ReadDeviceIdCode> {
    (1u8..=4).prop_map(|c| ReadDeviceIdCode::from_u8(c).expect("1..=4"))
}

fn request_spec() -> impl Strategy<Value = ReqSpec> {
    prop_oneof![
        (1u8..=2, any::<u16>(), 1u16..=2000).prop_map(|(f, a, q)| ReqSpec::Read(f, a, q)),
        (3u8..=4, any::<u16>(), 1u16..=125).prop_map(|(f, a, q)| ReqSpec::Read(f, a, q)),
        (any::<u16>(), any::<bool>()).prop_map(|(a, v)| ReqSpec::Coil(a, v)),
        (any::<u16>(), any::<u16>()).prop_map(|(a, v)| ReqSpec::Register(a, v)),
        (
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..=250)
        )
            .prop_map(|(s, d)| ReqSpec::Diagnostics(s, d)),
        (any::<u16>(), 1u16..=1968).prop_flat_map(|(a, q)| {
            let len = usize::from(q).div_ceil(8);
            proptest::collection::vec(any::<u8>(), len).prop_map(move |b| ReqSpec::Coils(a, q, b))
        }),
        (any::<u16>(), register_bytes(1, 123)).prop_map(|(a, b)| ReqSpec::Registers(a, b)),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(a, x, o)| ReqSpec::Mask(a, x, o)),
        (
            any::<u16>(),
            1u16..=125,
            any::<u16>(),
            register_bytes(1, 121)
        )
            .prop_map(|(ra, rq, wa, b)| ReqSpec::ReadWrite(ra, rq, wa, b)),
        (read_code(), any::<u8>()).prop_map(|(c, o)| ReqSpec::DeviceId(c, o)),
        (
            custom_function(),
            proptest::collection::vec(any::<u8>(), 0..=252)
        )
            .prop_map(|(f, d)| ReqSpec::Custom(f, d)),
    ]
}

/// Owned inputs for a response.
#[derive(Clone, Debug)]
enum RespSpec {
    Bits(u8, Vec<u8>),
    Registers(u8, Vec<u8>),
    Echo(u8, u16, u16),
    Coil(u16, bool),
    Diagnostics(u16, Vec<u8>),
    Mask(u16, u16, u16),
    DeviceId(ReadDeviceIdCode, u8, bool, u8, Vec<(u8, Vec<u8>)>),
    Exception(u8, u8),
    Custom(u8, Vec<u8>),
}

impl RespSpec {
    /// The response; device objects are borrowed from `list`, filled here.
    fn response<'a>(&'a self, list: &'a mut Vec<(u8, &'a [u8])>) -> Response<'a> {
        match self {
            Self::Bits(1, bytes) => Response::ReadCoils(bits_of(bytes)),
            Self::Bits(_, bytes) => Response::ReadDiscreteInputs(bits_of(bytes)),
            Self::Registers(fc, bytes) => {
                let regs = Registers::new(bytes).expect("even");
                match fc {
                    3 => Response::ReadHoldingRegisters(regs),
                    4 => Response::ReadInputRegisters(regs),
                    _ => Response::ReadWriteMultipleRegisters(regs),
                }
            }
            Self::Echo(fc, address, x) => match fc {
                6 => Response::WriteSingleRegister {
                    address: *address,
                    value: *x,
                },
                15 => Response::WriteMultipleCoils {
                    address: *address,
                    quantity: *x,
                },
                _ => Response::WriteMultipleRegisters {
                    address: *address,
                    quantity: *x,
                },
            },
            Self::Coil(address, value) => Response::WriteSingleCoil {
                address: *address,
                value: *value,
            },
            Self::Diagnostics(sub_function, data) => Response::Diagnostics {
                sub_function: *sub_function,
                data,
            },
            Self::Mask(address, and_mask, or_mask) => Response::MaskWriteRegister {
                address: *address,
                and_mask: *and_mask,
                or_mask: *or_mask,
            },
            Self::DeviceId(read_code, conformity_level, more_follows, next_object_id, objects) => {
                list.extend(objects.iter().map(|(id, v)| (*id, v.as_slice())));
                Response::ReadDeviceIdentification(DeviceIdentification {
                    read_code: *read_code,
                    conformity_level: *conformity_level,
                    more_follows: *more_follows,
                    next_object_id: *next_object_id,
                    objects: DeviceObjects::from_list(list),
                })
            }
            Self::Exception(function, code) => Response::Exception {
                function: *function,
                code: ExceptionCode::from_u8(*code),
            },
            Self::Custom(function, data) => Response::Custom {
                function: *function,
                data,
            },
        }
    }
}

/// Read responses carry `byte_count * 8` bits: that is what decoding gives back.
fn bits_of(bytes: &[u8]) -> Bits<'_> {
    Bits::new(bytes, (bytes.len() * 8) as u16).expect("whole bytes")
}

fn response_spec() -> impl Strategy<Value = RespSpec> {
    prop_oneof![
        (1u8..=2, proptest::collection::vec(any::<u8>(), 1..=250))
            .prop_map(|(f, b)| RespSpec::Bits(f, b)),
        (
            prop_oneof![Just(3u8), Just(4), Just(23)],
            register_bytes(1, 125)
        )
            .prop_map(|(f, b)| RespSpec::Registers(f, b)),
        (Just(6u8), any::<u16>(), any::<u16>()).prop_map(|(f, a, v)| RespSpec::Echo(f, a, v)),
        (Just(15u8), any::<u16>(), 1u16..=1968).prop_map(|(f, a, q)| RespSpec::Echo(f, a, q)),
        (Just(16u8), any::<u16>(), 1u16..=123).prop_map(|(f, a, q)| RespSpec::Echo(f, a, q)),
        (any::<u16>(), any::<bool>()).prop_map(|(a, v)| RespSpec::Coil(a, v)),
        (
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..=250)
        )
            .prop_map(|(s, d)| RespSpec::Diagnostics(s, d)),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(a, x, o)| RespSpec::Mask(a, x, o)),
        (
            read_code(),
            any::<u8>(),
            any::<bool>(),
            any::<u8>(),
            // At most 10 objects of at most 22 bytes: 240 bytes, within one PDU.
            proptest::collection::vec(
                (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..=22)),
                0..=10
            ),
        )
            .prop_map(|(c, l, m, n, o)| RespSpec::DeviceId(c, l, m, n, o)),
        (0u8..0x80, any::<u8>()).prop_map(|(f, c)| RespSpec::Exception(f, c)),
        (
            custom_function(),
            proptest::collection::vec(any::<u8>(), 0..=252)
        )
            .prop_map(|(f, d)| RespSpec::Custom(f, d)),
    ]
}

/// Up to `max` random bytes, drawn as 64-bit words: eight times fewer value trees than
/// one per byte, which keeps 100,000 debug-build cases within a few seconds.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u64>(), 0..=max.div_ceil(8)),
        0usize..8,
    )
        .prop_map(move |(words, trim)| {
            let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            bytes.truncate(bytes.len().saturating_sub(trim).min(max));
            bytes
        })
}

/// Bytes that often start like a real PDU: a modelled function code (or its exception
/// form) first, so decoders get past the first check.
fn pdu_like() -> impl Strategy<Value = Vec<u8>> {
    let function = prop_oneof![
        proptest::sample::select(MODELLED.to_vec()),
        proptest::sample::select(MODELLED.map(|f| f | 0x80).to_vec()),
        any::<u8>(),
    ];
    let rest = bytes(260);
    prop_oneof![
        bytes(300),
        (function, rest).prop_map(|(f, mut r)| {
            r.insert(0, f);
            r
        }),
    ]
}

/// Bytes that often start like an MBAP or RTU frame.
fn stream_like() -> impl Strategy<Value = Vec<u8>> {
    let mbap = (any::<u16>(), 0u16..=2, 0u16..=300, pdu_like()).prop_map(|(t, p, l, pdu)| {
        let mut v = Vec::new();
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&p.to_be_bytes());
        v.extend_from_slice(&l.to_be_bytes());
        v.push(1);
        v.extend_from_slice(&pdu);
        v
    });
    let rtu_frame = (any::<u8>(), pdu_like()).prop_map(|(a, pdu)| {
        let mut v = vec![a];
        v.extend_from_slice(&pdu);
        v
    });
    prop_oneof![bytes(600), mbap, rtu_frame]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]
    #[test]
    fn every_request_round_trips(spec in request_spec()) {
        let request = spec.request();
        let mut buf = [0u8; MAX_PDU_LEN];
        let len = request.encode(&mut buf).expect("within limits");
        prop_assert_eq!(len, request.encoded_len());
        prop_assert_eq!(Request::decode(&buf[..len]), Ok(request));
    }
    #[test]
    fn every_response_round_trips(spec in response_spec()) {
        let mut list = Vec::new();
        let response = spec.response(&mut list);
        let mut buf = [0u8; MAX_PDU_LEN];
        let len = response.encode(&mut buf).expect("within limits");
        prop_assert_eq!(len, response.encoded_len());
        prop_assert_eq!(Response::decode(&buf[..len]), Ok(response));
    }
    #[test]
    fn requests_survive_both_framings(spec in request_spec(), tid: u16, unit: u8) {
        let request = spec.request();
        let mut buf = [0u8; tcp::MAX_FRAME_LEN];
        let len = tcp::encode_request(&mut buf, tid, unit, &request).expect("fits");
        let (frame, used) = tcp::split_frame(&buf[..len]).expect("valid").expect("whole");
        prop_assert_eq!(used, len);
        prop_assert_eq!((frame.header.transaction_id, frame.header.unit_id), (tid, unit));
        prop_assert_eq!(Request::decode(frame.pdu), Ok(request));

        let len = rtu::encode_request(&mut buf, unit, &request).expect("fits");
        let frame = match rtu::request_len(&buf[..len]) {
            // FC8 and custom codes: delimited by silence on a real line.
            Err(rtu::RtuError::UnknownLength { .. }) => rtu::decode_frame(&buf[..len]).expect("crc"),
            told => {
                prop_assert_eq!(told, Ok(Some(len)));
                rtu::split_frame(&buf[..len], rtu::Direction::Request).expect("crc").expect("whole").0
            }
        };
        prop_assert_eq!(frame.address, unit);
        prop_assert_eq!(Request::decode(frame.pdu), Ok(request));
    }
    #[test]
    fn responses_survive_rtu_length_rules(spec in response_spec(), address: u8) {
        let mut list = Vec::new();
        let response = spec.response(&mut list);
        let mut buf = [0u8; rtu::MAX_FRAME_LEN];
        let len = rtu::encode_response(&mut buf, address, &response).expect("fits");
        match rtu::response_len(&buf[..len]) {
            Err(rtu::RtuError::UnknownLength { .. }) => {
                let undelimited =
                    matches!(response, Response::Diagnostics { .. } | Response::Custom { .. });
                prop_assert!(undelimited, "{:?} has a length rule", response);
            }
            told => prop_assert_eq!(told, Ok(Some(len))),
        }
        // Fed one byte at a time, the length is never over-estimated before it is known.
        for end in 0..len {
            if let Ok(Some(told)) = rtu::response_len(&buf[..end]) {
                prop_assert_eq!(told, len);
            }
        }
    }

    /// Pipelined frames in one stream, delivered in arbitrary chunks, come out whole and
    /// in order.
    #[test]
    fn tcp_stream_splits_however_it_is_cut(
        specs in proptest::collection::vec(request_spec(), 1..6),
        cuts in proptest::collection::vec(1usize..40, 1..40),
    ) {
        let mut stream = Vec::new();
        for (tid, spec) in specs.iter().enumerate() {
            let mut buf = [0u8; tcp::MAX_FRAME_LEN];
            let len = tcp::encode_request(&mut buf, tid as u16, 1, &spec.request()).expect("fits");
            stream.extend_from_slice(&buf[..len]);
        }
        let mut received = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut sent = 0;
        let mut cuts = cuts.into_iter().cycle();
        while sent < stream.len() {
            let chunk = cuts.next().expect("cycle").min(stream.len() - sent);
            pending.extend_from_slice(&stream[sent..sent + chunk]);
            sent += chunk;
            while let Some((frame, used)) = tcp::split_frame(&pending).expect("valid") {
                received.push((frame.header.transaction_id, frame.pdu.to_vec()));
                pending.drain(..used);
            }
        }
        prop_assert!(pending.is_empty());
        prop_assert_eq!(received.len(), specs.len());
        for (tid, ((got_tid, pdu), spec)) in received.iter().zip(&specs).enumerate() {
            prop_assert_eq!(*got_tid as usize, tid);
            prop_assert_eq!(Request::decode(pdu), Ok(spec.request()));
        }
    }
}

proptest! {
    // The no-panic properties: many cases, cheap each.
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    /// Whatever decodes is within every limit, so it encodes again and decodes the same;
    /// whatever does not names an exception to answer (unless there was no function).
    #[test]
    fn arbitrary_pdus_never_panic(bytes in pdu_like()) {
        match Request::decode(&bytes) {
            Ok(request) => {
                let mut buf = [0u8; MAX_PDU_LEN];
                let len = request.encode(&mut buf).expect("decoded requests are encodable");
                prop_assert_eq!(Request::decode(&buf[..len]), Ok(request));
            }
            Err(err) => prop_assert_eq!(err.exception().is_none(), bytes.is_empty()),
        }
        if let Ok(response) = Response::decode(&bytes) {
            let mut buf = [0u8; MAX_PDU_LEN];
            let len = response.encode(&mut buf).expect("decoded responses are encodable");
            prop_assert_eq!(Response::decode(&buf[..len]), Ok(response));
        }
    }
    #[test]
    fn arbitrary_streams_never_panic(bytes in stream_like()) {
        if let Ok(Some((frame, used))) = tcp::split_frame(&bytes) {
            prop_assert!(used <= bytes.len() && used <= tcp::MAX_FRAME_LEN);
            prop_assert_eq!(frame.pdu.len() + tcp::HEADER_LEN, used);
        }
        for direction in [rtu::Direction::Request, rtu::Direction::Response] {
            if let Ok(Some((frame, used))) = rtu::split_frame(&bytes, direction) {
                prop_assert!(used <= bytes.len() && used <= rtu::MAX_FRAME_LEN);
                prop_assert_eq!(frame.pdu.len() + 3, used);
            }
        }
        let _ = rtu::request_len(&bytes);
        let _ = rtu::response_len(&bytes);
        let _ = rtu::decode_frame(&bytes);
    }
}
