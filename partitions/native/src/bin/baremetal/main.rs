//! A program written for the bare `mps3-an536` board, with its own GIC
//! driver and timer interrupt: it sets up the distributor and its core's
//! redistributor through their registers, the CPU interface through its
//! system registers, and takes five 1 ms virtual-timer interrupts,
//! printing over semihosting; then it ends the run with exit code 0.
//!
//! It starts wherever it is put: in Hyp mode on the bare board (it then
//! lets EL1 use the timers and the GIC's system registers and drops to
//! EL1 itself), or at EL1 as a partition. The QEMU test runs this one
//! binary both ways and compares the output line by line.
#![cfg_attr(target_arch = "arm", no_std, no_main)]

#[cfg(target_arch = "arm")]
#[path = "../../semihosting.rs"]
mod semihosting;
#[cfg(target_arch = "arm")]
mod start;

#[cfg(target_arch = "arm")]
mod board {
    use core::sync::atomic::{AtomicU32, Ordering};

    use super::semihosting::{exit, print};

    const GICD: usize = 0xF000_0000;
    const GICR: usize = 0xF010_0000;
    const SGI: usize = 0x1_0000;
    const VTIMER: u32 = 27;
    const TICKS: u32 = 5;

    static COUNT: AtomicU32 = AtomicU32::new(0);

    fn rd(a: usize) -> u32 {
        // SAFETY: a GIC register of this board.
        unsafe { core::ptr::read_volatile(a as *const u32) }
    }

    fn wr(a: usize, v: u32) {
        // SAFETY: a GIC register of this board.
        unsafe { core::ptr::write_volatile(a as *mut u32, v) }
    }

    fn now() -> u64 {
        let (lo, hi): (u32, u32);
        // SAFETY: reading CNTVCT has no side effects.
        unsafe { core::arch::asm!("isb", "mrrc p15, 1, {}, {}, c14", out(reg) lo, out(reg) hi) };
        (hi as u64) << 32 | lo as u64
    }

    fn arm_timer(deadline: u64) {
        // SAFETY: this program's own virtual timer.
        unsafe {
            core::arch::asm!("mcrr p15, 3, {}, {}, c14", in(reg) deadline as u32, in(reg) (deadline >> 32) as u32)
        };
        // SAFETY: as above.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 1u32) };
    }

    fn period() -> u64 {
        let f: u32;
        // SAFETY: reading CNTFRQ has no side effects.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c14, c0, 0", out(reg) f) };
        f as u64 / 1000
    }

    #[no_mangle]
    extern "C" fn baremetal_irq() {
        let intid: u32;
        // SAFETY: acknowledges the interrupt this handler runs for.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c12, c12, 0", out(reg) intid) };
        if intid & 0xFF_FFFF == VTIMER {
            let n = COUNT.fetch_add(1, Ordering::AcqRel) + 1;
            print(format_args!("baremetal: timer interrupt {}\n", n));
            if n < TICKS {
                arm_timer(now() + period());
            } else {
                // SAFETY: stops this program's own virtual timer.
                unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) 0u32) };
            }
        }
        // SAFETY: ends the interrupt acknowledged above.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 1", in(reg) intid) };
    }

    #[no_mangle]
    extern "C" fn baremetal_main() -> ! {
        print(format_args!("baremetal: up at EL1\n"));
        wr(GICD, 1 << 4);
        wr(GICD, (1 << 4) | 0b11);
        wr(GICR + 0x14, rd(GICR + 0x14) & !(1 << 1));
        while rd(GICR + 0x14) & (1 << 2) != 0 {}
        wr(GICR + SGI + 0x80, rd(GICR + SGI + 0x80) | 1 << VTIMER);
        let pr = GICR + SGI + 0x400 + (VTIMER as usize & !3);
        wr(
            pr,
            rd(pr) & !(0xFF << ((VTIMER & 3) * 8)) | 0xA0 << ((VTIMER & 3) * 8),
        );
        wr(GICR + SGI + 0x100, 1 << VTIMER);
        print(format_args!(
            "baremetal: GIC ready, distributor {:#x}, timer PPI enabled {}\n",
            rd(GICD),
            rd(GICR + SGI + 0x100) & (1 << VTIMER) != 0
        ));
        // SAFETY: this program's CPU interface (SRE, PMR, group 1) and its
        // IRQ unmasking; the vector table is set up by `start`.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 5", "isb", in(reg) 1u32) };
        // SAFETY: as above.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c4, c6, 0", in(reg) 0xFFu32) };
        // SAFETY: as above.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c12, c12, 7", "isb", in(reg) 1u32) };
        arm_timer(now() + period());
        // SAFETY: as above.
        unsafe { core::arch::asm!("cpsie i") };
        while COUNT.load(Ordering::Acquire) < TICKS {
            // SAFETY: waits for the next interrupt.
            unsafe { core::arch::asm!("wfi") };
        }
        print(format_args!("baremetal: done\n"));
        exit(0)
    }

    #[no_mangle]
    extern "C" fn baremetal_unexpected(vector: u32, lr: u32) -> ! {
        print(format_args!(
            "baremetal: unexpected exception {} (lr {:#x})\n",
            vector, lr
        ));
        exit(1)
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        print(format_args!("baremetal: panic\n"));
        exit(1)
    }
}

#[cfg(not(target_arch = "arm"))]
fn main() {
    eprintln!("baremetal runs on armv8r-none-eabihf (QEMU mps3-an536)");
}
