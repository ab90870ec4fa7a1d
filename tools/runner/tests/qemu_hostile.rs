//! QEMU tests of the host and console boundaries (`docs/security.md`,
//! "Host" and "Console"), each with a hostile partition and a victim
//! (`bystander`, named `victim`) whose output must not change: a
//! partition's semihosting calls never reach the host, its console output
//! cannot forge a line or drown the others, and a run where every
//! partition was halted ends with a non-zero status.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use runner::qemu::Outcome;
use runner::system::build_and_run;

/// The victim's lines, without its timing line (the only one that varies).
const VICTIM: [&str; 10] = [
    "bystander up",
    "step 0: checksum b4abca61",
    "step 1: checksum d93ea4c1",
    "step 2: checksum 11908f21",
    "step 3: checksum a5798981",
    "step 4: checksum 80d193e1",
    "step 5: checksum 3370ae41",
    "step 6: checksum f12ed8a1",
    "step 7: checksum 91e41301",
    "bystander done",
];

/// Console lines of partition `name`, without the prefix.
fn lines_of<'a>(console: impl IntoIterator<Item = &'a String>, name: &str) -> Vec<&'a str> {
    let prefix = format!("[{name}] ");
    console
        .into_iter()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect()
}

/// Checks the victim printed exactly its lines, then shut down with 0.
fn victim_unchanged<'a>(console: impl IntoIterator<Item = &'a String> + Clone, context: &str) {
    let got: Vec<&str> = lines_of(console.clone(), "victim")
        .into_iter()
        .filter(|l| !l.starts_with("took "))
        .collect();
    assert_eq!(got, VICTIM, "the victim's output changed:\n{context}");
    assert!(
        console
            .into_iter()
            .any(|l| l == "[hyp] partition victim shut down (exit code 0)"),
        "the victim did not complete:\n{context}"
    );
}

/// The victim's run time in microseconds (its `took N us` line).
fn victim_time(out: &Outcome) -> u64 {
    lines_of(&out.console, "victim")
        .iter()
        .find_map(|l| l.strip_prefix("took ")?.strip_suffix(" us")?.parse().ok())
        .unwrap_or_else(|| panic!("no timing line:\n{}", out.tail(30)))
}

/// What `hvrun run` did: exit status, stdout lines, stderr.
struct HvrunRun {
    status: Option<i32>,
    console: Vec<String>,
    stderr: String,
}

/// A fresh, empty directory for one test (QEMU's working directory: a
/// relative host path a partition names would land here).
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rhyp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `hvrun` binary as `make qemu` does (`hvrun run`), on `system`
/// (relative to the workspace root), from `cwd`, with `extra` arguments.
fn hvrun(system: &str, cwd: &PathBuf, extra: &[&str]) -> HvrunRun {
    let system = runner::workspace_root().join(system);
    let out = Command::new(env!("CARGO_BIN_EXE_hvrun"))
        .args(["run", "--config"])
        .arg(&system)
        .args(["--timeout", "90"])
        .args(extra)
        .current_dir(cwd)
        .output()
        .expect("start hvrun");
    HvrunRun {
        status: out.status.code(),
        console: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl HvrunRun {
    fn context(&self) -> String {
        format!(
            "exit {:?}\n{}\n--- stderr ---\n{}",
            self.status,
            self.console.join("\n"),
            self.stderr
        )
    }
}

/// Files a partition may have made on the host (relative to QEMU's cwd).
const PWNED: [&str; 2] = ["pwned-by-system", "pwned-by-open"];

#[test]
fn semihosting_calls_of_a_partition_never_reach_the_host() {
    let dir = temp_dir("host");
    let run = hvrun("tools/runner/tests/systems/host.toml", &dir, &[]);
    let ctx = run.context();
    // The run went to its end, not to a partition's SYS_EXIT.
    assert_eq!(run.status, Some(0), "{ctx}");
    assert_eq!(
        run.console.last().map(String::as_str),
        Some("[hyp] run over: exit code 0"),
        "{ctx}"
    );
    for f in PWNED {
        assert!(
            !dir.join(f).exists(),
            "the partition made {f} on the host:\n{ctx}"
        );
    }
    victim_unchanged(&run.console, &ctx);
    let semi = lines_of(&run.console, "semihost");
    for (what, form, seen) in [
        (
            "SYS_SYSTEM touch",
            "A32 SVC #0x123456",
            "an SVC exception to my own vector",
        ),
        (
            "SYS_OPEN for writing",
            "A32 SVC #0x123456",
            "an SVC exception to my own vector",
        ),
        (
            "SYS_WRITE",
            "A32 SVC #0x123456",
            "an SVC exception to my own vector",
        ),
        (
            "SYS_EXIT",
            "A32 SVC #0x123456",
            "an SVC exception to my own vector",
        ),
        ("SYS_EXIT", "T32 SVC #0xAB", "an SVC exception to my own vector"),
        ("SYS_EXIT", "A32 HLT #0xF000", "an undefined instruction"),
        ("SYS_EXIT", "T32 HLT #0x3C", "an undefined instruction"),
        (
            "SYS_READ into read-only memory",
            "A32 SVC #0x123456",
            "an SVC exception to my own vector",
        ),
    ] {
        let want = format!("{what} via {form}: {seen},");
        assert!(semi.iter().any(|l| l.starts_with(&want)), "no `{want}`:\n{ctx}");
    }
    assert!(semi.contains(&"read-only memory intact"), "{ctx}");
    assert!(
        semi.contains(&"semihost done: still running after every attempt"),
        "{ctx}"
    );
    assert!(!run.console.iter().any(|l| l.contains("FAULT")), "{ctx}");
    assert!(!run.stderr.contains("warning: semihosting"), "{ctx}");
}

/// The same attack with `--semihosting` asked for: the host is reached
/// (so the test above would see it if semihosting were on), and the
/// runner warns.
#[test]
fn semihosting_on_request_reaches_the_host_with_a_warning() {
    let dir = temp_dir("host-trusted");
    let run = hvrun("tools/runner/tests/systems/host.toml", &dir, &["--semihosting"]);
    let ctx = run.context();
    assert!(
        run.stderr.contains(
            "warning: semihosting is on: every partition of this run can read and write host files"
        ),
        "{ctx}"
    );
    for f in PWNED {
        assert!(
            dir.join(f).exists(),
            "{f} was not made with semihosting on:\n{ctx}"
        );
    }
    // The partition's SYS_EXIT ended QEMU before the victim was done.
    assert!(
        !run.console.iter().any(|l| l.starts_with("[hyp] run over")),
        "{ctx}"
    );
    assert!(
        !run.console.iter().any(|l| l == "[victim] bystander done"),
        "{ctx}"
    );
}

fn console_run() -> &'static Outcome {
    static RUN: OnceLock<Outcome> = OnceLock::new();
    RUN.get_or_init(|| build_and_run("tools/runner/tests/systems/console.toml", |_| {}).expect("run"))
}

#[test]
fn console_output_is_escaped_and_every_line_carries_its_prefix() {
    let out = console_run();
    out.expect_exit(0).unwrap();
    let ctx = out.tail(60);
    victim_unchanged(&out.console, &ctx);
    // Nothing a terminal acts on reaches it.
    for l in &out.console {
        assert!(
            !l.chars().any(|c| c.is_control() && c != '\t'),
            "a control character reached the console: {l:?}"
        );
        assert!(!l.contains('\u{202e}'), "{l:?}");
    }
    // The forged lines: all the forger's, escaped, none the hypervisor's.
    let hyp_lines: Vec<&String> = out.console.iter().filter(|l| l.starts_with("[hyp]")).collect();
    assert!(
        !hyp_lines
            .iter()
            .any(|l| l.contains("victim halted") || l.contains("forged")),
        "{ctx}"
    );
    assert_eq!(
        out.console
            .iter()
            .filter(|l| l.starts_with("[hyp] run over"))
            .count(),
        1,
        "{ctx}"
    );
    let forger = lines_of(&out.console, "forger");
    for want in [
        "innocent\\x0d[hyp] partition victim halted: forged by CR",
        "\\x1b[2K\\x1b[1G[hyp] partition victim halted: forged by ESC",
        "\\x1b[2J\\x1b[H\\x1b[31mred\\x1b[0m\\x07\\x08\\x7f",
        "[hyp] partition victim halted: forged after LF",
        "[hyp] run over: exit code 0",
        "[hyp] partition victim halted: forged at the split",
        "c1 \\u{009b}2J rtl \\u{202e}detlah",
        "latin-1 caf\\xe9 \\xff end",
        "split \\x1b[2K escape",
        "forger done",
    ] {
        assert!(forger.contains(&want), "no `[forger] {want}`:\n{ctx}");
    }
    // Every console line is the hypervisor's or carries a partition's name.
    for l in &out.console {
        let ok = l.is_empty()
            || l.starts_with("rhyp ")
            || ["[hyp] ", "[forger] ", "[victim] "]
                .iter()
                .any(|p| l.starts_with(p));
        assert!(ok, "a line without a prefix: {l:?}");
    }
}

fn flood_runs() -> &'static (Outcome, Outcome) {
    static RUNS: OnceLock<(Outcome, Outcome)> = OnceLock::new();
    RUNS.get_or_init(|| {
        // Instruction-counted: one thread runs both cores, so a loaded
        // host makes the run slow; the timeout is generous.
        let icount = |r: &mut runner::qemu::Run| {
            r.icount = true;
            r.timeout = Some(std::time::Duration::from_secs(180));
        };
        let flood = build_and_run("tools/runner/tests/systems/console_flood.toml", icount).expect("run");
        let quiet = build_and_run("tools/runner/tests/systems/quiet.toml", icount).expect("run");
        (flood, quiet)
    })
}

#[test]
fn a_flooding_partition_is_rate_limited_and_the_victim_is_undisturbed() {
    let (out, quiet) = flood_runs();
    out.expect_exit(0).unwrap();
    quiet.expect_exit(0).unwrap();
    let ctx = out.tail(40);
    victim_unchanged(&out.console, &ctx);
    victim_unchanged(&quiet.console, &quiet.tail(40));
    let flooder = lines_of(&out.console, "flooder");
    let printed = flooder.iter().filter(|l| l.starts_with("flood line ")).count();
    // The burst (64 lines) and what the rate (50 lines/s) allows while it
    // floods; 3,000 were tried.
    assert!(
        (64..=80).contains(&printed),
        "{printed} flood lines printed:\n{ctx}"
    );
    let suppressed: u32 = flooder
        .iter()
        .filter_map(|l| {
            l.strip_prefix("... ")?
                .strip_suffix(" lines suppressed")?
                .parse::<u32>()
                .ok()
        })
        .sum();
    assert_eq!(printed as u32 + suppressed, 3_000, "{ctx}");
    // The count comes when it may print again, before its last line.
    let text = out.text();
    let notice = text.rfind("[flooder] ... ").expect("a suppressed-count line");
    let last = text
        .find("[flooder] flood over: tried 3000 lines")
        .expect("its last line");
    assert!(notice < last, "{ctx}");
    // The victim's timing (instruction-counted) against the same load
    // without printing. Under `-icount` the two cores share one clock, so
    // any work of the other core shows in it; the bound is what the
    // flooder's hypercalls themselves cost, with margin.
    let (t, base) = (victim_time(out), victim_time(quiet));
    println!("victim: {t} us next to the flooder, {base} us next to the quiet one");
    assert!(
        t * 100 <= base * 125,
        "victim took {t} us, {base} us without the flood:\n{ctx}"
    );
}

#[test]
fn a_run_where_every_partition_is_halted_exits_non_zero() {
    let out = build_and_run("tools/runner/tests/systems/halted.toml", |_| {}).expect("run");
    out.expect_exit(1).unwrap();
    assert!(out.status_line, "{}", out.tail(20));
    for p in ["crasher", "phoenix"] {
        assert!(
            out.has(&format!("[hyp] partition {p} halted: fault policy is halt")),
            "{}",
            out.tail(20)
        );
    }
    assert!(
        out.has("[hyp] no partition shut down: every one was halted"),
        "{}",
        out.tail(20)
    );
    assert!(!out.has("isolation is broken"), "{}", out.tail(20));
}
