//! Every way a map's `sim`, `[[fault]]` or `seed` can be wrong: each error names the
//! file, the line, the variable or fault, and the problem with its fix, as the rest of
//! the map's errors do (map_errors.rs).

use std::time::Duration;

use msm::map::{MapError, MapErrorKind, VarDef, VarType};
use msm::sim::Behaviour;
use msm::slave::{Fault, FaultAction};
use msm::{Area, AreaSpec, Map};

const HEAD: &str = "[memory]\ncoils = 4\ninput_registers = 8\nholding_registers = 8\n[vars]\n";
/// The line after `HEAD`.
const LINE: usize = 6;

/// Loads `HEAD` + `rest`, which must fail.
fn err(rest: &str) -> MapError {
    let text = format!("{HEAD}{rest}\n");
    Map::from_toml_str(&text).expect_err(&text)
}

/// The error is in `<string>` at `line`, about `var`, and its message has every needle.
#[track_caller]
fn check(e: &MapError, line: usize, var: Option<&str>, needles: &[&str]) {
    let msg = e.to_string();
    assert_eq!(e.position().map(|p| p.line), Some(line), "{msg}");
    assert_eq!(e.variable(), var, "{msg}");
    assert!(msg.starts_with(&format!("<string>:{line}:")), "{msg}");
    for needle in needles {
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    }
}

fn sim_kinds_and_their_keys() {
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "sin", min = 0, max = 1, period = "1s" } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &[
            r#"unknown sim kind "sin" (did you mean sine?)"#,
            "sine, counter, random",
        ],
    );
    assert!(matches!(e.kind(), MapErrorKind::UnknownBehaviour { name } if name == "sin"));
    let e = err(r#"L = { area = "input", address = 0, type = "f32", sim = { min = 0 } }"#);
    check(&e, LINE, Some("L"), &["missing `kind`", "kind = \"sine\""]);
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0, max = 1, perod = "1s" } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &[
            "unknown key `perod` in a sine (did you mean period?)",
            "kind, min, max, period, every, enable",
        ],
    );
    let e = err(
        r#"C = { area = "input", address = 0, type = "u16", sim = { kind = "counter", period = "1s" } }"#,
    );
    check(
        &e,
        LINE,
        Some("C"),
        &[
            "unknown key `period` in a counter",
            "kind, step, every, enable",
        ],
    );
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0, max = 1 } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &["missing `period`", "period = \"10s\""],
    );
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "random", max = 1 } }"#,
    );
    check(&e, LINE, Some("L"), &["missing `min`"]);
    let e = err(r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "follow" } }"#);
    check(&e, LINE, Some("L"), &["missing `source`"]);
    let e = err(r#"L = { area = "input", address = 0, type = "f32", sim = "sine" }"#);
    check(
        &e,
        LINE,
        Some("L"),
        &["`sim` must be a table such as { kind = \"sine\""],
    );
    let e = err(
        r#"L = { area = "input", address = 0, type = "u16", sim = { kind = "counter", step = 0 } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &["`step` = 0 is out of range", "other than 0"],
    );
}

fn sim_kinds_fit_their_types_and_bounds_their_range() {
    let e = err(
        r#"B = { area = "coil", address = 0, type = "bool", sim = { kind = "sine", min = 0, max = 1, period = "1s" } }"#,
    );
    check(
        &e,
        LINE,
        Some("B"),
        &["sim: a sine cannot move a bool", "toggle or follow"],
    );
    assert!(matches!(e.kind(), MapErrorKind::BadBehaviour { .. }));
    let e = err(r#"T = { area = "input", address = 0, type = "u16", sim = { kind = "toggle" } }"#);
    check(&e, LINE, Some("T"), &["a toggle cannot move a u16"]);
    let e =
        err(r#"N = { area = "input", address = 0, type = "u16", sim = { kind = "timestamp" } }"#);
    check(&e, LINE, Some("N"), &["32 bits or more"]);
    let e = err(
        r#"S = { area = "input", address = 0, type = "string", len = 2, sim = { kind = "uptime" } }"#,
    );
    check(&e, LINE, Some("S"), &["a string cannot be simulated"]);
    let e = err(
        r#"L = { area = "input", address = 0, type = "u16", sim = { kind = "sine", min = -5, max = 10, period = "1s" } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &["min = -5 does not fit a u16", "0..=65535"],
    );
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "ramp", min = 10, max = 5, period = "1s" } }"#,
    );
    check(&e, LINE, Some("L"), &["min = 10 must be below max = 5"]);
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0, max = 1, period = "10 parsecs" } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &[
            "`period` = \"10 parsecs\" is not a duration",
            "such as 500ms",
        ],
    );
    assert!(matches!(
        e.kind(),
        MapErrorKind::BadDuration { key: "period", .. }
    ));
    let e = err(
        r#"L = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0, max = 1, period = 10 } }"#,
    );
    check(
        &e,
        LINE,
        Some("L"),
        &["`period` must be a duration in quotes"],
    );
}

fn follow_and_enable_name_variables_that_fit() {
    let e = err("SP = { area = \"holding\", address = 0, type = \"f32\" }\n\
         PV = { area = \"input\", address = 0, type = \"f32\", sim = { kind = \"follow\", source = \"SPX\" } }");
    check(
        &e,
        LINE + 1,
        Some("PV"),
        &[r#"the source "SPX" is no variable of this map (did you mean SP?)"#],
    );
    let e = err(
        r#"PV = { area = "input", address = 0, type = "f32", sim = { kind = "follow", source = "PV" } }"#,
    );
    check(&e, LINE, Some("PV"), &["cannot follow itself"]);
    let e = err("RUN = { area = \"coil\", address = 0, type = \"bool\" }\n\
         PV = { area = \"input\", address = 0, type = \"f32\", sim = { kind = \"follow\", source = \"RUN\" } }");
    check(
        &e,
        LINE + 1,
        Some("PV"),
        &[
            "an f32 cannot follow RUN a bool",
            "a number follows a number",
        ],
    );
    let e = err("SP = { area = \"holding\", address = 0, type = \"u16\" }\n\
         C = { area = \"input\", address = 0, type = \"u16\", sim = { kind = \"counter\", enable = \"SP\" } }");
    check(
        &e,
        LINE + 1,
        Some("C"),
        &[r#"enable = "SP" is a u16"#, "a bool or a bit"],
    );
    let e = err(
        r#"C = { area = "input", address = 0, type = "u16", sim = { kind = "counter", enable = "RNU" } }"#,
    );
    check(
        &e,
        LINE,
        Some("C"),
        &[r#"the enabling variable "RNU" is no variable"#],
    );
    // The same checks for a map built in code.
    let built = Map::builder()
        .area(Area::Input, AreaSpec::new(0, 4))
        .var(
            VarDef::new("PV", Area::Input, 0, VarType::F32)
                .with_sim(Behaviour::follow("SP", Duration::ZERO)),
        )
        .build()
        .expect_err("no SP");
    assert!(
        built
            .to_string()
            .contains("variable PV: sim: the source \"SP\" is no variable"),
        "{built}"
    );
    let built = Map::builder()
        .area(Area::Coil, AreaSpec::new(0, 4))
        .var(VarDef::new("B", Area::Coil, 0, VarType::Bool).with_sim(Behaviour::counter(1)))
        .build()
        .expect_err("a counter on a bool");
    assert!(
        built.to_string().contains("a counter cannot move a bool"),
        "{built}"
    );
}

fn fault_actions_and_their_keys() {
    let fault = |body: &str| err(&format!("\n[[fault]]\n{body}"));
    // The fault's table starts on the line after HEAD's and a blank one.
    let at = LINE + 2;
    let e = fault("action = \"dely\"\ndelay = \"1s\"");
    check(
        &e,
        at,
        None,
        &[
            r#"unknown fault action "dely" (did you mean delay?)"#,
            "exception, delay, drop, close",
        ],
    );
    assert!(matches!(e.kind(), MapErrorKind::UnknownAction { .. }));
    let e = fault("function = 3");
    check(&e, at - 1, None, &["fault 1: missing `action`"]);
    let e = fault("action = \"drop\"\ncode = 6");
    check(
        &e,
        at + 1,
        None,
        &["fault 1: `code` applies only to action = \"exception\", not \"drop\""],
    );
    assert!(matches!(e.kind(), MapErrorKind::BadFault { index: 1, .. }));
    let e = fault("action = \"exception\"");
    check(&e, at, None, &["an exception needs its code", "code = 6"]);
    let e = fault("action = \"exception\"\ncode = 0");
    check(&e, at + 1, None, &["exception code 0 does not exist"]);
    let e = fault("action = \"exception\"\ncode = 256");
    check(
        &e,
        at + 1,
        None,
        &["`code` = 256 is out of range", "1..=255"],
    );
    let e = fault("action = \"trickle\"");
    check(&e, at, None, &["a trickle needs the pause between bytes"]);
    let e = fault("action = \"close\"\ndelay = \"1s\"");
    check(
        &e,
        at + 1,
        None,
        &["`delay` applies only to action = \"delay\" or \"trickle\""],
    );
    let e = fault("action = \"drop\"\nevery = 2\nprobability = 0.5");
    check(
        &e,
        at + 2,
        None,
        &["give `every` or `probability`, not both"],
    );
    let e = fault("action = \"drop\"\nprobability = 1.5");
    check(&e, at + 1, None, &["probability 1.5 is out of range"]);
    let e = fault("action = \"drop\"\nevery = 0");
    check(&e, at + 1, None, &["every = 0"]);
    let e = fault("action = \"drop\"\nadress = 3");
    check(
        &e,
        at + 1,
        None,
        &["unknown key `adress` in a fault (did you mean address?)"],
    );
    let e = fault("action = \"drop\"\naddress = \"0x180..=0x170\"");
    check(&e, at + 1, None, &["is empty: write FIRST..=LAST"]);
    let e = fault("action = \"drop\"\naddress = \"0x170..=tea\"");
    check(
        &e,
        at + 1,
        None,
        &["has \"tea\" where an address (0..=65535) belongs"],
    );
    let e = fault("action = \"drop\"\nfunction = 128");
    check(
        &e,
        at + 1,
        None,
        &["`function` = 128 is out of range", "1..=127"],
    );
    let e = fault("action = \"drop\"\nunit = [1, 300]");
    check(&e, at + 1, None, &["`unit` = 300 is out of range"]);
    let e = fault("action = \"drop\"\ncount = 0");
    check(&e, at + 1, None, &["count = 0 matches no request"]);
    // The second fault is named as such.
    let e = err("\n[[fault]]\naction = \"drop\"\n[[fault]]\naction = \"delay\"");
    check(&e, at + 2, None, &["fault 2: a delay needs how late"]);
    let e = err("\n[fault]\naction = \"drop\"");
    assert!(
        e.to_string()
            .contains("`fault` must be an array of tables: write each one as [[fault]]"),
        "{e}"
    );
}

fn bad_crc_on_tcp_is_accepted_and_a_seed_is_checked() {
    // A map may be served over TCP and RTU: an action for the other link is no error.
    let map = Map::from_toml_str(&format!("{HEAD}\n[[fault]]\naction = \"bad-crc\"\n"))
        .expect("accepted");
    assert_eq!(map.faults()[0].action(), FaultAction::BadCrc);
    let e = Map::from_toml_str(&format!("seed = -1\n{HEAD}")).expect_err("negative");
    check(&e, 1, None, &["`seed` = -1 is out of range"]);
    let e = Map::from_toml_str(&format!("seed = \"x\"\n{HEAD}")).expect_err("a string");
    check(&e, 1, None, &["`seed` must be an integer"]);
    let e = Map::from_toml_str(&format!("sed = 1\n{HEAD}")).expect_err("a typo");
    check(
        &e,
        1,
        None,
        &[
            "unknown key `sed` in the top level (did you mean seed?)",
            "memory, vars, roles, seed, fault",
        ],
    );
    let built = Map::builder()
        .fault(Fault::new(FaultAction::Drop).probability(-0.5))
        .build();
    assert!(
        built
            .expect_err("checked")
            .to_string()
            .contains("fault 1: probability -0.5 is out of range")
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "sim_kinds_and_their_keys",
        run: sim_kinds_and_their_keys,
        needs: &[],
    },
    crate::Test {
        name: "sim_kinds_fit_their_types_and_bounds_their_range",
        run: sim_kinds_fit_their_types_and_bounds_their_range,
        needs: &[],
    },
    crate::Test {
        name: "follow_and_enable_name_variables_that_fit",
        run: follow_and_enable_name_variables_that_fit,
        needs: &[],
    },
    crate::Test {
        name: "fault_actions_and_their_keys",
        run: fault_actions_and_their_keys,
        needs: &[],
    },
    crate::Test {
        name: "bad_crc_on_tcp_is_accepted_and_a_seed_is_checked",
        run: bad_crc_on_tcp_is_accepted_and_a_seed_is_checked,
        needs: &[],
    },
];
