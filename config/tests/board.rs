//! The platform file read on its own for a hypervisor build
//! (`front::board`, what `hyp/core/build.rs` generates `hyp_core::board`
//! from): the shipped board, and the errors a build would stop with.

use std::path::{Path, PathBuf};

use hypcfg::front::board::{self, Board, Window};
use hypcfg::front::{self, MemLoader};

const PLATFORM: &str = include_str!("../platforms/mps3-an536.toml");

fn read(text: &str) -> Result<Board, String> {
    let mut loader = MemLoader {
        files: vec![(PathBuf::from("platforms/b.toml"), text.to_string())],
    };
    board::read_with(Path::new("platforms/b.toml"), &mut loader)
}

/// The shipped platform with `from` replaced by `to` (which must be there).
fn edited(from: &str, to: &str) -> String {
    assert!(PLATFORM.contains(from), "the platform file has no `{from}`");
    PLATFORM.replace(from, to)
}

#[test]
fn mps3_an536_is_the_documented_board() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms/mps3-an536.toml");
    let b = board::read_file(&path).unwrap();
    assert_eq!(
        b,
        Board {
            name: "mps3-an536".into(),
            cores: 2,
            mpu_regions: 16,
            interrupts: 128,
            console_device: "uart2".into(),
            console: Window {
                base: 0xE020_5000,
                size: 0x1000
            },
            gicd: Window {
                base: 0xF000_0000,
                size: 0x1_0000
            },
            gicr: Window {
                base: 0xF010_0000,
                size: 0x4_0000
            },
            gicr_stride: 0x2_0000,
            list_registers: 4,
            flash: Window {
                base: 0x0800_0000,
                size: 8 << 20
            },
        }
    );
}

#[test]
fn a_missing_fact_names_the_file_and_the_key() {
    let e = read(&edited("console = \"uart2\"\n", "")).unwrap_err();
    assert!(e.contains("E004"), "{e}");
    assert!(
        e.contains("the platform file `platforms/b.toml` has no `console`"),
        "{e}"
    );
    assert!(e.contains("--> platforms/b.toml:1:1"), "{e}");

    let no_gic = &PLATFORM[..PLATFORM.find("\n[gic]").unwrap()];
    let e = read(no_gic).unwrap_err();
    assert!(e.contains("has no `gic`"), "{e}");

    let e = read(&edited("list_registers = 4\n", "")).unwrap_err();
    assert!(
        e.contains("missing key `list_registers` in `platform.gic`"),
        "{e}"
    );

    let e = read(&edited("kind = \"rom\"", "kind = \"ram\"")).unwrap_err();
    assert!(e.contains("has no `memory`"), "{e}");
}

#[test]
fn wrong_facts_are_refused_where_they_are_written() {
    let e = read(&edited("console = \"uart2\"", "console = \"uart9\"")).unwrap_err();
    assert!(e.contains("E008") && e.contains("unknown device `uart9`"), "{e}");
    assert!(e.contains("key: platform.console"), "{e}");

    let e = read(&edited("redistributors = \"gicr\"", "redistributors = \"gicrr\"")).unwrap_err();
    assert!(e.contains("unknown device `gicrr`; did you mean `gicr`?"), "{e}");

    let e = read(&edited(
        "redistributor_stride = \"128K\"",
        "redistributor_stride = \"256K\"",
    ))
    .unwrap_err();
    assert!(
        e.contains("E014") && e.contains("2 cores need 0x80000 bytes"),
        "{e}"
    );

    let e = read(&edited(
        "redistributor_stride = \"128K\"",
        "redistributor_stride = 100",
    ))
    .unwrap_err();
    assert!(e.contains("E011"), "{e}");

    let e = read(&edited("list_registers = 4", "list_registers = 17")).unwrap_err();
    assert!(e.contains("17 list registers"), "{e}");

    let e = read(&edited("cores = 2", "cores = 5")).unwrap_err();
    assert!(e.contains("5 cores; the hypervisor supports 1 to 4"), "{e}");

    let e = read(&edited(
        "distributor = \"gicd\"",
        "distributor = \"gicd\"\nbase = 1",
    ))
    .unwrap_err();
    assert!(
        e.contains("E002") && e.contains("unknown key `base` in `platform.gic`"),
        "{e}"
    );

    let e = read("include = \"other.toml\"\n").unwrap_err();
    assert!(e.contains("cannot include another file"), "{e}");
}

#[test]
fn an_unreadable_file_says_which() {
    let e = board::read_file(Path::new("/nonexistent/board.toml")).unwrap_err();
    assert!(
        e.contains("cannot read the platform file `/nonexistent/board.toml`"),
        "{e}"
    );
}

/// The tool and the hypervisor build read the same facts: the compiled
/// demo system agrees with the board on everything both have.
#[test]
fn the_system_check_and_the_board_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let b = board::read_file(&dir.join("platforms/mps3-an536.toml")).unwrap();
    let c = front::check_file(&dir.join("demo.toml")).compiled.unwrap();
    let s = &c.system;
    assert_eq!(s.platform.name.as_str(), b.name);
    assert_eq!(
        (s.platform.cores as u32, s.platform.mpu_regions as u32),
        (b.cores, b.mpu_regions)
    );
    assert_eq!(
        (s.hypervisor.console_base, s.hypervisor.console_size),
        (b.console.base, b.console.size)
    );
    let flash = c.banks.iter().find(|k| k.rom).unwrap();
    assert_eq!((flash.span.base, flash.span.size), (b.flash.base, b.flash.size));
}
