//! Per-app quota tokens leased in batches, so that the shared limiter (one Redis call) is
//! asked once per batch, not once per request. Each instance sizes an app's next batch to
//! its recent demand: a batch used up within its lease doubles the next (up to a quarter of
//! the burst, at most 64); a lease that ends with tokens left sizes the next to what was
//! used. An app at a few requests a second is therefore counted one by one, exactly, and a
//! busy app costs one limiter call per batch. Leased tokens are counted before they are
//! used, so an app never gets more than its quota; tokens left when a lease ends are lost,
//! which can only refuse slightly early. Refills for one app wait for each other, so
//! concurrent requests do not all lease a batch at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::app::AppId;
use crate::domain::rate_limit::Quota;

/// How long leased tokens may be used.
pub(super) const LEASE_FOR: Duration = Duration::from_secs(1);
const MAX_BATCH: u32 = 64;

#[derive(Default)]
pub(super) struct Leases {
    apps: Mutex<HashMap<AppId, Arc<tokio::sync::Mutex<Lease>>>>,
}

/// An app's tokens on this instance.
#[derive(Debug, Default)]
pub(super) struct Lease {
    /// Tokens left to use.
    pub tokens: u32,
    /// Tokens used from this lease (its first one included).
    pub used: u32,
    /// The batch this lease was made of.
    pub size: u32,
    pub until: Option<Instant>,
}

impl Leases {
    /// The app's lease, to lock.
    pub(super) fn of(&self, app: AppId) -> Arc<tokio::sync::Mutex<Lease>> {
        self.apps.lock().expect("leases poisoned").entry(app).or_default().clone()
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

    /// The batch to ask for next.
    pub(super) fn next_batch(&self, quota: Quota) -> u32 {
        let cap = (quota.burst / 4).clamp(1, MAX_BATCH);
        let wanted = if self.size > 0 && self.tokens == 0 { self.size.saturating_mul(2) } else { self.used };
        wanted.clamp(1, cap)
    }

    /// A new lease of `size` tokens granted at `now`, one of which is used at once.
    pub(super) fn renew(&mut self, size: u32, now: Instant) {
        *self = Lease { tokens: size - 1, used: 1, size, until: Some(now + LEASE_FOR) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_grow_while_used_up_and_shrink_to_what_was_used() {
        let quota = Quota::per_minute(60_000, 400).unwrap();
        let now = Instant::now();
        let mut lease = Lease::default();
        assert_eq!(lease.next_batch(quota), 1, "a new app is counted one by one");
        lease.renew(1, now);
        assert_eq!(lease.next_batch(quota), 2, "used up: double");
        lease.renew(32, now);
        while lease.take(now) {}
        assert_eq!(lease.next_batch(quota), 64);
        lease.renew(64, now);
        while lease.take(now) {}
        assert_eq!(lease.next_batch(quota), 64, "at most 64");
        lease.renew(64, now);
        for _ in 0..9 {
            assert!(lease.take(now));
        }
        assert!(!lease.take(now + LEASE_FOR), "a lease ends");
        assert_eq!(lease.next_batch(quota), 10, "ended with tokens left: what was used");
        assert_eq!(Lease::default().next_batch(Quota::per_minute(60, 3).unwrap()), 1);
        let mut small = Lease::default();
        small.renew(1, now);
        assert_eq!(small.next_batch(Quota::per_minute(60, 7).unwrap()), 1, "a quarter of a small burst");
    }
}
