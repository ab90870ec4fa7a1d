//! The board as the hypervisor build sees it: the facts of a platform file
//! that are compiled into the EL2 kernel (`hyp_core::board`, which
//! `hyp/core/build.rs` generates with [`read_file`]), so the hypervisor and
//! the tool read one file and cannot disagree.
//!
//! The tool itself needs only part of a platform; the keys the hypervisor
//! build adds (`console`, `[gic]`) are optional in a system file, and when
//! they are given they are checked here ([`check_system`]). A platform file
//! read on its own for a hypervisor build ([`read_file`]) must give all of
//! them.

use std::path::Path;

use crate::limits::MAX_MPU_REGIONS;
use crate::mpu::GRANULE;
use crate::system::MAX_CORES;

use super::diag::{codes, default_hint, did_you_mean, Diagnostic};
use super::schema::{read_platform, Cx, RawDevice, RawPlatform, RawSystem, Sp};
use super::source::{Loc, Sources};
use super::{parse_file, FsLoader, Loader};

/// The most list registers a GICv3 CPU interface has (`ICH_VTR.ListRegs`
/// is 4 bits).
pub const MAX_LIST_REGISTERS: u32 = 16;

/// The most INTIDs a GICv3 has below the special ones (1020..1023).
pub const MAX_INTERRUPTS: u32 = 1020;

/// An address window: a device's MMIO or a memory bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First byte.
    pub base: u32,
    /// Length in bytes.
    pub size: u32,
}

/// Everything about a board that the hypervisor is built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    /// `name`.
    pub name: String,
    /// `cores`: cores the hypervisor runs on (one Hyp stack, MPU table and
    /// redistributor frame each).
    pub cores: u32,
    /// `mpu_regions`: EL2 MPU regions per core.
    pub mpu_regions: u32,
    /// `interrupts`: number of GIC INTIDs.
    pub interrupts: u32,
    /// `console`: the device's name.
    pub console_device: String,
    /// The console device's MMIO window.
    pub console: Window,
    /// `gic.distributor`: the distributor's MMIO window.
    pub gicd: Window,
    /// `gic.redistributors`: all redistributor frames, core 0's first.
    pub gicr: Window,
    /// `gic.redistributor_stride`: one core's redistributor frame.
    pub gicr_stride: u32,
    /// `gic.list_registers`: list registers the hypervisor uses.
    pub list_registers: u32,
    /// The first `rom` bank: where the flash image is (`docs/image.md`).
    pub flash: Window,
}

fn window(d: &RawDevice) -> Window {
    Window {
        base: d.base.v,
        size: d.size.v,
    }
}

fn device<'a>(cx: &mut Cx, p: &'a RawPlatform, name: &Sp<String>) -> Option<&'a RawDevice> {
    let found = p.devices.iter().find(|d| d.name.v == name.v);
    if found.is_none() {
        let known: Vec<&str> = p.devices.iter().map(|d| d.name.v.as_str()).collect();
        let mut msg = format!("unknown device `{}`", name.v);
        if let Some(m) = did_you_mean(&name.v, known.iter().copied()) {
            msg.push_str(&format!("; did you mean `{m}`?"));
        }
        cx.push(
            Diagnostic::new(codes::UNKNOWN_NAME, Some(name.loc), &name.path, msg)
                .hint("name one of the platform's `[[device]]` entries"),
        );
    }
    found
}

fn aligned(cx: &mut Cx, what: &str, d: &RawDevice, at: &Sp<String>) -> bool {
    let w = window(d);
    let ok = w.base.is_multiple_of(GRANULE) && w.size.is_multiple_of(GRANULE) && w.size > 0;
    if !ok {
        cx.push(
            Diagnostic::new(
                codes::ALIGN,
                Some(at.loc),
                &at.path,
                format!(
                    "the {what} `{}` ({:#010x}, {:#x} bytes) cannot be one EL2 MPU region",
                    d.name.v, w.base, w.size
                ),
            )
            .hint("the hypervisor maps it whole: base and size must be multiples of 64 bytes"),
        );
    }
    ok
}

/// The platform's `[gic]`, resolved.
struct Gic<'a> {
    gicd: &'a RawDevice,
    gicr: &'a RawDevice,
    stride: u32,
    list_registers: u32,
}

/// What the platform's `console` and `[gic]` say, checked against its
/// devices and cores; each is `None` when absent or wrong (then a
/// diagnostic is in `cx`).
fn facts<'a>(cx: &mut Cx, p: &'a RawPlatform) -> (Option<&'a RawDevice>, Option<Gic<'a>>) {
    let console = p
        .console
        .as_ref()
        .and_then(|c| device(cx, p, c).filter(|d| aligned(cx, "console", d, c)));
    let gic = p.gic.as_ref().and_then(|g| {
        let gicd = device(cx, p, &g.distributor).filter(|d| aligned(cx, "distributor", d, &g.distributor));
        let gicr =
            device(cx, p, &g.redistributors).filter(|d| aligned(cx, "redistributors", d, &g.redistributors));
        let s = &g.redistributor_stride;
        let stride_ok = if s.v == 0 {
            cx.push(Diagnostic::new(
                codes::ZERO,
                Some(s.loc),
                &s.path,
                "a redistributor frame of 0 bytes",
            ));
            false
        } else if !s.v.is_multiple_of(GRANULE) {
            cx.push(Diagnostic::new(
                codes::ALIGN,
                Some(s.loc),
                &s.path,
                format!(
                    "a redistributor frame of {:#x} bytes is not a multiple of 64",
                    s.v
                ),
            ));
            false
        } else {
            true
        };
        if let (Some(r), true) = (gicr, stride_ok) {
            let need = u64::from(s.v) * u64::from(p.cores.v);
            if need > u64::from(r.size.v) {
                cx.push(
                    Diagnostic::new(
                        codes::OUTSIDE,
                        Some(s.loc),
                        &s.path,
                        format!(
                            "{} cores need {need:#x} bytes of redistributor frames; device `{}` has {:#x}",
                            p.cores.v, r.name.v, r.size.v
                        ),
                    )
                    .note(Some(r.size.loc), "its size is here")
                    .hint("one frame per core, core n's at base + n * stride (a GICv3 frame pair is 128K)"),
                );
                return None;
            }
        }
        let l = &g.list_registers;
        let lrs_ok = (1..=MAX_LIST_REGISTERS).contains(&l.v);
        if !lrs_ok {
            cx.push(
                Diagnostic::new(
                    codes::VALUE,
                    Some(l.loc),
                    &l.path,
                    format!("{} list registers; a GICv3 CPU interface has 1 to 16", l.v),
                )
                .hint("at most `ICH_VTR.ListRegs + 1` of the part"),
            );
        }
        match (gicd, gicr, stride_ok && lrs_ok) {
            (Some(gicd), Some(gicr), true) => Some(Gic {
                gicd,
                gicr,
                stride: s.v,
                list_registers: l.v,
            }),
            _ => None,
        }
    });
    (console, gic)
}

/// Checks, in a whole system, what the platform says for the hypervisor
/// build: its `console` and `[gic]` devices exist and fit, and
/// `[hypervisor] console` is the platform's console (the one the build
/// drives; the hypervisor would refuse the system at boot otherwise).
pub fn check_system(cx: &mut Cx, raw: &RawSystem) {
    let p = &raw.platform;
    let (console, _) = facts(cx, p);
    let (Some(dev), Some(named)) = (console, p.console.as_ref()) else {
        return;
    };
    let h = &raw.hypervisor.console;
    if h.v != dev.name.v {
        cx.push(
            Diagnostic::new(
                codes::CONSOLE,
                Some(h.loc),
                &h.path,
                format!(
                    "the hypervisor console is `{}`, but the hypervisor built for `{}` drives `{}`",
                    h.v, p.name.v, dev.name.v
                ),
            )
            .note(Some(named.loc), "the platform's console is here")
            .hint(format!("write `console = \"{}\"`", dev.name.v)),
        );
    }
}

fn missing(cx: &mut Cx, loc: Loc, file: &Path, key: &str, example: &str) {
    cx.push(
        Diagnostic::new(
            codes::MISSING,
            Some(loc),
            format!("platform.{key}"),
            format!(
                "the platform file `{}` has no `{key}`, which the hypervisor build needs",
                file.display()
            ),
        )
        .hint(format!("add `{example}` (docs/config.md, `[platform]`)")),
    );
}

/// Checks the ranges a hypervisor build relies on that a system check
/// would otherwise report (the platform is read here without a system).
fn ranges(cx: &mut Cx, p: &RawPlatform) {
    let mut out_of = |v: &Sp<u32>, lo: u32, hi: u32, what: &str| {
        if !(lo..=hi).contains(&v.v) {
            cx.push(Diagnostic::new(
                codes::VALUE,
                Some(v.loc),
                &v.path,
                format!("{} {what}; the hypervisor supports {lo} to {hi}", v.v),
            ));
        }
    };
    out_of(&p.cores, 1, MAX_CORES as u32, "cores");
    out_of(&p.mpu_regions, 1, MAX_MPU_REGIONS as u32, "EL2 MPU regions");
    out_of(&p.interrupts, 32, MAX_INTERRUPTS, "interrupts");
}

/// Reads the platform file at `path` with `loader` and derives the board,
/// or returns every diagnostic, rendered (file:line:column, key, hint).
pub fn read_with(path: &Path, loader: &mut dyn Loader) -> Result<Board, String> {
    let mut cx = Cx::default();
    let mut sources = Sources::default();
    let board = match loader.read(path) {
        Err(e) => {
            return Err(format!(
                "error: cannot read the platform file `{}`: {e}",
                path.display()
            ));
        }
        Ok(text) => parse_file(&mut cx, &mut sources, path, text).and_then(|(_, root)| {
            if let Some((k, _)) = match &root.val {
                super::tree::Val::Table(entries) => entries.iter().find(|(k, _)| k.name == "include"),
                _ => None,
            } {
                cx.push(Diagnostic::new(
                    codes::INCLUDE,
                    Some(k.loc),
                    "platform.include",
                    "a platform file cannot include another file",
                ));
            }
            let p = read_platform(&mut cx, &root)?;
            let at = Loc {
                end: root.loc.start,
                ..root.loc
            };
            if p.console.is_none() {
                missing(&mut cx, at, path, "console", "console = \"<device>\"");
            }
            if p.gic.is_none() {
                missing(
                    &mut cx,
                    at,
                    path,
                    "gic",
                    "[gic] with distributor, redistributors, redistributor_stride, list_registers",
                );
            }
            let flash = p.banks.iter().find(|b| b.rom);
            if flash.is_none() {
                missing(
                    &mut cx,
                    at,
                    path,
                    "memory",
                    "[[memory]] ... kind = \"rom\" (the flash)",
                );
            }
            ranges(&mut cx, &p);
            let (console, gic) = facts(&mut cx, &p);
            let (console, gic, flash) = (console?, gic?, flash?);
            Some(Board {
                name: p.name.v.clone(),
                cores: p.cores.v,
                mpu_regions: p.mpu_regions.v,
                interrupts: p.interrupts.v,
                console_device: console.name.v.clone(),
                console: window(console),
                gicd: window(gic.gicd),
                gicr: window(gic.gicr),
                gicr_stride: gic.stride,
                list_registers: gic.list_registers,
                flash: Window {
                    base: flash.base.v,
                    size: flash.size.v,
                },
            })
        }),
    };
    match board {
        Some(b) if !cx.has_errors() => Ok(b),
        _ => {
            let mut out = String::new();
            for d in cx.diags.iter_mut().filter(|d| d.is_error()) {
                if d.hint.is_none() {
                    d.hint = Some(default_hint(d.code).to_string());
                }
                out.push_str(&d.render(&sources));
            }
            if out.is_empty() {
                out = format!("error: `{}` is not a complete platform file", path.display());
            }
            Err(out)
        }
    }
}

/// Reads the platform file at `path` from the file system and derives the
/// board (see [`read_with`]).
pub fn read_file(path: &Path) -> Result<Board, String> {
    read_with(path, &mut FsLoader)
}
