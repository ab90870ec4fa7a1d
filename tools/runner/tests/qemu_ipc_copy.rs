//! QEMU test of the hypervisor's channel message copy (word blocks when
//! the guest buffer and the slot are word-aligned, the 0-15 byte tail,
//! and the byte path otherwise): every length up to msg_size, every
//! sender and receiver offset in a word, aligned and misaligned slots.

use runner::system::build_and_run;

#[test]
fn every_length_and_alignment_arrives_intact() {
    let out = build_and_run("tools/runner/tests/systems/ipc_copy.toml", |_| {}).expect("build and run");
    out.expect_exit(0).unwrap();
    // 4 offsets x (41 lengths on channel 0 + 42 on channel 1).
    assert!(out.has("[copysend] sent 332 messages"), "{}", out.tail(20));
    assert!(
        out.has("[copyrecv] received 332 messages of every size and alignment intact"),
        "{}",
        out.tail(20)
    );
}
