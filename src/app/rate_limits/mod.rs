//! Rate limits: how much each app may ask of the API (shared by every instance through the
//! RateLimiter port), and how many wrong credentials one client address may present before
//! it is turned away. Webhooks are never limited: Dialpad never retries a 4xx, so a 429
//! would lose a verified event.
//!
//! A client over its failure allowance is remembered by this instance until the allowance
//! is back, and refused before its credentials are checked, so guessing keys or the admin
//! secret gets nowhere; on another instance it gets at most one more try before being
//! refused there too, since the allowance itself is shared.
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
use std::time::{Duration, Instant};

use metrics::Counter;

use crate::domain::app::AppId;
use crate::domain::rate_limit::{Decision, Quota};
use crate::ports::RateLimiter;

/// Sweep ended blocks once this many clients are blocked.
const SWEEP_BLOCKED_AFTER: usize = 10_000;

/// Which limits apply; `None`: off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    pub per_app: Option<Quota>,
    pub auth_failures: Option<Quota>,
}

#[derive(Clone)]
pub struct RateLimitMetrics {
    pub app_limited: Counter,
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
    /// Clients over their failure allowance, until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    leases: leases::Leases,
}

impl RateLimits {
    pub fn new(limiter: Arc<dyn RateLimiter>, settings: RateLimitSettings, metrics: RateLimitMetrics) -> Self {
        Self {
            inner: Arc::new(Inner {
                limiter,
                settings,
                metrics,
                blocked: Mutex::default(),
                leases: leases::Leases::default(),
            }),
        }
    }

    /// Counts one request of `app`; `Err(retry_after)` when it is over its quota.
    pub async fn app_request(&self, app: AppId) -> Result<(), Duration> {
        let Some(quota) = self.inner.settings.per_app else { return Ok(()) };
        let lease = self.inner.leases.of(app);
        let mut lease = lease.lock().await;
        if lease.take(Instant::now()) {
            return Ok(());
        }
        let subject = format!("app:{app}");
        let batch = lease.next_batch(quota);
        let mut decision = self.inner.check(&subject, quota, batch).await;
        let mut granted = batch;
        if batch > 1 && decision != Decision::Allowed {
            // Not a whole batch left: maybe one.
            (decision, granted) = (self.inner.check(&subject, quota, 1).await, 1);
        }
        match decision {
            Decision::Allowed => {
                lease.renew(granted, Instant::now());
                Ok(())
            }
            Decision::Limited { retry_after } => {
                self.inner.metrics.app_limited.increment(1);
                Err(retry_after)
            }
        }
    }

    /// How long `client` is still refused, if it is.
    pub fn refused(&self, client: Option<IpAddr>) -> Option<Duration> {
        let client = client?;
        let blocked = self.inner.blocked.lock().expect("rate limits poisoned");
        let left = blocked.get(&client)?.checked_duration_since(Instant::now())?;
        self.inner.metrics.client_refused.increment(1);
        Some(left)
    }

    /// Counts wrong credentials from `client`; `Some(retry_after)` when that was one too
    /// many (the client is refused from now on, for that long).
    pub async fn wrong_credentials(&self, client: Option<IpAddr>) -> Option<Duration> {
        let (quota, client) = (self.inner.settings.auth_failures?, client?);
        let Decision::Limited { retry_after } = self.inner.check(&format!("auth-failures:{client}"), quota, 1).await
        else {
            return None;
        };
        let mut blocked = self.inner.blocked.lock().expect("rate limits poisoned");
        let now = Instant::now();
        if blocked.len() >= SWEEP_BLOCKED_AFTER {
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(client, now + retry_after);
        self.inner.metrics.client_refused.increment(1);
        Some(retry_after)
    }
}

impl Inner {
    /// The limiter's decision, or `Allowed` when it cannot be asked.
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Decision {
        match self.limiter.check(subject, quota, cost).await {
            Ok(decision) => decision,
            Err(err) => {
                self.metrics.unavailable.increment(1);
                tracing::warn!(error = format!("{err:#}"), "rate limiter unavailable; letting the request through");
                Decision::Allowed
            }
        }
    }
}
