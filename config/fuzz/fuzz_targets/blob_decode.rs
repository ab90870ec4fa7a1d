//! The hypervisor's blob decoder on arbitrary bytes: it must never panic,
//! and whatever it accepts must be valid and re-encode to the same system.
//!
//! The CRC stops almost every mutation at the header, so each input is
//! also framed as a body behind a valid header: that drives the postcard
//! decoder and `System::check` with arbitrary bodies.
#![no_main]

use hypcfg::blob;
use hypcfg::crc32::crc32;
use libfuzzer_sys::fuzz_target;

fn round_trip(bytes: &[u8]) {
    if let Ok(system) = blob::decode(bytes) {
        assert_eq!(system.check(), Ok(()));
        let mut buf = vec![0u8; bytes.len() + 64];
        let len = blob::encode(&system, &mut buf).expect("an accepted system re-encodes");
        assert_eq!(blob::decode(&buf[..len]), Ok(system));
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip(data);
    let mut framed = Vec::with_capacity(blob::HEADER_LEN + data.len());
    framed.extend_from_slice(&blob::MAGIC);
    framed.extend_from_slice(&blob::FORMAT_VERSION.to_le_bytes());
    framed.extend_from_slice(&0u16.to_le_bytes());
    framed.extend_from_slice(&(data.len() as u32).to_le_bytes());
    framed.extend_from_slice(&crc32(data).to_le_bytes());
    framed.extend_from_slice(data);
    round_trip(&framed);
});
