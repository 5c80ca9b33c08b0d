//! `serve`, `poll --json`, `read` and `write` against each other, through the binary.

use crate::common;

use common::{Running, map, run, serve, stderr, stdout};

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

fn serve_and_poll_json_see_each_others_writes() {
    // The demo plant moves CYCLES; `msm write` changes SETPOINT; poll sees both, serve
    // logs the remote write with the peer's address.
    let (server, addr) = serve(&[]);
    let demo = common::temp_file(
        "demo.toml",
        include_str!("../../../msm/examples/maps/demo.toml"),
    );
    let poll = Running::start(&[
        "poll",
        &demo,
        "--connect",
        &addr,
        "--json",
        "--period",
        "50ms",
        "--seconds",
        "15",
    ]);
    let first = json(&poll.expect_out("CYCLES", |l| l.contains("\"CYCLES\"")));
    assert!(
        first["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{first}"
    );
    let c0 = first["value"].as_u64().expect("a number");
    let later = json(&poll.expect_out("CYCLES moving", |l| {
        l.contains("\"CYCLES\"") && json(l)["value"].as_u64().is_some_and(|v| v > c0)
    }));
    assert_eq!(later["name"], "CYCLES");

    let out = run(&["write", &demo, "SETPOINT=777", "--connect", &addr]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "SETPOINT = 777");
    let seen = json(&poll.expect_out("SETPOINT 777", |l| {
        l.contains("\"SETPOINT\"") && l.contains("777")
    }));
    assert_eq!(seen["value"], 777);
    server.expect_out("the remote write logged", |l| {
        l.contains("write from 127.0.0.1:") && l.contains("SETPOINT = 777")
    });
}

/// Two masters write the same register within one render: each value serve shows is
/// said to come from the master that wrote it, never from the other.
fn serve_says_who_wrote_each_value_it_shows() {
    use std::io::{Read, Write};
    let m = map("server_mapper.toml");
    let (server, addr) = serve(&[&m]);
    // FC6 to holding register 3 (CONTROL_WORD), from a connection of its own.
    let write = |value: u16| {
        let mut c = std::net::TcpStream::connect(&addr).expect("connect");
        let [hi, lo] = value.to_be_bytes();
        c.write_all(&[0, 1, 0, 0, 0, 6, 1, 6, 0, 3, hi, lo])
            .expect("send");
        let mut answer = [0u8; 12];
        c.read_exact(&mut answer).expect("echo");
        c.local_addr().expect("address").to_string()
    };
    // serve lists the starting values once it watches the memory.
    server.expect_out("the starting values", |l| l.contains("ERROR_STATE = "));
    let first = write(0x1111);
    let second = write(0x2222);
    // Until the second write is described: every value said to come from a peer is the
    // value that peer wrote (a value whose writer is not certain is shown without one).
    loop {
        let line = server.expect_out("CONTROL_WORD lines", |l| l.contains("CONTROL_WORD = "));
        if line.contains("(from ") && line.contains("= 4369") {
            assert!(line.contains(&first), "{line} (first: {first})");
        }
        if line.contains("(from ") && line.contains("= 8738") {
            assert!(line.contains(&second), "{line} (second: {second})");
        }
        if line.contains(&format!("write from {second}")) {
            break;
        }
    }
}

/// A flood of writes, more than the display lists: each one is described, counted for
/// its peer or counted as too many to list, exactly once; and once the flood is seen, the
/// display counts the writes per peer (its subscription paused) instead of dropping them
/// from a full queue as too many.
fn serve_accounts_for_every_write_of_a_flood() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    const BATCH: u64 = 100;
    const MAX_WRITES: u64 = 3_000_000;
    let m = map("server_mapper.toml");
    let (server, addr) = serve(&[&m]);
    server.expect_out("the starting values", |l| l.contains("ERROR_STATE = "));
    let mut c = std::net::TcpStream::connect(&addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let me = c.local_addr().expect("address").to_string();
    // Two seconds of writes: ten renders of the display.
    let started = Instant::now();
    let mut sent = 0u64;
    while started.elapsed() < Duration::from_secs(2) && sent < MAX_WRITES {
        // FC6 to holding register 3 (CONTROL_WORD), 100 pipelined at a time.
        let mut requests = Vec::new();
        for i in 0..BATCH {
            let [hi, lo] = ((sent + i) as u16).to_be_bytes();
            requests.extend_from_slice(&[0, 1, 0, 0, 0, 6, 1, 6, 0, 3, hi, lo]);
        }
        c.write_all(&requests).expect("send");
        let mut echoes = vec![0u8; requests.len()];
        c.read_exact(&mut echoes).expect("echoes");
        sent += BATCH;
    }
    let leading = |l: &str| -> u64 {
        l.split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no count in {l:?}"))
    };
    let (mut described, mut counted, mut too_many) = (0u64, 0u64, 0u64);
    // Renders that counted more writes for the peer than the display's queue holds.
    let mut flooded_renders = 0;
    while described + counted + too_many < sent {
        let line = server.expect_out("the writes accounted for", |l| {
            l.contains(&format!("write from {me}:"))
                || l.contains(&format!("more from {me}"))
                || l.contains("too many to list")
        });
        if line.contains(&format!("write from {me}:")) {
            described += 1;
        } else if line.contains("more from") {
            let n = leading(&line);
            counted += n;
            flooded_renders += usize::from(n > 512);
        } else {
            too_many += leading(&line);
        }
    }
    let accounts = format!(
        "{sent} writes: described {described}, counted per peer {counted}, too many to list {too_many}, flooded renders {flooded_renders}"
    );
    assert_eq!(described + counted + too_many, sent, "{accounts}");
    assert!(flooded_renders >= 5, "no sustained flood: {accounts}");
    // Without the pause, every flooded render drops all but 512 of its writes as too many.
    assert!(counted > 2 * too_many, "{accounts}");
}

fn read_and_write_by_name_and_raw() {
    let m = map("server_mapper.toml");
    let (_server, addr) = serve(&[&m]);
    let w = run(&[
        "write",
        &m,
        "CURRENT_VALUE=99999",
        "CONTROL_WORD=0x8000",
        "WORK_MODE=4",
        "--connect",
        &addr,
    ]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = run(&[
        "read",
        &m,
        "CURRENT_VALUE",
        "CONTROL_WORD",
        "WORK_MODE",
        "PROCESS_STEP",
        "--connect",
        &addr,
    ]);
    assert_eq!(
        stdout(&r),
        "CURRENT_VALUE = 99999\nCONTROL_WORD = 32768\nWORK_MODE = 4\nPROCESS_STEP = 0\n"
    );
    // A byte write keeps the other byte; a bit write keeps the other bits.
    let w = run(&[
        "write",
        &m,
        "PROCESS_STEP=10",
        "ERROR_STATE=true",
        "--connect",
        &addr,
    ]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = run(&[
        "read",
        "--area",
        "holding",
        "--address",
        "0",
        "--count",
        "4",
        "--connect",
        &addr,
    ]);
    assert_eq!(
        stdout(&r),
        "holding[0] = 2564\nholding[1] = 34463\nholding[2] = 1\nholding[3] = 32769\n"
    );
    // Raw typed access, both ways.
    let r = run(&[
        "read",
        "--area",
        "holding",
        "--address",
        "1",
        "--type",
        "u32",
        "--order",
        "CDAB",
        "--connect",
        &addr,
    ]);
    assert_eq!(stdout(&r), "holding[1] = 99999\n");
    let w = run(&[
        "write",
        "--area",
        "holding",
        "--address",
        "4",
        "--type",
        "f32",
        "--connect",
        &addr,
        "-1.5",
        "2.25",
    ]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = run(&[
        "read",
        "--area",
        "holding",
        "--address",
        "4",
        "--type",
        "f32",
        "--count",
        "2",
        "--json",
        "--connect",
        &addr,
    ]);
    let lines: Vec<serde_json::Value> = stdout(&r).lines().map(json).collect();
    assert_eq!(
        (lines[0]["name"].as_str(), lines[0]["value"].as_f64()),
        (Some("holding[4]"), Some(-1.5))
    );
    assert_eq!(lines[1]["value"].as_f64(), Some(2.25));
}

fn serve_answers_with_busy_polling_off_and_at_its_longest() {
    let m = map("server_mapper.toml");
    for budget in ["0", "1ms"] {
        let (_server, addr) = serve(&[&m, "--busy-poll", budget]);
        let w = run(&["write", &m, "WORK_MODE=3", "--connect", &addr]);
        assert_eq!(w.status.code(), Some(0), "{budget}: {}", stderr(&w));
        let r = run(&["read", &m, "WORK_MODE", "--connect", &addr]);
        assert_eq!(r.status.code(), Some(0), "{budget}: {}", stderr(&r));
        assert_eq!(stdout(&r).trim(), "WORK_MODE = 3", "{budget}");
    }
}

fn exit_codes_say_what_went_wrong() {
    let m = map("server_mapper.toml");
    let (_server, addr) = serve(&[&m]);
    // 0: fine.
    assert_eq!(
        run(&["read", &m, "--connect", &addr]).status.code(),
        Some(0)
    );
    // 1: a Modbus exception (register 100 is outside the served 8).
    let r = run(&[
        "read",
        "--area",
        "holding",
        "--address",
        "100",
        "--connect",
        &addr,
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("Modbus exception") && stderr(&r).contains("illegal data address (02)"),
        "{}",
        stderr(&r)
    );
    // 1: nobody there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .to_string();
    let r = run(&["read", &m, "--connect", &closed, "--timeout", "300ms"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stderr(&r).contains(&format!("cannot connect to {closed}")),
        "{}",
        stderr(&r)
    );
    // 1: a timeout (a listener that never answers).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_addr = silent.local_addr().expect("addr").to_string();
    let r = run(&[
        "read",
        &m,
        "WORK_MODE",
        "--connect",
        &silent_addr,
        "--timeout",
        "300ms",
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(stderr(&r).contains("timeout"), "{}", stderr(&r));
    // 2: usage and map errors.
    for (args, needle) in [
        (
            vec!["read", &m, "NOPE", "--connect", &addr],
            "unknown variable \"NOPE\"",
        ),
        (
            vec!["write", &m, "WORK_MODE=300", "--connect", &addr],
            "300 does not fit a u8",
        ),
        (
            vec!["write", &m, "WORK_MODE", "--connect", &addr],
            "is not NAME=VALUE",
        ),
        (
            vec![
                "read",
                "--area",
                "holding",
                "--address",
                "0",
                "--type",
                "u33",
                "--connect",
                &addr,
            ],
            "--type",
        ),
        (vec!["read", "no/such/map.toml"], "no/such/map.toml"),
        (
            vec!["read", "coil", "100", "--connect", &addr],
            "--area coil --address 100",
        ),
        (
            vec!["read", "--area", "coil", "--address", "0", "--type", "f32"],
            "use bool",
        ),
        (vec!["read", "--bogus"], "unexpected argument"),
        (
            vec!["serve", &m, "--busy-poll", "2ms"],
            "2ms is longer than the 1ms allowed",
        ),
        (
            vec!["serve", &m, "--udp", "--busy-poll", "50us"],
            "--busy-poll applies to TCP connections",
        ),
        (
            vec!["serve", &m, "--udp", "--max-connections", "8"],
            "--max-connections applies to TCP connections",
        ),
        (
            vec!["serve", &m, "--busy-poll", "soon"],
            "give a duration such as 50us, or 0 for none",
        ),
    ] {
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", stderr(&r));
        assert!(
            stderr(&r).contains(needle),
            "{needle:?} not in {}",
            stderr(&r)
        );
    }
}

fn poll_shows_a_lost_connection_and_recovers() {
    let m = map("server_mapper.toml");
    let (server, addr) = serve(&[&m]);
    let poll = Running::start(&[
        "poll",
        &m,
        "--connect",
        &addr,
        "--period",
        "50ms",
        "--seconds",
        "20",
    ]);
    poll.expect_out("WORK_MODE", |l| l.contains("WORK_MODE = 1"));
    drop(server); // the slave dies
    poll.expect_out("the loss", |l| {
        l.contains("lost") || l.contains("cannot connect")
    });
    let _again = Running::start(&["serve", &m, "--listen", &addr]);
    poll.expect_out("the reconnection", |l| l.contains("connected to"));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "serve_accounts_for_every_write_of_a_flood",
        run: serve_accounts_for_every_write_of_a_flood,
        needs: &[],
    },
    crate::Test {
        name: "serve_says_who_wrote_each_value_it_shows",
        run: serve_says_who_wrote_each_value_it_shows,
        needs: &[],
    },
    crate::Test {
        name: "serve_and_poll_json_see_each_others_writes",
        run: serve_and_poll_json_see_each_others_writes,
        needs: &[],
    },
    crate::Test {
        name: "read_and_write_by_name_and_raw",
        run: read_and_write_by_name_and_raw,
        needs: &[],
    },
    crate::Test {
        name: "serve_answers_with_busy_polling_off_and_at_its_longest",
        run: serve_answers_with_busy_polling_off_and_at_its_longest,
        needs: &[],
    },
    crate::Test {
        name: "exit_codes_say_what_went_wrong",
        run: exit_codes_say_what_went_wrong,
        needs: &[],
    },
    crate::Test {
        name: "poll_shows_a_lost_connection_and_recovers",
        run: poll_shows_a_lost_connection_and_recovers,
        needs: &[],
    },
];
