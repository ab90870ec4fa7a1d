//! EL2 MPU map tests in QEMU: a transient mapping works and, once unmapped,
//! faults at EL2 (caught, not a hang); two cores mapping at once keep their
//! tables consistent; a mapping whose unmap fails when dropped stops the
//! run; the map+unmap benchmark hook reports its count.

use runner::build::{build_hyp, Variant};
use runner::qemu::{Outcome, Run};

fn selftest(name: &str, icount: bool) -> Outcome {
    let elf = build_hyp(Variant::Selftest).expect("build the self-test image");
    let mut run = Run::selftest(elf, name);
    run.icount = icount;
    run.run().expect("run QEMU")
}

#[test]
fn mapped_range_is_usable_and_faults_at_el2_after_unmap() {
    let out = selftest("mpu-map", false);
    out.expect_exit(0).unwrap();
    assert!(out.has("SELFTEST mpu-map: PASS"), "{}", out.tail(30));
    assert!(
        out.has("mapped 0x2f000000..0x2f001000 RW XN EL2-only"),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("caught data abort on core 0") && out.has("HDFAR=0x2f000000"),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("access after unmap faulted at EL2: HDFAR=0x2f000000"),
        "{}",
        out.tail(30)
    );
    // The refusals reach the console with messages a person can act on.
    assert!(
        out.has("differing: AP (access permissions), XN (execute-never)"),
        "{}",
        out.tail(30)
    );
    assert!(out.has("which unmap never removes"), "{}", out.tail(30));
    assert!(
        out.has("refused as expected (map with EL1 access): refused: the attributes give EL1 access"),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("ioremap of the console returned its static window 0xe0205000"),
        "{}",
        out.tail(30)
    );
}

#[test]
fn failed_unmap_of_a_dropped_mapping_is_reported_and_stops_the_run() {
    let out = selftest("mpu-guard-fatal", false);
    out.expect_exit(1).unwrap();
    assert!(
        out.has(
            "[hyp] ERROR: the transient mapping at 0x2f000000 could not be unmapped on core 0: \
             unmap refused: nothing is mapped at this address"
        ),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("the EL2 MPU table is inconsistent; stopping"),
        "{}",
        out.tail(30)
    );
    // Fail-stop: the self test never got past the drop.
    assert!(!out.has("SELFTEST mpu-guard-fatal"), "{}", out.tail(30));
}

#[test]
fn two_cores_mapping_concurrently_keep_their_tables_consistent() {
    let out = selftest("mpu-concurrent", false);
    out.expect_exit(0).unwrap();
    assert!(out.has("SELFTEST mpu-concurrent: PASS"), "{}", out.tail(30));
    for core in 0..2 {
        assert!(
            out.has(&format!(
                "core {core}: 3000 rounds done, 0 transient slots in use, 0 users"
            )),
            "{}",
            out.tail(30)
        );
    }
}

#[test]
fn bench_hook_reports_instructions_per_map_unmap_pair() {
    let out = selftest("bench-map", true);
    out.expect_exit(0).unwrap();
    assert!(out.has("SELFTEST bench-map: PASS"), "{}", out.tail(30));
    let line = out
        .console
        .iter()
        .find_map(|l| l.strip_prefix("BENCH map_unmap "))
        .unwrap_or_else(|| panic!("no BENCH line:\n{}", out.tail(30)));
    let n: f64 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("BENCH value `{line}` is not a number"));
    assert!(n > 0.0, "BENCH map_unmap {n}");
}
