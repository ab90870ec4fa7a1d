//! The static band of the EL2 MPU: the hypervisor's own regions, derived
//! from the image's linker symbols and set once at boot on every core.

use hypcfg::mpu::{Attrs, EncodeError, RegionWords};
use hypcfg::packed::Text;

/// Number of regions in the static band (text, rodata, data, console):
/// the one definition the config tool checks systems against.
pub use hypcfg::limits::STATIC_REGIONS;

/// Where the image's parts ended up (end addresses are exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLayout {
    /// `.text`: code, mapped read-only and executable.
    pub text: (u32, u32),
    /// `.rodata`: constants, read-only and execute-never.
    pub rodata: (u32, u32),
    /// `.data`, `.bss` and the per-core stacks: read/write, execute-never.
    pub data: (u32, u32),
    /// The console UART's MMIO window: device, read/write, execute-never.
    pub console: (u32, u32),
}

/// A part of the image that cannot be given its own region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutError {
    /// Which part (`"text"`, `"rodata"`, `"data"` or `"console"`).
    pub part: Text,
    /// Why.
    pub error: EncodeError,
}

impl ImageLayout {
    /// The static band, in region order: text, rodata, data, console.
    pub fn static_regions(&self) -> Result<[RegionWords; STATIC_REGIONS], LayoutError> {
        let region = |part, (start, end): (u32, u32), attrs| {
            // An empty part (start == end) is encoded as `Empty` below.
            RegionWords::encode(start, end.wrapping_sub(1), attrs)
                .map_err(|error| LayoutError { part, error })
        };
        Ok([
            region(hypcfg::text!("text"), self.text, Attrs::HYP_TEXT)?,
            region(hypcfg::text!("rodata"), self.rodata, Attrs::HYP_RODATA)?,
            region(hypcfg::text!("data"), self.data, Attrs::HYP_DATA)?,
            region(hypcfg::text!("console"), self.console, Attrs::HYP_DEVICE)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hypcfg::mpu::Access;

    fn layout() -> ImageLayout {
        ImageLayout {
            text: (0x1000_0000, 0x1000_4000),
            rodata: (0x1000_4000, 0x1000_4800),
            data: (0x1000_4800, 0x1000_C800),
            console: (0xE020_5000, 0xE020_6000),
        }
    }

    #[test]
    fn static_band_protects_text_and_makes_data_xn() {
        let r = layout().static_regions().unwrap();
        assert_eq!(r[0].attrs().unwrap().access, Access::HypRo);
        assert!(!r[0].attrs().unwrap().xn);
        assert!(r[1].attrs().unwrap().xn);
        assert_eq!(r[2].attrs().unwrap().access, Access::HypRw);
        assert!(r[2].attrs().unwrap().xn);
        assert_eq!((r[3].base(), r[3].limit()), (0xE020_5000, 0xE020_5FFF));
    }

    #[test]
    fn misaligned_part_is_named() {
        let mut l = layout();
        l.rodata.1 = 0x1000_4810;
        let err = l.static_regions().unwrap_err();
        assert_eq!(err.part, hypcfg::text!("rodata"));
        assert_eq!(err.error, EncodeError::UnalignedLimit);
    }
}
