//! Per-app webhook secrets: generated here (shown once), encrypted at rest, rotated with an
//! overlap, and kept decrypted in a [`FreshCache`] for verification. A rotation is announced
//! to every instance; a signature that matches no cached secret also reloads them (at most
//! once a second per app), so a rotation is honoured at once even if its announcement was
//! lost, and no event is lost.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rand::TryRngCore;
use rand::rngs::OsRng;
use tracing::instrument;
use uuid::Uuid;

use crate::app::freshness::{FreshCache, Freshness};
use crate::domain::app::AppId;
use crate::domain::crypto::{NONCE_LEN, SealingKey};
use crate::domain::webhook_secret::{SealedSecret, generate_secret, hint};
use crate::ports::{AppRepository, Clock, StoreError, WebhookSecretRepository};

/// How long decrypted secrets are reused without asking the store.
const CACHE_TTL: StdDuration = StdDuration::from_secs(30);
/// Apps whose secrets are kept at once.
const CACHE_CAPACITY: u64 = 100_000;
/// The least time between two reloads forced by a mismatch, per app.
const MIN_RELOAD_INTERVAL: StdDuration = StdDuration::from_secs(1);

/// Why a webhook secret operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WebhookSecretError {
    #[error("app not found")]
    AppNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new secret, the one time it is shown.
#[derive(Debug)]
pub struct IssuedSecret {
    pub id: Uuid,
    pub secret: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// When the previous secrets stop being accepted.
    pub previous_expire_at: DateTime<Utc>,
}

/// An app's decrypted secrets with their expiry, checked at each use (a cached set may
/// outlive a secret's expiry).
#[derive(Debug, Default)]
pub struct SecretSet(Vec<(Option<DateTime<Utc>>, Vec<u8>)>);

impl SecretSet {
    /// The secrets valid at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> Vec<&[u8]> {
        self.0.iter().filter(|(end, _)| end.is_none_or(|end| now < end)).map(|(_, s)| s.as_slice()).collect()
    }
}

#[derive(Clone)]
pub struct WebhookSecrets {
    repo: Arc<dyn WebhookSecretRepository>,
    apps: Arc<dyn AppRepository>,
    key: SealingKey,
    clock: Arc<dyn Clock>,
    freshness: Freshness,
    cache: Arc<FreshCache<AppId, Arc<SecretSet>>>,
}

impl WebhookSecrets {
    pub fn new(
        repo: Arc<dyn WebhookSecretRepository>,
        apps: Arc<dyn AppRepository>,
        key: SealingKey,
        clock: Arc<dyn Clock>,
        freshness: Freshness,
    ) -> Self {
        let cache = Arc::new(FreshCache::new(&freshness, CACHE_CAPACITY, |_| CACHE_TTL, |app, _| Some(*app)));
        Self { repo, apps, key, clock, freshness, cache }
    }

    /// Generates a new secret for the app; the previous ones stay valid for `overlap`.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn rotate(&self, app_id: AppId, overlap: Duration) -> Result<IssuedSecret, WebhookSecretError> {
        self.apps.get(app_id).await?.ok_or(WebhookSecretError::AppNotFound)?;
        let mut rng = OsRng.unwrap_err();
        let secret = generate_secret(&mut rng);
        let mut nonce = [0u8; NONCE_LEN];
        rand::Rng::fill(&mut rng, &mut nonce);
        let now = self.clock.now();
        let sealed = SealedSecret {
            id: Uuid::new_v4(),
            app_id,
            nonce,
            ciphertext: self.key.seal(&nonce, app_id.as_uuid().as_bytes(), secret.as_bytes()),
            hint: hint(&secret),
            created_at: now,
            expires_at: None,
        };
        let previous_expire_at = now + overlap;
        self.repo.rotate(&sealed, previous_expire_at).await?;
        self.freshness.app_changed(app_id).await;
        tracing::info!(secret_id = %sealed.id, "webhook secret rotated");
        Ok(IssuedSecret { id: sealed.id, hint: sealed.hint, secret, created_at: now, previous_expire_at })
    }

    /// The app's secrets (hints only), newest first, each with whether webhooks signed with
    /// it are accepted now.
    pub async fn list(&self, app_id: AppId) -> Result<Vec<(SealedSecret, bool)>, WebhookSecretError> {
        self.apps.get(app_id).await?.ok_or(WebhookSecretError::AppNotFound)?;
        let now = self.clock.now();
        Ok(self
            .repo
            .list(app_id)
            .await?
            .into_iter()
            .map(|s| {
                let valid = s.is_usable_at(now);
                (s, valid)
            })
            .collect())
    }

    /// The app's current secrets, decrypted. `reload` asks the store again unless it was
    /// asked within the last second.
    pub async fn usable(&self, app_id: AppId, reload: bool) -> Result<Arc<SecretSet>, StoreError> {
        let max_age = reload.then_some(MIN_RELOAD_INTERVAL);
        let fetched = self.cache.get(&app_id, max_age, |_| self.load(app_id)).await;
        Ok(fetched.map_err(StoreError::shared)?.value)
    }

    async fn load(&self, app_id: AppId) -> Result<Arc<SecretSet>, StoreError> {
        let now = self.clock.now();
        let secrets = self
            .repo
            .list(app_id)
            .await?
            .into_iter()
            .filter(|s| s.is_usable_at(now))
            .filter_map(|s| match self.key.open(&s.nonce, app_id.as_uuid().as_bytes(), &s.ciphertext) {
                Ok(plain) => Some((s.expires_at, plain)),
                Err(_) => {
                    tracing::error!(app_id = %app_id, secret_id = %s.id, "webhook secret does not decrypt: TOKEN_ENCRYPTION_KEY changed?");
                    None
                }
            })
            .collect();
        Ok(Arc::new(SecretSet(secrets)))
    }
}
