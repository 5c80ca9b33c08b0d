//! The architecture's rules, checked on the source (docs/architecture.md): the sans-IO
//! cores name neither tokio nor a clock, and the lower layers do not reach up.

use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` (or `dir` itself), tests excluded.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return out;
    }
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
        {
            out.push(path);
        }
    }
    out
}

/// The code lines of a file: doc comments, comments and the `#[cfg(test)]` tail left out.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        lines.push((n + 1, line.to_string()));
    }
    lines
}

/// Lines of the files under `dirs` that contain any of `words`.
fn offenders(dirs: &[&str], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for dir in dirs {
        for file in sources(&src().join(dir)) {
            for (n, line) in code_lines(&file) {
                if words.iter().any(|w| line.contains(w)) {
                    found.push(format!("{}:{n}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    found
}

/// The sans-IO cores: the codec, the master's engine, planner and sync rule, the slave's
/// request execution and stream splitting.
const CORES: &[&str] = &["protocol", "master/core", "slave/core"];

fn the_sans_io_cores_name_neither_tokio_nor_a_clock() {
    let found = offenders(CORES, &["tokio", "Instant::now", "SystemTime::now"]);
    assert!(
        found.is_empty(),
        "the cores take time and bytes as arguments:\n{}",
        found.join("\n")
    );
}

fn the_lower_layers_do_not_reach_up() {
    // protocol/ is the bottom; memory/ may use the codec's types; neither knows of
    // masters, slaves, map files or transports.
    let up = [
        "crate::master",
        "crate::slave",
        "crate::map",
        "crate::transport",
        "crate::Master",
        "crate::Slave",
    ];
    let found = offenders(&["protocol", "memory"], &up);
    assert!(found.is_empty(), "{}", found.join("\n"));
    let found = offenders(&["protocol"], &["crate::memory", "crate::error"]);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn the_cores_exist_where_the_docs_say() {
    for dir in CORES {
        assert!(src().join(dir).is_dir(), "{dir}");
        assert!(!sources(&src().join(dir)).is_empty(), "{dir}");
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_sans_io_cores_name_neither_tokio_nor_a_clock",
        run: the_sans_io_cores_name_neither_tokio_nor_a_clock,
        needs: &[],
    },
    crate::Test {
        name: "the_lower_layers_do_not_reach_up",
        run: the_lower_layers_do_not_reach_up,
        needs: &[],
    },
    crate::Test {
        name: "the_cores_exist_where_the_docs_say",
        run: the_cores_exist_where_the_docs_say,
        needs: &[],
    },
];
