//! Test: tries every isolation attack in turn under the `log` policy (each
//! fault is reported and skipped), then tells the victim it is done.
//! Addresses match tools/runner/tests/systems/isolation.toml.
#![no_std]
#![no_main]

use guest::abi::{call, Status};
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const VICTIM_CODE: u32 = 0x2010_0000;
const VICTIM_DATA: u32 = 0x2011_0000;
const OWN_CODE: u32 = 0x2000_0000;
const HYP_TEXT: u32 = 0x1000_0000;
const HYP_DATA: u32 = 0x1000_8000;
const CONFIG_BLOB: u32 = 0x1007_0000;
const FLASH_IMAGES: u32 = 0x0800_0000;
const UART3: u32 = 0xE020_6000;
/// GICD_ISENABLER1: set-enable for SPIs 0..31 (INTIDs 32..63).
const GICD_ISENABLER1: u32 = 0xF000_0104;
/// The redistributor of core 1 (the victim's core).
const GICR_CORE1: u32 = 0xF012_0000;
/// Channel `done`: attacker -> victim.
const DONE: u32 = hv::CHAN_TX_DONE;

/// `bx lr`, placed in writable (execute-never) memory.
static mut RET_IN_DATA: u32 = 0xE12F_FF1E;

fn read(addr: u32) {
    // SAFETY: deliberately outside this partition: the hypervisor must stop it.
    unsafe { core::ptr::read_volatile(addr as *const u32) };
}

fn write(addr: u32) {
    // SAFETY: as for `read`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, 0xBAD0_BAD0) };
}

fn call_addr(addr: u32) {
    // SAFETY: as for `read`: the fetch faults at stage 2 and, under `log`,
    // execution resumes after the call.
    unsafe {
        core::arch::asm!("blx {}", in(reg) addr, out("lr") _, out("r0") _, out("r1") _, out("r2") _, out("r3") _, out("r12") _)
    };
}

fn expect(what: &str, r0: u32, want: Status) -> bool {
    let got = Status::from_reg(r0);
    let ok = got == Some(want);
    println!(
        "hypercall {}: {:?} ({})",
        what,
        got,
        if ok { "as expected" } else { "WRONG" }
    );
    ok
}

fn main() -> u32 {
    let attacks: [(&str, &dyn Fn()); 15] = [
        ("read the victim's data", &|| read(VICTIM_DATA)),
        ("write the victim's data", &|| write(VICTIM_DATA + 4)),
        ("read the victim's code", &|| read(VICTIM_CODE)),
        ("read the hypervisor's text", &|| read(HYP_TEXT)),
        ("write the hypervisor's data", &|| write(HYP_DATA)),
        ("execute the hypervisor's text", &|| call_addr(HYP_TEXT)),
        ("write its own read-only code", &|| write(OWN_CODE)),
        ("execute its own data (XN)", &|| {
            call_addr(&raw const RET_IN_DATA as u32)
        }),
        ("read UART3 (not its device)", &|| read(UART3)),
        (
            "enable the victim's UART interrupt (INTID 39) in the GIC",
            // SAFETY: a trapped, emulated GIC access: refused and reported.
            &|| unsafe { core::ptr::write_volatile(GICD_ISENABLER1 as *mut u32, 1 << 7) },
        ),
        ("write the other core's GIC redistributor", &|| write(GICR_CORE1)),
        ("read the system blob", &|| read(CONFIG_BLOB)),
        ("write the pristine image store", &|| write(FLASH_IMAGES)),
        // SAFETY: SMC is trapped by the hypervisor (HCR.TSC); emitted as a
        // raw word since the assembler wants TrustZone for the mnemonic.
        ("call the secure monitor (SMC)", &|| unsafe {
            core::arch::asm!(".inst 0xE1600070")
        }),
        // SAFETY: reading HPRBAR is UNDEFINED at EL1: the guest's own
        // undefined-instruction vector reports it.
        ("read an EL2 MPU register", &|| unsafe {
            core::arch::asm!("mrc p15, 4, {}, c6, c3, 0", out(reg) _);
        }),
    ];
    for (i, (what, attack)) in attacks.iter().enumerate() {
        println!("attack {}: {}", i + 1, what);
        attack();
        println!("attack {}: back in control", i + 1);
    }
    let mut ok = true;
    ok &= expect(
        "unknown number",
        hvc::raw(0x7777, 0, 0, 0)[0],
        Status::UnknownCall,
    );
    ok &= expect(
        "bad pointer",
        hvc::raw(call::CONSOLE_WRITE, VICTIM_DATA, 8, 0)[0],
        Status::BadPointer,
    );
    ok &= expect(
        "wrap-around length",
        hvc::raw(call::CONSOLE_WRITE, 0xFFFF_FFF0, 0x20, 0)[0],
        Status::Wraparound,
    );
    ok &= expect(
        "misaligned argument",
        hvc::raw(call::PARTITION_INFO, 0x2001_0002, 0, 0)[0],
        Status::Misaligned,
    );
    ok &= expect(
        "too long",
        hvc::raw(call::CONSOLE_WRITE, 0x2001_0000, 4096, 0)[0],
        Status::TooLong,
    );
    ok &= expect(
        "name into read-only memory",
        hvc::raw(call::PARTITION_NAME, OWN_CODE, 16, 0)[0],
        Status::Permission,
    );
    let _ = hvc::send(DONE, b"done");
    println!("all attacks tried");
    if ok {
        0
    } else {
        1
    }
}
