//! Text without `core::fmt`: the hypervisor's console lines, and the
//! messages it shares with the host tools.
//!
//! `core::fmt` costs the hypervisor several KiB of code (the `write` loop,
//! padding, the integer `Display`s, an argument table at every print site)
//! for the few forms it prints. Here a message is a template with `{}`
//! where each argument goes ([`write`], the [`put!`](crate::put) macro),
//! and an argument is an [`Arg`]: a string, a number in decimal or in one
//! of the hexadecimal forms ([`hex8`] `0x%08x`, [`hex2`] `0x%02x`,
//! [`hex`] `0x%x`), a string or number padded to a width ([`left`],
//! [`right`]), or a [`Show`]. The template stays one string, and an
//! argument is a tag and a word or two, so a print site is about as small
//! as it can be.
//!
//! A type that is printed has one rendering, [`Show::show`]. Its
//! `core::fmt::Display` (used by the host tools and the tests) calls
//! [`display`], so every message exists once, and the host tests of the
//! `Display` check what the hypervisor prints.

use core::fmt;

/// Where text goes: the hypervisor's console, a buffer, a
/// `core::fmt::Formatter` ([`display`]).
pub trait Out {
    /// Writes `s`.
    fn str(&mut self, s: &str);
    /// Writes one ASCII character: a digit, a padding space, a character
    /// of packed text ([`crate::packed`]), a line end among them.
    fn ascii(&mut self, c: u8);
}

/// Something with one rendering as text.
pub trait Show {
    /// Writes the text to `o`.
    fn show(&self, o: &mut dyn Out);
}

/// One argument of a template: what is written where its `{}` is.
/// [`Arg::from`] makes one from a reference to a string, an unsigned
/// integer (decimal), an `Arg` (the forms below) or a [`Show`].
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// A string, as it is.
    Str(&'a str),
    /// Packed text ([`crate::packed`]), unpacked.
    Text(crate::packed::Text),
    /// A number in decimal, like `{}`.
    Dec(u32),
    /// A 64-bit number in decimal, like `{}`.
    Dec64(u64),
    /// `0x` and eight hexadecimal digits, like `{:#010x}`.
    Hex8(u32),
    /// `0x` and at least two hexadecimal digits, like `{:#04x}`.
    Hex2(u32),
    /// `0x` and the hexadecimal digits, like `{:#x}`.
    Hex(u32),
    /// At least this many hexadecimal digits, no prefix, like `{:02x}` for 2.
    Digits(u32, u8),
    /// A string left-aligned in a width, like `{:<12}`.
    Left(&'a str, u8),
    /// A number in decimal right-aligned in a width, like `{:>2}`.
    Right(u32, u8),
    /// A type's own text.
    Show(&'a dyn Show),
}

/// `value` as `0x` and eight digits, like `{:#010x}` (an address, a register).
pub const fn hex8(value: u32) -> Arg<'static> {
    Arg::Hex8(value)
}

/// `value` as `0x` and at least two digits, like `{:#04x}` (a mode, a class).
pub const fn hex2(value: u32) -> Arg<'static> {
    Arg::Hex2(value)
}

/// `value` as `0x` and its digits, like `{:#x}`.
pub const fn hex(value: u32) -> Arg<'static> {
    Arg::Hex(value)
}

/// `s` left-aligned in `width` characters, like `{:<width}`.
pub const fn left(s: &str, width: u8) -> Arg<'_> {
    Arg::Left(s, width)
}

/// `value` right-aligned in `width` characters, like `{:>width}`.
pub const fn right(value: u32, width: u8) -> Arg<'static> {
    Arg::Right(value, width)
}

impl<'a, T: Show> From<&'a T> for Arg<'a> {
    fn from(item: &'a T) -> Arg<'a> {
        Arg::Show(item)
    }
}

impl<'a> From<&&'a str> for Arg<'a> {
    fn from(s: &&'a str) -> Arg<'a> {
        Arg::Str(s)
    }
}

impl From<&crate::packed::Text> for Arg<'_> {
    fn from(t: &crate::packed::Text) -> Self {
        Arg::Text(*t)
    }
}

impl<'a> From<&Arg<'a>> for Arg<'a> {
    fn from(a: &Arg<'a>) -> Arg<'a> {
        *a
    }
}

/// The unsigned integers up to 32 bits are [`Arg::Dec`].
macro_rules! decimal {
    ($($t:ty),*) => {$(
        impl From<&$t> for Arg<'_> {
            fn from(v: &$t) -> Self {
                Arg::Dec(u32::from(*v))
            }
        }
    )*};
}
decimal!(u8, u16, u32);

impl From<&u64> for Arg<'_> {
    fn from(v: &u64) -> Self {
        Arg::Dec64(*v)
    }
}

impl From<&usize> for Arg<'_> {
    fn from(v: &usize) -> Self {
        match u32::try_from(*v) {
            Ok(v) => Arg::Dec(v),
            Err(_) => Arg::Dec64(*v as u64), // usize is at most 64 bits wide
        }
    }
}

impl From<&bool> for Arg<'_> {
    /// `true` or `false`, as `Display` writes it.
    fn from(v: &bool) -> Self {
        Arg::Str(if *v { "true" } else { "false" })
    }
}

/// Writes the digits of `v` in `radix` (at most 16), at least `min` of
/// them (zeros first), at most 32.
fn digits(o: &mut dyn Out, mut v: u32, radix: u32, min: usize) {
    let mut buf = [b'0'; 32];
    let mut n = 0;
    for slot in buf.iter_mut().rev() {
        // The digit's character computed, not looked up in a 16-byte table.
        *slot = match v.checked_rem(radix).unwrap_or(0) as u8 {
            d @ 0..=9 => b'0' + d,
            d @ 10..=15 => b'a' + (d - 10),
            _ => b'?',
        };
        v = v.checked_div(radix).unwrap_or(0);
        n += 1;
        if v == 0 && n >= min {
            break;
        }
    }
    for &c in buf.iter().skip(buf.len() - n) {
        o.ascii(c);
    }
}

/// Writes `v` in decimal, like `{}`.
pub fn dec(o: &mut dyn Out, v: u32) {
    digits(o, v, 10, 1)
}

/// Writes `v` in decimal, like `{}`: 32-bit arithmetic but for one
/// division ([`crate::div`]) per nine digits above `u32::MAX`.
fn dec64(o: &mut dyn Out, v: u64) {
    const E9: u64 = 1_000_000_000;
    match u32::try_from(v) {
        Ok(v) => dec(o, v),
        Err(_) => {
            let (high, low) = crate::div::div_rem(v, E9);
            dec64(o, high);
            digits(o, low as u32, 10, 9) // below 10^9
        }
    }
}

/// Writes `n` spaces.
fn spaces(o: &mut dyn Out, n: usize) {
    for _ in 0..n {
        o.ascii(b' ');
    }
}

impl Arg<'_> {
    /// Writes the argument to `o`.
    pub fn write(&self, o: &mut dyn Out) {
        match *self {
            Arg::Str(s) => o.str(s),
            Arg::Text(t) => t.write(o),
            Arg::Dec(v) => dec(o, v),
            Arg::Dec64(v) => dec64(o, v),
            Arg::Hex8(v) | Arg::Hex2(v) | Arg::Hex(v) => {
                o.str("0x");
                let min = match *self {
                    Arg::Hex8(_) => 8,
                    Arg::Hex2(_) => 2,
                    _ => 1,
                };
                digits(o, v, 16, min)
            }
            Arg::Digits(v, min) => digits(o, v, 16, usize::from(min)),
            Arg::Left(s, width) => {
                o.str(s);
                // Characters, as `Display`'s width counts them: the bytes
                // that do not continue a UTF-8 sequence.
                let chars = s.bytes().filter(|&b| b & 0xC0 != 0x80).count();
                spaces(o, usize::from(width).saturating_sub(chars));
            }
            Arg::Right(v, width) => {
                let mut n = 1;
                let mut rest = v;
                while rest >= 10 {
                    rest /= 10;
                    n += 1;
                }
                spaces(o, usize::from(width).saturating_sub(n));
                dec(o, v);
            }
            Arg::Show(item) => item.show(o),
        }
    }
}

/// Writes `template` to `o` with each `{}` replaced by the next of `args`
/// (a `{}` past the last argument writes nothing; no other sequence is
/// special, so `{` and `}` stand for themselves). The template is packed
/// text ([`crate::packed`]), unpacked as it is written.
pub fn write(o: &mut dyn Out, template: crate::packed::Text, args: &[Arg<'_>]) {
    template.unpack(o, Some(args.iter()))
}

/// How many `{}` `template` has: the [`put!`](crate::put) and
/// `hprintln!` macros check it against their arguments at compile time.
pub const fn placeholders(template: &str) -> usize {
    let bytes = template.as_bytes();
    let (mut n, mut at) = (0, 0);
    while at + 1 < bytes.len() {
        if bytes[at] == b'{' && bytes[at + 1] == b'}' {
            n += 1;
            at += 2;
        } else {
            at += 1;
        }
    }
    n
}

/// Writes a template and its arguments to an [`Out`]:
/// `put!(o, "{} region #{}", band, index)`. Each argument is anything
/// [`Arg::from`] takes a reference to; their number must be the number of
/// `{}` in the template.
#[macro_export]
macro_rules! put {
    ($o:expr, $template:literal $(, $arg:expr)* $(,)?) => {{
        const _: () = assert!(
            $crate::text::placeholders($template) == 0 $(+ { let _ = stringify!($arg); 1 })*,
            "the number of arguments is not the number of {{}} in the template"
        );
        $crate::text::write($o, $crate::text!($template), &[$($crate::text::Arg::from(&$arg)),*])
    }};
}

/// Writes `item` to a `core::fmt::Formatter`: the body of the `Display`
/// of every type that has a [`Show`] (width and precision of the
/// formatter are not applied).
pub fn display(item: Arg<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    struct ToFmt<'a, 'b> {
        f: &'a mut fmt::Formatter<'b>,
        result: fmt::Result,
    }
    impl Out for ToFmt<'_, '_> {
        fn str(&mut self, s: &str) {
            if self.result.is_ok() {
                self.result = self.f.write_str(s);
            }
        }
        fn ascii(&mut self, c: u8) {
            if self.result.is_ok() {
                self.result = fmt::Write::write_char(self.f, char::from(c));
            }
        }
    }
    let mut out = ToFmt { f, result: Ok(()) };
    item.write(&mut out);
    out.result
}

/// A string that keeps what fits: text past its capacity is dropped (a
/// piece that does not fit whole is dropped whole).
impl<const N: usize> Out for heapless::String<N> {
    fn str(&mut self, s: &str) {
        let _ = self.push_str(s);
    }

    fn ascii(&mut self, c: u8) {
        let _ = self.push(char::from(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Out for String {
        fn str(&mut self, s: &str) {
            self.push_str(s)
        }
        fn ascii(&mut self, c: u8) {
            self.push(char::from(c))
        }
    }

    /// What `a` writes, as a string.
    fn text(a: Arg<'_>) -> String {
        let mut s = String::new();
        a.write(&mut s);
        s
    }

    #[test]
    fn decimal_is_what_display_writes() {
        for v in [0u32, 1, 9, 10, 99, 100, 4_294_967_295, 1_000_000_000, 123_456_789] {
            assert_eq!(text(Arg::from(&v)), format!("{v}"));
        }
        for v in [0u8, 7, 255] {
            assert_eq!(text(Arg::from(&v)), format!("{v}"));
        }
        assert_eq!(text(Arg::from(&65_535u16)), "65535");
        for v in [0, 17, u32::MAX as usize, u32::MAX as usize + 1, usize::MAX] {
            assert_eq!(text(Arg::from(&v)), format!("{v}"));
        }
        for v in [
            0u64,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            1_000_000_000_000_000_000,
            10_000_000_000,
            10_000_000_007,
            u64::MAX,
        ] {
            assert_eq!(text(Arg::from(&v)), format!("{v}"));
        }
    }

    #[test]
    fn hexadecimal_forms_are_the_format_specs_they_replace() {
        for v in [0u32, 1, 0x1a, 0xff, 0x100, 0x1000_0000, 0xe020_5000, u32::MAX] {
            assert_eq!(text(hex8(v)), format!("{v:#010x}"));
            assert_eq!(text(hex2(v)), format!("{v:#04x}"));
            assert_eq!(text(hex(v)), format!("{v:#x}"));
            assert_eq!(text(Arg::Digits(v, 2)), format!("{v:02x}"));
            assert_eq!(text(Arg::Digits(v, 4)), format!("{v:04x}"));
        }
    }

    #[test]
    fn padding_counts_characters_and_never_cuts() {
        assert_eq!(text(left("sensor", 12)), format!("{:<12}", "sensor"));
        assert_eq!(text(left("a-name-of-14ch", 12)), "a-name-of-14ch");
        assert_eq!(text(left("größe", 8)), format!("{:<8}", "größe"));
        assert_eq!(text(left("", 3)), "   ");
        for v in [0u32, 3, 9, 10, 42, 99, 100, 12345, u32::MAX] {
            assert_eq!(text(right(v, 2)), format!("{v:>2}"));
            assert_eq!(text(right(v, 12)), format!("{v:>12}"));
        }
    }

    #[test]
    fn strings_and_flags_are_written_as_they_are() {
        assert_eq!(text(Arg::from(&"a\tb\n{")), "a\tb\n{");
        assert_eq!(text(Arg::from(&true)), "true");
        assert_eq!(text(Arg::from(&false)), "false");
    }

    #[test]
    fn a_template_takes_its_arguments_in_order() {
        let mut s = String::new();
        crate::put!(&mut s, "[{}] {} at {}, {}", "hyp", 3u8, hex8(0x2011_0000), 7usize);
        assert_eq!(s, "[hyp] 3 at 0x20110000, 7");
        let mut s = String::new();
        write(&mut s, crate::text!("{}{} {x} {"), &[Arg::Dec(1)]);
        assert_eq!(s, "1 {x} {");
        let mut s = String::new();
        crate::put!(&mut s, "no arguments {");
        assert_eq!(s, "no arguments {");
        assert_eq!(placeholders("{}{} {x} {"), 2);
        assert_eq!(placeholders("{"), 0);
    }

    #[test]
    fn display_writes_the_same_text() {
        struct Line;
        impl Show for Line {
            fn show(&self, o: &mut dyn Out) {
                crate::put!(o, "at {}, {}", hex8(0x2011_0000), 3u32);
            }
        }
        impl fmt::Display for Line {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                display(Arg::Show(self), f)
            }
        }
        assert_eq!(Line.to_string(), "at 0x20110000, 3");
        assert_eq!(text(Arg::from(&Line)), "at 0x20110000, 3");
    }

    #[test]
    fn a_full_string_keeps_what_fits() {
        let mut s: heapless::String<8> = heapless::String::new();
        crate::put!(&mut s, "restart {}", 7u32);
        assert_eq!(s.as_str(), "restart ");
        let mut s: heapless::String<24> = heapless::String::new();
        crate::put!(&mut s, "restart {}/{}", 1u32, 2u32);
        assert_eq!(s.as_str(), "restart 1/2");
    }
}
