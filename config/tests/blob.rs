//! Blob properties: random valid systems survive encode -> decode
//! unchanged, and any single-bit corruption, truncation or extension of a
//! blob is refused.

use heapless::Vec as HVec;
use hypcfg::blob::{self, BlobError, HEADER_LEN};
use hypcfg::check::queue_bytes;
use hypcfg::ids::{CoreId, PartitionId};
use hypcfg::mpu::{Access, Attrs, MemType, RegionWords};
use hypcfg::system::*;
use proptest::prelude::*;

fn name(prefix: &str, i: usize) -> Name {
    let mut n = Name::new();
    let _ = n.push_str(&format!("{prefix}{i}"));
    n
}

/// One partition: core seed, region sizes in granules, permission seed,
/// entry offset seed, fault-policy seed, image length.
type PartShape = (u8, Vec<u16>, u8, u16, u8, Option<u16>);

/// Parameters from which one valid system is built.
#[derive(Clone, Debug)]
struct Shape {
    cores: u8,
    transient: u8,
    parts: Vec<PartShape>,
    /// (sender seed, receiver offset, msg, depth).
    channels: Vec<(u8, u8, u16, u8)>,
    durations: Vec<u16>,
    idle: u16,
}

fn shape() -> impl Strategy<Value = Shape> {
    (1u8..=4, 0u8..=4).prop_flat_map(|(cores, transient)| {
        let max_regions = (16 - 4 - transient as usize).min(MAX_PARTITION_REGIONS);
        let part = (
            any::<u8>(),
            prop::collection::vec(1u16..=1024, 1..=max_regions),
            any::<u8>(),
            any::<u16>(),
            any::<u8>(),
            prop::option::of(1u16..=4096),
        );
        (
            Just(cores),
            Just(transient),
            prop::collection::vec(part, 1..=MAX_PARTITIONS),
            prop::collection::vec((any::<u8>(), 1u8..=7, 1u16..=512, 1u8..=32), 0..=MAX_CHANNELS),
            prop::collection::vec(1u16..=5000, MAX_PARTITIONS),
            0u16..=1000,
        )
            .prop_map(|(cores, transient, parts, channels, durations, idle)| Shape {
                cores,
                transient,
                parts,
                channels,
                durations,
                idle,
            })
    })
}

fn build(s: &Shape) -> System {
    let mut partitions: HVec<Partition, MAX_PARTITIONS> = HVec::new();
    for (pi, (core_seed, sizes, perm_seed, entry_seed, policy_seed, image)) in s.parts.iter().enumerate() {
        let base0 = 0x2000_0000 + pi as u32 * 0x100_0000;
        let mut regions = HVec::new();
        let mut at = base0;
        for (ri, &granules) in sizes.iter().enumerate() {
            let size = granules as u32 * 64;
            let attrs = if ri == 0 {
                Attrs {
                    access: Access::GuestRo,
                    xn: false,
                    mem: MemType::Normal,
                }
            } else {
                let mem = if ((*perm_seed as u32) >> ri) & 1 == 1 {
                    MemType::NormalUncached
                } else {
                    MemType::Normal
                };
                let access = if ((*perm_seed as u32) >> (ri + 1)) & 1 == 1 {
                    Access::GuestRo
                } else {
                    Access::GuestRw
                };
                Attrs {
                    access,
                    xn: true,
                    mem,
                }
            };
            let words = RegionWords::encode(at, at + size - 1, attrs).unwrap();
            regions
                .push(PartitionRegion {
                    name: name("r", ri),
                    kind: RegionKind::Memory,
                    words,
                })
                .unwrap();
            at += size + 64 * (ri as u32 % 3); // some gaps
        }
        let code_size = sizes[0] as u32 * 64;
        let entry = base0 + (*entry_seed as u32 * 4) % code_size;
        let fault_policy = match policy_seed % 3 {
            0 => FaultPolicy::Halt,
            1 => FaultPolicy::Log,
            _ => FaultPolicy::Restart {
                budget: policy_seed / 3,
            },
        };
        let image = image.map(|len| Image {
            store: 0x0800_0000 + pi as u32 * 0x1_0000,
            len: (len as u32).min(code_size),
            load: base0,
            crc32: 0x1234_5678 ^ len as u32,
        });
        let irqs = (0..(pi % 4)).map(|k| 32 + pi as u16 * 8 + k as u16).collect();
        partitions
            .push(Partition {
                name: name("p", pi),
                core: CoreId(core_seed % s.cores),
                entry,
                regions,
                irqs,
                fault_policy,
                image,
            })
            .unwrap();
    }
    let n = partitions.len();
    let mut channels: HVec<Channel, MAX_CHANNELS> = HVec::new();
    let mut queue = 0x3000_0000u32;
    if n >= 2 {
        for (ci, &(sender, off, msg, depth)) in s.channels.iter().enumerate() {
            let sender = sender as usize % n;
            let receiver = (sender + 1 + off as usize % (n - 1)) % n;
            let size = queue_bytes(msg as u32, depth as u32).unwrap();
            channels
                .push(Channel {
                    name: name("c", ci),
                    sender: PartitionId(sender as u8),
                    receiver: PartitionId(receiver as u8),
                    msg_size: msg as u32,
                    depth: depth as u32,
                    queue_base: queue,
                    queue_size: size,
                })
                .unwrap();
            queue += size;
        }
    }
    let mut schedules = HVec::new();
    for core in 0..s.cores {
        let windows: HVec<Window, MAX_WINDOWS> = partitions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.core == CoreId(core))
            .map(|(i, _)| Window {
                partition: PartitionId(i as u8),
                duration_us: s.durations[i] as u32,
            })
            .collect();
        if windows.is_empty() {
            continue;
        }
        let total: u32 = windows.iter().map(|w| w.duration_us).sum();
        schedules
            .push(Schedule {
                core: CoreId(core),
                major_frame_us: total + s.idle as u32,
                windows,
            })
            .unwrap();
    }
    System {
        platform: Platform {
            name: name("board", 0),
            cores: s.cores,
            mpu_regions: 16,
        },
        hypervisor: Hypervisor {
            console_base: 0xE020_5000,
            console_size: 0x1000,
            static_regions: 4,
            transient_slots: s.transient,
        },
        partitions,
        channels,
        schedules,
    }
}

fn encoded(system: &System) -> Vec<u8> {
    let mut buf = vec![0u8; 64 * 1024];
    let len = blob::encode(system, &mut buf).expect("valid system encodes");
    buf.truncate(len);
    buf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_systems_round_trip(s in shape()) {
        let system = build(&s);
        prop_assert_eq!(system.check(), Ok(()));
        let bytes = encoded(&system);
        prop_assert_eq!(blob::decode(&bytes), Ok(system));
    }

    #[test]
    fn any_single_bit_flip_is_refused(s in shape(), bit in any::<prop::sample::Index>()) {
        let mut bytes = encoded(&build(&s));
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(blob::decode(&bytes).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = blob::decode(&bytes);
    }

    /// The hand-written body reader and postcard's serde decoding agree on
    /// every body: a valid one, one with a byte changed, cut short or
    /// extended.
    #[test]
    fn the_body_reader_agrees_with_postcard_on_valid_and_damaged_bodies(
        s in shape(),
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let body = encoded(&build(&s))[HEADER_LEN..].to_vec();
        let mut changed = body.clone();
        let i = at.index(changed.len());
        changed[i] = value;
        let short = &body[..cut.index(body.len())];
        let mut long = body.clone();
        long.push(value);
        for b in [&body[..], &changed[..], short, &long[..]] {
            prop_assert_eq!(hypcfg::body::decode_system(b), postcard_body(b));
        }
    }

    /// The same on arbitrary bytes, and on bodies that start like a real one.
    #[test]
    fn the_body_reader_agrees_with_postcard_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        s in shape(),
        keep in any::<prop::sample::Index>(),
    ) {
        prop_assert_eq!(hypcfg::body::decode_system(&bytes), postcard_body(&bytes));
        let body = encoded(&build(&s))[HEADER_LEN..].to_vec();
        let mut mixed = body[..keep.index(body.len())].to_vec();
        mixed.extend_from_slice(&bytes);
        prop_assert_eq!(hypcfg::body::decode_system(&mixed), postcard_body(&mixed));
    }
}

/// A body decoded by postcard itself (serde `Deserialize`), consumed exactly.
fn postcard_body(body: &[u8]) -> Option<System> {
    match postcard::take_from_bytes::<System>(body) {
        Ok((system, [])) => Some(system),
        _ => None,
    }
}

/// A fixed system with every kind of element, for the exhaustive tests.
fn sample() -> System {
    build(&Shape {
        cores: 2,
        transient: 4,
        parts: vec![
            (0, vec![16, 32, 4], 0b1010, 3, 2, Some(100)),
            (1, vec![8, 8], 0, 0, 1, None),
            (0, vec![64], 0, 7, 0, Some(64)),
        ],
        channels: vec![(0, 1, 64, 8), (1, 1, 16, 4)],
        durations: vec![1000; MAX_PARTITIONS],
        idle: 10,
    })
}

#[test]
fn every_single_bit_flip_of_a_blob_is_refused() {
    let bytes = encoded(&sample());
    for bit in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        let err = blob::decode(&b).expect_err("a corrupted blob must be refused");
        // Header bits are caught by the header checks, body bits by the CRC.
        if bit / 8 >= HEADER_LEN {
            assert!(matches!(err, BlobError::BadCrc { .. }), "bit {bit}: {err:?}");
        }
    }
}

#[test]
fn truncated_and_extended_blobs_are_refused() {
    let bytes = encoded(&sample());
    for len in 0..bytes.len() {
        let err = blob::decode(&bytes[..len]).unwrap_err();
        let expect_truncated = len < HEADER_LEN;
        assert_eq!(
            matches!(err, BlobError::Truncated),
            expect_truncated,
            "len {len}: {err:?}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        blob::decode(&longer),
        Err(BlobError::LengthMismatch { .. })
    ));
}

#[test]
fn header_fields_are_checked_in_order() {
    let bytes = encoded(&sample());
    assert_eq!(&bytes[..4], b"RHYP");
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), blob::FORMAT_VERSION);
    let mut b = bytes.clone();
    b[4] = 2;
    assert_eq!(blob::decode(&b), Err(BlobError::UnsupportedVersion(2)));
    let mut b = bytes.clone();
    b[6] = 1;
    assert_eq!(blob::decode(&b), Err(BlobError::UnknownFlags(1)));
    let mut b = bytes.clone();
    b[0] = b'X';
    assert_eq!(blob::decode(&b), Err(BlobError::BadMagic));
}

/// Re-encodes a body with a valid header, so the checks after the CRC run.
fn with_header(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"RHYP");
    out.extend_from_slice(&blob::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&hypcfg::crc32::crc32(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn a_well_framed_invalid_system_is_refused_by_the_recheck() {
    let mut s = sample();
    s.partitions[1].core = CoreId(7);
    let body = postcard::to_allocvec(&s).unwrap();
    assert_eq!(
        blob::decode(&with_header(&body)),
        Err(BlobError::Invalid(hypcfg::check::CheckError::PartitionCore {
            partition: 1
        }))
    );
    // An encoder never writes an invalid system.
    let mut buf = [0u8; 4096];
    assert!(matches!(blob::encode(&s, &mut buf), Err(BlobError::Invalid(_))));
}

#[test]
fn trailing_body_bytes_and_garbage_bodies_are_malformed() {
    let mut body = postcard::to_allocvec(&sample()).unwrap();
    body.push(0);
    assert_eq!(blob::decode(&with_header(&body)), Err(BlobError::Malformed));
    assert_eq!(blob::decode(&with_header(&[0xFF; 40])), Err(BlobError::Malformed));
}

#[test]
fn small_buffers_are_refused_not_overrun() {
    let s = sample();
    let need = encoded(&s).len();
    for len in [0, HEADER_LEN - 1, HEADER_LEN, need - 1] {
        let mut buf = vec![0u8; len];
        assert_eq!(
            blob::encode(&s, &mut buf),
            Err(BlobError::BufferTooSmall),
            "len {len}"
        );
    }
}

#[test]
fn blob_len_finds_the_blob_in_a_larger_area() {
    let system = hypcfg::front::check_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/demo.toml"
    )))
    .compiled
    .expect("demo is valid")
    .system;
    let mut area = vec![0xFFu8; 64 * 1024];
    let n = hypcfg::blob::encode(&system, &mut area).expect("encode");
    assert_eq!(hypcfg::blob::blob_len(&area), Some(n));
    assert_eq!(hypcfg::blob::decode(&area[..n]).expect("decode"), system);
    assert_eq!(hypcfg::blob::blob_len(&area[..5]), None);
}
