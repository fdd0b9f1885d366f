//! UserMappingRepository: Dialpad users to app users, unique per (app, Dialpad user).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::{AppUserId, DialpadUserId, UserMapping, UserMappingPatch};

/// Why a mapping was not created.
#[derive(Debug, thiserror::Error)]
pub enum InsertMappingError {
    /// The app already maps this Dialpad user.
    #[error("mapping exists")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait UserMappingRepository: Send + Sync {
    /// Stores a new mapping; `Conflict` when (app, Dialpad user) is taken, decided by the
    /// store (no check-then-insert race).
    async fn insert(&self, mapping: &UserMapping) -> Result<(), InsertMappingError>;

    async fn get(&self, app_id: AppId, user: DialpadUserId) -> Result<Option<UserMapping>, StoreError>;

    /// The app's mappings by Dialpad user id, strictly after `after` when given.
    async fn list(
        &self,
        app_id: AppId,
        limit: PageLimit,
        after: Option<DialpadUserId>,
    ) -> Result<Page<UserMapping>, StoreError>;

    /// Applies `patch`; `Ok(None)` when there is no such mapping.
    async fn update(
        &self,
        app_id: AppId,
        user: DialpadUserId,
        patch: &UserMappingPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<UserMapping>, StoreError>;

    /// `false` when there was no such mapping.
    async fn delete(&self, app_id: AppId, user: DialpadUserId) -> Result<bool, StoreError>;

    /// Every app that maps this Dialpad user.
    async fn apps_for(&self, user: DialpadUserId) -> Result<Vec<AppId>, StoreError>;

    /// The Dialpad users an app user is mapped from (usually one).
    async fn dialpad_users_of(&self, app_id: AppId, app_user: &AppUserId) -> Result<Vec<DialpadUserId>, StoreError>;
}
