//! Images: the program each partition runs. `image` names it: a program
//! the runner builds by that name, or a path to an ELF built anywhere
//! (`crate::front::image::is_elf_path` tells them apart); without one the
//! partition has nothing to run unless the system is built with an ELF for
//! it (`hvcfg build --image`).

use crate::front::diag::{codes, did_you_mean, Diagnostic};
use crate::front::image::{elf_path, flatten_elf};
use crate::front::schema::Cx;

use super::checks::err;
use super::State;

/// Warns about each partition without `image` (the hypervisor halts it at
/// boot unless the build gives it one); resolves an `image` that is a path
/// and refuses it (E026 at the key) unless it is a readable 32-bit Arm
/// ELF (unless the caller says it may not be built yet); and, when the
/// caller knows which programs exist, refuses an
/// `image` program that names none of them.
pub(super) fn check_images(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for (pi, part) in raw.partitions.iter().enumerate() {
        if part.name.v.starts_with('<') {
            continue; // placeholder for a missing name, already reported
        }
        let Some(image) = &part.image else {
            st.out.warnings.push(
                Diagnostic::new(
                    codes::NO_IMAGE,
                    Some(part.name.loc),
                    &part.name.path,
                    format!(
                        "partition `{}` has no `image`: unless the system is built with one for it, the hypervisor halts it at boot",
                        part.name.v
                    ),
                )
                .hint(format!(
                    "add `image = \"<program>\"` to it (the binary hvrun builds and links for it), or build with `hvcfg build --image {}=<elf>`",
                    part.name.v
                )),
            );
            continue;
        };
        let file = st.files.get(image.loc.file).cloned().unwrap_or_default();
        if let Some(path) = elf_path(&image.v, &file) {
            if st.elves_pending {
                // Not built yet: the caller needs only the addresses.
                st.elves[pi] = Some(path);
                continue;
            }
            let problem = match std::fs::read(&path) {
                Err(e) => Some(format!("cannot read `{}`: {e}", path.display())),
                Ok(bytes) => flatten_elf(&bytes)
                    .err()
                    .map(|e| format!("`{}` is not a partition image: {e}", path.display())),
            };
            match problem {
                Some(problem) => {
                    err(
                        cx,
                        codes::IMAGE,
                        image.loc,
                        &image.path,
                        format!("the image of partition `{}`: {problem}", part.name.v),
                    )
                    .hint = Some(format!(
                        "a path (with `/` or ending in `.elf`) names an ELF, relative to the directory of {}; give the partition's linked 32-bit Arm ELF, or a program name without `/`",
                        if file.as_os_str().is_empty() {
                            "the system file".to_string()
                        } else {
                            format!("`{}`", file.display())
                        }
                    ));
                }
                None => st.elves[pi] = Some(path),
            }
            continue;
        }
        let Some(known) = st.binaries else { continue };
        if known.contains(&image.v) {
            continue;
        }
        let mut msg = format!(
            "partition `{}` runs `{}`, which is not a program this build knows",
            part.name.v, image.v
        );
        if let Some(m) = did_you_mean(&image.v, known.iter().map(String::as_str)) {
            msg.push_str(&format!("; did you mean `{m}`?"));
        }
        let mut list: Vec<&str> = known.iter().map(String::as_str).collect();
        list.sort_unstable();
        err(cx, codes::UNKNOWN_IMAGE, image.loc, &image.path, msg).hint = Some(format!(
            "name one of the programs: {}; a new one is a binary of partitions/apps (src/bin/<name>.rs); an ELF built elsewhere is a path (`./{}.elf`)",
            list.join(", "),
            image.v
        ));
    }
}
