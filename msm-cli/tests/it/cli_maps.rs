//! Every kind of map error, through the binary: exit code 2, and a message naming the
//! file, the variable and the problem.

use crate::common;

use common::{run, stderr, temp_file};

const MEMORY: &str = "[memory]\ncoils = 8\nholding_registers = 8\n[vars]\n";

fn map_errors_name_the_file_the_variable_and_the_problem() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown type",
            r#"X = { area = "holding", address = 0, type = "u33" }"#,
            &["variable X", "unknown type \"u33\"", "did you mean u32?"],
        ),
        (
            "address outside the area",
            r#"X = { area = "holding", address = 7, type = "u32" }"#,
            &["variable X", "holding registers", "0..=7"],
        ),
        (
            "bit 16",
            r#"X = { area = "holding", address = 0, type = "bit", bit = 16 }"#,
            &["variable X", "bit 16"],
        ),
        (
            "byte middle",
            r#"X = { area = "holding", address = 0, type = "u8", byte = "middle" }"#,
            &["variable X", "\"middle\""],
        ),
        (
            "u32 on a coil",
            r#"X = { area = "coil", address = 0, type = "u32" }"#,
            &["variable X", "u32", "coils"],
        ),
        (
            "duplicate name",
            "X = { area = \"coil\", address = 0, type = \"bool\" }\nX = { area = \"coil\", address = 1, type = \"bool\" }",
            &["duplicate variable name X"],
        ),
        (
            "unknown key",
            r#"X = { area = "holding", adress = 0, type = "u16" }"#,
            &["variable X", "adress", "did you mean address?"],
        ),
        (
            "value out of range",
            r#"X = { area = "holding", address = 0, type = "u8", value = 300 }"#,
            &["variable X", "300 does not fit a u8"],
        ),
    ];
    for (what, var, needles) in cases {
        let path = temp_file("bad.toml", &format!("{MEMORY}{var}\n"));
        let out = run(&["read", &path, "--connect", "127.0.0.1:9"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(&*path), "{what}: the file is named: {err}");
        for needle in *needles {
            assert!(err.contains(needle), "{what}: {needle:?} not in {err}");
        }
    }
    let path = temp_file("nomemory.toml", "[vars]\n");
    let err = stderr(&run(&["serve", &path, "--listen", "127.0.0.1:0"]));
    assert!(err.contains("no [memory] section"), "{err}");
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "map_errors_name_the_file_the_variable_and_the_problem",
    run: map_errors_name_the_file_the_variable_and_the_problem,
    needs: &[],
}];
