//! Test: never polls. Sleeps in WFI until a channel notification (virtual
//! interrupt `NOTIFY_INTID`) arrives, then takes every waiting message.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use guest::abi::{Status, NOTIFY_INTID};
use guest::{hvc, irq, println};

guest::entry!(main);
apps::partition!();

const FROM_NOTIFIER: u32 = hv::CHAN_RX_TO_WAITER;
static NOTIFIED: AtomicU32 = AtomicU32::new(0);

fn on_irq(intid: u32) {
    if intid == NOTIFY_INTID {
        NOTIFIED.fetch_add(1, Ordering::AcqRel);
    }
}

fn main() -> u32 {
    irq::set_handler(on_irq);
    irq::enable_cpu_interface();
    irq::enable();
    let (mut got, mut seen) = (0u32, 0u32);
    let mut buf = [0u8; 8];
    while got < 20 {
        // Check and sleep with interrupts masked, so a notification that
        // comes between the check and the WFI is not lost: it ends the WFI
        // and is taken once interrupts are unmasked.
        irq::disable();
        while NOTIFIED.load(Ordering::Acquire) == seen {
            irq::wait();
            irq::enable();
            irq::disable();
        }
        irq::enable();
        seen = NOTIFIED.load(Ordering::Acquire);
        loop {
            match hvc::recv(FROM_NOTIFIER, &mut buf) {
                Ok(4) if u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) == got => got += 1,
                Ok(_) => {
                    println!("message #{} wrong", got);
                    return 1;
                }
                Err(Status::QueueEmpty) => break,
                Err(e) => {
                    println!("recv failed: {:?}", e);
                    return 1;
                }
            }
        }
    }
    irq::disable();
    println!(
        "received 20 messages after {} notifications, without polling",
        seen
    );
    0
}
