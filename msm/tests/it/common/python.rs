//! The tests' Python: one venv under the target directory (`target/tmp/python-venv`),
//! made from `python3` (or `$MSM_PYTHON`) the first time a test needs it, with pymodbus,
//! pyserial, pytest and maturin from PyPI, and reused after. msm's pymodbus peers and
//! msm-py's pytest suite (whose `tests/pytest.rs` includes this file) both run on it, so a
//! fresh clone needs only Python 3 with venv and pip.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// What the venv holds; pymodbus at the version the peers are written for.
pub const PACKAGES: &[&str] = &[
    "pymodbus==3.16.1",
    "pyserial>=3.5",
    "pytest>=8",
    "maturin>=1.9.4,<2",
];

/// A test that waits for another process making the venv gives up after this long,
/// and takes a lock this old as left by a process that died.
const MAKING_TAKES_AT_MOST: Duration = Duration::from_secs(600);

/// Why the venv cannot be made, and how to fix it.
#[derive(Clone, Debug)]
pub struct NoVenv {
    /// What is missing, in a test's `(needs ...)` label: `python3`, `python3 with venv`,
    /// `pip access to PyPI`.
    pub missing: &'static str,
    /// The command or setting that fixes it, and what went wrong.
    pub fix: String,
}

impl fmt::Display for NoVenv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is missing, so the tests' Python venv ({}, with {}) cannot be made: {}",
            self.missing,
            venv_dir().display(),
            PACKAGES.join(", "),
            self.fix
        )
    }
}

/// The venv's directory.
pub fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv")
}

/// The venv's `python`, the venv made and filled first if it is not yet (once per
/// process; other processes wait for the one making it).
pub fn venv_python() -> Result<PathBuf, NoVenv> {
    static PYTHON: OnceLock<Result<PathBuf, NoVenv>> = OnceLock::new();
    PYTHON.get_or_init(ready_venv).clone()
}

/// The Python the venv is made from.
fn base_python() -> String {
    std::env::var("MSM_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// What the venv's stamp says once it is complete: its base Python and its packages.
fn stamp_text() -> String {
    format!("{}\n{}\n", base_python(), PACKAGES.join("\n"))
}

fn ready_venv() -> Result<PathBuf, NoVenv> {
    let dir = venv_dir();
    let python = dir.join("bin/python");
    let stamp = dir.join("msm-test-venv.txt");
    let is_ready = || std::fs::read_to_string(&stamp).is_ok_and(|s| s == stamp_text());
    if is_ready() {
        return Ok(python);
    }
    let _lock = Lock::take(&dir.with_extension("lock"), &is_ready);
    if is_ready() {
        return Ok(python);
    }
    let base = base_python();
    if !run(Command::new(&base).arg("--version")).is_some_and(|o| o.status.success()) {
        return Err(NoVenv {
            missing: "python3",
            fix: format!(
                "cannot run `{base}`: install Python 3.9 or later, or set MSM_PYTHON to one"
            ),
        });
    }
    // A half-made venv, or one from another base Python or package list: start over.
    let _ = std::fs::remove_dir_all(&dir);
    let made = run(Command::new(&base).args(["-m", "venv"]).arg(&dir));
    if !made.as_ref().is_some_and(|o| o.status.success()) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(NoVenv {
            missing: "python3 with venv",
            fix: format!(
                "`{base} -m venv` failed ({}): `apt-get install python3-venv` (bash .ci/run does)",
                made.map(|o| tail(&o)).unwrap_or_default()
            ),
        });
    }
    eprintln!(
        "making the tests' Python venv ({}): pip install {} (once)",
        dir.display(),
        PACKAGES.join(" ")
    );
    let installed = run(Command::new(&python)
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(PACKAGES));
    if !installed.as_ref().is_some_and(|o| o.status.success()) {
        return Err(NoVenv {
            missing: "pip access to PyPI",
            fix: format!(
                "pip could not install them ({}); fix that and run the tests again",
                installed.map(|o| tail(&o)).unwrap_or_default()
            ),
        });
    }
    std::fs::write(&stamp, stamp_text()).map_err(|e| NoVenv {
        missing: "a writable target directory",
        fix: format!("cannot write {}: {e}", stamp.display()),
    })?;
    Ok(python)
}

fn run(cmd: &mut Command) -> Option<Output> {
    cmd.output().ok()
}

/// The last lines a command printed, for an error message.
fn tail(o: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" / ")
}

/// A lock directory: one process makes the venv while the others wait.
struct Lock(Option<PathBuf>);

impl Lock {
    /// Takes the lock at `path`, or returns without it once `done` holds (another process
    /// made the venv) or the wait is over (the caller then makes it anyway).
    fn take(path: &Path, done: &dyn Fn() -> bool) -> Lock {
        let began = SystemTime::now();
        loop {
            if std::fs::create_dir(path).is_ok() {
                return Lock(Some(path.to_path_buf()));
            }
            let age = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a > MAKING_TAKES_AT_MOST) {
                // Left by a process that died while making the venv.
                let _ = std::fs::remove_dir(path);
                continue;
            }
            if done() || began.elapsed().is_ok_and(|e| e > MAKING_TAKES_AT_MOST) {
                return Lock(None);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_dir(path);
        }
    }
}
