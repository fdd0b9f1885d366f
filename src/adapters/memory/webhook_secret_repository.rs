//! WebhookSecretRepository in memory.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::app::AppId;
use crate::domain::webhook_secret::SealedSecret;
use crate::ports::{MAX_LISTED_SECRETS, StoreError, WebhookSecretRepository};

#[derive(Default)]
pub struct MemoryWebhookSecretRepository {
    secrets: Mutex<Vec<SealedSecret>>,
}

impl MemoryWebhookSecretRepository {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl WebhookSecretRepository for MemoryWebhookSecretRepository {
    async fn rotate(&self, new: &SealedSecret, retire_at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut secrets = self.secrets.lock().expect("secrets poisoned");
        for secret in secrets.iter_mut().filter(|s| s.app_id == new.app_id) {
            if secret.expires_at.is_none_or(|end| end > retire_at) {
                secret.expires_at = Some(retire_at);
            }
        }
        secrets.push(new.clone());
        Ok(())
    }

    async fn list(&self, app_id: AppId) -> Result<Vec<SealedSecret>, StoreError> {
        let secrets = self.secrets.lock().expect("secrets poisoned");
        let mut mine: Vec<SealedSecret> = secrets.iter().filter(|s| s.app_id == app_id).cloned().collect();
        mine.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        mine.truncate(MAX_LISTED_SECRETS);
        Ok(mine)
    }
}
