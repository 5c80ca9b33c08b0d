//! What a first-time user of the command line meets: one connection per command, a slave
//! that is not there said at once, help that lists every command, hints that name the
//! area asked, and a log of remote writes that shows what each wrote, when.

use std::time::{Duration, Instant, SystemTime};

use crate::common;

use common::proxy::CountingProxy;
use common::{map, run, serve, stderr, stdout};

fn a_plain_read_or_write_is_one_connection() {
    let m = map("server_mapper.toml");
    let (_server, addr) = serve(&[&m]);
    let proxy = CountingProxy::start(&addr);
    let via = proxy.addr.to_string();
    let out = run(&["read", &m, "--connect", &via]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.accepted_so_far(), 1, "one connection for one read");
    let out = run(&["write", &m, "WORK_MODE=3", "--connect", &via]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.accepted_so_far(), 2, "one connection for one write");
}

/// A loopback port nobody listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

fn a_refused_connection_fails_at_once_with_cannot_connect() {
    let m = map("server_mapper.toml");
    let addr = closed_port();
    for args in [
        vec!["write", &m, "CURRENT_VALUE=1"],
        vec!["write", &m, "WORK_MODE=2"], // a byte: read first
        vec!["read", &m],
    ] {
        let began = Instant::now();
        let mut all = args.clone();
        all.extend(["--connect", &addr, "--timeout", "5s"]);
        let out = run(&all);
        let took = began.elapsed();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.contains(&format!("cannot connect to {addr}")) && said.contains("refused"),
            "{args:?}: {said}"
        );
        assert!(!said.contains("timeout"), "{args:?}: {said}");
        // Not after the 5 s timeout, nor after its retries (26 s): at once.
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
    }
}

/// The names in the `Commands:` section of `msm --help`.
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn the_help_names_every_command_and_each_flag_in_its_command_terms() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    let commands = listed_commands(&help);
    assert!(commands.len() >= 7, "{help}");
    let first = help.lines().next().expect("a first line");
    let summary: Vec<&str> = first
        .split_once(": ")
        .map(|(_, list)| list.split(", ").collect())
        .unwrap_or_default();
    assert_eq!(
        summary, commands,
        "the first line names every command: {first}"
    );
    for command in ["poll", "read", "write"] {
        let out = run(&[command, "--help"]);
        let help = stdout(&out);
        let line = help
            .lines()
            .skip_while(|l| !l.contains("--rtu-over-tcp"))
            .take_while(|l| !l.trim_start().starts_with("--tls"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(line.contains("RTU frames"), "{command}: {line}");
        assert!(
            !line.contains("serve"),
            "{command} --help speaks of serve: {line}"
        );
    }
}

fn an_address_hint_names_the_area_asked() {
    let small = common::temp_file(
        "small.toml",
        "[memory]\ncoils = 4\ndiscrete_inputs = 4\ninput_registers = 4\nholding_registers = 4\n",
    );
    let (_server, addr) = serve(&[&small]);
    for (area, hint) in [
        ("coil", "coil 00001 is coil 0"),
        ("discrete", "discrete input 10001 is discrete 0"),
        ("input", "input register 30001 is input 0"),
        ("holding", "register 40001 is holding 0"),
    ] {
        let out = run(&[
            "read",
            "--area",
            area,
            "--address",
            "10",
            "--connect",
            &addr,
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains("illegal data address (02)"), "{said}");
        assert!(said.contains(hint), "{area}: {said}");
        if area != "holding" {
            assert!(!said.contains("40001"), "{area}: {said}");
        }
    }
}

/// The time at the start of a serve line.
fn time_of(line: &str) -> SystemTime {
    let stamp = line.split_whitespace().next().expect("a time");
    humantime::parse_rfc3339(stamp).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn serve_logs_what_a_mask_write_wrote_with_the_time_it_landed() {
    let m = map("server_mapper.toml");
    let (server, addr) = serve(&[&m]);
    // The time is shown to the millisecond: the write began at or after this.
    let began = SystemTime::now() - Duration::from_millis(1);
    let out = run(&["write", &m, "WORK_MODE=4", "--connect", &addr]);
    let ended = SystemTime::now();
    assert!(out.status.success(), "{}", stderr(&out));
    let line = server.expect_out("the remote write", |l| l.contains("write from"));
    assert!(
        line.ends_with(": WORK_MODE = 4"),
        "only the byte the mask write wrote: {line}"
    );
    let landed = time_of(&line);
    assert!(
        began <= landed && landed <= ended,
        "the time it landed, not when it was shown: {line}"
    );
    let value = server.expect_out("the value", |l| l.contains("WORK_MODE = 4  (from"));
    assert_eq!(time_of(&value), landed, "{value}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_plain_read_or_write_is_one_connection",
        run: a_plain_read_or_write_is_one_connection,
        needs: &[],
    },
    crate::Test {
        name: "a_refused_connection_fails_at_once_with_cannot_connect",
        run: a_refused_connection_fails_at_once_with_cannot_connect,
        needs: &[],
    },
    crate::Test {
        name: "the_help_names_every_command_and_each_flag_in_its_command_terms",
        run: the_help_names_every_command_and_each_flag_in_its_command_terms,
        needs: &[],
    },
    crate::Test {
        name: "an_address_hint_names_the_area_asked",
        run: an_address_hint_names_the_area_asked,
        needs: &[],
    },
    crate::Test {
        name: "serve_logs_what_a_mask_write_wrote_with_the_time_it_landed",
        run: serve_logs_what_a_mask_write_wrote_with_the_time_it_landed,
        needs: &[],
    },
];
