//! msm-proto without its `std` feature is `no_std` and needs no allocator, so it builds
//! for a microcontroller. Only the host target is installed here, so the compiler judges
//! on it: the crate root declares `no_std` there, and then any `std::`, `alloc::`, `Vec`,
//! `Box` or `format!` outside `#[cfg(feature = "std")]` fails the build below. What could
//! still bring std or alloc in is an `extern crate` or a dependency: both are checked.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the cargo that runs this test (same toolchain, same target dir, no network).
fn cargo(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .arg("--offline")
        .current_dir(crate_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {}:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_crate_builds_without_std() {
    let lib = fs::read_to_string(crate_dir().join("src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains("#![cfg_attr(not(feature = \"std\"), no_std)]"),
        "lib.rs declares no_std without the std feature"
    );
    cargo(&["build", "-p", "msm-proto", "--lib", "--no-default-features"]);
}

#[test]
fn nothing_brings_std_or_alloc_back_in() {
    for file in sources(&crate_dir().join("src")) {
        let text = fs::read_to_string(&file).expect("a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            assert!(
                !code.contains("extern crate"),
                "{}:{}: an extern crate (std or alloc would need a cfg of its own): {line}",
                file.display(),
                n + 1
            );
        }
    }
}

#[test]
fn without_std_the_only_dependency_is_thiserror_without_std() {
    let out = cargo(&[
        "tree",
        "-p",
        "msm-proto",
        "--no-default-features",
        "-e",
        "normal,no-proc-macro",
        "--prefix",
        "none",
        "-f",
        "{p} [{f}]",
    ]);
    let tree = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<&str> = tree.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.len(), 2, "{tree}");
    assert!(
        lines[0].starts_with("msm-proto ") && lines[0].ends_with(" []"),
        "{tree}"
    );
    assert!(
        lines[1].starts_with("thiserror v2.") && lines[1].ends_with(" []"),
        "{tree}"
    );
}

#[test]
fn with_std_there_is_no_runtime_either() {
    let out = cargo(&["tree", "-p", "msm-proto", "-e", "normal"]);
    let tree = String::from_utf8_lossy(&out.stdout);
    for banned in ["tokio", "tracing", "bytes "] {
        assert!(
            !tree.contains(banned),
            "msm-proto depends on {banned}:\n{tree}"
        );
    }
}
