//! The benchmark images run under `-icount` and print every figure the
//! suite expects, each a positive integer, with worst cases that are sane
//! beside their means and curves with every point (no timing is asserted:
//! the figures themselves are `make bench`'s business).

use std::collections::BTreeMap;

use runner::bench::{self, curves, output_lines, parse_lines, IPC_SIZES, MIN_WORST_RUNS};

fn positive(raw: &BTreeMap<String, u64>, name: &str, tail: &str) -> u64 {
    match raw.get(name) {
        Some(&v) => {
            assert!(v > 0, "BENCH {name} is {v}:\n{tail}");
            v
        }
        None => panic!("no `BENCH {name}` line:\n{tail}"),
    }
}

/// `<name>_max` is at least the mean `<name>` and was taken over at least
/// `MIN_WORST_RUNS` single operations.
fn worst_is_sane(raw: &BTreeMap<String, u64>, name: &str, tail: &str) {
    let mean = positive(raw, name, tail);
    let max = positive(raw, &format!("{name}_max"), tail);
    let runs = positive(raw, &format!("{name}_runs"), tail);
    assert!(
        max >= mean,
        "{name}: worst case {max} below the mean {mean}:\n{tail}"
    );
    assert!(
        runs >= MIN_WORST_RUNS,
        "{name}: worst case of only {runs} runs:\n{tail}"
    );
}

#[test]
fn bench_system_prints_every_figure() {
    let (out, _hyp) = bench::run_bench_system().expect("build and run the bench system");
    let mut raw = parse_lines(output_lines(&out));
    let tail = out.tail(40);
    let mut expected = vec![
        "boot_to_first_partition".to_string(),
        "null_hvc".into(),
        "compute_hyp".into(),
        "partition_switch".into(),
        "bench_system_end".into(),
    ];
    for size in IPC_SIZES {
        expected.push(format!("ipc_send_{size}"));
        expected.push(format!("ipc_recv_{size}"));
    }
    for name in &expected {
        positive(&raw, name, &tail);
    }
    for size in IPC_SIZES {
        assert!(bench::ipc_total(&raw, size).is_some_and(|v| v > 0));
    }
    bench::combine_worst(&mut raw);
    let results = bench::results(&raw, None);
    let ipc_64 = results["ipc_64"].expect("ipc_64");
    raw.insert("ipc_64".into(), ipc_64);
    for name in ["null_hvc", "irq_to_guest", "ipc_64"] {
        worst_is_sane(&raw, name, &tail);
    }
}

#[test]
fn switch_and_window_worst_cases_are_sane() {
    let out = bench::run_bench_switch_system().expect("build and run the switch system");
    let mut raw = parse_lines(output_lines(&out));
    bench::combine_worst(&mut raw);
    let tail = out.tail(20);
    positive(&raw, "partition_switch_cold", &tail);
    // The mean comes from the bench system; here the worst case must at
    // least reach the mean of the same samples' shape: every switch
    // sample is a whole switch, so the largest is positive and the
    // runs are all there.
    let max = positive(&raw, "partition_switch_max", &tail);
    let runs = positive(&raw, "partition_switch_runs", &tail);
    assert!(runs >= MIN_WORST_RUNS, "{runs} switch samples:\n{tail}");
    assert!(
        raw["partition_switch_cold"] > max,
        "the first switch into a partition loads its image, so it costs more than any warm one:\n{tail}"
    );

    let raw = bench::run_bench_windows_system().expect("build and run the short windows system");
    worst_is_sane(&raw, "window_switch", &format!("{raw:?}"));
}

#[test]
fn compute_in_windows_does_the_same_work_inside_its_own_windows() {
    let out = bench::run_compute_windows_system().expect("build and run the compute windows system");
    let lines: Vec<&str> = output_lines(&out).collect();
    let raw = parse_lines(lines.iter().copied());
    let tail = out.tail(20);
    let own = positive(&raw, "compute_hyp_windows", &tail);
    let elapsed = positive(&raw, "compute_hyp_windows_elapsed", &tail);
    // The work spans a window of the other partition, which is not
    // counted: the time in its own windows is less than the elapsed time.
    assert!(own < elapsed, "own {own}, elapsed {elapsed}:\n{tail}");
    assert!(bench::checksum(lines.iter().copied(), "compute_hyp_windows").is_some());
}

#[test]
fn curves_have_every_point_and_a_finite_slope() {
    let (switch, boot) = curves::run_partition_curves().expect("run the partition curves");
    let (restart, extra) = curves::run_restart_curve().expect("run the restart curve");
    assert_eq!(switch.points.len(), curves::PARTITION_COUNTS.len());
    assert_eq!(boot.points.len(), curves::PARTITION_COUNTS.len());
    assert_eq!(restart.points.len(), curves::RESTART_KIB.len());
    for c in [&switch, &boot, &restart] {
        assert!(c.points.iter().all(|&(_, y)| y > 0.0), "{c:?}");
        let (slope, intercept) = c.fit().expect("a fit");
        assert!(slope.is_finite() && intercept.is_finite(), "{c:?}");
    }
    // Every restart clears the partition's memory: more memory, longer
    // restarts (the shape, not a timing).
    assert!(restart.fit().unwrap().0 > 0.0, "{restart:?}");
    for kib in curves::RESTART_KIB {
        let max = extra[&format!("restart_max_{kib}k")];
        assert!(max > 0 && extra[&format!("restart_runs_{kib}k")] > 0);
    }
}

#[test]
fn native_baseline_prints_its_compute_and_interrupt_figures() {
    let out = bench::run_native().expect("build and run the native baseline");
    let raw = parse_lines(output_lines(&out));
    for name in ["compute_native", "irq_native"] {
        positive(&raw, name, &out.tail(20));
    }
}
