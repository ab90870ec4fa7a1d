//! Which partition runs next on a core: round robin over the partitions
//! pinned to it, skipping those that are stopped. Portable and tested.

/// Picks the partition to run after `current` among `ids` (the core's
/// partitions in config order): the next runnable one after `current`,
/// wrapping around, `current` itself last. `None` if nothing can run.
pub fn next(ids: &[u8], current: Option<u8>, runnable: impl Fn(u8) -> bool) -> Option<u8> {
    let start = current
        .and_then(|c| ids.iter().position(|&i| i == c))
        .map_or(0, |p| p + 1);
    (0..ids.len())
        .map(|k| ids[(start + k) % ids.len()])
        .find(|&id| runnable(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_wraps_and_returns_to_self_last() {
        let ids = [1, 3, 4];
        assert_eq!(next(&ids, Some(1), |_| true), Some(3));
        assert_eq!(next(&ids, Some(4), |_| true), Some(1));
        assert_eq!(next(&ids, Some(3), |i| i == 3), Some(3));
    }

    #[test]
    fn stopped_partitions_are_skipped_and_empty_core_gives_none() {
        let ids = [1, 3, 4];
        assert_eq!(next(&ids, Some(1), |i| i != 3), Some(4));
        assert_eq!(next(&ids, None, |i| i == 4), Some(4));
        assert_eq!(next(&ids, Some(1), |_| false), None);
        assert_eq!(next(&[], None, |_| true), None);
    }
}
