//! The examples printed in the Modbus Application Protocol Specification V1.1b3 (one per
//! function code, section 6), byte for byte, in both directions: the request decodes to
//! the value and the value encodes to the bytes; the same for the response; and the
//! response answers the request. Plus the MBAP framing of the TCP implementation guide
//! and the CRC example of the serial line spec.

use msm_proto::{
    Bits, CommEvent, CommEventLog, DeviceIdentification, DeviceObjects, DiagnosticCounter,
    DiagnosticsRequest, DiagnosticsResponse, ExceptionCode, FileRead, FileReads, FileRecords,
    FileWrites, ReadDeviceIdCode, Registers, Request, Response, ServerIdReport,
    encode_device_identification, read_response_body, rtu, tcp,
};

/// Decodes `pdu` to `expected` and encodes `expected` back to `pdu`.
fn request_both_ways(pdu: &[u8], expected: Request<'_>) {
    assert_eq!(Request::decode(pdu), Ok(expected), "decoding {pdu:02X?}");
    let mut buf = [0u8; 253];
    let len = expected.encode(&mut buf).expect("encodes");
    assert_eq!(&buf[..len], pdu, "encoding {expected:?}");
}

/// Decodes `pdu` to `expected`, encodes it back, and checks it answers `request`.
fn response_both_ways(pdu: &[u8], expected: Response<'_>, request: Request<'_>) {
    let decoded = Response::decode(pdu).expect("decodes");
    assert_eq!(decoded, expected, "decoding {pdu:02X?}");
    let mut buf = [0u8; 253];
    let len = expected.encode(&mut buf).expect("encodes");
    assert_eq!(&buf[..len], pdu, "encoding {expected:?}");
    assert_eq!(decoded.check_answers(&request), Ok(()));
}

fn registers(bytes: &[u8]) -> Registers<'_> {
    Registers::new(bytes).expect("even length")
}

fn bits(bytes: &[u8], quantity: u16) -> Bits<'_> {
    Bits::new(bytes, quantity).expect("ceil(quantity / 8) bytes")
}

#[test]
fn fc01_read_coils_20_to_38() {
    let request = Request::ReadCoils {
        address: 0x13,
        quantity: 0x13,
    };
    request_both_ways(&[0x01, 0x00, 0x13, 0x00, 0x13], request);
    let pdu = [0x01, 0x03, 0xCD, 0x6B, 0x05];
    response_both_ways(&pdu, Response::ReadCoils(bits(&pdu[2..], 24)), request);
    // Coils 27..20 = CD (1100 1101), 35..28 = 6B, then 38..36 = 101 and five zero pads.
    let Ok(Response::ReadCoils(coils)) = Response::decode(&pdu) else {
        panic!("FC1 response")
    };
    let coils = bits(coils.as_bytes(), 19);
    let on: Vec<usize> = (0..19).filter(|&i| coils.get(i) == Some(true)).collect();
    assert_eq!(on, [0, 2, 3, 6, 7, 8, 9, 11, 13, 14, 16, 18]);
}

#[test]
fn fc02_read_discrete_inputs_197_to_218() {
    let request = Request::ReadDiscreteInputs {
        address: 0xC4,
        quantity: 0x16,
    };
    request_both_ways(&[0x02, 0x00, 0xC4, 0x00, 0x16], request);
    let pdu = [0x02, 0x03, 0xAC, 0xDB, 0x35];
    response_both_ways(
        &pdu,
        Response::ReadDiscreteInputs(bits(&pdu[2..], 24)),
        request,
    );
}

#[test]
fn fc03_read_holding_registers_108_to_110() {
    let request = Request::ReadHoldingRegisters {
        address: 0x6B,
        quantity: 3,
    };
    request_both_ways(&[0x03, 0x00, 0x6B, 0x00, 0x03], request);
    let pdu = [0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64];
    response_both_ways(
        &pdu,
        Response::ReadHoldingRegisters(registers(&pdu[2..])),
        request,
    );
    let Ok(Response::ReadHoldingRegisters(values)) = Response::decode(&pdu) else {
        panic!("FC3 response")
    };
    assert_eq!(values.iter().collect::<Vec<_>>(), [555, 0, 100]);
    // The server's zero-copy path produces the same bytes.
    let mut buf = [0u8; 253];
    read_response_body(&mut buf, 0x03, 6)
        .expect("fits")
        .copy_from_slice(&pdu[2..]);
    assert_eq!(&buf[..8], pdu);
}

#[test]
fn fc04_read_input_register_9() {
    let request = Request::ReadInputRegisters {
        address: 0x08,
        quantity: 1,
    };
    request_both_ways(&[0x04, 0x00, 0x08, 0x00, 0x01], request);
    let pdu = [0x04, 0x02, 0x00, 0x0A];
    response_both_ways(
        &pdu,
        Response::ReadInputRegisters(registers(&pdu[2..])),
        request,
    );
}

#[test]
fn fc05_write_coil_173_on() {
    let request = Request::WriteSingleCoil {
        address: 0xAC,
        value: true,
    };
    let pdu = [0x05, 0x00, 0xAC, 0xFF, 0x00];
    request_both_ways(&pdu, request);
    let response = Response::WriteSingleCoil {
        address: 0xAC,
        value: true,
    };
    response_both_ways(&pdu, response, request);
}

#[test]
fn fc06_write_register_2_to_3() {
    let request = Request::WriteSingleRegister {
        address: 1,
        value: 3,
    };
    let pdu = [0x06, 0x00, 0x01, 0x00, 0x03];
    request_both_ways(&pdu, request);
    let response = Response::WriteSingleRegister {
        address: 1,
        value: 3,
    };
    response_both_ways(&pdu, response, request);
}

#[test]
fn fc08_diagnostics_return_query_data() {
    let pdu = [0x08, 0x00, 0x00, 0xA5, 0x37];
    let request = Request::Diagnostics {
        sub_function: 0,
        data: &[0xA5, 0x37],
    };
    request_both_ways(&pdu, request);
    let response = Response::Diagnostics {
        sub_function: 0,
        data: &[0xA5, 0x37],
    };
    response_both_ways(&pdu, response, request);
}

#[test]
fn fc07_read_exception_status() {
    request_both_ways(&[0x07], Request::ReadExceptionStatus);
    response_both_ways(
        &[0x07, 0x6D],
        Response::ReadExceptionStatus(0x6D),
        Request::ReadExceptionStatus,
    );
}

/// The spec prints no example for the other sub-functions; their layout (sub-function,
/// one data word) is its table's.
#[test]
fn fc08_diagnostics_counters_and_restart() {
    let request = Request::Diagnostics {
        sub_function: 0x0B,
        data: &[0x00, 0x00],
    };
    request_both_ways(&[0x08, 0x00, 0x0B, 0x00, 0x00], request);
    assert_eq!(
        DiagnosticsRequest::parse(0x0B, &[0, 0]),
        Ok(DiagnosticsRequest::ReturnCounter(
            DiagnosticCounter::BusMessages
        ))
    );
    let pdu = [0x08, 0x00, 0x0B, 0x01, 0x08];
    let response = Response::Diagnostics {
        sub_function: 0x0B,
        data: &pdu[3..],
    };
    response_both_ways(&pdu, response, request);
    assert_eq!(
        DiagnosticsResponse::parse(0x0B, &pdu[3..]),
        Ok(DiagnosticsResponse::Counter {
            counter: DiagnosticCounter::BusMessages,
            value: 264
        })
    );
    let restart = Request::Diagnostics {
        sub_function: 0x01,
        data: &[0xFF, 0x00],
    };
    request_both_ways(&[0x08, 0x00, 0x01, 0xFF, 0x00], restart);
    let refused = Request::decode(&[0x08, 0x00, 0x01, 0x12, 0x34])
        .expect_err("restart takes 0x0000 or 0xFF00");
    assert_eq!(refused.exception(), Some(ExceptionCode::IllegalDataValue));
}

#[test]
fn fc11_get_comm_event_counter_busy_264() {
    request_both_ways(&[0x0B], Request::GetCommEventCounter);
    response_both_ways(
        &[0x0B, 0xFF, 0xFF, 0x01, 0x08],
        Response::GetCommEventCounter {
            status: 0xFFFF,
            event_count: 264,
        },
        Request::GetCommEventCounter,
    );
}

#[test]
fn fc12_get_comm_event_log_two_events() {
    request_both_ways(&[0x0C], Request::GetCommEventLog);
    let pdu = [0x0C, 0x08, 0x00, 0x00, 0x01, 0x08, 0x01, 0x21, 0x20, 0x00];
    let log = CommEventLog {
        status: 0,
        event_count: 264,
        message_count: 289,
        events: &[0x20, 0x00],
    };
    response_both_ways(
        &pdu,
        Response::GetCommEventLog(log),
        Request::GetCommEventLog,
    );
    // The older event: a communications restart. (The spec's text calls 0x20 "entered
    // listen only mode", which its own table encodes as 0x04.)
    assert_eq!(CommEvent::from_byte(0x00), CommEvent::Restarted);
}

/// The spec gives only the layout: byte count, server id, run indicator (0xFF ON),
/// additional data, all of a device-specific length.
#[test]
fn fc17_report_server_id_layout() {
    request_both_ways(&[0x11], Request::ReportServerId);
    let pdu = [0x11, 0x05, 0x2A, 0xFF, b'm', b's', b'm'];
    let report = ServerIdReport::new(&pdu[2..]).expect("1..=251 bytes");
    response_both_ways(
        &pdu,
        Response::ReportServerId(report),
        Request::ReportServerId,
    );
    let parts = report.split(1).expect("id, run indicator");
    assert_eq!(
        (parts.server_id, parts.running()),
        (&[0x2A][..], Some(true))
    );
    assert_eq!(parts.additional_data, b"msm");
}

#[test]
fn fc20_read_file_record_files_4_and_3() {
    let pdu = [
        0x14, 0x0E, 0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x06, 0x00, 0x03, 0x00, 0x09, 0x00,
        0x02,
    ];
    let reads = FileReads::new(&pdu[2..]).expect("valid");
    assert_eq!(
        reads.iter().collect::<Vec<_>>(),
        [
            FileRead {
                file: 4,
                record: 1,
                length: 2
            },
            FileRead {
                file: 3,
                record: 9,
                length: 2
            }
        ]
    );
    let request = Request::ReadFileRecord(reads);
    request_both_ways(&pdu, request);
    let pdu = [
        0x14, 0x0C, 0x05, 0x06, 0x0D, 0xFE, 0x00, 0x20, 0x05, 0x06, 0x33, 0xCD, 0x00, 0x40,
    ];
    let records = FileRecords::new(&pdu[2..]).expect("valid");
    response_both_ways(&pdu, Response::ReadFileRecord(records), request);
    let groups: Vec<Vec<u16>> = records.iter().map(|r| r.iter().collect()).collect();
    assert_eq!(groups, [[0x0DFE, 0x0020], [0x33CD, 0x0040]]);
}

#[test]
fn fc21_write_file_record_file_4_from_7() {
    let pdu = [
        0x15, 0x0D, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x03, 0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D,
    ];
    let writes = FileWrites::new(&pdu[2..]).expect("valid");
    let request = Request::WriteFileRecord(writes);
    request_both_ways(&pdu, request);
    // The normal response is an echo of the request.
    response_both_ways(&pdu, Response::WriteFileRecord(writes), request);
    let write = writes.iter().next().expect("one sub-request");
    assert_eq!((write.file, write.record), (4, 7));
    assert_eq!(
        write.values,
        registers(&[0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D])
    );
}

#[test]
fn fc24_read_fifo_queue_at_1246() {
    let request = Request::ReadFifoQueue { address: 0x04DE };
    request_both_ways(&[0x18, 0x04, 0xDE], request);
    let pdu = [0x18, 0x00, 0x06, 0x00, 0x02, 0x01, 0xB8, 0x12, 0x84];
    response_both_ways(
        &pdu,
        Response::ReadFifoQueue(registers(&[0x01, 0xB8, 0x12, 0x84])),
        request,
    );
}

#[test]
fn fc15_write_coils_20_to_29() {
    let pdu = [0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01];
    let request = Request::WriteMultipleCoils {
        address: 0x13,
        values: bits(&[0xCD, 0x01], 10),
    };
    request_both_ways(&pdu, request);
    let response = Response::WriteMultipleCoils {
        address: 0x13,
        quantity: 10,
    };
    response_both_ways(&[0x0F, 0x00, 0x13, 0x00, 0x0A], response, request);
}

#[test]
fn fc16_write_registers_2_and_3() {
    let pdu = [0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02];
    let request = Request::WriteMultipleRegisters {
        address: 1,
        values: registers(&[0x00, 0x0A, 0x01, 0x02]),
    };
    request_both_ways(&pdu, request);
    let response = Response::WriteMultipleRegisters {
        address: 1,
        quantity: 2,
    };
    response_both_ways(&[0x10, 0x00, 0x01, 0x00, 0x02], response, request);
}

#[test]
fn fc22_mask_write_register_5() {
    let pdu = [0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25];
    let request = Request::MaskWriteRegister {
        address: 4,
        and_mask: 0xF2,
        or_mask: 0x25,
    };
    request_both_ways(&pdu, request);
    let response = Response::MaskWriteRegister {
        address: 4,
        and_mask: 0xF2,
        or_mask: 0x25,
    };
    response_both_ways(&pdu, response, request);
}

#[test]
fn fc23_read_6_from_4_write_3_from_15() {
    let pdu = [
        0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00, 0x03, 0x06, 0x00, 0xFF, 0x00, 0xFF, 0x00,
        0xFF,
    ];
    let request = Request::ReadWriteMultipleRegisters {
        read_address: 3,
        read_quantity: 6,
        write_address: 0x0E,
        values: registers(&[0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF]),
    };
    request_both_ways(&pdu, request);
    let response_pdu = [
        0x17, 0x0C, 0x00, 0xFE, 0x0A, 0xCD, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0D, 0x00, 0xFF,
    ];
    let response = Response::ReadWriteMultipleRegisters(registers(&response_pdu[2..]));
    response_both_ways(&response_pdu, response, request);
}

/// The spec's FC43/14 example (basic identification in one transaction). The object
/// lengths are those of the printed strings (0x16, 0x0F, 0x05).
#[test]
fn fc43_read_device_identification_basic() {
    let request = Request::ReadDeviceIdentification {
        read_code: ReadDeviceIdCode::Basic,
        object_id: 0,
    };
    request_both_ways(&[0x2B, 0x0E, 0x01, 0x00], request);

    let objects: &[(u8, &[u8])] = &[
        (0x00, b"Company identification"),
        (0x01, b"Product code XX"),
        (0x02, b"V2.11"),
    ];
    let mut pdu = vec![0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x03];
    for (id, value) in objects {
        pdu.extend_from_slice(&[*id, value.len() as u8]);
        pdu.extend_from_slice(value);
    }
    assert_eq!(&pdu[7..9], [0x00, 0x16]);
    let response = Response::ReadDeviceIdentification(DeviceIdentification {
        read_code: ReadDeviceIdCode::Basic,
        conformity_level: 0x01,
        more_follows: false,
        next_object_id: 0,
        objects: DeviceObjects::from_list(objects),
    });
    response_both_ways(&pdu, response, request);
    let mut buf = [0u8; 253];
    let len = encode_device_identification(&mut buf, ReadDeviceIdCode::Basic, 0x01, objects, 0)
        .expect("fits");
    assert_eq!(&buf[..len], pdu);
}

/// Section 7's example: reading coils at an address the server does not have.
#[test]
fn exception_illegal_data_address() {
    let request = Request::ReadCoils {
        address: 0x04A1,
        quantity: 1,
    };
    request_both_ways(&[0x01, 0x04, 0xA1, 0x00, 0x01], request);
    let response = Response::Exception {
        function: 0x01,
        code: ExceptionCode::IllegalDataAddress,
    };
    response_both_ways(&[0x81, 0x02], response, request);
}

/// MBAP framing per the TCP implementation guide: the FC3 example above, transaction 1,
/// unit 0x11.
#[test]
fn mbap_frames_the_fc3_example() {
    let frame = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03,
    ];
    let (split, used) = tcp::split_frame(&frame)
        .expect("valid")
        .expect("whole frame");
    assert_eq!(used, frame.len());
    assert_eq!(
        split.header,
        tcp::Header {
            transaction_id: 1,
            protocol_id: 0,
            length: 6,
            unit_id: 0x11
        }
    );
    let request = Request::decode(split.pdu).expect("FC3");
    let mut buf = [0u8; tcp::MAX_FRAME_LEN];
    let len = tcp::encode_request(&mut buf, 1, 0x11, &request).expect("fits");
    assert_eq!(&buf[..len], frame);
}

/// The serial line spec's CRC example (02 07 → 0x1241, sent low byte first) and the FC3
/// example as an RTU frame for slave 0x11.
#[test]
fn rtu_crc_example_and_fc3_frame() {
    assert_eq!(rtu::crc16(&[0x02, 0x07]), 0x1241);
    let mut buf = [0u8; rtu::MAX_FRAME_LEN];
    let request = Request::ReadHoldingRegisters {
        address: 0x6B,
        quantity: 3,
    };
    let len = rtu::encode_request(&mut buf, 0x11, &request).expect("fits");
    assert_eq!(
        &buf[..len],
        [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87]
    );
    let mut frame = vec![0x02, 0x07];
    frame.extend_from_slice(&rtu::crc16(&frame).to_le_bytes());
    assert_eq!(frame, [0x02, 0x07, 0x41, 0x12]);
}
