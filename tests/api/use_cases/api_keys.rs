//! API key use cases over the memory adapters with a manual clock: issue, rotation with and
//! without grace, grace expiry, revocation, the audit trail, and the cache's promises.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use cti_server::adapters::memory::{ManualClock, MemoryApiKeyRepository};
use cti_server::app::access::Access;
use cti_server::app::api_keys::{ApiKeys, AuthError, Authenticator, KeyAdminError};
use cti_server::app::freshness::Freshness;
use cti_server::app::realtime::{Credentials, Grant};
use cti_server::config::Config;
use cti_server::domain::api_key::{AuditAction, AuditEvent, KeyEnvironment, KeyId, Rejection, StoredApiKey};
use cti_server::domain::app::{AppId, AppName, AppPatch};
use cti_server::domain::pagination::{Page, PageLimit};
use cti_server::domain::stream::Ending;
use cti_server::ports::{ApiKeyRepository, CurrentKeys, Invalidation, Issued, KeyInvalidation};
use cti_server::startup::Backends;
use cti_server::startup::wiring::{Background, Wiring};
use cti_server::telemetry::Metrics;

use crate::helpers::test_settings;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

struct World {
    access: Access,
    apps: cti_server::app::apps::Apps,
    keys: ApiKeys,
    auth: Authenticator,
    clock: Arc<ManualClock>,
    freshness: Freshness,
    credentials: Credentials,
    metrics: Metrics,
}

fn world_with(repo: Arc<dyn ApiKeyRepository>) -> World {
    world_swept_every(repo, std::time::Duration::from_secs(3600))
}

/// Change notices that reach no instance: what the use cases do themselves is all there is.
struct LostNotices;

#[async_trait]
impl KeyInvalidation for LostNotices {
    async fn publish(&self, _app: AppId) -> Result<(), anyhow::Error> {
        Ok(())
    }

    fn subscribe(&self) -> BoxStream<'static, Invalidation> {
        futures_util::stream::pending().boxed()
    }
}

/// The server's wiring over memory adapters, `repo` for keys and a manual clock, whose
/// streams' keys are all checked again every `sweep` (the key cache's time to live).
fn world_swept_every(repo: Arc<dyn ApiKeyRepository>, sweep: std::time::Duration) -> World {
    let clock = Arc::new(ManualClock::new(start()));
    let mut config = Config::from_settings(&test_settings()).unwrap();
    config.api_keys.cache_ttl = sweep;
    config.api_keys.max_concurrent_verifications = 2;
    let backends = Backends { api_keys: repo, key_invalidation: Arc::new(LostNotices), ..Backends::memory() };
    let metrics = Metrics::new();
    let wiring = Wiring {
        config: &config,
        backends: &backends,
        clock: clock.clone(),
        metrics: metrics.clone(),
        background: Background::default(),
    };
    let keys = wiring.keys();
    let (realtime, _) = wiring.realtime(wiring.user_mappings(), keys.credentials.clone());
    let access = wiring.access(&keys, &realtime, wiring.rate_limits());
    World {
        access,
        apps: wiring.apps(&keys),
        keys: keys.api_keys,
        auth: keys.authenticator,
        credentials: keys.credentials,
        freshness: keys.freshness,
        clock,
        metrics,
    }
}

fn world() -> World {
    world_with(Arc::new(MemoryApiKeyRepository::new()))
}

impl World {
    async fn app(&self) -> AppId {
        self.apps.create(AppName::parse("acme").unwrap()).await.unwrap().id
    }

    /// What GET /ws does with a key.
    async fn admit(&self, key: &str) -> Grant {
        self.access.stream_key(None, Some(key)).await.unwrap().who
    }

    async fn check(&self, key: &str) -> Result<AppId, AuthError> {
        self.auth.authenticate(Some(key)).await.map(|p| p.app_id)
    }

    fn metric(&self, line_start: &str) -> u64 {
        let text = self.metrics.render();
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .map(|v| v.parse().unwrap())
            .unwrap_or(0)
    }

    async fn audit(&self, app: AppId) -> Vec<AuditAction> {
        let page = self.keys.audit(app, PageLimit::default(), None).await.unwrap();
        page.items.iter().map(|e| e.action).collect()
    }
}

fn rejected(result: Result<AppId, AuthError>) -> Rejection {
    match result {
        Err(AuthError::Rejected(reason)) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn rotation_with_grace_keeps_the_old_key_until_it_expires() {
    let w = world();
    let app = w.app().await;
    let first = w.keys.issue(app, Duration::zero()).await.unwrap();
    assert_eq!(w.check(first.key.expose()).await.unwrap(), app);

    let second = w.keys.issue(app, Duration::seconds(60)).await.unwrap();
    assert_eq!(second.previous.as_ref().unwrap().expires_at, Some(start() + Duration::seconds(60)));
    assert_eq!(w.check(first.key.expose()).await.unwrap(), app, "old key valid during grace");
    assert_eq!(w.check(second.key.expose()).await.unwrap(), app);

    w.clock.advance(Duration::seconds(60));
    assert_eq!(rejected(w.check(first.key.expose()).await), Rejection::Expired, "cached, yet expired on time");
    assert_eq!(w.check(second.key.expose()).await.unwrap(), app);

    assert_eq!(w.keys.expire_due().await.unwrap(), 1);
    assert_eq!(w.keys.expire_due().await.unwrap(), 0, "expired once");
    assert_eq!(w.audit(app).await, [AuditAction::Expired, AuditAction::Rotated, AuditAction::Generated]);
    let status = w.keys.status(app).await.unwrap();
    assert_eq!(status.active.unwrap().key_id, second.stored.key_id);
    assert!(status.grace.is_none());
}

#[tokio::test]
async fn rotation_without_grace_and_revocation_stop_a_cached_key_at_once() {
    let w = world();
    let app = w.app().await;
    let first = w.keys.issue(app, Duration::zero()).await.unwrap();
    w.check(first.key.expose()).await.unwrap();

    let second = w.keys.issue(app, Duration::zero()).await.unwrap();
    assert!(second.previous.is_none());
    assert_eq!(rejected(w.check(first.key.expose()).await), Rejection::Revoked);
    w.check(second.key.expose()).await.unwrap();

    w.keys.revoke(app).await.unwrap();
    assert_eq!(rejected(w.check(second.key.expose()).await), Rejection::Revoked);
    assert!(matches!(w.keys.revoke(app).await, Err(KeyAdminError::NoKey)));
    assert_eq!(
        w.audit(app).await,
        [AuditAction::Revoked, AuditAction::Rotated, AuditAction::Revoked, AuditAction::Generated]
    );
}

#[tokio::test]
async fn a_second_rotation_retires_the_key_still_in_grace() {
    let w = world();
    let app = w.app().await;
    let first = w.keys.issue(app, Duration::zero()).await.unwrap();
    w.keys.issue(app, Duration::hours(1)).await.unwrap();
    let third = w.keys.issue(app, Duration::hours(1)).await.unwrap();
    assert_eq!(rejected(w.check(first.key.expose()).await), Rejection::Revoked, "only one previous key stays");
    assert!(w.keys.status(app).await.unwrap().grace.is_some());
    w.check(third.key.expose()).await.unwrap();
}

#[tokio::test]
async fn inactive_and_unknown_apps_cannot_get_keys_and_deactivation_reaches_cached_keys() {
    let w = world();
    assert!(matches!(w.keys.issue(AppId::generate(), Duration::zero()).await, Err(KeyAdminError::AppNotFound)));
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap();
    w.check(key.key.expose()).await.unwrap();

    w.apps.update(app, AppPatch { is_active: Some(false), ..AppPatch::default() }).await.unwrap();
    assert!(matches!(w.check(key.key.expose()).await, Err(AuthError::Inactive(a)) if a == app));
    assert!(matches!(w.keys.issue(app, Duration::zero()).await, Err(KeyAdminError::AppInactive)));

    w.apps.update(app, AppPatch { is_active: Some(true), ..AppPatch::default() }).await.unwrap();
    assert_eq!(w.check(key.key.expose()).await.unwrap(), app);
}

#[tokio::test]
async fn garbage_never_reaches_storage_and_one_wrong_key_costs_one_argon2() {
    let w = world();
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap();
    assert!(matches!(w.check("").await, Err(AuthError::Missing)));
    assert!(matches!(w.check("hello").await, Err(AuthError::Malformed(_))));

    // Same key id, another secret, valid checksum: a wrong key that reaches argon2.
    let other = cti_server::domain::api_key::ApiKey::generate(KeyEnvironment::Test, &mut rand::rng());
    let wrong = other.expose().replace(other.key_id().as_str(), key.stored.key_id.as_str());
    let wrong = fix_checksum(&wrong);
    for _ in 0..20 {
        assert_eq!(rejected(w.check(&wrong).await), Rejection::Mismatch);
    }
    assert_eq!(w.metric("api_key_argon2_verifications_total"), 1);
    assert_eq!(w.metric(r#"api_key_auth_total{outcome="mismatch"}"#), 20);
    assert_eq!(w.metric(r#"api_key_auth_total{outcome="malformed"}"#), 1);
}

/// Recomputes a key's checksum after editing it (CRC32 in 6 base62 digits).
fn fix_checksum(key: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = &key[..key.len() - 6];
    let mut n = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("{body}{}", std::str::from_utf8(&digits).unwrap())
}

#[tokio::test]
async fn concurrent_first_requests_share_one_verification() {
    let w = Arc::new(world());
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    let checks = (0..100).map(|_| {
        let (w, key) = (w.clone(), key.clone());
        tokio::spawn(async move { w.check(&key).await.unwrap() })
    });
    for check in futures_util::future::join_all(checks).await {
        assert_eq!(check.unwrap(), app);
    }
    assert_eq!(w.metric("api_key_argon2_verifications_total"), 1);
    assert_eq!(w.metric(r#"api_key_cache_total{result="miss"}"#), 1);
}

#[tokio::test]
async fn an_invalidation_reloads_a_cached_key_from_storage_without_another_argon2() {
    let w = world();
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    assert_eq!(w.auth.authenticate(Some(&key)).await.unwrap().app_name.as_str(), "acme");

    // A rename stales the cached check: the next request sees the new name...
    let renamed = AppPatch { name: Some(AppName::parse("acme two").unwrap()), ..AppPatch::default() };
    w.apps.update(app, renamed).await.unwrap();
    assert_eq!(w.auth.authenticate(Some(&key)).await.unwrap().app_name.as_str(), "acme two");
    // ...and "notices may have been lost" (a Redis reconnect) stales everything.
    w.freshness.apply(Invalidation::All);
    w.check(&key).await.unwrap();
    assert_eq!(w.metric(r#"api_key_cache_total{result="miss"}"#), 3, "each invalidation reloaded");
    assert_eq!(w.metric("api_key_argon2_verifications_total"), 1, "the stored hash did not change");

    // A wrong secret under the same key id is still verified, and refused.
    let other = cti_server::domain::api_key::ApiKey::generate(KeyEnvironment::Test, &mut rand::rng());
    let wrong = fix_checksum(&other.expose().replace(other.key_id().as_str(), &key[9..25]));
    assert_eq!(rejected(w.check(&wrong).await), Rejection::Mismatch);
    assert_eq!(w.metric("api_key_argon2_verifications_total"), 2);
}

/// Paused time: a wait for something that does not happen ends as soon as nothing is left
/// to run (every check done), with time moved to the wait's end.
#[tokio::test(start_paused = true)]
async fn a_stream_admitted_as_its_key_is_revoked_is_checked_again_once_registered() {
    let w = world();
    let app = w.app().await;
    let issued = w.keys.issue(app, Duration::zero()).await.unwrap();
    let key = issued.key.expose();

    let grant = w.admit(key).await;
    let mut standing = w.credentials.watch(&grant);
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(100), standing.ended()).await;
    assert!(quiet.is_err(), "nothing changed: the stream stands");

    // The revocation's notice is applied after the authentication but before the stream is
    // registered, so no recheck can see the stream: registering must check it.
    let grant = w.admit(key).await;
    w.keys.revoke(app).await.unwrap();
    let mut late = w.credentials.watch(&grant);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), late.ended()).await;
    assert_eq!(ended.expect("checked at registration"), Ending::KeyRevoked);
}

/// A repository whose `find` can fail, or read then wait to be released before answering
/// (the shape of a cache fill that races a revocation).
struct ScriptedFind {
    inner: MemoryApiKeyRepository,
    /// While set, each `find` waits for `release` after reading.
    hold: AtomicBool,
    reading: Notify,
    release: Notify,
    /// This many next `find`s fail as if the database were down.
    failures: AtomicUsize,
}

impl ScriptedFind {
    fn new() -> Self {
        Self {
            inner: MemoryApiKeyRepository::new(),
            hold: AtomicBool::new(false),
            reading: Notify::new(),
            release: Notify::new(),
            failures: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl ApiKeyRepository for ScriptedFind {
    async fn issue(
        &self,
        new: &StoredApiKey,
        g: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Issued, cti_server::ports::StoreError> {
        self.inner.issue(new, g, now).await
    }
    async fn find(&self, key_id: &KeyId) -> Result<Option<StoredApiKey>, cti_server::ports::StoreError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(cti_server::ports::StoreError::Unavailable(anyhow::anyhow!("database down")));
        }
        let found = self.inner.find(key_id).await;
        if self.hold.load(Ordering::SeqCst) {
            self.reading.notify_one();
            self.release.notified().await;
        }
        found
    }
    async fn current(&self, app_id: AppId) -> Result<CurrentKeys, cti_server::ports::StoreError> {
        self.inner.current(app_id).await
    }
    async fn revoke_all(
        &self,
        app_id: AppId,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredApiKey>, cti_server::ports::StoreError> {
        self.inner.revoke_all(app_id, now).await
    }
    async fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, cti_server::ports::StoreError> {
        self.inner.expire_due(now).await
    }
    async fn audit(
        &self,
        a: AppId,
        l: PageLimit,
        b: Option<i64>,
    ) -> Result<Page<AuditEvent>, cti_server::ports::StoreError> {
        self.inner.audit(a, l, b).await
    }
    async fn record_last_used(&self, k: &KeyId, at: DateTime<Utc>) -> Result<(), cti_server::ports::StoreError> {
        self.inner.record_last_used(k, at).await
    }
}

#[tokio::test]
async fn a_cache_fill_that_began_before_a_revocation_never_serves_the_revoked_key() {
    let repo = Arc::new(ScriptedFind::new());
    repo.hold.store(true, Ordering::SeqCst);
    let w = Arc::new(world_with(repo.clone()));
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();

    // A request misses the cache and reads the key while it is still active...
    let racing = tokio::spawn({
        let (w, key) = (w.clone(), key.clone());
        async move { w.check(&key).await }
    });
    repo.reading.notified().await;
    // ...the key is revoked meanwhile...
    w.keys.revoke(app).await.unwrap();
    // ...then the fill completes with what it read. Later reads of the key are not held.
    repo.hold.store(false, Ordering::SeqCst);
    repo.release.notify_one();
    assert_eq!(rejected(racing.await.unwrap()), Rejection::Revoked);
    assert_eq!(rejected(w.check(&key).await), Rejection::Revoked);
}

#[tokio::test]
async fn a_cached_check_answers_only_for_the_key_id_it_was_made_for() {
    let w = world();
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap();
    let real = key.key.expose().to_owned();
    assert_eq!(w.check(&real).await.unwrap(), app, "now cached");
    // The same secret under another key id (checksum recomputed) is another key: unknown.
    let other_id = fix_checksum(&real.replacen(key.stored.key_id.as_str(), "0000000000000000", 1));
    assert_eq!(rejected(w.check(&other_id).await), Rejection::Unknown);
    assert_eq!(w.check(&real).await.unwrap(), app);
}

#[tokio::test]
async fn a_key_of_the_other_environment_is_refused() {
    let w = world();
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    let live = fix_checksum(&key.replacen("cti_test_", "cti_live_", 1));
    assert_eq!(rejected(w.check(&live).await), Rejection::Unknown);
    assert_eq!(w.metric("api_key_argon2_verifications_total"), 0, "refused before any verification");
}

/// Paused time, as above: "stands" is checked once every check has run.
#[tokio::test(start_paused = true)]
async fn a_stream_admitted_after_its_app_was_reactivated_stands_beside_ending_ones() {
    let w = world();
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    let mut before = w.credentials.watch(&w.admit(&key).await);
    let off = |active| AppPatch { is_active: Some(active), ..AppPatch::default() };
    w.apps.update(app, off(false)).await.unwrap();
    w.credentials.changed(Invalidation::App(app));
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), before.ended()).await;
    assert_eq!(ended.expect("deactivation ends it"), Ending::AppInactive);

    // `before` is still registered (its connection is closing) when the app comes back.
    w.apps.update(app, off(true)).await.unwrap();
    let mut after = w.credentials.watch(&w.admit(&key).await);
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), after.ended()).await;
    assert!(quiet.is_err(), "the new stream stands: {quiet:?}");
    drop(before);
    w.credentials.changed(Invalidation::App(app));
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), after.ended()).await;
    assert!(quiet.is_err(), "and still stands once the old one is gone: {quiet:?}");
}

#[tokio::test]
async fn a_revocation_whose_notice_was_lost_still_ends_its_streams_at_the_next_sweep() {
    let w = world_swept_every(Arc::new(MemoryApiKeyRepository::new()), std::time::Duration::from_millis(100));
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    let mut stream = w.credentials.watch(&w.admit(&key).await);
    // No listener here: the revocation's notice reaches nobody.
    w.keys.revoke(app).await.unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), stream.ended()).await;
    assert_eq!(ended.expect("the sweep finds it"), Ending::KeyRevoked);
}

#[tokio::test]
async fn a_stream_check_that_storage_cannot_answer_is_retried() {
    let repo = Arc::new(ScriptedFind::new());
    let w = world_with(repo.clone());
    let app = w.app().await;
    let key = w.keys.issue(app, Duration::zero()).await.unwrap().key.expose().to_owned();
    let mut stream = w.credentials.watch(&w.admit(&key).await);

    w.keys.revoke(app).await.unwrap();
    repo.failures.store(1, Ordering::SeqCst);
    w.credentials.changed(Invalidation::App(app));
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), stream.ended()).await;
    assert_eq!(ended.expect("checked again once storage answers"), Ending::KeyRevoked);
    assert_eq!(repo.failures.load(Ordering::SeqCst), 0, "the first check failed");
}
