//! Authenticate a presented API key. Garbage is refused by format and checksum before any
//! I/O. A known key is answered from the cache; only a miss reads storage and runs argon2,
//! on a blocking thread under a bound on concurrent verifications, and concurrent misses
//! for one key share one verification. Failures are cached briefly too, so a flood of one
//! wrong key costs one argon2. A cached check older than its app's last invalidation is
//! reloaded, never served; the reload reads storage again but skips argon2 when the stored
//! hash is the one this secret already matched.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::Counter;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::LastUsed;
use crate::app::freshness::{FreshCache, Freshness};
use crate::domain::api_key::{
    ApiKey, ApiKeyFormatError, KeyCheck, KeyEnvironment, KeyId, KeyState, Principal, Rejection, verify_secret,
};
use crate::domain::app::AppId;
use crate::ports::{ApiKeyRepository, AppRepository, Clock, StoreError};

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

/// Most checked keys cached at once (each entry is small: ids and a name).
const CACHE_CAPACITY: u64 = 100_000;

/// How keys are checked.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// How long a valid check is reused (an announced change ends it sooner).
    pub valid_ttl: Duration,
    /// How long a failed check is reused (a flood of one wrong key costs one argon2).
    pub failure_ttl: Duration,
    /// argon2 verifications running at once, at most.
    pub max_concurrent_verifications: usize,
    /// Keys of the other environment are refused.
    pub environment: KeyEnvironment,
}

/// A check as cached, keyed by the digest of the presented secret (the cache never holds a
/// key), answering only for the key id it was made for, with the digest of the stored hash
/// the secret matched (if any): a stale entry is reloaded from storage, but argon2 does not
/// run again while the stored hash is still that one, so an invalidation (a rename, a Redis
/// reconnect) costs each cached key one read, not one argon2.
#[derive(Debug, Clone)]
struct Checked {
    key_id: KeyId,
    check: KeyCheck,
    verified: Option<[u8; 32]>,
}

#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<dyn ApiKeyRepository>,
    apps: Arc<dyn AppRepository>,
    cache: Arc<FreshCache<[u8; 32], Checked>>,
    clock: Arc<dyn Clock>,
    verifications: Arc<Semaphore>,
    last_used: LastUsed,
    metrics: AuthMetrics,
    environment: KeyEnvironment,
}

impl Authenticator {
    pub fn new(
        keys: Arc<dyn ApiKeyRepository>,
        apps: Arc<dyn AppRepository>,
        clock: Arc<dyn Clock>,
        freshness: &Freshness,
        settings: AuthSettings,
        last_used: LastUsed,
        metrics: AuthMetrics,
    ) -> Self {
        let AuthSettings { valid_ttl, failure_ttl, .. } = settings;
        let cache = FreshCache::new(
            freshness,
            CACHE_CAPACITY,
            move |checked: &Checked| if checked.check.is_valid() { valid_ttl } else { failure_ttl },
            |_, checked| checked.check.depends_on(),
        );
        let verifications = Arc::new(Semaphore::new(settings.max_concurrent_verifications.max(1)));
        Self {
            keys,
            apps,
            cache: Arc::new(cache),
            clock,
            verifications,
            last_used,
            metrics,
            environment: settings.environment,
        }
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
        let same_key = |stale: Option<Checked>| stale.filter(|s| s.key_id == *key.key_id()).and_then(|s| s.verified);
        let fetched = self
            .cache
            .get(&key.fingerprint(), None, |stale| self.check_in_storage(&key, same_key(stale)))
            .await
            .map_err(StoreError::shared)?;
        let counter = if fetched.loaded { &self.metrics.cache_misses } else { &self.metrics.cache_hits };
        counter.increment(1);
        if fetched.value.key_id != *key.key_id() {
            // The same secret under another key id is another key (a forgery: nobody but
            // the secret's owner can present it): checked in storage, never cached.
            return conclude(&self.check_in_storage(&key, None).await?.check, now);
        }
        conclude(&fetched.value.check, now)
    }

    /// The check as stored now. argon2 runs unless `verified` says this secret already
    /// matched the hash stored now.
    async fn check_in_storage(&self, key: &ApiKey, verified: Option<[u8; 32]>) -> Result<Checked, StoreError> {
        let key_id = key.key_id().clone();
        let rejected =
            |reason, verified| Ok(Checked { key_id: key_id.clone(), check: KeyCheck::Rejected(reason), verified });
        let Some(stored) = self.keys.find(key.key_id()).await? else {
            return rejected(Rejection::Unknown, None);
        };
        let digest: [u8; 32] = Sha256::digest(stored.secret_hash.as_bytes()).into();
        if verified != Some(digest) && !self.verify(key.secret(), &stored.secret_hash).await? {
            return rejected(Rejection::Mismatch, None);
        }
        let verified = Some(digest);
        let now = self.clock.now();
        if !stored.is_usable_at(now) {
            let reason = match stored.state {
                KeyState::Revoked => Rejection::Revoked,
                KeyState::Active | KeyState::Grace | KeyState::Expired => Rejection::Expired,
            };
            return rejected(reason, verified);
        }
        let Some(app) = self.apps.get(stored.app_id).await? else {
            return rejected(Rejection::Unknown, verified);
        };
        let check = if app.is_active {
            KeyCheck::Valid(Arc::new(Principal {
                app_id: app.id,
                app_name: app.name,
                key_id: stored.key_id.clone(),
                usable_until: stored.usable_until(),
            }))
        } else {
            KeyCheck::Inactive(app.id)
        };
        Ok(Checked { key_id, check, verified })
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
