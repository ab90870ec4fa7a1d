//! QEMU tests of channels: every error code, and 10,000 messages across
//! cores with none lost, duplicated, reordered or damaged.

use runner::build::Variant;
use runner::system::build_system;

#[test]
fn cross_core_flood_and_every_channel_error_code() {
    let path = runner::workspace_root().join("tools/runner/tests/systems/ipc.toml");
    let out = build_system(&path, Variant::Product)
        .expect("build")
        .run()
        .run()
        .expect("run QEMU");
    out.expect_exit(0).unwrap();
    for what in [
        "send on the receiver's channel: Some(NotOwner)",
        "send an oversized message: Some(MessageTooLarge)",
        "send from a bad buffer: Some(BadPointer)",
        "recv on its own send channel: Some(NotOwner)",
        "send on a channel that does not exist: Some(NoChannel)",
        "recv from an empty queue: Some(QueueEmpty)",
    ] {
        assert!(
            out.has(&format!("[pinger] {what} (as expected)")),
            "{what}:\n{}",
            out.tail(40)
        );
    }
    assert!(
        out.has("[ponger] recv into a 4-byte buffer: BufferTooSmall (as expected)"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[ponger] received 10000 messages in order, checksums good"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[pinger] ponger confirms 10000 messages"),
        "{}",
        out.tail(40)
    );
}
