//! Rate limits: how much each app may ask of the API (shared by every instance through the
//! RateLimiter port), and how many wrong credentials one client address may present before
//! it is turned away. Webhooks are never limited: Dialpad never retries a 4xx, so a 429
//! would lose a verified event.
//!
//! A client over its failure allowance is remembered by this instance until the allowance
//! is back, and refused before its credentials are checked; on another instance it gets
//! one more try before being refused there too, since the allowance itself is shared.
//! This bounds sustained guessing (and the lookups it costs); requests already in flight
//! when the allowance runs out are still checked, which matters little against 256-bit
//! key secrets. Clients are counted per IPv4 address or IPv6 /64.
//!
//! When the limiter cannot be asked (Redis down), requests go through and that is counted:
//! a limiter outage must not take the API down.
//!
//! An app's quota is taken from the limiter in batches leased per instance (leases.rs), so
//! a busy app costs one Redis call per batch rather than per request.

mod leases;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::Counter;
use tokio::time::Instant;

use crate::domain::app::AppId;
use crate::domain::rate_limit::{Decision, Quota};
use crate::ports::RateLimiter;

/// Sweep ended blocks once this many more clients are blocked than after the last sweep.
const SWEEP_BLOCKED_AFTER: usize = 10_000;
/// How long a request waits for the limiter before going through without it (a stalled
/// Redis must not stall the API; the command timeout alone is 2 s).
const LIMITER_PATIENCE: Duration = Duration::from_millis(250);

/// Which limits apply; `None`: off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    pub per_app: Option<Quota>,
    pub auth_failures: Option<Quota>,
    /// Failed attempts on the Dialpad connect flow (its own allowance: a client locked out
    /// there keeps its API access, and the other way round).
    pub oauth_failures: Option<Quota>,
    /// Admin API requests per client address (the old server's limit on /internal/*).
    pub internal_per_client: Option<Quota>,
}

/// Where a client stands against a limit it passed, for the RateLimit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub quota: Quota,
    /// How many more requests it may make at once now (an estimate across instances).
    pub remaining: u32,
    /// When its whole burst is back.
    pub reset_after: Duration,
}

/// A request refused by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub quota: Quota,
    pub retry_after: Duration,
}

/// A client address's allowance of failures, each counted on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// Wrong credentials: API keys, stream tickets, the internal secret.
    Credentials,
    /// Failed steps of the Dialpad connect flow: bad tickets, unknown sessions, wrong state.
    OAuth,
}

#[derive(Clone)]
pub struct RateLimitMetrics {
    pub app_limited: Counter,
    pub internal_limited: Counter,
    pub client_refused: Counter,
    pub unavailable: Counter,
}

#[derive(Clone)]
pub struct RateLimits {
    inner: Arc<Inner>,
}

struct Inner {
    limiter: Arc<dyn RateLimiter>,
    settings: RateLimitSettings,
    metrics: RateLimitMetrics,
    /// Clients over their failure allowances, until when.
    blocked: Mutex<Blocked>,
    oauth_blocked: Mutex<Blocked>,
    leases: leases::Leases,
}

impl RateLimits {
    pub fn new(limiter: Arc<dyn RateLimiter>, settings: RateLimitSettings, metrics: RateLimitMetrics) -> Self {
        Self {
            inner: Arc::new(Inner {
                limiter,
                settings,
                metrics,
                blocked: Mutex::new(Blocked::default()),
                oauth_blocked: Mutex::new(Blocked::default()),
                leases: leases::Leases::new(),
            }),
        }
    }

    /// Counts one request of `app`: where it stands (`None` when the limit is off), or the
    /// refusal when it is over its quota.
    pub async fn app_request(&self, app: AppId) -> Result<Option<Standing>, Refusal> {
        let Some(quota) = self.inner.settings.per_app else { return Ok(None) };
        let lease = self.inner.leases.of(app);
        let mut lease = lease.lock().await;
        let now = Instant::now();
        let standing = |lease: &leases::Lease, now| {
            let (remaining, reset_after) = lease.standing(now);
            Some(Standing { quota, remaining, reset_after })
        };
        if lease.take(now) {
            return Ok(standing(&lease, now));
        }
        if let Some(retry_after) = lease.limited(now) {
            self.inner.metrics.app_limited.increment(1);
            return Err(Refusal { quota, retry_after });
        }
        let subject = format!("app:{app}");
        let batch = lease.next_batch(quota, now);
        let mut decision = self.inner.check(&subject, quota, batch).await;
        let mut granted = batch;
        if batch > 1 && !decision.is_allowed() {
            // Not a whole batch left: maybe one.
            (decision, granted) = (self.inner.check(&subject, quota, 1).await, 1);
        }
        let now = Instant::now();
        match decision {
            Decision::Allowed { remaining, reset_after } => {
                lease.renew(granted, now, remaining, reset_after);
                Ok(standing(&lease, now))
            }
            Decision::Limited { retry_after } => {
                lease.refused(now, retry_after);
                self.inner.metrics.app_limited.increment(1);
                Err(Refusal { quota, retry_after })
            }
        }
    }

    /// Counts one admin API request from `client` against the per-address limit of
    /// /internal/* (one limiter call each: the admin API is not busy).
    pub async fn internal_request(&self, client: Option<IpAddr>) -> Result<Option<Standing>, Refusal> {
        let (Some(quota), Some(client)) = (self.inner.settings.internal_per_client, client) else { return Ok(None) };
        match self.inner.check(&format!("internal:{}", network_of(client)), quota, 1).await {
            Decision::Allowed { remaining, reset_after } => Ok(Some(Standing { quota, remaining, reset_after })),
            Decision::Limited { retry_after } => {
                self.inner.metrics.internal_limited.increment(1);
                Err(Refusal { quota, retry_after })
            }
        }
    }

    /// Counts `cost` uses of `subject` against `quota`, shared by every instance; the wait
    /// when that is over it. When the limiter cannot be asked, the use goes through.
    pub async fn take(&self, subject: &str, quota: Quota, cost: u32) -> Result<(), Duration> {
        match self.inner.check(subject, quota, cost).await {
            Decision::Allowed { .. } => Ok(()),
            Decision::Limited { retry_after } => Err(retry_after),
        }
    }

    /// How long `client` is still refused under `allowance`, if it is.
    pub fn refused_for(&self, allowance: Allowance, client: Option<IpAddr>) -> Option<Duration> {
        let client = network_of(client?);
        let blocked = self.inner.blocked(allowance).lock().expect("rate limits poisoned");
        let left = blocked.until.get(&client)?.checked_duration_since(Instant::now())?;
        self.inner.metrics.client_refused.increment(1);
        Some(left)
    }

    /// Counts a failure of `client` under `allowance`; `Some(retry_after)` when that was one
    /// too many (the client is refused there from now on, for that long).
    pub async fn failed(&self, allowance: Allowance, client: Option<IpAddr>) -> Option<Duration> {
        let (quota, prefix) = match allowance {
            Allowance::Credentials => (self.inner.settings.auth_failures?, "auth-failures"),
            Allowance::OAuth => (self.inner.settings.oauth_failures?, "oauth-failures"),
        };
        let client = network_of(client?);
        let Decision::Limited { retry_after } = self.inner.check(&format!("{prefix}:{client}"), quota, 1).await else {
            return None;
        };
        let mut blocked = self.inner.blocked(allowance).lock().expect("rate limits poisoned");
        let now = Instant::now();
        if blocked.until.len() >= blocked.sweep_at {
            blocked.until.retain(|_, until| *until > now);
            blocked.sweep_at = blocked.until.len() + SWEEP_BLOCKED_AFTER;
        }
        blocked.until.insert(client, now + retry_after);
        self.inner.metrics.client_refused.increment(1);
        Some(retry_after)
    }
}

struct Blocked {
    until: HashMap<IpAddr, Instant>,
    sweep_at: usize,
}

impl Default for Blocked {
    fn default() -> Self {
        Self { until: HashMap::new(), sweep_at: SWEEP_BLOCKED_AFTER }
    }
}

/// The address a client is counted under: its IPv6 /64 (one host's usual allocation, so
/// a client cannot get a fresh allowance per address), or its IPv4 address.
fn network_of(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

impl Inner {
    fn blocked(&self, allowance: Allowance) -> &Mutex<Blocked> {
        match allowance {
            Allowance::Credentials => &self.blocked,
            Allowance::OAuth => &self.oauth_blocked,
        }
    }

    /// The limiter's decision, or an allowance of the whole burst when it cannot be asked.
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Decision {
        let asked = tokio::time::timeout(LIMITER_PATIENCE, self.limiter.check(subject, quota, cost)).await;
        let unknown = Decision::Allowed { remaining: quota.burst, reset_after: Duration::ZERO };
        match asked {
            Ok(Ok(decision)) => decision,
            Ok(Err(err)) => {
                self.metrics.unavailable.increment(1);
                tracing::warn!(error = format!("{err:#}"), "rate limiter unavailable; letting the request through");
                unknown
            }
            Err(_) => {
                self.metrics.unavailable.increment(1);
                tracing::warn!("rate limiter too slow; letting the request through");
                unknown
            }
        }
    }
}
