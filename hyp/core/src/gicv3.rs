//! GICv3 register offsets (Arm IHI 0069, "GICv3 and GICv4 Architecture
//! Specification", chapter 12): architecture, not board, so defined once
//! here for the driver (`hyp::arch::gic`) and the trap-and-emulate of
//! partitions' accesses ([`crate::vgic_mmio`]). Where the frames are is a
//! board fact: [`crate::board`].

/// `GICD_CTLR`: distributor control (ARE, group enables).
pub const GICD_CTLR: u32 = 0x0;
/// `GICD_TYPER`: interrupt controller type.
pub const GICD_TYPER: u32 = 0x4;
/// `GICD_IIDR`: implementer identification.
pub const GICD_IIDR: u32 = 0x8;
/// `GICD_IGROUPR<n>`: group bits, one per INTID, 32 per word.
pub const GICD_IGROUPR: u32 = 0x80;
/// `GICD_ISENABLER<n>`: set-enable bits.
pub const GICD_ISENABLER: u32 = 0x100;
/// `GICD_ICENABLER<n>`: clear-enable bits.
pub const GICD_ICENABLER: u32 = 0x180;
/// `GICD_ISPENDR<n>`: set-pending bits.
pub const GICD_ISPENDR: u32 = 0x200;
/// `GICD_ICPENDR<n>`: clear-pending bits.
pub const GICD_ICPENDR: u32 = 0x280;
/// `GICD_ISACTIVER<n>`: set-active bits.
pub const GICD_ISACTIVER: u32 = 0x300;
/// `GICD_ICACTIVER<n>`: clear-active bits.
pub const GICD_ICACTIVER: u32 = 0x380;
/// `GICD_IPRIORITYR<n>`: one priority byte per INTID.
pub const GICD_IPRIORITYR: u32 = 0x400;
/// `GICD_ICFGR<n>`: two configuration bits per INTID.
pub const GICD_ICFGR: u32 = 0xC00;
/// `GICD_IROUTER<n>`: 64-bit affinity route per SPI (`n` from 32, 8 bytes each).
pub const GICD_IROUTER: u32 = 0x6000;
/// `GICD_PIDR2`: peripheral ID 2 (the architecture revision).
pub const GICD_PIDR2: u32 = 0xFFE8;

/// `GICR_IIDR`: redistributor implementer identification (RD_base).
pub const GICR_IIDR: u32 = 0x4;
/// `GICR_TYPER`, low word (64 bits: affinity, last-frame bit...).
pub const GICR_TYPER: u32 = 0x8;
/// `GICR_TYPER`, high word.
pub const GICR_TYPER_HI: u32 = 0xC;
/// `GICR_WAKER`: `ProcessorSleep` (bit 1), `ChildrenAsleep` (bit 2).
pub const GICR_WAKER: u32 = 0x14;
/// Offset of the SGI_base frame (SGIs and PPIs) after RD_base.
pub const SGI_BASE: u32 = 0x1_0000;
/// `GICR_IGROUPR0`: group bits of SGIs and PPIs.
pub const GICR_IGROUPR0: u32 = SGI_BASE + 0x80;
/// `GICR_ISENABLER0`: set-enable bits of SGIs and PPIs.
pub const GICR_ISENABLER0: u32 = SGI_BASE + 0x100;
/// `GICR_ICENABLER0`: clear-enable bits of SGIs and PPIs.
pub const GICR_ICENABLER0: u32 = SGI_BASE + 0x180;
/// `GICR_ICPENDR0`: clear-pending bits of SGIs and PPIs.
pub const GICR_ICPENDR0: u32 = SGI_BASE + 0x280;
/// `GICR_ISPENDR0`: set-pending of SGIs and PPIs.
pub const GICR_ISPENDR0: u32 = SGI_BASE + 0x200;
/// `GICR_ICFGR0`: configuration of the SGIs (always edge-triggered).
pub const GICR_ICFGR0: u32 = SGI_BASE + 0xC00;
/// `GICR_ICACTIVER0`: clear-active bits of SGIs and PPIs.
pub const GICR_ICACTIVER0: u32 = SGI_BASE + 0x380;
/// `GICR_IPRIORITYR<n>`: priority bytes of SGIs and PPIs (8 words).
pub const GICR_IPRIORITYR: u32 = SGI_BASE + 0x400;
