//! Test: checks every channel error code, then floods the `flood` channel
//! with numbered, checksummed messages for the ponger on the other core.
//! Channels (tools/runner/tests/systems/ipc.toml): 0 = flood (pinger ->
//! ponger, 32-byte messages), 1 = reply (ponger -> pinger).
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

const FLOOD: u32 = hv::CHAN_TX_FLOOD;
const REPLY: u32 = hv::CHAN_RX_REPLY;
/// Channel `local`: pinger -> samecore, on this same core.
const LOCAL: u32 = hv::CHAN_TX_LOCAL;
const COUNT: u32 = 10_000;

fn expect(what: &str, got: Result<impl Sized, Status>, want: Status) -> bool {
    let got = got.err();
    let ok = got == Some(want);
    println!(
        "{}: {:?} ({})",
        what,
        got,
        if ok { "as expected" } else { "WRONG" }
    );
    ok
}

/// Message `seq`: seq, three words derived from it, and their sum.
fn message(seq: u32) -> [u8; 20] {
    let words = [seq, seq.wrapping_mul(2_654_435_761), !seq, seq ^ 0x5A5A_5A5A];
    let sum = words.iter().fold(0u32, |a, w| a.wrapping_add(*w));
    let mut m = [0u8; 20];
    for (i, w) in words.iter().chain([sum].iter()).enumerate() {
        m[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    m
}

fn main() -> u32 {
    let mut ok = true;
    ok &= expect(
        "send on the receiver's channel",
        hvc::send(REPLY, b"x"),
        Status::NotOwner,
    );
    ok &= expect(
        "send an oversized message",
        hvc::send(FLOOD, &[0u8; 33]),
        Status::MessageTooLarge,
    );
    ok &= expect(
        "send from a bad buffer",
        hvc::check(hvc::raw(0x10, FLOOD, 0x1000_0000, 4)[0]),
        Status::BadPointer,
    );
    ok &= expect(
        "recv on its own send channel",
        hvc::recv(FLOOD, &mut [0u8; 32]),
        Status::NotOwner,
    );
    ok &= expect(
        "send on a channel that does not exist",
        hvc::send(9, b"x"),
        Status::NoChannel,
    );
    ok &= expect(
        "recv from an empty queue",
        hvc::recv(REPLY, &mut [0u8; 16]),
        Status::QueueEmpty,
    );
    for seq in 0..100u32 {
        while let Err(e) = hvc::send(LOCAL, &seq.to_le_bytes()) {
            if e != Status::QueueFull {
                println!("same-core send #{} failed: {:?}", seq, e);
                return 1;
            }
            hvc::yield_now();
        }
    }
    let mut full = 0u32;
    for seq in 0..COUNT {
        let m = message(seq);
        loop {
            match hvc::send(FLOOD, &m) {
                Ok(()) => break,
                Err(Status::QueueFull) => {
                    full += 1;
                    hvc::yield_now();
                }
                Err(e) => {
                    println!("send #{} failed: {:?}", seq, e);
                    return 1;
                }
            }
        }
    }
    println!("sent {} messages (queue was full {} times)", COUNT, full);
    let mut buf = [0u8; 16];
    loop {
        match hvc::recv(REPLY, &mut buf) {
            Ok(n) => {
                let got = u32::from_le_bytes(buf[..4].try_into().unwrap_or([0; 4]));
                println!("ponger confirms {} messages ({} bytes)", got, n);
                ok &= got == COUNT;
                break;
            }
            Err(Status::QueueEmpty) => hvc::yield_now(),
            Err(e) => {
                println!("reply failed: {:?}", e);
                return 1;
            }
        }
    }
    if ok {
        0
    } else {
        1
    }
}
