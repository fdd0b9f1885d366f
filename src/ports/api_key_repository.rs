//! ApiKeyRepository: stored keys (hashes only) and their audit trail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::api_key::{AuditEvent, KeyId, StoredApiKey};
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};

/// What issuing a key changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The new active key.
    pub key: StoredApiKey,
    /// The previous active key, now in grace, if a grace period was asked for.
    pub previous: Option<StoredApiKey>,
    /// Keys this issue revoked: the previous key without grace, an older grace key.
    pub retired: Vec<StoredApiKey>,
}

/// An app's usable keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentKeys {
    pub active: Option<StoredApiKey>,
    pub grace: Option<StoredApiKey>,
}

#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Makes `new` (state Active) the app's active key, atomically and serialized per app:
    /// the current active key becomes Grace until `grace_until` when given (else Revoked), a
    /// key already in Grace is Revoked, and the audit trail records `rotated` (or
    /// `generated` when the app had no active key) for `new` and `revoked` for each retired
    /// key. The app must exist (`Unexpected` otherwise).
    async fn issue(
        &self,
        new: &StoredApiKey,
        grace_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Issued, StoreError>;

    /// The key with this id, whatever its state, or `Ok(None)`.
    async fn find(&self, key_id: &KeyId) -> Result<Option<StoredApiKey>, StoreError>;

    /// The app's active key and its grace key.
    async fn current(&self, app_id: AppId) -> Result<CurrentKeys, StoreError>;

    /// Revokes the app's active and grace keys (audit `revoked` each) and returns them;
    /// empty when there were none.
    async fn revoke_all(&self, app_id: AppId, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError>;

    /// Moves every Grace key whose `expires_at <= now` to Expired (audit `expired`, once
    /// however many instances call this concurrently) and returns them.
    async fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError>;

    /// The app's audit trail, newest first, strictly older than event `before` when given.
    async fn audit(&self, app_id: AppId, limit: PageLimit, before: Option<i64>)
    -> Result<Page<AuditEvent>, StoreError>;

    /// Sets `last_used_at = at` unless it is already within the last minute of `at`.
    async fn record_last_used(&self, key_id: &KeyId, at: DateTime<Utc>) -> Result<(), StoreError>;
}
