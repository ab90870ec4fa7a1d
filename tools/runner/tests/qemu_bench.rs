//! The benchmark images run under `-icount` and print every figure the
//! suite expects, each a positive integer (no timing is asserted: the
//! figures themselves are `make bench`'s business).

use runner::bench::{self, output_lines, parse_lines, IPC_SIZES};

#[test]
fn bench_system_prints_every_figure() {
    let (out, _hyp) = bench::run_bench_system().expect("build and run the bench system");
    let raw = parse_lines(output_lines(&out));
    let mut expected = vec![
        "boot_to_first_partition".to_string(),
        "null_hvc".into(),
        "compute_hyp".into(),
        "partition_switch".into(),
    ];
    for size in IPC_SIZES {
        expected.push(format!("ipc_send_{size}"));
        expected.push(format!("ipc_recv_{size}"));
    }
    for name in &expected {
        match raw.get(name) {
            Some(&v) => assert!(v > 0, "BENCH {name} is {v}:\n{}", out.tail(40)),
            None => panic!("no `BENCH {name}` line:\n{}", out.tail(40)),
        }
    }
    for size in IPC_SIZES {
        assert!(bench::ipc_total(&raw, size).is_some_and(|v| v > 0));
    }
}

#[test]
fn native_baseline_prints_its_compute_and_interrupt_figures() {
    let out = bench::run_native().expect("build and run the native baseline");
    let raw = parse_lines(output_lines(&out));
    for name in ["compute_native", "irq_native"] {
        let v = raw
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("no `BENCH {name}` line:\n{}", out.tail(20)));
        assert!(v > 0, "BENCH {name} is {v}:\n{}", out.tail(20));
    }
}
