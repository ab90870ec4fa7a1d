//! The hypervisor's fixed counts (`hypcfg::limits`) as the checker applies
//! them: a system gets exactly the counts the hypervisor compares the blob
//! with at boot, any other value is refused with the numbers, and every
//! hint the checker gives about them leads to a system it accepts.

use hypcfg::front::{self, Checked};
use hypcfg::limits::{MIN_MPU_REGIONS, STATIC_REGIONS, TRANSIENT_SLOTS};

/// A system on a board with `mpu_regions` EL2 MPU regions, `[hypervisor]`
/// extra keys `hyp`, and one partition with `regions` 4K memory regions.
fn system(mpu_regions: u32, hyp: &str, regions: usize) -> Checked {
    let mut memory =
        String::from("    { name = \"code\", base = 0x2000_0000, size = \"4K\", perm = \"r-x\" },\n");
    for i in 1..regions {
        memory += &format!(
            "    {{ name = \"m{i}\", base = {:#x}, size = \"4K\", perm = \"r--\" }},\n",
            0x2000_0000 + i * 0x1000
        );
    }
    front::check_str(
        "sys.toml",
        &format!(
            r#"[platform]
name = "board"
cores = 1
mpu_regions = {mpu_regions}
memory = [{{ name = "ram", base = 0x1000_0000, size = "1G" }}]
device = [{{ name = "uart2", base = 0xE020_5000, size = "4K" }}]

[hypervisor]
image = {{ base = 0x1000_0000, size = "448K" }}
blob = {{ base = 0x1007_0000, size = "64K" }}
console = "uart2"
{hyp}

[[partition]]
name = "p"
core = 0
image = "p"
memory = [
{memory}]

[[schedule]]
core = 0
major_frame_us = 1000
windows = [{{ partition = "p", duration_us = 1000 }}]
"#
        ),
    )
}

fn errors(c: &Checked) -> Vec<&front::diag::Diagnostic> {
    c.diags.iter().filter(|d| d.is_error()).collect()
}

/// The text between the first pair of backticks of `hint` after `after`.
fn quoted_after<'a>(hint: &'a str, after: &str) -> &'a str {
    let rest = &hint[hint
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {hint:?}"))..];
    rest.split('`').nth(1).unwrap()
}

#[test]
fn the_blob_holds_the_hypervisors_counts_whether_written_or_not() {
    for hyp in [
        String::new(),
        format!("static_regions = {STATIC_REGIONS}\ntransient_slots = {TRANSIENT_SLOTS}"),
    ] {
        let c = system(16, &hyp, 2);
        assert!(c.ok(), "{}", c.render());
        let h = &c.compiled.unwrap().system.hypervisor;
        assert_eq!(
            (h.static_regions as usize, h.transient_slots as usize),
            (STATIC_REGIONS, TRANSIENT_SLOTS)
        );
    }
}

#[test]
fn other_counts_are_refused_with_both_numbers_and_the_hint_is_accepted() {
    for (key, fixed, verb) in [
        ("static_regions", STATIC_REGIONS, "keeps"),
        ("transient_slots", TRANSIENT_SLOTS, "reserves"),
    ] {
        for v in (0..=8).filter(|&v| v != fixed) {
            let c = system(16, &format!("{key} = {v}"), 2);
            let errs = errors(&c);
            assert_eq!(errs.len(), 1, "{key} = {v}:\n{}", c.render());
            let d = errs[0];
            assert_eq!(d.code.id, "E031");
            assert_eq!(d.path, format!("hypervisor.{key}"));
            assert!(
                d.message.starts_with(&format!(
                    "`[hypervisor] {key} = {v}`, but this hypervisor {verb} exactly {fixed}"
                )),
                "{}",
                d.message
            );
            // Position: the value.
            let (_, line, col) = d.position(&c.sources).unwrap();
            assert_eq!((line, col), (12, key.len() + 4), "{}", c.render());
            // The fix the hint spells out is accepted.
            let fix = quoted_after(d.hint.as_deref().unwrap(), "write");
            assert_eq!(fix, format!("{key} = {fixed}"));
            let fixed_sys = system(16, fix, 2);
            assert!(fixed_sys.ok(), "{}", fixed_sys.render());
        }
    }
}

#[test]
fn the_mpu_budget_hint_names_a_band_size_that_is_accepted() {
    // 12 regions leave 4 to the band; a 6-region partition does not fit.
    let c = system(12, "", 6);
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{}", c.render());
    assert_eq!(errs[0].code.id, "E016");
    assert!(
        errs[0].message.contains(&format!(
            "static {STATIC_REGIONS} + partition 6 + transient {TRANSIENT_SLOTS} = 14 > 12 regions"
        )),
        "{}",
        errs[0].message
    );
    let hint = errs[0].hint.as_deref().unwrap();
    assert!(!hint.contains("transient slots (at most"), "{hint}");
    let fit: usize = hint
        .strip_prefix("give the partition at most ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{hint}"));
    assert_eq!(fit, 12 - STATIC_REGIONS - TRANSIENT_SLOTS);
    let ok = system(12, "", fit);
    assert!(ok.ok(), "{}", ok.render());
    assert_eq!(errors(&system(12, "", fit + 1))[0].code.id, "E016");
}

#[test]
fn a_platform_needs_room_for_the_hypervisors_regions_and_one_more() {
    let c = system(MIN_MPU_REGIONS as u32 - 1, "", 1);
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{}", c.render());
    assert_eq!(errs[0].code.id, "E016");
    assert_eq!(errs[0].path, "platform.mpu_regions");
    assert!(errs[0]
        .hint
        .as_deref()
        .unwrap()
        .contains(&format!("at least {MIN_MPU_REGIONS}")));
    let c = system(MIN_MPU_REGIONS as u32, "", 1);
    assert!(c.ok(), "{}", c.render());
}
