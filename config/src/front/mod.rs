//! The host side of the system description: TOML front end, validation
//! with diagnostics, automatic placement, and the writers `hvcfg` uses.
//!
//! ```text
//! file --parse--> tree (every key/value located) --schema--> raw elements
//!      --validate/place--> Compiled { System, layout } --blob::encode--> blob
//! ```

pub mod board;
pub mod build;
pub mod constants;
pub mod diag;
pub mod image;
pub mod inspect;
pub mod programs;
pub mod report;
pub mod schema;
pub mod source;
pub mod svg;
pub mod tree;
pub mod validate;

use std::path::{Path, PathBuf};

use diag::{codes, Diagnostic};
use schema::Cx;
use source::{FileId, Sources};
use tree::{Key, Node, Val};
pub use validate::Compiled;

/// Where the front end reads files from (the file system, or memory in
/// tests and fuzzing).
pub trait Loader {
    /// Reads the file at `path`.
    fn read(&mut self, path: &Path) -> std::io::Result<String>;
}

/// Reads files from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Files held in memory, by path.
#[derive(Clone, Debug, Default)]
pub struct MemLoader {
    /// `(path, text)` pairs.
    pub files: Vec<(PathBuf, String)>,
}

impl Loader for MemLoader {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// The outcome of checking a system file.
#[derive(Debug)]
pub struct Checked {
    /// Every file read (for rendering diagnostics).
    pub sources: Sources,
    /// The derived system, when there is no error.
    pub compiled: Option<Compiled>,
    /// Errors and warnings, in file order.
    pub diags: Vec<Diagnostic>,
}

impl Checked {
    /// Whether the system is valid.
    pub fn ok(&self) -> bool {
        self.compiled.is_some() && !self.diags.iter().any(|d| d.is_error())
    }

    /// All diagnostics rendered for a terminal.
    pub fn render(&self) -> String {
        self.diags
            .iter()
            .map(|d| d.render(&self.sources) + "\n")
            .collect()
    }
}

fn parse_file(cx: &mut Cx, sources: &mut Sources, path: &Path, text: String) -> Option<(FileId, Node)> {
    let id = sources.add(path, text);
    let text = &sources.file(id)?.text;
    match tree::parse(id, text) {
        Ok(node) => Some((id, node)),
        Err(errors) => {
            for e in errors {
                cx.push(
                    Diagnostic::new(codes::SYNTAX, e.loc, "", format!("invalid TOML: {}", e.message))
                        .hint("see https://toml.io for the syntax"),
                );
            }
            None
        }
    }
}

/// Replaces `platform.include = "file"` by the keys of that file (paths are
/// relative to the including file). A key set in both places is an error.
fn resolve_include(
    cx: &mut Cx,
    sources: &mut Sources,
    loader: &mut dyn Loader,
    base: &Path,
    root: &mut Node,
) {
    let Val::Table(top) = &mut root.val else {
        return;
    };
    let Some((_, platform)) = top.iter_mut().find(|(k, _)| k.name == "platform") else {
        return;
    };
    let Val::Table(entries) = &mut platform.val else {
        return;
    };
    let Some(pos) = entries.iter().position(|(k, _)| k.name == "include") else {
        return;
    };
    let (_, value) = entries.remove(pos);
    let Val::Str(rel) = &value.val else {
        cx.push(Diagnostic::new(
            codes::TYPE,
            Some(value.loc),
            "platform.include",
            format!(
                "`platform.include` must be a string, found {}",
                value.val.type_name()
            ),
        ));
        return;
    };
    let path = base.parent().unwrap_or(Path::new("")).join(rel);
    let text = match loader.read(&path) {
        Ok(t) => t,
        Err(e) => {
            cx.push(
                Diagnostic::new(
                    codes::INCLUDE,
                    Some(value.loc),
                    "platform.include",
                    format!("cannot read platform file `{}`: {e}", path.display()),
                )
                .hint("the path is relative to the file that includes it"),
            );
            return;
        }
    };
    let Some((_, included)) = parse_file(cx, sources, &path, text) else {
        return;
    };
    let Val::Table(inc_entries) = included.val else {
        return;
    };
    let mut merged: Vec<(Key, Node)> = Vec::new();
    for (k, v) in inc_entries {
        if k.name == "include" {
            cx.push(Diagnostic::new(
                codes::INCLUDE,
                Some(k.loc),
                "platform.include",
                "a platform file cannot include another file",
            ));
            continue;
        }
        if let Some((inline_key, _)) = entries.iter().find(|(ik, _)| ik.name == k.name) {
            cx.push(
                Diagnostic::new(
                    codes::INCLUDE,
                    Some(inline_key.loc),
                    format!("platform.{}", k.name),
                    format!("`platform.{}` is set here and in the included `{rel}`", k.name),
                )
                .note(Some(k.loc), "also set here")
                .hint("set each platform key in one place"),
            );
            continue;
        }
        merged.push((k, v));
    }
    merged.append(entries);
    *entries = merged;
}

/// What a caller knows beyond the system file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The programs a partition's `image` may name (the runner passes the
    /// binaries it builds); `None`: any name is taken as written.
    pub binaries: Option<Vec<String>>,
    /// An `image` path may name an ELF that is not built yet: it is
    /// resolved but not read. For what only needs the partition's
    /// addresses (`hvcfg constants`), which is what the ELF is linked
    /// from, so it cannot exist first. `false` (the default): a path that
    /// is not a readable Arm ELF is refused at its key (`E026`).
    pub elves_pending: bool,
}

/// Reads, validates and derives the system at `path` with `loader`.
pub fn check_with(path: &Path, loader: &mut dyn Loader) -> Checked {
    check_with_options(path, loader, &Options::default())
}

/// Reads, validates and derives the system at `path` with `loader`,
/// checking it against what `options` knows.
pub fn check_with_options(path: &Path, loader: &mut dyn Loader, options: &Options) -> Checked {
    let mut cx = Cx::default();
    let mut sources = Sources::default();
    let compiled = match loader.read(path) {
        Err(e) => {
            cx.push(Diagnostic::new(
                codes::INCLUDE,
                None,
                "",
                format!("cannot read `{}`: {e}", path.display()),
            ));
            None
        }
        Ok(text) => match parse_file(&mut cx, &mut sources, path, text) {
            None => None,
            Some((_, mut root)) => {
                resolve_include(&mut cx, &mut sources, loader, path, &mut root);
                if cx.has_errors() {
                    None
                } else {
                    schema::read(&mut cx, &root).and_then(|raw| {
                        board::check_system(&mut cx, &raw);
                        let files = sources.paths();
                        validate::compile(&mut cx, &raw, options, &files)
                    })
                }
            }
        },
    };
    let mut diags = cx.diags;
    if let Some(c) = &compiled {
        diags.extend(c.warnings.iter().cloned());
    }
    for d in &mut diags {
        if d.hint.is_none() {
            d.hint = Some(diag::default_hint(d.code).to_string());
        }
    }
    diags.sort_by_key(|d| {
        (
            d.severity != diag::Severity::Error,
            d.loc.map(|l| (l.file, l.start)),
        )
    });
    let compiled = if diags.iter().any(|d| d.is_error()) {
        None
    } else {
        compiled
    };
    Checked {
        sources,
        compiled,
        diags,
    }
}

/// Reads, validates and derives the system file at `path`.
pub fn check_file(path: &Path) -> Checked {
    check_with(path, &mut FsLoader)
}

/// Reads, validates and derives the system file at `path`, checking it
/// against what `options` knows (e.g. the programs `image` may name).
pub fn check_file_with(path: &Path, options: &Options) -> Checked {
    check_with_options(path, &mut FsLoader, options)
}

/// Validates a system given as text (nothing can be included).
pub fn check_str(name: &str, text: &str) -> Checked {
    let mut loader = MemLoader {
        files: vec![(PathBuf::from(name), text.to_string())],
    };
    check_with(Path::new(name), &mut loader)
}
