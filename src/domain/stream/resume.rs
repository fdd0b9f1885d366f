//! Where a stream starts. A client that says which sequence number it saw last (`since`)
//! gets everything after it replayed from the store, unless that is more than the replay
//! limit, or `since` is ahead of anything stored (the store was reset, or the number is
//! another app's): then it is told to reload through the API and goes on from now.

use crate::domain::call::EventSeq;

/// How a stream begins, given `head`, the store's last sequence number when the stream
/// joined the live feed. The stream then skips live events up to `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Nothing to replay.
    Live,
    /// Replay the stored events in `(after, head]`.
    Replay { after: EventSeq },
    /// Too far behind (or ahead): send a reset.
    Reset,
}

/// Decides how a stream with `since` begins, replaying at most `limit` events.
pub fn resume(since: Option<EventSeq>, head: EventSeq, limit: u32) -> Resume {
    match since {
        None => Resume::Live,
        Some(since) if since < EventSeq::ZERO || since > head => Resume::Reset,
        Some(since) if since == head => Resume::Live,
        Some(since) if head.since(since) > u64::from(limit) => Resume::Reset,
        Some(since) => Resume::Replay { after: since },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: i64) -> EventSeq {
        EventSeq::new(n)
    }

    #[test]
    fn no_since_or_an_up_to_date_since_goes_live() {
        assert_eq!(resume(None, seq(42), 100), Resume::Live);
        assert_eq!(resume(Some(seq(42)), seq(42), 100), Resume::Live);
    }

    #[test]
    fn since_behind_replays_the_gap() {
        assert_eq!(resume(Some(seq(40)), seq(42), 100), Resume::Replay { after: seq(40) });
        assert_eq!(resume(Some(seq(0)), seq(100), 100), Resume::Replay { after: seq(0) });
    }

    #[test]
    fn beyond_the_replay_limit_is_a_reset() {
        assert_eq!(resume(Some(seq(0)), seq(101), 100), Resume::Reset);
        assert_eq!(resume(Some(seq(0)), seq(1), 0), Resume::Reset);
    }

    #[test]
    fn since_ahead_of_the_store_or_negative_is_a_reset() {
        assert_eq!(resume(Some(seq(43)), seq(42), 100), Resume::Reset);
        assert_eq!(resume(Some(seq(-1)), seq(5), 100), Resume::Reset);
    }
}
