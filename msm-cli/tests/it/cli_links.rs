//! `--ascii` and `--udp`: `msm serve` answering pymodbus 3.16's ASCII and UDP clients
//! (sync and asyncio),
//! `msm read`/`write` over both, and the flags that do not go together.

use crate::common;

use common::{Running, run, stderr, stdout, temp_file};
use serde_json::{Value, json};

/// Twenty of each table; holding i = 1000 + i, input i = 2000 + i, coils 0 and 3 set.
const MAP: &str = r#"
[memory]
coils = 20
discrete_inputs = 20
input_registers = 20
holding_registers = 20

[vars]
H0 = { area = "holding", address = 0, type = "u16", value = 1000 }
H1 = { area = "holding", address = 1, type = "u16", value = 1001 }
H2 = { area = "holding", address = 2, type = "u16", value = 1002 }
H3 = { area = "holding", address = 3, type = "u16", value = 1003 }
H5 = { area = "holding", address = 5, type = "u16", value = 0 }
H6 = { area = "holding", address = 6, type = "u32", value = 0 }
I0 = { area = "input", address = 0, type = "u16", value = 2000 }
I1 = { area = "input", address = 1, type = "u16", value = 2001 }
C0 = { area = "coil", address = 0, type = "bool", value = true }
C3 = { area = "coil", address = 3, type = "bool", value = false }
C12 = { area = "coil", address = 12, type = "bool", value = false }
D1 = { area = "discrete", address = 1, type = "bool", value = true }
"#;

/// What pymodbus_link_client.py says it got, against this map, for each function: on
/// the first run, or `again` (its FC5 and FC16 then wrote coil 3 and holding 1..=3).
fn check_pymodbus_answers(got: &Value, again: bool) {
    let bits = |n: usize, set: &[usize]| -> Value {
        json!((0..n).map(|i| set.contains(&i)).collect::<Vec<_>>())
    };
    let coils: &[usize] = if again { &[0, 3] } else { &[0] };
    assert_eq!(got["fc1"], bits(10, coils), "{got}");
    assert_eq!(got["fc2"], bits(8, &[1]), "{got}");
    let fc3 = if again {
        json!([1000, 10, 20, 30])
    } else {
        json!([1000, 1001, 1002, 1003])
    };
    assert_eq!(got["fc3"], fc3, "{got}");
    assert_eq!(got["fc4"], json!([2000, 2001, 0, 0]), "{got}");
    assert_eq!(got["fc5"], json!([true]), "{got}");
    assert_eq!(got["fc6"], json!([0x12]), "{got}");
    assert_eq!(got["fc8"], json!("a537"), "{got}");
    assert_eq!(got["fc15"], json!(4), "{got}");
    assert_eq!(got["fc16"], json!(3), "{got}");
    assert_eq!(got["fc22"], json!(0xF2), "{got}");
    // FC23 writes 6..=7, then reads 0..=7: FC16's 10, 20, 30 at 1, FC22's result at 5.
    let masked = (0x12 & 0xF2) | (0x25 & !0xF2);
    assert_eq!(
        got["fc23"],
        json!([1000, 10, 20, 30, 0, masked, 0xBEEF, 7]),
        "{got}"
    );
    assert_eq!(got["fc43"]["0"], json!("msm"), "{got}");
    assert_eq!(got["fc3_past_end"], json!({"exception": 2}), "{got}");
    let all = got["fc3_all"].as_array().expect("20 registers");
    assert_eq!(
        (all.len(), &all[6], &all[19]),
        (20, &json!(0xBEEF), &json!(0)),
        "{got}"
    );
}

fn pymodbus_client(args: &[&str]) -> Value {
    let python = crate::peers::pymodbus_python().expect("pymodbus (declared as needed)");
    // The library's peer scripts, beside this crate.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../msm/tests/peers/pymodbus_link_client.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .expect("run the pymodbus client");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pymodbus client {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn serve_ascii_answers_pymodbus_and_msm_reads_and_writes_over_ascii() {
    let Some(line) = crate::peers::SerialPair::new() else {
        return;
    };
    let map = temp_file("links.toml", MAP);
    // pymodbus speaks 8N1 (and ptys refuse parity): ASCII at 8 data bits.
    let serial = |path: &str| {
        [
            "--serial",
            path,
            "--ascii",
            "--data-bits",
            "8",
            "--parity",
            "none",
            "--baud",
            "19200",
        ]
        .map(String::from)
    };
    let mut args = vec![
        "serve".to_string(),
        map.to_string(),
        "--unit".into(),
        "1".into(),
    ];
    args.extend(serial(line.a()));
    let server = Running::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    server.expect_err("serving", |l| {
        l.contains("serial line") && l.contains("(ASCII)")
    });

    let got = pymodbus_client(&["ascii", line.b(), "19200", "1"]);
    check_pymodbus_answers(&got, false);
    let got = pymodbus_client(&["ascii", line.b(), "19200", "1", "--async"]);
    check_pymodbus_answers(&got, true);

    let with = |words: &[&str]| {
        let mut all: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        all.extend(serial(line.b()));
        run(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = with(&["read", &map, "H1", "H6"]);
    assert_eq!(
        stdout(&r),
        "H1 = 10\nH6 = 3203334151\n",
        "what pymodbus wrote, read by msm over ASCII: {}",
        stderr(&r)
    );
    let w = with(&["write", &map, "H5=77", "C12=true"]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = with(&["read", &map, "H5", "C12"]);
    assert_eq!(stdout(&r), "H5 = 77\nC12 = true\n", "{}", stderr(&r));
}

fn serve_udp_answers_pymodbus_and_msm_reads_and_writes_over_udp() {
    let map = temp_file("links.toml", MAP);
    let (_server, addr) = common::serve(&[&map, "--udp"]);
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let got = pymodbus_client(&["udp", host, port, "1"]);
    check_pymodbus_answers(&got, false);
    let got = pymodbus_client(&["udp", host, port, "1", "--async"]);
    check_pymodbus_answers(&got, true);
    let w = run(&["write", &map, "H5=88", "--udp", "--connect", &addr]);
    assert!(w.status.success(), "{}", stderr(&w));
    let r = run(&["read", &map, "H5", "H2", "--udp", "--connect", &addr]);
    // H2 as pymodbus's FC16 left it.
    assert_eq!(stdout(&r), "H5 = 88\nH2 = 20\n", "{}", stderr(&r));
    let poll = Running::start(&[
        "poll",
        &map,
        "--udp",
        "--connect",
        &addr,
        "--period",
        "50ms",
        "--seconds",
        "20",
    ]);
    poll.expect_out("H5 polled over UDP", |l| l.contains("H5 = 88"));
    drop(poll);
    // A Modbus/TCP master finds nobody on the UDP port: it says it cannot connect.
    let r = run(&["read", &map, "H5", "--connect", &addr, "--timeout", "300ms"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    // A UDP master at a closed port is told so (the kernel's port unreachable).
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .to_string();
    let r = run(&["read", &map, "H5", "--udp", "--connect", &closed]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("nothing takes UDP datagrams at"),
        "{}",
        stderr(&r)
    );
}

fn link_flags_that_do_not_go_together_are_refused() {
    let map = temp_file("links.toml", MAP);
    for (flags, says) in [
        (
            &["--udp", "--serial", "/dev/null"][..],
            "--udp and --serial exclude each other",
        ),
        (
            &["--udp", "--rtu-over-tcp"],
            "--udp and --rtu-over-tcp exclude each other",
        ),
        (&["--ascii"], "--ascii is Modbus ASCII on a serial line"),
        (&["--data-bits", "7"], "--data-bits applies to serial lines"),
        (&["--retries", "3"], "--udp"),
        (
            &[
                "--udp", "--tls", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem",
            ],
            "does not go with --udp",
        ),
    ] {
        let mut args = vec!["read", &map, "H0"];
        args.extend(flags);
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "{flags:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(says), "{flags:?}: {}", stderr(&r));
    }
    let r = run(&[
        "read",
        &map,
        "H0",
        "--serial",
        "/dev/null",
        "--data-bits",
        "9",
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "serve_ascii_answers_pymodbus_and_msm_reads_and_writes_over_ascii",
        run: serve_ascii_answers_pymodbus_and_msm_reads_and_writes_over_ascii,
        needs: &["socat", "pymodbus"],
    },
    crate::Test {
        name: "serve_udp_answers_pymodbus_and_msm_reads_and_writes_over_udp",
        run: serve_udp_answers_pymodbus_and_msm_reads_and_writes_over_udp,
        needs: &["pymodbus"],
    },
    crate::Test {
        name: "link_flags_that_do_not_go_together_are_refused",
        run: link_flags_that_do_not_go_together_are_refused,
        needs: &[],
    },
];
