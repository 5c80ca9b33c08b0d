//! The architecture's rules, checked on the source (docs/architecture.md):
//! - each crate of the workspace depends only on the crates below it;
//! - inside `msm`, each folder imports only the layers the table allows, so no arrow
//!   runs up and no circle runs through two folders;
//! - inside every other crate, the top-level modules import each other without a circle;
//! - the sans-IO cores name neither tokio, a clock, a socket nor a thread.

mod imports;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use imports::{Import, code, imports, module_of, sources};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("msm sits in the workspace")
        .to_path_buf()
}

/// The crates of the workspace and the workspace crates each may depend on (normal
/// dependencies: dev-dependencies may reach anywhere, for tests).
const CRATES: &[(&str, &[&str])] = &[
    ("msm-proto", &[]),
    ("msm-derive", &[]),
    ("msm", &["msm-proto", "msm-derive"]),
    ("msm-web", &["msm", "msm-proto"]),
    ("msm-mqtt", &["msm", "msm-proto"]),
    (
        "msm-cli",
        &["msm", "msm-proto", "msm-web", "msm-mqtt", "msm-derive"],
    ),
    ("msm-py", &["msm", "msm-proto", "msm-web", "msm-mqtt"]),
];

/// The layers of `msm/src` and what each may import. A file belongs to the longest
/// entry that prefixes its path; `@protocol` is the codec crate (`msm_proto`, also
/// named `crate::protocol`).
const MSM_LAYERS: &[(&str, &[&str])] = &[
    ("types", &["@protocol"]),
    ("authz", &["types", "@protocol"]),
    ("time", &[]),
    ("memory", &["types", "@protocol", "time"]),
    ("map", &["types", "authz", "memory", "@protocol"]),
    // The simulator's engine (sans-IO) and the thread that runs it.
    ("sim/core", &["types", "memory", "map", "time"]),
    ("sim", &["sim/core", "types", "memory", "map", "time"]),
    // #[derive(Vars)]'s layouts, and the trait that makes a memory and a map of them.
    ("vars", &["types", "memory", "map"]),
    ("transport", &["types", "memory", "@protocol", "time"]),
    ("worker", &["types"]),
    ("master/core", &["types", "memory", "@protocol", "time"]),
    (
        "master",
        &[
            "master/core",
            "types",
            "authz",
            "memory",
            "map",
            "transport",
            "@protocol",
            "time",
            "worker",
        ],
    ),
    (
        "slave/core",
        &["types", "authz", "memory", "@protocol", "time"],
    ),
    (
        "slave",
        &[
            "slave/core",
            "types",
            "authz",
            "memory",
            "map",
            "transport",
            "@protocol",
            "time",
            "worker",
        ],
    ),
];

/// Violations known and being fixed (issue 22), each by its exact message prefix. An
/// entry that no longer occurs fails the test too, so the list only shrinks; it is empty
/// when issue 22 is resolved.
const PENDING: &[&str] = &[];

/// Fails with the problems not in [`PENDING`], and with the entries of `PENDING` under
/// `check` that no problem matches any more.
fn report(check: &str, problems: Vec<String>) {
    let pending: Vec<&str> = PENDING
        .iter()
        .copied()
        .filter(|p| check_of(p) == check)
        .collect();
    let new: Vec<&String> = problems
        .iter()
        .filter(|p| !pending.iter().any(|k| p.starts_with(k)))
        .collect();
    let gone: Vec<&&str> = pending
        .iter()
        .filter(|k| !problems.iter().any(|p| p.starts_with(**k)))
        .collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "{check}:\n{}\nentries of PENDING that no longer occur (remove them): {gone:?}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Which check a `PENDING` entry belongs to.
fn check_of(entry: &str) -> &'static str {
    if entry.starts_with("msm-proto is no_std") {
        "no_std"
    } else if entry.contains(" imports ") {
        "layers"
    } else {
        "circles"
    }
}

/// Names a crate's code may use for the codec crate.
const EXTERN: &[(&str, &str)] = &[("msm_proto", "protocol")];

/// The sans-IO cores, from the workspace root.
const CORES: &[&str] = &[
    "msm-proto/src",
    "msm/src/master/core",
    "msm/src/slave/core",
    "msm/src/sim/core",
];

/// One crate's source, read once.
struct Crate {
    src: PathBuf,
    /// Each file with its module path and its imports.
    files: Vec<(PathBuf, Vec<String>, Vec<Import>)>,
    /// The crate root's re-exports: exported name → the path it names.
    reexports: BTreeMap<String, Vec<String>>,
    /// The crate's top-level modules (files and folders under src).
    top: BTreeSet<String>,
}

impl Crate {
    fn read(name: &str) -> Option<Crate> {
        let src = workspace().join(name).join("src");
        if !src.is_dir() {
            return None;
        }
        let mut files = Vec::new();
        let mut reexports = BTreeMap::new();
        let mut top = BTreeSet::new();
        for file in sources(&src) {
            let module = module_of(&src, &file);
            let lines = code(&file);
            let found = imports(&module, &lines, EXTERN);
            if let Some(first) = module.first() {
                top.insert(first.clone());
            } else {
                reexports.extend(root_reexports(&lines));
            }
            files.push((file, module, found));
        }
        Some(Crate {
            src,
            files,
            reexports,
            top,
        })
    }

    /// A path from the crate root with the root's re-exports followed, so that
    /// `crate::Memory` names `memory::...`.
    fn resolve(&self, path: &[String]) -> Vec<String> {
        let mut path = path.to_vec();
        for _ in 0..4 {
            match path.first() {
                Some(first) if first.starts_with('@') || self.top.contains(first) => break,
                Some(first) => match self.reexports.get(first) {
                    Some(target) => {
                        let mut p = target.clone();
                        p.extend(path.into_iter().skip(1));
                        path = p;
                    }
                    None => break,
                },
                None => break,
            }
        }
        path
    }
}

/// `pub use a::{B, c::D};` in a crate root: `B → a::B`, `D → a::c::D`;
/// `pub use msm_proto as protocol;`: `protocol → @protocol`.
fn root_reexports(lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let text = lines.join("\n");
    for (i, _) in text.match_indices("pub use ") {
        let rest = &text[i + "pub use ".len()..];
        let stmt = &rest[..rest.find(';').unwrap_or(rest.len())];
        if let Some((name, alias)) = stmt.split_once(" as ") {
            let node = EXTERN
                .iter()
                .find(|(n, _)| *n == name.trim())
                .map(|(_, node)| format!("@{node}"));
            out.insert(
                alias.trim().to_string(),
                vec![node.unwrap_or_else(|| name.trim().to_string())],
            );
            continue;
        }
        let lines: Vec<String> = vec![format!("crate::{stmt}")];
        for import in imports(&[], &lines, EXTERN) {
            if let Some(last) = import.path.last() {
                out.insert(last.clone(), import.path.clone());
            }
        }
    }
    out
}

/// The layer of a module path inside msm: the longest table entry that prefixes it.
fn msm_layer(path: &[String]) -> Option<String> {
    if let Some(first) = path.first()
        && let Some(node) = first.strip_prefix('@')
    {
        return Some(format!("@{node}"));
    }
    let joined = path.join("/");
    MSM_LAYERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| joined == *name || joined.starts_with(&format!("{name}/")))
        .max_by_key(|name| name.len())
        .map(str::to_string)
}

fn crates_depend_only_on_the_crates_below_them() {
    let root = fs::read_to_string(workspace().join("Cargo.toml")).expect("workspace Cargo.toml");
    let mut problems = Vec::new();
    for (name, allowed) in CRATES {
        let manifest = workspace().join(name).join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        assert!(
            root.contains(&format!("\"{name}\"")),
            "{name} is not a workspace member"
        );
        for dep in normal_dependencies(&text) {
            let is_workspace_crate = CRATES.iter().any(|(c, _)| *c == dep);
            if is_workspace_crate && !allowed.contains(&dep.as_str()) {
                problems.push(format!("{name} depends on {dep}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The dependency names of `[dependencies]` and `[target.*.dependencies]`.
fn normal_dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == "[dependencies]"
                || (t.starts_with("[target.") && t.ends_with(".dependencies]"));
            continue;
        }
        if inside && let Some((key, _)) = t.split_once('=') {
            let key = key.trim();
            if !key.is_empty() && !key.starts_with('#') {
                out.push(key.split('.').next().unwrap_or(key).to_string());
            }
        }
    }
    out
}

fn the_codec_crate_has_no_runtime_and_builds_without_std() {
    let manifest = fs::read_to_string(workspace().join("msm-proto/Cargo.toml")).expect("msm-proto");
    let deps = normal_dependencies(&manifest);
    for banned in ["tokio", "tokio-util", "tokio-serial", "bytes", "msm"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "msm-proto depends on {banned}: {deps:?}"
        );
    }
    let lib = fs::read_to_string(workspace().join("msm-proto/src/lib.rs")).expect("lib.rs");
    let mut problems = Vec::new();
    if !lib.contains("#![cfg_attr(not(feature = \"std\"), no_std)]") {
        problems.push("msm-proto is no_std without its std feature: it is not".to_string());
    }
    report("no_std", problems);
}

fn msm_folders_import_only_the_layers_below() {
    let krate = Crate::read("msm").expect("msm/src");
    let mut problems = Vec::new();
    let mut unplaced = BTreeSet::new();
    for (file, module, found) in &krate.files {
        let Some(from) = msm_layer(module) else {
            if !module.is_empty() {
                unplaced.insert(module.join("/"));
            }
            continue;
        };
        let allowed = MSM_LAYERS
            .iter()
            .find(|(name, _)| *name == from)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        for import in found {
            let path = krate.resolve(&import.path);
            let Some(to) = msm_layer(&path) else {
                continue;
            };
            if to != from && !allowed.contains(&to.as_str()) {
                problems.push(format!(
                    "{}:{}: {from} imports {to} ({})",
                    file.strip_prefix(&krate.src).unwrap_or(file).display(),
                    import.line,
                    import.path.join("::")
                ));
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules of msm/src in no layer of the table (add them to MSM_LAYERS and to \
         docs/architecture.md): {unplaced:?}"
    );
    report("layers", problems);
}

fn no_crate_has_an_import_circle_between_its_modules() {
    let mut problems = Vec::new();
    for (name, _) in CRATES {
        if *name == "msm" {
            continue; // the layer table above is stricter
        }
        let Some(krate) = Crate::read(name) else {
            continue;
        };
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut witness = BTreeMap::new();
        for (file, module, found) in &krate.files {
            let Some(from) = module.first() else {
                continue; // the crate root composes everything
            };
            for import in found {
                let path = krate.resolve(&import.path);
                let Some(to) = path.first() else { continue };
                if to != from && krate.top.contains(to) {
                    edges.entry(from.clone()).or_default().insert(to.clone());
                    witness
                        .entry((from.clone(), to.clone()))
                        .or_insert_with(|| format!("{}:{}", file.display(), import.line));
                }
            }
        }
        for cycle in cycles(&edges) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    format!(
                        "{} → {} ({})",
                        w[0],
                        w[1],
                        witness[&(w[0].clone(), w[1].clone())]
                    )
                })
                .collect();
            problems.push(format!("{name}: {}", steps.join(", ")));
        }
    }
    report("circles", problems);
}

/// One cycle per strongly connected part of the graph, as a closed walk.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut seen_in_cycle = BTreeSet::new();
    for start in edges.keys() {
        if seen_in_cycle.contains(start) {
            continue;
        }
        // Depth-first search for a path back to `start`.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut visited = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(start.clone());
                    seen_in_cycle.extend(path.iter().cloned());
                    found.push(cycle);
                    stack.clear();
                    break;
                }
                if visited.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

fn the_sans_io_cores_name_neither_tokio_nor_a_clock() {
    let words = [
        "tokio",
        "Instant::now",
        "SystemTime::now",
        "std::net",
        "std::thread",
        "TcpStream",
        "UdpSocket",
    ];
    let mut found = Vec::new();
    for core in CORES {
        let dir = workspace().join(core);
        assert!(dir.is_dir(), "{core} is where docs/architecture.md says");
        let files = sources(&dir);
        assert!(!files.is_empty(), "{core} has code");
        for file in files {
            for (n, line) in code(&file).iter().enumerate() {
                if words.iter().any(|w| line.contains(w)) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the cores take time and bytes as arguments:\n{}",
        found.join("\n")
    );
}

fn the_checker_sees_imports_in_every_form() {
    let lines: Vec<String> = [
        "use crate::memory::{Area, sync::{State, WHOLE}};",
        "use super::super::types::Error;",
        "let x = crate::Memory::new(1); let y = msm_proto::tcp::HEADER_LEN;",
        "use self::core::{engine, planner};",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let module: Vec<String> = ["master", "core", "engine"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let paths: Vec<String> = imports(&module, &lines, EXTERN)
        .iter()
        .map(|i| i.path.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "memory::Area",
            "memory::sync::State",
            "memory::sync::WHOLE",
            "master::types::Error",
            "Memory::new",
            "@protocol::tcp::HEADER_LEN",
            "master::core::engine::core::engine",
            "master::core::engine::core::planner",
        ]
    );
    assert_eq!(msm_layer(&module), Some("master/core".to_string()));
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&edges), [["a", "b", "a"]]);
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "crates_depend_only_on_the_crates_below_them",
        run: crates_depend_only_on_the_crates_below_them,
        needs: &[],
    },
    crate::Test {
        name: "the_codec_crate_has_no_runtime_and_builds_without_std",
        run: the_codec_crate_has_no_runtime_and_builds_without_std,
        needs: &[],
    },
    crate::Test {
        name: "msm_folders_import_only_the_layers_below",
        run: msm_folders_import_only_the_layers_below,
        needs: &[],
    },
    crate::Test {
        name: "no_crate_has_an_import_circle_between_its_modules",
        run: no_crate_has_an_import_circle_between_its_modules,
        needs: &[],
    },
    crate::Test {
        name: "the_sans_io_cores_name_neither_tokio_nor_a_clock",
        run: the_sans_io_cores_name_neither_tokio_nor_a_clock,
        needs: &[],
    },
    crate::Test {
        name: "the_checker_sees_imports_in_every_form",
        run: the_checker_sees_imports_in_every_form,
        needs: &[],
    },
];
