//! Message text packed at compile time: about half the bytes of the plain
//! strings, unpacked only when printed.
//!
//! The hypervisor's messages (its console lines, the error texts it shares
//! with the host tools) were about 9.7 KiB of its image, a sixth of the
//! code budget. [`text!`](crate::text!) packs a string literal while the
//! crate compiles, with byte-pair coding: each code byte ([`code_byte`]:
//! `0x80 | i`, then the control bytes no message has) stands for the two
//! symbols of [`PAIRS`]`[i]` (bytes, or codes themselves), and the pairs
//! are applied in table order, so unpacking is a short loop with a
//! small stack and no allocation. A `{}` placeholder is the single byte
//! [`HOLE`], so a template is scanned for its arguments while it unpacks
//! ([`crate::text::write`]). Packed text ends with [`END`], so a [`Text`]
//! is a single pointer: tables of names and every use are a word smaller
//! than with a `&str` (1.5 KiB of the image).
//!
//! The table only decides how well text packs, never what it says: any
//! table unpacks every text to exactly its literal (the unit tests check
//! it on arbitrary ASCII). `tests/packed_pairs.rs` trains a fresh table on
//! the literals in the sources and fails, printing it, when the one here
//! has fallen more than 2 % of the text behind.

use crate::text::Out;

/// The byte a `{}` placeholder packs to (packed text has no NUL).
pub const HOLE: u8 = 0;

/// The byte that ends packed text (`DEL`, which no message has): a
/// [`Text`] is one pointer, not a pointer and a length, which saves a
/// word in every table of names and an instruction at every use.
pub const END: u8 = 0x7F;

/// How many pairs a table may have: the 128 bytes from `0x80`, and the
/// 29 control bytes other than NUL ([`HOLE`]), tab and line feed.
pub const MAX_PAIRS: usize = 157;

/// The byte that stands for pair `i` (below [`MAX_PAIRS`]).
pub const fn code_byte(i: usize) -> u8 {
    match i {
        0..128 => 0x80 | i as u8,
        128..136 => (i - 127) as u8, // 0x01..=0x08
        _ => (i - 136) as u8 + 0x0B, // 0x0B..=0x1F
    }
}

/// The pair that code byte `c` stands for; `None` for a plain byte.
const fn code_index(c: u8) -> Option<usize> {
    match c {
        0x80..=0xFF => Some((c & 0x7F) as usize),
        0x01..=0x08 => Some(c as usize + 127),
        0x0B..=0x1F => Some(c as usize - 0x0B + 136),
        _ => None,
    }
}

/// The longest literal [`text!`](crate::text!) takes, in bytes.
pub const MAX_TEXT: usize = 512;

/// Stack depth unpacking needs: the deepest code's nesting plus one.
const DEPTH: usize = 16;

/// Text packed by [`text!`](crate::text!): print it with [`Text::write`]
/// or as an argument ([`crate::text::Arg::Text`]); `Display` on the host.
///
/// The first byte of a `'static` array that ends with [`END`] and has no
/// other `END` ([`Text::from_packed`] checks it).
#[derive(Clone, Copy)]
pub struct Text(*const u8);

// SAFETY: a `Text` only reads `'static` bytes that nothing writes.
unsafe impl Sync for Text {}
// SAFETY: as above.
unsafe impl Send for Text {}

impl Text {
    /// Text from bytes [`pack`] made, [`END`] last; `text!` is the way to
    /// get one. Other bytes stop the build (in a constant) or panic.
    #[doc(hidden)]
    pub const fn from_packed(bytes: &'static [u8]) -> Text {
        let mut i = 0;
        while i + 1 < bytes.len() {
            assert!(bytes[i] != END, "packed text has one END, last");
            i += 1;
        }
        assert!(i < bytes.len() && bytes[i] == END, "packed text ends with END");
        Text(bytes.as_ptr())
    }

    /// The packed bytes, [`END`] last.
    pub fn packed(self) -> &'static [u8] {
        let mut len = 1;
        // SAFETY: `from_packed` took a `'static` array whose only END is
        // its last byte, so every byte up to that END is inside it.
        while unsafe { *self.0.wrapping_add(len - 1) } != END {
            len += 1;
        }
        // SAFETY: the same array, from its start to its END.
        unsafe { core::slice::from_raw_parts(self.0, len) }
    }

    /// Whether the text is empty.
    pub fn is_empty(self) -> bool {
        self.packed().len() == 1
    }

    /// Writes the text to `o`, a placeholder as `{}`.
    pub fn write(self, o: &mut dyn Out) {
        self.unpack(o, None)
    }

    /// Writes the text to `o`, one [`Out::ascii`] per character; each
    /// placeholder writes the next of `args` if there are any (`Some`),
    /// and `{}` if not (`None`).
    pub(crate) fn unpack(
        self,
        o: &mut dyn Out,
        mut args: Option<core::slice::Iter<'_, crate::text::Arg<'_>>>,
    ) {
        let mut stack = [0u8; DEPTH];
        for &byte in self.packed() {
            let mut top: usize = 1;
            stack[0] = byte;
            while let Some(&c) = top.checked_sub(1).and_then(|t| stack.get(t)) {
                top -= 1;
                if let Some(i) = code_index(c) {
                    // A code: its pair, first symbol on top. `pack` makes
                    // no code past the table, and the table check bounds
                    // the depth, so neither `get` fails.
                    if let (Some(&(first, second)), Some([a, b])) =
                        (PAIRS.get(i), stack.get_mut(top..top + 2))
                    {
                        (*a, *b) = (second, first);
                        top += 2;
                    }
                } else if c == END {
                    return; // the last byte (no pair holds END)
                } else if c != HOLE {
                    o.ascii(c);
                } else if let Some(args) = args.as_mut() {
                    if let Some(a) = args.next() {
                        a.write(o)
                    }
                } else {
                    o.str("{}")
                }
            }
        }
    }
}

impl core::fmt::Display for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::text::display(crate::text::Arg::Text(*self), f)
    }
}

/// Texts are equal when their packed bytes are (equal literals pack alike).
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.packed() == other.packed()
    }
}

impl Eq for Text {}

impl core::hash::Hash for Text {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.packed().hash(state)
    }
}

impl core::fmt::Debug for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("\"")?;
        crate::text::display(crate::text::Arg::Text(*self), f)?;
        f.write_str("\"")
    }
}

/// Packs `s` (printable ASCII and line feeds, shorter than [`MAX_TEXT`]
/// bytes; anything else stops the build): the packed bytes, [`END`] last, in the
/// first `.1` of `.0`.
pub const fn pack(s: &str) -> ([u8; MAX_TEXT], usize) {
    let src = s.as_bytes();
    assert!(src.len() < MAX_TEXT, "text! takes less than MAX_TEXT bytes");
    let mut buf = [0u8; MAX_TEXT];
    let (mut n, mut i) = (0, 0);
    while i < src.len() {
        let c = src[i];
        assert!(
            (c >= b' ' || c == b'\n') && c < END,
            "text! takes printable ASCII and line feeds"
        );
        if c == b'{' && i + 1 < src.len() && src[i + 1] == b'}' {
            buf[n] = HOLE;
            i += 2;
        } else {
            buf[n] = c;
            i += 1;
        }
        n += 1;
    }
    let mut code = 0;
    while code < PAIRS.len() {
        let (first, second) = PAIRS[code];
        let (mut r, mut w) = (0, 0);
        while r < n {
            if r + 1 < n && buf[r] == first && buf[r + 1] == second {
                buf[w] = code_byte(code);
                r += 2;
            } else {
                buf[w] = buf[r];
                r += 1;
            }
            w += 1;
        }
        n = w;
        code += 1;
    }
    buf[n] = END;
    (buf, n + 1)
}

/// The first `N` bytes of `full`: [`pack`]'s result cut to its length.
pub const fn take<const N: usize>(full: &[u8; MAX_TEXT]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = full[i];
        i += 1;
    }
    out
}

/// How deep code `c`'s unpacking nests (a plain byte is 0).
const fn depth(c: u8) -> usize {
    let Some(i) = code_index(c) else { return 0 };
    let (a, b) = PAIRS[i];
    let (da, db) = (depth(a), depth(b));
    1 + if da > db { da } else { db }
}

/// Whether `c` may be a symbol of pair `i`: a byte `pack` takes, or the
/// code of an earlier pair.
const fn symbol_ok(c: u8, i: usize) -> bool {
    match code_index(c) {
        Some(j) => j < i,
        None => (c >= b' ' || c == b'\n') && c != END,
    }
}

/// Checks the table: at most [`MAX_PAIRS`] pairs, each made of bytes
/// `pack` takes or of earlier codes, none nested deeper than the
/// unpacking stack holds.
const _: () = {
    assert!(PAIRS.len() <= MAX_PAIRS);
    let mut i = 0;
    while i < PAIRS.len() {
        let (a, b) = PAIRS[i];
        assert!(symbol_ok(a, i) && symbol_ok(b, i));
        assert!(depth(code_byte(i)) < DEPTH - 1);
        i += 1;
    }
};

/// Packs a string literal into a [`Text`] while the crate compiles:
/// `text!("the range is empty")`. The literal is ASCII without NUL, at
/// most [`MAX_TEXT`] bytes; `{}` in it is a placeholder.
#[macro_export]
macro_rules! text {
    ($s:literal) => {{
        const FULL: ([u8; $crate::packed::MAX_TEXT], usize) = $crate::packed::pack($s);
        const PACKED: [u8; FULL.1] = $crate::packed::take(&FULL.0);
        const TEXT: $crate::packed::Text = $crate::packed::Text::from_packed(&PACKED);
        TEXT
    }};
}

/// The byte pairs, in the order [`pack`] applies them: code
/// [`code_byte`]`(i)` is pair `i`. Trained on the project's messages by
/// `tests/packed_pairs.rs`, which prints a fresh table when this one falls
/// behind.
pub const PAIRS: [(u8, u8); 157] = [
    (b'e', b' '),
    (b's', b' '),
    (b'o', b'r'),
    (b't', b' '),
    (b'o', b'n'),
    (b't', b'i'),
    (b'e', b'd'),
    (b't', b'h'),
    (b'r', b'e'),
    (b'e', b'r'),
    (b'i', b'n'),
    (b'I', b'C'),
    (b's', b't'),
    (b'a', b'n'),
    (0x87, 0x80),
    (b'a', b'r'),
    (b'i', 0x81),
    (b'm', b'a'),
    (b'G', 0x8b),
    (b'y', b'p'),
    (0x85, 0x84),
    (b'n', b'o'),
    (b' ', b'a'),
    (b' ', 0x88),
    (b' ', 0x8e),
    (b'h', 0x93),
    (b'g', b'i'),
    (b'u', b'n'),
    (b' ', b'c'),
    (0x86, b' '),
    (0x8f, 0x85),
    (b'p', 0x9e),
    (b'u', b's'),
    (0x9f, 0x94),
    (0x95, 0x83),
    (b'e', b'n'),
    (b',', b' '),
    (b'[', 0x99),
    (b'l', b'a'),
    (0xa5, b']'),
    (b':', b' '),
    (0x82, b' '),
    (0x97, 0x9a),
    (b'D', b'B'),
    (b'e', b'm'),
    (b'p', b'p'),
    (0x82, 0x80),
    (b'f', 0xa0),
    (b'i', b't'),
    (b'l', b'o'),
    (0xab, b'G'),
    (b'a', b'd'),
    (b'c', b'h'),
    (b'r', 0x8d),
    (0xaf, 0x86),
    (b'e', b's'),
    (b'i', b's'),
    (0x8a, b'g'),
    (0x92, b'D'),
    (0xa7, b' '),
    (b'P', b'M'),
    (0x92, b'R'),
    (0xba, b'_'),
    (b' ', b't'),
    (b'C', b'R'),
    (b'E', b'R'),
    (b'd', b'o'),
    (b'g', 0x80),
    (0xbd, b'_'),
    (b' ', 0x90),
    (b'a', b'l'),
    (b'v', 0x89),
    (0x88, 0xb6),
    (b' ', b'('),
    (b' ', b's'),
    (b'e', b'x'),
    (b's', b'i'),
    (b'u', b'l'),
    (0xaa, 0x84),
    (b' ', 0xa1),
    (b'P', b'U'),
    (b';', b' '),
    (b'E', b'N'),
    (b'M', 0xd0),
    (0x91, b'p'),
    (0x9c, 0xae),
    (b'<', b'n'),
    (b'a', b't'),
    (b'o', b'd'),
    (0xd6, b'>'),
    (b'r', b'a'),
    (b't', 0x86),
    (b'a', b'b'),
    (b'i', 0x83),
    (b't', b'o'),
    (b' ', b' '),
    (b' ', b'm'),
    (b' ', b'o'),
    (b' ', 0x8c),
    (b'D', b'R'),
    (b'b', b'u'),
    (b'e', 0x81),
    (b'f', b'a'),
    (b's', b'e'),
    (0x82, b'e'),
    (0xdc, b'l'),
    (b' ', 0x8a),
    (b'E', b'L'),
    (b'c', b'c'),
    (b'c', 0x94),
    (b'i', 0x91),
    (b'o', b'u'),
    (0x87, 0x90),
    (0x89, b'v'),
    (0x8c, 0x89),
    (0x96, b'b'),
    (0xb0, 0x81),
    (0xc2, b'w'),
    (0xec, 0xb7),
    (b' ', 0xa9),
    (b'T', b'R'),
    (b'b', 0xb1),
    (b'r', b'u'),
    (0x88, b's'),
    (0xb2, b'D'),
    (0xd7, b'a'),
    (0xe6, 0xcd),
    (0xf3, 0x82),
    (b' ', b'w'),
    (b':', 0x98),
    (b'G', b'I'),
    (b'L', b'R'),
    (b'a', b's'),
    (b'd', b'e'),
    (b'f', 0x82),
    (b'p', 0x81),
    (b't', 0xb4),
    (0xaa, 0xf2),
    (0xad, 0x9d),
    (0xb5, 0xc3),
    (b'S', 0x03),
    (b'a', 0x85),
    (0x10, b'c'),
    (b'd', 0xfd),
    (b'i', b'c'),
    (b'o', b'f'),
    (0x89, b' '),
    (0x8d, b' '),
    (0x9b, 0xd4),
    (0xb5, 0xcc),
    (0x18, 0xa3),
    (0xc5, 0xa2),
    (0xc8, 0xa8),
    (0xee, 0xc3),
    (0xf9, b'b'),
    (b'H', 0x93),
    (b'R', b'O'),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn unpacked(bytes: &'static [u8]) -> String {
        let mut s = String::new();
        Text::from_packed(bytes).write(&mut s);
        s
    }

    fn packed(s: &str) -> &'static [u8] {
        let (full, n) = pack(s);
        Box::leak(full[..n].to_vec().into_boxed_slice())
    }

    #[test]
    fn every_text_unpacks_to_its_literal() {
        for s in [
            "",
            "a",
            "{}",
            "{",
            "}",
            "{{}}",
            "partition {} halted",
            "\n*** x\n",
            "the the the",
        ] {
            assert_eq!(unpacked(packed(s)), s);
        }
    }

    #[test]
    fn a_literal_packs_at_compile_time() {
        let t = crate::text!("refused: the range is empty; {} is {}");
        assert_eq!(t.to_string(), "refused: the range is empty; {} is {}");
        assert_eq!(format!("{t:?}"), "\"refused: the range is empty; {} is {}\"");
    }

    #[test]
    fn a_placeholder_takes_the_next_argument() {
        let mut s = String::new();
        crate::text::write(&mut s, crate::text!("{} of {}{"), &[crate::text::Arg::Dec(1)]);
        assert_eq!(s, "1 of {");
    }

    #[test]
    fn bytes_without_one_end_last_are_refused() {
        assert!(std::panic::catch_unwind(|| pack("a\x7fb")).is_err());
        assert!(std::panic::catch_unwind(|| pack("a\tb")).is_err());
        assert!(std::panic::catch_unwind(|| Text::from_packed(b"ab")).is_err());
        assert!(std::panic::catch_unwind(|| Text::from_packed(&[b'a', END, b'b', END])).is_err());
        assert!(std::panic::catch_unwind(|| Text::from_packed(&[])).is_err());
        let t = Text::from_packed(&[b'a', END]);
        assert_eq!(
            (t.to_string(), t.packed().len(), t.is_empty()),
            ("a".into(), 2, false)
        );
        assert!(crate::text!("").is_empty());
    }

    #[test]
    fn equal_texts_are_equal_wherever_they_are() {
        let a = crate::text!("permission fault");
        let b = Text::from_packed(a.packed().to_vec().leak());
        assert_ne!(a.packed().as_ptr(), b.packed().as_ptr());
        assert_eq!(a, b);
        assert_ne!(a, crate::text!("permission faul"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_ascii_round_trips(s in "[\\n\\x20-\\x7e]{0,300}") {
            let out = unpacked(packed(&s));
            proptest::prop_assert_eq!(out, s);
        }
    }
}
