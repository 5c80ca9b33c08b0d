//! The shipped examples run and do what they say (each bounded in time).

use crate::common;

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

fn quickstart_runs() {
    let out = Command::new(example("quickstart")).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let out = Command::new(example("client_mapper"))
        .arg(&addr)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("wrote CURRENT_VALUE = 99999"), "{text}");
    assert!(
        text.contains("read back: CURRENT_VALUE=99999 CONTROL_WORD=0x8000"),
        "{text}"
    );
}

fn plc_struct_serves_syncs_and_writes_its_map() {
    let dir = common::TempDir::new("plc-struct");
    let path = dir.path.join("pump.toml");
    let out = Command::new(example("plc_struct"))
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("HMI reads name = P-101, level = 42.5, ready = true, step = 3"),
        "{text}"
    );
    assert!(
        text.contains("PLC sees setpoint = 1200, total = 99999, alarm = true, run = true"),
        "{text}"
    );
    // The map file it wrote is one any map reader takes, with the struct's layout.
    let map = msm::Map::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = map.vars().iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "SETPOINT", "TOTAL", "ALARM", "STEP", "NAME", "LEVEL", "RUN", "READY"
        ]
    );
    let total = map.var("TOTAL").expect("TOTAL");
    assert_eq!((total.address, total.order), (1, Some(msm::Order::CDAB)));
    let mm = map.build().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        mm.memory().spec(msm::Area::Holding),
        msm::AreaSpec::new(0, 12)
    );

    // Without a path, it prints the same file.
    let out = Command::new(example("plc_struct")).output().expect("run");
    let printed = String::from_utf8_lossy(&out.stdout);
    let written = std::fs::read_to_string(&path).expect("the map file");
    assert!(printed.ends_with(&written), "{printed}");
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
