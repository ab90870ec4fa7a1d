//! Checks and small helpers shared by several phases of [`compile`](super::compile).

use crate::mpu::GRANULE;
use crate::system::Name;

use crate::front::diag::{codes, Code, Diagnostic};
use crate::front::schema::{Cx, Sp};
use crate::front::source::Loc;

use super::Span;

/// Reports an error at `loc` and returns it, so the caller can add a hint.
pub(super) fn err<'a>(cx: &'a mut Cx, code: Code, loc: Loc, path: &str, msg: String) -> &'a mut Diagnostic {
    cx.push(Diagnostic::new(code, Some(loc), path, msg));
    cx.diags.last_mut().expect("just pushed")
}

/// An address or size as diagnostics write it (`0x1000`).
pub(super) fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// A span as diagnostics write it (`0x10000000..0x10070000`, end exclusive).
pub(super) fn range_text(s: &Span) -> String {
    format!("{:#010x}..{:#010x}", s.base, s.end())
}

/// Basic checks of a block that has a base: size 0, alignment, wrap-around.
pub(super) fn check_geometry(cx: &mut Cx, what: &str, base: &Sp<u32>, size: &Sp<u32>, granule: bool) -> bool {
    let mut ok = true;
    if size.v == 0 {
        err(
            cx,
            codes::ZERO,
            size.loc,
            &size.path,
            format!("{what} has size 0"),
        )
        .hint = Some("give it at least one granule (64 bytes)".into());
        return false;
    }
    if granule && !base.v.is_multiple_of(GRANULE) {
        let d = err(
            cx,
            codes::ALIGN,
            base.loc,
            &base.path,
            format!(
                "{what} base {} is not a multiple of the {GRANULE}-byte MPU granule",
                hex(base.v as u64)
            ),
        );
        d.hint = Some(format!(
            "use {} or {}",
            hex((base.v & !(GRANULE - 1)) as u64),
            hex((base.v & !(GRANULE - 1)) as u64 + GRANULE as u64)
        ));
        ok = false;
    }
    if base.v as u64 + size.v as u64 > 1 << 32 {
        let d = err(
            cx,
            codes::WRAP,
            size.loc,
            &size.path,
            format!(
                "{what} wraps around: {} + {} is past the 4 GiB address space",
                hex(base.v as u64),
                hex(size.v as u64)
            ),
        );
        d.hint = Some(format!(
            "at most {} bytes fit from this base",
            hex((1u64 << 32) - base.v as u64)
        ));
        ok = false;
    }
    ok
}

/// Checks that a size is a whole number of MPU granules: a region's limit
/// register holds granule-aligned addresses only. A size of 0 passes here
/// (it is reported on its own).
pub(super) fn check_size_granule(cx: &mut Cx, what: &str, size: &Sp<u32>) -> bool {
    if size.v != 0 && !size.v.is_multiple_of(GRANULE) {
        let up = (size.v as u64).div_ceil(GRANULE as u64) * GRANULE as u64;
        err(
            cx,
            codes::ALIGN,
            size.loc,
            &size.path,
            format!(
                "{what} size {} is not a multiple of the {GRANULE}-byte MPU granule",
                hex(size.v as u64)
            ),
        )
        .hint = Some(format!("round it up to {}", hex(up)));
        return false;
    }
    true
}

/// Reports a reference to an undefined `what`, with the closest known name
/// as a suggestion and the list of known ones as the hint.
pub(super) fn unknown_name(cx: &mut Cx, what: &str, name: &Sp<String>, known: &[&str]) {
    let mut msg = format!("unknown {what} `{}`", name.v);
    if let Some(m) = crate::front::diag::did_you_mean(&name.v, known.iter().copied()) {
        msg.push_str(&format!("; did you mean `{m}`?"));
    }
    let hint = if known.is_empty() {
        format!("no {what} is defined")
    } else {
        format!("known: {}", known.join(", "))
    };
    cx.push(Diagnostic::new(codes::UNKNOWN_NAME, Some(name.loc), &name.path, msg).hint(hint));
}

/// Checks that an interrupt can be given to an owner: it must exist on the
/// platform (below `count`) and not be an SGI, which are never assigned
/// (the hypervisor signals between cores with them).
pub(super) fn check_irq(cx: &mut Cx, irq: &Sp<u32>, count: u32) -> bool {
    if irq.v < 16 || irq.v >= count {
        let d = err(
            cx,
            codes::IRQ_RANGE,
            irq.loc,
            &irq.path,
            if irq.v < 16 {
                format!("interrupt {} is an SGI (0..15), which cannot be assigned", irq.v)
            } else {
                format!(
                    "interrupt {} does not exist: the platform has INTIDs below {count}",
                    irq.v
                )
            },
        );
        d.hint = Some("interrupts are GIC INTIDs: PPIs are 16..31, SPI n is 32 + n".into());
        return false;
    }
    true
}

/// A name as the tables hold it, cut to [`Name`]'s capacity. A longer name
/// is an error of its own; cutting it lets the other checks still run.
pub(super) fn name_of(s: &str) -> Name {
    let mut n = Name::new();
    for c in s.chars() {
        if n.push(c).is_err() {
            break;
        }
    }
    n
}
