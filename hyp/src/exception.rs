//! Exceptions the hypervisor takes from itself (every vector but the
//! partition entries): the self tests may expect one; anything else is
//! reported (vector, HSR decoded, HDFAR, HIFAR, ELR, core) and stops the
//! run. The vectors themselves are `arch::vectors`.

use crate::arch::vectors::{ExceptionFrame, FaultInfo, VECTOR_NAMES};
use crate::hsr::Hsr;
use crate::text::{hex2, hex8};

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
    let name = VECTOR_NAMES
        .get(info.vector as usize)
        .copied()
        .unwrap_or(hypcfg::text!("?"));
    crate::hprintln!(
        emergency;
        "\n*** hyp: unexpected {} exception on core {}\n    HSR={} (EC {}: {}, {}) HDFAR={} HIFAR={}\n    ELR={} SPSR={} LR={}\n    core {} stopped",
        name,
        info.core,
        hex8(info.hsr.0),
        hex2(u32::from(info.hsr.ec())),
        info.hsr.class().name(),
        info.hsr.fault_name(),
        hex8(info.hdfar),
        hex8(info.hifar),
        hex8(frame.elr),
        hex8(frame.spsr),
        hex8(frame.lr),
        info.core,
    );
    crate::run::fatal_stop(3)
}
