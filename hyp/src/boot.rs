//! Boot sequence after the assembly entry: vectors, EL2 MPU, console, the
//! banner, and the release of the other cores.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::{cpu, mpu, vectors};
use crate::board::{CONSOLE_BASE, CONSOLE_SIZE, CORES};
use crate::hprintln;
use crate::layout::STATIC_REGIONS;
use crate::text::{hex2, hex8};

/// Value core 0 stores in `BOOT_RELEASE` to let the other cores run; a
/// magic number rather than `1` so uninitialised RAM cannot release them.
pub const RELEASE_MAGIC: u32 = 0x5245_4C53;

/// Core 0 writes [`RELEASE_MAGIC`] here once the shared set-up is done.
/// In `.data`, not `.bss`, so it is already 0 before core 0 zeroes `.bss`.
#[no_mangle]
#[link_section = ".data.boot_release"]
static BOOT_RELEASE: AtomicU32 = AtomicU32::new(0);

// `linker.ld` gives the image a Hyp stack for `HYP_MAX_CORES` cores and
// `_start` parks any core beyond them: it must be the board's core count.
include!(concat!(env!("OUT_DIR"), "/linker.rs"));
const _: () = assert!(
    LINKER_MAX_CORES == CORES,
    "linker.ld HYP_MAX_CORES is not the board's `cores` (hyp_core::board::CORES)"
);

/// Vectors and the static MPU band on the calling core; stops the core if
/// the image cannot be protected (nothing else is safe to do then).
fn protect_this_core() {
    vectors::install();
    let regions = match crate::linker::image_layout().static_regions() {
        Ok(r) => r,
        Err(_) => crate::run::fatal_stop(2),
    };
    // Through this core's MPU table, so map_mm_range knows what is mapped.
    if crate::mpu::init_this_core(&regions, crate::mpu::DEFAULT_TRANSIENT_SLOTS).is_err() {
        crate::run::fatal_stop(2)
    }
    mpu::enable();
    crate::cores::record_this_core(cpu::current_mode(), mpu::is_enabled());
}

/// Core 0's entry from `_start`.
#[no_mangle]
extern "C" fn hyp_primary_main(core: u32) -> ! {
    protect_this_core();
    // The console is in the static band: ioremap returns that window,
    // which is never unmapped, so the console keeps it for the whole run.
    let uart = crate::mpu::ioremap(CONSOLE_BASE, CONSOLE_SIZE, hypcfg::mpu::Attrs::HYP_DEVICE)
        .ok()
        .and_then(|window| window.into_static().ok())
        .unwrap_or_else(|| crate::run::fatal_stop(4));
    // SAFETY: ioremap returned the window as EL2 device memory of the
    // static band, mapped for the rest of the run, and only the console
    // module drives it.
    unsafe { crate::console::init(uart as usize) };
    print_banner(core);

    BOOT_RELEASE.store(RELEASE_MAGIC, Ordering::Release);
    aarch32_cpu::asm::dsb();
    aarch32_cpu::asm::sev();
    while crate::cores::online() < CORES as u32 {
        aarch32_cpu::asm::wfe();
    }
    run()
}

/// Entry of every other core once core 0 has released it.
#[no_mangle]
extern "C" fn hyp_secondary_main(core: u32) -> ! {
    protect_this_core();
    aarch32_cpu::asm::sev();
    print_online(core);
    #[cfg(feature = "selftest")]
    crate::selftest::mpu::secondary_jobs();
    // Wait until core 0 has loaded (or refused) the system.
    // Core 0 may end the run instead (a self test, a fatal error): its
    // `SEV` wakes this wait, and this core parks.
    loop {
        if crate::run::stop_requested() {
            crate::run::park()
        }
        match SYSTEM_STATE.load(Ordering::Acquire) {
            SYSTEM_PENDING => aarch32_cpu::asm::wfe(),
            SYSTEM_READY => match crate::partition::system() {
                Some(s) => crate::partition::run_this_core(s),
                None => crate::run::park(),
            },
            _ => crate::run::park(),
        }
    }
}

/// Core 0 has not looked at the system blob yet.
const SYSTEM_PENDING: u32 = 0;
/// The system is loaded; every core may start its partitions.
const SYSTEM_READY: u32 = 1;
/// The system was refused; no partition runs.
const SYSTEM_REFUSED: u32 = 2;
static SYSTEM_STATE: AtomicU32 = AtomicU32::new(SYSTEM_PENDING);
fn print_banner(core: u32) {
    let l = crate::linker::image_layout();
    // One line of the console per `\n`, in one lock hold (only this core
    // runs yet).
    hprintln!(
        "\nrhyp {} - static partitioning hypervisor for Armv8-R AArch32\n\
         [hyp] {} cores, {} EL2 MPU regions ({} static)\n\
         [hyp] text   {}..{} RX\n\
         [hyp] rodata {}..{} RO XN\n\
         [hyp] data   {}..{} RW XN (data, bss, stacks)\n\
         [hyp] console UART {}",
        crate::VERSION,
        CORES,
        mpu::region_count(),
        STATIC_REGIONS,
        hex8(l.text.0),
        hex8(l.text.1),
        hex8(l.rodata.0),
        hex8(l.rodata.1),
        hex8(l.data.0),
        hex8(l.data.1),
        hex8(l.console.0)
    );
    print_online(core);
}

/// The `core N online` line of `core`, once it has recorded its state.
fn print_online(core: u32) {
    let s = crate::cores::state(core as usize);
    hprintln!(
        "[hyp] core {} online: mode {} ({}), EL2 MPU {}",
        core,
        hex2(s.mode),
        if s.mode == cpu::MODE_HYP {
            hypcfg::text!("Hyp")
        } else {
            hypcfg::text!("not Hyp!")
        },
        if s.mpu_on { "on" } else { "off" }
    );
}

/// What core 0 does once every core is up.
fn run() -> ! {
    crate::run::read_boot_flags();
    #[cfg(feature = "selftest")]
    selftest_from_command_line();
    // The blob of the flash image (checked first, refused if damaged), or
    // one loaded on its own when the flash is blank (image.rs).
    let (base, size) = crate::image::boot_blob_area().unwrap_or_else(crate::linker::config_blob_area);
    let system = match crate::partition::load_system(base, size) {
        Ok(s) => s,
        Err(e) => {
            SYSTEM_STATE.store(SYSTEM_REFUSED, Ordering::Release);
            aarch32_cpu::asm::sev();
            hprintln!(
                "[hyp] no partition started: the system blob at {} is refused: {}",
                hex8(base),
                e
            );
            crate::run::exit(1)
        }
    };
    crate::partition::print_system(system);
    if let Err(e) = crate::arch::gic::init_distributor(crate::partition::device_interrupts(system)) {
        hprintln!("[hyp] GIC distributor set-up failed: {}", e.0);
    }
    crate::partition::prepare_system(system);
    SYSTEM_STATE.store(SYSTEM_READY, Ordering::Release);
    aarch32_cpu::asm::dsb();
    aarch32_cpu::asm::sev();
    crate::partition::run_this_core(system)
}

/// Runs the self test the semihosting command line names
/// (`selftest=<name>`), if any. Self-test images run without partitions
/// and only under the runner's `--selftest`, which turns semihosting on;
/// the product image makes no semihosting call at all.
#[cfg(feature = "selftest")]
fn selftest_from_command_line() {
    let mut buf = [0u8; 128];
    let Some(n) = crate::arch::semihosting::cmdline(&mut buf) else {
        return;
    };
    let args = core::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("");
    if let Some(name) = args.split(' ').find_map(|w| w.strip_prefix("selftest=")) {
        crate::selftest::run(name)
    }
}

/// Reports a panic as `PanicInfo`'s `Display` would, without `core::fmt`:
/// the location, and the message when it is a plain string; a message with
/// arguments is not formatted. The hypervisor's code is written not to
/// panic, and the image has no panic left today (this handler is not even
/// linked in), so it only matters once a change brings one back.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let at = info.location();
    hprintln!(
        emergency;
        "\n*** hyp panic on core {}: panicked at {}:{}:{}:\n{}",
        cpu::core_id(),
        at.map_or("?", |l| l.file()),
        at.map_or(0, |l| l.line()),
        at.map_or(0, |l| l.column()),
        info.message().as_str().unwrap_or("(a message with arguments, not formatted)")
    );
    crate::run::fatal_stop(101)
}
