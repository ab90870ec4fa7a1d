//! `hvrun`: build the hypervisor image and run it in QEMU (the Makefile's
//! `build`, `qemu`, `size`, `debug` and `bench` targets call this).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use runner::build::{self, Variant};
use runner::{qemu, size};

#[derive(Parser)]
#[command(
    name = "hvrun",
    about = "Build the hypervisor image and run it in QEMU mps3-an536"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the hypervisor image and print its path.
    Build {
        /// Build the self-test variant.
        #[arg(long)]
        selftest: bool,
    },
    /// Build and run in QEMU (no semihosting unless asked); exits with the
    /// code of the hypervisor's status line (`[hyp] run over: exit code N`).
    Run {
        /// Keep running after the demo (for interactive use); no timeout.
        #[arg(long)]
        forever: bool,
        /// Run this in-hypervisor self test instead of the demo.
        #[arg(long)]
        selftest: Option<String>,
        /// Instruction-counted time (`-icount shift=0`).
        #[arg(long)]
        icount: bool,
        /// Seconds before QEMU is killed.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// The system to boot (a relative path is relative to the current
        /// directory; default: the demo, `config/demo.toml` of this tree).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Where to write the built system (default:
        /// `target/systems/<system file stem>` of this tree).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Start QEMU with semihosting: every partition can then read and
        /// write host files and run host commands. Trusted programs only.
        #[arg(long)]
        semihosting: bool,
        /// Route a UART other than the console: `NAME=FILE` or `NAME=term`
        /// (`uart0`, `uart1`: the cores' private UART0s; `uart3`..`uart5`);
        /// repeat for several. Unrouted UARTs are dropped.
        #[arg(long = "uart", value_name = "NAME=DEST", value_parser = runner::qemu::parse_uart)]
        uarts: Vec<(usize, std::path::PathBuf)>,
    },
    /// Build a system (`system.img`, `system.elf`) without running it, and
    /// print where its files are.
    Image {
        /// The system to build (a relative path is relative to the current
        /// directory; default: the demo, `config/demo.toml` of this tree).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Where to write it (default: `target/systems/<system file stem>`
        /// of this tree).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the size of each section of the hypervisor image.
    Size,
    /// Start QEMU halted, waiting for gdb on :1234, and write a gdb script.
    Debug {
        /// The system to boot (default: the demo).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check that QEMU and the target toolchain are usable.
    Doctor,
    /// Run clippy on the target crates for armv8r-none-eabihf.
    Clippy,
    /// Run the benchmark suite under `-icount`: a table on stdout,
    /// `results.json` and `ipc.svg` in the output directory.
    Bench {
        /// Where to write `results.json` and `ipc.svg` (default: `bench/`).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Builds the system file `config` (relative to the current directory;
/// the demo of this tree when `None`) into `out` (its default directory
/// when `None`).
fn build_system(
    config: Option<&Path>,
    out: Option<&Path>,
    variant: Variant,
) -> runner::Result<runner::system::SystemImage> {
    let demo = runner::workspace_root().join("config/demo.toml");
    let config = config.unwrap_or(&demo);
    if !config.is_file() {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        return Err(runner::Error(format!(
            "no system file `{}` (a relative path is relative to the current directory, {cwd})",
            config.display()
        )));
    }
    let out = out.map_or_else(|| runner::system::default_out_dir(config), Path::to_path_buf);
    runner::system::build_system_in(config, variant, &out)
}

fn run(cli: Cli) -> runner::Result<ExitCode> {
    match cli.command {
        Cmd::Build { selftest } => {
            let v = if selftest {
                Variant::Selftest
            } else {
                Variant::Product
            };
            println!("{}", build::build_hyp(v)?.display());
        }
        Cmd::Run {
            forever,
            selftest,
            icount,
            timeout,
            config,
            out,
            semihosting,
            uarts,
        } => {
            let variant = if selftest.is_some() {
                Variant::Selftest
            } else {
                Variant::Product
            };
            let mut r = if let Some(t) = &selftest {
                qemu::Run::selftest(build::build_hyp(variant)?, t)
            } else {
                build_system(config.as_deref(), out.as_deref(), variant)?.run()
            };
            r.echo = true;
            r.uarts = uarts;
            r.icount = icount;
            r.timeout = (!forever).then(|| Duration::from_secs(timeout));
            if forever {
                r.flags |= hypcfg::boot_flags::FOREVER;
            }
            if semihosting && selftest.is_none() {
                eprintln!(
                    "warning: semihosting is on: every partition of this run can read and write \
                     host files, run host commands and end QEMU; use it for trusted programs only"
                );
                r.semihosting = true;
            }
            let out = r.run()?;
            if out.timed_out {
                eprintln!("error: QEMU timed out after {timeout} s");
                return Ok(ExitCode::from(124));
            }
            if !out.stderr.trim().is_empty() {
                eprintln!("{}", out.stderr.trim());
            }
            return Ok(ExitCode::from(out.exit_code.unwrap_or(1).clamp(0, 255) as u8));
        }
        Cmd::Size => {
            let elf = build::build_hyp(Variant::Product)?;
            println!("{}", elf.display());
            print!("{}", size::table(&size::measure(&elf)?));
        }
        Cmd::Image { config, out } => {
            let system = build_system(config.as_deref(), out.as_deref(), Variant::Product)?;
            println!("system.img: {}", system.flash.display());
            println!("system.elf: {}", system.elf.display());
        }
        Cmd::Debug { config } => {
            // The system (by default the demo), halted for gdb.
            let system = build_system(config.as_deref(), None, Variant::Product)?;
            let script = qemu::write_gdb_script(&system.hyp)?;
            println!(
                "QEMU is waiting for gdb; in another terminal run:\n    gdb-multiarch -x {}",
                script.display()
            );
            let mut r = system.run();
            r.echo = true;
            r.gdb = true;
            r.timeout = None;
            r.flags |= hypcfg::boot_flags::FOREVER;
            let out = r.run()?;
            return Ok(ExitCode::from(out.exit_code.unwrap_or(1).clamp(0, 255) as u8));
        }
        Cmd::Bench { out } => {
            let out = out.unwrap_or_else(|| runner::workspace_root().join("bench"));
            runner::bench::run_all(&out)?;
        }
        Cmd::Clippy => build::clippy_target()?,
        Cmd::Doctor => {
            qemu::check_qemu()?;
            let src = build::core_source()?;
            println!("qemu: {} with {}: ok", qemu::QEMU, qemu::MACHINE);
            println!("core for {}: {:?}", runner::TARGET, src);
        }
    }
    Ok(ExitCode::SUCCESS)
}
