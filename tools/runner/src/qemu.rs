//! Running an image in QEMU `mps3-an536`: timeout, console capture, exit code.

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
    /// Words of the semihosting command line after the program name.
    pub args: Vec<String>,
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
}

impl Run {
    /// A run of `kernel` on two cores with a 60 s timeout.
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Run {
            kernel: kernel.into(),
            loads: Vec::new(),
            args: Vec::new(),
            timeout: Some(Duration::from_secs(60)),
            icount: false,
            smp: 2,
            gdb: false,
            echo: false,
        }
    }

    /// The full QEMU command line.
    pub fn command(&self) -> Command {
        let mut c = Command::new(QEMU);
        c.args(["-M", MACHINE, "-smp", &self.smp.to_string()])
            .args(["-display", "none", "-monitor", "none"])
            // serial0/1: the per-core UART0s (unused); serial2: UART2, the console.
            .args(["-serial", "null", "-serial", "null", "-serial", "stdio"]);
        let mut semi = String::from("enable=on,target=native,arg=hyp");
        for a in &self.args {
            semi.push_str(",arg=");
            semi.push_str(a);
        }
        c.args(["-semihosting-config", &semi]);
        if self.icount {
            c.args(["-icount", "shift=0,align=off,sleep=off"]);
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
        let mut child = self
            .command()
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
        let echo = self.echo;
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if echo {
                    println!("{line}");
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
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| Error(e.to_string()))? {
                break Some(st);
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
        let console: Vec<String> = rx
            .try_iter()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        Ok(Outcome {
            exit_code: status.and_then(|s| s.code()),
            timed_out,
            console,
            stderr,
            elapsed: start.elapsed(),
        })
    }
}

/// What a QEMU run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// QEMU's exit status (the semihosting exit code), `None` if killed.
    pub exit_code: Option<i32>,
    /// Whether the run hit its timeout.
    pub timed_out: bool,
    /// Console lines (CR stripped).
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
