//! The board the hypervisor is built for: every fact about it the EL2
//! kernel uses, in one place. Generated at build time by
//! `hyp/core/build.rs` from the board's platform file
//! (`config/platforms/$RHYP_BOARD.toml`, default `mps3-an536`), the same
//! file system files include and the config tool reads, with the tool's
//! own reader: to port the hypervisor, edit that file (and `linker.ld`),
//! not constants here (`docs/porting.md`).
//!
//! Architecture facts (GICv3 register offsets, timer INTIDs) are not board
//! facts: they are in [`crate::gicv3`] and the drivers.

include!(concat!(env!("OUT_DIR"), "/board.rs"));

// What the hypervisor's fixed tables and its use of the facts need; the
// build script has checked the file, these keep the code honest.
const _: () = assert!(CORES >= 1 && CORES <= hypcfg::system::MAX_CORES);
const _: () = assert!(MPU_REGIONS <= crate::mpu::MAX_REGIONS);
const _: () = assert!(LRS >= 1 && LRS <= 16);
const _: () = assert!(INTERRUPTS >= 32 && INTERRUPTS <= 1020);
const _: () = assert!(GICR_STRIDE as u64 * CORES as u64 <= GICR_SIZE as u64);
const _: () = assert!(
    CONSOLE_BASE.is_multiple_of(hypcfg::mpu::GRANULE) && CONSOLE_SIZE.is_multiple_of(hypcfg::mpu::GRANULE)
);

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use hypcfg::front;
    use hypcfg::front::board::Window;

    use super::*;

    fn workspace(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
    }

    /// The generated constants are what the config tool reads from the
    /// platform file now (a stale or mis-generated module fails here).
    #[test]
    fn the_generated_board_is_the_platform_file() {
        let b = front::board::read_file(&workspace(PLATFORM_FILE)).unwrap();
        assert_eq!(NAME, b.name);
        assert_eq!(
            (CORES, MPU_REGIONS, INTERRUPTS),
            (b.cores as usize, b.mpu_regions as usize, b.interrupts)
        );
        assert_eq!(CONSOLE_DEVICE, b.console_device);
        let w = |base, size| Window { base, size };
        assert_eq!(w(CONSOLE_BASE, CONSOLE_SIZE), b.console);
        assert_eq!(w(GICD_BASE, GICD_SIZE), b.gicd);
        assert_eq!(w(GICR_BASE, GICR_SIZE), b.gicr);
        assert_eq!((GICR_STRIDE, LRS), (b.gicr_stride, b.list_registers as usize));
        assert_eq!(w(FLASH_BASE, FLASH_SIZE), b.flash);
    }

    /// For mps3-an536: the demo system, checked as a whole by the tool,
    /// agrees with the board on everything both have, so the hypervisor
    /// and the blob it boots cannot drift apart.
    #[test]
    fn mps3_an536_agrees_with_the_checked_demo_system() {
        if NAME != "mps3-an536" {
            return;
        }
        let checked = front::check_file(&workspace("config/demo.toml"));
        let c = checked
            .compiled
            .clone()
            .unwrap_or_else(|| panic!("{}", checked.render()));
        let p = &c.system.platform;
        assert_eq!(
            (p.name.as_str(), p.cores as usize, p.mpu_regions as usize),
            (NAME, CORES, MPU_REGIONS)
        );
        let h = &c.system.hypervisor;
        assert_eq!((h.console_base, h.console_size), (CONSOLE_BASE, CONSOLE_SIZE));
        assert_eq!(c.console, CONSOLE_DEVICE);
        let device = |name: &str| {
            let d = c.devices.iter().find(|d| d.name == name).unwrap();
            (d.span.base, d.span.size)
        };
        assert_eq!(device("gicd"), (GICD_BASE, GICD_SIZE));
        assert_eq!(device("gicr"), (GICR_BASE, GICR_SIZE));
        let flash = c.banks.iter().find(|b| b.rom).unwrap();
        assert_eq!((flash.span.base, flash.span.size), (FLASH_BASE, FLASH_SIZE));
        // The documented numbers of the board.
        assert_eq!((CORES, MPU_REGIONS, INTERRUPTS, LRS), (2, 16, 128, 4));
        assert_eq!(
            (GICD_BASE, GICR_BASE, GICR_STRIDE),
            (0xF000_0000, 0xF010_0000, 0x2_0000)
        );
        assert_eq!((CONSOLE_BASE, FLASH_BASE), (0xE020_5000, 0x0800_0000));
    }
}
