//! Issue an app's key: the first one, or a rotation that keeps the previous key valid for a
//! grace period so clients can roll without downtime. The key is returned once, here.

use chrono::Duration;
use rand::TryRngCore;
use rand::rngs::OsRng;
use tracing::instrument;

use super::{ApiKeys, KeyAdminError};
use crate::domain::api_key::{ApiKey, KeyState, StoredApiKey, hash_secret};
use crate::domain::app::AppId;

/// A freshly issued key: the only time the whole key exists outside the client.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub stored: StoredApiKey,
    /// The previous key, still valid until its `expires_at`, when a grace period was asked.
    pub previous: Option<StoredApiKey>,
}

impl ApiKeys {
    /// Issues a new key for an active app. With `grace` > 0 the previous key stays valid that
    /// long; otherwise it stops working at once, on every instance.
    #[instrument(skip_all, fields(app_id = %app_id, grace_s = grace.num_seconds()))]
    pub async fn issue(&self, app_id: AppId, grace: Duration) -> Result<IssuedKey, KeyAdminError> {
        self.app(app_id, true).await?;
        let key = ApiKey::generate(self.environment, &mut OsRng.unwrap_err());
        let secret = key.secret().to_owned();
        let secret_hash = tokio::task::spawn_blocking(move || hash_secret(&secret))
            .await
            .map_err(|e| KeyAdminError::Unexpected(e.into()))?
            .map_err(|e| KeyAdminError::Unexpected(anyhow::anyhow!("argon2 hashing failed: {e}")))?;
        let now = self.clock.now();
        let stored = StoredApiKey {
            key_id: key.key_id().clone(),
            app_id,
            secret_hash,
            hint: key.hint(),
            state: KeyState::Active,
            created_at: now,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        };
        let grace_until = (grace > Duration::zero()).then(|| now + grace);
        let issued = self.keys.issue(&stored, grace_until, now).await?;
        self.freshness.app_changed(app_id).await;
        tracing::info!(key_id = %stored.key_id, retired = issued.retired.len(), "api key issued");
        Ok(IssuedKey { key, stored: issued.key, previous: issued.previous })
    }
}
