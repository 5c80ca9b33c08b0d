//! The master's one-off calls (FC07, FC08, FC11, FC12, FC17, FC20, FC21, FC24, FC43)
//! against pymodbus 3.16's TCP server (`tests/peers/pymodbus_fc_server.py`), on the
//! blocking and the async handle. pymodbus serves some of them with fixed answers (FC20:
//! "SERVER DUMMY RECORD." per record asked, FC24: [0, 1, 2, 3]), checked as such.

use crate::common;

use std::time::Duration;

use msm::master::{Fault, RecordWrite};
use msm::protocol::FileRead;
use msm::{Error, Master, Memory};

/// pymodbus's answer to any record read: this text, two bytes a record.
const DUMMY: &[u8; 20] = b"SERVER DUMMY RECORD.";

fn dummy_records() -> Vec<u16> {
    DUMMY
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

fn pymodbus_server() -> Option<common::PeerProcess> {
    let python = common::pymodbus_python()?;
    let script = common::peer_script("pymodbus_fc_server.py");
    Some(common::PeerProcess::start(
        &python,
        &[script.to_str().expect("utf-8 path")],
    ))
}

fn master_one_off_calls_against_pymodbus() {
    common::init_logging();
    let Some(server) = pymodbus_server() else {
        return;
    };
    let master = Master::tcp(format!("127.0.0.1:{}", server.port()))
        .response_timeout(Duration::from_secs(2))
        .start(Memory::new(0))
        .expect("start");

    let info = master.read_device_identification().expect("FC43");
    assert_eq!(info.vendor().as_deref(), Some("ACME"));
    assert_eq!(info.product_code().as_deref(), Some("PUMP-7"));
    assert_eq!(info.revision().as_deref(), Some("2.1"));
    assert_eq!(info.product_name().as_deref(), Some("Pump"));
    assert_eq!(info.conformity_level & 0x7F, 0x03, "{info:?}");

    // pymodbus: the basic objects joined by '-' as the id, the run indicator last.
    let report = master.report_server_id().expect("FC17");
    assert_eq!(report.server_id, b"ACME-PUMP-7-2.1", "{report:?}");
    assert_eq!(report.running, Some(true));
    assert!(report.additional_data.is_empty(), "{report:?}");

    assert_eq!(
        master.diagnostics(0, &[0xA5, 0x37]).expect("FC08/00"),
        [0xA5, 0x37]
    );
    master.clear_counters().expect("FC08/0A");
    // pymodbus keeps counters it never counts: each helper reads its answer.
    assert_eq!(master.bus_message_count().expect("FC08/0B"), 0);
    assert_eq!(master.server_message_count().expect("FC08/0E"), 0);
    assert_eq!(master.bus_exception_error_count().expect("FC08/0D"), 0);
    assert_eq!(master.diagnostic_register().expect("FC08/02"), 0);
    assert_eq!(master.read_exception_status().expect("FC07"), 0);
    let counter = master.comm_event_counter().expect("FC11");
    assert!(!counter.busy(), "{counter:?}");
    let log = master.comm_event_log().expect("FC12");
    assert_eq!(log.status, 0, "{log:?}");
    assert!(log.events.len() <= 64, "{log:?}");

    let read = |record, length| FileRead {
        file: 4,
        record,
        length,
    };
    assert_eq!(
        master
            .read_file_record(&[read(0, 10), read(20, 10)])
            .expect("FC20"),
        [dummy_records(), dummy_records()]
    );
    // Ten records for two asked: no answer to this request.
    match master.read_file_record(&[read(0, 2)]) {
        Err(Error::Request(f)) => assert!(matches!(f.fault, Fault::BadResponse(_)), "{f}"),
        other => panic!("ten records taken for two: {other:?}"),
    }
    master
        .write_file_record(&[
            RecordWrite::new(4, 7, vec![0x06AF, 0x04BE, 0x100D]),
            RecordWrite::new(5, 0, vec![1]),
        ])
        .expect("FC21, echoed");
    assert_eq!(master.read_fifo_queue(0).expect("FC24"), [0, 1, 2, 3]);
    // After the refused answer, the link still works for the cycle's requests.
    assert_eq!(master.status().reconnects, 0, "{:?}", master.status());
    master.stop();
}

fn async_master_one_off_calls_against_pymodbus() {
    common::init_logging();
    let Some(server) = pymodbus_server() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let master = Master::tcp(format!("127.0.0.1:{}", server.port()))
            .response_timeout(Duration::from_secs(2))
            .start_async(Memory::new(0))
            .await
            .expect("start");
        let report = master.report_server_id().await.expect("FC17");
        assert_eq!(report.server_id, b"ACME-PUMP-7-2.1");
        let info = master.read_device_identification().await.expect("FC43");
        assert_eq!(info.vendor().as_deref(), Some("ACME"));
        assert_eq!(
            master.diagnostics(0, &[1, 2]).await.expect("FC08/00"),
            [1, 2]
        );
        assert_eq!(master.read_fifo_queue(7).await.expect("FC24"), [0, 1, 2, 3]);
        let records = master
            .read_file_record(&[FileRead {
                file: 1,
                record: 0,
                length: 10,
            }])
            .await
            .expect("FC20");
        assert_eq!(records, [dummy_records()]);
        master.stop().await;
    });
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "master_one_off_calls_against_pymodbus",
        run: master_one_off_calls_against_pymodbus,
        needs: &["pymodbus"],
    },
    crate::Test {
        name: "async_master_one_off_calls_against_pymodbus",
        run: async_master_one_off_calls_against_pymodbus,
        needs: &["pymodbus"],
    },
];
