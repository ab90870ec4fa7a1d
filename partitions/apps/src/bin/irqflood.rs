//! Test (hostile to itself, watched for the hypervisor's sake): makes all
//! eight of its SPIs pending at once (through `GICD_ISPENDR`) while its
//! interrupts are masked, so the hypervisor has twice as many
//! interrupts for it as list registers. Each must then arrive exactly
//! once, highest priority first (it gives each SPI its own priority,
//! higher INTIDs higher). Two rounds: one while it keeps the core, one
//! across a yield to the other partition of its core.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::irq::{self, vtimer};
use guest::{hvc, println};

guest::entry!(main);

const GICD: u32 = 0xF000_0000;
const ISENABLER1: u32 = GICD + 0x104;
const ISPENDR1: u32 = GICD + 0x204;
const IPRIORITYR: u32 = GICD + 0x400;

static ORDER: [AtomicU32; 32] = [const { AtomicU32::new(0) }; 32];
static SEEN: AtomicU32 = AtomicU32::new(0);
static OTHER: AtomicU32 = AtomicU32::new(0);

fn rd(a: u32) -> u32 {
    // SAFETY: a GIC register: trapped and emulated.
    unsafe { (a as *const u32).read_volatile() }
}

fn wr(a: u32, v: u32) {
    // SAFETY: as for `rd`.
    unsafe { (a as *mut u32).write_volatile(v) }
}

fn on_irq(intid: u32) {
    if (32..64).contains(&intid) {
        let n = SEEN.fetch_add(1, Ordering::AcqRel) as usize;
        if let Some(slot) = ORDER.get(n) {
            slot.store(intid, Ordering::Release);
        }
    } else {
        OTHER.store(intid, Ordering::Release);
    }
}

/// One round: set every owned SPI pending with interrupts masked,
/// optionally give the core away, unmask, and check what arrived.
fn round(n: u32, owned: u32, give_away: bool) -> bool {
    SEEN.store(0, Ordering::Release);
    irq::disable();
    wr(ISPENDR1, owned);
    if give_away {
        hvc::yield_now();
    }
    irq::enable();
    let end = vtimer::now() + vtimer::frequency() as u64 * 5 / 1000;
    let want = owned.count_ones();
    while SEEN.load(Ordering::Acquire) < want && vtimer::now() < end {}
    // Anything arriving twice would come after the last one.
    let settle = vtimer::now() + vtimer::frequency() as u64 / 1000;
    while vtimer::now() < settle {}
    irq::disable();
    let seen = SEEN.load(Ordering::Acquire);
    let mut expected = (0..32u32).rev().filter(|b| owned & (1 << b) != 0).map(|b| b + 32);
    let got = ORDER
        .iter()
        .take(seen.min(32) as usize)
        .map(|g| g.load(Ordering::Acquire));
    let ok = seen == want && OTHER.load(Ordering::Acquire) == 0 && got.clone().eq(&mut expected);
    let mut list = heapless_list::List::new();
    got.for_each(|g| list.push(g));
    println!(
        "round {}: {} of {}, order {}: {}",
        n,
        seen,
        want,
        list.as_str(),
        if ok { "once each, by priority" } else { "WRONG" }
    );
    ok
}

/// A small fixed-size text of INTIDs.
mod heapless_list {
    pub struct List {
        buf: [u8; 160],
        len: usize,
    }
    impl List {
        pub fn new() -> List {
            List {
                buf: [0; 160],
                len: 0,
            }
        }
        pub fn push(&mut self, v: u32) {
            let mut digits = [0u8; 10];
            let mut n = 0;
            let mut v = v;
            loop {
                digits[n] = b'0' + (v % 10) as u8;
                n += 1;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            if self.len + n + 1 > self.buf.len() {
                return;
            }
            if self.len > 0 {
                self.buf[self.len] = b',';
                self.len += 1;
            }
            for d in digits[..n].iter().rev() {
                self.buf[self.len] = *d;
                self.len += 1;
            }
        }
        pub fn as_str(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
        }
    }
}

fn main() -> u32 {
    // The hypervisor enables the SPIs a partition owns when it starts it:
    // what reads as enabled is what this partition owns.
    let owned = rd(ISENABLER1);
    // Priorities: the highest INTID gets the highest priority (lowest value).
    let mut prio = 0xC0u32;
    for b in 0..32u32 {
        if owned & (1 << b) != 0 {
            let intid = 32 + b;
            let reg = IPRIORITYR + (intid & !3);
            let shift = (intid & 3) * 8;
            wr(reg, (rd(reg) & !(0xFF << shift)) | prio << shift);
            prio -= 0x10;
        }
    }
    println!("{} SPIs owned, priorities set", owned.count_ones());
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    let a = round(1, owned, false);
    let b = round(2, owned, true);
    if a && b {
        0
    } else {
        1
    }
}
