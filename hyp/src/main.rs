//! The hypervisor image: the target binary is a thin shell around the `hyp`
//! library; the assembly entry point `_start` lives in `hyp::arch::start`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
use hyp as _;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the hypervisor runs on a Cortex-R52 (built for thumbv8r-none-eabihf): use `make qemu`");
    std::process::exit(1);
}
