//! The web view's integration tests, one binary (libtest-mimic): every file beside this
//! one is a module with a `TESTS` list. A test that needs an external peer (chromium,
//! chromedriver, mbpoll) that is not installed is reported as ignored, with the reason,
//! never as passed; under `CI=true` it runs anyway and fails.

use std::process::ExitCode;

mod api;
mod browser;
mod common;
mod example;
#[path = "../../../msm/tests/it/harness.rs"]
mod harness;
#[path = "../../../msm/tests/it/common/mod.rs"]
#[allow(dead_code)] // the library's helpers; these tests use the peers
mod peers;
mod streams;

pub(crate) use harness::Test;

fn main() -> ExitCode {
    let modules: &[(&str, &[Test])] = &[
        ("api", api::TESTS),
        ("browser", browser::TESTS),
        ("example", example::TESTS),
        ("streams", streams::TESTS),
    ];
    harness::run(modules, peers::in_ci(), peers::peer_missing)
}
