//! The README's commands, run as written (the tour's fixed port replaced by a free one),
//! and `msm demo` as the first command a newcomer runs.

use crate::common;

use std::process::Command;

use common::{Running, root, run_in, stderr};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The lines of the README's `sh` blocks that start with `prefix`.
fn commands(prefix: &str) -> Vec<String> {
    let mut inside = false;
    let mut found = Vec::new();
    for line in readme().lines() {
        if line.starts_with("```") {
            inside = line == "```sh";
            continue;
        }
        if inside && line.starts_with(prefix) {
            found.push(line.to_string());
        }
    }
    found
}

fn words(line: &str, port: &str) -> Vec<String> {
    line.replace("5020", port)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn readme_shows_the_two_commands() {
    let text = readme();
    assert!(text.contains("cargo run --release -p msm-cli -- demo"));
    assert!(text.contains("cargo test --workspace"));
}

fn the_demo_shows_the_exchange_and_stops_by_itself() {
    let demo = Running::start(&["demo", "--seconds", "5"]);
    demo.expect_out("the master's view", |l| {
        l.contains("master sees") && l.contains("CYCLES=")
    });
    demo.expect_out("a write", |l| l.contains("master writes SETPOINT"));
    demo.expect_out("the slave receiving it", |l| {
        l.contains("slave  got") && l.contains("SETPOINT")
    });
    demo.expect_out("the summary", |l| l.contains("the slave confirmed"));
    assert_eq!(demo.wait(), Some(0));
}

fn the_readme_tour_runs_as_written() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let msm = "target/release/msm ";
    let tour = commands(msm);
    let serve = tour
        .iter()
        .find(|l| l.contains(" serve "))
        .expect("a serve command");
    let args = words(&serve[msm.len()..], &port);
    // The README's paths are relative to the workspace root.
    let server = Running::start_in(
        &root(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    server.expect_err("serve started", |l| l.contains("serving"));

    let mut ran = 0;
    for line in tour.iter().filter(|l| !l.contains(" serve ")) {
        let mut args = words(&line[msm.len()..], &port);
        if args[0] == "poll" {
            args.extend(["--seconds".into(), "1".into()]);
        }
        let out = run_in(
            &root(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert!(out.status.success(), "{line}: {}", stderr(&out));
        ran += 1;
    }
    assert!(ran >= 4, "poll, write, two reads");

    let mbpoll = commands("mbpoll ");
    assert!(mbpoll.len() >= 2);
    if std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("mbpoll").is_file()))
    {
        for line in mbpoll {
            let args = words(&line, &port);
            let out = Command::new(&args[0])
                .args(&args[1..])
                .output()
                .expect("mbpoll");
            assert!(
                out.status.success(),
                "{line}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        server.expect_out("mbpoll's write logged", |l| {
            l.contains("write from") && l.contains("CONTROL_WORD")
        });
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("mbpoll is required under CI=true");
    } else {
        eprintln!("SKIP: mbpoll is not installed; the README's mbpoll commands did not run");
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "readme_shows_the_two_commands",
        run: readme_shows_the_two_commands,
        needs: &[],
    },
    crate::Test {
        name: "the_demo_shows_the_exchange_and_stops_by_itself",
        run: the_demo_shows_the_exchange_and_stops_by_itself,
        needs: &[],
    },
    crate::Test {
        name: "the_readme_tour_runs_as_written",
        run: the_readme_tour_runs_as_written,
        needs: &[],
    },
];
