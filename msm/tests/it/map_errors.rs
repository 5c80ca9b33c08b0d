//! Every way a map file can be wrong: each error names the file, the line, the variable
//! and the problem with its fix.

use msm::map::{MapError, MapErrorKind, VarType};
use msm::{Area, Error, Map};

const HEAD: &str = "[memory]\ncoils = 4\ninput_registers = 4\nholding_registers = 8\n[vars]\n";
/// The line of the first variable after `HEAD`.
const LINE: usize = 6;

/// Loads `HEAD` + `vars`, which must fail.
fn err(vars: &str) -> MapError {
    let text = format!("{HEAD}{vars}\n");
    Map::from_toml_str(&text).expect_err(&text)
}

/// The error is in `<string>` at `line`, about `var`, and its message has every needle.
#[track_caller]
fn check(e: &MapError, line: usize, var: Option<&str>, needles: &[&str]) {
    let msg = e.to_string();
    assert_eq!(e.file(), "<string>", "{msg}");
    assert_eq!(e.position().map(|p| p.line), Some(line), "{msg}");
    assert_eq!(e.variable(), var, "{msg}");
    assert!(msg.starts_with(&format!("<string>:{line}:")), "{msg}");
    if let Some(name) = var {
        assert!(msg.contains(&format!(": variable {name}: ")), "{msg}");
    }
    for needle in needles {
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    }
}

fn unknown_type_lists_the_types_and_the_closest() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u33" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            r#"unknown type "u33""#,
            "did you mean u32?",
            "bool, bit, u8",
        ],
    );
    assert!(matches!(e.kind(), MapErrorKind::UnknownType { name } if name == "u33"));
    let e = err(r#"X = { area = "holding", address = 0, type = 5 }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["`type` must be a string, not an integer"],
    );
}

fn address_outside_the_area_reuses_the_memory_message() {
    let e = err(r#"X = { area = "holding", address = 7, type = "u32" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            "a u32 (2 registers) at holding registers address 7 needs 2 item(s)",
            "holds addresses 0..=7",
            "[memory]",
        ],
    );
    // Columns point at the address.
    assert_eq!(e.position().map(|p| p.column), Some(35));
    assert!(matches!(
        e.kind(),
        MapErrorKind::Memory(Error::OutOfRange { .. })
    ));
    let e = err(r#"X = { area = "discrete", address = 0, type = "bool" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            "discrete inputs area holds no addresses",
            "discrete_inputs = ",
        ],
    );
    assert!(!e.to_string().contains("Memory::builder"), "{e}");
    // A 1-based "register number" gets the 0-based hint.
    let e = err(r#"X = { area = "holding", address = 40001, type = "u16" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["0-based", "register 40001 is holding registers address 0"],
    );
}

fn address_that_is_negative_or_too_large() {
    for (address, shown) in [("-1", "-1"), ("70000", "70000"), ("0x10000", "0x10000")] {
        let e = err(&format!(
            r#"X = {{ area = "holding", address = {address}, type = "u16" }}"#
        ));
        check(
            &e,
            LINE,
            Some("X"),
            &[&format!("`address` = {shown} is out of range"), "0..=65535"],
        );
    }
    let e = err(r#"X = { area = "holding", address = "0", type = "u16" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["`address` must be an integer, not a string"],
    );
}

fn bit_16_and_bits_on_other_types() {
    let e = err(r#"X = { area = "holding", address = 0, type = "bit", bit = 16 }"#);
    check(&e, LINE, Some("X"), &["bit 16 does not exist", "0..=15"]);
    assert!(matches!(
        e.kind(),
        MapErrorKind::Memory(Error::BitOutOfRange { bit: 16 })
    ));
    let e = err(r#"X = { area = "holding", address = 0, type = "bit", bit = -1 }"#);
    check(&e, LINE, Some("X"), &["`bit` = -1 is out of range"]);
    let e = err(r#"X = { area = "holding", address = 0, type = "bit" }"#);
    check(&e, LINE, Some("X"), &["missing `bit`", "bit = 0..=15"]);
    let e = err(r#"X = { area = "holding", address = 0, type = "u16", bit = 2 }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["`bit` does not apply to a u16", r#"only type = "bit""#],
    );
    let e = err(r#"X = { area = "coil", address = 0, type = "bit", bit = 2 }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["a bit cannot be declared on coils", r#"type = "bool""#],
    );
}

fn byte_middle_and_bytes_on_other_types() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u8", byte = "middle" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[r#"unknown byte "middle""#, "low", "high"],
    );
    let e = err(r#"X = { area = "holding", address = 0, type = "u16", byte = "low" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["`byte` does not apply to a u16", "only u8 and i8"],
    );
}

fn types_in_the_wrong_area() {
    let e = err(r#"X = { area = "coil", address = 0, type = "u32" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            "a u32 cannot be declared on coils",
            r#"type = "bool""#,
            r#"area = "holding""#,
        ],
    );
    assert!(matches!(
        e.kind(),
        MapErrorKind::TypeNotInArea {
            ty: VarType::U32,
            area: Area::Coil,
            ..
        }
    ));
    let e = err(r#"X = { area = "holding", address = 0, type = "bool" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            "a bool cannot be declared on holding registers",
            r#"type = "bit""#,
        ],
    );
    let e = err(r#"X = { area = "hold", address = 0, type = "u16" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[r#"unknown area "hold""#, "coil, discrete, input or holding"],
    );
}

fn duplicate_names_say_so_with_the_line() {
    let e = err(concat!(
        "X = { area = \"holding\", address = 0, type = \"u16\" }\n",
        "Y = { area = \"holding\", address = 1, type = \"u16\" }\n",
        "X = { area = \"holding\", address = 2, type = \"u16\" }",
    ));
    check(&e, LINE + 2, Some("X"), &["duplicate variable name X"]);
    assert!(matches!(e.kind(), MapErrorKind::DuplicateName { name } if name == "X"));

    let e = err(concat!(
        "[vars.Y]\narea = \"holding\"\naddress = 0\ntype = \"u16\"\n",
        "[vars.Y]\narea = \"holding\"\n",
    ));
    check(&e, LINE + 4, Some("Y"), &["duplicate variable name Y"]);

    // A key given twice inside one variable is not a duplicate variable.
    let e = err(r#"X = { area = "holding", area = "coil", address = 0, type = "u16" }"#);
    check(&e, LINE, Some("X"), &["duplicate key `area`"]);
}

fn missing_keys() {
    for (vars, key) in [
        (r#"X = { area = "holding", address = 0 }"#, "type"),
        (r#"X = { area = "holding", type = "u16" }"#, "address"),
        (r#"X = { address = 0, type = "u16" }"#, "area"),
        (
            r#"X = { area = "holding", address = 0, type = "string" }"#,
            "len",
        ),
    ] {
        let e = err(vars);
        check(&e, LINE, Some("X"), &[&format!("missing `{key}`: ")]);
        assert!(matches!(e.kind(), MapErrorKind::MissingKey { key: k, .. } if *k == key));
    }
}

fn len_only_for_strings_and_within_one_request() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u32", len = 2 }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["`len` does not apply to a u32", "only a string"],
    );
    for len in ["0", "124"] {
        let e = err(&format!(
            r#"X = {{ area = "holding", address = 0, type = "string", len = {len} }}"#
        ));
        check(
            &e,
            LINE,
            Some("X"),
            &[
                &format!("a variable of {len} registers cannot be declared"),
                "1..=123",
            ],
        );
    }
    let e = err(r#"X = { area = "holding", address = 4, type = "string", len = 5 }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["a string of 5 registers at holding registers address 4"],
    );
}

fn order_is_checked_and_only_for_register_values() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u32", order = "ACBD" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[r#"unknown word order "ACBD""#, "ABCD, CDAB, BADC or DCBA"],
    );
    let e = err(r#"X = { area = "coil", address = 0, type = "bool", order = "CDAB" }"#);
    check(&e, LINE, Some("X"), &["`order` does not apply to a bool"]);
    let e = Map::from_toml_str("[memory]\nholding_registers = 1\norder = \"little\"\n")
        .expect_err("bad order");
    check(&e, 3, None, &[r#"unknown word order "little""#]);
}

fn values_of_the_wrong_toml_type() {
    for (ty, value, found) in [
        ("u8", r#""3""#, "a string"),
        ("u16", "true", "a boolean"),
        ("bool", "1", "an integer"),
        ("string", "12", "an integer"),
        ("f32", "[1.0]", "an array"),
        ("i32", "1979-05-27", "a datetime"),
    ] {
        let area = if ty == "bool" { "coil" } else { "holding" };
        let len = if ty == "string" { ", len = 2" } else { "" };
        let e = err(&format!(
            r#"X = {{ area = "{area}", address = 0, type = "{ty}"{len}, value = {value} }}"#
        ));
        check(
            &e,
            LINE,
            Some("X"),
            &[&format!(" {ty} takes "), &format!("not {found}")],
        );
    }
}

fn values_out_of_range_for_the_type() {
    for (ty, value, range) in [
        ("u8", "300", "0..=255"),
        ("u8", "-1", "0..=255"),
        ("i8", "-129", "-128..=127"),
        ("u16", "1.5", "whole numbers 0..=65535"),
        (
            "i64",
            "9223372036854775808",
            "-9223372036854775808..=9223372036854775807",
        ),
        ("f32", "1e40", "3.4028235e38"),
        ("f32", "16777217", "16777216"),
    ] {
        let e = err(&format!(
            r#"X = {{ area = "holding", address = 0, type = "{ty}", value = {value} }}"#
        ));
        check(
            &e,
            LINE,
            Some("X"),
            &[
                &format!("{value} does not fit "),
                &format!(" {ty}, which holds"),
                range,
            ],
        );
        // The column of the value.
        assert_eq!(e.position().map(|p| p.column), Some(57 + ty.len()), "{e}");
    }
}

fn string_values_must_be_ascii_and_fit() {
    let e =
        err(r#"X = { area = "holding", address = 0, type = "string", len = 2, value = "héllo" }"#);
    check(&e, LINE, Some("X"), &["'é'", "not ASCII"]);
    let e =
        err(r#"X = { area = "holding", address = 0, type = "string", len = 2, value = "hello" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &["a string of 5 bytes does not fit in 4 bytes (2 registers)"],
    );
}

fn names_that_cannot_be_used() {
    for (name, why) in [
        (r#""""#, "at least one character"),
        (r#""TWO WORDS""#, "spaces"),
        (r#""A=B""#, "`=`"),
    ] {
        let e = err(&format!(
            r#"{name} = {{ area = "holding", address = 0, type = "u16" }}"#
        ));
        check(
            &e,
            LINE,
            None,
            &["the variable name", "cannot be used", why],
        );
    }
}

fn unknown_keys_name_the_key_and_list_the_valid_ones() {
    let e = err(r#"X = { area = "holding", adress = 0, type = "u16" }"#);
    check(
        &e,
        LINE,
        Some("X"),
        &[
            "unknown key `adress` in a variable",
            "did you mean address?",
            "area, address, type, order, bit, byte, len, value",
        ],
    );
    let e = Map::from_toml_str("[memory]\nholding_register = 8\n").expect_err("typo");
    check(
        &e,
        2,
        None,
        &[
            "unknown key `holding_register` in [memory]",
            "did you mean holding_registers?",
            "coils, discrete_inputs",
        ],
    );
    let e = Map::from_toml_str("[memory]\ncoils = { begin = 0, size = 8 }\n").expect_err("typo");
    check(
        &e,
        2,
        None,
        &["unknown key `begin` in an area", "start, size"],
    );
    let e = Map::from_toml_str("[memory]\ncoils = 8\n\n[server]\nport = 502\n").expect_err("extra");
    check(
        &e,
        4,
        None,
        &["unknown key `server` in the top level", "memory, vars"],
    );
}

fn memory_section_errors() {
    let e = Map::from_toml_str("[vars]\nX = { area = \"holding\", address = 0, type = \"u16\" }\n")
        .expect_err("no memory");
    assert!(matches!(e.kind(), MapErrorKind::NoMemory));
    assert!(
        e.to_string()
            .starts_with("<string>: the map has no [memory] section: add one"),
        "{e}"
    );
    assert!(
        Map::from_toml_str("").is_err(),
        "an empty file is not a map"
    );

    for (text, line, needle) in [
        (
            "[memory]\ncoils = 70000\n",
            2,
            "`size` = 70000 is out of range: it must be in 0..=65536",
        ),
        (
            "[memory]\ncoils = { start = 65530, size = 10 }\n",
            2,
            "coils starting at 65530 with 10 items would end past address 65535",
        ),
        ("[memory]\ncoils = { start = 8 }\n", 2, "missing `size`"),
        (
            "[memory]\ncoils = \"8\"\n",
            2,
            "`coils` must be a size or a table { start = ..., size = ... }, not a string",
        ),
        (
            "memory = 8\n",
            1,
            "`memory` must be a table: [memory], not an integer",
        ),
        (
            "[memory]\ncoils = 1\nvars = 3\n",
            3,
            "unknown key `vars` in [memory]",
        ),
    ] {
        let e = Map::from_toml_str(text).expect_err(text);
        check(&e, line, None, &[needle]);
    }
}

fn variables_must_be_tables() {
    let e = err("X = 5");
    check(
        &e,
        LINE,
        Some("X"),
        &["`X` must be a table such as { area = ", "not an integer"],
    );
    let e =
        Map::from_toml_str("[memory]\ncoils = 1\n[[vars]]\nX = 1\n").expect_err("array of tables");
    check(
        &e,
        3,
        None,
        &["`vars` must be a table: [vars], not an array"],
    );
}

fn toml_syntax_errors_keep_the_line_and_column() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u16" "#);
    assert!(matches!(e.kind(), MapErrorKind::Syntax(_)));
    check(&e, LINE, None, &["invalid TOML", "expected `}`"]);
    let e = Map::from_toml_str("[memory]\ncoils = = 4\n").expect_err("syntax");
    check(&e, 2, None, &["invalid TOML"]);
    assert_eq!(e.position().map(|p| p.column), Some(9));
}

fn map_errors_convert_into_the_crate_error() {
    let e = err(r#"X = { area = "holding", address = 0, type = "u33" }"#);
    let text = e.to_string();
    let crate_error: Error = e.into();
    assert!(matches!(crate_error, Error::Map(_)));
    assert_eq!(crate_error.to_string(), text, "the message is kept whole");
    fn load() -> Result<Map, Error> {
        Ok(Map::from_toml_str("[memory]\n[vars]\nX = 1\n")?)
    }
    assert!(load().is_err(), "`?` converts");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "unknown_type_lists_the_types_and_the_closest",
        run: unknown_type_lists_the_types_and_the_closest,
        needs: &[],
    },
    crate::Test {
        name: "address_outside_the_area_reuses_the_memory_message",
        run: address_outside_the_area_reuses_the_memory_message,
        needs: &[],
    },
    crate::Test {
        name: "address_that_is_negative_or_too_large",
        run: address_that_is_negative_or_too_large,
        needs: &[],
    },
    crate::Test {
        name: "bit_16_and_bits_on_other_types",
        run: bit_16_and_bits_on_other_types,
        needs: &[],
    },
    crate::Test {
        name: "byte_middle_and_bytes_on_other_types",
        run: byte_middle_and_bytes_on_other_types,
        needs: &[],
    },
    crate::Test {
        name: "types_in_the_wrong_area",
        run: types_in_the_wrong_area,
        needs: &[],
    },
    crate::Test {
        name: "duplicate_names_say_so_with_the_line",
        run: duplicate_names_say_so_with_the_line,
        needs: &[],
    },
    crate::Test {
        name: "missing_keys",
        run: missing_keys,
        needs: &[],
    },
    crate::Test {
        name: "len_only_for_strings_and_within_one_request",
        run: len_only_for_strings_and_within_one_request,
        needs: &[],
    },
    crate::Test {
        name: "order_is_checked_and_only_for_register_values",
        run: order_is_checked_and_only_for_register_values,
        needs: &[],
    },
    crate::Test {
        name: "values_of_the_wrong_toml_type",
        run: values_of_the_wrong_toml_type,
        needs: &[],
    },
    crate::Test {
        name: "values_out_of_range_for_the_type",
        run: values_out_of_range_for_the_type,
        needs: &[],
    },
    crate::Test {
        name: "string_values_must_be_ascii_and_fit",
        run: string_values_must_be_ascii_and_fit,
        needs: &[],
    },
    crate::Test {
        name: "names_that_cannot_be_used",
        run: names_that_cannot_be_used,
        needs: &[],
    },
    crate::Test {
        name: "unknown_keys_name_the_key_and_list_the_valid_ones",
        run: unknown_keys_name_the_key_and_list_the_valid_ones,
        needs: &[],
    },
    crate::Test {
        name: "memory_section_errors",
        run: memory_section_errors,
        needs: &[],
    },
    crate::Test {
        name: "variables_must_be_tables",
        run: variables_must_be_tables,
        needs: &[],
    },
    crate::Test {
        name: "toml_syntax_errors_keep_the_line_and_column",
        run: toml_syntax_errors_keep_the_line_and_column,
        needs: &[],
    },
    crate::Test {
        name: "map_errors_convert_into_the_crate_error",
        run: map_errors_convert_into_the_crate_error,
        needs: &[],
    },
];
