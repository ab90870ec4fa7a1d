//! Boot tests in QEMU: the hypervisor comes up in Hyp mode on both cores
//! with its EL2 MPU on, protects its own text, and reports faults.

use runner::build::{build_hyp, Variant};
use runner::qemu::Run;

fn selftest(name: &str) -> runner::qemu::Outcome {
    let elf = build_hyp(Variant::Selftest).expect("build the self-test image");
    Run::selftest(elf, name).run().expect("run QEMU")
}

#[test]
fn both_cores_boot_in_hyp_mode_with_mpu_on_and_text_write_faults() {
    let out = selftest("boot");
    out.expect_exit(0).unwrap();
    assert!(out.has("SELFTEST boot: PASS"), "{}", out.tail(30));
    assert!(out.has("caught data abort on core 0"), "{}", out.tail(30));
}

#[test]
fn missing_system_blob_is_refused_with_a_clear_message() {
    let elf = build_hyp(Variant::Product).expect("build the product image");
    let out = Run::new(elf).run().expect("run QEMU");
    out.expect_exit(1).unwrap();
    assert!(
        out.has("no partition started: the system blob at 0x10070000 is refused"),
        "{}",
        out.tail(30)
    );
}

#[test]
fn unexpected_fault_is_reported_and_stops_cleanly() {
    let out = selftest("unexpected-fault");
    out.expect_exit(3).unwrap();
    assert!(
        out.has("unexpected data abort exception on core 0"),
        "{}",
        out.tail(30)
    );
    assert!(out.has("permission fault"), "{}", out.tail(30));
    assert!(out.has("core 0 stopped"), "{}", out.tail(30));
}

#[test]
fn product_image_prints_banner_from_both_cores_and_exits_zero() {
    let demo = runner::workspace_root().join("config/demo.toml");
    let system = runner::system::build_system(&demo, Variant::Product).expect("build the demo system");
    let out = system.run().run().expect("run QEMU");
    out.expect_exit(0).unwrap();
    assert!(out.has("static partitioning hypervisor"), "{}", out.tail(30));
    assert!(
        out.has("core 0 online: mode 0x1a (Hyp), EL2 MPU on"),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has("core 1 online: mode 0x1a (Hyp), EL2 MPU on"),
        "{}",
        out.tail(30)
    );
    assert!(out.has("16 EL2 MPU regions"), "{}", out.tail(30));
}
