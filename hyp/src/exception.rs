//! Exceptions the hypervisor takes from itself (every vector but the
//! partition entries): the self tests may expect one; anything else is
//! reported (vector, HSR decoded, HDFAR, HIFAR, ELR, core) and stops the
//! run. The vectors themselves are `arch::vectors`.

use crate::arch::vectors::{ExceptionFrame, FaultInfo, VECTOR_NAMES};
use crate::hsr::Hsr;

/// Rust side of every vector.
#[no_mangle]
extern "C" fn hyp_exception(vector: u32, frame: &mut ExceptionFrame) {
    let info = FaultInfo {
        vector,
        hsr: Hsr(aarch32_cpu::register::Hsr::read().raw_value()),
        hdfar: aarch32_cpu::register::Hdfar::read().0,
        hifar: aarch32_cpu::register::Hifar::read().0,
        core: crate::arch::cpu::core_id(),
    };
    #[cfg(feature = "selftest")]
    if crate::selftest::on_exception(&info, frame) {
        return;
    }
    report_and_stop(&info, frame)
}

/// Prints what happened and stops this core.
fn report_and_stop(info: &FaultInfo, frame: &ExceptionFrame) -> ! {
    let name = VECTOR_NAMES.get(info.vector as usize).copied().unwrap_or("?");
    crate::console::write_fmt_emergency(format_args!(
        "\n*** hyp: unexpected {} exception on core {}\n    HSR={:#010x} (EC {:#04x}: {}, {}) HDFAR={:#010x} HIFAR={:#010x}\n    ELR={:#010x} SPSR={:#010x} LR={:#010x}\n    core {} stopped\n",
        name,
        info.core,
        info.hsr.0,
        info.hsr.ec(),
        info.hsr.class().name(),
        info.hsr.fault_name(),
        info.hdfar,
        info.hifar,
        frame.elr,
        frame.spsr,
        frame.lr,
        info.core,
    ));
    crate::run::fatal_stop(3)
}
