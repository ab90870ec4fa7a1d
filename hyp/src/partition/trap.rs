//! The trap path: every exception from a partition arrives in
//! [`hyp_guest_trap`] with the partition's registers already saved in its
//! own frame (inside this core's [`CoreBlock`]); the function returns the
//! frame to resume, which is another partition's after a switch. Each
//! entry takes the core's block once and hands it down as `&mut`.

use core::sync::atomic::Ordering;
use hypcfg::text::Arg;

use hypcfg::ids::PartitionId;
use hypcfg::system::{Partition, System};

use super::block::{self, CoreBlock, PartitionBlock, RunState};
use super::env::{flush_line, CallEnv};
use super::life::{idle_forever, name_of, stop};
use super::load::{self, Loaded};
use super::{gic_emul, vgic, windows};
use crate::arch::vectors::GuestFrame;
use crate::arch::{context, gic};
use crate::health::{self, Decision, Fault, Line};
use crate::hsr::{ExceptionClass, Hsr};
use crate::hypercall::{self, Effect};
use crate::text::hex8;
use crate::{hprintln, mpu};
use hyp_core::sysreg::{Access, Form, SgiRegister, SgiRequest, SgiTargets};

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
            buffers,
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
            buffers,
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
        ExceptionClass::FpuAccess => k.claim_fp(slot),
        _ => {
            let (hdfar, hifar) = crate::arch::read_fault_addresses();
            let Some(p) = s.partitions.get(b.id.index()) else {
                return frame;
            };
            let pc = b.frame.elr;
            let mut skip = if hsr.il32() { 4 } else { 2 };
            let fault = match hsr.class() {
                ExceptionClass::DataAbortLower => {
                    let (redist, size) = gic::redistributor(here.0 as u32);
                    if hdfar.wrapping_sub(redist) < size {
                        // Its SGIs' state is read or changed: whole.
                        vgic::withdraw_sgis(b);
                    }
                    let emulated = gic_emul::try_emulate(p, here, b, hsr, hdfar);
                    // What the access changed (an SGI enabled or made
                    // pending) is delivered now.
                    vgic::refill(b);
                    match emulated {
                        gic_emul::Emulation::Done => return frame,
                        gic_emul::Emulation::Refused(fault, len) => {
                            skip = len;
                            fault
                        }
                        gic_emul::Emulation::NotGic => {
                            // `HSR.IL` is 1 without a valid syndrome,
                            // also for a 16-bit T32 instruction.
                            skip = gic_emul::abort_insn_len(&b.buffers, &b.frame, hsr);
                            Fault::from_trap(hsr, hdfar, hifar)
                        }
                    }
                }
                ExceptionClass::Cp15Access | ExceptionClass::Cp15Access64 => {
                    match gic_cpu_access(b, hsr, skip) {
                        Some(fault) => fault,
                        None => return frame,
                    }
                }
                _ => Fault::from_trap(hsr, hdfar, hifar),
            };
            // A conditional access whose condition failed may still trap
            // (the Arm ARM leaves it to the implementation): it does
            // nothing, so it is stepped over, not refused.
            if matches!(fault, Fault::Register(_)) && !hsr.condition_passed(b.frame.spsr) {
                step_over(&mut b.frame, skip);
                return frame;
            }
            on_fault(s, k, slot, fault, pc, skip)
        }
    }
}

/// A trapped CP15 access that may be the partition's GIC CPU interface:
/// an SGI register write (`HCR.IMO`/`FMO` trap them) is emulated, and
/// any `ICC_*` access trapped by `ICH_HCR.TALL1` re-samples the level
/// interrupts waiting in the list registers and is then executed again,
/// untrapped, by the partition. `None` when the partition resumes;
/// otherwise the fault (a refused SGI, or another register's refusal).
fn gic_cpu_access(b: &mut PartitionBlock, hsr: Hsr, skip: u32) -> Option<Fault> {
    let Some(access) = Access::from_hsr(hsr) else {
        return Some(Fault::Trapped { ec: hsr.ec() });
    };
    if !hsr.condition_passed(b.frame.spsr) {
        return Some(Fault::Register(access));
    }
    if access.is_gic_cpu_interface() && b.vgic.resample {
        vgic::resample(b);
        return None;
    }
    let Some(reg) = access.sgi_register() else {
        return Some(Fault::Register(access));
    };
    let Form::Double { rt, rt2, .. } = access.form else {
        return Some(Fault::Register(access));
    };
    let (Some(lo), Some(hi)) = (guest_reg_value(&b.frame, rt), guest_reg_value(&b.frame, rt2)) else {
        let why = hypcfg::text!("written from SP or PC, which is not emulated");
        return Some(Fault::SgiRefused { reg, why });
    };
    let sgi = SgiRequest::decode(u64::from(hi) << 32 | u64::from(lo), gic::mpidr());
    let why = match (reg, sgi.targets) {
        (_, SgiTargets::Nobody) => hypcfg::text!(""),
        (SgiRegister::Sgi0r, _) => hypcfg::text!("a group 0 SGI; every interrupt of a partition is group 1"),
        (_, SgiTargets::Others) => hypcfg::text!("an SGI to a core other than its own"),
        (_, SgiTargets::OwnCore) => {
            vgic::send_self_sgi(b, sgi.intid);
            hypcfg::text!("")
        }
    };
    if why.is_empty() {
        step_over(&mut b.frame, skip);
        return None;
    }
    Some(Fault::SgiRefused { reg, why })
}

/// The value of general-purpose register `reg` the trapped instruction
/// named, in the partition's mode: r0-r12 (FIQ mode's own r8-r12) and
/// LR; `None` for SP and PC.
fn guest_reg_value(f: &GuestFrame, reg: u8) -> Option<u32> {
    gic_emul::read_reg(f, usize::from(reg))
        .or_else(|| (reg == 14).then(|| crate::arch::guest_lr(f.spsr, f.lr)))
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
            // A timer interrupt whose line fell must not end the wait.
            if b.vgic.resample {
                vgic::resample(b);
            } else {
                vgic::refill(b);
            }
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
        Effect::Restart => requested_restart(s, k, slot),
        Effect::Shutdown(code) => {
            if let Some(b) = k.block(slot) {
                // Its last FAULT lines left out are announced before it goes.
                if let Some(p) = s.partitions.get(b.id.index()) {
                    announce_suppressed(p, b.health.take_suppressed());
                }
            }
            if let Some(id) = k.block(slot).map(|b| b.id) {
                stop(s, k, id, RunState::Shutdown, code, Arg::Str(""));
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
/// leaving partition's EL1 and virtual-interrupt state, then [`enter`]s the
/// next one.
fn switch(s: &System, k: &mut CoreBlock, slot: usize, to: usize) -> *mut GuestFrame {
    switch_at(s, k, slot, to, None)
}

/// [`switch`] at the window boundary whose deadline was `due` (recorded
/// as window-switch time once the partition resumes).
fn switch_at(s: &System, k: &mut CoreBlock, slot: usize, to: usize, due: Option<u64>) -> *mut GuestFrame {
    if to == slot {
        return frame_of(k, slot);
    }
    if let Some(b) = k.block(slot) {
        if b.status.runnable() {
            context::save(&mut b.el1);
        }
        vgic::switch_out(&mut b.vgic);
    }
    enter(s, k, to, due)
}

/// Brings the partition in slot `to` onto the core and returns its frame:
/// loads its band, restores its EL1 and virtual-interrupt state. The
/// partitions that must be loaded first (first start, restart) go
/// through [`enter_loading`]. Inlined: it is the switch path.
#[inline(always)]
fn enter(s: &System, k: &mut CoreBlock, to: usize, due: Option<u64>) -> *mut GuestFrame {
    let ready = k
        .block(to)
        .is_some_and(|b| !b.status.state().needs_load() && mpu::load_registered_band(b.id.index()).is_ok());
    if ready {
        resume_on_core(k, to, due)
    } else {
        enter_loading(s, k, to, due)
    }
}

/// The partition in slot `to`, loaded and with its band in place, gets
/// the core: its state is restored and its frame returned; `due` is the
/// window deadline this switch served, if any (timed as window-switch
/// time).
#[inline(always)]
fn resume_on_core(k: &mut CoreBlock, to: usize, due: Option<u64>) -> *mut GuestFrame {
    let Some(b) = k.block(to) else { idle_forever(k) };
    context::restore(&b.el1);
    vgic::switch_in(b);
    k.current = Some(to);
    if let Some(due) = due {
        windows::record(k.core, due);
    }
    frame_of(k, to)
}

/// [`enter`] for a partition that must be loaded (first start, restart),
/// or whose band cannot be loaded. The loading goes a piece at a time: if
/// its window ends meanwhile, the next window's partition gets the core
/// and the loading goes on in the partition's own next window, so its
/// restart costs no one else's time. A partition that cannot be brought
/// up is halted and the next one tried.
#[inline(never)]
fn enter_loading(s: &System, k: &mut CoreBlock, mut to: usize, mut due: Option<u64>) -> *mut GuestFrame {
    loop {
        let CoreBlock {
            parts,
            reset_el1,
            windows,
            ..
        } = &mut *k;
        let Some(b) = parts.get_mut(to) else {
            idle_forever(k)
        };
        let id = b.id;
        let result = if b.status.state().needs_load() {
            // A start is not a window switch: it is not timed as one.
            due = None;
            load::resume(s, b, reset_el1, crate::arch::timer::hyp_deadline_passed)
        } else {
            mpu::load_registered_band(id.index())
                .map(|()| Loaded::Ready)
                .map_err(|_| hypcfg::text!("its MPU band cannot be loaded"))
        };
        // A window that ended while its partition was being loaded goes to
        // its successor at once, not after entering the partition for no
        // instruction (and the interrupt and switch that would follow).
        let ready = matches!(result, Ok(Loaded::Ready));
        if ready && !crate::arch::timer::hyp_deadline_passed() {
            return resume_on_core(k, to, due);
        }
        match result {
            Ok(Loaded::Ready) | Ok(Loaded::Preempted) => {
                // The window is over: its successor gets the core, unless
                // that is this partition again or cannot run.
                if let Some((next, at)) = windows.boundary() {
                    if let Some(n) = k.slot_of(next).filter(|_| block::runnable(next)) {
                        to = n;
                        due = Some(at);
                    }
                }
            }
            Err(why) => {
                stop(s, k, id, RunState::Halted, 0, Arg::Text(why));
                let Some(n) = k.next_runnable(Some(to)) else {
                    idle_forever(k)
                };
                to = n;
                due = None;
            }
        }
    }
}

/// Rust side of every IRQ taken while a partition runs (vector 0x18).
#[no_mangle]
extern "C" fn hyp_guest_irq(frame: *mut GuestFrame) -> *mut GuestFrame {
    let intid = gic::acknowledge();
    if gic::is_el1_timer(intid) {
        // The running partition's own timers: pass it on. It stays
        // active until the partition deactivates it.
        // SAFETY: `frame` is what the IRQ entry passed (the running
        // partition's), and the core's block is not taken on this path.
        let b = unsafe { PartitionBlock::of_frame(frame) };
        vgic::inject_hw(&mut b.vgic, intid, b.frame.spsr);
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
        gic::INTID_MAINTENANCE => {
            // List registers freed up while interrupts wait for them.
            gic::priority_drop(intid);
            gic::deactivate(intid);
            if let Some(b) = k.block(slot) {
                vgic::refill(b);
            }
            frame
        }
        gic::SPURIOUS.. => frame,
        other => {
            vgic::device_irq(k, other);
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
    switch_at(s, k, slot, to, Some(due))
}

/// Restarts the partition in `slot` in place from its pristine image (the
/// loading is charged to its own windows, see [`enter`]).
fn restart(s: &System, k: &mut CoreBlock, slot: usize, why: hypcfg::packed::Text) -> *mut GuestFrame {
    let Some(b) = k.block(slot) else { idle_forever(k) };
    hprintln!("[hyp] restarting {} ({})", name_of(s, b.id), why);
    b.status.restarts.fetch_add(1, Ordering::AcqRel);
    // Its interrupts in the list registers go with its old life.
    vgic::switch_out(&mut b.vgic);
    load::begin(b);
    // Marked for loading: `enter` would take its loading branch anyway,
    // so go there directly (no second inlined copy of the switch path).
    enter_loading(s, k, slot, None)
}

/// The `RESTART` hypercall: a restart like one the health monitor
/// decides, so it counts against the partition's restart budget (`log`
/// partitions have none and may restart at will; the work is charged to
/// their own windows). Without budget left the partition is halted.
fn requested_restart(s: &System, k: &mut CoreBlock, slot: usize) -> *mut GuestFrame {
    let Some(b) = k.block(slot) else { idle_forever(k) };
    let id = b.id;
    let Some(p) = s.partitions.get(id.index()) else {
        idle_forever(k)
    };
    match health::decide(p.fault_policy, b.status.restarts.load(Ordering::Acquire)) {
        Decision::Restart { .. } | Decision::Log => restart(s, k, slot, hypcfg::text!("it asked to")),
        Decision::Halt { .. } | Decision::Repeated { .. } => {
            stop(
                s,
                k,
                id,
                RunState::Halted,
                0,
                Arg::Text(hypcfg::text!("it asked to restart with no restart budget left")),
            );
            reschedule(s, k, slot)
        }
    }
}

/// The health monitor: records the fault (at guest `pc`), decides under
/// the partition's policy (a fault repeated [`health::REPEAT_LIMIT`] times
/// in a row under `log` halts it), reports it within the partition's
/// FAULT-line budget, and applies the decision; `skip` is the length of
/// the faulting instruction, 0 when there is nothing to skip.
fn on_fault(s: &System, k: &mut CoreBlock, slot: usize, fault: Fault, pc: u32, skip: u32) -> *mut GuestFrame {
    let here = k.core;
    let Some(b) = k.block(slot) else { idle_forever(k) };
    let id = b.id;
    let Some(p) = s.partitions.get(id.index()) else {
        idle_forever(k)
    };
    b.status.faults.fetch_add(1, Ordering::AcqRel);
    let restarts = b.status.restarts.load(Ordering::Acquire);
    let decision = b.health.decide(p.fault_policy, restarts, fault, pc);
    // A 32-bit frequency times a small interval fits in 64 bits.
    let per_line = u64::from(crate::arch::timer::frequency())
        .wrapping_mul(u64::from(health::LINE_INTERVAL_MS))
        .wrapping_div(1000);
    match b.health.admit(decision, crate::arch::timer::counter(), per_line) {
        Line::Print { suppressed } => {
            announce_suppressed(p, suppressed);
            report(p, id, here.0, &fault, pc, decision);
        }
        Line::Suppress => {}
    }
    let why = match decision {
        Decision::Restart { .. } => return restart(s, k, slot, hypcfg::text!("fault policy")),
        Decision::Log => {
            let f = &mut b.frame;
            match fault {
                // Nothing to skip for an instruction fetch: resume at the
                // return address of the branch that got there.
                Fault::PrefetchAbort { .. } => f.elr = crate::arch::guest_lr(f.spsr, f.lr),
                // A refused read reads as zero.
                Fault::Register(a) => {
                    for reg in a.destinations().into_iter().flatten() {
                        set_guest_reg(f, reg, 0);
                    }
                    step_over(f, skip);
                }
                _ => step_over(f, skip),
            }
            return f;
        }
        Decision::Halt {
            budget_exhausted: true,
        } => hypcfg::text!("restart budget exhausted"),
        Decision::Halt {
            budget_exhausted: false,
        } => hypcfg::text!("fault policy is halt"),
        Decision::Repeated { .. } => hypcfg::text!(""),
    };
    let mut repeated: heapless::String<48> = heapless::String::new();
    if let Decision::Repeated { count } = decision {
        hypcfg::put!(&mut repeated, "the same fault {} times in a row", count);
    }
    flush_line(p.name.as_str(), &mut b.line);
    stop(
        s,
        k,
        id,
        RunState::Halted,
        0,
        if why.is_empty() {
            Arg::Str(&repeated)
        } else {
            Arg::Text(why)
        },
    );
    reschedule(s, k, slot)
}

/// Resumes the partition after its trapped instruction of `skip` bytes,
/// moving a T32 `IT` block on as the instruction would have.
fn step_over(f: &mut GuestFrame, skip: u32) {
    f.elr = f.elr.wrapping_add(skip);
    f.spsr = crate::hsr::it_advance(f.spsr);
}

/// Writes general-purpose register `reg` of the trapped partition as the
/// instruction would have, in the partition's mode: r0-r12 and LR_usr are
/// in the frame (r8-r12 and every SP and LR are banked for other modes),
/// and 15 is `APSR_nzcv` (an `MRC` to the flags). A partition traps from
/// User, FIQ, IRQ, SVC, Abort, Undefined or System mode, each of which
/// `set_guest_banked` covers, so no write is lost.
fn set_guest_reg(f: &mut GuestFrame, reg: u8, value: u32) {
    if crate::arch::set_guest_banked(f.spsr, reg, value) {
        return;
    }
    match (reg, f.spsr & 0x1F) {
        (0..=12, _) => {
            if let Some(r) = f.r.get_mut(reg as usize) {
                *r = value;
            }
        }
        (14, 0x10 | 0x1F) => f.lr = value,
        (15, _) => f.spsr = (f.spsr & !0xF000_0000) | (value & 0xF000_0000),
        _ => {}
    }
}

/// The `... N FAULT lines suppressed` line of partition `p`, if any were.
fn announce_suppressed(p: &Partition, suppressed: u32) {
    if suppressed > 0 {
        hprintln!(
            "[hyp] {}: ... {} FAULT lines suppressed",
            p.name.as_str(),
            suppressed
        );
    }
}

fn report(p: &Partition, id: PartitionId, core: u8, fault: &Fault, pc: u32, decision: Decision) {
    hprintln!(
        "[hyp] FAULT {} (partition {}, core {}): {} at {}, PC {} -> {}",
        p.name.as_str(),
        id,
        core,
        *fault,
        hex8(fault.addr().unwrap_or(pc)),
        hex8(pc),
        decision
    );
}
