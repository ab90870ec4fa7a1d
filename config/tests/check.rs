//! `System::check`, the hypervisor's re-validation: each invariant is
//! broken on an otherwise valid system (the demo) and must be caught.

use std::path::Path;

use hypcfg::check::CheckError;
use hypcfg::front;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::system::*;

fn demo() -> System {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.toml");
    front::check_file(&path).compiled.expect("demo is valid").system
}

fn broken(f: impl FnOnce(&mut System)) -> Result<(), CheckError> {
    let mut s = demo();
    f(&mut s);
    s.check()
}

fn region(base: u32, size: u32, access: Access, xn: bool) -> RegionWords {
    let attrs = Attrs {
        access,
        xn,
        mem: MemType::Normal,
    };
    RegionWords::encode(base, base + size - 1, attrs).unwrap()
}

#[test]
fn demo_passes() {
    assert_eq!(demo().check(), Ok(()));
}

#[test]
fn platform_and_bands() {
    assert_eq!(broken(|s| s.platform.cores = 0), Err(CheckError::CoreCount));
    assert_eq!(broken(|s| s.platform.cores = 9), Err(CheckError::CoreCount));
    assert_eq!(
        broken(|s| s.hypervisor.transient_slots = 12),
        Err(CheckError::MpuBands)
    );
    assert_eq!(
        broken(|s| s.hypervisor.console_base = 0xE020_5004),
        Err(CheckError::Console)
    );
    assert_eq!(
        broken(|s| s.hypervisor.console_size = 0),
        Err(CheckError::Console)
    );
}

#[test]
fn partition_core_and_budget() {
    assert_eq!(
        broken(|s| s.partitions[1].core = CoreId(2)),
        Err(CheckError::PartitionCore { partition: 1 })
    );
    assert_eq!(
        broken(|s| s.hypervisor.transient_slots = 9),
        Err(CheckError::MpuBudget { partition: 1 })
    );
}

#[test]
fn region_words_must_be_canonical_guest_regions() {
    let enc = Err(CheckError::RegionEncoding {
        partition: 0,
        region: 1,
    });
    assert_eq!(broken(|s| s.partitions[0].regions[1].words.prbar |= 1 << 5), enc); // reserved bit
    assert_eq!(broken(|s| s.partitions[0].regions[1].words.prbar &= !1), enc); // rw and executable
    assert_eq!(
        broken(|s| s.partitions[0].regions[1].words.prlar |= 0b111 << 1),
        enc
    ); // AttrIndx 7
    assert_eq!(
        broken(|s| s.partitions[0].regions[1].words.prlar = 0x2000_0001),
        enc,
        "limit below base"
    );
    assert_eq!(
        broken(|s| s.partitions[0].regions[1].words.prlar &= !1),
        Err(CheckError::RegionNotGuest {
            partition: 0,
            region: 1
        })
    );
    assert_eq!(
        broken(|s| s.partitions[0].regions[0].words =
            RegionWords::encode(0x2000_0000, 0x2000_FFFF, Attrs::HYP_TEXT).unwrap()),
        Err(CheckError::RegionNotGuest {
            partition: 0,
            region: 0
        })
    );
    assert_eq!(
        broken(|s| s.partitions[1].regions[3].words = region(0xE020_6000, 0x1000, Access::GuestRw, true)),
        Err(CheckError::DeviceAttrs {
            partition: 1,
            region: 3
        })
    );
}

#[test]
fn overlaps() {
    assert_eq!(
        broken(|s| s.partitions[0].regions[1].words = region(0x2000_8000, 0x1_0000, Access::GuestRw, true)),
        Err(CheckError::RegionOverlapSelf {
            partition: 0,
            region: 1
        })
    );
    assert_eq!(
        broken(|s| s.partitions[2].regions[1].words = region(0x2011_0000, 0x1_0000, Access::GuestRw, true)),
        Err(CheckError::RegionOverlap {
            partition: 1,
            region: 1,
            other: 2
        })
    );
    // Shared with shared is fine; shared with memory is not.
    assert_eq!(
        broken(|s| s.partitions[1].regions[2].kind = RegionKind::Memory),
        Err(CheckError::RegionOverlap {
            partition: 0,
            region: 2,
            other: 1
        })
    );
    // Two shared regions that overlap must be the same block.
    assert_eq!(
        broken(|s| s.partitions[1].regions[2].words = region(0x2030_0000, 0x2000, Access::GuestRo, true)),
        Err(CheckError::RegionOverlap {
            partition: 0,
            region: 2,
            other: 1
        })
    );
    assert_eq!(
        broken(|s| s.partitions[2].regions[1].words = region(0xE020_5000, 0x1000, Access::GuestRw, true)),
        Err(CheckError::ConsoleOverlap { partition: 2 })
    );
}

#[test]
fn interrupts_entry_and_image() {
    assert_eq!(
        broken(|s| s.partitions[2].irqs.push(40).unwrap()),
        Err(CheckError::IrqConflict {
            partition: 2,
            irq: 40
        })
    );
    assert_eq!(
        broken(|s| s.partitions[0].irqs.push(3).unwrap()),
        Err(CheckError::IrqConflict { partition: 0, irq: 3 })
    );
    assert_eq!(
        broken(|s| s.partitions[0].entry = 0x2001_0000),
        Err(CheckError::Entry { partition: 0 })
    );
    assert_eq!(
        broken(|s| s.partitions[0].entry = 0x2000_0002),
        Err(CheckError::Entry { partition: 0 })
    );
    // Bit 0 set: a T32 entry at `entry & !1`, halfword aligned is enough.
    assert_eq!(broken(|s| s.partitions[0].entry = 0x2000_0003), Ok(()));
    assert_eq!(broken(|s| s.partitions[0].entry = 0x2000_0001), Ok(()));
    assert_eq!(broken(|s| s.partitions[0].entry = 0x2000_ffff), Ok(()));
    assert_eq!(
        broken(|s| s.partitions[0].entry = 0x2001_0001),
        Err(CheckError::Entry { partition: 0 })
    );
    let image = |load, len| Image {
        store: 0x0800_0000,
        len,
        load,
        crc32: 0,
    };
    // Spanning the adjacent code and data regions is fine.
    assert_eq!(
        broken(|s| s.partitions[0].image = Some(image(0x2000_0000, 0x2_0000))),
        Ok(())
    );
    assert_eq!(
        broken(|s| s.partitions[0].image = Some(image(0x2000_0000, 0x2_0001))),
        Err(CheckError::Image { partition: 0 })
    );
    assert_eq!(
        broken(|s| s.partitions[0].image = Some(image(0x2030_0000, 0x100))),
        Err(CheckError::Image { partition: 0 }),
        "shared memory is not the partition's own"
    );
    assert_eq!(
        broken(|s| s.partitions[0].image = Some(image(0x2000_0000, 0))),
        Err(CheckError::Image { partition: 0 })
    );
}

#[test]
fn channels() {
    assert_eq!(
        broken(|s| s.channels[0].receiver = PartitionId(7)),
        Err(CheckError::ChannelEndpoint { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].receiver = PartitionId(0)),
        Err(CheckError::ChannelEndpoint { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].queue_base += 4),
        Err(CheckError::ChannelQueue { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].queue_size = 512),
        Err(CheckError::ChannelQueue { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].depth = u32::MAX),
        Err(CheckError::ChannelQueue { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].queue_base = 0xFFFF_FFC0),
        Err(CheckError::ChannelQueue { channel: 0 })
    );
    assert_eq!(
        broken(|s| s.channels[0].queue_base = 0x2001_0000),
        Err(CheckError::ChannelQueueOverlap { channel: 0 })
    );
    assert_eq!(
        broken(|s| {
            let mut c = s.channels[0].clone();
            c.queue_base += 64;
            s.channels.push(c).unwrap();
        }),
        Err(CheckError::ChannelQueueOverlap { channel: 1 })
    );
}

#[test]
fn schedules() {
    assert_eq!(
        broken(|s| s.schedules[1].core = CoreId(0)),
        Err(CheckError::ScheduleCore { schedule: 1 })
    );
    assert_eq!(
        broken(|s| s.schedules[1].core = CoreId(2)),
        Err(CheckError::ScheduleCore { schedule: 1 })
    );
    assert_eq!(
        broken(|s| s.schedules[0].windows[1].partition = PartitionId(1)),
        Err(CheckError::Window {
            schedule: 0,
            window: 1
        })
    );
    assert_eq!(
        broken(|s| s.schedules[0].windows[1].partition = PartitionId(9)),
        Err(CheckError::Window {
            schedule: 0,
            window: 1
        })
    );
    assert_eq!(
        broken(|s| s.schedules[0].windows[0].duration_us = 0),
        Err(CheckError::Window {
            schedule: 0,
            window: 0
        })
    );
    assert_eq!(
        broken(|s| s.schedules[0].major_frame_us = 8_999),
        Err(CheckError::FrameOverflow { schedule: 0 })
    );
    assert_eq!(
        broken(|s| s.schedules[0].windows[0].duration_us = u32::MAX),
        Err(CheckError::FrameOverflow { schedule: 0 })
    );
}

#[test]
fn every_error_has_a_message() {
    let all = [
        CheckError::CoreCount,
        CheckError::MpuBands,
        CheckError::Console,
        CheckError::PartitionCore { partition: 0 },
        CheckError::MpuBudget { partition: 0 },
        CheckError::RegionEncoding {
            partition: 0,
            region: 0,
        },
        CheckError::RegionNotGuest {
            partition: 0,
            region: 0,
        },
        CheckError::DeviceAttrs {
            partition: 0,
            region: 0,
        },
        CheckError::RegionOverlapSelf {
            partition: 0,
            region: 0,
        },
        CheckError::RegionOverlap {
            partition: 0,
            region: 0,
            other: 1,
        },
        CheckError::ConsoleOverlap { partition: 0 },
        CheckError::IrqConflict { partition: 0, irq: 0 },
        CheckError::Entry { partition: 0 },
        CheckError::Image { partition: 0 },
        CheckError::ChannelEndpoint { channel: 0 },
        CheckError::ChannelQueue { channel: 0 },
        CheckError::ChannelQueueOverlap { channel: 0 },
        CheckError::ScheduleCore { schedule: 0 },
        CheckError::Window {
            schedule: 0,
            window: 0,
        },
        CheckError::FrameOverflow { schedule: 0 },
    ];
    let mut msgs: Vec<String> = all.iter().map(|e| e.message().to_string()).collect();
    msgs.sort();
    msgs.dedup();
    assert_eq!(msgs.len(), all.len());
}
