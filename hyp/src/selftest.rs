//! In-hypervisor self tests for the QEMU test suite (feature `selftest`),
//! selected with `selftest=<name>` on the semihosting command line. Each
//! prints `SELFTEST <name>: PASS` or `FAIL: <why>` and exits 0 or 1.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::cpu;
use crate::arch::vectors::{ExceptionFrame, FaultInfo};
use crate::board::CORES;
use crate::hprintln;
use crate::text::{hex2, hex8};

pub mod mpu;

/// Set while a test expects the next exception to be a data abort.
static EXPECT_ABORT: AtomicU32 = AtomicU32::new(0);
/// The HSR of the abort a test expected (0 = none seen).
static SEEN_HSR: AtomicU32 = AtomicU32::new(0);
/// The HDFAR of that abort.
static SEEN_ADDR: AtomicU32 = AtomicU32::new(0);

/// Called by the vector code first; returns `true` if the exception was
/// expected and handled (the faulting instruction is skipped).
pub fn on_exception(info: &FaultInfo, frame: &mut ExceptionFrame) -> bool {
    if info.vector == 4 && EXPECT_ABORT.swap(0, Ordering::AcqRel) == 1 {
        SEEN_HSR.store(info.hsr.0, Ordering::Release);
        SEEN_ADDR.store(info.hdfar, Ordering::Release);
        hprintln!(
            "[selftest] caught data abort on core {}: HSR={} ({}) HDFAR={} ELR={}",
            info.core,
            hex8(info.hsr.0),
            info.hsr.fault_name(),
            hex8(info.hdfar),
            hex8(frame.elr)
        );
        frame.elr = frame.elr.wrapping_add(4); // past the faulting instruction
        return true;
    }
    false
}

/// Runs the named test and exits.
pub fn run(name: &str) -> ! {
    let result = match name {
        "boot" => boot_test(),
        "unexpected-fault" => unexpected_fault(),
        "mpu-map" => mpu::map_test(),
        "mpu-guard-fatal" => mpu::guard_fatal_test(),
        "mpu-concurrent" => mpu::concurrent_test(),
        "bench-map" => mpu::bench_map(),
        _ => Err("unknown self test"),
    };
    match result {
        Ok(()) => {
            hprintln!("SELFTEST {}: PASS", name);
            crate::run::exit(0)
        }
        Err(why) => {
            hprintln!("SELFTEST {}: FAIL: {}", name, why);
            crate::run::exit(1)
        }
    }
}

/// Both cores in Hyp mode with the EL2 MPU on, and a write to the
/// hypervisor's own text faults (and is reported) instead of landing.
fn boot_test() -> Result<(), &'static str> {
    for core in 0..CORES {
        let s = crate::cores::state(core);
        hprintln!(
            "[selftest] core {}: mode {}, EL2 MPU on: {}",
            core,
            hex2(s.mode),
            s.mpu_on
        );
        if s.mode != cpu::MODE_HYP {
            return Err("a core is not in Hyp mode");
        }
        if !s.mpu_on {
            return Err("a core runs without its EL2 MPU");
        }
    }
    let target = crate::linker::image_layout().text.0.wrapping_add(0x100); // inside the text
                                                                           // SAFETY: reading our own text is allowed and has no side effect.
    let before = unsafe { core::ptr::read_volatile(target as *const u32) };
    EXPECT_ABORT.store(1, Ordering::Release);
    // SAFETY: the write is expected to fault; the handler skips it.
    unsafe { core::ptr::write_volatile(target as *mut u32, 0xDEAD_BEEF) };
    // SAFETY: as above, a read of our own text.
    let after = unsafe { core::ptr::read_volatile(target as *const u32) };
    if EXPECT_ABORT.load(Ordering::Acquire) != 0 {
        return Err("the write to hypervisor text did not fault");
    }
    if SEEN_ADDR.load(Ordering::Acquire) != target {
        return Err("the abort reported the wrong address");
    }
    let hsr = crate::hsr::Hsr(SEEN_HSR.load(Ordering::Acquire));
    if hsr.class() != crate::hsr::ExceptionClass::DataAbortHyp || !hsr.is_write() {
        return Err("the abort was not a write data abort in Hyp mode");
    }
    if hsr.fault_name() != hypcfg::text!("permission fault") {
        return Err("the abort was not a permission fault");
    }
    if before != after {
        return Err("the hypervisor text changed");
    }
    Ok(())
}

/// An unexpected fault (a write to our text nobody armed for) must be
/// reported and stop the run with the fatal exit code, never hang.
fn unexpected_fault() -> Result<(), &'static str> {
    let target = crate::linker::image_layout().text.0.wrapping_add(0x40); // inside the text
                                                                          // SAFETY: deliberately faulting write; the vector reports and stops.
    unsafe { core::ptr::write_volatile(target as *mut u32, 0) };
    Err("the write to hypervisor text did not fault")
}
