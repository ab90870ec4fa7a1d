//! Images: the program each partition runs. `image` names it (the runner
//! builds it by that name); without one the partition has nothing to run
//! unless the system is built with an ELF for it (`hvcfg build --image`).

use crate::front::diag::{codes, did_you_mean, Diagnostic};
use crate::front::schema::Cx;

use super::checks::err;
use super::State;

/// Warns about each partition without `image` (the hypervisor halts it at
/// boot unless the build gives it one), and, when the caller knows which
/// programs exist, refuses an `image` that names none of them.
pub(super) fn check_images(cx: &mut Cx, st: &mut State<'_>) {
    let raw = st.raw;
    for part in &raw.partitions {
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
            "name one of the programs: {}; a new one is a binary of partitions/apps (src/bin/<name>.rs)",
            list.join(", ")
        ));
    }
}
