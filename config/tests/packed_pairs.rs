//! The byte-pair table of `hypcfg::packed` against the project's messages:
//! trains a fresh table on every literal the hypervisor packs (`text!`,
//! and the templates of `put!` and `hprintln!`) and fails when the table
//! in `config/src/packed.rs` packs them more than 2 % of their bytes worse.
//! The failure prints the fresh table to paste in. The table only decides
//! the size of the image, never what a message says.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use hypcfg::packed::{code_byte, pack, HOLE, MAX_PAIRS, PAIRS};

/// Source trees compiled into the hypervisor image.
const TREES: &[&str] = &["hyp/src", "hyp/core/src", "config/src"];

/// Files and folders whose messages are not in the product image: tests,
/// the host front end, the in-hypervisor self tests.
const SKIP: &[&str] = &["tests.rs", "proptests.rs", "front", "selftest", "selftest.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if SKIP.contains(&name.as_str()) {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The value of the string literal starting at `src[0]` (a `"`), and the
/// bytes it took; the escapes the messages use.
fn literal(src: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < src.len() {
        match src[i] {
            b'"' => return Some((out, i + 1)),
            b'\\' => {
                i += 1;
                match *src.get(i)? {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'\\' => out.push(b'\\'),
                    b'"' => out.push(b'"'),
                    b'\'' => out.push(b'\''),
                    b'\n' => {
                        while src.get(i + 1).is_some_and(|c| c.is_ascii_whitespace()) {
                            i += 1;
                        }
                    }
                    _ => return None,
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    None
}

/// Every literal the image packs, once each (the linker keeps one copy).
fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for tree in TREES {
        rust_files(&root.join(tree), &mut files);
    }
    let mut found = BTreeSet::new();
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        // Unit tests sit at the end of a file.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let bytes = code.as_bytes();
        for marker in ["text!(", "put!(", "hprintln!("] {
            let mut at = 0;
            while let Some(k) = code[at..].find(marker) {
                let start = at + k + marker.len();
                at = start;
                // The template is the first literal of the call.
                let Some(q) = code[start..].find('"') else { break };
                let before = &code[start..start + q];
                if before.contains(')') {
                    continue; // not a literal argument (a macro definition)
                }
                if let Some((value, _)) = literal(&bytes[start + q..]) {
                    found.insert(value);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// A literal as `pack` sees it before any pair: `{}` as [`HOLE`].
fn symbols(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'{' && s.get(i + 1) == Some(&b'}') {
            out.push(HOLE);
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Byte-pair training: the most frequent pair becomes the next code, as
/// long as it saves more than its two table bytes (ties: the lower pair).
fn train(corpus: &[Vec<u8>]) -> Vec<(u8, u8)> {
    let mut texts: Vec<Vec<u8>> = corpus.iter().map(|s| symbols(s)).collect();
    let mut pairs = Vec::new();
    while pairs.len() < MAX_PAIRS {
        let mut count: HashMap<(u8, u8), usize> = HashMap::new();
        for t in &texts {
            for w in t.windows(2) {
                if w[0] != HOLE && w[1] != HOLE {
                    *count.entry((w[0], w[1])).or_default() += 1;
                }
            }
        }
        let Some((&best, &n)) = count.iter().max_by_key(|&(&p, &n)| (n, std::cmp::Reverse(p))) else {
            break;
        };
        if n < 3 {
            break;
        }
        let code = code_byte(pairs.len());
        for t in &mut texts {
            let mut out = Vec::with_capacity(t.len());
            let mut i = 0;
            while i < t.len() {
                if i + 1 < t.len() && (t[i], t[i + 1]) == best {
                    out.push(code);
                    i += 2;
                } else {
                    out.push(t[i]);
                    i += 1;
                }
            }
            *t = out;
        }
        pairs.push(best);
    }
    pairs
}

/// Bytes of the corpus packed with `PAIRS` (through `pack` itself).
fn packed_with_table(corpus: &[Vec<u8>]) -> usize {
    corpus
        .iter()
        .map(|s| pack(std::str::from_utf8(s).unwrap()).1 - 1) // less its END
        .sum()
}

/// Bytes of the corpus packed with `pairs` (the same algorithm as `pack`).
fn packed_with(corpus: &[Vec<u8>], pairs: &[(u8, u8)]) -> usize {
    corpus
        .iter()
        .map(|s| {
            let mut t = symbols(s);
            for (i, &p) in pairs.iter().enumerate() {
                let mut out = Vec::new();
                let mut k = 0;
                while k < t.len() {
                    if k + 1 < t.len() && (t[k], t[k + 1]) == p {
                        out.push(code_byte(i));
                        k += 2;
                    } else {
                        out.push(t[k]);
                        k += 1;
                    }
                }
                t = out;
            }
            t.len()
        })
        .sum()
}

fn show(pairs: &[(u8, u8)]) -> String {
    let sym = |c: u8| match c {
        b'\'' => "b'\\''".to_string(),
        b'\\' => "b'\\\\'".to_string(),
        b'\n' => "b'\\n'".to_string(),
        0x20..=0x7E => format!("b'{}'", c as char),
        _ => format!("0x{c:02x}"),
    };
    let mut s = format!("pub const PAIRS: [(u8, u8); {}] = [\n", pairs.len());
    for p in pairs {
        s += &format!("    ({}, {}),\n", sym(p.0), sym(p.1));
    }
    s + "];\n"
}

#[test]
fn the_pair_table_keeps_up_with_the_messages() {
    let corpus = corpus();
    let raw: usize = corpus.iter().map(Vec::len).sum();
    assert!(
        corpus.len() > 200 && raw > 8_000,
        "the scan found too few messages: {}",
        corpus.len()
    );
    let fresh = train(&corpus);
    let best = packed_with(&corpus, &fresh) + 2 * fresh.len();
    let now = packed_with_table(&corpus) + 2 * PAIRS.len();
    assert_eq!(
        packed_with(&corpus, &PAIRS),
        packed_with_table(&corpus),
        "the trainer packs as `pack` does"
    );
    println!(
        "{} messages, {raw} bytes: packed {now} with the table, {best} with a fresh one",
        corpus.len()
    );
    assert!(
        now <= best + raw / 50,
        "the table packs the messages to {now} bytes, a fresh one to {best}: \
         replace PAIRS in config/src/packed.rs with\n{}",
        show(&fresh)
    );
}
