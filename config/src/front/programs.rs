//! The programs a source tree builds that a partition's `image` may name
//! (E032 checks names against them): one per `partitions/apps/src/bin/<name>.rs`
//! and the bare-board programs. One list for `hvrun` and `hvcfg`.

use std::path::Path;

/// Programs for the bare board that systems may run unchanged as
/// partitions: (binary, package).
pub const BARE_BOARD_PROGRAMS: &[(&str, &str)] = &[("baremetal", "native"), ("gicprog", "gicprog")];

/// The programs of the tree at `root`, sorted: the binaries of
/// `partitions/apps` (as its build script links them) and
/// [`BARE_BOARD_PROGRAMS`].
pub fn tree_programs(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("partitions/apps/src/bin"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let path = e.path();
                    if path.extension()? != "rs" {
                        return None;
                    }
                    path.file_stem()?.to_str().map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    names.extend(BARE_BOARD_PROGRAMS.iter().map(|(b, _)| b.to_string()));
    names.sort();
    names
}
