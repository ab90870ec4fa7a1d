//! QEMU tests of temporal partitioning and virtual timer interrupts
//! (`tests/systems/windows.toml`, run under `-icount shift=0` so time is
//! instruction-counted and the figures repeat exactly).

use std::sync::OnceLock;

use runner::qemu::Outcome;
use runner::system::build_and_run;

fn windows_run() -> &'static Outcome {
    static RUN: OnceLock<Outcome> = OnceLock::new();
    RUN.get_or_init(|| {
        build_and_run("tools/runner/tests/systems/windows.toml", |run| {
            run.icount = true;
            // `bench`: the hypervisor prints its window timings.
            run.flags |= hypcfg::boot_flags::BENCH;
        })
        .expect("build and run")
    })
}

/// The number after `key` in the first console line containing `key`.
fn number_after(out: &Outcome, key: &str) -> u64 {
    let line = out
        .console
        .iter()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("no `{key}`:\n{}", out.tail(40)));
    let rest = &line[line.find(key).unwrap_or(0) + key.len()..];
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after `{key}` in `{line}`"))
}

#[test]
fn windows_start_on_time_although_a_partition_spins_with_interrupts_masked() {
    let out = windows_run();
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[spinner] spinning with interrupts masked"),
        "{}",
        out.tail(40)
    );
    // 8 windows of ticker, one per 2 ms major frame (125,000 ticks at
    // 62.5 MHz), while spinner never gives the core up.
    assert!(out.has("[ticker] window 8:"), "{}", out.tail(40));
    let spacing = number_after(out, "(one per");
    assert!(
        (124_000..=126_000).contains(&spacing),
        "window spacing {spacing} ticks:\n{}",
        out.tail(40)
    );
    // The hypervisor's own measurement of its boundaries.
    let started = number_after(out, "core 0 windows:");
    assert!(started >= 16, "only {started} windows started:\n{}", out.tail(20));
    let jitter = number_after(out, "resumed: max");
    println!("window deadline to partition resumed: max {jitter} instructions");
    assert!(
        jitter < 5_000,
        "boundary-to-switch latency {jitter} instructions:\n{}",
        out.tail(20)
    );
}

#[test]
fn a_partitions_timer_interrupts_arrive_at_the_programmed_rate() {
    let out = windows_run();
    out.expect_exit(0).unwrap();
    let n = number_after(out, "[periodic]");
    assert_eq!(n, 20, "{}", out.tail(40));
    let period = number_after(out, "mean period");
    let programmed = number_after(out, "(programmed");
    assert_eq!(programmed, 62_500);
    assert!(
        period.abs_diff(programmed) * 100 <= programmed * 5,
        "mean period {period} ticks:\n{}",
        out.tail(40)
    );
}

#[test]
fn a_device_interrupt_reaches_only_its_owner_and_waits_for_its_window() {
    let out = build_and_run("tools/runner/tests/systems/devirq.toml", |run| run.icount = true)
        .expect("build and run");
    out.expect_exit(0).unwrap();
    assert!(out.has("[hog] no interrupt reached me"), "{}", out.tail(30));
    assert_eq!(number_after(&out, "received"), 1, "{}", out.tail(30));
    // The timer expires about 0.2 ms after arming, inside hog's 2 ms
    // window; the interrupt must wait for devirq's next window.
    let delay = number_after(&out, "time(s),");
    assert!(
        delay > 125_000,
        "delivered after {delay} ticks, inside hog's window:\n{}",
        out.tail(30)
    );
}

#[test]
fn a_partition_programs_the_gic_itself_within_what_it_owns() {
    let out = build_and_run("tools/runner/tests/systems/gic.toml", |_| {}).expect("build and run");
    out.expect_exit(0).unwrap();
    // Its own driver's writes took effect where they concern its interrupts.
    assert!(out.has("[gicdriver] PPI 27 enabled: true"), "{}", out.tail(30));
    assert!(out.has("[gicdriver] SPI 33 enabled: true"), "{}", out.tail(30));
    assert!(
        out.has("[gicdriver] 5 timer interrupts through its own GIC set-up"),
        "{}",
        out.tail(30)
    );
    // Another partition's interrupt and a route to another core: refused,
    // each a fault under its policy (log: reported, skipped, it goes on).
    let fault = "[hyp] FAULT gicdriver (partition 0, core 0): GIC write refused, ";
    assert!(
        out.has(&format!(
            "{fault}enable/disable of an interrupt it does not own at 0xf0000104"
        )),
        "{}",
        out.tail(30)
    );
    assert!(
        out.has(&format!("{fault}routing to another core at 0xf0006108")),
        "{}",
        out.tail(30)
    );
    assert_eq!(out.count("-> log and continue"), 2, "{}", out.tail(30));
    // The EL1 physical timer behaves as on the board for the other partition.
    assert!(out.has("[other] 3 physical timer interrupts"), "{}", out.tail(30));
    assert_eq!(out.count("FAULT"), 2, "{}", out.tail(30));
}

#[test]
fn an_unmodified_bare_board_program_runs_as_a_partition_with_the_same_output() {
    let lines = |o: &Outcome| -> Vec<String> {
        o.stderr
            .lines()
            .chain(o.console.iter().map(String::as_str))
            .filter(|l| l.starts_with("baremetal:"))
            .map(String::from)
            .collect()
    };
    // The program prints and ends over semihosting, which a run gives
    // only when asked (`hvrun run --semihosting`): it is trusted here.
    let elf = runner::system::build_bare_program("baremetal").expect("build the bare program");
    let mut alone = runner::qemu::Run::new(elf);
    alone.semihosting = true;
    let bare = alone.run().expect("run it alone");
    bare.expect_exit(0).unwrap();
    let part = build_and_run("tools/runner/tests/systems/baremetal.toml", |run| {
        run.semihosting = true;
    })
    .expect("run it as a partition");
    part.expect_exit(0).unwrap();
    let alone = lines(&bare);
    assert!(
        alone.iter().any(|l| l == "baremetal: timer interrupt 5"),
        "{alone:?}"
    );
    assert!(
        alone.iter().any(|l| l.contains("timer PPI enabled true")),
        "{alone:?}"
    );
    assert_eq!(
        alone,
        lines(&part),
        "output differs between the bare board and the partition"
    );
}

#[test]
fn windows_start_on_time_while_the_other_partition_storms_restarts_faults_and_hypercalls() {
    let out = build_and_run("tools/runner/tests/systems/windows_attack.toml", |run| {
        run.icount = true;
        run.flags |= hypcfg::boot_flags::BENCH;
    })
    .expect("build and run");
    out.expect_exit(0).unwrap();
    // The attack happened: every life reloaded 32 MiB, and it went on to
    // the end.
    assert!(out.has("[restarter] life 9:"), "{}", out.tail(40));
    assert!(out.has("[restarter] 12 lives, stopping"), "{}", out.tail(40));
    assert!(out.has("restarting restarter (it asked to)"), "{}", out.tail(40));
    // The victim saw its 8 windows, one per 2 ms major frame, as in the
    // quiet run.
    assert!(out.has("[ticker] window 8:"), "{}", out.tail(40));
    let spacing = number_after(&out, "(one per");
    assert!(
        (124_000..=126_000).contains(&spacing),
        "window spacing {spacing} ticks under attack:\n{}",
        out.tail(40)
    );
    let jitter = number_after(&out, "resumed: max");
    println!("under attack: window deadline to partition resumed: max {jitter} instructions");
    assert!(
        jitter < 5_000,
        "boundary-to-switch latency {jitter} instructions under attack:\n{}",
        out.tail(20)
    );
}

#[test]
fn a_uart_a_partition_owns_can_be_routed_to_a_file() {
    let dir = std::env::temp_dir().join(format!("rhyp-uart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("uart3.log");
    let _ = std::fs::remove_file(&file);
    let route = runner::qemu::parse_uart(&format!("uart3={}", file.display())).expect("a valid route");
    let out = build_and_run("tools/runner/tests/systems/uart.toml", |run| {
        run.uarts.push(route)
    })
    .expect("build and run");
    out.expect_exit(0).unwrap();
    assert!(out.has("[uartwriter] wrote a line to UART3"), "{}", out.tail(20));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(text, "hello from uart3\n", "UART3's file");
    // What went to UART3 is not on the console.
    assert!(!out.has("hello from uart3"), "{}", out.tail(20));
}

#[test]
fn uart_routes_are_checked() {
    assert!(
        runner::qemu::parse_uart("uart2=x.log").is_err(),
        "the console is the runner's"
    );
    assert!(runner::qemu::parse_uart("uart9=x.log").is_err());
    assert!(runner::qemu::parse_uart("uart3").is_err());
    assert!(runner::qemu::parse_uart("uart3=").is_err());
    assert_eq!(
        runner::qemu::parse_uart("uart4=term").unwrap(),
        (4, std::path::PathBuf::from("/dev/tty"))
    );
    assert_eq!(
        runner::qemu::parse_uart("uart0=a.log").unwrap(),
        (0, std::path::PathBuf::from("a.log"))
    );
}
