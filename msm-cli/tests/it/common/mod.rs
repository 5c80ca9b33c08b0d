//! Running the `msm` binary in tests; `web` and `gateway` have the helpers of those
//! tests.

pub mod gateway;
pub mod mqtt;
pub mod proxy;
pub mod web;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(20);

/// The `msm` binary built for these tests.
pub fn msm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_msm"))
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// A shipped map file.
pub fn map(name: &str) -> String {
    root()
        .join("msm/examples/maps")
        .join(name)
        .display()
        .to_string()
}

/// Runs `msm args...` to completion (bounded by `DEADLINE` through `--timeout`s).
pub fn run(args: &[&str]) -> Output {
    msm().args(args).output().expect("run msm")
}

/// Runs `msm args...` in the directory `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    msm().current_dir(dir).args(args).output().expect("run msm")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running `msm` process whose output lines arrive on channels; killed when dropped.
pub struct Running {
    pub child: Child,
    pub out: Receiver<String>,
    pub err: Receiver<String>,
}

impl Running {
    pub fn start(args: &[&str]) -> Running {
        Running::start_in(&std::env::current_dir().expect("cwd"), args)
    }

    /// Starts `msm args...` in the directory `dir`.
    pub fn start_in(dir: &Path, args: &[&str]) -> Running {
        let mut child = msm()
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start msm");
        let out = lines(child.stdout.take().expect("stdout"));
        let err = lines(child.stderr.take().expect("stderr"));
        Running { child, out, err }
    }

    /// The next stdout line matching `pred`, within `DEADLINE`.
    pub fn expect_out(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        expect_line(&self.out, what, pred)
    }

    /// The next stderr line matching `pred`, within `DEADLINE`.
    pub fn expect_err(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        expect_line(&self.err, what, pred)
    }

    /// Waits for the process to end by itself; its exit code.
    pub fn wait(mut self) -> Option<i32> {
        let began = Instant::now();
        while began.elapsed() < DEADLINE {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("msm did not stop within {DEADLINE:?}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn expect_line(rx: &Receiver<String>, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if pred(&line) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!(
        "no line with {what} within {DEADLINE:?}; saw:\n{}",
        seen.join("\n")
    );
}

/// `msm serve ARGS --listen 127.0.0.1:0`, and the address it listens on.
pub fn serve(args: &[&str]) -> (Running, String) {
    serve_on(args, "127.0.0.1:0")
}

/// `msm serve ARGS --listen LISTEN` (a fixed port: a device that comes back where it
/// was), and the address it listens on.
pub fn serve_on(args: &[&str], listen: &str) -> (Running, String) {
    let mut all = vec!["serve"];
    all.extend(args);
    all.extend(["--listen", listen]);
    let server = Running::start(&all);
    let line = server.expect_err("the listening address", |l| l.contains("serving"));
    let addr = line
        .split(" on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (server, addr)
}

/// A fresh folder under the system's temp dir, removed with what is in it when dropped
/// (tests run many times: nothing of theirs stays behind). Reads as its path.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new() -> TempDir {
        TempDir(
            tempfile::Builder::new()
                .prefix("msm-cli-")
                .tempdir()
                .expect("temp dir"),
        )
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// A file in a [`TempDir`] of its own; reads as its path. Removed when dropped.
pub struct TempFile {
    /// Held to remove the folder with the file.
    _dir: TempDir,
    path: String,
}

impl std::ops::Deref for TempFile {
    type Target = str;

    fn deref(&self) -> &str {
        &self.path
    }
}

/// Writes `text` to a fresh file in a temp dir of its own.
pub fn temp_file(name: &str, text: &str) -> TempFile {
    let dir = TempDir::new();
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    TempFile {
        path: path.display().to_string(),
        _dir: dir,
    }
}
