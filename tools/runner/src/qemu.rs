//! Running an image in QEMU `mps3-an536`: timeout, console capture, exit code.
//!
//! QEMU starts without semihosting unless a run asks for it
//! ([`Run::semihosting`], for trusted programs only): with it, any program
//! at EL1, so any partition, could read and write host files and run host
//! commands (`docs/security.md`, "Host"). The hypervisor ends a run by
//! printing [`STATUS_LINE`] and its exit code; the runner ends QEMU there
//! and takes that code. Its inputs (`forever`, `bench`) reach it as boot
//! flags ([`hypcfg::boot_flags`]) written with QEMU's generic loader.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-arm";
/// The machine the product targets.
pub const MACHINE: &str = "mps3-an536";

/// Checks that QEMU exists and models `mps3-an536` (asks `-M help` rather
/// than trusting a version number).
pub fn check_qemu() -> Result<()> {
    let out = Command::new(QEMU).args(["-M", "help"]).output().map_err(|_| {
        Error(format!(
            "`{QEMU}` not found: run `make setup` (it installs QEMU >= 9.0 from bookworm-backports)"
        ))
    })?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.starts_with(MACHINE))
    {
        Ok(())
    } else {
        Err(Error(format!(
            "`{QEMU}` has no `{MACHINE}` machine (QEMU >= 9.0 needed): run `make setup`"
        )))
    }
}

/// One QEMU run to set up.
#[derive(Clone, Debug)]
pub struct Run {
    /// The ELF given to `-kernel`.
    pub kernel: PathBuf,
    /// Extra files loaded with `-device loader,file=..` (ELFs at their own
    /// addresses, raw files at the address given).
    pub loads: Vec<(PathBuf, Option<u32>)>,
    /// Boot flags for the hypervisor ([`hypcfg::boot_flags`]: `FOREVER`,
    /// `BENCH`); none (0) adds nothing to the command line.
    pub flags: u32,
    /// Where the boot flags go (the `__boot_flags` symbol of the
    /// hypervisor's ELF); looked up in [`Run::kernel`] when not given.
    pub flags_at: Option<u32>,
    /// Start QEMU with semihosting, for trusted programs only: self-test
    /// images, bare-board programs, `hvrun run --semihosting`. Off, an
    /// `SVC #0x123456` or `HLT #0xF000` is an ordinary exception.
    pub semihosting: bool,
    /// Words of the semihosting command line after the program name
    /// (only with [`Run::semihosting`]).
    pub args: Vec<String>,
    /// QEMU's working directory (semihosting resolves relative host paths
    /// there); `None`: the runner's.
    pub cwd: Option<PathBuf>,
    /// Kill QEMU after this long (`None`: run until it exits).
    pub timeout: Option<Duration>,
    /// `-icount shift=0`: one virtual nanosecond per instruction.
    pub icount: bool,
    /// Number of cores.
    pub smp: u32,
    /// Wait for gdb on port 1234 (`-s -S`).
    pub gdb: bool,
    /// Echo the console to our stdout as it arrives.
    pub echo: bool,
    /// Where the UARTs other than the console go, by QEMU serial index
    /// (see [`uart_serial`]); the others are dropped.
    pub uarts: Vec<(usize, PathBuf)>,
}

/// The board's UARTs in QEMU's serial order on `mps3-an536`: the two
/// cores' private UART0s, then the shared UART2 (the console) to UART5.
pub const UART_NAMES: [&str; 6] = ["uart0", "uart1", "uart2", "uart3", "uart4", "uart5"];

/// QEMU serial index of the console (UART2).
pub const CONSOLE_SERIAL: usize = 2;

/// QEMU serial index of UART `name` (`uart0`..`uart5`; `uart0` is core
/// 0's private UART0, `uart1` core 1's).
pub fn uart_serial(name: &str) -> Option<usize> {
    UART_NAMES.iter().position(|n| *n == name)
}

/// Parses `hvrun run --uart NAME=DEST`: `DEST` is a file path, or `term`
/// for the terminal (`/dev/tty`). The console (`uart2`) is always the
/// runner's own and cannot be routed.
pub fn parse_uart(spec: &str) -> std::result::Result<(usize, PathBuf), String> {
    let (name, dest) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}`: write NAME=FILE (e.g. uart3=uart3.log) or NAME=term"))?;
    let index = uart_serial(name).ok_or_else(|| {
        format!(
            "`{name}` is not a UART of the board: one of {}",
            UART_NAMES.join(", ")
        )
    })?;
    if index == CONSOLE_SERIAL {
        return Err("uart2 is the console: the runner always captures it".into());
    }
    if dest.is_empty() {
        return Err(format!("`{spec}`: no destination after `=`"));
    }
    let path = if dest == "term" {
        PathBuf::from("/dev/tty")
    } else {
        PathBuf::from(dest)
    };
    Ok((index, path))
}

impl Run {
    /// A run of a self-test image: semihosting on (the image reads the
    /// test's name from its command line), no partitions.
    pub fn selftest(kernel: impl Into<PathBuf>, name: &str) -> Self {
        let mut r = Run::new(kernel);
        r.semihosting = true;
        r.args.push(format!("selftest={name}"));
        r
    }

    /// A run of a program for the bare board (no hypervisor: QEMU starts
    /// it in Hyp mode on both cores) with the UARTs `uarts` routed, as
    /// [`parse_uart`] gives them: semihosting on, since such a program
    /// ends the run with a semihosting exit, whose status is the run's
    /// exit code. For trusted programs only (see [`Run::semihosting`]).
    pub fn bare(kernel: impl Into<PathBuf>, uarts: &[(usize, PathBuf)]) -> Self {
        let mut r = Run::new(kernel);
        r.semihosting = true;
        r.uarts.extend_from_slice(uarts);
        r
    }

    /// A run of `kernel` on two cores with a 60 s timeout, no semihosting
    /// and no boot flags.
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Run {
            kernel: kernel.into(),
            loads: Vec::new(),
            flags: 0,
            flags_at: None,
            semihosting: false,
            args: Vec::new(),
            cwd: None,
            timeout: Some(Duration::from_secs(60)),
            icount: false,
            smp: 2,
            gdb: false,
            echo: false,
            uarts: Vec::new(),
        }
    }

    /// The full QEMU command line.
    pub fn command(&self) -> Command {
        let mut c = Command::new(QEMU);
        c.args(["-M", MACHINE, "-smp", &self.smp.to_string()])
            .args(["-display", "none", "-monitor", "none"]);
        // serial0/1: the per-core UART0s; serial2: UART2, the console;
        // serial3-5: UART3-5. Each goes where the run routes it, or nowhere.
        for index in 0..UART_NAMES.len() {
            let dest = if index == CONSOLE_SERIAL {
                "stdio".to_string()
            } else {
                self.uarts
                    .iter()
                    .rev()
                    .find(|(i, _)| *i == index)
                    .map_or("null".to_string(), |(_, p)| format!("file:{}", p.display()))
            };
            c.args(["-serial", &dest]);
        }
        if self.semihosting {
            let mut semi = String::from("enable=on,target=native,arg=hyp");
            for a in &self.args {
                semi.push_str(",arg=");
                semi.push_str(a);
            }
            c.args(["-semihosting-config", &semi]);
        }
        if let (true, Some(at)) = (self.flags != 0, self.flags_at) {
            c.args([
                "-device",
                &format!(
                    "loader,addr={at:#x},data={:#x},data-len=8",
                    hypcfg::boot_flags::loader_data(self.flags)
                ),
            ]);
        }
        let trace = std::env::var_os("HVRUN_TRACE");
        if self.icount || trace.is_some() {
            c.args(["-icount", "shift=0,align=off,sleep=off"]);
        }
        // A profiling aid (docs/benchmarks.md): every executed instruction's
        // PC into the named file, one instruction per translation block so
        // the lines count instructions, under -icount so the run is the
        // benchmark's. Slow: for short runs only.
        if let Some(path) = trace {
            c.args(["-accel", "tcg,one-insn-per-tb=on", "-d", "exec,nochain", "-D"])
                .arg(path);
        }
        if self.gdb {
            c.args(["-s", "-S"]);
        }
        c.arg("-kernel").arg(&self.kernel);
        for (file, addr) in &self.loads {
            let mut spec = format!("loader,file={}", file.display());
            if let Some(a) = addr {
                spec.push_str(&format!(",addr={a:#x},force-raw=on"));
            }
            c.args(["-device", &spec]);
        }
        c
    }

    /// Runs QEMU to completion (or timeout) and returns what happened.
    pub fn run(&self) -> Result<Outcome> {
        check_qemu()?;
        let mut this = self.clone();
        if this.flags != 0 && this.flags_at.is_none() {
            this.flags_at = Some(boot_flags_addr(&this.kernel)?);
        }
        if !this.semihosting && !this.args.is_empty() {
            return Err(Error(format!(
                "semihosting arguments {:?} given to a run without semihosting",
                this.args
            )));
        }
        let mut cmd = this.command();
        if let Some(dir) = &this.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error(format!("cannot start {QEMU}: {e}")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error("no QEMU stdout".into()))?;
        let mut stderr = child
            .stderr
            .take()
            .ok_or_else(|| Error("no QEMU stderr".into()))?;
        let (tx, rx) = mpsc::channel::<String>();
        let (status_tx, status_rx) = mpsc::channel::<i32>();
        let echo = self.echo;
        let reader = std::thread::spawn(move || {
            // Bytes, not `lines()`: a line that is not UTF-8 must not end
            // the capture (the hypervisor escapes partition output, but
            // the console is read whatever it holds).
            for raw in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
                let line = String::from_utf8_lossy(&raw).trim_end_matches('\r').to_string();
                if echo {
                    println!("{line}");
                }
                if let Some(code) = status_code(&line) {
                    let _ = status_tx.send(code);
                }
                let _ = tx.send(line);
            }
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let start = Instant::now();
        let mut timed_out = false;
        let mut reported = None;
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| Error(e.to_string()))? {
                break Some(st);
            }
            if let Ok(code) = status_rx.try_recv() {
                // The run is over: the hypervisor stopped its cores and
                // printed its exit code; QEMU itself would run on.
                reported = Some(code);
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            if self.timeout.is_some_and(|t| start.elapsed() > t) {
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = reader.join();
        let stderr = err_reader.join().unwrap_or_default();
        let console: Vec<String> = rx.try_iter().collect();
        // The status line, also when QEMU ended first (a trusted program's
        // semihosting exit then gives the code if there is no line).
        let reported = reported.or_else(|| status_rx.try_iter().next());
        Ok(Outcome {
            exit_code: reported.or_else(|| status.and_then(|s| s.code())),
            status_line: reported.is_some(),
            timed_out,
            console,
            stderr,
            elapsed: start.elapsed(),
        })
    }
}

/// The line that ends a run (`hyp/src/run.rs`), followed by the exit code
/// in decimal. Only a whole console line counts: every partition line
/// starts with `[name] ` and no partition may be named `hyp`.
pub const STATUS_LINE: &str = "[hyp] run over: exit code ";

/// The exit code of `line` if it is the hypervisor's status line.
pub fn status_code(line: &str) -> Option<i32> {
    let digits = line.strip_prefix(STATUS_LINE)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().map(|c| c as i32)
}

/// The `__boot_flags` address in the hypervisor ELF `elf` (see
/// [`hypcfg::boot_flags`]).
pub fn boot_flags_addr(elf: &Path) -> Result<u32> {
    use object::{Object, ObjectSymbol};
    let bytes = std::fs::read(elf).map_err(|e| Error(format!("{}: {e}", elf.display())))?;
    let file = object::File::parse(&*bytes).map_err(|e| Error(format!("{}: {e}", elf.display())))?;
    file.symbols()
        .find(|s| s.name() == Ok(hypcfg::boot_flags::SYMBOL))
        .map(|s| s.address() as u32)
        .ok_or_else(|| {
            Error(format!(
                "{} has no `{}` symbol: boot flags need the hypervisor's own ELF",
                elf.display(),
                hypcfg::boot_flags::SYMBOL
            ))
        })
}

/// What a QEMU run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The run's exit code: the one the hypervisor's status line gave, or
    /// else QEMU's own exit status (a bare program's semihosting exit);
    /// `None` if neither (killed at the timeout, say).
    pub exit_code: Option<i32>,
    /// Whether the exit code came from the hypervisor's status line.
    pub status_line: bool,
    /// Whether the run hit its timeout.
    pub timed_out: bool,
    /// Console lines (a trailing CR stripped, bytes that are not UTF-8
    /// replaced).
    pub console: Vec<String>,
    /// QEMU's own error output.
    pub stderr: String,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Outcome {
    /// The console as one string.
    pub fn text(&self) -> String {
        self.console.join("\n")
    }

    /// The last `n` console lines, for failure messages.
    pub fn tail(&self, n: usize) -> String {
        let skip = self.console.len().saturating_sub(n);
        let mut s = self.console[skip..].join("\n");
        if !self.stderr.trim().is_empty() {
            s.push_str("\n--- qemu stderr ---\n");
            s.push_str(self.stderr.trim());
        }
        s
    }

    /// Whether some console line contains `needle`.
    pub fn has(&self, needle: &str) -> bool {
        self.console.iter().any(|l| l.contains(needle))
    }

    /// The console lines of partition `name`, without their `[name] `
    /// prefix.
    pub fn lines_of(&self, name: &str) -> Vec<&str> {
        let prefix = format!("[{name}] ");
        self.console
            .iter()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .collect()
    }

    /// How many console lines contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.console.iter().filter(|l| l.contains(needle)).count()
    }

    /// Fails with the console tail unless the run exited with `code`.
    pub fn expect_exit(&self, code: i32) -> Result<()> {
        if self.exit_code == Some(code) {
            return Ok(());
        }
        let why = if self.timed_out {
            format!("timed out after {:.1?}", self.elapsed)
        } else {
            format!("exited with {:?}", self.exit_code)
        };
        Err(Error(format!(
            "QEMU run {why}, expected exit {code}; console tail:\n{}",
            self.tail(40)
        )))
    }
}

/// Writes a gdb command file for `make debug` next to `elf` and returns it.
pub fn write_gdb_script(elf: &Path) -> Result<PathBuf> {
    let path = elf.with_extension("gdb");
    let text = format!(
        "# gdb-multiarch -x {path}\nfile {elf}\nset architecture armv8-r\ntarget remote :1234\nbreak hyp_primary_main\n",
        path = path.display(),
        elf = elf.display()
    );
    std::fs::write(&path, text).map_err(|e| Error(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(r: &Run) -> Vec<String> {
        r.command()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn only_the_whole_status_line_gives_an_exit_code() {
        assert_eq!(status_code("[hyp] run over: exit code 0"), Some(0));
        assert_eq!(status_code("[hyp] run over: exit code 101"), Some(101));
        assert_eq!(status_code("[forger] [hyp] run over: exit code 0"), None);
        assert_eq!(status_code("[hyp] run over: exit code 0 and more"), None);
        assert_eq!(status_code("[hyp] run over: exit code "), None);
        assert_eq!(status_code("[hyp] run over: exit code -1"), None);
        assert_eq!(
            status_code("[hyp] run over (exit code 0); staying up as asked (FOREVER=1)"),
            None
        );
    }

    #[test]
    fn a_run_has_no_semihosting_unless_asked_and_flags_go_through_the_loader() {
        let mut r = Run::new("system.elf");
        let plain = args(&r);
        assert!(!plain.iter().any(|a| a.contains("semihosting")), "{plain:?}");
        assert!(!plain.iter().any(|a| a == "-device"), "{plain:?}");
        r.flags = hypcfg::boot_flags::BENCH;
        r.flags_at = Some(0x1002_0000);
        let with_flags = args(&r);
        let want = format!(
            "loader,addr=0x10020000,data={:#x},data-len=8",
            hypcfg::boot_flags::loader_data(hypcfg::boot_flags::BENCH)
        );
        assert!(with_flags.contains(&want), "{with_flags:?}");
        assert!(!with_flags.iter().any(|a| a.contains("semihosting")));
        let b = args(&Run::bare("prog.elf", &[(3, PathBuf::from("u3.log"))]));
        assert!(b.iter().any(|a| a.starts_with("enable=on")), "{b:?}");
        assert!(b.contains(&"file:u3.log".to_string()), "{b:?}");
        assert!(!b.iter().any(|a| a == "-device"), "no boot flags: {b:?}");
        let s = Run::selftest("hyp", "boot");
        let semi = args(&s);
        assert!(
            semi.contains(&"enable=on,target=native,arg=hyp,arg=selftest=boot".to_string()),
            "{semi:?}"
        );
    }
}
