//! QEMU tests of channels and shared memory: every error code, 10,000
//! messages across cores and 100 on one core with none lost, duplicated,
//! reordered or damaged, and a shared block visible to the partitions that
//! map it (with their permissions) and faulting for the others.

use runner::system::build_and_run;

#[test]
fn cross_core_flood_and_every_channel_error_code() {
    let out = build_and_run("tools/runner/tests/systems/ipc.toml", |_| {}).expect("build and run");
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
    // The flood fills the 16-deep queue: QueueFull is returned (and the
    // pinger yields and retries) without losing a message.
    let full: u64 = out
        .console
        .iter()
        .find_map(|l| l.split("queue was full ").nth(1))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(full > 0, "the queue never reported QueueFull:\n{}", out.tail(40));
    assert!(
        out.has("[samecore] same-core: 100 messages in order"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[hyp]   samecore     core 0  faults  0  restarts  0  shut down (exit 0)"),
        "{}",
        out.tail(10)
    );
}

#[test]
fn shared_memory_is_visible_to_its_partitions_and_faults_for_others() {
    let out = build_and_run("tools/runner/tests/systems/shm.toml", |_| {}).expect("build and run");
    out.expect_exit(0).unwrap();
    assert!(
        out.has("[shmreader] shared memory holds the writer's data"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has(
            "[hyp] FAULT shmreader (partition 1, core 1): data abort (write), permission fault at 0x20300000"
        ),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has("[shmreader] write to read-only shared memory was skipped"),
        "{}",
        out.tail(40)
    );
    assert!(
        out.has(
            "[hyp] FAULT outsider (partition 2, core 0): data abort (read), permission fault at 0x20300000"
        ),
        "{}",
        out.tail(40)
    );
    assert!(!out.has("isolation is broken"), "{}", out.tail(40));
}

#[test]
fn a_receiver_sleeping_in_wfi_is_woken_by_channel_notifications() {
    let out = build_and_run("tools/runner/tests/systems/notify.toml", |_| {}).expect("build and run");
    out.expect_exit(0).unwrap();
    assert!(out.has("[notifier] sent 20 messages"), "{}", out.tail(20));
    let line = out
        .console
        .iter()
        .find(|l| l.starts_with("[waiter] received 20 messages after "))
        .unwrap_or_else(|| panic!("the waiter did not get its messages:\n{}", out.tail(20)));
    let n: u32 = line
        .split("after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(n >= 1, "{line}");
}
