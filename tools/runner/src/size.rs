//! `make size`: the hypervisor's sections, read from its ELF image, with
//! the stacks broken down per core and code+rodata against its budget.

use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol};

use crate::{Error, Result};

/// Sizes of the parts of the hypervisor image, in bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeReport {
    /// `.text`.
    pub text: u64,
    /// `.rodata`.
    pub rodata: u64,
    /// `.data`.
    pub data: u64,
    /// `.bss`.
    pub bss: u64,
    /// `.stacks` (all cores).
    pub stacks: u64,
    /// One core's stack (`HYP_STACK_SIZE` in `linker.ld`), if the image
    /// has the symbol.
    pub stack_per_core: Option<u64>,
    /// Cores the image has stacks for (`HYP_MAX_CORES`), if it has the
    /// symbol.
    pub cores: Option<u64>,
}

/// The code+rodata budget (48 KiB: the fast-paths issue's target, which
/// replaced the 32 KiB of the first feature set).
pub const CODE_BUDGET: u64 = 48 * 1024;

impl SizeReport {
    /// Code plus constants: the figure the size budget is about.
    pub fn code_bytes(&self) -> u64 {
        self.text + self.rodata
    }
}

/// Reads the section sizes of `elf`.
pub fn measure(elf: &Path) -> Result<SizeReport> {
    let data = std::fs::read(elf).map_err(|e| Error(format!("cannot read {}: {e}", elf.display())))?;
    let file = object::File::parse(&*data).map_err(|e| Error(format!("{}: {e}", elf.display())))?;
    let size = |name: &str| file.section_by_name(name).map(|s| s.size()).unwrap_or(0);
    // The linker script's absolute symbols (their value is the number).
    let symbol = |name: &str| file.symbols().find(|s| s.name() == Ok(name)).map(|s| s.address());
    Ok(SizeReport {
        text: size(".text"),
        rodata: size(".rodata"),
        data: size(".data"),
        bss: size(".bss"),
        stacks: size(".stacks"),
        stack_per_core: symbol("HYP_STACK_SIZE"),
        cores: symbol("HYP_MAX_CORES"),
    })
}

/// The report as a table.
pub fn table(r: &SizeReport) -> String {
    let mut s = String::from("section      bytes\n");
    for (name, v) in [
        (".text", r.text),
        (".rodata", r.rodata),
        (".data", r.data),
        (".bss", r.bss),
        (".stacks", r.stacks),
    ] {
        s.push_str(&format!("{name:<10} {v:>7}"));
        if name == ".stacks" {
            if let (Some(per), Some(n)) = (r.stack_per_core, r.cores) {
                s.push_str(&format!("  ({n} cores x {per} bytes)"));
            }
        }
        s.push('\n');
    }
    let code = r.code_bytes();
    s.push_str(&format!(
        "{:<10} {:>7}  (.text + .rodata; budget {} = 48 KiB: {})\n",
        "code",
        code,
        CODE_BUDGET,
        if code <= CODE_BUDGET {
            "within".to_string()
        } else {
            format!("{} over", code - CODE_BUDGET)
        }
    ));
    s.push_str(&format!(
        "{:<10} {:>7}  (.data + .bss + .stacks)\n",
        "ram",
        r.data + r.bss + r.stacks
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_reports_stacks_per_core_and_the_code_budget() {
        let r = SizeReport {
            text: 46_000,
            rodata: 4_000,
            data: 100,
            bss: 200,
            stacks: 32_768,
            stack_per_core: Some(16_384),
            cores: Some(2),
        };
        let t = table(&r);
        assert!(t.contains(".stacks      32768  (2 cores x 16384 bytes)"), "{t}");
        assert!(
            t.contains("code         50000  (.text + .rodata; budget 49152 = 48 KiB: 848 over)"),
            "{t}"
        );
        assert!(t.contains("ram          33068"), "{t}");
        let small = SizeReport { text: 100, ..r };
        assert!(table(&small).contains("48 KiB: within"));
    }
}
