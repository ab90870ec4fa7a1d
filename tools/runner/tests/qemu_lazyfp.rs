//! QEMU test of lazy FP switching (issue 14): the FP registers of a core
//! hold one partition's values at a time and move only when another
//! partition's FP access traps. No partition may ever see another's
//! d0-d31, FPSCR or FPEXC, across switches, a stopped owner and restarts;
//! and the hypervisor itself must never touch the FP unit outside its
//! save/load routines (it runs with the unit closed to it).

use object::{Object, ObjectSection, ObjectSymbol, SectionKind};
use runner::build::{build_hyp, Variant};
use runner::system::build_and_run;

#[test]
fn fp_state_is_switched_lazily_and_never_seen_by_another_partition() {
    // Under -icount the interleaving is the same in every run (without
    // it, whether a window boundary lands inside a restart's loading, and
    // so who uses FP in between, depends on the host).
    let out =
        build_and_run("tools/runner/tests/systems/lazyfp.toml", |r| r.icount = true).expect("build and run");
    let tail = out.tail(40);
    assert!(
        out.has("[fpheavy] FP state intact over 300 rounds"),
        "fpheavy's FP state changed while it was away:\n{tail}"
    );
    assert!(
        out.has("[fpclean] only its own FP state over 600 rounds (80 reading zero)"),
        "fpclean saw FP state that is not its own:\n{tail}"
    );
    for life in 1..=4 {
        assert!(
            out.has(&format!("[fpreborn] life {life}: FP state zero")),
            "fpreborn's life {life} did not start with zero FP state:\n{tail}"
        );
    }
    assert!(
        out.has("[fpreborn] lived 4 lives, each starting with zero FP state"),
        "{tail}"
    );
    assert!(!out.has("FAULT"), "{tail}");
    out.expect_exit(0).unwrap();
}

/// Whether the A32 instruction `w` is an FP or Advanced SIMD instruction
/// (a CP10/CP11 access): VFP data processing, `VMOV`/`VMRS`/`VMSR`,
/// `VLDR`/`VSTR`/`VLDM`/`VSTM`/`VPUSH`/`VPOP`, the 64-bit transfers, and the
/// unconditional Advanced SIMD data-processing and element load/store
/// spaces.
fn is_fp_a32(w: u32) -> bool {
    let cond = w >> 28;
    if cond == 0xF {
        // 1111 001x: Advanced SIMD data processing; 1111 0100 xxx0:
        // Advanced SIMD element and structure loads/stores.
        return (w >> 25) & 0x7F == 0b111_1001 || ((w >> 24) & 0xFF == 0xF4 && (w >> 20) & 1 == 0);
    }
    // Coprocessor space (bits 27:25 = 110, or 27:24 = 1110) on coprocessor
    // 10 or 11 (bits 11:9 = 101).
    let coproc = (w >> 25) & 0b111 == 0b110 || (w >> 24) & 0xF == 0b1110;
    coproc && (w >> 9) & 0b111 == 0b101
}

#[test]
fn the_hypervisor_uses_the_fp_unit_only_in_its_fp_routines() {
    let elf = build_hyp(Variant::Product).expect("build the hypervisor");
    let data = std::fs::read(&elf).expect("read the hypervisor ELF");
    let file = object::File::parse(&*data).expect("parse the hypervisor ELF");
    // The routines allowed to touch the FP unit: reset (turns it on), the
    // lazy FP save/load and FPEXC accesses (arch/context.rs). `_start` has
    // no size in the symbol table: it runs to the next symbol.
    let mut starts: Vec<u64> = file
        .symbols()
        .filter(|s| s.name().is_ok_and(|n| !n.starts_with('$')) && s.address() != 0)
        .map(|s| s.address())
        .collect();
    starts.sort();
    let allowed: Vec<(u64, u64, String)> = file
        .symbols()
        .filter_map(|s| {
            let name = s.name().ok()?;
            if !(name == "_start" || name.starts_with("hyp_fp")) {
                return None;
            }
            let end = match s.size() {
                0 => *starts.iter().find(|&&a| a > s.address())?,
                n => s.address() + n,
            };
            Some((s.address(), end, name.to_string()))
        })
        .collect();
    assert_eq!(
        allowed.iter().filter(|(.., n)| n.starts_with("hyp_fp")).count(),
        4,
        "the FP routines are hyp_fp_save, hyp_fp_load, hyp_fpexc_read, hyp_fpexc_write: {allowed:?}"
    );
    assert!(allowed.iter().all(|(a, b, _)| b > a), "{allowed:?}");
    // Mapping symbols ($a: A32 code, $t: T32 code, $d: data) say which
    // words of the code sections are instructions.
    let mut marks: Vec<(u64, char)> = file
        .symbols()
        .filter_map(|s| {
            let name = s.name().ok()?;
            let kind = name.strip_prefix('$')?.chars().next()?;
            matches!(kind, 'a' | 't' | 'd').then_some((s.address(), kind))
        })
        .collect();
    marks.sort();
    assert!(
        marks.iter().all(|&(_, k)| k != 't'),
        "the hypervisor has T32 code, which this check does not decode"
    );
    let mut found = Vec::new();
    let mut checked = 0usize;
    for sec in file.sections().filter(|s| s.kind() == SectionKind::Text) {
        let bytes = sec.data().expect("section data");
        for (i, w) in bytes.chunks_exact(4).enumerate() {
            let addr = sec.address() + 4 * i as u64;
            let kind = marks
                .iter()
                .take_while(|&&(a, _)| a <= addr)
                .last()
                .map_or('a', |&(_, k)| k);
            if kind != 'a' {
                continue;
            }
            checked += 1;
            let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if is_fp_a32(w) && !allowed.iter().any(|&(a, b, _)| (a..b).contains(&addr)) {
                found.push(format!("{addr:#010x}: {w:#010x}"));
            }
        }
    }
    assert!(checked > 1000, "only {checked} instructions checked");
    assert!(
        found.is_empty(),
        "FP/SIMD instructions outside the FP routines (the hypervisor runs with the FP unit \
         closed to it; llvm-objdump -d the ELF to see them):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_fp_instruction_check_knows_fp_instructions() {
    for w in [
        0xEEF1_0A10u32, // vmrs r0, fpscr
        0xEEE8_0A10,    // vmsr fpexc, r0
        0xEC80_0B20,    // vstmia r0, {d0-d15}
        0xED2D_0B20,    // vpush {d0-d15}
        0xED90_0B00,    // vldr d0, [r0]
        0xEC41_0B10,    // vmov d0, r0, r1
        0xEE30_0B01,    // vadd.f64 d0, d0, d1
        0xF220_0110,    // vorr d0, d0, d0 (Advanced SIMD)
        0xF420_070F,    // vld1.8 {d0}, [r0]
    ] {
        assert!(is_fp_a32(w), "{w:#010x} is an FP instruction");
    }
    for w in [
        0xE12F_FF1Eu32, // bx lr
        0xEE11_0F10,    // mrc p15, 0, r0, c1, c0, 0
        0xEE01_0F10,    // mcr p15, 0, r0, c1, c0, 0
        0xEC51_0F2E,    // mrrc p15, 2, r0, r1, c14
        0xE92D_4010,    // push {r4, lr}
        0xF57F_F06F,    // isb
        0xF5D0_F000,    // pld [r0]
    ] {
        assert!(!is_fp_a32(w), "{w:#010x} is not an FP instruction");
    }
}
