//! The harness's log capture, seen from outside: this binary runs itself on one test
//! that logs from another thread and fails, and the output is read as a user reads it.

use std::process::{Command, Output};

const NAME: &str = "harness_capture::a_failing_test_prints_the_log_lines_of_its_run";
/// Set in the copy of this binary that plays the failing test.
const CHILD: &str = "MSM_TEST_HARNESS_CHILD";
const LINE: &str = "a line logged from a library thread";

/// The failing test of the child: one WARN line from another thread, then a panic.
fn fail_after_logging() {
    std::thread::spawn(|| tracing::warn!(target: "msm", "{LINE}"))
        .join()
        .expect("the logging thread");
    panic!("the child test fails on purpose");
}

/// This binary on the one test, as the child, with `env` set.
fn run_child(env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("this test binary"));
    cmd.args(["--exact", NAME, "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("RUST_LOG")
        .env_remove("MSM_TEST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the test binary")
}

fn a_failing_test_prints_the_log_lines_of_its_run() {
    if std::env::var_os(CHILD).is_some() {
        fail_after_logging();
    }
    let quiet = run_child(&[]);
    let (out, err) = (
        String::from_utf8_lossy(&quiet.stdout),
        String::from_utf8_lossy(&quiet.stderr),
    );
    assert!(!quiet.status.success(), "the child passed:\n{out}\n{err}");
    // The failure report carries the panic's message and the captured line...
    let report = out.split("failures:").nth(1).unwrap_or_default();
    assert!(
        report.contains("the child test fails on purpose")
            && report.contains("the library's log while this test ran")
            && report.contains(LINE)
            && report.contains("WARN"),
        "no message or log lines in the failure report:\n{out}"
    );
    // ...and the line reached the terminal nowhere else.
    assert_eq!(out.matches(LINE).count(), 1, "{out}");
    assert!(!err.contains(LINE), "the line went to stderr:\n{err}");

    // Asked for, the lines come as they are logged, on stderr.
    let live = run_child(&[("MSM_TEST_LOG", "1")]);
    let err = String::from_utf8_lossy(&live.stderr);
    assert!(err.contains(LINE), "MSM_TEST_LOG=1 showed nothing:\n{err}");
    // RUST_LOG sets the filter: `off` leaves nothing to capture or show.
    let off = run_child(&[("RUST_LOG", "off")]);
    let (out, err) = (
        String::from_utf8_lossy(&off.stdout),
        String::from_utf8_lossy(&off.stderr),
    );
    assert!(
        !out.contains(LINE) && !err.contains(LINE),
        "RUST_LOG=off still logged:\n{out}\n{err}"
    );
}

pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "a_failing_test_prints_the_log_lines_of_its_run",
    run: a_failing_test_prints_the_log_lines_of_its_run,
    needs: &[],
}];
