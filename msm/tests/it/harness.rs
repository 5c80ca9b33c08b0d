//! The test harness both crates' integration-test binaries share (msm-cli includes this
//! file): every test is run as a libtest-mimic trial, and one that needs an external peer
//! that is not installed is reported as ignored, with the reason, never as passed; under
//! `CI=true` it runs anyway and fails.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

/// One test: its name, its body, and the external peers it needs.
pub(crate) struct Test {
    pub(crate) name: &'static str,
    pub(crate) run: fn(),
    pub(crate) needs: &'static [&'static str],
}

/// Runs every test of `modules`; `peer_missing` says why a peer cannot be used, if it
/// cannot; `ci` is true under `CI=true`.
pub(crate) fn run(
    modules: &[(&str, &[Test])],
    ci: bool,
    peer_missing: fn(&str) -> Option<String>,
) -> ExitCode {
    let args = Arguments::from_args();
    let mut not_run = Vec::new();
    let mut trials = Vec::new();
    for (module, tests) in modules {
        for t in *tests {
            let name = format!("{module}::{}", t.name);
            let missing: Vec<String> = t.needs.iter().filter_map(|p| peer_missing(p)).collect();
            let run = t.run;
            let trial = |name: String| {
                Trial::test(name, move || {
                    std::panic::catch_unwind(run).map_err(|e| Failed::from(panic_text(&e)))
                })
            };
            if missing.is_empty() || ci {
                // Under CI a missing peer is a failure: the test runs and says so.
                trials.push(trial(name));
            } else {
                // The reason shows in the test's own line: `... (needs mbpoll) ... ignored`.
                let why = format!("{name} (needs {})", t.needs.join(", "));
                not_run.push(format!("{name}: {}", missing.join("; ")));
                trials.push(trial(why).with_ignored_flag(true));
            }
        }
    }
    if !not_run.is_empty() && !args.list {
        eprintln!("\n==================== NOT RUN ====================");
        for line in &not_run {
            eprintln!("NOT RUN: {line}");
        }
        eprintln!("(reported as ignored below; with CI=true they run and fail)");
        eprintln!("=================================================\n");
    }
    libtest_mimic::run(&args, trials).exit_code()
}

/// The message of a panic, for the harness's report.
fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the test panicked".to_string())
}
