//! A program written for the bare `mps3-an536` board on the `arm-gic`
//! crate's GICv3 driver, used as its documentation shows and unmodified:
//! `GicV3::new` on the board's distributor and redistributor, `setup(0)`,
//! then its EL1 virtual timer (PPI, INTID 27) given a priority, enabled
//! and taken on its own IRQ vector (`get_and_acknowledge_interrupt` /
//! `end_interrupt`), then SGI 3 sent to itself with `GicV3::send_sgi` and
//! taken the same way. Each step is one line on UART3, a CMSDK APB UART it
//! drives itself; the text holds no timings, so a run alone and a run as
//! a partition print the same bytes. It ends with a semihosting exit:
//! code 0 when both interrupts were taken, 1 when one never came (within
//! [`WAIT_MS`] of counter time), 2 on an unexpected exception or a panic.
//!
//! It starts wherever it is put (`start.rs`): in Hyp mode on the bare
//! board it drops to EL1 itself, at EL1 (as a partition) it goes on. The
//! QEMU test `tools/runner/tests/qemu_armgic.rs` runs this one ELF both
//! ways and compares UART3's bytes.
#![cfg_attr(target_arch = "arm", no_std, no_main)]

#[cfg(target_arch = "arm")]
mod start;

#[cfg(target_arch = "arm")]
mod board {
    use core::fmt::{self, Write};
    use core::sync::atomic::{AtomicU32, Ordering};

    use arm_gic::gicv3::registers::{Gicd, GicrSgi};
    use arm_gic::gicv3::{GicV3, InterruptGroup, SgiTarget, SgiTargetGroup};
    use arm_gic::IntId;
    use safe_mmio::field_shared;

    /// The GICv3 distributor and the first redistributor frame (core 0's),
    /// `config/platforms/mps3-an536.toml`.
    const GICD: usize = 0xF000_0000;
    const GICR: usize = 0xF010_0000;
    /// UART3, a CMSDK APB UART the hypervisor does not use (its console is
    /// UART2), so a partition may own it as a device.
    const UART3: usize = 0xE020_6000;
    /// The EL1 virtual timer's PPI.
    const VTIMER: IntId = IntId::ppi(11);
    /// The SGI sent to itself.
    const SGI: IntId = IntId::sgi(3);
    /// Priorities given to the two (any below the mask 0xFF will do).
    const TIMER_PRIORITY: u8 = 0x80;
    const SGI_PRIORITY: u8 = 0x90;
    /// The timer fires this many milliseconds after it is armed: many
    /// windows of the test's schedule, so as a partition it is switched
    /// out and in again while it waits, and the partition sharing its core
    /// (20 periods of 1 ms in half the core's time: 22-34 ms measured on a
    /// loaded host) has finished, with a wide margin.
    const TIMER_MS: u64 = 250;
    /// How long to wait for each interrupt before giving up.
    const WAIT_MS: u64 = 1000;

    /// Interrupts taken, counted by the IRQ handler.
    static TIMER_TAKEN: AtomicU32 = AtomicU32::new(0);
    static SGI_TAKEN: AtomicU32 = AtomicU32::new(0);
    /// The last INTID taken that was neither (1023: none).
    static OTHER: AtomicU32 = AtomicU32::new(1023);

    /// UART3's registers: data, state (bit 0: TX full), control (bit 0: TX
    /// enable), baud divider.
    mod uart {
        pub const DATA: usize = 0x0;
        pub const STATE: usize = 0x4;
        pub const CTRL: usize = 0x8;
        pub const BAUDDIV: usize = 0x10;
    }

    fn uart_write(off: usize, v: u32) {
        // SAFETY: a register of UART3, which this program owns (alone on
        // the board, or as the partition's device).
        unsafe { core::ptr::write_volatile((UART3 + off) as *mut u32, v) }
    }

    fn uart_read(off: usize) -> u32 {
        // SAFETY: as in `uart_write`; reading STATE has no side effect.
        unsafe { core::ptr::read_volatile((UART3 + off) as *const u32) }
    }

    /// Writer of UART3 for `core::fmt`.
    struct Uart;

    impl Write for Uart {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for b in s.bytes() {
                while uart_read(uart::STATE) & 1 != 0 {}
                uart_write(uart::DATA, b.into());
            }
            Ok(())
        }
    }

    /// Prints one line `gicprog: <args>` on UART3.
    fn say(args: fmt::Arguments) {
        let _ = Uart.write_fmt(format_args!("gicprog: {args}\n"));
    }

    /// The virtual counter.
    fn now() -> u64 {
        let (lo, hi): (u32, u32);
        // SAFETY: reading CNTVCT has no side effects.
        unsafe { core::arch::asm!("isb", "mrrc p15, 1, {}, {}, c14", out(reg) lo, out(reg) hi) };
        (u64::from(hi) << 32) | u64::from(lo)
    }

    /// Counter ticks per millisecond.
    fn ticks_per_ms() -> u64 {
        let f: u32;
        // SAFETY: reading CNTFRQ has no side effects.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c14, c0, 0", out(reg) f) };
        u64::from(f) / 1000
    }

    /// Arms the virtual timer `ms` milliseconds from now (`CNTV_TVAL`,
    /// then `CNTV_CTL.ENABLE`) or, with `None`, stops it.
    fn timer(ms: Option<u64>) {
        if let Some(ms) = ms {
            let tval = (ms * ticks_per_ms()) as u32;
            // SAFETY: this program's own virtual timer.
            unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 0", in(reg) tval) };
        }
        // SAFETY: as above.
        unsafe { core::arch::asm!("mcr p15, 0, {}, c14, c3, 1", "isb", in(reg) u32::from(ms.is_some())) };
    }

    /// Waits until `count` is non-zero, at most [`WAIT_MS`]; whether it is.
    fn wait_for(count: &AtomicU32) -> bool {
        let deadline = now() + WAIT_MS * ticks_per_ms();
        while count.load(Ordering::Acquire) == 0 {
            if now() > deadline {
                return false;
            }
            core::hint::spin_loop();
        }
        true
    }

    /// Ends the run with `code` (semihosting `SYS_EXIT_EXTENDED`).
    fn exit(code: u32) -> ! {
        // ADP_Stopped_ApplicationExit, then the code.
        let block = [0x20026u32, code];
        // SAFETY: a valid two-word block for SYS_EXIT_EXTENDED (0x20),
        // which QEMU intercepts as `SVC #0x123456` when run with
        // semihosting; LR is clobbered as a real SVC in SVC mode would.
        unsafe {
            core::arch::asm!(
                "svc #0x123456",
                inout("r0") 0x20u32 => _, in("r1") block.as_ptr(), out("lr") _,
                options(nostack)
            );
        }
        loop {
            // SAFETY: only waits; reached only without semihosting.
            unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
        }
    }

    /// Called by the IRQ vector: acknowledges the interrupt through the
    /// driver, counts it, ends it.
    #[no_mangle]
    extern "C" fn gicprog_irq() {
        let Some(intid) = GicV3::get_and_acknowledge_interrupt(InterruptGroup::Group1) else {
            return;
        };
        if intid == VTIMER {
            // The timer's output is a level: stop it before ending the
            // interrupt, or it fires again at once.
            timer(None);
            TIMER_TAKEN.fetch_add(1, Ordering::AcqRel);
        } else if intid == SGI {
            SGI_TAKEN.fetch_add(1, Ordering::AcqRel);
        } else {
            OTHER.store(u32::from(intid), Ordering::Release);
        }
        GicV3::end_interrupt(intid, InterruptGroup::Group1);
    }

    /// This core's GIC affinity (MPIDR.Aff0), the SGI's target.
    fn aff0() -> u32 {
        let mpidr: u32;
        // SAFETY: reading MPIDR has no side effects.
        unsafe { core::arch::asm!("mrc p15, 0, {}, c0, c0, 5", out(reg) mpidr) };
        mpidr & 0xFF
    }

    /// Reads back through the driver's redistributor pointer whether
    /// `intid` is enabled and its priority.
    fn state_of(gic: &mut GicV3, intid: IntId) -> (bool, u8) {
        let sgi = gic.sgi_ptr(0);
        let n = u32::from(intid) as usize;
        let enabled = field_shared!(sgi, isenabler0).read() & (1 << n) != 0;
        let priority = field_shared!(sgi, ipriorityr).get(n).map_or(0, |p| p.read());
        (enabled, priority)
    }

    #[no_mangle]
    extern "C" fn gicprog_main() -> ! {
        uart_write(uart::BAUDDIV, 16);
        uart_write(uart::CTRL, 1);
        say(format_args!("up at EL1 on core {}", aff0()));
        // SAFETY: GICD and GICR are this board's distributor and core 0's
        // redistributor frame (RD_base + SGI_base), reached as device
        // memory (the EL1 MPU is off: the default map); this is the only
        // driver instance, and nothing else here touches them.
        let mut gic = unsafe { GicV3::new(GICD as *mut Gicd, GICR as *mut GicrSgi, 1, false) };
        gic.setup(0);
        GicV3::set_priority_mask(0xFF);
        say(format_args!("GIC set up (arm-gic GicV3::setup)"));

        gic.set_interrupt_priority(VTIMER, Some(0), TIMER_PRIORITY);
        gic.enable_interrupt(VTIMER, Some(0), true);
        let (enabled, priority) = state_of(&mut gic, VTIMER);
        say(format_args!(
            "timer INTID {} enabled {enabled}, priority {priority:#x}",
            u32::from(VTIMER)
        ));
        timer(Some(TIMER_MS));
        // SAFETY: unmasks IRQs; the vectors and IRQ stack are set up.
        unsafe { core::arch::asm!("cpsie i") };
        if !wait_for(&TIMER_TAKEN) {
            say(format_args!("timer interrupt NOT taken"));
            exit(1);
        }
        say(format_args!(
            "timer interrupt taken: INTID {}, {} time(s)",
            u32::from(VTIMER),
            TIMER_TAKEN.load(Ordering::Acquire)
        ));

        gic.set_interrupt_priority(SGI, Some(0), SGI_PRIORITY);
        gic.enable_interrupt(SGI, Some(0), true);
        let (enabled, priority) = state_of(&mut gic, SGI);
        say(format_args!(
            "SGI INTID {} enabled {enabled}, priority {priority:#x}",
            u32::from(SGI)
        ));
        GicV3::send_sgi(
            SGI,
            SgiTarget::List {
                affinity3: 0,
                affinity2: 0,
                affinity1: 0,
                target_list: 1 << aff0(),
            },
            SgiTargetGroup::CurrentGroup1,
        );
        if !wait_for(&SGI_TAKEN) {
            say(format_args!("SGI NOT taken"));
            exit(1);
        }
        say(format_args!(
            "SGI taken: INTID {}, {} time(s)",
            u32::from(SGI),
            SGI_TAKEN.load(Ordering::Acquire)
        ));
        let other = OTHER.load(Ordering::Acquire);
        if other != 1023 {
            say(format_args!("unexpected interrupt INTID {other}"));
            exit(1);
        }
        say(format_args!(
            "done: {} timer interrupt(s), {} SGI(s)",
            TIMER_TAKEN.load(Ordering::Acquire),
            SGI_TAKEN.load(Ordering::Acquire)
        ));
        exit(0)
    }

    /// Called by the other vectors: says which, ends the run.
    #[no_mangle]
    extern "C" fn gicprog_unexpected(vector: u32, lr: u32) -> ! {
        say(format_args!(
            "unexpected exception: vector {vector}, lr {lr:#010x}"
        ));
        exit(2)
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        say(format_args!("panic: {}", info.message()));
        exit(2)
    }
}

#[cfg(not(target_arch = "arm"))]
fn main() {
    eprintln!("gicprog runs on armv8r-none-eabihf (QEMU mps3-an536)");
}
