//! The `msm` command line's integration tests, one binary (libtest-mimic): every file
//! beside this one is a module with a `TESTS` list. A test that needs an external peer
//! (mbpoll, socat, mosquitto, chromium, openssl, pymodbus) that is not installed is
//! reported as ignored, with the reason, never as passed; under `CI=true` it runs anyway
//! and fails.

use std::process::ExitCode;

mod common;
// The library's harness and test helpers (finding peers, serial line pairs).
mod cli_exchange;
mod cli_first_use;
mod cli_info;
mod cli_links;
mod cli_maps;
mod cli_readme;
mod cli_serial;
mod gateway;
mod gateway_faults;
mod gateway_midrun;
#[path = "../../../msm/tests/it/harness.rs"]
mod harness;
#[path = "../../../msm/tests/it/common/mod.rs"]
#[allow(dead_code)] // the library's helpers; these tests use the peers and serial ones
mod peers;
mod tls_cli;
mod tls_cli_first_use;
mod web_cli;

pub(crate) use harness::Test;

fn main() -> ExitCode {
    let modules: &[(&str, &[Test])] = &[
        ("cli_exchange", cli_exchange::TESTS),
        ("cli_first_use", cli_first_use::TESTS),
        ("cli_info", cli_info::TESTS),
        ("cli_links", cli_links::TESTS),
        ("cli_maps", cli_maps::TESTS),
        ("cli_readme", cli_readme::TESTS),
        ("cli_serial", cli_serial::TESTS),
        ("gateway", gateway::TESTS),
        ("gateway_faults", gateway_faults::TESTS),
        ("gateway_midrun", gateway_midrun::TESTS),
        ("tls_cli", tls_cli::TESTS),
        ("tls_cli_first_use", tls_cli_first_use::TESTS),
        ("web_cli", web_cli::TESTS),
    ];
    harness::run(modules, peers::in_ci(), peers::peer_missing)
}
