//! Helpers for the web view's tests: starting `msm` with `--web`, finding the external
//! peers (chromium, chromedriver, mbpoll), waiting with deadlines.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Running;

/// The bound on every wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A map with a variable of each kind the page shows.
pub const MAP: &str = r#"
[memory]
coils = 8
discrete_inputs = 8
input_registers = 8
holding_registers = 16

[vars]
SETPOINT = { area = "holding", address = 0, type = "u16", value = 500 }
LEVEL    = { area = "holding", address = 2, type = "f32", value = 1.5 }
LABEL    = { area = "holding", address = 4, type = "string", len = 4, value = "pump" }
PUMP     = { area = "coil", address = 1, type = "bool" }
DOOR     = { area = "discrete", address = 0, type = "bool" }
FLOW     = { area = "input", address = 0, type = "i16", value = -3 }
"#;

/// True under `CI=true`, where a missing peer is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing peer: a loud SKIP line, or a panic under `CI=true`.
pub fn missing(peer: &str, how: &str) {
    if in_ci() {
        panic!("{peer} is required under CI=true but is not installed: {how}");
    }
    eprintln!("\n==================== SKIP ====================");
    eprintln!("SKIP: {peer} is not installed, so this test did not run. {how}");
    eprintln!("==============================================\n");
}

/// The first of `names` on PATH, or None (after reporting it missing).
pub fn program(names: &[&str], how: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(names[0], how);
    }
    found
}

/// A running `msm` with a web view: the process, its web root URL and its Modbus address.
pub struct Web {
    #[allow(dead_code)] // held to keep the process alive; dropping it stops msm
    pub msm: Running,
    pub url: String,
    pub modbus: String,
    /// The map served, removed when the test is done with it.
    _map: Option<crate::common::TempFile>,
}

/// `msm serve MAP --listen 127.0.0.1:0 --web 127.0.0.1:0 EXTRA...`.
pub fn serve(map_text: &str, extra: &[&str]) -> Web {
    serve_map(Some(map_text), extra)
}

/// [`serve`] with a map, or the demo plant without one.
pub fn serve_map(map_text: Option<&str>, extra: &[&str]) -> Web {
    let map = map_text.map(|text| crate::common::temp_file("plant.toml", text));
    let mut args = vec!["serve"];
    args.extend(map.as_deref());
    args.extend(["--quiet", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"]);
    args.extend(extra);
    let msm = Running::start(&args);
    let serving = msm.expect_err("the Modbus address", |l| l.contains("serving"));
    let modbus = serving
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {serving:?}"))
        .to_string();
    let url = web_url(&msm);
    Web {
        msm,
        url,
        modbus,
        _map: map,
    }
}

/// The web view's root URL, from `msm web: http://ADDR/ ...` on stderr.
pub fn web_url(msm: &Running) -> String {
    let line = msm.expect_err("the web address", |l| l.starts_with("msm web: "));
    line.split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_string()
}

/// Polls `check` until it gives a value or `limit` passes.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let began = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs mbpoll against `modbus` (HOST:PORT) with 0-based addresses, once; `values` to
/// write, none to read. Its output.
pub fn mbpoll(exe: &PathBuf, modbus: &str, args: &[&str], values: &[&str]) -> String {
    let (host, port) = modbus.rsplit_once(':').expect("HOST:PORT");
    let mut cmd = Command::new(exe);
    cmd.args(["-m", "tcp", "-p", port, "-a", "1", "-0", "-1", "-o", "3"])
        .args(args)
        .arg(host);
    if !values.is_empty() {
        cmd.arg("--").args(values);
    }
    let out = cmd.output().expect("run mbpoll");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "mbpoll {args:?} {values:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The holding register at `address` (0-based), read with mbpoll.
pub fn mbpoll_register(exe: &PathBuf, modbus: &str, address: u16) -> String {
    let out = mbpoll(exe, modbus, &["-t", "4", "-r", &address.to_string()], &[]);
    out.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("[{address}]:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no register {address} in {out}"))
}
