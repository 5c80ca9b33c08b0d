//! Property tests of the protocol codec: every request and response type survives
//! encode → decode; frames survive framing and stream splitting however the stream is
//! cut; and arbitrary bytes never make a decoder or splitter panic or read out of bounds
//! (the codec has no indexing, so out-of-bounds would be a panic too).

use msm_proto::{
    Bits, CommEventLog, DeviceIdentification, DeviceObjects, DiagnosticsSubFunction, ExceptionCode,
    FileRead, FileReads, FileRecords, FileWrite, FileWrites, MAX_PDU_LEN, ReadDeviceIdCode,
    Registers, Request, Response, ServerIdReport, rtu, tcp,
};
use proptest::prelude::*;

/// Function codes the codec models; a `Custom` that round-trips must avoid them.
const MODELLED: [u8; 19] = [
    1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
];

/// The FC08 sub-functions whose data is one word 0x0000 in a request.
const ZERO_DATA_SUB_FUNCTIONS: [u16; 12] = [
    2, 4, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x14,
];

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
    /// FC7, FC11, FC12, FC17: no data.
    Bare(u8),
    /// FC20 sub-requests, as their wire bytes (made once by the strategy).
    FileReads(Vec<u8>),
    /// FC21 sub-requests, as their wire bytes.
    FileWrites(Vec<u8>),
    Fifo(u16),
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
            Self::Bare(7) => Request::ReadExceptionStatus,
            Self::Bare(11) => Request::GetCommEventCounter,
            Self::Bare(12) => Request::GetCommEventLog,
            Self::Bare(_) => Request::ReportServerId,
            Self::FileReads(bytes) => {
                Request::ReadFileRecord(FileReads::new(bytes).expect("valid"))
            }
            Self::FileWrites(bytes) => {
                Request::WriteFileRecord(FileWrites::new(bytes).expect("valid"))
            }
            Self::Fifo(address) => Request::ReadFifoQueue { address: *address },
        }
    }
}

/// FC08 sub-function and data that a request may carry: any data for Return Query Data
/// and the codes the spec does not define, the spec's word for the others.
fn diagnostics_request() -> impl Strategy<Value = (u16, Vec<u8>)> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..=250).prop_map(|d| (0, d)),
        any::<u16>()
            .prop_filter("undefined", |s| matches!(
                DiagnosticsSubFunction::from_u16(*s),
                DiagnosticsSubFunction::Other(_)
            ))
            .prop_flat_map(
                |s| proptest::collection::vec(any::<u8>(), 0..=250).prop_map(move |d| (s, d))
            ),
        prop_oneof![Just(vec![0u8, 0]), Just(vec![0xFF, 0])].prop_map(|d| (1, d)),
        any::<u8>().prop_map(|c| (3, vec![c, 0])),
        proptest::sample::select(ZERO_DATA_SUB_FUNCTIONS.to_vec()).prop_map(|s| (s, vec![0, 0])),
    ]
}

/// FC08 sub-function and data that a response may carry.
fn diagnostics_response() -> impl Strategy<Value = (u16, Vec<u8>)> {
    prop_oneof![
        diagnostics_request().prop_filter("a counter answers with its value", |(s, _)| {
            !(0x0B..=0x12).contains(s) && *s != 2
        }),
        (prop_oneof![Just(2u16), 0x0Bu16..=0x12], any::<u16>())
            .prop_map(|(s, v)| (s, v.to_be_bytes().to_vec())),
    ]
}

/// Up to 5 valid FC20 sub-requests (a response of at most 2 + 5 * 42 bytes).
fn file_reads() -> impl Strategy<Value = Vec<u8>> {
    let one = (1u16..=u16::MAX, 1u16..=20).prop_flat_map(|(file, length)| {
        (0u16..=(10_000 - length)).prop_map(move |record| FileRead {
            file,
            record,
            length,
        })
    });
    proptest::collection::vec(one, 1..=5).prop_map(|reads| {
        let mut buf = vec![0u8; 245];
        let len = FileReads::write(&mut buf, &reads)
            .expect("valid")
            .as_bytes()
            .len();
        buf.truncate(len);
        buf
    })
}

/// Up to 4 valid FC21 sub-requests of up to 20 records each (at most 188 bytes).
fn file_writes() -> impl Strategy<Value = Vec<u8>> {
    let one = (1u16..=u16::MAX, register_bytes(1, 20)).prop_flat_map(|(file, values)| {
        let length = (values.len() / 2) as u16;
        (0u16..=(10_000 - length)).prop_map(move |record| (file, record, values.clone()))
    });
    proptest::collection::vec(one, 1..=4).prop_map(|writes| {
        let writes: Vec<FileWrite<'_>> = writes
            .iter()
            .map(|(file, record, values)| FileWrite {
                file: *file,
                record: *record,
                values: Registers::new(values).expect("even"),
            })
            .collect();
        let mut buf = vec![0u8; 251];
        let len = FileWrites::write(&mut buf, &writes)
            .expect("valid")
            .as_bytes()
            .len();
        buf.truncate(len);
        buf
    })
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
        diagnostics_request().prop_map(|(s, d)| ReqSpec::Diagnostics(s, d)),
        prop_oneof![Just(7u8), Just(11), Just(12), Just(17)].prop_map(ReqSpec::Bare),
        file_reads().prop_map(ReqSpec::FileReads),
        file_writes().prop_map(ReqSpec::FileWrites),
        any::<u16>().prop_map(ReqSpec::Fifo),
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
    ExceptionStatus(u8),
    EventCounter(u16, u16),
    EventLog(u16, u16, u16, Vec<u8>),
    ServerId(Vec<u8>),
    /// FC20 sub-responses, as their wire bytes.
    FileRecords(Vec<u8>),
    /// FC21's echo, as its wire bytes.
    FileWrites(Vec<u8>),
    Fifo(Vec<u8>),
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
            Self::ExceptionStatus(outputs) => Response::ReadExceptionStatus(*outputs),
            Self::EventCounter(status, event_count) => Response::GetCommEventCounter {
                status: *status,
                event_count: *event_count,
            },
            Self::EventLog(status, event_count, message_count, events) => {
                Response::GetCommEventLog(CommEventLog {
                    status: *status,
                    event_count: *event_count,
                    message_count: *message_count,
                    events,
                })
            }
            Self::ServerId(bytes) => {
                Response::ReportServerId(ServerIdReport::new(bytes).expect("1..=251"))
            }
            Self::FileRecords(bytes) => {
                Response::ReadFileRecord(FileRecords::new(bytes).expect("valid"))
            }
            Self::FileWrites(bytes) => {
                Response::WriteFileRecord(FileWrites::new(bytes).expect("valid"))
            }
            Self::Fifo(bytes) => Response::ReadFifoQueue(Registers::new(bytes).expect("even")),
        }
    }
}

/// Up to 5 FC20 sub-responses of up to 24 records each (at most 250 bytes).
fn file_records() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(register_bytes(1, 24), 1..=5).prop_map(|groups| {
        let groups: Vec<Registers<'_>> = groups
            .iter()
            .map(|g| Registers::new(g).expect("even"))
            .collect();
        let mut buf = vec![0u8; 251];
        let len = FileRecords::write(&mut buf, &groups)
            .expect("fits")
            .as_bytes()
            .len();
        buf.truncate(len);
        buf
    })
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
        diagnostics_response().prop_map(|(s, d)| RespSpec::Diagnostics(s, d)),
        any::<u8>().prop_map(RespSpec::ExceptionStatus),
        (any::<u16>(), any::<u16>()).prop_map(|(s, e)| RespSpec::EventCounter(s, e)),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..=64)
        )
            .prop_map(|(s, e, m, v)| RespSpec::EventLog(s, e, m, v)),
        proptest::collection::vec(any::<u8>(), 1..=251).prop_map(RespSpec::ServerId),
        file_records().prop_map(RespSpec::FileRecords),
        file_writes().prop_map(RespSpec::FileWrites),
        register_bytes(0, 31).prop_map(RespSpec::Fifo),
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
                let undelimited = match response {
                    Response::Diagnostics { sub_function, .. } => matches!(
                        DiagnosticsSubFunction::from_u16(sub_function),
                        DiagnosticsSubFunction::ReturnQueryData | DiagnosticsSubFunction::Other(_)
                    ),
                    Response::Custom { .. } => true,
                    _ => false,
                };
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
