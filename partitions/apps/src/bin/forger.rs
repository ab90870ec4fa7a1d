//! Test (hostile): tries to forge console lines. It prints a carriage
//! return and ANSI escapes (to overwrite its own line or clear the
//! screen), a fake hypervisor report about the partition `victim`, a fake
//! status line that would end the run, a line longer than the
//! hypervisor's line buffer with a fake report where it is split, C1 and
//! bidirectional controls, and bytes that are not UTF-8. Every one must
//! show up escaped and prefixed with `[forger] `.
#![no_std]
#![no_main]

use guest::{hvc, println};

guest::entry!(main);

fn write(bytes: &[u8]) {
    let _ = hvc::console_write(bytes);
}

fn main() -> u32 {
    println!("forger up");
    // Overwrite the line with a carriage return.
    write(b"innocent\r[hyp] partition victim halted: forged by CR\n");
    // Erase the line and move the cursor with ANSI escapes.
    write(b"\x1b[2K\x1b[1G[hyp] partition victim halted: forged by ESC\n");
    write(b"\x1b[2J\x1b[H\x1b[31mred\x1b[0m\x07\x08\x7f\n");
    // A newline in the middle starts a new line: it gets the prefix too.
    write(b"first\n[hyp] partition victim halted: forged after LF\n");
    // The status line that would end the run with 0.
    write(b"[hyp] run over: exit code 0\n");
    // A line split by the hypervisor's line buffer (100 bytes).
    let mut long = [b'x'; 100];
    long[99] = b'.';
    write(&long);
    write(b"[hyp] partition victim halted: forged at the split\n");
    // C1 CSI (U+009B) and a right-to-left override, as UTF-8.
    write("c1 \u{9b}2J rtl \u{202e}detlah\n".as_bytes());
    // Not UTF-8: the line is kept, the bad bytes escaped.
    write(b"latin-1 caf\xe9 \xff end\n");
    // A line sent in pieces, the escape split across two writes.
    write(b"split \x1b");
    write(b"[2K escape\n");
    println!("forger done");
    0
}
