//! Test: sends, on each channel of `ipc_copy.toml`, one message of every
//! length from 0 to the channel's `msg_size`, from each of the four byte
//! offsets of a word, so that `copyrecv` sees every tail length and
//! every alignment of the hypervisor's message copy (`aligned`'s slots
//! are word-aligned, `odd`'s take every alignment).
#![no_std]
#![no_main]

use guest::abi::Status;
use guest::{hvc, println};

guest::entry!(main);
apps::partition!();

/// Each channel with its largest message (as in `ipc_copy.toml`).
const CHANNELS: [(u32, u32); 2] = [(hv::CHAN_TX_ALIGNED, 40), (hv::CHAN_TX_ODD, 41)];

/// Byte `i` of the message of `len` bytes sent from offset `off` on
/// channel `ch` (`copyrecv` has the same function).
fn pattern(ch: u32, len: u32, off: u32, i: u32) -> u8 {
    (ch * 31 + len * 7 + off * 3 + i * 13 + 1) as u8
}

/// A word-aligned buffer, so that `off` is the message's offset in a word.
#[repr(C, align(4))]
struct Buf([u8; 48]);

fn main() -> u32 {
    let mut buf = Buf([0; 48]);
    let mut sent = 0u32;
    for &(ch, max) in CHANNELS.iter() {
        for len in 0..=max {
            for off in 0..4u32 {
                let msg = &mut buf.0[off as usize..(off + len) as usize];
                for (i, b) in (0u32..).zip(msg.iter_mut()) {
                    *b = pattern(ch, len, off, i);
                }
                // copyrecv empties the queue each time it runs: a queue
                // still full after many turns means it stopped (and said why).
                let mut turns = 0;
                loop {
                    match hvc::send(ch, msg) {
                        Ok(()) => break,
                        Err(Status::QueueFull) if turns < 1000 => {
                            turns += 1;
                            hvc::yield_now();
                        }
                        Err(e) => {
                            println!("send of {} bytes at offset {} on {}: {:?}", len, off, ch, e);
                            return 1;
                        }
                    }
                }
                sent += 1;
            }
        }
    }
    println!("sent {} messages", sent);
    0
}
