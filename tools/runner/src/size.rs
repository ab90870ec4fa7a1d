//! `make size`: the hypervisor's sections, read from its ELF image.

use std::path::Path;

use object::{Object, ObjectSection};

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
}

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
    Ok(SizeReport {
        text: size(".text"),
        rodata: size(".rodata"),
        data: size(".data"),
        bss: size(".bss"),
        stacks: size(".stacks"),
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
        s.push_str(&format!("{name:<10} {v:>7}\n"));
    }
    s.push_str(&format!(
        "{:<10} {:>7}  (.text + .rodata)\n",
        "code",
        r.code_bytes()
    ));
    s
}
