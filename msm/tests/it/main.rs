//! msm's integration tests, one binary (libtest-mimic): every file beside this one is a
//! module with a `TESTS` list. A test that needs an external peer (mbpoll, socat,
//! pymodbus) that is not installed is reported as ignored, with the reason, never as
//! passed; under `CI=true` it runs anyway and fails.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Failed, Trial};

mod architecture;
mod common;
mod examples;
mod map_errors;
mod map_load;
mod map_values;
mod master_faults;
mod master_hostile;
mod master_pymodbus;
mod master_rtu_pymodbus;
mod master_slave;
mod memory_notify;
mod memory_props;
mod memory_stress;
mod protocol_props;
mod protocol_spec_examples;
mod rtu_serial;
mod slave_abuse;
mod slave_frames;
mod slave_mbpoll;
mod slave_pymodbus;
mod slave_unit_memory;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
#[path = "common/tls.rs"]
mod tls_common;
#[cfg(feature = "tls")]
mod tls_peers;

/// One test: its name, its body, and the external peers it needs.
pub(crate) struct Test {
    pub(crate) name: &'static str,
    pub(crate) run: fn(),
    pub(crate) needs: &'static [&'static str],
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    // The TLS tests read the log lines: the capture must be the process's subscriber,
    // installed before any test installs another.
    #[cfg(feature = "tls")]
    tls_common::capture_logs();
    let modules: &[(&str, &[Test])] = &[
        ("architecture", architecture::TESTS),
        ("examples", examples::TESTS),
        ("map_errors", map_errors::TESTS),
        ("map_load", map_load::TESTS),
        ("map_values", map_values::TESTS),
        ("master_faults", master_faults::TESTS),
        ("master_hostile", master_hostile::TESTS),
        ("master_pymodbus", master_pymodbus::TESTS),
        ("master_rtu_pymodbus", master_rtu_pymodbus::TESTS),
        ("master_slave", master_slave::TESTS),
        ("memory_notify", memory_notify::TESTS),
        ("memory_props", memory_props::TESTS),
        ("memory_stress", memory_stress::TESTS),
        ("protocol_props", protocol_props::TESTS),
        ("protocol_spec_examples", protocol_spec_examples::TESTS),
        ("rtu_serial", rtu_serial::TESTS),
        ("slave_abuse", slave_abuse::TESTS),
        ("slave_frames", slave_frames::TESTS),
        ("slave_mbpoll", slave_mbpoll::TESTS),
        ("slave_pymodbus", slave_pymodbus::TESTS),
        ("slave_unit_memory", slave_unit_memory::TESTS),
        #[cfg(feature = "tls")]
        ("tls", tls::TESTS),
        #[cfg(feature = "tls")]
        ("tls_peers", tls_peers::TESTS),
    ];
    let ci = common::in_ci();
    let mut not_run = Vec::new();
    let mut trials = Vec::new();
    for (module, tests) in modules {
        for t in *tests {
            let name = format!("{module}::{}", t.name);
            let missing: Vec<String> = t
                .needs
                .iter()
                .filter_map(|p| common::peer_missing(p))
                .collect();
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
