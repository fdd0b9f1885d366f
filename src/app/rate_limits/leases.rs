//! Per-app quota tokens leased in batches, so that the shared limiter (one Redis call) is
//! asked once per batch, not once per request. Each instance sizes an app's next batch to
//! the rate it has just seen: half a second of that demand (at most a quarter of the burst,
//! at most 64), so a lease is normally used up before it ends and no token is wasted. An
//! app at a few requests a second is counted one by one, exactly; a busy one costs one
//! limiter call per batch. Leased tokens are counted before they are used, so an app never
//! gets more than its quota; tokens left when a lease ends (the demand fell) are dropped,
//! which can only refuse a little early. Refills for one app wait for each other, so
//! concurrent requests do not all lease a batch at once, and a refusal is remembered until
//! its retry time, so an app over its quota is refused here without asking again. Leases
//! that ended are swept out as new apps come.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::domain::app::AppId;
use crate::domain::rate_limit::Quota;

/// How long leased tokens may be used.
pub(super) const LEASE_FOR: Duration = Duration::from_secs(1);
/// A batch is this much of the demand just seen.
const BATCH_COVERS: Duration = Duration::from_millis(500);
const MAX_BATCH: u32 = 64;

/// Leases that ended are swept out once this many more apps have one than after the last
/// sweep (a map lookup per request is cheaper than a cache that evicts by itself).
const SWEEP_AFTER: usize = 1_000;

/// An app's lease, locked while it is used or refilled.
type Shared = Arc<tokio::sync::Mutex<Lease>>;

pub(super) struct Leases {
    /// The apps' leases, and the size at which to sweep next.
    apps: Mutex<(HashMap<AppId, Shared>, usize)>,
}

/// An app's tokens on this instance.
#[derive(Debug, Default)]
pub(super) struct Lease {
    /// Tokens left to use.
    tokens: u32,
    /// Tokens used from this lease (its first one included).
    used: u32,
    /// When this lease was granted, and until when its tokens may be used.
    granted: Option<Instant>,
    until: Option<Instant>,
    /// Refused by the limiter until then.
    limited_until: Option<Instant>,
    /// What the limiter said was left when it granted this lease, and when the app's whole
    /// burst is back: the base of the RateLimit headers.
    left: u32,
    full_at: Option<Instant>,
}

impl Leases {
    pub(super) fn new() -> Self {
        Self { apps: Mutex::new((HashMap::new(), SWEEP_AFTER)) }
    }

    /// The app's lease, to lock. Adding one may first sweep out the leases that ended and
    /// that no request holds (an ended lease keeps nothing a new one would not).
    pub(super) fn of(&self, app: AppId) -> Shared {
        let mut guard = self.apps.lock().expect("leases poisoned");
        let (apps, sweep_at) = &mut *guard;
        if let Some(lease) = apps.get(&app) {
            return lease.clone();
        }
        if apps.len() >= *sweep_at {
            let now = Instant::now();
            apps.retain(|_, lease| Arc::strong_count(lease) > 1 || lease.try_lock().map_or(true, |l| l.live(now)));
            *sweep_at = apps.len() + SWEEP_AFTER;
        }
        apps.entry(app).or_default().clone()
    }
}

impl Lease {
    /// Takes one leased token if there is a live one.
    pub(super) fn take(&mut self, now: Instant) -> bool {
        if self.tokens == 0 || self.until.is_none_or(|until| now >= until) {
            return false;
        }
        self.tokens -= 1;
        self.used += 1;
        true
    }

    /// Whether it still holds something: tokens that may be used, or a refusal not over.
    fn live(&self, now: Instant) -> bool {
        self.until.is_some_and(|until| now < until) || self.limited(now).is_some()
    }

    /// How long the limiter said to wait, if that is not over.
    pub(super) fn limited(&self, now: Instant) -> Option<Duration> {
        self.limited_until?.checked_duration_since(now).filter(|left| !left.is_zero())
    }

    pub(super) fn refused(&mut self, now: Instant, retry_after: Duration) {
        self.limited_until = Some(now + retry_after);
    }

    /// The batch to ask for next: half a second of the rate this lease saw.
    pub(super) fn next_batch(&self, quota: Quota, now: Instant) -> u32 {
        let cap = (quota.burst / 4).clamp(1, MAX_BATCH);
        let Some(granted) = self.granted else { return 1 };
        let elapsed = now.saturating_duration_since(granted).max(Duration::from_millis(1));
        let wanted = (f64::from(self.used) * BATCH_COVERS.as_secs_f64() / elapsed.as_secs_f64()).ceil();
        (wanted.min(f64::from(MAX_BATCH)) as u32).clamp(1, cap)
    }

    /// A new lease of `size` tokens granted at `now`, one of which is used at once; `left`
    /// and `full_after` are the limiter's word on the app's quota after the grant.
    pub(super) fn renew(&mut self, size: u32, now: Instant, left: u32, full_after: Duration) {
        *self = Lease {
            tokens: size - 1,
            used: 1,
            granted: Some(now),
            until: Some(now + LEASE_FOR),
            limited_until: None,
            left,
            full_at: Some(now + full_after),
        };
    }

    /// An estimate of what the app may still do at once (its leased tokens here and what
    /// the limiter had left), and when its whole burst is back.
    pub(super) fn standing(&self, now: Instant) -> (u32, Duration) {
        let full_after = self.full_at.map_or(Duration::ZERO, |at| at.saturating_duration_since(now));
        (self.left.saturating_add(self.tokens), full_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves `per_second` requests a second for `seconds` on virtual time; how many tokens
    /// were leased and how many used.
    fn steady(quota: Quota, per_second: u32, seconds: u32) -> (u64, u64) {
        let start = Instant::now();
        let mut lease = Lease::default();
        let (mut leased, mut used) = (0u64, 0u64);
        for n in 0..per_second * seconds {
            let now = start + Duration::from_secs_f64(f64::from(n) / f64::from(per_second));
            if !lease.take(now) {
                let batch = lease.next_batch(quota, now);
                leased += u64::from(batch);
                lease.renew(batch, now, 0, Duration::ZERO);
            }
            used += 1;
        }
        (leased, used)
    }

    #[test]
    fn a_steady_rate_leases_about_what_it_uses_in_few_batches() {
        let quota = Quota::per_minute(6000, 200).unwrap();
        for per_second in [1, 5, 17, 70, 90, 400] {
            let (leased, used) = steady(quota, per_second, 20);
            // Only the last lease can be left unused.
            assert!(leased <= used + 50, "{per_second}/s: leased {leased} for {used}");
        }
        let (_, used) = steady(quota, 400, 20);
        let batches = {
            let mut lease = Lease::default();
            let start = Instant::now();
            let mut calls = 0;
            for n in 0..8000u32 {
                let now = start + Duration::from_secs_f64(f64::from(n) / 400.0);
                if !lease.take(now) {
                    lease.renew(lease.next_batch(quota, now), now, 0, Duration::ZERO);
                    calls += 1;
                }
            }
            calls
        };
        assert!(batches * 20 < used, "{batches} limiter calls for {used} requests");
    }

    #[test]
    fn a_new_or_quiet_app_is_counted_one_by_one_and_small_bursts_cap_batches() {
        let now = Instant::now();
        assert_eq!(Lease::default().next_batch(Quota::per_minute(6000, 200).unwrap(), now), 1);
        let mut lease = Lease::default();
        lease.renew(1, now, 0, Duration::ZERO);
        let quiet = Quota::per_minute(6000, 200).unwrap();
        assert_eq!(lease.next_batch(quiet, now + Duration::from_secs(2)), 1, "one request in two seconds");
        assert_eq!(lease.next_batch(Quota::per_minute(60, 7).unwrap(), now), 1, "a quarter of a burst of 7");
    }

    #[test]
    fn leases_that_ended_are_swept_out_and_live_ones_kept() {
        let leases = Leases::new();
        let live = AppId::generate();
        leases.of(live).try_lock().unwrap().renew(5, Instant::now(), 0, Duration::ZERO);
        // Up to the sweep size with apps whose leases never started...
        for _ in 1..SWEEP_AFTER {
            leases.of(AppId::generate());
        }
        // ...then one more sweeps them out.
        leases.of(AppId::generate());
        let apps = &leases.apps.lock().unwrap().0;
        assert_eq!(apps.len(), 2, "the new app and the live lease");
        assert!(apps.contains_key(&live));
    }

    #[test]
    fn a_refusal_is_remembered_until_its_retry_time() {
        let now = Instant::now();
        let mut lease = Lease::default();
        lease.refused(now, Duration::from_secs(2));
        assert_eq!(lease.limited(now + Duration::from_secs(1)), Some(Duration::from_secs(1)));
        assert_eq!(lease.limited(now + Duration::from_secs(2)), None);
        lease.renew(3, now, 0, Duration::ZERO);
        assert_eq!(lease.limited(now), None, "a grant clears it");
    }
}
