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
    // 1111 001x: Advanced SIMD data processing; 1111 0100 xxx0:
    // Advanced SIMD element and structure loads/stores.
    if cond == 0xF && ((w >> 25) & 0x7F == 0b111_1001 || ((w >> 24) & 0xFF == 0xF4 && (w >> 20) & 1 == 0)) {
        return true;
    }
    // Coprocessor space (bits 27:25 = 110, or 27:24 = 1110) on coprocessor
    // 10 or 11 (bits 11:9 = 101): VFP, conditional or (v8's VSEL, VRINT,
    // VMAXNM...) unconditional.
    let coproc = (w >> 25) & 0b111 == 0b110 || (w >> 24) & 0xF == 0b1110;
    coproc && (w >> 9) & 0b111 == 0b101
}

/// Whether the 32-bit T32 instruction `hw1:hw2` uses the FP/SIMD unit: its
/// A32 twin (same fields, as the Arm ARM lays the two encodings out)
/// checked by [`is_fp_a32`]. (16-bit T32 instructions never do.)
fn is_fp_t32(hw1: u16, hw2: u16) -> bool {
    let w = (hw1 as u32) << 16 | hw2 as u32;
    let low = w & 0x00FF_FFFF;
    let a32 = if hw1 & 0xEF00 == 0xEF00 {
        // 111U 1111: Advanced SIMD data processing = A32 1111 001U.
        0xF200_0000 | ((hw1 as u32 >> 12) & 1) << 24 | low
    } else if hw1 & 0xFF10 == 0xF900 {
        // 1111 1001 xxx0: Advanced SIMD loads/stores = A32 1111 0100 xxx0.
        0xF400_0000 | low
    } else if hw1 & 0xEC00 == 0xEC00 {
        // 111x 11xx: coprocessor space, the A32 word with cond 1110/1111.
        w
    } else {
        return false;
    };
    is_fp_a32(a32)
}

/// Whether a T32 halfword starts a 32-bit instruction.
fn is_t32_wide(hw1: u16) -> bool {
    matches!(hw1 >> 11, 0b11101..=0b11111)
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
    // The hypervisor is T32 (thumbv8r) with A32 vectors and context
    // routines: both are decoded, each as its mapping symbols say.
    let kind_at = |addr: u64| {
        let i = marks.partition_point(|&(a, _)| a <= addr);
        i.checked_sub(1).map_or('a', |i| marks[i].1)
    };
    let mut found = Vec::new();
    let (mut a32, mut t32) = (0usize, 0usize);
    for sec in file.sections().filter(|s| s.kind() == SectionKind::Text) {
        let bytes = sec.data().expect("section data");
        let half = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let mut at = 0usize;
        while at + 2 <= bytes.len() {
            let addr = sec.address() + at as u64;
            let (size, fp, word) = match kind_at(addr) {
                'a' if at.is_multiple_of(4) && at + 4 <= bytes.len() => {
                    a32 += 1;
                    let w = (half(at + 2) as u32) << 16 | half(at) as u32;
                    (4, is_fp_a32(w), w)
                }
                't' if is_t32_wide(half(at)) && at + 4 <= bytes.len() => {
                    t32 += 1;
                    let (hw1, hw2) = (half(at), half(at + 2));
                    (4, is_fp_t32(hw1, hw2), (hw1 as u32) << 16 | hw2 as u32)
                }
                't' => {
                    t32 += 1;
                    (2, false, half(at) as u32)
                }
                _ => (2, false, 0),
            };
            if fp && !allowed.iter().any(|&(a, b, _)| (a..b).contains(&addr)) {
                found.push(format!("{addr:#010x}: {word:#010x}"));
            }
            at += size;
        }
    }
    assert!(a32 > 300, "only {a32} A32 instructions checked");
    assert!(t32 > 5000, "only {t32} T32 instructions checked");
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
    for (hw1, hw2) in [
        (0xEEF1u16, 0x0A10u16), // vmrs r0, fpscr
        (0xEC80, 0x0B20),       // vstmia r0, {d0-d15}
        (0xED90, 0x0B00),       // vldr d0, [r0]
        (0xEE30, 0x0B01),       // vadd.f64 d0, d0, d1
        (0xEF20, 0x0110),       // vorr d0, d0, d0 (Advanced SIMD)
        (0xF920, 0x070F),       // vld1.8 {d0}, [r0]
        (0xFE00, 0x0B01),       // vseleq.f64 d0, d0, d1
    ] {
        assert!(is_t32_wide(hw1));
        assert!(is_fp_t32(hw1, hw2), "{hw1:#06x} {hw2:#06x} is an FP instruction");
    }
    for (hw1, hw2) in [
        (0xEE11u16, 0x0F10u16), // mrc p15, 0, r0, c1, c0, 0
        (0xE92D, 0x4010),       // push.w {r4, lr}
        (0xF3BF, 0x8F6F),       // isb
        (0xF8D0, 0x0004),       // ldr.w r0, [r0, #4]
        (0xEC51, 0x0F2E),       // mrrc p15, 2, r0, r1, c14
    ] {
        assert!(
            !is_fp_t32(hw1, hw2),
            "{hw1:#06x} {hw2:#06x} is not an FP instruction"
        );
    }
    assert!(!is_t32_wide(0x4770)); // bx lr
}
