//! Helpers shared by the integration tests: finding external peers, waiting on
//! conditions with deadlines.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

/// The workspace root (where `.venv` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A command on PATH, or None (after reporting it missing).
pub fn program(name: &str, how: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(name, how);
    }
    found
}

/// `mbpoll`, the libmodbus-based command-line master.
pub fn mbpoll() -> Option<PathBuf> {
    program(
        "mbpoll",
        "install it with `apt-get install mbpoll` (bash .ci/run does)",
    )
}

/// `socat`, for virtual serial port pairs.
pub fn socat() -> Option<PathBuf> {
    program(
        "socat",
        "install it with `apt-get install socat` (bash .ci/run does)",
    )
}

/// A Python interpreter that can `import pymodbus`: `$MSM_PYTHON`, the workspace's
/// `.venv` (made by `bash .ci/run`), or `python3`.
pub fn pymodbus_python() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("MSM_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(workspace_root().join(".venv/bin/python"));
    candidates.push(PathBuf::from("python3"));
    let found = candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import pymodbus"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        missing(
            "pymodbus",
            "make the venv with `python3 -m venv .venv && .venv/bin/pip install pymodbus==3.16.1 pyserial` (bash .ci/run does)",
        );
    }
    found
}

/// Path of a helper script under `msm/tests/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// Polls `cond` until it holds or `timeout` passes; true if it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
