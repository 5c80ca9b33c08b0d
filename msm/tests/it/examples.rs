//! The shipped examples run and do what they say (each bounded in time).

use crate::common;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

/// An example binary built by `cargo test` (which builds the package's examples).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} not built: run `cargo test` (it builds examples)",
        path.display()
    );
    path
}

/// Runs example `name` with `args` to its end; its standard output, once it succeeded.
fn run_to_success(name: &str, args: &[&OsStr]) -> String {
    let out = Command::new(example(name))
        .args(args)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn quickstart_runs() {
    let text = run_to_success("quickstart", &[]);
    assert!(
        text.contains("PLC sees counter = 99999") && text.contains("HMI sees alarm = true"),
        "{text}"
    );
}

fn server_and_client_mapper_talk() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = common::PeerProcess::start(&example("server_mapper"), &[&addr, "8"]);
    assert!(
        server.announced.contains("serving 8 holding registers"),
        "{}",
        server.announced
    );
    let text = run_to_success("client_mapper", &[addr.as_ref()]);
    assert!(text.contains("wrote CURRENT_VALUE = 99999"), "{text}");
    assert!(
        text.contains("read back: CURRENT_VALUE=99999 CONTROL_WORD=0x8000"),
        "{text}"
    );
}

/// The map file of the issue's pump, as `plc_struct` writes it.
const PUMP_MAP: &str = r#"[memory]
coils = 1
discrete_inputs = 1
input_registers = 2
holding_registers = 12
order = "ABCD"

[vars]
SETPOINT = { area = "holding", address = 0, type = "u16" }
TOTAL    = { area = "holding", address = 1, type = "u32", order = "CDAB" }
ALARM    = { area = "holding", address = 3, type = "bit", bit = 0 }
STEP     = { area = "holding", address = 4, type = "u8", byte = "high" }
NAME     = { area = "holding", address = 8, type = "string", len = 4 }
LEVEL    = { area = "input", address = 0, type = "f32" }
RUN      = { area = "coil", address = 0, type = "bool" }
READY    = { area = "discrete", address = 0, type = "bool" }
"#;

fn plc_struct_serves_syncs_and_writes_its_map() {
    let dir = common::TempDir::new("plc-struct");
    let path = dir.path.join("pump.toml");
    let text = run_to_success("plc_struct", &[path.as_os_str()]);
    assert!(
        text.contains("HMI reads name = P-101, level = 42.5, ready = true, step = 3"),
        "{text}"
    );
    assert!(
        text.contains("PLC sees setpoint = 1200, total = 99999, alarm = true, run = true"),
        "{text}"
    );
    // The map file: the struct's layout, which any map reader takes.
    let written = std::fs::read_to_string(&path).expect("the map file");
    assert_eq!(written, PUMP_MAP);
    let map = msm::Map::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let mm = map.build().unwrap_or_else(|e| panic!("{e}"));
    let total = mm.find("TOTAL").unwrap_or_else(|e| panic!("{e}"));
    total.set_str("70000").unwrap_or_else(|e| panic!("{e}"));
    // CDAB, as the struct says: the low word first.
    let raw = mm.memory().holding_raw(1, 2).expect("declared");
    assert_eq!(raw.get(), [0x1170, 0x0001]); // 70000 = 0x0001_1170

    // Without a path, it prints the same file.
    let printed = run_to_success("plc_struct", &[]);
    assert!(printed.ends_with(PUMP_MAP), "{printed}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "quickstart_runs",
        run: quickstart_runs,
        needs: &[],
    },
    crate::Test {
        name: "server_and_client_mapper_talk",
        run: server_and_client_mapper_talk,
        needs: &[],
    },
    crate::Test {
        name: "plc_struct_serves_syncs_and_writes_its_map",
        run: plc_struct_serves_syncs_and_writes_its_map,
        needs: &[],
    },
];
