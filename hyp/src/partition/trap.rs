//! The trap path: every exception from a partition arrives in
//! [`hyp_guest_trap`] with the partition's registers already saved in its
//! own frame (inside this core's [`CoreBlock`]); the function returns the
//! frame to resume, which is another partition's after a switch. Each
//! entry takes the core's block once and hands it down as `&mut`.

use core::sync::atomic::Ordering;

use hypcfg::ids::PartitionId;
use hypcfg::system::{Partition, System};

use super::block::{self, CoreBlock, PartitionBlock, RunState};
use super::env::{flush_line, CallEnv};
use super::life::{idle_forever, name_of, stop};
use super::{gic_emul, load, vgic};
use crate::arch::vectors::GuestFrame;
use crate::arch::{context, gic};
use crate::health::{self, Decision, Fault};
use crate::hsr::{ExceptionClass, Hsr};
use crate::hypercall::{self, Effect};
use crate::{hprintln, mpu};

/// Rust side of every trap from a partition (vector 0x14). `frame` is the
/// running partition's frame; the return value is the frame to resume.
#[no_mangle]
extern "C" fn hyp_guest_trap(frame: *mut GuestFrame) -> *mut GuestFrame {
    let hsr = Hsr(crate::arch::read_hsr());
    if hsr.class() == ExceptionClass::Hvc {
        // SAFETY: `frame` is what the trap entry passed, and the core's
        // block is taken only after this borrow ends (in `after_call`).
        let b = unsafe { PartitionBlock::of_frame(frame) };
        let PartitionBlock {
            frame: f,
            id,
            core,
            status,
            line,
            ..
        } = b;
        let Some(regs) = f.r.first_chunk_mut::<4>() else {
            return frame;
        };
        let mut env = CallEnv {
            id: *id,
            here: *core,
            status,
            line,
        };
        return match hypercall::dispatch(regs, &mut env) {
            Effect::Resume => frame,
            other => after_call(frame, other),
        };
    }
    // SAFETY: one entry into the hypervisor, which is not re-entered; the
    // reference is dropped before this function returns to the partition.
    let k = unsafe { block::this_core() };
    let here = k.core;
    let Some(slot) = k.current else { return frame };
    let Some(b) = k.block(slot) else { return frame };
    let Some(s) = load::system() else {
        return frame;
    };
    match hsr.class() {
        ExceptionClass::WfiWfe => on_wait(s, k, slot, hsr),
        _ => {
            let (hdfar, hifar) = crate::arch::read_fault_addresses();
            let Some(p) = s.partitions.get(b.id.index()) else {
                return frame;
            };
            if hsr.class() == ExceptionClass::DataAbortLower
                && gic_emul::try_emulate(p, here, &mut b.frame, hsr, hdfar)
            {
                return frame;
            }
            let pc = b.frame.elr;
            let skip = if hsr.il32() { 4 } else { 2 };
            on_fault(s, k, slot, Fault::from_trap(hsr, hdfar, hifar), pc, skip)
        }
    }
}

/// A hypercall whose effect reaches beyond the caller's registers
/// (yield, restart, shutdown, a reported fault): the scheduler's part.
#[inline(never)]
fn after_call(frame: *mut GuestFrame, effect: Effect) -> *mut GuestFrame {
    // SAFETY: one entry into the hypervisor; the hypercall's borrow of the
    // caller's block has ended.
    let k = unsafe { block::this_core() };
    match (load::system(), k.current) {
        (Some(s), Some(slot)) => apply(s, k, slot, effect),
        _ => frame,
    }
}

/// A trapped `WFI`/`WFE`: the partition is idle, so the core goes to
/// another partition; with none, the hypervisor waits for the
/// partition's next event itself.
fn on_wait(s: &System, k: &mut CoreBlock, slot: usize, hsr: Hsr) -> *mut GuestFrame {
    let Some(b) = k.block(slot) else {
        return core::ptr::null_mut();
    };
    b.frame.elr = b.frame.elr.wrapping_add(if hsr.il32() { 4 } else { 2 });
    match k.next_runnable(Some(slot)) {
        Some(next) if next != slot => switch(s, k, slot, next),
        _ => {
            let Some(b) = k.block(slot) else {
                return core::ptr::null_mut();
            };
            vgic::deliver_notification(b);
            if !vgic::has_pending() {
                crate::arch::cpu::wait(hsr.iss() & 1 == 1);
            }
            &raw mut b.frame
        }
    }
}

fn apply(s: &System, k: &mut CoreBlock, slot: usize, effect: Effect) -> *mut GuestFrame {
    match effect {
        Effect::Resume => frame_of(k, slot),
        Effect::Yield => reschedule(s, k, slot),
        Effect::Restart => restart(s, k, slot, "it asked to"),
        Effect::Shutdown(code) => {
            if let Some(id) = k.block(slot).map(|b| b.id) {
                stop(s, k, id, RunState::Shutdown, code, "");
            }
            reschedule(s, k, slot)
        }
        // The guest reported from its own vector and resumes after the
        // hypercall if the policy lets it: nothing to skip.
        Effect::Fault { kind, addr, pc } => on_fault(s, k, slot, Fault::Reported { kind, addr }, pc, 0),
    }
}

/// The frame of the partition in `slot` (the running one when called).
fn frame_of(k: &mut CoreBlock, slot: usize) -> *mut GuestFrame {
    k.block(slot).map_or(core::ptr::null_mut(), |b| &raw mut b.frame)
}

/// Makes the next runnable partition of this core after the one in
/// `slot` the live one and returns its frame; idles the core if none is
/// left.
fn reschedule(s: &System, k: &mut CoreBlock, slot: usize) -> *mut GuestFrame {
    let Some(next) = k.next_runnable(Some(slot)) else {
        idle_forever(k)
    };
    switch(s, k, slot, next)
}

/// Switches this core from the partition in `slot` (which just trapped,
/// and may have stopped) to the runnable partition in slot `to`: saves the
/// leaving partition's EL1 and virtual-interrupt state, starts the next
/// one if it never ran or loads its band, restores its state, and returns
/// its frame.
fn switch(s: &System, k: &mut CoreBlock, slot: usize, to: usize) -> *mut GuestFrame {
    if to == slot {
        return frame_of(k, slot);
    }
    if let Some(b) = k.block(slot) {
        if b.status.runnable() {
            context::save(&mut b.el1);
        }
        vgic::switch_out(&mut b.vgic);
    }
    let CoreBlock { parts, reset_el1, .. } = &mut *k;
    let Some(b) = parts.get_mut(to) else {
        idle_forever(k)
    };
    let next = b.id;
    let started = if b.status.state() == RunState::Unstarted {
        load::prepare(s, b, reset_el1)
    } else {
        mpu::load_registered_band(next.index()).map_err(|_| "its MPU band cannot be loaded")
    };
    if let Err(why) = started {
        stop(s, k, next, RunState::Halted, 0, why);
        return reschedule(s, k, to);
    }
    context::restore(&b.el1);
    vgic::switch_in(s, b);
    k.current = Some(to);
    frame_of(k, to)
}

/// Rust side of every IRQ taken while a partition runs (vector 0x18).
#[no_mangle]
extern "C" fn hyp_guest_irq(frame: *mut GuestFrame) -> *mut GuestFrame {
    let intid = gic::acknowledge();
    if intid == gic::INTID_VTIMER || intid == gic::INTID_PTIMER {
        // The running partition's own timers: pass it on. It stays
        // active until the partition deactivates it.
        vgic::inject_hw(intid);
        gic::priority_drop(intid);
        return frame;
    }
    // SAFETY: one entry into the hypervisor, which is not re-entered; the
    // reference is dropped before this function returns to the partition.
    let k = unsafe { block::this_core() };
    let (Some(s), Some(slot)) = (load::system(), k.current) else {
        gic::priority_drop(intid);
        gic::deactivate(intid);
        return frame;
    };
    match intid {
        gic::INTID_HYP_TIMER => {
            gic::priority_drop(intid);
            gic::deactivate(intid);
            window_boundary(s, k, slot, frame)
        }
        gic::INTID_KICK => {
            // Another core queued a message for a partition of this core,
            // or is ending the run (then this core stops too).
            gic::priority_drop(intid);
            gic::deactivate(intid);
            if crate::run::stop_requested() {
                crate::run::park()
            }
            if let Some(b) = k.block(slot) {
                vgic::deliver_notification(b);
            }
            frame
        }
        gic::SPURIOUS.. => frame,
        other => {
            vgic::device_irq(k, s, other);
            frame
        }
    }
}

/// The `CNTHP` interrupt: the next window's partition gets the core.
fn window_boundary(s: &System, k: &mut CoreBlock, slot: usize, frame: *mut GuestFrame) -> *mut GuestFrame {
    let Some((next, due)) = k.windows.boundary() else {
        return frame;
    };
    let Some(to) = k.slot_of(next) else {
        return frame;
    };
    if to == slot || !block::runnable(next) {
        return frame;
    }
    // A partition's very first window includes loading its image: that
    // start-up is not counted as window-switch time.
    let first_start = block::status(next).is_some_and(|st| st.state() == RunState::Unstarted);
    let resume = switch(s, k, slot, to);
    if !first_start {
        super::windows::record(k.core, due);
    }
    resume
}

/// Restarts the partition in `slot` in place from its pristine image.
fn restart(s: &System, k: &mut CoreBlock, slot: usize, why: &str) -> *mut GuestFrame {
    let CoreBlock { parts, reset_el1, .. } = &mut *k;
    let Some(b) = parts.get_mut(slot) else {
        idle_forever(k)
    };
    let id = b.id;
    hprintln!("[hyp] restarting {} ({})", name_of(s, id), why);
    b.status.restarts.fetch_add(1, Ordering::AcqRel);
    // Its interrupts in the list registers go with its old life.
    vgic::switch_out(&mut b.vgic);
    match load::prepare(s, b, reset_el1) {
        Ok(()) => {
            context::restore(&b.el1);
            vgic::switch_in(s, b);
            &raw mut b.frame
        }
        Err(e) => {
            stop(s, k, id, RunState::Halted, 0, e);
            reschedule(s, k, slot)
        }
    }
}

/// The health monitor: report the fault (at guest `pc`), then apply the
/// policy; `skip` is the length of the faulting instruction, 0 when there
/// is nothing to skip.
fn on_fault(s: &System, k: &mut CoreBlock, slot: usize, fault: Fault, pc: u32, skip: u32) -> *mut GuestFrame {
    let here = k.core;
    let Some(b) = k.block(slot) else { idle_forever(k) };
    let id = b.id;
    let Some(p) = s.partitions.get(id.index()) else {
        idle_forever(k)
    };
    b.status.faults.fetch_add(1, Ordering::AcqRel);
    let decision = health::decide(p.fault_policy, b.status.restarts.load(Ordering::Acquire));
    report(p, id, here.0, &fault, pc, decision);
    match decision {
        Decision::Restart { .. } => restart(s, k, slot, "fault policy"),
        Decision::Halt { budget_exhausted } => {
            let why = if budget_exhausted {
                "restart budget exhausted"
            } else {
                "fault policy is halt"
            };
            flush_line(p.name.as_str(), &mut b.line);
            stop(s, k, id, RunState::Halted, 0, why);
            reschedule(s, k, slot)
        }
        Decision::Log => {
            let f = &mut b.frame;
            match fault {
                // Nothing to skip for an instruction fetch: resume at the
                // return address of the branch that got there.
                Fault::PrefetchAbort { .. } => f.elr = crate::arch::guest_lr(f.spsr, f.lr),
                _ => f.elr = f.elr.wrapping_add(skip),
            }
            f
        }
    }
}

fn report(p: &Partition, id: PartitionId, core: u8, fault: &Fault, pc: u32, decision: Decision) {
    let mut action: heapless::String<24> = heapless::String::new();
    let _ = match decision {
        Decision::Restart { attempt, budget } => {
            core::fmt::write(&mut action, format_args!("restart {attempt}/{budget}"))
        }
        Decision::Halt { .. } => action.push_str("halt").map_err(|_| core::fmt::Error),
        Decision::Log => action.push_str("log and continue").map_err(|_| core::fmt::Error),
    };
    let sep = if fault.status().is_empty() { "" } else { ", " };
    hprintln!(
        "[hyp] FAULT {} (partition {}, core {}): {}{}{} at {:#010x}, PC {:#010x} -> {}",
        p.name.as_str(),
        id,
        core,
        fault.kind(),
        sep,
        fault.status(),
        fault.addr().unwrap_or(pc),
        pc,
        action.as_str()
    );
}
