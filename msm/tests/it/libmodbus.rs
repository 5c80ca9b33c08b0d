//! libmodbus's own client test program (`unit-test-client`, shipped as an example with
//! libmodbus-dev) run against msm's slave serving `examples/maps/libmodbus-unit-test.toml`
//! must give the same results as against libmodbus's `unit-test-server`: every check
//! line the same, the special server's misbehaviour (wrong transaction id, late and
//! trickled answers, a short answer, exception 06) made by the map's `[[fault]]`s.
//!
//! Both programs are built here from the package's examples with `cc` and `pkg-config`.
//! Their sources fix the port at 127.0.0.1:1502; this test builds them for a free port
//! instead (the kernel's choice), so that it never needs a port of its own.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{self, LIBMODBUS_EXAMPLES as EXAMPLES, TempDir};

/// The port libmodbus's unit-test programs are written for; they are built for another.
const PORT_IN_SOURCE: &str = "1502";

/// A port free on 127.0.0.1 now (the kernel picks it), for libmodbus's test server.
fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    probe.local_addr().expect("local address").port()
}

fn pkg_config(arg: &str) -> String {
    let out = Command::new("pkg-config")
        .args([arg, "libmodbus"])
        .output()
        .expect("run pkg-config");
    assert!(out.status.success(), "pkg-config {arg} libmodbus failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Builds `name` (unit-test-client or unit-test-server) into `dir`, for `port`.
fn build(dir: &Path, name: &str, port: u16) -> PathBuf {
    let source = dir.join(format!("{name}-{port}.c"));
    let plain = Path::new(EXAMPLES).join(format!("{name}.c"));
    let text = if plain.is_file() {
        std::fs::read_to_string(&plain).expect("read the example")
    } else {
        let unzipped = Command::new("gzip")
            .arg("-dc")
            .arg(plain.with_extension("c.gz"))
            .output()
            .expect("run gzip");
        String::from_utf8_lossy(&unzipped.stdout).into_owned()
    };
    assert!(
        text.contains(PORT_IN_SOURCE),
        "{name}.c no longer names port {PORT_IN_SOURCE}"
    );
    std::fs::write(&source, text.replace(PORT_IN_SOURCE, &port.to_string()))
        .expect("write the example");
    let header = dir.join("unit-test.h");
    if !header.exists() {
        std::fs::copy(Path::new(EXAMPLES).join("unit-test.h"), &header).expect("copy header");
    }
    let program = dir.join(format!("{name}-{port}"));
    let flags = pkg_config("--cflags") + " " + &pkg_config("--libs");
    let out = Command::new("cc")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .args(flags.split_whitespace())
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "cc could not build {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    program
}

/// Is something listening on 127.0.0.1:`port` (read from /proc, without connecting:
/// libmodbus's server takes a single connection)?
fn listening_on_port(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    std::fs::read_to_string("/proc/net/tcp").is_ok_and(|table| {
        table.lines().skip(1).any(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            cols.len() > 3 && cols[1].ends_with(&wanted) && cols[3] == "0A"
        })
    })
}

/// Runs the client to its end (at most two minutes); its exit status and stdout.
fn run_client(client: &Path) -> (bool, String) {
    let mut child = Command::new(client)
        .arg("tcp")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start unit-test-client");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let mut status = None;
    let ended = common::wait_until(Duration::from_secs(120), || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    if !ended {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = reader.join().unwrap_or_default();
    assert!(ended, "unit-test-client did not end within 120 s:\n{text}");
    (status.is_some_and(|s| s.success()), text)
}

/// The lines that carry a check's result, in order. The one check the client itself
/// says "can fail on some platforms" (a 1 µs response timeout, a race with the
/// scheduler) is left out.
fn checks(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("TEST ") || l.ends_with("OK") || l.contains("FAILED"))
        .filter(|l| !l.contains("1us response timeout"))
        .map(String::from)
        .collect()
}

/// Kills a child on drop (the server, if the client failed before ending it).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn libmodbus_client_sees_msm_as_it_sees_its_own_test_server() {
    common::init_logging();
    let dir = TempDir::new("libmodbus");
    let port = free_port();
    let client = build(&dir.path, "unit-test-client", port);
    let server = build(&dir.path, "unit-test-server", port);

    // Against libmodbus's own test server.
    let reference = Reaped(
        Command::new(&server)
            .arg("tcp")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start unit-test-server"),
    );
    assert!(
        common::wait_until(Duration::from_secs(10), || listening_on_port(port)),
        "unit-test-server did not listen on {port}"
    );
    let (passed, theirs) = run_client(&client);
    drop(reference);
    assert!(
        passed && theirs.contains("ALL TESTS PASS"),
        "unit-test-client fails against libmodbus's own server:\n{theirs}"
    );
    assert!(
        common::wait_until(Duration::from_secs(10), || !listening_on_port(port)),
        "unit-test-server still holds {port}"
    );

    // Against msm's slave with the map's faults.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/maps/libmodbus-unit-test.toml");
    let map = msm::Map::from_path(&path).expect("the libmodbus map");
    let device = map.build().expect("build");
    // Report Server ID's additional data as the installed libmodbus's server has it
    // ("LMB" and its version); the map has 3.1.6's.
    let mut server_id = map.identity().expect("[identity]").server_id();
    server_id.additional_data = format!("LMB{}", pkg_config("--modversion")).into_bytes();
    let slave = msm::Slave::tcp("127.0.0.1:0")
        .map_settings(&map)
        .server_id(server_id)
        .faults(map.faults().iter().cloned())
        .serve(device.memory().clone())
        .expect("serve");
    let client = build(&dir.path, "unit-test-client", slave.local_addr().port());
    let (passed, ours) = run_client(&client);
    let applied = slave.faults_applied();
    slave.stop();

    // Report Server ID (FC17), from the map's [identity]: the same bytes.
    let additional = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("Additional data:"))
            .map(String::from)
    };
    assert!(additional(&theirs).is_some(), "{theirs}");
    assert_eq!(additional(&ours), additional(&theirs), "Report Server ID");
    let (theirs, ours) = (checks(&theirs), checks(&ours));
    assert!(theirs.len() > 80, "too few checks read: {theirs:#?}");
    assert_eq!(ours, theirs, "the same checks with the same results");
    assert!(passed, "unit-test-client reports a failure against msm");
    // Each fault made its check pass, but the fourth: over TCP the third (another
    // transaction id) answers the same request first; the fourth is the map's for RTU.
    assert_eq!(applied.len(), map.faults().len());
    for (i, n) in applied.iter().enumerate() {
        assert_eq!(
            *n >= 1,
            i != 3,
            "fault {}: applied {n} times ({applied:?})",
            i + 1
        );
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "libmodbus_client_sees_msm_as_it_sees_its_own_test_server",
    run: libmodbus_client_sees_msm_as_it_sees_its_own_test_server,
    needs: &["libmodbus-examples"],
}];
