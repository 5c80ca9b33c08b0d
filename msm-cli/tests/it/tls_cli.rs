//! `--tls` and `msm certs` through the binary: the README's three commands as written,
//! roles from the map, and flags that do not go together.

use crate::common;

use common::{Running, root, run, run_in, stderr, stdout};

/// The README's Modbus/TCP Security commands (lines of `sh` blocks that start with
/// `msm `), in order.
fn readme_tls_commands() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = text
        .split("## Modbus/TCP Security")
        .nth(1)
        .expect("a Modbus/TCP Security section");
    let mut inside = false;
    let mut found = Vec::new();
    for line in section.lines() {
        if line.starts_with("## ") {
            break;
        }
        if line.starts_with("```") {
            inside = line == "```sh";
            continue;
        }
        if inside && line.starts_with("msm ") {
            found.push(line["msm ".len()..].to_string());
        }
    }
    found
}

/// The words of `line`, with the README's port replaced by `port` and its `certs`
/// directory by `dir` (the subcommand stays).
fn words(line: &str, port: &str, dir: &str) -> Vec<String> {
    line.replace("8020", port)
        .split_whitespace()
        .enumerate()
        .map(|(i, w)| match w.strip_prefix("certs") {
            Some(rest) if i > 0 && (rest.is_empty() || rest.starts_with('/')) => {
                format!("{dir}{rest}")
            }
            _ => w.to_string(),
        })
        .collect()
}

fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string()
}

fn the_readme_tls_commands_run_as_written() {
    let scratch = common::TempDir::new();
    let dir = scratch.join("certs").display().to_string();
    let port = free_port();
    let cmds = readme_tls_commands();
    assert_eq!(cmds.len(), 3, "three commands: {cmds:?}");
    let certs = words(&cmds[0], &port, &dir);
    assert_eq!(certs[0], "certs");
    let out = run_in(
        &root(),
        &certs.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for file in [
        "ca.pem",
        "server.key",
        "client-operator.pem",
        "client-viewer.key",
    ] {
        assert!(
            stdout(&out).contains(file),
            "{file} not written: {}",
            stdout(&out)
        );
    }
    let serve = words(&cmds[1], &port, &dir);
    let server = Running::start_in(
        &root(),
        &serve.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    server.expect_err("serving over TLS", |l| {
        l.contains("serving") && l.contains("(TLS)")
    });
    let read = words(&cmds[2], &port, &dir);
    let out = run_in(
        &root(),
        &read.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("SETPOINT = 500"), "{}", stdout(&out));

    // The same viewer may not write; an operator may.
    let tls = |role: &str| {
        vec![
            "--tls".to_string(),
            "--cert".into(),
            format!("{dir}/client-{role}.pem"),
            "--key".into(),
            format!("{dir}/client-{role}.key"),
            "--ca".into(),
            format!("{dir}/ca.pem"),
            "--connect".into(),
            format!("127.0.0.1:{port}"),
        ]
    };
    let map = root()
        .join("msm/examples/maps/secure.toml")
        .display()
        .to_string();
    let write = |role: &str| {
        let mut args = vec!["write".to_string(), map.clone(), "SETPOINT=42".into()];
        args.extend(tls(role));
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let refused = write("viewer");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("illegal function"),
        "{}",
        stderr(&refused)
    );
    server.expect_err("the refusal logged", |l| {
        l.contains("request refused") && l.contains("role=viewer")
    });
    let allowed = write("operator");
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert_eq!(stdout(&allowed).trim(), "SETPOINT = 42");
}

fn tls_flags_that_do_not_go_together_are_usage_errors() {
    let out = run(&[
        "read",
        "--tls",
        "--area",
        "holding",
        "--address",
        "0",
        "--type",
        "u16",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--cert"), "{}", stderr(&out));
    let out = run(&["serve", "--cert", "a.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&[
        "serve",
        "--tls",
        "--cert",
        "a",
        "--key",
        "b",
        "--ca",
        "c",
        "--rtu-over-tcp",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not go with"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "serve", "--tls", "--cert", "no/a.pem", "--key", "b", "--ca", "c",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no/a.pem"), "{}", stderr(&out));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_readme_tls_commands_run_as_written",
        run: the_readme_tls_commands_run_as_written,
        needs: &[],
    },
    crate::Test {
        name: "tls_flags_that_do_not_go_together_are_usage_errors",
        run: tls_flags_that_do_not_go_together_are_usage_errors,
        needs: &[],
    },
];
