//! Rate limit use cases over the in-process limiter on a frozen clock (and paused tokio time
//! where leases must not end mid-test): a busy app's quota is taken in batches (few limiter
//! calls), instances sharing a limiter never let an app through more than its quota, and a
//! quiet app is counted exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::DateTime;
use cti_server::adapters::memory::{InProcessRateLimiter, ManualClock};
use cti_server::app::rate_limits::{RateLimitSettings, RateLimits};
use cti_server::domain::app::AppId;
use cti_server::domain::rate_limit::{Decision, Quota};
use cti_server::ports::RateLimiter;
use cti_server::telemetry::{Metrics, rate_limit_metrics};

/// Counts the calls to the limiter it wraps.
struct Counted {
    inner: InProcessRateLimiter,
    calls: AtomicUsize,
}

#[async_trait]
impl RateLimiter for Counted {
    async fn check(&self, subject: &str, quota: Quota, cost: u32) -> Result<Decision, anyhow::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.check(subject, quota, cost).await
    }
}

fn shared_limiter() -> Arc<Counted> {
    // The clock never moves: nothing refills during a test.
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    Arc::new(Counted { inner: InProcessRateLimiter::new(clock), calls: AtomicUsize::new(0) })
}

fn instance(limiter: Arc<Counted>, per_minute: u32, burst: u32) -> RateLimits {
    let settings = RateLimitSettings {
        per_app: Quota::per_minute(per_minute, burst),
        auth_failures: None,
        oauth_failures: None,
        internal_per_client: None,
    };
    RateLimits::new(limiter, settings, rate_limit_metrics(&Metrics::new()))
}

#[tokio::test]
async fn a_busy_app_takes_its_quota_in_batches() {
    let limiter = shared_limiter();
    let limits = instance(limiter.clone(), 60_000_000, 1_000_000);
    let app = AppId::generate();
    for _ in 0..1_000 {
        assert!(limits.app_request(app).await.is_ok());
    }
    let calls = limiter.calls.load(Ordering::SeqCst);
    assert!(calls <= 30, "{calls} limiter calls for 1000 requests");
}

/// Paused time: no lease (1 s of tokio time) ends mid-test and drops its unused tokens.
#[tokio::test(start_paused = true)]
async fn instances_sharing_a_limiter_never_let_an_app_exceed_its_quota() {
    let limiter = shared_limiter();
    let (one, two) = (instance(limiter.clone(), 1, 12), instance(limiter.clone(), 1, 12));
    let app = AppId::generate();
    let mut allowed = 0;
    for n in 0..60 {
        let limits = if n % 2 == 0 { &one } else { &two };
        if limits.app_request(app).await.is_ok() {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 12, "the whole burst, never more");
    let other = AppId::generate();
    assert!(one.app_request(other).await.is_ok(), "another app has its own quota");
}

#[tokio::test]
async fn a_quiet_app_is_counted_one_by_one() {
    let limiter = shared_limiter();
    let limits = instance(limiter.clone(), 1, 3);
    let app = AppId::generate();
    let results: Vec<bool> = futures_util::future::join_all((0..5).map(|_| limits.app_request(app)))
        .await
        .into_iter()
        .map(|r| r.is_ok())
        .collect();
    assert_eq!(results.iter().filter(|ok| **ok).count(), 3);
    match limits.app_request(app).await {
        Err(refusal) => assert!(refusal.retry_after.as_secs() <= 60, "{refusal:?}"),
        Ok(_) => panic!("over the burst"),
    }
}
