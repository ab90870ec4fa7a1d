//! Diagnostics: a stable code, a location, the key path, a message and a
//! hint, rendered the way modern compilers do, or as JSON.

use serde::Serialize;

use super::source::{Loc, Sources};

/// A diagnostic's stable code and short name. Codes never change meaning;
/// `docs/config.md` lists them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    /// `E001`, `W001`...
    pub id: &'static str,
    /// Short name, e.g. `overlap`.
    pub name: &'static str,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $konst:ident = $id:literal, $name:literal;)*) => {
        $( $(#[$doc])* pub const $konst: Code = Code { id: $id, name: $name }; )*
        /// Every code, in order.
        pub const ALL: &[Code] = &[$($konst),*];
    };
}

/// All diagnostic codes.
pub mod codes {
    use super::Code;
    codes! {
        /// The file is not valid TOML.
        SYNTAX = "E001", "syntax";
        /// A key the schema does not know (typo).
        UNKNOWN_KEY = "E002", "unknown-key";
        /// A value of the wrong TOML type.
        TYPE = "E003", "wrong-type";
        /// A required key is missing.
        MISSING = "E004", "missing-key";
        /// A value of the right type that means nothing (bad permission string...).
        VALUE = "E005", "invalid-value";
        /// An included file cannot be read or is set twice.
        INCLUDE = "E006", "include";
        /// Two elements of one kind share a name.
        DUPLICATE = "E007", "duplicate-name";
        /// A name that refers to nothing (partition, device, bank...).
        UNKNOWN_NAME = "E008", "unknown-name";
        /// A fixed capacity of the hypervisor's tables is exceeded.
        CAPACITY = "E009", "capacity";
        /// A size, depth, duration or frame of 0.
        ZERO = "E010", "zero";
        /// Not a multiple of the 64-byte PMSAv8 granule.
        ALIGN = "E011", "unaligned";
        /// `base + size` wraps past 4 GiB.
        WRAP = "E012", "wrap-around";
        /// Two address ranges overlap.
        OVERLAP = "E013", "overlap";
        /// A range outside the platform's memory banks or devices.
        OUTSIDE = "E014", "outside-platform";
        /// Writable and executable.
        WX = "E015", "write-execute";
        /// `static + partition + transient > regions`.
        MPU_BUDGET = "E016", "mpu-budget";
        /// A device given to two owners.
        DEVICE_CONFLICT = "E017", "device-conflict";
        /// An interrupt given to two owners.
        IRQ_CONFLICT = "E018", "irq-conflict";
        /// An entry point outside the partition's executable memory.
        ENTRY = "E019", "entry-point";
        /// A core the platform does not have.
        CORE = "E020", "unknown-core";
        /// Windows longer than the major frame.
        FRAME = "E021", "frame-overflow";
        /// A window for a partition pinned to another core.
        WRONG_CORE = "E022", "wrong-core";
        /// Automatic placement found no room.
        NO_SPACE = "E023", "no-space";
        /// A permission the hardware cannot give (no `r`, writable ROM).
        PERMISSION = "E024", "permission";
        /// A channel from a partition to itself.
        CHANNEL_SELF = "E025", "channel-self";
        /// A partition image that does not fit its partition or the flash.
        IMAGE = "E026", "image";
        /// An interrupt number the platform does not have, or an SGI.
        IRQ_RANGE = "E027", "irq-range";
        /// Two schedules for one core.
        SCHEDULE_TWICE = "E028", "duplicate-schedule";
        /// The encoded blob does not fit the hypervisor's blob memory.
        BLOB_SIZE = "E029", "blob-size";
        /// `[hypervisor] console` is not the platform's `console`, the one
        /// the hypervisor built for the board drives.
        CONSOLE = "E030", "console";
        /// `[hypervisor] static_regions` or `transient_slots` other than
        /// the counts built into the hypervisor (`hypcfg::limits`).
        FIXED_COUNT = "E031", "fixed-count";
        /// A partition's `image` names no program the caller knows of (the
        /// runner passes the binaries it can build).
        UNKNOWN_IMAGE = "E032", "unknown-image";
        /// The derived tables fail the hypervisor's own re-validation (a tool bug).
        INTERNAL = "E099", "internal";
        /// A partition that no schedule window runs.
        UNSCHEDULED = "W001", "unscheduled";
        /// A partition without `image`: unless the build gives it one, the
        /// hypervisor halts it at boot.
        NO_IMAGE = "W002", "no-image";
    }
}

/// The hint given when a check has no more specific one.
pub fn default_hint(code: Code) -> &'static str {
    match code.id {
        "E001" => "see https://toml.io for the syntax",
        "E002" => "check the spelling against docs/config.md",
        "E003" => "see docs/config.md for the type of each key",
        "E004" => "add the key; docs/config.md lists the required ones",
        "E005" => "see docs/config.md for the values this key takes",
        "E006" => "the path is relative to the file that includes it",
        "E007" => "give each element a unique name",
        "E008" => "define it, or fix the name",
        "E009" => "the hypervisor's tables have fixed sizes (see docs/config.md): split or merge elements",
        "E010" => "give it a non-zero value",
        "E011" => "use multiples of 64 bytes (the PMSAv8 MPU granule)",
        "E012" => "lower the base or the size",
        "E013" => "move one of them",
        "E014" => "place it inside a platform memory bank",
        "E015" => "split it into an \"r-x\" code region and an \"rw-\" data region",
        "E016" => "use fewer regions in the partition (merge adjacent memory regions)",
        "E017" => "a device has one owner",
        "E018" => "an interrupt has one owner",
        "E019" => "point the entry into a region with `x` permission",
        "E020" => "use a core the platform has",
        "E021" => "lengthen the major frame or shorten the windows",
        "E022" => "put the window in the schedule of the partition's core",
        "E023" => "give it a fixed `base`, or make room",
        "E024" => "make it readable, and writable only in RAM",
        "E025" => "a channel connects two different partitions",
        "E026" => "link the partition with the fragment `hvcfg build` writes",
        "E027" => "interrupts are GIC INTIDs: PPIs are 16..31, SPI n is 32 + n",
        "E028" => "put all of a core's windows in one [[schedule]]",
        "E029" => "make `hypervisor.blob` larger, or the system smaller",
        "E030" => "name the platform's `console` device, or build the hypervisor for another platform",
        "E031" => "leave the key out: the hypervisor's count is fixed (`hypcfg::limits`)",
        "E032" => "name a program that exists (a binary of partitions/apps)",
        "W002" => "give the partition an `image`",
        "W001" => "add a window for it to its core's [[schedule]]",
        _ => "this is a bug in hvcfg: please report it with the system file",
    }
}

/// How bad it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The system is refused.
    Error,
    /// Reported, the system is still built.
    Warning,
}

/// A secondary location ("the other region is here").
#[derive(Clone, Debug)]
pub struct Note {
    /// Where.
    pub loc: Loc,
    /// What it is.
    pub message: String,
}

/// One finding about a system description.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning (from the code's letter).
    pub severity: Severity,
    /// What is wrong, with the numbers.
    pub message: String,
    /// Where, if anywhere in a file.
    pub loc: Option<Loc>,
    /// Key path, e.g. `partition[1].memory[0].base`.
    pub path: String,
    /// Label under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// Related places.
    pub notes: Vec<Note>,
}

impl Diagnostic {
    /// A diagnostic at `loc` for the key at `path`.
    pub fn new(code: Code, loc: Option<Loc>, path: impl Into<String>, message: impl Into<String>) -> Self {
        let severity = if code.id.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        };
        Diagnostic {
            code,
            severity,
            message: message.into(),
            loc,
            path: path.into(),
            label: None,
            hint: None,
            notes: Vec::new(),
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a related place.
    pub fn note(mut self, loc: Option<Loc>, message: impl Into<String>) -> Self {
        if let Some(loc) = loc {
            self.notes.push(Note {
                loc,
                message: message.into(),
            });
        }
        self
    }

    /// Whether it refuses the system.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the primary location.
    pub fn position(&self, sources: &Sources) -> Option<(String, usize, usize)> {
        let loc = self.loc?;
        let file = sources.file(loc.file)?;
        let (line, col) = sources.line_col(loc.file, loc.start);
        Some((file.path.display().to_string(), line, col))
    }

    /// Renders like a compiler: header, location, source line with a caret,
    /// key path, hint.
    pub fn render(&self, sources: &Sources) -> String {
        use std::fmt::Write;
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!(
            "{kind}[{}]: {} ({})\n",
            self.code.id, self.message, self.code.name
        );
        if let (Some(loc), Some((file, line, col))) = (self.loc, self.position(sources)) {
            let text = sources.line_text(loc.file, line);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(out, "{pad}--> {file}:{line}:{col}");
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {text}");
            let (end_line, end_col) = sources.line_col(loc.file, loc.end);
            let width = if end_line == line && end_col > col {
                end_col - col
            } else {
                text.chars().count().saturating_sub(col - 1).max(1)
            };
            let label = self.label.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
            let lead: String = text
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{pad} | {lead}{}{label}", "^".repeat(width));
            let _ = writeln!(out, "{pad} |");
            self.render_tail(&mut out, &pad, sources);
        } else {
            self.render_tail(&mut out, "", sources);
        }
        out
    }

    fn render_tail(&self, out: &mut String, pad: &str, sources: &Sources) {
        use std::fmt::Write;
        if !self.path.is_empty() {
            let _ = writeln!(out, "{pad} = key: {}", self.path);
        }
        for n in &self.notes {
            if let Some(f) = sources.file(n.loc.file) {
                let (line, col) = sources.line_col(n.loc.file, n.loc.start);
                let _ = writeln!(
                    out,
                    "{pad} = note: {} ({}:{line}:{col})",
                    n.message,
                    f.path.display()
                );
            }
        }
        if let Some(h) = &self.hint {
            let _ = writeln!(out, "{pad} = help: {h}");
        }
    }

    /// The machine-readable form.
    pub fn to_json(&self, sources: &Sources) -> DiagnosticJson {
        let (file, line, column) = match self.position(sources) {
            Some((f, l, c)) => (Some(f), Some(l), Some(c)),
            None => (None, None, None),
        };
        DiagnosticJson {
            code: self.code.id,
            name: self.code.name,
            severity: self.severity,
            message: self.message.clone(),
            file,
            line,
            column,
            path: self.path.clone(),
            hint: self.hint.clone(),
        }
    }
}

/// JSON shape of a diagnostic (`--format json`).
#[derive(Clone, Debug, Serialize)]
pub struct DiagnosticJson {
    /// Stable code.
    pub code: &'static str,
    /// Short name of the code.
    pub name: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// Message.
    pub message: String,
    /// File, if any.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Key path.
    pub path: String,
    /// Hint.
    pub hint: Option<String>,
}

/// Edit distance (Levenshtein) between two short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = (len / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit && d < len)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("size", "size"), 0);
        assert_eq!(edit_distance("sise", "size"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(did_you_mean("sise", ["base", "size", "perm"]), Some("size"));
        assert_eq!(did_you_mean("zzzzzz", ["base", "size"]), None);
    }

    #[test]
    fn every_code_has_its_own_default_hint() {
        let fallback = default_hint(Code {
            id: "E000",
            name: "none",
        });
        for c in codes::ALL.iter().filter(|c| c.id != "E099") {
            assert_ne!(default_hint(*c), fallback, "{}", c.id);
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut ids: Vec<_> = codes::ALL.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), codes::ALL.len());
    }
}
