//! The TOML front end on arbitrary text: it must never panic, every
//! diagnostic must render, and an accepted system must become a blob that
//! decodes back to the same system.
#![no_main]

use std::path::{Path, PathBuf};

use hypcfg::blob;
use hypcfg::front::{self, report, MemLoader};
use libfuzzer_sys::fuzz_target;

const PLATFORM: &str = include_str!("../../platforms/mps3-an536.toml");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut loader = MemLoader {
        files: vec![
            (PathBuf::from("config/system.toml"), text.to_string()),
            (
                PathBuf::from("config/platforms/mps3-an536.toml"),
                PLATFORM.to_string(),
            ),
        ],
    };
    let checked = front::check_with(Path::new("config/system.toml"), &mut loader);
    let _ = checked.render();
    for d in &checked.diags {
        let _ = d.to_json(&checked.sources);
    }
    if let Some(c) = checked.compiled.as_ref().filter(|_| checked.ok()) {
        let _ = report::show_text(c);
        for pi in 0..c.partitions.len() {
            let _ = report::linker_fragment(c, pi, "fuzz");
        }
        let mut buf = vec![0u8; 64 * 1024];
        let len = blob::encode(&c.system, &mut buf).expect("an accepted system encodes");
        assert_eq!(blob::decode(&buf[..len]), Ok(c.system.clone()));
    }
});
