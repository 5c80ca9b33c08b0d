//! libmodbus's own client test program (`unit-test-client`, shipped as an example with
//! libmodbus-dev) run against msm's slave serving `examples/maps/libmodbus-unit-test.toml`
//! must give the same results as against libmodbus's `unit-test-server`: every check
//! line the same, the special server's misbehaviour (wrong transaction id, late and
//! trickled answers, a short answer, exception 06) made by the map's `[[fault]]`s.
//!
//! Both programs are built here from the package's examples with `cc` and `pkg-config`.
//! Their sources fix the port at 127.0.0.1:1502; this test builds them for a free port
//! instead (the kernel's choice), so that it never needs a port of its own. The client asks for Report Server ID
//! (FC17), which this slave does not answer yet: a relay in front of the slave answers
//! it as libmodbus's server does and passes every other byte through unchanged, at once.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The Report Server ID answer libmodbus's unit-test-server gives: server id 0xB4, run
/// indicator on, and "LMB" and its version as additional data.
fn report_server_id_answer() -> Vec<u8> {
    let data = format!("LMB{}", pkg_config("--modversion"));
    let mut pdu = vec![0x11, (data.len() + 2) as u8, 0xB4, 0xFF];
    pdu.extend_from_slice(data.as_bytes());
    pdu
}

/// Relays a port of its own on 127.0.0.1 to `slave`: whole request frames go on as they are, except
/// Report Server ID (answered here); answers come back byte for byte as they arrive
/// (a trickled answer stays trickled).
struct Relay {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(slave: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let answer = report_server_id_answer();
        let thread = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(slave) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) else {
                    continue;
                };
                let answer = answer.clone();
                std::thread::spawn(move || requests(client, upstream, &answer));
                std::thread::spawn(move || answers(u2, c2));
            }
        });
        Relay {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The client's requests, frame by frame (MBAP length), to the slave or answered here.
fn requests(mut client: TcpStream, mut upstream: TcpStream, answer: &[u8]) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = client.read(&mut buf) {
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        while pending.len() >= 8 {
            let len = usize::from(u16::from_be_bytes([pending[4], pending[5]]));
            if len > 254 {
                // Not a frame libmodbus's client would send: passed on whole.
                let _ = upstream.write_all(&pending);
                pending.clear();
                break;
            }
            if pending.len() < 6 + len {
                break;
            }
            let frame: Vec<u8> = pending.drain(..6 + len).collect();
            if frame[7] == 0x11 {
                let mut reply = frame[..4].to_vec();
                reply.extend_from_slice(&(answer.len() as u16 + 1).to_be_bytes());
                reply.push(frame[6]);
                reply.extend_from_slice(answer);
                let _ = client.write_all(&reply);
            } else if upstream.write_all(&frame).is_err() {
                return;
            }
        }
    }
    let _ = upstream.shutdown(Shutdown::Write);
}

/// The slave's answers, passed on as they come.
fn answers(mut upstream: TcpStream, mut client: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = upstream.read(&mut buf) {
        if n == 0 || client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
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
    let slave = msm::Slave::tcp("127.0.0.1:0")
        .faults(map.faults().iter().cloned())
        .serve(device.memory().clone())
        .expect("serve");
    let relay = Relay::start(slave.local_addr());
    let client = build(&dir.path, "unit-test-client", relay.port);
    let (passed, ours) = run_client(&client);
    drop(relay);
    let applied = slave.faults_applied();
    slave.stop();

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
