//! Rate limits as GCRA (the generic cell rate algorithm): a quota of `rate` requests per
//! `period` with bursts of up to `burst`. The whole state of a limited subject is one
//! instant, its theoretical arrival time (TAT, in microseconds), so a limit shared by every
//! instance is one number in Redis, updated by one script that mirrors [`Quota::decide`].

use std::time::Duration;

/// How much a subject may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Time between two requests at the sustained rate.
    pub emission: Duration,
    /// Requests allowed at once after a quiet spell (at least 1).
    pub burst: u32,
}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed: `remaining` more may be made at once now, and the whole burst is back after
    /// `reset_after` (what the RateLimit headers tell clients).
    Allowed { remaining: u32, reset_after: Duration },
    /// Over the quota: try again after this long.
    Limited { retry_after: Duration },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

impl Quota {
    /// `per_minute` requests a minute on average, `burst` at once; `None` when `per_minute`
    /// is 0 (no limit).
    pub fn per_minute(per_minute: u32, burst: u32) -> Option<Self> {
        (per_minute > 0).then(|| Self { emission: Duration::from_secs(60) / per_minute, burst: burst.max(1) })
    }

    /// `count` requests per `period` on average, all of them at once after a quiet spell;
    /// `None` when `count` is 0 (no limit).
    pub fn per_period(count: u32, period: Duration) -> Option<Self> {
        (count > 0).then(|| Self { emission: period / count, burst: count })
    }

    /// The decision for `cost` requests at once at `now_us` given the subject's TAT (`None`:
    /// never seen, or forgotten), and the TAT to store when allowed. Times in microseconds
    /// on any one clock. A cost above the burst is never allowed.
    pub fn decide(&self, tat_us: Option<u64>, now_us: u64, cost: u32) -> (Decision, Option<u64>) {
        let emission = self.emission_us();
        let tat = tat_us.unwrap_or(now_us).max(now_us);
        let new_tat = tat + emission * u64::from(cost);
        let allow_at = new_tat.saturating_sub(emission * u64::from(self.burst));
        if now_us < allow_at {
            (Decision::Limited { retry_after: Duration::from_micros(allow_at - now_us) }, None)
        } else {
            let used = new_tat - now_us;
            let remaining = (emission * u64::from(self.burst)).saturating_sub(used) / emission;
            let decision = Decision::Allowed {
                remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
                reset_after: Duration::from_micros(used),
            };
            (decision, Some(new_tat))
        }
    }

    /// How many requests the quota allows per `window` at its sustained rate.
    pub fn per(&self, window: Duration) -> u64 {
        u64::try_from(window.as_nanos() / self.emission.as_nanos().max(1)).unwrap_or(u64::MAX)
    }

    /// The emission interval in whole microseconds, rounded up (never more than the rate),
    /// at least 1.
    pub fn emission_us(&self) -> u64 {
        u64::try_from(self.emission.as_nanos().div_ceil(1000)).unwrap_or(u64::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Runs `n` requests at `now` from `tat`; how many were allowed, and the last TAT.
    fn burst_at(quota: Quota, mut tat: Option<u64>, now: u64, n: u32) -> (u32, Option<u64>) {
        let mut allowed = 0;
        for _ in 0..n {
            if let (Decision::Allowed { .. }, next) = quota.decide(tat, now, 1) {
                allowed += 1;
                tat = next;
            }
        }
        (allowed, tat)
    }

    #[test]
    fn a_burst_is_allowed_at_once_then_one_per_emission_interval() {
        let quota = Quota::per_minute(60, 5).unwrap();
        let start = 1_000_000_000;
        let (allowed, tat) = burst_at(quota, None, start, 20);
        assert_eq!(allowed, 5);
        let (decision, _) = quota.decide(tat, start, 1);
        assert_eq!(decision, Decision::Limited { retry_after: Duration::from_secs(1) });
        assert_eq!(
            quota.decide(tat, start + 999_999, 1).0,
            Decision::Limited { retry_after: Duration::from_micros(1) }
        );
        assert!(quota.decide(tat, start + 1_000_000, 1).0.is_allowed());
        // After a quiet spell the whole burst is back.
        assert_eq!(burst_at(quota, tat, start + 60_000_000, 20).0, 5);
    }

    #[test]
    fn several_requests_at_once_take_as_many_as_they_are_or_none() {
        let quota = Quota::per_minute(60, 5).unwrap();
        let (decision, tat) = quota.decide(None, 0, 3);
        assert_eq!(decision, Decision::Allowed { remaining: 2, reset_after: Duration::from_secs(3) });
        assert_eq!(quota.decide(tat, 0, 3).0, Decision::Limited { retry_after: Duration::from_secs(1) });
        assert_eq!(burst_at(quota, tat, 0, 5).0, 2, "what the refused three left");
        assert!(matches!(quota.decide(None, 0, 6).0, Decision::Limited { .. }), "more than the burst, never");
    }

    #[test]
    fn an_allowed_request_says_what_is_left_and_when_the_burst_is_back() {
        let quota = Quota::per_minute(60, 5).unwrap();
        let (first, tat) = quota.decide(None, 0, 1);
        assert_eq!(first, Decision::Allowed { remaining: 4, reset_after: Duration::from_secs(1) });
        let (second, _) = quota.decide(tat, 500_000, 1);
        assert_eq!(second, Decision::Allowed { remaining: 3, reset_after: Duration::from_millis(1500) });
    }

    #[test]
    fn zero_per_minute_means_no_limit() {
        assert_eq!(Quota::per_minute(0, 10), None);
        assert_eq!(Quota::per_minute(600, 0).unwrap().burst, 1, "a burst of at least one");
    }

    proptest! {
        /// Over any window, no more than burst + window / emission requests get through.
        #[test]
        fn never_more_than_the_burst_plus_the_rate(
            per_minute in 1u32..10_000,
            burst in 1u32..50,
            gaps in proptest::collection::vec(0u64..2_000_000, 1..300),
        ) {
            let quota = Quota::per_minute(per_minute, burst).unwrap();
            let (mut tat, mut now, mut allowed) = (None, 10_000_000_000u64, 0u64);
            let start = now;
            for gap in gaps {
                now += gap;
                if let (Decision::Allowed { .. }, next) = quota.decide(tat, now, 1) {
                    allowed += 1;
                    tat = next;
                }
            }
            let bound = u64::from(burst) + (now - start) / quota.emission_us();
            prop_assert!(allowed <= bound, "{allowed} allowed, bound {bound}");
        }
    }
}
