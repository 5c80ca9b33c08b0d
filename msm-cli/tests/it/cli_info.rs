//! The device functions of `msm serve` (FC07, FC08, FC11, FC12, FC17, FC20, FC21, FC24,
//! FC43) as a map declares them (`[identity]`, `[[file]]`, `[[fifo]]`), called by
//! pymodbus's client and by `msm info`; `msm info` against a device that supports none
//! of them.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use common::{run, serve, stderr, stdout, temp_file};
use serde_json::{Value, json};

/// A device: its identity, two files, a FIFO at holding register 20 holding 7, 8, 9,
/// and exception status coils 8..=15 with 8 and 11 on (status 0b1001).
const DEVICE: &str = r#"
[memory]
coils = 16
holding_registers = 40

[identity]
server_id = 10
additional_data = "pump 7"
exception_status_coils = 8
vendor = "ACME"
product_name = "Pump controller"

[[file]]
number = 4
records = 100

[[file]]
number = 5
records = 2

[[fifo]]
address = 20

[vars]
status_0 = { area = "coil", address = 8, type = "bool", value = true }
status_3 = { area = "coil", address = 11, type = "bool", value = true }
fifo_count = { area = "holding", address = 20, type = "u16", value = 3 }
fifo_1 = { area = "holding", address = 21, type = "u16", value = 7 }
fifo_2 = { area = "holding", address = 22, type = "u16", value = 8 }
fifo_3 = { area = "holding", address = 23, type = "u16", value = 9 }
"#;

fn pymodbus_calls_every_device_function_of_msm_serve() {
    let Some(python) = crate::peers::pymodbus_python() else {
        return;
    };
    let map = temp_file("device.toml", DEVICE);
    let script = common::root().join("msm/tests/peers/fc_client.py");
    // pymodbus's sync client, then its async one, each against a fresh msm serve.
    for client in ["sync", "async"] {
        let (_server, addr) = serve(&[&map, "--quiet"]);
        let (host, port) = addr.rsplit_once(':').expect("host:port");
        let output = Command::new(&python)
            .arg(&script)
            .args([host, port, client])
            .output()
            .expect("run the pymodbus client");
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "pymodbus {client} client failed: {out}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let got: Value = serde_json::from_str(out.trim()).expect("JSON from the client");
        check_every_device_function(&got);
    }
}

/// What pymodbus's client got from msm serve serving `DEVICE`.
fn check_every_device_function(got: &Value) {
    let exception = |code: u8| json!({ "exception": code });

    assert_eq!(got["fc08_clear"], json!(0));
    assert_eq!(got["fc07"], json!(0b1001), "coils 8 and 11");
    // Server id 10, run ON, "pump 7": pymodbus reads the last byte as the run indicator
    // (its own server puts it last), the spec's order is id, run, additional data.
    assert_eq!(
        got["fc17"]["identifier"],
        json!(format!("0aff{}", hex(b"pump ")))
    );
    assert_eq!(
        got["fc43"],
        json!({"0": "ACME", "1": "msm", "2": env!("CARGO_PKG_VERSION"), "4": "Pump controller"})
    );
    // FC21 wrote 4:7..=9 and 5:0 in one request, FC20 read 4:6..=9 and 5:0 back.
    assert_eq!(got["fc21"], json!(2));
    assert_eq!(got["fc20"], json!([[0, 0x06AF, 0x04BE, 0x100D], [1]]));
    assert_eq!(got["fc20_no_file"], exception(2));
    assert_eq!(got["fc20_past_end"], exception(2));
    assert_eq!(got["fc24"], json!([7, 8, 9]));
    assert_eq!(got["fc24_not_fifo"], exception(2));
    assert_eq!(got["fc08_00"], json!("a537"));
    assert_eq!(got["fc08_02"], json!(0));
    assert_eq!(got["fc08_03"], json!(0x0A00), "the delimiter echoed");
    // Since clear counters: 12 requests before 0B, which counts itself.
    assert_eq!(got["fc08_0b"], json!(13));
    assert_eq!(got["fc08_0e"], json!(15));
    for zero in [
        "fc08_0c", "fc08_0f", "fc08_10", "fc08_11", "fc08_12", "fc08_14",
    ] {
        assert_eq!(got[zero], json!(0), "{zero}");
    }
    // Four exceptions: two FC20s, an FC24, an FC03.
    assert_eq!(got["fc03_past_end"], exception(2));
    assert_eq!(got["fc08_0d"], json!(4));
    // FC11 and FC12 agree; the log is newest first: FC12 received, FC11's answer sent.
    assert_eq!(got["fc11"]["ready"], json!(true));
    assert_eq!(got["fc12"]["event_count"], got["fc11"]["count"]);
    let events = got["fc12"]["events"].as_array().expect("events");
    assert!(events.len() <= 64, "{events:?}");
    assert_eq!(events[..2], [json!(0x80), json!(0x40)], "{events:?}");
    assert!(
        events.contains(&json!(0x41)),
        "an exception sent is logged as such: {events:?}"
    );
    // Listen-only: nothing answered until the restart, which clears the counters.
    assert_eq!(got["fc08_04"], json!("sent"));
    assert!(
        got["fc03_listen_only"].get("no_answer").is_some(),
        "{}",
        got["fc03_listen_only"]
    );
    assert_eq!(got["fc03_restarted"], json!([3, 7, 8, 9]));
    assert_eq!(got["fc08_01_answered"], json!(0xFF00));
    assert_eq!(got["fc08_0b_after_restart"], json!(1));
    assert_eq!(got["fc08_15"], exception(1), "an undefined sub-function");
}

/// libmodbus's client (`modbus_report_slave_id`, built from
/// `msm/tests/peers/libmodbus_report_server_id.c`) reads msm serve's FC17 answer whole,
/// and truncated to what it asks for.
fn libmodbus_reports_the_server_id_of_msm_serve() {
    let dir = common::TempDir::new();
    let program = dir.join("report_server_id");
    let source = common::root().join("msm/tests/peers/libmodbus_report_server_id.c");
    let built = Command::new("cc")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .args(["-I/usr/include/modbus", "-lmodbus"])
        .output()
        .expect("run cc");
    assert!(
        built.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let map = temp_file("device.toml", DEVICE);
    let (_server, addr) = serve(&[&map, "--quiet"]);
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let ask = |max: &str| {
        let out = Command::new(&program)
            .args([host, port, max])
            .output()
            .expect("run the libmodbus client");
        assert!(
            out.status.success(),
            "libmodbus: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // Server id 10, run indicator ON, "pump 7": 8 bytes announced, as many copied.
    assert_eq!(ask("64"), format!("8 0aff{}", hex(b"pump 7")));
    // Asked for 2: the count announced still, the first two bytes copied.
    assert_eq!(ask("2"), "8 0aff");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn info_tells_what_msm_serve_says_about_itself() {
    let map = temp_file("device.toml", DEVICE);
    let (_server, addr) = serve(&[&map, "--quiet"]);
    let out = run(&["info", "--connect", &addr]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for (label, value) in [
        ("vendor", "ACME"),
        ("product code", "msm"),
        ("product name", "Pump controller"),
        ("vendor url", "-"),
        ("conformity level", "0x82 (regular, individual access)"),
        ("server id", "0a"),
        ("run indicator", "on"),
        ("additional data", "pump 7"),
        ("exception status", "0b00001001"),
        ("comm status", "ready"),
        ("diagnostic register", "0x0000"),
        ("bus communication errors", "0"),
        ("server NAKs", "0"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{label}  ")))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"));
        assert_eq!(line[label.len()..].trim(), value, "{label}:\n{text}");
    }

    let out = run(&["info", "--connect", &addr, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(got["identity"]["vendor"], json!("ACME"));
    assert_eq!(got["identity"]["conformity_level"], json!(0x82));
    assert_eq!(
        got["server_id"],
        json!({"server_id": "0a", "run": true, "additional_data": "pump 7",
               "bytes": format!("0aff{}", hex(b"pump 7"))})
    );
    assert_eq!(got["exception_status"], json!(9));
    assert_eq!(got["comm_event_counter"]["busy"], json!(false));
    assert_eq!(got["counters"]["bus_exception_errors"], json!(0));
    assert_eq!(got["counters"]["server_naks"], json!(0));
    let counted = got["counters"]["server_messages"]
        .as_u64()
        .expect("a count");
    assert!(counted >= 5, "the requests so far were counted: {got}");
}

/// A Modbus/TCP device that answers every request with exception 01 but Report Server
/// ID: `msm info` says "not supported" on each line of the others.
fn info_says_not_supported_where_the_device_answers_01() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let device = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut header = [0u8; 7];
        // Until msm info closes the connection.
        while conn.read_exact(&mut header).is_ok() {
            let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
            let mut pdu = vec![0u8; len.saturating_sub(1)];
            conn.read_exact(&mut pdu).expect("the PDU");
            let answer: Vec<u8> = match pdu[0] {
                0x11 => vec![0x11, 3, 0x2A, 0x00, b'x'],
                f => vec![f | 0x80, 0x01],
            };
            let mut frame = header[..4].to_vec();
            frame.extend((answer.len() as u16 + 1).to_be_bytes());
            frame.push(header[6]);
            frame.extend(answer);
            conn.write_all(&frame).expect("answer");
        }
    });
    let out = run(&["info", "--connect", &addr, "--unit", "3"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for label in [
        "vendor",
        "model name",
        "exception status",
        "comm event count",
        "diagnostic register",
        "bus messages",
        "bus character overruns",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{label}  ")))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"));
        assert!(line.ends_with("  not supported"), "{line}");
    }
    assert!(text.contains("server id                 2a\n"), "{text}");
    assert!(text.contains("run indicator             off\n"), "{text}");
    assert!(text.contains("device                    "), "{text}");
    assert!(text.contains(" unit 3\n"), "{text}");
    device.join().expect("the device thread");
}

fn info_fails_when_the_device_cannot_be_reached() {
    // A closed loopback port.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = run(&["info", "--connect", &format!("127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("cannot connect"), "{}", stderr(&out));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "pymodbus_calls_every_device_function_of_msm_serve",
        run: pymodbus_calls_every_device_function_of_msm_serve,
        needs: &["pymodbus"],
    },
    crate::Test {
        name: "libmodbus_reports_the_server_id_of_msm_serve",
        run: libmodbus_reports_the_server_id_of_msm_serve,
        needs: &["libmodbus"],
    },
    crate::Test {
        name: "info_tells_what_msm_serve_says_about_itself",
        run: info_tells_what_msm_serve_says_about_itself,
        needs: &[],
    },
    crate::Test {
        name: "info_says_not_supported_where_the_device_answers_01",
        run: info_says_not_supported_where_the_device_answers_01,
        needs: &[],
    },
    crate::Test {
        name: "info_fails_when_the_device_cannot_be_reached",
        run: info_fails_when_the_device_cannot_be_reached,
        needs: &[],
    },
];
