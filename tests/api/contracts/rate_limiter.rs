//! RateLimiter contract, in memory and over Redis: a burst is allowed at once, then the
//! subject is limited (several requests at once are allowed together or not at all) with a retry time no longer than one emission interval; subjects are
//! independent; and over Redis two instances share one limit.

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use cti_server::adapters::memory::{InProcessRateLimiter, ManualClock};
use cti_server::adapters::redis::{RedisClients, RedisRateLimiter};
use cti_server::domain::rate_limit::{Decision, Quota};
use cti_server::ports::RateLimiter;

use crate::infra::TestRedis;

async fn allowed(limiter: &dyn RateLimiter, subject: &str, quota: Quota, n: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..n {
        if limiter.check(subject, quota, 1).await.unwrap().is_allowed() {
            allowed += 1;
        }
    }
    allowed
}

async fn contract(here: Arc<dyn RateLimiter>, there: Arc<dyn RateLimiter>) {
    // One an hour with a burst of 3: nothing refills during the test.
    let quota = Quota::per_minute(1, 3).unwrap();
    assert_eq!(allowed(here.as_ref(), "a", quota, 2).await, 2);
    assert_eq!(allowed(there.as_ref(), "a", quota, 5).await, 1, "the burst is shared by every instance");
    match here.check("a", quota, 1).await.unwrap() {
        Decision::Limited { retry_after } => {
            assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(60), "{retry_after:?}");
        }
        Decision::Allowed { .. } => panic!("over the burst"),
    }
    assert_eq!(allowed(here.as_ref(), "b", quota, 5).await, 3, "another subject has its own allowance");
    assert!(here.check("e", quota, 2).await.unwrap().is_allowed(), "two at once");
    assert!(matches!(there.check("e", quota, 2).await.unwrap(), Decision::Limited { .. }), "two more: no");
    assert_eq!(allowed(there.as_ref(), "e", quota, 5).await, 1, "a refused pair takes nothing");
    // What is left, for the RateLimit headers.
    let left = |d: Decision| match d {
        Decision::Allowed { remaining, reset_after } => (remaining, reset_after),
        Decision::Limited { .. } => panic!("refused"),
    };
    let (remaining, reset_after) = left(here.check("f", quota, 1).await.unwrap());
    assert_eq!(remaining, 2);
    assert!(reset_after > Duration::from_secs(59) && reset_after <= Duration::from_secs(60), "{reset_after:?}");
    assert_eq!(left(there.check("f", quota, 1).await.unwrap()).0, 1);
}

#[tokio::test]
async fn in_process_limiter_honours_the_contract_and_refills_at_the_rate() {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    let limiter = Arc::new(InProcessRateLimiter::new(clock.clone()));
    contract(limiter.clone(), limiter.clone()).await;

    let quota = Quota::per_minute(60, 2).unwrap();
    assert_eq!(allowed(limiter.as_ref(), "c", quota, 5).await, 2);
    clock.advance(chrono::Duration::milliseconds(999));
    assert_eq!(allowed(limiter.as_ref(), "c", quota, 1).await, 0, "not yet");
    clock.advance(chrono::Duration::milliseconds(1));
    assert_eq!(allowed(limiter.as_ref(), "c", quota, 5).await, 1, "one more a second");
}

#[tokio::test]
async fn redis_limiter_honours_the_contract_across_instances() {
    let Some(redis) = TestRedis::create() else { return };
    let here = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    let there = RedisClients::connect(&redis.url, &redis.prefix).await.unwrap();
    contract(Arc::new(RedisRateLimiter::new(here.clone())), Arc::new(RedisRateLimiter::new(there))).await;

    // It refills on Redis's clock: one emission interval later, one more is allowed.
    let limiter = RedisRateLimiter::new(here);
    let quota = Quota::per_minute(60, 1).unwrap();
    assert_eq!(allowed(&limiter, "d", quota, 3).await, 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(limiter.check("d", quota, 1).await.unwrap().is_allowed());
}
