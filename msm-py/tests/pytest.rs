//! Builds the Python package (maturin, dev profile) into the tests' venv and runs the
//! pytest suite in `tests/python/` with it. The venv is the one msm's pymodbus tests use
//! (`target/tmp/python-venv`, made from PyPI the first time and reused: see
//! `msm/tests/it/common/python.rs`). Python, venv and pip are external peers: without
//! them the suite is reported as ignored with the reason, and fails under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "../../msm/tests/it/common/python.rs"]
mod python;

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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the suite, or reports it as ignored (with the reason) when Python or its venv
/// module is missing; under `CI=true` it runs anyway and fails.
fn main() -> ExitCode {
    let args = Arguments::from_args();
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
    // Making the venv (the first time) only when the suite is to run.
    let venv = if args.list || args.is_filtered_out(&trial(name)) {
        Ok(PathBuf::new())
    } else {
        python::venv_python()
    };
    let trials = match venv {
        Err(why) if !in_ci() => {
            eprintln!("NOT RUN: {name}: {why}");
            vec![trial(&format!("{name} (needs {})", why.missing)).with_ignored_flag(true)]
        }
        _ => vec![trial(name)],
    };
    libtest_mimic::run(&args, trials).exit_code()
}

fn python_package_passes_its_pytest_suite() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let python = match python::venv_python() {
        Ok(python) => python,
        Err(why) => {
            missing("the tests' Python venv", &why.to_string());
            return;
        }
    };
    let maturin = python::venv_dir().join("bin/maturin");

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
