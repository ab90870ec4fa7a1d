//! Test (hostile): SGIs a partition sends itself, as a GIC driver does
//! (`ICC_SGI1R`, `ICC_ASGI1R`, with the target list from its `MPIDR`),
//! and the GIC set-up of an unmodified driver (every `IGROUPR` written
//! with ones, as `arm-gic`'s `GicV3::setup` does). Its SGIs are its own
//! virtual ones: enabled, made pending, cleared and given priorities in
//! its redistributor. Then the hostile part: 100,000 sends of one SGI in
//! a loop (one arrival: a pending bit, not a queue), an SGI to the other
//! core, to every other core (`IRM`) and a group 0 SGI (`ICC_SGI0R`),
//! each refused (its policy is `log`: reported, and it goes on) and
//! none arriving here. Prints `WRONG` for anything the GIC would not do.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq;
use guest::println;

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
/// Core 0's redistributor, SGI_base frame.
const SGI_BASE: u32 = 0xF010_0000 + 0x1_0000;
const IGROUPR0: u32 = SGI_BASE + 0x80;
const ISENABLER0: u32 = SGI_BASE + 0x100;
const ICENABLER0: u32 = SGI_BASE + 0x180;
const ISPENDR0: u32 = SGI_BASE + 0x200;
const ICPENDR0: u32 = SGI_BASE + 0x280;
const IPRIORITYR: u32 = SGI_BASE + 0x400;

static ARRIVED: [AtomicU32; 16] = [const { AtomicU32::new(0) }; 16];
/// The order of arrivals (INTIDs, 4 bits each, the first lowest).
static ORDER: AtomicU32 = AtomicU32::new(0);
static SEEN: AtomicU32 = AtomicU32::new(0);

fn on_irq(intid: u32) {
    match ARRIVED.get(intid as usize) {
        Some(n) => {
            n.fetch_add(1, Ordering::AcqRel);
            let k = SEEN.fetch_add(1, Ordering::AcqRel);
            if k < 8 {
                ORDER.fetch_or(intid << (4 * k), Ordering::AcqRel);
            }
        }
        None => println!("WRONG: interrupt {}", intid),
    }
}

fn read(addr: u32) -> u32 {
    // SAFETY: a GIC register: trapped and emulated.
    unsafe { (addr as *const u32).read_volatile() }
}

fn write(addr: u32, v: u32) {
    // SAFETY: as above.
    unsafe { (addr as *mut u32).write_volatile(v) }
}

fn sgi1r(v: u64) {
    // SAFETY: ICC_SGI1R: trapped and emulated.
    unsafe {
        core::arch::asm!("mcrr p15, 0, {}, {}, c12", "isb", in(reg) v as u32, in(reg) (v >> 32) as u32)
    };
}

fn asgi1r(v: u64) {
    // SAFETY: ICC_ASGI1R: trapped and emulated.
    unsafe {
        core::arch::asm!("mcrr p15, 1, {}, {}, c12", "isb", in(reg) v as u32, in(reg) (v >> 32) as u32)
    };
}

fn sgi0r(v: u64) {
    // SAFETY: ICC_SGI0R: trapped and refused.
    unsafe {
        core::arch::asm!("mcrr p15, 2, {}, {}, c12", "isb", in(reg) v as u32, in(reg) (v >> 32) as u32)
    };
}

/// The SGI register value that targets this core only, for SGI `intid`.
fn to_self(intid: u32) -> u64 {
    let mpidr: u32;
    // SAFETY: reading MPIDR has no side effects.
    unsafe { core::arch::asm!("mrc p15, 0, {}, c0, c0, 5", out(reg) mpidr) };
    let (aff0, aff1, aff2) = (mpidr & 0xFF, (mpidr >> 8) & 0xFF, (mpidr >> 16) & 0xFF);
    (1u64 << (aff0 % 16))
        | (u64::from(aff1) << 16)
        | (u64::from(intid) << 24)
        | (u64::from(aff2) << 32)
        | (u64::from(aff0 / 16) << 44)
}

/// Lets any interrupt that is pending arrive (each arrives on the return
/// from the trap that made it pending; this is slack).
fn settle() {
    for _ in 0..1000 {
        core::hint::spin_loop();
    }
}

fn arrived(intid: usize) -> u32 {
    ARRIVED.get(intid).map_or(0, |n| n.load(Ordering::Acquire))
}

fn main() -> u32 {
    // The group set-up of an unmodified driver: everything group 1.
    write(IGROUPR0, u32::MAX);
    for n in 1..4 {
        write(GICD + 0x80 + 4 * n, u32::MAX);
    }
    write(IGROUPR0, 0);
    println!(
        "IGROUPR0 {:#x}, GICD_IGROUPR1 {:#x} after group 0 was asked",
        read(IGROUPR0),
        read(GICD + 0x84)
    );
    // Priorities: SGIs 0-3 at 0x10, SGI 4 0x80, 5 0x20, 6 0x40, 7 0x60.
    write(IPRIORITYR, 0x1010_1010);
    write(IPRIORITYR + 4, 0x6040_2080);
    println!(
        "SGI priorities {:#010x} {:#010x}",
        read(IPRIORITYR),
        read(IPRIORITYR + 4)
    );
    // Every SGI 1-7 enabled but SGI 2.
    write(ISENABLER0, 0b1111_1010);
    println!("SGIs enabled {:#x}", read(ISENABLER0) & 0xFFFF);
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    irq::enable();

    sgi1r(to_self(1));
    settle();
    println!("SGI 1 to itself: arrived {} time(s)", arrived(1));

    sgi1r(to_self(2));
    settle();
    let pending = read(ISPENDR0) & (1 << 2) != 0;
    println!("SGI 2 disabled: pending {}, arrived {}", pending, arrived(2));
    write(ISENABLER0, 1 << 2);
    settle();
    println!(
        "SGI 2 enabled: arrived {}, pending {}",
        arrived(2),
        read(ISPENDR0) & (1 << 2) != 0
    );
    write(ICENABLER0, 1 << 2);
    sgi1r(to_self(2));
    settle();
    println!(
        "SGI 2 disabled again: enabled {:#x}, arrived {}",
        read(ISENABLER0) & 0xFFFF,
        arrived(2)
    );

    asgi1r(to_self(3));
    settle();
    println!("SGI 3 through ICC_ASGI1R: arrived {}", arrived(3));

    irq::disable();
    SEEN.store(0, Ordering::Release);
    ORDER.store(0, Ordering::Release);
    sgi1r(to_self(4));
    sgi1r(to_self(5));
    sgi1r(to_self(6));
    irq::enable();
    settle();
    let o = ORDER.load(Ordering::Acquire);
    println!(
        "SGIs 4, 5, 6 sent masked arrive as {},{},{}",
        o & 0xF,
        (o >> 4) & 0xF,
        (o >> 8) & 0xF
    );

    irq::disable();
    sgi1r(to_self(6));
    write(ICPENDR0, 1 << 6);
    let still = read(ISPENDR0) & (1 << 6) != 0;
    irq::enable();
    settle();
    println!(
        "SGI 6 cleared before it was taken: pending {}, arrived {} time(s) in all",
        still,
        arrived(6)
    );

    // An empty target list: nothing happens, and no fault.
    sgi1r(to_self(7) & !0xFFFF);
    settle();
    println!("SGI 7 to nobody: arrived {}", arrived(7));

    irq::disable();
    for _ in 0..100_000 {
        sgi1r(to_self(7));
    }
    irq::enable();
    settle();
    println!("100000 sends of SGI 7: arrived {}", arrived(7));

    // Hostile: the other core, every other core, group 0.
    let own = to_self(1);
    let other = (own & !0xFFFF) | ((own & 0xFFFF) ^ 0b11);
    sgi1r(other);
    sgi1r((1 << 40) | (1 << 24));
    sgi0r(own);
    settle();
    println!("after the refused SGIs: SGI 1 arrived {} time(s)", arrived(1));
    irq::disable();
    0
}
