//! Test: receives `copysend`'s messages (every length, every offset) into
//! buffers at every byte offset of a word, and checks each message's bytes
//! and that no byte around it changed.
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// Each channel with its largest message (as in `ipc_copy.toml`).
const CHANNELS: [(u32, u32); 2] = [(hv::CHAN_RX_ALIGNED, 40), (hv::CHAN_RX_ODD, 41)];
/// What the bytes around the receive buffer hold.
const CANARY: u8 = 0xEE;

/// Byte `i` of the message `copysend` sent (same function there).
fn pattern(ch: u32, len: u32, off: u32, i: u32) -> u8 {
    (ch * 31 + len * 7 + off * 3 + i * 13 + 1) as u8
}

/// A word-aligned buffer, so that `roff` is the receive buffer's offset
/// in a word.
#[repr(C, align(4))]
struct Buf([u8; 64]);

fn main() -> u32 {
    let mut buf = Buf([0; 64]);
    let mut got = 0u32;
    for &(ch, max) in CHANNELS.iter() {
        for len in 0..=max {
            for off in 0..4u32 {
                let roff = ((len + off) % 4) as usize;
                buf.0.fill(CANARY);
                let n = loop {
                    match hvc::recv(ch, &mut buf.0[roff..roff + 48]) {
                        Ok(n) => break n as u32,
                        Err(Status::QueueEmpty) => hvc::yield_now(),
                        Err(e) => {
                            println!("recv of {} bytes on {}: {:?}", len, ch, e);
                            return 1;
                        }
                    }
                };
                let body_ok = (0u32..)
                    .zip(&buf.0[roff..roff + n as usize])
                    .all(|(i, &b)| b == pattern(ch, len, off, i));
                let around_ok = buf.0[..roff]
                    .iter()
                    .chain(&buf.0[roff + n as usize..])
                    .all(|&b| b == CANARY);
                if n != len || !body_ok || !around_ok {
                    println!(
                        "message of {} bytes (offset {} -> {}) on {}: got {} bytes, body {}, around {}",
                        len, off, roff, ch, n, body_ok, around_ok
                    );
                    return 1;
                }
                got += 1;
            }
        }
    }
    println!("received {} messages of every size and alignment intact", got);
    0
}
