//! Automatic placement: blocks written without a `base` get an address.

/// The max page size of Arm ELF linkers (rust-lld, GNU ld): 64 KiB. A
/// linker whose script does not declare `PHDRS` loads the ELF and program
/// headers in a segment of their own, `SIZEOF_HEADERS` below the first
/// section rounded down to this, whenever they fit between that boundary
/// and the section; the segment then lies below the partition's code
/// region (`E026`). Code regions placed on this boundary leave no room
/// for them.
pub const LINK_PAGE: u32 = 0x1_0000;

use crate::front::diag::codes;
use crate::front::schema::{Cx, RawBlock, Sp};
use crate::mpu::GRANULE;

use super::checks::{err, hex, unknown_name};
use super::{Claim, Span, State};

/// Gives an address to every block written without a `base`, in a fixed
/// order (the channel pool, partition regions in file order, shared blocks
/// in file order) so the same file always gets the same layout. Blocks
/// whose size is already reported as broken are not placed.
pub(super) fn place_automatic(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    place_channel_pool(cx, st);
    for (pi, part) in raw.partitions.iter().enumerate() {
        for (ri, r) in part.memory.iter().enumerate() {
            if r.block.base.is_none() && r.block.ok && r.block.size.v != 0 && r.block.size.v % GRANULE == 0 {
                let label = format!("memory region `{}` of partition `{}`", r.name.v, part.name.v);
                // Code is linked at the region's base: start it on a link
                // page where there is room, so the ELF headers get no
                // segment of their own below it (see LINK_PAGE).
                let align = if r.perm.v.x { LINK_PAGE } else { GRANULE };
                st.parts[pi].memory[ri] = place(cx, st, label, &r.block, r.block.size.v, align);
            }
        }
    }
    for (si, s) in raw.shared.iter().enumerate() {
        if s.block.base.is_none() && s.block.ok && s.block.size.v != 0 && s.block.size.v % GRANULE == 0 {
            st.memory.shared[si] = place(
                cx,
                st,
                format!("shared memory block `{}`", s.name.v),
                &s.block,
                s.block.size.v,
                GRANULE,
            );
        }
    }
}

/// Places the channel pool when channels need queue memory and the pool
/// has no fixed base: with the size written, or, when no pool is written,
/// exactly the size of all queues (located at the first channel, for
/// diagnostics).
fn place_channel_pool(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    let h = &raw.hypervisor;
    let queue_total: u64 = st.channels.queue_sizes.iter().flatten().map(|&q| q as u64).sum();
    if !raw.channels.is_empty() && queue_total > 0 {
        match &h.channel_pool {
            Some(pool) if pool.base.is_none() && pool.ok => {
                st.memory.channel_pool = place(cx, st, "channel pool".into(), pool, pool.size.v, GRANULE);
            }
            Some(_) => {}
            None if queue_total <= u32::MAX as u64 => {
                let auto = RawBlock {
                    base: None,
                    size: Sp {
                        v: queue_total as u32,
                        loc: raw.channels[0].name.loc,
                        path: "hypervisor.channel_pool".into(),
                    },
                    bank: None,
                    loc: raw.channels[0].name.loc,
                    path: "hypervisor.channel_pool".into(),
                    ok: true,
                };
                st.memory.channel_pool =
                    place(cx, st, "channel pool".into(), &auto, queue_total as u32, GRANULE);
            }
            None => {}
        }
    }
}

/// Places `size` bytes of block `b` at the lowest free address in the
/// first bank that has room, and claims them: aligned to `align` where the
/// bank has room for that, else to the granule. A block that names a bank
/// goes there, which must be RAM; otherwise any RAM bank will do, but never
/// TCM (per core) or a bank whose geometry is broken.
fn place(
    cx: &mut Cx,
    st: &mut State<'_>,
    label: String,
    b: &RawBlock,
    size: u32,
    align: u32,
) -> Option<Span> {
    let candidates = candidate_banks(cx, st, b)?;
    let occupied: Vec<Span> = st.memory.claims.iter().map(|c| c.span).collect();
    let base = candidates.iter().find_map(|bank| {
        find_space(bank, size, &occupied, align).or_else(|| find_space(bank, size, &occupied, GRANULE))
    });
    if let Some(base) = base {
        let span = Span { base, size };
        st.memory.claims.push(Claim {
            label,
            span,
            loc: b.size.loc,
            path: b.path.clone(),
        });
        return Some(span);
    }
    err(
        cx,
        codes::NO_SPACE,
        b.loc,
        &b.path,
        format!(
            "no room for {label} ({} bytes) in {}",
            hex(size as u64),
            match &b.bank {
                Some(n) => format!("bank `{}`", n.v),
                None => "any RAM bank".into(),
            }
        ),
    )
    .hint = Some("give it a fixed `base`, or make room".into());
    None
}

/// The spans of the banks block `b` may be placed in, in the order to try
/// them; `None` (reported) when it names a bank that does not exist or is
/// read-only.
fn candidate_banks(cx: &mut Cx, st: &State<'_>, b: &RawBlock) -> Option<Vec<Span>> {
    let banks = &st.banks;
    match &b.bank {
        Some(name) => match banks.iter().find(|bk| bk.name == name.v) {
            Some(bk) if bk.rom => {
                err(
                    cx,
                    codes::PERMISSION,
                    name.loc,
                    &name.path,
                    format!("bank `{}` is read-only; automatic placement needs RAM", name.v),
                );
                None
            }
            Some(bk) => Some(vec![bk.span]),
            None => {
                let bank_names: Vec<&str> = banks.iter().map(|b| b.name.as_str()).collect();
                unknown_name(cx, "memory bank", name, &bank_names);
                None
            }
        },
        None => Some(
            banks
                .iter()
                .zip(&st.bank_ok)
                .filter(|(b, ok)| **ok && !b.rom && !b.tcm)
                .map(|(b, _)| b.span)
                .collect(),
        ),
    }
}

/// Lowest `align`-aligned base in `bank` where `size` bytes touch no
/// claim (`align` is a power of two, at least the granule).
fn find_space(bank: &Span, size: u32, taken: &[Span], align: u32) -> Option<u32> {
    let mut cand = (bank.base as u64).div_ceil(align as u64) * align as u64;
    loop {
        let end = cand + size as u64;
        if end > bank.end() {
            return None;
        }
        let probe = Span {
            base: cand as u32,
            size,
        };
        match taken.iter().filter(|t| t.overlaps(&probe)).map(|t| t.end()).max() {
            None => return Some(cand as u32),
            Some(e) => cand = e.div_ceil(align as u64) * align as u64,
        }
    }
}
