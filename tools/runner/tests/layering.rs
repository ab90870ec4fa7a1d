//! The kernel's modules form layers: no module of `hyp` or `hyp-core`
//! uses one that uses it back (directly or through others), so a newcomer
//! can read them bottom-up. This test reads the sources (comments and
//! `#[cfg(test)] mod tests` left out), collects each module's references
//! to others (`crate::a::b`, `super::x`, a child's `x::`), and fails
//! naming every cycle it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` and `a/b/mod.rs` are module `a::b`; `lib.rs` is the root ("").
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under root").with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// The source without comments and without a trailing test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths like `a::b::c` that follow `prefix` in `code`.
fn paths_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    code.match_indices(prefix).filter_map(move |(i, _)| {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return None;
        }
        let rest = &code[i + prefix.len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        (!path.is_empty()).then_some(path)
    })
}

fn graph_of(root: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            (
                module_of(root, f),
                code_of(&fs::read_to_string(f).expect("readable source")),
            )
        })
        .collect();
    let known: BTreeSet<&String> = sources.keys().collect();
    let longest_known = |path: &[&str]| -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].join("::"))
            .find(|m| known.contains(m))
    };
    let mut graph = Graph::new();
    for (module, code) in &sources {
        let mut uses = BTreeSet::new();
        let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        for path in paths_after(code, "crate::") {
            uses.extend(longest_known(&path));
        }
        let parent = &own[..own.len().saturating_sub(1)];
        for path in paths_after(code, "super::") {
            let full: Vec<&str> = parent.iter().copied().chain(path).collect();
            uses.extend(longest_known(&full).or_else(|| Some(parent.join("::"))));
        }
        for path in paths_after(code, "") {
            // A child module used by name (`load::prepare`) from its parent.
            if let Some(first) = path.first().filter(|_| path.len() > 1) {
                let child: Vec<&str> = own.iter().copied().chain([*first]).collect();
                uses.extend(longest_known(&child).filter(|c| c.split("::").count() == own.len() + 1));
            }
        }
        uses.retain(|u| u != module && !module.starts_with(&format!("{u}::")) && !u.is_empty());
        graph.insert(module.clone(), uses);
    }
    graph
}

/// Strongly connected components with more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for n in graph.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reach(m))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, r) in &reaches {
        let comp: Vec<String> = r
            .iter()
            .filter(|n| reaches.get(n).is_some_and(|back| back.contains(*m)))
            .cloned()
            .collect();
        if comp.len() > 1 {
            found.insert(comp);
        }
    }
    found.into_iter().collect()
}

fn assert_layered(dir: &str) {
    let root = runner::workspace_root().join(dir);
    let graph = graph_of(&root);
    assert!(graph.len() > 5, "found only {} modules under {dir}", graph.len());
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "modules of {dir} that use each other: {found:?}"
    );
}

#[test]
fn hyp_modules_form_layers() {
    assert_layered("hyp/src");
}

#[test]
fn hyp_core_modules_form_layers() {
    assert_layered("hyp/core/src");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g = Graph::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), ["a".to_string()].into());
    g.insert("d".into(), ["a".to_string()].into());
    assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}
