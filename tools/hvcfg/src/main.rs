//! `hvcfg`: the integrator's tool for system descriptions.
//!
//! ```text
//! hvcfg check <system.toml> [--format json]        validate, summarize
//! hvcfg build <system.toml> -o <dir> [--image p=elf]...
//!                                                  write system.blob, <partition>.ld/.rs/.h, images.bin
//! hvcfg show  <system.toml> [--format json] [--svg out.svg]
//!                                                  memory map and MPU tables (and a picture);
//!                                                  an `image` ELF need not exist yet
//! hvcfg dump  <system.blob|system.img> [--format json]
//!                                                  decode a blob (an image's blob section)
//! hvcfg constants <system.toml> --partition <name> --lang rust|c|ld [-o file]
//!                                                  a partition's generated constants (ld: its
//!                                                  linker fragment); its ELF need not exist yet
//! hvcfg image info   <system.img> [--format json]  header, sections, CRCs, padding, system
//! hvcfg image verify <system.img> [--format json]  exit 0 and one line, or the first damaged part
//! ```
//!
//! Exit status: 0 valid, 1 the system, blob or image is refused, 2 usage
//! or I/O error.
//!
//! Run from a source tree (the binary under its `target/`, or the current
//! directory inside it), `check`, `build`, `show` and `constants` know the
//! programs that tree builds, so an `image` naming none of them is `E032`
//! as with `hvrun`; elsewhere any program name is taken as written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hypcfg::blob;
use hypcfg::front::constants::{self, Lang};
use hypcfg::front::diag::{codes, Diagnostic, Severity};
use hypcfg::front::{self, image, inspect, report, svg, Checked};

/// Name and version of this tool, as generated files record it.
const TOOL: &str = concat!("hvcfg ", env!("CARGO_PKG_VERSION"));

/// Checks, builds and inspects hypervisor system descriptions.
#[derive(Parser)]
#[command(name = "hvcfg", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Output format.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate a system file: a short summary when valid, diagnostics when not.
    Check {
        /// The system description (TOML).
        config: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write the blob, the per-partition linker fragments and the image store.
    Build {
        /// The system description (TOML).
        config: PathBuf,
        /// Output directory (created if missing).
        #[arg(short, long)]
        out: PathBuf,
        /// A partition image: `<partition>=<path to ELF>` (repeatable).
        #[arg(long = "image", value_name = "PARTITION=ELF")]
        images: Vec<String>,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show the memory map and each partition's MPU table.
    Show {
        /// The system description (TOML).
        config: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Also draw the address map and the schedules into this SVG file.
        #[arg(long, value_name = "OUT.svg")]
        svg: Option<PathBuf>,
    },
    /// Decode a blob back to readable tables (of a flash image: its blob
    /// section).
    Dump {
        /// A blob written by `build`, or a flash image (`system.img`).
        blob: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write one partition's constants (ids, regions, devices, channels)
    /// as a Rust module, a C header or its linker fragment. An `image` ELF
    /// path need not exist yet: it is what gets linked from these.
    Constants {
        /// The system description (TOML).
        config: PathBuf,
        /// The partition.
        #[arg(long)]
        partition: String,
        /// Language of the output.
        #[arg(long, value_enum)]
        lang: LangArg,
        /// Output file (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Inspect or verify a flash image (`system.img`).
    Image {
        #[command(subcommand)]
        cmd: ImageCmd,
    },
}

/// Language of generated constants.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LangArg {
    /// A Rust module.
    Rust,
    /// A C header.
    C,
    /// The linker fragment (`MEMORY`, `PART_CODE`/`PART_DATA`, symbols),
    /// as `build` writes it as `<partition>.ld`.
    Ld,
}

#[derive(Subcommand)]
enum ImageCmd {
    /// Header, every section with its CRC, the padding, the partition
    /// images and the decoded system; exit 1 if any check fails.
    Info {
        /// The flash image.
        image: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Exit 0 and one line if every check passes, else exit 1 naming the
    /// first damaged part.
    Verify {
        /// The flash image.
        image: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

/// Whether `dir` is the root of a source tree of this workspace (the
/// runner's test: its manifest and the workspace manifest).
fn is_tree(dir: &Path) -> bool {
    dir.join("tools/runner/Cargo.toml").is_file() && dir.join("Cargo.toml").is_file()
}

/// The programs the tree hvcfg runs from builds (one per
/// `partitions/apps/src/bin/<name>.rs`, and the bare-board programs), the
/// list `hvrun` checks `image` against; `None` outside a tree. The tree is
/// the first, going up from this executable and then from the current
/// directory, as `hvrun` finds its own.
fn tree_programs() -> Option<Vec<String>> {
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    let root = [exe, cwd]
        .into_iter()
        .flatten()
        .find_map(|start| start.ancestors().find(|d| is_tree(d)).map(PathBuf::from))?;
    Some(front::programs::tree_programs(&root))
}

/// Checks the system at `config` against the programs of the tree (E032).
fn check_system(config: &Path) -> Checked {
    let options = front::Options {
        binaries: tree_programs(),
        ..Default::default()
    };
    front::check_file_with(config, &options)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check { config, format } => check(&config, format),
        Cmd::Build {
            config,
            out,
            images,
            format,
        } => build(&config, &out, &images, format),
        Cmd::Show { config, format, svg } => show(&config, format, svg.as_deref()),
        Cmd::Dump { blob, format } => dump(&blob, format),
        Cmd::Constants {
            config,
            partition,
            lang,
            out,
        } => constants_cmd(&config, &partition, lang, out.as_deref()),
        Cmd::Image {
            cmd: ImageCmd::Info { image, format },
        } => image_info(&image, format),
        Cmd::Image {
            cmd: ImageCmd::Verify { image, format },
        } => image_verify(&image, format),
    }
}

/// Prints diagnostics (stderr for text, one JSON document on stdout).
fn report_diags(checked: &Checked, format: Format, summary: Option<serde_json::Value>) {
    match format {
        Format::Text => eprint!("{}", checked.render()),
        Format::Json => {
            let diags: Vec<_> = checked
                .diags
                .iter()
                .map(|d| d.to_json(&checked.sources))
                .collect();
            let errors = checked
                .diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let doc = serde_json::json!({
                "ok": checked.ok(),
                "errors": errors,
                "warnings": checked.diags.len() - errors,
                "diagnostics": diags,
                "summary": summary,
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
}

fn failed(checked: &Checked) -> String {
    let errors = checked.diags.iter().filter(|d| d.is_error()).count();
    format!("error: {errors} error(s); the system is refused")
}

fn summary(config: &Path, c: &front::Compiled) -> (String, serde_json::Value) {
    let s = &c.system;
    let worst = s.partitions.iter().map(|p| p.regions.len()).max().unwrap_or(0);
    let h = &s.hypervisor;
    let text = format!(
        "ok: {}: platform {}, {} partition(s) on {} core(s), {} channel(s); MPU {} static + {} partition (largest) + {} transient of {}",
        config.display(),
        s.platform.name,
        s.partitions.len(),
        s.platform.cores,
        s.channels.len(),
        h.static_regions,
        worst,
        h.transient_slots,
        s.platform.mpu_regions
    );
    let json = serde_json::json!({
        "platform": s.platform.name.as_str(),
        "partitions": s.partitions.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        "cores": s.platform.cores,
        "channels": s.channels.len(),
        "mpu": { "static": h.static_regions, "largest_partition": worst, "transient": h.transient_slots, "regions": s.platform.mpu_regions },
    });
    (text, json)
}

fn check(config: &Path, format: Format) -> ExitCode {
    let checked = check_system(config);
    let summary = checked.compiled.as_ref().map(|c| summary(config, c));
    report_diags(&checked, format, summary.as_ref().map(|s| s.1.clone()));
    match summary {
        Some((text, _)) if checked.ok() => {
            if format == Format::Text {
                println!("{text}");
            }
            ExitCode::SUCCESS
        }
        _ => {
            if format == Format::Text {
                eprintln!("{}", failed(&checked));
            }
            ExitCode::from(1)
        }
    }
}

fn show(config: &Path, format: Format, svg_out: Option<&Path>) -> ExitCode {
    // The map is what an outside build links for: its ELF may not exist yet.
    let options = front::Options {
        binaries: tree_programs(),
        elves_pending: true,
    };
    let checked = front::check_file_with(config, &options);
    let Some(c) = checked.compiled.as_ref().filter(|_| checked.ok()) else {
        report_diags(&checked, format, None);
        eprintln!("{}", failed(&checked));
        return ExitCode::from(1);
    };
    if let Some(path) = svg_out {
        let picture = svg::render(c, &config.display().to_string());
        if let Err(e) = std::fs::write(path, picture) {
            return io_error("write", path, e);
        }
        eprintln!("wrote {}", path.display());
    }
    if format == Format::Text {
        eprint!("{}", checked.render()); // warnings
        print!("{}", report::show_text(c));
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::show_json(c)).unwrap_or_default()
        );
    }
    ExitCode::SUCCESS
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot {what} `{}`: {e}", path.display());
    ExitCode::from(2)
}

fn build(config: &Path, out: &Path, images: &[String], format: Format) -> ExitCode {
    let checked = check_system(config);
    let Some(c) = checked.compiled.clone().filter(|_| checked.ok()) else {
        report_diags(&checked, format, None);
        if format == Format::Text {
            eprintln!("{}", failed(&checked));
        }
        return ExitCode::from(1);
    };
    eprint!("{}", checked.render()); // warnings
    let mut flats = Vec::new();
    for spec in images {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!("error: --image takes <partition>=<path to ELF>, got `{spec}`");
            return ExitCode::from(2);
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return io_error("read", Path::new(path), e),
        };
        match image::flatten_elf(&bytes) {
            Ok(f) => flats.push((name.to_string(), f)),
            Err(e) => {
                let d = Diagnostic::new(
                    codes::IMAGE,
                    None,
                    format!("--image {name}"),
                    format!("`{path}`: {e}"),
                )
                .hint("give the partition's linked ELF (32-bit Arm)");
                eprint!("{}", d.render(&checked.sources));
                return ExitCode::from(1);
            }
        }
    }
    // Partitions whose `image` is an ELF path (checked readable above) take
    // it unless `--image` gives them another.
    for p in &c.partitions {
        let Some(path) = &p.elf else { continue };
        if flats.iter().any(|(name, _)| *name == p.name) {
            continue;
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return io_error("read", path, e),
        };
        match image::flatten_elf(&bytes) {
            Ok(f) => flats.push((p.name.clone(), f)),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        }
    }
    let art = match front::build::build(c, &flats, &config.display().to_string()) {
        Ok(a) => a,
        Err(diags) => {
            for d in diags {
                eprint!("{}", d.render(&checked.sources));
            }
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        return io_error("create", out, e);
    }
    let mut files: Vec<(String, &[u8])> = vec![("system.blob".into(), &art.blob)];
    files.extend(
        art.fragments
            .iter()
            .map(|(name, text)| (name.clone(), text.as_bytes())),
    );
    let source = config.display().to_string();
    let mut generated = Vec::new();
    for (pi, p) in art.compiled.partitions.iter().enumerate() {
        for lang in [Lang::Rust, Lang::C] {
            match constants::render(&art.compiled, pi, lang, &source, TOOL) {
                Ok(text) => generated.push((format!("{}.{}", p.name, lang.extension()), text)),
                Err(e) => {
                    eprintln!(
                        "error: {}: constants of partition `{}`: {e}",
                        config.display(),
                        p.name
                    );
                    return ExitCode::from(1);
                }
            }
        }
    }
    files.extend(
        generated
            .iter()
            .map(|(name, text)| (name.clone(), text.as_bytes())),
    );
    if let Some(flash) = &art.flash {
        files.push(("images.bin".into(), flash));
    }
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, bytes) {
            return io_error("write", &path, e);
        }
        written.push(path.display().to_string());
    }
    let c = &art.compiled;
    match format {
        Format::Text => {
            println!("{}", summary(config, c).0);
            println!(
                "blob: {} bytes (of {}), format version {}",
                art.blob.len(),
                c.hyp_blob.size,
                blob::FORMAT_VERSION
            );
            for w in &written {
                println!("wrote {w}");
            }
        }
        Format::Json => {
            let doc = serde_json::json!({ "ok": true, "blob_len": art.blob.len(), "files": written });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    ExitCode::SUCCESS
}

fn dump(path: &Path, format: Format) -> ExitCode {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return io_error("read", path, e),
    };
    // A flash image: dump its blob section (checked against the section's CRC).
    let (from, bytes) = if inspect::is_image(&bytes) {
        match inspect::blob_section(&bytes) {
            Ok((addr, blob)) => (Some(addr), blob.to_vec()),
            Err(e) => {
                let msg = format!("the flash image is refused: {e}");
                match format {
                    Format::Text => eprintln!("error: `{}`: {msg}", path.display()),
                    Format::Json => println!("{}", serde_json::json!({ "ok": false, "error": msg })),
                }
                return ExitCode::from(1);
            }
        }
    } else {
        (None, bytes)
    };
    match blob::decode(&bytes) {
        Ok(system) => {
            match format {
                Format::Text => {
                    if let Some(addr) = from {
                        println!(
                            "image {}: blob section at {addr:#010x}, {} bytes, format version {}",
                            path.display(),
                            bytes.len(),
                            blob::FORMAT_VERSION
                        );
                    } else {
                        println!(
                            "blob {}: {} bytes, format version {}",
                            path.display(),
                            bytes.len(),
                            blob::FORMAT_VERSION
                        );
                    }
                    print!("{}", report::system_text(&system));
                }
                Format::Json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report::system_json(&system)).unwrap_or_default()
                    )
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            match format {
                Format::Text => eprintln!("error: `{}` is refused: {} ({e:?})", path.display(), e.message()),
                Format::Json => println!(
                    "{}",
                    serde_json::json!({ "ok": false, "error": e.message().to_string(), "detail": format!("{e:?}") })
                ),
            }
            ExitCode::from(1)
        }
    }
}

fn constants_cmd(config: &Path, partition: &str, lang: LangArg, out: Option<&Path>) -> ExitCode {
    // The ELF of an `image` path is linked from what this writes, so it
    // may not be built yet.
    let options = front::Options {
        binaries: tree_programs(),
        elves_pending: true,
    };
    let checked = front::check_file_with(config, &options);
    let Some(c) = checked.compiled.as_ref().filter(|_| checked.ok()) else {
        eprint!("{}", checked.render());
        eprintln!("{}", failed(&checked));
        return ExitCode::from(1);
    };
    eprint!("{}", checked.render()); // warnings
    let Some(pi) = c.partitions.iter().position(|p| p.name == partition) else {
        let known: Vec<&str> = c.partitions.iter().map(|p| p.name.as_str()).collect();
        eprintln!(
            "error: {}: no partition `{partition}`; partitions: {}",
            config.display(),
            known.join(", ")
        );
        return ExitCode::from(2);
    };
    let source = config.display().to_string();
    let rendered = match lang {
        LangArg::Rust => constants::render(c, pi, Lang::Rust, &source, TOOL),
        LangArg::C => constants::render(c, pi, Lang::C, &source, TOOL),
        LangArg::Ld => {
            report::linker_fragment(c, pi, &source).ok_or_else(|| "no linker fragment".to_string())
        }
    };
    let text = match rendered {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: {}: constants of partition `{partition}`: {e}",
                config.display()
            );
            return ExitCode::from(1);
        }
    };
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                return io_error("write", path, e);
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    ExitCode::SUCCESS
}

/// Reads an image file, or reports why it is not one (exit 1) or cannot
/// be read (exit 2).
fn read_image(path: &Path, format: Format) -> Result<inspect::Inspection, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| io_error("read", path, e))?;
    inspect::inspect(&bytes).map_err(|e| {
        let hint = if bytes.get(..4) == Some(&blob::MAGIC[..]) {
            " (this is a system blob: use `hvcfg dump`)"
        } else {
            ""
        };
        let msg = format!("the flash image is refused: {e}{hint}");
        match format {
            Format::Text => eprintln!("error: `{}`: {msg}", path.display()),
            Format::Json => println!("{}", serde_json::json!({ "ok": false, "problem": msg })),
        }
        ExitCode::from(1)
    })
}

fn image_info(path: &Path, format: Format) -> ExitCode {
    let i = match read_image(path, format) {
        Ok(i) => i,
        Err(code) => return code,
    };
    match format {
        Format::Text => print!("{}", inspect::info_text(&path.display().to_string(), &i)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&inspect::info_json(&i)).unwrap_or_default()
        ),
    }
    if i.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn image_verify(path: &Path, format: Format) -> ExitCode {
    let i = match read_image(path, format) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let name = path.display().to_string();
    match (&i.problem, format) {
        (None, Format::Text) => println!("{}", inspect::verify_line(&name, &i)),
        (Some(p), Format::Text) => eprintln!("error: `{name}`: the flash image is refused: {p}"),
        (p, Format::Json) => println!(
            "{}",
            serde_json::json!({
                "ok": p.is_none(),
                "problem": p.as_ref().map(|p| p.to_string()),
                "summary": p.is_none().then(|| inspect::verify_line(&name, &i)),
            })
        ),
    }
    if i.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
