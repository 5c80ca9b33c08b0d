//! What a Rust source file imports from its own crate, read from the text: every path
//! that starts with `crate::`, `super::` or `self::`, in `use` items and in expressions,
//! with the line it is on. Comments and the `#[cfg(test)]` tail of a file are left out.

use std::fs;
use std::path::{Path, PathBuf};

/// One import: the module path it names, from the crate root (`["memory", "Area"]`),
/// and where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub(crate) path: Vec<String>,
    pub(crate) line: usize,
}

/// Every `.rs` file under `dir`, sorted, tests left out (`tests.rs`, `*_tests.rs`, and
/// folders named `tests`).
pub(crate) fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if path.is_dir() {
            if name != "tests" {
                out.extend(sources(&path));
            }
        } else if name.ends_with(".rs") && !name.ends_with("tests.rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a file under `src`: `master/core/engine/mod.rs` is
/// `["master", "core", "engine"]`, `lib.rs` and `main.rs` are `[]`.
pub(crate) fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if !matches!(stem.as_str(), "mod" | "lib" | "main") {
            parts.push(stem);
        }
    }
    parts
}

/// The code of a file with comments blanked and its inline test module cut, lines kept.
pub(crate) fn code(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut lines = Vec::new();
    let all: Vec<&str> = text.lines().collect();
    for (n, line) in all.iter().enumerate() {
        let t = line.trim_start();
        // An inline test module ends the code; one in a file of its own is skipped
        // (the file is not read).
        if t.starts_with("#[cfg(test)]") {
            let next = all.get(n + 1).map(|l| l.trim()).unwrap_or("");
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        // A line comment (outside a string: good enough for code that names modules).
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        lines.push(code.to_string());
    }
    lines
}

/// Every path from the crate root that `file` (a module at `module`) names.
pub(crate) fn imports(
    module: &[String],
    lines: &[String],
    extern_names: &[(&str, &str)],
) -> Vec<Import> {
    // Join the lines so that a `use` spanning several lines reads as one, remembering
    // where each character came from.
    let mut text = String::new();
    let mut line_of = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        text.push_str(l);
        text.push('\n');
        line_of.extend(std::iter::repeat_n(n + 1, l.len() + 1));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if !starts_word || !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let mut base: Option<(Vec<String>, usize)> = None;
        if rest.starts_with("crate::") {
            base = Some((Vec::new(), "crate::".len()));
        } else if rest.starts_with("self::") {
            base = Some((module.to_vec(), "self::".len()));
        } else if rest.starts_with("super::") {
            let mut m = module.to_vec();
            let mut k = 0;
            while text[i + k..].starts_with("super::") {
                m.pop();
                k += "super::".len();
            }
            base = Some((m, k));
        } else {
            for (name, node) in extern_names {
                let prefix = format!("{name}::");
                if rest.starts_with(&prefix) {
                    base = Some((vec![format!("@{node}")], prefix.len()));
                }
            }
        }
        let Some((base, skip)) = base else {
            i += 1;
            continue;
        };
        let (paths, used) = parse_tree(&text[i + skip..]);
        for p in paths {
            let mut full = base.clone();
            full.extend(p);
            out.push(Import {
                path: full,
                line: line_of.get(i).copied().unwrap_or(0),
            });
        }
        i += skip + used.max(1);
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A use tree after its prefix: `a::b::C`, `a::{b, c::D}`, `{self, x}`; the paths it
/// names and how many bytes it took.
fn parse_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut segs = Vec::new();
    loop {
        if b.get(i) == Some(&b'{') {
            // A group: split at top-level commas, each a tree of its own.
            let mut depth = 0;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let inner = &s[i + 1..j.min(s.len())];
            let mut out = Vec::new();
            let mut depth = 0;
            let mut start = 0;
            let ib = inner.as_bytes();
            for k in 0..=ib.len() {
                let at_end = k == ib.len();
                if !at_end {
                    match ib[k] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                }
                if at_end || (ib[k] == b',' && depth == 0) {
                    let item = inner[start..k].trim();
                    start = k + 1;
                    if item.is_empty() {
                        continue;
                    }
                    let (sub, _) = parse_tree(item);
                    for p in sub {
                        let mut full = segs.clone();
                        if p.first().is_some_and(|s| s == "self") {
                            full.extend(p.into_iter().skip(1));
                        } else {
                            full.extend(p);
                        }
                        out.push(full);
                    }
                }
            }
            return (out, j + 1);
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        segs.push(s[start..i].to_string());
        if s[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    (vec![segs], i)
}
