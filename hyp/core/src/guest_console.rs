//! What the hypervisor prints for a partition: its console output cut into
//! lines, each shown as `[name] text` with every control character escaped,
//! and rate-limited, so that no partition can move the terminal's cursor,
//! forge another partition's or the hypervisor's line, or drown the others'
//! output (`docs/security.md`, "Console").
//!
//! - **Escaping** ([`Escaped`]): `\t` passes; every other C0 control
//!   (below 0x20, so `\r` and `ESC` too), `DEL`, bytes that are not UTF-8
//!   are shown as `\xNN`; C1 controls (U+0080..U+009F, which some terminals
//!   obey as 8-bit `CSI`), the bidirectional overrides and the Unicode line
//!   and paragraph separators as `\u{NNNN}`. A backslash is shown as is, so
//!   a partition can print text that looks like an escape, but never
//!   anything the terminal acts on.
//! - **Lines** ([`ConsoleLine`]): `\n` ends a line; a line longer than
//!   [`LINE_MAX`] bytes is split, and each part is printed as a line of its
//!   own with the prefix, cut at a character boundary.
//! - **Rate** ([`RateLimit`]): a partition may print a burst of
//!   [`BURST_LINES`] lines, then [`LINES_PER_SECOND`] lines per second of
//!   counter time; lines beyond the budget are dropped and counted, and
//!   the count is printed (`... N lines suppressed`) before its next line
//!   that fits the budget, or when it stops. The hypervisor's own lines do
//!   not go through this and are never limited.

use core::fmt;

use hypcfg::text::{self, Arg, Show};

use heapless::Vec;

/// Longest console line kept per partition, in bytes, before it is
/// printed anyway (the rest continues on a line with the prefix).
pub const LINE_MAX: usize = 100;

/// Lines a partition may print at once before the rate applies.
pub const BURST_LINES: u32 = 64;

/// Lines per second of counter time a partition may print once its burst
/// is spent.
pub const LINES_PER_SECOND: u32 = 50;

/// Whether `c` is shown escaped rather than sent to the terminal.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}'
        // Bidirectional marks, embeddings, overrides and isolates, which
        // reorder what is shown around them.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators, which some viewers break lines at.
        | '\u{2028}' | '\u{2029}')
}

/// Bytes a partition printed, shown with every control character escaped
/// (see the module documentation); its `Display` output never contains a
/// control character other than `\t`.
#[derive(Clone, Copy, Debug)]
pub struct Escaped<'a>(pub &'a [u8]);

/// The length and value of the well-formed UTF-8 character `bytes` starts
/// with, if it starts with one: no overlong form, no surrogate, at most
/// U+10FFFF (what `str::from_utf8` accepts).
fn next_char(bytes: &[u8]) -> Option<(usize, u32)> {
    let first = u32::from(*bytes.first()?);
    // The low six bits of continuation byte `i`, if it is one.
    let cont = |i: usize| {
        bytes
            .get(i)
            .filter(|&&b| b & 0xC0 == 0x80)
            .map(|&b| u32::from(b & 0x3F))
    };
    // Each length has a least value: below it is an overlong form.
    let (len, least, c) = match first {
        0x00..=0x7F => return Some((1, first)),
        0xC2..=0xDF => (2, 0x80, ((first & 0x1F) << 6) | cont(1)?),
        0xE0..=0xEF => (3, 0x800, ((first & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?),
        0xF0..=0xF4 => (
            4,
            0x1_0000,
            ((first & 0x07) << 18) | (cont(1)? << 12) | (cont(2)? << 6) | cont(3)?,
        ),
        _ => return None,
    };
    // Not overlong, not a surrogate, at most U+10FFFF.
    (c >= least && !(0xD800..=0xDFFF).contains(&c) && c <= 0x10_FFFF).then_some((len, c))
}

impl Show for Escaped<'_> {
    fn show(&self, o: &mut dyn text::Out) {
        let mut rest = self.0;
        while !rest.is_empty() {
            let (len, escape) = match next_char(rest).map(|(len, c)| (len, char::from_u32(c))) {
                Some((len, Some(c))) if !needs_escape(c) => {
                    o.str(c.encode_utf8(&mut [0; 4]));
                    (len, None)
                }
                Some((len, c)) => {
                    let c = c.map_or(0, |c| c as u32);
                    (
                        len,
                        Some(if c < 0x80 {
                            (hypcfg::text!("\\x{}"), c, 2)
                        } else {
                            (hypcfg::text!("\\u{{}}"), c, 4)
                        }),
                    )
                }
                // A byte that is not part of a UTF-8 character.
                None => (
                    1,
                    rest.first().map(|&b| (hypcfg::text!("\\x{}"), u32::from(b), 2)),
                ),
            };
            if let Some((template, c, digits)) = escape {
                text::write(o, template, &[Arg::Digits(c, digits)]);
            }
            rest = rest.get(len..).unwrap_or(&[]);
        }
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        text::display(self.into(), f)
    }
}

/// The rate budget of one partition's console lines: a token bucket kept
/// in counter ticks (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Ticks of credit; a line costs one period (`frequency /
    /// LINES_PER_SECOND` ticks), at most [`BURST_LINES`] periods are kept.
    /// `None` until the first line (then the bucket is full).
    credit: Option<u64>,
    /// Counter value of the last refill.
    last: u64,
    /// Lines dropped since the last one printed.
    suppressed: u32,
}

impl RateLimit {
    /// A full budget.
    pub const NEW: RateLimit = RateLimit {
        credit: None,
        last: 0,
        suppressed: 0,
    };

    /// Whether a line may be printed at counter value `now` (the counter
    /// runs at `frequency` Hz). `Some(n)`: yes, and `n` lines were dropped
    /// before it (print that first when non-zero); `None`: no, it is
    /// counted as dropped.
    pub fn admit(&mut self, now: u64, frequency: u32) -> Option<u32> {
        let period = u64::from(frequency.checked_div(LINES_PER_SECOND).unwrap_or(0).max(1));
        let cap = period.saturating_mul(u64::from(BURST_LINES));
        let credit = match self.credit {
            None => cap,
            Some(c) => c.saturating_add(now.saturating_sub(self.last)).min(cap),
        };
        self.last = now;
        if credit >= period {
            self.credit = Some(credit.saturating_sub(period)); // credit >= period
            Some(core::mem::take(&mut self.suppressed))
        } else {
            self.credit = Some(credit);
            self.suppressed = self.suppressed.saturating_add(1);
            None
        }
    }

    /// Lines dropped and not yet reported; the count starts again at 0.
    pub fn take_suppressed(&mut self) -> u32 {
        core::mem::take(&mut self.suppressed)
    }
}

/// What a partition's console output turns into, for the caller to print
/// with the partition's name as prefix.
#[derive(Clone, Copy, Debug)]
pub enum Out<'a> {
    /// One line: `[name] <line>`.
    Line(Escaped<'a>),
    /// `[name] ... <n> lines suppressed`.
    Suppressed(u32),
}

/// One partition's console: the unfinished line and its rate budget.
#[derive(Debug)]
pub struct ConsoleLine {
    buf: Vec<u8, LINE_MAX>,
    limit: RateLimit,
}

impl Default for ConsoleLine {
    fn default() -> Self {
        Self::new()
    }
}

/// Bytes at the end of `buf` that start a UTF-8 character `buf` does not
/// finish (0 to 3): they are carried over to the next line rather than cut.
fn unfinished_tail(buf: &[u8]) -> usize {
    for back in 1..=3.min(buf.len()) {
        let Some(&b) = buf.get(buf.len().wrapping_sub(back)) else {
            break;
        }; // back <= len
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        return if len > back { back } else { 0 };
    }
    0
}

impl ConsoleLine {
    /// An empty line with a full budget.
    pub const fn new() -> Self {
        ConsoleLine {
            buf: Vec::new(),
            limit: RateLimit::NEW,
        }
    }

    /// Forgets the unfinished line (a restart); the rate budget stays, so
    /// a restart does not give a partition a new burst.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Whether an unfinished line is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes `bytes` of console output at counter value `now` (`frequency`
    /// Hz) and hands every line it completes, and every count of dropped
    /// lines, to `out`. `out` is a `dyn` callback, here and in
    /// [`ConsoleLine::flush`], so the image has one copy of the line code
    /// rather than one per caller.
    pub fn push(&mut self, bytes: &[u8], now: u64, frequency: u32, out: &mut dyn FnMut(Out<'_>)) {
        for &b in bytes {
            if b == b'\n' {
                self.emit(self.buf.len(), now, frequency, out);
                continue;
            }
            if self.buf.is_full() {
                let keep = unfinished_tail(&self.buf);
                self.emit(self.buf.len().saturating_sub(keep), now, frequency, out);
            }
            let _ = self.buf.push(b);
        }
    }

    /// Prints what is buffered and reports any dropped lines (the
    /// partition stops).
    pub fn flush(&mut self, now: u64, frequency: u32, out: &mut dyn FnMut(Out<'_>)) {
        if !self.buf.is_empty() {
            self.emit(self.buf.len(), now, frequency, out);
        }
        let n = self.limit.take_suppressed();
        if n > 0 {
            out(Out::Suppressed(n));
        }
    }

    /// Emits the first `n` buffered bytes as a line (within the budget)
    /// and keeps the rest.
    fn emit(&mut self, n: usize, now: u64, frequency: u32, out: &mut dyn FnMut(Out<'_>)) {
        if let Some(dropped) = self.limit.admit(now, frequency) {
            if dropped > 0 {
                out(Out::Suppressed(dropped));
            }
            out(Out::Line(Escaped(self.buf.get(..n).unwrap_or(&self.buf))));
        }
        let rest: Vec<u8, LINE_MAX> = self
            .buf
            .get(n..)
            .map_or(Vec::new(), |r| Vec::from_slice(r).unwrap_or_default());
        self.buf = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ: u32 = 1_000_000;

    fn show(bytes: &[u8]) -> String {
        Escaped(bytes).to_string()
    }

    /// Feeds `input` at time `now` and returns what would be printed.
    fn lines(c: &mut ConsoleLine, input: &[u8], now: u64) -> std::vec::Vec<String> {
        let mut v = std::vec::Vec::new();
        c.push(input, now, HZ, &mut |o| {
            v.push(match o {
                Out::Line(e) => e.to_string(),
                Out::Suppressed(n) => format!("... {n} lines suppressed"),
            })
        });
        v
    }

    #[test]
    fn controls_are_escaped_and_tab_passes() {
        assert_eq!(show(b"a\tb"), "a\tb");
        assert_eq!(show(b"over\rwrite"), "over\\x0dwrite");
        assert_eq!(show(b"\x1b[2K\x1b[1G"), "\\x1b[2K\\x1b[1G");
        assert_eq!(show(b"\x00\x07\x08\x7f"), "\\x00\\x07\\x08\\x7f");
        // C1 CSI as UTF-8, a right-to-left override, a line separator.
        assert_eq!(show("x\u{9b}2Jy".as_bytes()), "x\\u{009b}2Jy");
        assert_eq!(show("\u{202e}txt".as_bytes()), "\\u{202e}txt");
        assert_eq!(show("a\u{2028}b".as_bytes()), "a\\u{2028}b");
        assert_eq!(show("grüße €".as_bytes()), "grüße €");
    }

    /// What `Escaped` wrote before it decoded UTF-8 itself: `utf8_chunks`,
    /// the reference the decoder is checked against.
    fn reference(bytes: &[u8]) -> String {
        let mut s = String::new();
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if !needs_escape(c) {
                    s.push(c);
                } else if (c as u32) < 0x80 {
                    s += &format!("\\x{:02x}", c as u32);
                } else {
                    s += &format!("\\u{{{:04x}}}", c as u32);
                }
            }
            for b in chunk.invalid() {
                s += &format!("\\x{b:02x}");
            }
        }
        s
    }

    #[test]
    fn escaping_is_what_utf8_chunks_makes_of_any_bytes() {
        // Every sequence of up to two bytes, and up to four bytes around
        // each UTF-8 boundary (lead bytes, the continuation range edges).
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(show(&[a, b]), reference(&[a, b]), "{a:#x} {b:#x}");
            }
        }
        let edges = [
            0x00, 0x0a, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
            0xe2, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
        ];
        for &a in &edges {
            for &b in &edges {
                for &c in &edges {
                    for &d in &edges {
                        let v = [a, b, c, d, b'x'];
                        assert_eq!(show(&v), reference(&v), "{v:x?}");
                    }
                }
            }
        }
        // Every character, alone and between ASCII.
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let v = format!("a{c}b");
            assert_eq!(show(v.as_bytes()), reference(v.as_bytes()), "{:x}", c as u32);
        }
    }

    #[test]
    fn invalid_utf8_bytes_are_escaped_one_by_one() {
        assert_eq!(show(b"caf\xe9 ok"), "caf\\xe9 ok");
        assert_eq!(show(b"\xff\xfe"), "\\xff\\xfe");
    }

    #[test]
    fn escaped_output_never_has_a_control_character() {
        let all: std::vec::Vec<u8> = (0..=255u8).collect();
        let s = show(&all);
        assert!(s.chars().all(|c| c == '\t' || !needs_escape(c)), "{s:?}");
        assert!(!s.contains('\r') && !s.contains('\n') && !s.contains('\x1b'));
    }

    #[test]
    fn newline_ends_a_line_and_each_part_of_a_long_line_is_a_line() {
        let mut c = ConsoleLine::new();
        assert_eq!(lines(&mut c, b"one\ntw", 0), ["one"]);
        assert_eq!(lines(&mut c, b"o\n", 0), ["two"]);
        let mut long = vec![b'x'; LINE_MAX];
        long.extend_from_slice(b"[hyp] forged\n");
        let out = lines(&mut c, &long, 0);
        assert_eq!(out, ["x".repeat(LINE_MAX), "[hyp] forged".into()]);
    }

    #[test]
    fn a_character_is_not_cut_where_a_long_line_is_split() {
        let mut c = ConsoleLine::new();
        let mut long = vec![b'x'; LINE_MAX - 1];
        long.extend_from_slice("é!\n".as_bytes());
        let out = lines(&mut c, &long, 0);
        assert_eq!(out, ["x".repeat(LINE_MAX - 1), "é!".into()]);
        assert_eq!(unfinished_tail(b"ab"), 0);
        assert_eq!(unfinished_tail(&[b'a', 0xE2, 0x82]), 2);
        assert_eq!(unfinished_tail(&[0xE2, 0x82, 0xAC]), 0);
        assert_eq!(unfinished_tail(&[b'a', 0x82]), 0);
    }

    #[test]
    fn restart_clears_the_line_but_not_the_budget() {
        let mut c = ConsoleLine::new();
        for _ in 0..BURST_LINES {
            lines(&mut c, b"x\n", 0);
        }
        lines(&mut c, b"half", 0);
        c.clear();
        assert!(c.is_empty());
        assert!(lines(&mut c, b"y\n", 0).is_empty(), "a restart gave a new burst");
    }

    #[test]
    fn a_burst_then_the_rate_then_the_count_of_dropped_lines() {
        let mut c = ConsoleLine::new();
        let mut printed = 0;
        for _ in 0..1000 {
            printed += lines(&mut c, b"flood\n", 0).len();
        }
        assert_eq!(printed, BURST_LINES as usize);
        // One period later, one more line fits, after the count.
        let period = u64::from(HZ / LINES_PER_SECOND);
        let out = lines(&mut c, b"later\n", period);
        assert_eq!(
            out,
            [
                format!("... {} lines suppressed", 1000 - BURST_LINES),
                "later".into()
            ]
        );
        // The sustained rate: over 10 s of steady flooding, 50 lines/s.
        let mut printed = 0;
        for ms in 0..10_000u64 {
            printed += lines(&mut c, b"f\n", period + ms * u64::from(HZ / 1000))
                .iter()
                .filter(|l| *l == "f")
                .count();
        }
        assert!((499..=501).contains(&printed), "{printed}");
    }

    #[test]
    fn flush_prints_the_unfinished_line_and_the_pending_count() {
        let mut c = ConsoleLine::new();
        for _ in 0..BURST_LINES + 3 {
            lines(&mut c, b"x\n", 0);
        }
        let mut v = std::vec::Vec::new();
        c.flush(u64::from(HZ), HZ, &mut |o| {
            v.push(match o {
                Out::Line(e) => e.to_string(),
                Out::Suppressed(n) => format!("{n} suppressed"),
            })
        });
        assert_eq!(v, ["3 suppressed"]);
        lines(&mut c, b"tail", 10 * u64::from(HZ));
        let mut v = std::vec::Vec::new();
        c.flush(10 * u64::from(HZ), HZ, &mut |o| {
            if let Out::Line(e) = o {
                v.push(e.to_string())
            }
        });
        assert_eq!(v, ["tail"]);
    }

    #[test]
    fn a_counter_going_backwards_or_a_zero_frequency_does_not_panic() {
        let mut r = RateLimit::NEW;
        assert_eq!(r.admit(1000, HZ), Some(0));
        assert!(r.admit(5, HZ).is_some());
        let mut z = RateLimit::NEW;
        assert!(z.admit(0, 0).is_some());
        assert!(z.admit(u64::MAX, u32::MAX).is_some());
    }
}
