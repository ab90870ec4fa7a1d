//! Names: every element's name is valid and unique among its kind.

use std::collections::HashMap;

use crate::front::diag::{codes, Diagnostic};
use crate::front::schema::{Cx, Sp};
use crate::system::MAX_NAME;

use super::checks::err;
use super::State;

/// Checks every name in the system (see [`check_name`]) and that no two
/// elements of one kind share one; memory regions need only be unique
/// within their partition.
pub(super) fn check_names(cx: &mut Cx, st: &State<'_>) {
    let raw = st.raw;
    let p = &raw.platform;
    for b in &p.banks {
        check_name(cx, "memory bank", &b.name);
    }
    for d in &p.devices {
        check_name(cx, "device", &d.name);
    }
    for part in &raw.partitions {
        check_name(cx, "partition", &part.name);
        // The console prefixes a partition's lines with `[name] `: a
        // partition named `hyp` could print the hypervisor's lines (its
        // reports, the status line that ends a run).
        if part.name.v == "hyp" {
            err(
                cx,
                codes::VALUE,
                part.name.loc,
                &part.name.path,
                "`hyp` is not a valid partition name: it is the hypervisor's own console prefix".into(),
            )
            .hint = Some("pick another name".into());
        }
        for r in &part.memory {
            check_name(cx, "memory region", &r.name);
        }
        check_duplicates(cx, "memory region", part.memory.iter().map(|r| &r.name));
    }
    for c in &raw.channels {
        check_name(cx, "channel", &c.name);
    }
    for s in &raw.shared {
        check_name(cx, "shared memory block", &s.name);
    }
    check_duplicates(cx, "memory bank", p.banks.iter().map(|b| &b.name));
    check_duplicates(cx, "device", p.devices.iter().map(|d| &d.name));
    check_duplicates(cx, "partition", raw.partitions.iter().map(|p| &p.name));
    check_duplicates(cx, "channel", raw.channels.iter().map(|c| &c.name));
    check_duplicates(cx, "shared memory block", raw.shared.iter().map(|s| &s.name));
}

/// Checks one name: it fits the tables' [`Name`](crate::system::Name) and,
/// since names become linker symbols, is a letter followed by letters,
/// digits, `_` and `-`. Placeholders of missing names are skipped.
fn check_name(cx: &mut Cx, what: &str, name: &Sp<String>) {
    if name.v.starts_with('<') {
        return; // placeholder for a missing name, already reported
    }
    if name.v.len() > MAX_NAME {
        err(
            cx,
            codes::CAPACITY,
            name.loc,
            &name.path,
            format!(
                "{what} name `{}` is {} bytes long; at most {MAX_NAME} fit",
                name.v,
                name.v.len()
            ),
        )
        .hint = Some("shorten it".into());
    }
    let good = !name.v.is_empty()
        && name.v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !good {
        err(
            cx,
            codes::VALUE,
            name.loc,
            &name.path,
            format!("`{}` is not a valid {what} name", name.v),
        )
        .hint = Some(
            "start with a letter; use letters, digits, `_` and `-` (names become linker symbols)".into(),
        );
    }
}

/// Reports each name of `names` that an earlier one already has: names
/// are how everything refers to an element, so they must be unique.
fn check_duplicates<'a>(cx: &mut Cx, what: &str, names: impl IntoIterator<Item = &'a Sp<String>>) {
    let mut seen: HashMap<&str, &Sp<String>> = HashMap::new();
    for n in names {
        if n.v.starts_with('<') {
            continue;
        }
        if let Some(first) = seen.get(n.v.as_str()) {
            let first_loc = first.loc;
            cx.push(
                Diagnostic::new(
                    codes::DUPLICATE,
                    Some(n.loc),
                    &n.path,
                    format!("{what} `{}` is defined twice", n.v),
                )
                .note(Some(first_loc), "first defined here")
                .hint(format!("give each {what} a unique name")),
            );
        } else {
            seen.insert(&n.v, n);
        }
    }
}
