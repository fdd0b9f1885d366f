//! WebhookSecretRepository: each app's webhook secrets, encrypted at rest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::app::AppId;
use crate::domain::webhook_secret::SealedSecret;

/// How many secrets [`WebhookSecretRepository::list`] returns at most (newest first).
pub const MAX_LISTED_SECRETS: usize = 20;

#[async_trait]
pub trait WebhookSecretRepository: Send + Sync {
    /// Makes `new` the app's current secret, atomically: every other secret of the app that
    /// would still be valid after `retire_at` now expires at `retire_at`.
    async fn rotate(&self, new: &SealedSecret, retire_at: DateTime<Utc>) -> Result<(), StoreError>;

    /// The app's secrets, newest first, at most [`MAX_LISTED_SECRETS`], expired ones included.
    async fn list(&self, app_id: AppId) -> Result<Vec<SealedSecret>, StoreError>;
}
