//! `msm serve --serial` and `msm read/write --serial` on a socat pty pair, and the same
//! over `--rtu-over-tcp`.

use crate::common;

use common::{Running, map, run, stderr, stdout};

fn serve_read_and_write_over_a_serial_line() {
    let Some(line) = crate::peers::SerialPair::new() else {
        return;
    };
    let m = map("server_mapper.toml");
    let serial = |path: &str| {
        vec![
            "--serial".to_string(),
            path.to_string(),
            "--baud".into(),
            "19200".into(),
            "--parity".into(),
            "none".into(),
        ]
    };
    let mut args: Vec<String> = vec!["serve".into(), m.clone(), "--unit".into(), "5".into()];
    args.extend(serial(line.a()));
    let server = Running::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    server.expect_err("serving", |l| {
        l.contains("serial line") && l.contains("unit 5")
    });

    let with = |words: Vec<&str>| {
        let mut all: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        all.extend(serial(line.b()));
        all.extend(["--unit".to_string(), "5".to_string()]);
        run(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let w = with(vec![
        "write",
        &m,
        "CURRENT_VALUE=123456",
        "ERROR_STATE=true",
    ]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = with(vec!["read", &m, "CURRENT_VALUE", "ERROR_STATE"]);
    assert_eq!(
        stdout(&r),
        "CURRENT_VALUE = 123456\nERROR_STATE = true\n",
        "{}",
        stderr(&r)
    );
    // Unit 6 is not on the line: a timeout, exit code 1.
    let mut words = vec!["read", &m, "WORK_MODE", "--timeout", "300ms", "--unit", "6"];
    let owned = serial(line.b());
    words.extend(owned.iter().map(String::as_str));
    let r = run(&words);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(stderr(&r).contains("timeout"), "{}", stderr(&r));
}

fn serve_and_read_rtu_over_tcp() {
    let m = map("server_mapper.toml");
    let (_server, addr) = common::serve(&[&m, "--rtu-over-tcp"]);
    let w = run(&[
        "write",
        &m,
        "CONTROL_WORD=7",
        "--rtu-over-tcp",
        "--connect",
        &addr,
    ]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = run(&[
        "read",
        &m,
        "CONTROL_WORD",
        "--rtu-over-tcp",
        "--connect",
        &addr,
    ]);
    assert_eq!(stdout(&r), "CONTROL_WORD = 7\n", "{}", stderr(&r));
    // A Modbus/TCP client gets nothing sensible from an RTU-over-TCP slave: a timeout.
    let r = run(&[
        "read",
        &m,
        "CONTROL_WORD",
        "--connect",
        &addr,
        "--timeout",
        "300ms",
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "serve_read_and_write_over_a_serial_line",
        run: serve_read_and_write_over_a_serial_line,
        needs: &["socat"],
    },
    crate::Test {
        name: "serve_and_read_rtu_over_tcp",
        run: serve_and_read_rtu_over_tcp,
        needs: &[],
    },
];
