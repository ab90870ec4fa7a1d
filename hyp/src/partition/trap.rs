//! The trap path: every exception from a partition arrives in
//! [`hyp_guest_trap`] with the partition's registers already saved in its
//! own frame; the function returns the frame to resume, which is another
//! partition's after a switch.

use core::sync::atomic::Ordering;

use hypcfg::system::{Partition, System};

use super::env::{flush_line, CallEnv};
use super::{
    core_parts, frame_of, load, name_of, runnable, state, stop, this_core, RunState, CURRENT, EL1, FAULTS,
    RESTARTS,
};
use super::{gic_emul, vgic, windows};
use crate::arch::vectors::GuestFrame;
use crate::arch::{context, gic};
use crate::health::{self, Decision, Fault};
use crate::hsr::{ExceptionClass, Hsr};
use crate::hypercall::{self, Effect};
use crate::{hprintln, mpu, sched};

/// Rust side of every trap from a partition (vector 0x14). `frame` is the
/// running partition's frame; the return value is the frame to resume.
#[no_mangle]
extern "C" fn hyp_guest_trap(frame: *mut GuestFrame) -> *mut GuestFrame {
    let hsr = Hsr(crate::arch::read_hsr());
    let id = CURRENT[this_core()].load(Ordering::Relaxed);
    // SAFETY: `frame` is the running partition's own frame, which only
    // this core touches, and nothing else refers to it during the trap.
    let f = unsafe { &mut *frame };
    if hsr.class() == ExceptionClass::Hvc {
        let Some(regs) = f.r.first_chunk_mut::<4>() else {
            return frame;
        };
        return match hypercall::dispatch(regs, &mut CallEnv { id }) {
            Effect::Resume => frame,
            other => match super::system() {
                Some(s) => apply(s, f, id, other),
                None => frame,
            },
        };
    }
    let Some(s) = super::system() else {
        return frame;
    };
    match hsr.class() {
        ExceptionClass::WfiWfe => {
            f.elr = f.elr.wrapping_add(if hsr.il32() { 4 } else { 2 });
            // Idle: the core goes to another partition; with none, the
            // hypervisor waits for the partition's next event itself.
            match sched::next(core_parts(), Some(id), runnable) {
                Some(next) if next != id => switch(s, id, next),
                _ => {
                    vgic::deliver_notification(id);
                    if !vgic::has_pending() {
                        crate::arch::cpu::wait(hsr.iss() & 1 == 1);
                    }
                    frame
                }
            }
        }
        _ => {
            let (hdfar, hifar) = crate::arch::read_fault_addresses();
            if hsr.class() == ExceptionClass::DataAbortLower && gic_emul::try_emulate(s, id, f, hsr, hdfar) {
                return frame;
            }
            let pc = f.elr;
            on_fault(
                s,
                f,
                id,
                Fault::from_trap(hsr, hdfar, hifar),
                pc,
                if hsr.il32() { 4 } else { 2 },
            )
        }
    }
}

fn apply(s: &System, f: &mut GuestFrame, id: u8, effect: Effect) -> *mut GuestFrame {
    match effect {
        Effect::Resume => frame_of(id),
        Effect::Yield => reschedule(s, id),
        Effect::Restart => restart(s, id, "it asked to"),
        Effect::Shutdown(code) => {
            flush_line(s, id);
            stop(s, id, RunState::Shutdown, code, "");
            reschedule(s, id)
        }
        // The guest reported from its own vector and resumes after the
        // hypercall if the policy lets it: nothing to skip.
        Effect::Fault { kind, addr, pc } => on_fault(s, f, id, Fault::Reported { kind, addr }, pc, 0),
    }
}

/// Makes the next runnable partition of this core after `from` the live
/// one and returns its frame; idles the core if none is left.
fn reschedule(s: &System, from: u8) -> *mut GuestFrame {
    let Some(next) = sched::next(core_parts(), Some(from), runnable) else {
        super::idle_forever()
    };
    switch(s, from, next)
}

/// Switches this core from partition `from` (which just trapped, and may
/// have stopped) to the runnable partition `next`: saves `from`'s EL1 and
/// virtual-interrupt state, starts `next` if it never ran or loads its
/// band, restores its state, and returns its frame.
fn switch(s: &System, from: u8, next: u8) -> *mut GuestFrame {
    if next == from {
        return frame_of(from);
    }
    if runnable(from) {
        // SAFETY: `from` is pinned to this core and has just trapped.
        context::save(unsafe { &mut *EL1[from as usize].ptr() });
    }
    vgic::switch_out(from);
    if state(next) == RunState::Unstarted {
        if let Err(why) = load::prepare(s, next) {
            stop(s, next, RunState::Halted, 0, why);
            return reschedule(s, next);
        }
    } else if mpu::load_registered_band(next as usize).is_err() {
        stop(s, next, RunState::Halted, 0, "its MPU band cannot be loaded");
        return reschedule(s, next);
    }
    // SAFETY: `next` is pinned to this core and not running.
    context::restore(unsafe { &*EL1[next as usize].ptr() });
    vgic::switch_in(s, next);
    CURRENT[this_core()].store(next, Ordering::Relaxed);
    frame_of(next)
}

/// Rust side of every IRQ taken while a partition runs (vector 0x18).
#[no_mangle]
extern "C" fn hyp_guest_irq(frame: *mut GuestFrame) -> *mut GuestFrame {
    let core = this_core();
    let intid = gic::acknowledge();
    let (Some(s), id) = (super::system(), CURRENT[core].load(Ordering::Relaxed)) else {
        gic::priority_drop(intid);
        gic::deactivate(intid);
        return frame;
    };
    match intid {
        gic::INTID_HYP_TIMER => {
            gic::priority_drop(intid);
            gic::deactivate(intid);
            let Some((next, due)) = windows::boundary(core) else {
                return frame;
            };
            if next == id || !runnable(next) {
                return frame;
            }
            // A partition's very first window includes loading its image:
            // that start-up is not counted as window-switch time.
            let first_start = state(next) == RunState::Unstarted;
            let resume = switch(s, id, next);
            if !first_start {
                windows::record(core, due);
            }
            resume
        }
        gic::INTID_VTIMER | gic::INTID_PTIMER => {
            // The running partition's own timers: pass it on. It
            // stays active until the partition deactivates it.
            vgic::inject_hw(intid);
            gic::priority_drop(intid);
            frame
        }
        gic::INTID_KICK => {
            // Another core queued a message for a partition of this core.
            gic::priority_drop(intid);
            gic::deactivate(intid);
            vgic::deliver_notification(id);
            frame
        }
        gic::SPURIOUS.. => frame,
        other => {
            vgic::device_irq(s, other, id);
            frame
        }
    }
}

/// Restarts partition `id` in place from its pristine image.
fn restart(s: &System, id: u8, why: &str) -> *mut GuestFrame {
    hprintln!("[hyp] restarting {} ({})", name_of(s, id), why);
    RESTARTS[id as usize].fetch_add(1, Ordering::AcqRel);
    // Its interrupts in the list registers go with its old life.
    vgic::switch_out(id);
    match load::prepare(s, id) {
        Ok(()) => {
            // SAFETY: `id` is pinned to this core; its state was just reset.
            context::restore(unsafe { &*EL1[id as usize].ptr() });
            vgic::switch_in(s, id);
            frame_of(id)
        }
        Err(e) => {
            stop(s, id, RunState::Halted, 0, e);
            reschedule(s, id)
        }
    }
}

/// The health monitor: report the fault (at guest `pc`), then apply the
/// policy; `skip` is the length of the faulting instruction, 0 when there
/// is nothing to skip.
fn on_fault(s: &System, f: &mut GuestFrame, id: u8, fault: Fault, pc: u32, skip: u32) -> *mut GuestFrame {
    let Some(p) = s.partitions.get(id as usize) else {
        return frame_of(id);
    };
    FAULTS[id as usize].fetch_add(1, Ordering::AcqRel);
    let decision = health::decide(p.fault_policy, RESTARTS[id as usize].load(Ordering::Acquire));
    report(p, id, &fault, pc, decision);
    match decision {
        Decision::Restart { .. } => restart(s, id, "fault policy"),
        Decision::Halt { budget_exhausted } => {
            let why = if budget_exhausted {
                "restart budget exhausted"
            } else {
                "fault policy is halt"
            };
            flush_line(s, id);
            stop(s, id, RunState::Halted, 0, why);
            reschedule(s, id)
        }
        Decision::Log => {
            match fault {
                // Nothing to skip for an instruction fetch: resume at the
                // return address of the branch that got there.
                Fault::PrefetchAbort { .. } => f.elr = crate::arch::guest_lr(f.spsr, f.lr),
                _ => f.elr = f.elr.wrapping_add(skip),
            }
            frame_of(id)
        }
    }
}

fn report(p: &Partition, id: u8, fault: &Fault, pc: u32, decision: Decision) {
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
        this_core(),
        fault.kind(),
        sep,
        fault.status(),
        fault.addr().unwrap_or(pc),
        pc,
        action.as_str()
    );
}
