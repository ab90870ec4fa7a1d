//! QEMU tests of what a foreign guest may bring (`tests/systems/thumb.toml`):
//! a T32 (Thumb) ELF entry point, which the hypervisor must start in T32
//! at `entry & !1`, and code regions that do not start on a 64 KiB
//! boundary or are placed by the tool, which must link and load.

use runner::system::build_and_run;

#[test]
fn a_thumb_entry_starts_in_t32_and_unaligned_or_placed_code_links() {
    let out = build_and_run("tools/runner/tests/systems/thumb.toml", |_| {}).expect("build and run");
    out.expect_exit(0).unwrap();
    // The blob keeps the ELF's entry, bit 0 set; the boot listing says T32.
    assert!(
        out.console
            .iter()
            .any(|l| l.starts_with("[hyp]   partition 0 thumb") && l.contains(" (T32) ")),
        "{}",
        out.tail(30)
    );
    // The stub read the PC as T32 does, then the A32 runtime and T32 code ran.
    assert!(out.has("[thumb] entered in T32 at 0x"), "{}", out.tail(30));
    assert!(
        out.has("[thumb] registers zero at _start: true"),
        "{}",
        out.tail(30)
    );
    assert!(out.has("[thumb] T32 checksum 0x5734a87d"), "{}", out.tail(30));
    // The automatically placed partition ran too.
    assert!(out.has("[periodic] 20 timer interrupts"), "{}", out.tail(30));
    assert!(
        out.has("[hyp]   partition 1 periodic     core 1 entry 0x20040000"),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("[hyp] partition thumb shut down (exit code 0)"),
        "{}",
        out.tail(30)
    );
}
