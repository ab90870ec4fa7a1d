//! Boot sequence after the assembly entry: vectors, EL2 MPU, console, the
//! banner, and the release of the other cores.

use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::{cpu, mpu, semihosting, vectors};
use crate::board::{CONSOLE_BASE, CONSOLE_SIZE, CORES};
use crate::hprintln;
use crate::layout::{ImageLayout, STATIC_REGIONS};

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

/// What each core found about itself when it came online.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoreState {
    /// CPSR mode at entry to Rust (0x1A = Hyp).
    pub mode: u32,
    /// Whether the EL2 MPU is on with the background region off.
    pub mpu_on: bool,
}

/// Per-core boot state, written once by each core.
static CORE_MODE: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
static CORE_MPU_ON: [AtomicU32; CORES] = [const { AtomicU32::new(0) }; CORES];
static CORES_ONLINE: AtomicU32 = AtomicU32::new(0);

/// What a core recorded when it came online.
pub fn core_state(core: usize) -> CoreState {
    CoreState {
        mode: CORE_MODE[core].load(Ordering::Acquire),
        mpu_on: CORE_MPU_ON[core].load(Ordering::Acquire) != 0,
    }
}

/// How many cores have finished their own set-up.
pub fn cores_online() -> u32 {
    CORES_ONLINE.load(Ordering::Acquire)
}

/// The image layout from the linker symbols.
pub fn image_layout() -> ImageLayout {
    extern "C" {
        static __text_start: u8;
        static __text_end: u8;
        static __rodata_start: u8;
        static __rodata_end: u8;
        static __data_start: u8;
        static __data_end: u8;
    }
    let a = |s: *const u8| s as u32;
    // Only the addresses of the linker symbols are taken, never their bytes.
    ImageLayout {
        text: (a(&raw const __text_start), a(&raw const __text_end)),
        rodata: (a(&raw const __rodata_start), a(&raw const __rodata_end)),
        data: (a(&raw const __data_start), a(&raw const __data_end)),
        console: (CONSOLE_BASE, CONSOLE_BASE + CONSOLE_SIZE),
    }
}

/// Vectors and the static MPU band on the calling core; stops the core if
/// the image cannot be protected (nothing else is safe to do then).
fn protect_this_core() {
    vectors::install();
    let regions = match image_layout().static_regions() {
        Ok(r) => r,
        Err(_) => fatal_stop(2),
    };
    // Through this core's MPU table, so map_mm_range knows what is mapped.
    if crate::mpu::init_this_core(&regions, crate::mpu::DEFAULT_TRANSIENT_SLOTS).is_err() {
        fatal_stop(2)
    }
    mpu::enable();
    let core = cpu::core_id() as usize;
    CORE_MODE[core].store(cpu::current_mode(), Ordering::Release);
    CORE_MPU_ON[core].store(mpu::is_enabled() as u32, Ordering::Release);
    CORES_ONLINE.fetch_add(1, Ordering::AcqRel);
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
        .unwrap_or_else(|| fatal_stop(4));
    // SAFETY: ioremap returned the window as EL2 device memory of the
    // static band, mapped for the rest of the run, and only the console
    // module drives it.
    unsafe { crate::console::init(uart as usize) };
    print_banner(core);

    BOOT_RELEASE.store(RELEASE_MAGIC, Ordering::Release);
    aarch32_cpu::asm::dsb();
    aarch32_cpu::asm::sev();
    while cores_online() < CORES as u32 {
        aarch32_cpu::asm::wfe();
    }
    run()
}

/// Entry of every other core once core 0 has released it.
#[no_mangle]
extern "C" fn hyp_secondary_main(core: u32) -> ! {
    protect_this_core();
    aarch32_cpu::asm::sev();
    let s = core_state(core as usize);
    hprintln!(
        "[hyp] core {} online: mode {:#04x} ({}), EL2 MPU {}",
        core,
        s.mode,
        if s.mode == cpu::MODE_HYP {
            "Hyp"
        } else {
            "not Hyp!"
        },
        if s.mpu_on { "on" } else { "off" }
    );
    #[cfg(feature = "selftest")]
    crate::selftest::mpu::secondary_jobs();
    // Wait until core 0 has loaded (or refused) the system.
    loop {
        match SYSTEM_STATE.load(Ordering::Acquire) {
            SYSTEM_PENDING => aarch32_cpu::asm::wfe(),
            SYSTEM_READY => match crate::partition::system() {
                Some(s) => crate::partition::run_this_core(s),
                None => cpu::halt(),
            },
            _ => cpu::halt(),
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
/// Set by `forever` on the command line: stay up when the run is over.
static FOREVER: AtomicU32 = AtomicU32::new(0);
/// Set by `bench` on the command line: print the hypervisor's own
/// benchmark figures (`BENCH ...` lines) at the end of the run.
static BENCH_OUTPUT: AtomicU32 = AtomicU32::new(0);

/// Whether the run was started with `bench` (see [`BENCH_OUTPUT`]).
pub fn bench_output() -> bool {
    BENCH_OUTPUT.load(Ordering::Acquire) != 0
}

fn print_banner(core: u32) {
    let l = image_layout();
    hprintln!("");
    hprintln!(
        "rhyp {} - static partitioning hypervisor for Armv8-R AArch32",
        crate::VERSION
    );
    hprintln!(
        "[hyp] {} cores, {} EL2 MPU regions ({} static)",
        CORES,
        mpu::region_count(),
        STATIC_REGIONS
    );
    hprintln!("[hyp] text   {:#010x}..{:#010x} RX", l.text.0, l.text.1);
    hprintln!("[hyp] rodata {:#010x}..{:#010x} RO XN", l.rodata.0, l.rodata.1);
    hprintln!(
        "[hyp] data   {:#010x}..{:#010x} RW XN (data, bss, stacks)",
        l.data.0,
        l.data.1
    );
    hprintln!("[hyp] console UART {:#010x}", l.console.0);
    let s = core_state(core as usize);
    hprintln!(
        "[hyp] core {} online: mode {:#04x} ({}), EL2 MPU {}",
        core,
        s.mode,
        if s.mode == cpu::MODE_HYP {
            "Hyp"
        } else {
            "not Hyp!"
        },
        if s.mpu_on { "on" } else { "off" }
    );
}

/// What core 0 does once every core is up.
fn run() -> ! {
    let mut buf = [0u8; 128];
    let args = semihosting_args(&mut buf);
    #[cfg(feature = "selftest")]
    if let Some(name) = args.split(' ').find_map(|w| w.strip_prefix("selftest=")) {
        crate::selftest::run(name)
    }
    if args.split(' ').any(|w| w == "forever") {
        FOREVER.store(1, Ordering::Release);
    }
    if args.split(' ').any(|w| w == "bench") {
        BENCH_OUTPUT.store(1, Ordering::Release);
    }
    // The blob of the flash image (checked first, refused if damaged), or
    // one loaded on its own when the flash is blank (image.rs).
    let (base, size) = crate::image::boot_blob_area().unwrap_or_else(config_blob_area);
    let system = match crate::partition::load_system(base, size) {
        Ok(s) => s,
        Err(e) => {
            SYSTEM_STATE.store(SYSTEM_REFUSED, Ordering::Release);
            aarch32_cpu::asm::sev();
            hprintln!(
                "[hyp] no partition started: the system blob at {:#010x} is refused: {}",
                base,
                e.message()
            );
            exit(1)
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

/// Where the config tool's blob is loaded (`linker.ld`: BLOB).
fn config_blob_area() -> (u32, u32) {
    extern "C" {
        static __config_blob_start: u8;
        static __config_blob_size: u8;
    }
    (
        &raw const __config_blob_start as u32,
        &raw const __config_blob_size as u32,
    )
}

/// The semihosting command line on QEMU builds, empty elsewhere.
fn semihosting_args(buf: &mut [u8]) -> &str {
    if !cfg!(feature = "qemu-exit") {
        return "";
    }
    match semihosting::cmdline(buf) {
        Some(n) => core::str::from_utf8(&buf[..n.min(buf.len())]).unwrap_or(""),
        None => "",
    }
}

/// Top of core `core`'s Hyp stack (stacks grow down from `__stacks_end`).
pub fn stack_top(core: usize) -> u32 {
    extern "C" {
        static __stacks_end: u8;
        static HYP_STACK_SIZE: u8;
    }
    let end = &raw const __stacks_end as u32;
    let size = &raw const HYP_STACK_SIZE as u32;
    end - size * core as u32
}

/// The canary `_start` writes at the bottom of each core's stack.
const STACK_CANARY: u32 = 0x5AC5_5AC5;
/// Words of canary per stack.
const STACK_CANARY_WORDS: usize = 64;

/// The first core whose stack canary is damaged (its stack overflowed into
/// whatever lies below it), if any.
pub fn stack_overflowed() -> Option<usize> {
    extern "C" {
        static __stacks_start: u8;
        static HYP_STACK_SIZE: u8;
    }
    let start = &raw const __stacks_start as usize;
    let size = &raw const HYP_STACK_SIZE as usize;
    // Core n's stack is the n-th from the top, so core CORES-1's is lowest.
    (0..CORES).find(|&core| {
        let bottom = start + (CORES - 1 - core) * size;
        // SAFETY: the canary words lie inside the stacks area, which the
        // static band maps read/write for the hypervisor.
        (0..STACK_CANARY_WORDS)
            .any(|i| unsafe { core::ptr::read_volatile((bottom + 4 * i) as *const u32) } != STACK_CANARY)
    })
}

/// Ends the run: on QEMU builds through semihosting with `code` (unless
/// `forever` was asked for), on a board by halting the core.
pub fn exit(code: u32) -> ! {
    if FOREVER.load(Ordering::Acquire) != 0 {
        hprintln!(
            "[hyp] run over (exit code {}); staying up as asked (FOREVER=1)",
            code
        );
        cpu::halt()
    }
    if cfg!(feature = "qemu-exit") {
        semihosting::exit(code)
    }
    cpu::halt()
}

/// Stops after a fatal error (already reported).
pub fn fatal_stop(code: u32) -> ! {
    exit(code)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    crate::console::write_fmt_emergency(format_args!(
        "\n*** hyp panic on core {}: {}\n",
        cpu::core_id(),
        info
    ));
    fatal_stop(101)
}
