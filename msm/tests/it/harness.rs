//! The test harness both crates' integration-test binaries share (msm-cli includes this
//! file): every test is run as a libtest-mimic trial, and one that needs an external peer
//! that is not installed is reported as ignored, with the reason, never as passed; under
//! `CI=true` it runs anyway and fails. The library's log lines are captured (`logs`):
//! a failing test shows those of its run, and `MSM_TEST_LOG=1` or `RUST_LOG` shows them
//! all as they come.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "harness/logs.rs"]
pub(crate) mod logs;

/// One test: its name, its body, and the external peers it needs.
pub(crate) struct Test {
    pub(crate) name: &'static str,
    pub(crate) run: fn(),
    pub(crate) needs: &'static [&'static str],
}

/// Runs every test of `modules`; `peer_missing` says why a peer cannot be used, if it
/// cannot (asked only about the peers of tests the command line selects: finding one
/// may set it up); `ci` is true under `CI=true`.
pub(crate) fn run(
    modules: &[(&str, &[Test])],
    ci: bool,
    peer_missing: fn(&str) -> Option<String>,
) -> ExitCode {
    let args = Arguments::from_args();
    logs::install();
    let mut not_run = Vec::new();
    let mut trials = Vec::new();
    for (module, tests) in modules {
        for t in *tests {
            let name = format!("{module}::{}", t.name);
            let plain = trial(name.clone(), t.run);
            let missing: Vec<(&str, String)> = if args.list || args.is_filtered_out(&plain) {
                Vec::new()
            } else {
                t.needs
                    .iter()
                    .filter_map(|&p| peer_missing(p).map(|why| (p, why)))
                    .collect()
            };
            if missing.is_empty() || ci {
                // Under CI a missing peer is a failure: the test runs and says so.
                trials.push(plain);
            } else {
                // The reason shows in the test's own line: `... (needs mbpoll) ... ignored`,
                // naming only the peers that are missing.
                let peers: Vec<&str> = missing.iter().map(|(p, _)| *p).collect();
                let why: Vec<&str> = missing.iter().map(|(_, w)| w.as_str()).collect();
                not_run.push(format!("{name}: {}", why.join("; ")));
                let label = format!("{name} (needs {})", peers.join(", "));
                trials.push(trial(label, t.run).with_ignored_flag(true));
            }
        }
    }
    if !not_run.is_empty() {
        eprintln!("\n==================== NOT RUN ====================");
        for line in &not_run {
            eprintln!("NOT RUN: {line}");
        }
        eprintln!("(reported as ignored below; with CI=true they run and fail)");
        eprintln!("=================================================\n");
    }
    libtest_mimic::run(&args, trials).exit_code()
}

/// The trial of one test: a panic is its failure, reported with the library's log lines
/// of its run.
fn trial(name: String, run: fn()) -> Trial {
    Trial::test(name, move || {
        let window = logs::begin();
        let outcome = std::panic::catch_unwind(run);
        let logged = window.end();
        outcome.map_err(|e| {
            let mut text = panic_text(&*e);
            if let Some(logged) = logged {
                text = format!("{text}\n\n{logged}");
            }
            Failed::from(text)
        })
    })
}

/// The message of a panic, for the harness's report.
fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the test panicked".to_string())
}
