//! Authenticate a presented API key. Garbage is refused by format and checksum before any
//! I/O. A known key is answered from the cache; only a miss reads storage and runs argon2,
//! on a blocking thread under a bound on concurrent verifications, and concurrent misses
//! for one key share one verification. Failures are cached briefly too, so a flood of one
//! wrong key costs one argon2. A cached check older than its app's last invalidation is
//! reloaded, never served; the reload reads storage again but skips argon2 when the stored
//! hash is the one this secret already matched.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use metrics::Counter;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::{Generations, LastUsed};
use crate::domain::api_key::{
    ApiKey, ApiKeyFormatError, KeyCheck, KeyEnvironment, KeyState, Principal, Rejection, verify_secret,
};
use crate::domain::app::AppId;
use crate::ports::{ApiKeyCache, ApiKeyRepository, AppRepository, CachedCheck, Clock, StoreError};

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no API key presented")]
    Missing,
    #[error("malformed API key")]
    Malformed(ApiKeyFormatError),
    #[error("API key refused: {}", .0.as_str())]
    Rejected(Rejection),
    #[error("the app is inactive")]
    Inactive(AppId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Counters of the authentication path, registered once by the wiring.
#[derive(Clone)]
pub struct AuthMetrics {
    pub ok: Counter,
    pub missing: Counter,
    pub malformed: Counter,
    pub bad_checksum: Counter,
    pub unknown: Counter,
    pub mismatch: Counter,
    pub revoked: Counter,
    pub expired: Counter,
    pub inactive: Counter,
    pub unavailable: Counter,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub argon2_verifications: Counter,
}

impl AuthMetrics {
    fn outcome(&self, result: &Result<Arc<Principal>, AuthError>) -> &Counter {
        match result {
            Ok(_) => &self.ok,
            Err(AuthError::Missing) => &self.missing,
            Err(AuthError::Malformed(ApiKeyFormatError::Malformed)) => &self.malformed,
            Err(AuthError::Malformed(ApiKeyFormatError::BadChecksum)) => &self.bad_checksum,
            Err(AuthError::Rejected(Rejection::Unknown)) => &self.unknown,
            Err(AuthError::Rejected(Rejection::Mismatch)) => &self.mismatch,
            Err(AuthError::Rejected(Rejection::Revoked)) => &self.revoked,
            Err(AuthError::Rejected(Rejection::Expired)) => &self.expired,
            Err(AuthError::Inactive(_)) => &self.inactive,
            Err(AuthError::Store(_)) => &self.unavailable,
        }
    }
}

/// How many times a stale cached check is reloaded before checking without the cache.
const STALE_RETRIES: usize = 3;

#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<dyn ApiKeyRepository>,
    apps: Arc<dyn AppRepository>,
    cache: Arc<dyn ApiKeyCache>,
    clock: Arc<dyn Clock>,
    generations: Arc<Generations>,
    verifications: Arc<Semaphore>,
    last_used: LastUsed,
    metrics: AuthMetrics,
    /// Keys of the other environment are refused.
    environment: KeyEnvironment,
}

impl Authenticator {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        keys: Arc<dyn ApiKeyRepository>,
        apps: Arc<dyn AppRepository>,
        cache: Arc<dyn ApiKeyCache>,
        clock: Arc<dyn Clock>,
        generations: Arc<Generations>,
        max_concurrent_verifications: usize,
        last_used: LastUsed,
        metrics: AuthMetrics,
        environment: KeyEnvironment,
    ) -> Self {
        let verifications = Arc::new(Semaphore::new(max_concurrent_verifications.max(1)));
        Self { keys, apps, cache, clock, generations, verifications, last_used, metrics, environment }
    }

    /// The app a presented key authenticates, or why not.
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Arc<Principal>, AuthError> {
        let now = self.clock.now();
        let result = self.check(presented, now).await;
        self.metrics.outcome(&result).increment(1);
        if let Ok(principal) = &result {
            self.last_used.note(&principal.key_id, now);
        }
        result
    }

    async fn check(&self, presented: Option<&str>, now: DateTime<Utc>) -> Result<Arc<Principal>, AuthError> {
        let raw = presented.filter(|k| !k.is_empty()).ok_or(AuthError::Missing)?;
        let key = ApiKey::parse(raw).map_err(AuthError::Malformed)?;
        if key.environment() != self.environment {
            // A test key on a live server (or the reverse) never authenticates.
            return Err(AuthError::Rejected(Rejection::Unknown));
        }
        let fingerprint = key.fingerprint();
        // What a stale entry knows: which stored hash this key's secret already matched.
        let mut verified = None;
        if let Some(cached) = self.cache.get(&fingerprint).await
            && cached.key_id == *key.key_id()
        {
            if !self.generations.is_stale(&cached) {
                self.metrics.cache_hits.increment(1);
                return conclude(&cached.check, now);
            }
            verified = cached.verified;
            self.drop_if_current(&fingerprint, &cached).await;
        }
        for _ in 0..STALE_RETRIES {
            let loaded = Arc::new(AtomicBool::new(false));
            let load = self.load(key.clone(), verified, loaded.clone()).boxed();
            let cached = self.cache.get_or_load(fingerprint, load).await?;
            if loaded.load(Ordering::SeqCst) {
                self.metrics.cache_misses.increment(1);
            } else {
                self.metrics.cache_hits.increment(1);
            }
            if cached.key_id != *key.key_id() || self.generations.is_stale(&cached) {
                if cached.key_id == *key.key_id() {
                    verified = verified.or(cached.verified);
                }
                self.drop_if_current(&fingerprint, &cached).await;
                continue;
            }
            return conclude(&cached.check, now);
        }
        let fresh = self.load(key, verified, Arc::new(AtomicBool::new(false))).await?;
        conclude(&fresh.check, now)
    }

    /// Drops the stale entry `seen` unless another request already replaced it: a request
    /// that waited on a stale load must not throw away the fresh entry loaded since.
    async fn drop_if_current(&self, fingerprint: &[u8; 32], seen: &Arc<CachedCheck>) {
        if self.cache.get(fingerprint).await.is_some_and(|current| Arc::ptr_eq(&current, seen)) {
            self.cache.invalidate(fingerprint).await;
        }
    }

    /// Checks `key` against storage. Runs once per cache miss, whoever waits for it.
    fn load(
        &self,
        key: ApiKey,
        verified: Option<[u8; 32]>,
        loaded: Arc<AtomicBool>,
    ) -> impl Future<Output = Result<CachedCheck, StoreError>> + Send + 'static {
        let this = self.clone();
        async move {
            loaded.store(true, Ordering::SeqCst);
            // Recorded before reading storage: an invalidation from here on makes this stale.
            let generation = this.generations.current();
            let (check, verified) = this.check_in_storage(&key, verified).await?;
            Ok(CachedCheck { check, key_id: key.key_id().clone(), generation, verified })
        }
    }

    /// The check, and the digest of the stored hash the secret matched (if any). argon2 runs
    /// unless `verified` says this secret already matched the hash stored now.
    async fn check_in_storage(
        &self,
        key: &ApiKey,
        verified: Option<[u8; 32]>,
    ) -> Result<(KeyCheck, Option<[u8; 32]>), StoreError> {
        let Some(stored) = self.keys.find(key.key_id()).await? else {
            return Ok((KeyCheck::Rejected(Rejection::Unknown), None));
        };
        let digest: [u8; 32] = Sha256::digest(stored.secret_hash.as_bytes()).into();
        if verified != Some(digest) && !self.verify(key.secret(), &stored.secret_hash).await? {
            return Ok((KeyCheck::Rejected(Rejection::Mismatch), None));
        }
        let verified = Some(digest);
        let now = self.clock.now();
        if !stored.is_usable_at(now) {
            let reason = match stored.state {
                KeyState::Revoked => Rejection::Revoked,
                KeyState::Active | KeyState::Grace | KeyState::Expired => Rejection::Expired,
            };
            return Ok((KeyCheck::Rejected(reason), verified));
        }
        let Some(app) = self.apps.get(stored.app_id).await? else {
            return Ok((KeyCheck::Rejected(Rejection::Unknown), verified));
        };
        if !app.is_active {
            return Ok((KeyCheck::Inactive(app.id), verified));
        }
        let principal = Principal {
            app_id: app.id,
            app_name: app.name,
            key_id: stored.key_id.clone(),
            usable_until: stored.usable_until(),
        };
        Ok((KeyCheck::Valid(Arc::new(principal)), verified))
    }

    /// argon2id verification on a blocking thread, at most N at a time.
    async fn verify(&self, secret: &str, phc: &str) -> Result<bool, StoreError> {
        let _permit = self.verifications.acquire().await.map_err(StoreError::unexpected)?;
        let (secret, phc) = (secret.to_owned(), phc.to_owned());
        let ok =
            tokio::task::spawn_blocking(move || verify_secret(&secret, &phc)).await.map_err(StoreError::unexpected)?;
        self.metrics.argon2_verifications.increment(1);
        Ok(ok)
    }
}

/// A cached check as the answer to a request at `now` (a grace period may have ended since).
fn conclude(check: &KeyCheck, now: DateTime<Utc>) -> Result<Arc<Principal>, AuthError> {
    match check {
        KeyCheck::Valid(principal) if principal.is_usable_at(now) => Ok(Arc::clone(principal)),
        KeyCheck::Valid(_) => Err(AuthError::Rejected(Rejection::Expired)),
        KeyCheck::Inactive(app) => Err(AuthError::Inactive(*app)),
        KeyCheck::Rejected(reason) => Err(AuthError::Rejected(*reason)),
    }
}
