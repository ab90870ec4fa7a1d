//! The corpus of invalid systems under `tests/invalid/`: each file breaks
//! one rule and says on its first line which diagnostic it must produce:
//!
//! ```text
//! # <what it breaks>. expect: <code> <line>:<col> <message excerpt>
//! ```
//!
//! and, when the check needs the programs `image` may name (as the runner
//! passes them), on its second line:
//!
//! ```text
//! # binaries: <name>, <name>...
//! ```

use std::path::{Path, PathBuf};

use hypcfg::front;

struct Expect {
    code: String,
    line: usize,
    col: usize,
    message: String,
}

fn expectation(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap_or("");
    let (_, rest) = first
        .split_once("expect: ")
        .unwrap_or_else(|| panic!("{}: first line has no `expect:`", path.display()));
    let mut parts = rest.splitn(3, ' ');
    let code = parts.next().unwrap().to_string();
    let (line, col) = parts.next().unwrap().split_once(':').unwrap();
    Expect {
        code,
        line: line.parse().unwrap(),
        col: col.parse().unwrap(),
        message: parts.next().unwrap().to_string(),
    }
}

/// The options the file asks for on its second line.
fn options(path: &Path) -> front::Options {
    let text = std::fs::read_to_string(path).unwrap();
    let binaries = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("# binaries: "))
        .map(|list| list.split(',').map(|b| b.trim().to_string()).collect());
    front::Options {
        binaries,
        ..Default::default()
    }
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_system_gets_its_diagnostic() {
    let files = corpus();
    assert!(files.len() >= 25, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let want = expectation(path);
        let checked = front::check_file_with(path, &options(path));
        assert!(!checked.ok(), "{} was accepted", path.display());
        let found = checked.diags.iter().any(|d| {
            let pos = d.position(&checked.sources);
            d.code.id == want.code
                && d.message.contains(&want.message)
                && pos
                    .as_ref()
                    .is_some_and(|(_, l, c)| (*l, *c) == (want.line, want.col))
        });
        if !found {
            failures.push(format!(
                "{}: expected {} at {}:{} containing {:?}; got:\n{}",
                path.display(),
                want.code,
                want.line,
                want.col,
                want.message,
                checked.render()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_corpus_file_tests_a_distinct_check() {
    let mut seen = std::collections::HashSet::new();
    for path in corpus() {
        let e = expectation(&path);
        assert!(
            seen.insert((e.code.clone(), e.message.clone())),
            "{} repeats a check",
            path.display()
        );
    }
}

#[test]
fn rendered_diagnostics_have_location_key_path_and_hint() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid/overlap_partitions.toml");
    let checked = front::check_file(&path);
    let text = checked.render();
    assert!(
        text.contains("error[E013]: memory region `data` of partition `b`"),
        "{text}"
    );
    assert!(text.contains("overlap_partitions.toml:23:29"), "{text}");
    assert!(text.contains("= key: partition[1].memory[1].base"), "{text}");
    assert!(text.contains("= help: move one of them"), "{text}");
    assert!(
        text.contains("= note: memory region `code` of partition `a` is here"),
        "{text}"
    );
    // The caret sits under the value.
    assert!(text.contains("    { name = \"data\", base = 0x2000_8000, size = \"64K\", perm = \"rw-\" },\n   |                             ^^^^^^^^^^^"), "{text}");
}
