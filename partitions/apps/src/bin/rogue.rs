//! Demo: a compromised diagnostics partition. Each life it misuses the
//! hypercall ABI (and gets error codes), then attacks something it does
//! not own; the health monitor restarts it, and halts it when its restart
//! budget is spent.
#![no_std]
#![no_main]

use guest::abi::{call, Status};
use guest::{hvc, println};

guest::entry!(main);

/// The controller's data memory (see config/demo.toml).
const CONTROLLER_DATA: u32 = 0x2011_0000;
/// The hypervisor's data (BRAM).
const HYP_DATA: u32 = 0x1000_8000;
/// UART3, a device the rogue partition does not own.
const UART3: u32 = 0xE020_6000;

fn status(r0: u32) -> Status {
    Status::from_reg(r0).unwrap_or(Status::InvalidArgument)
}

fn main() -> u32 {
    let life = hvc::info().map(|i| i.restarts).unwrap_or(0);
    println!("diagnostics partition, life {}: probing the system", life + 1);
    let r = hvc::raw(call::CONSOLE_WRITE, CONTROLLER_DATA, 16, 0);
    println!("console write from the controller's memory -> {:?}", status(r[0]));
    let r = hvc::raw(call::CONSOLE_WRITE, 0xFFFF_FFF0, 0x20, 0);
    println!("console write with a wrapping length -> {:?}", status(r[0]));
    let r = hvc::raw(0x7777, 0, 0, 0);
    println!("hypercall 0x7777 -> {:?}", status(r[0]));
    let (addr, what) = match life {
        0 => (CONTROLLER_DATA, "reading the controller's memory"),
        1 => (HYP_DATA, "writing the hypervisor's data"),
        _ => (UART3, "writing UART3, a device it does not own"),
    };
    println!("{} at {:#010x}", what, addr);
    // SAFETY: deliberately invalid: the stage-2 MPU stops this access.
    if life == 0 {
        // SAFETY: see above.
        unsafe { core::ptr::read_volatile(addr as *const u32) };
    } else {
        // SAFETY: see above.
        unsafe { core::ptr::write_volatile(addr as *mut u32, 0xBAD) };
    }
    println!("attack went through: isolation is broken");
    2
}
