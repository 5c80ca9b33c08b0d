//! Builds the Python package (maturin, dev profile) into a venv kept under the target
//! directory, and runs the pytest suite in `tests/python/` with it. Python, venv and
//! pip are external peers: without them this is a loud SKIP, and a failure under
//! `CI=true`. The venv is reused between runs; the packages it needs (maturin, pytest,
//! pymodbus) are installed from PyPI the first time.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use libtest_mimic::{Arguments, Failed, Trial};

/// The Python packages the suite needs in its venv.
const PACKAGES: &[&str] = &["maturin>=1.9.4,<2", "pytest>=8", "pymodbus==3.16.1"];

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing peer: a loud SKIP line, or a panic under `CI=true`.
fn missing(peer: &str, how: &str) {
    if in_ci() {
        panic!("{peer} is required under CI=true but is not available: {how}");
    }
    eprintln!("\n==================== SKIP ====================");
    eprintln!("SKIP: {peer} is not available, so the Python tests did not run. {how}");
    eprintln!("==============================================\n");
}

fn run(cmd: &mut Command) -> Option<Output> {
    cmd.output().ok()
}

fn ok(cmd: &mut Command) -> bool {
    run(cmd).is_some_and(|o| o.status.success())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The venv's python, made (and filled) if needed; None after a SKIP.
fn venv(dir: &Path) -> Option<PathBuf> {
    let python = dir.join("bin/python");
    if !python.exists() {
        let base = std::env::var_os("MSM_PYTHON").unwrap_or_else(|| "python3".into());
        if !ok(Command::new(&base).arg("--version")) {
            missing("python3", "install Python 3.9 or later");
            return None;
        }
        if !ok(Command::new(&base).args(["-m", "venv"]).arg(dir)) {
            let _ = std::fs::remove_dir_all(dir);
            missing(
                "python3 venv",
                "install it with `apt-get install python3-venv` (bash .ci/run does)",
            );
            return None;
        }
    }
    let ready = ok(Command::new(&python).args(["-c", "import pytest, pymodbus"]))
        && dir.join("bin/maturin").exists();
    if !ready {
        let installed = run(Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(PACKAGES));
        if !installed.as_ref().is_some_and(|o| o.status.success()) {
            let why = installed.map(|o| text(&o)).unwrap_or_default();
            missing(
                "maturin, pytest and pymodbus in the test venv",
                &format!("pip could not install {PACKAGES:?} from PyPI: {why}"),
            );
            return None;
        }
    }
    Some(python)
}

/// Runs the suite, or reports it as ignored (with the reason) when Python or its venv
/// module is missing; under `CI=true` it runs anyway and fails.
fn main() -> ExitCode {
    let args = Arguments::from_args();
    let base = std::env::var_os("MSM_PYTHON").unwrap_or_else(|| "python3".into());
    let usable = ok(Command::new(&base).args(["-c", "import venv, ensurepip"]));
    let name = "python_package_passes_its_pytest_suite";
    let trial = |name: &str| {
        Trial::test(name, || {
            std::panic::catch_unwind(python_package_passes_its_pytest_suite).map_err(|e| {
                Failed::from(
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "the test panicked".into()),
                )
            })
        })
    };
    let trials = if usable || in_ci() {
        vec![trial(name)]
    } else {
        eprintln!(
            "NOT RUN: {name}: python3 with venv is not installed (apt-get install python3-venv; bash .ci/run does)"
        );
        vec![trial(&format!("{name} (needs python3 with venv)")).with_ignored_flag(true)]
    };
    libtest_mimic::run(&args, trials).exit_code()
}

fn python_package_passes_its_pytest_suite() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(python) = venv(&tmp.join("pytest-venv")) else {
        return;
    };
    let maturin = tmp.join("pytest-venv/bin/maturin");

    // Build the wheel (dev profile: it shares the workspace's compiled dependencies).
    let wheels = tmp.join("pytest-wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    let built = run(Command::new(&maturin)
        .args(["build", "--profile", "dev", "--quiet", "-m"])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("-i")
        .arg(&python)
        .arg("--out")
        .arg(&wheels))
    .expect("run maturin");
    assert!(
        built.status.success(),
        "maturin build failed:\n{}",
        text(&built)
    );
    let wheel = std::fs::read_dir(&wheels)
        .expect("wheel directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("maturin built a wheel");
    let installed = run(Command::new(&python)
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(["--force-reinstall", "--no-deps"])
        .arg(&wheel))
    .expect("run pip");
    assert!(
        installed.status.success(),
        "pip install failed:\n{}",
        text(&installed)
    );

    // Run from the test folder, so that `import msm` finds the installed package.
    let suite = crate_dir.join("tests/python");
    let out = run(Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"])
        .current_dir(&suite))
    .expect("run pytest");
    let report = text(&out);
    println!("{report}");
    assert!(out.status.success(), "the pytest suite failed:\n{report}");
}
