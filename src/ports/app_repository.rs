//! AppRepository: where apps (tenants) live. Postgres in production, a map in memory for
//! the embedded default and tests; both pass the same contract suite (tests/api/contracts).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::app::{App, AppId, AppPatch};
use crate::domain::pagination::{Page, PageLimit};

/// Where a listing of apps resumes: the last app of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppCursor {
    pub created_at: DateTime<Utc>,
    pub id: AppId,
}

impl From<&App> for AppCursor {
    fn from(app: &App) -> Self {
        Self { created_at: app.created_at, id: app.id }
    }
}

#[async_trait]
pub trait AppRepository: Send + Sync {
    /// Stores a new app. An id that already exists is `StoreError::Unexpected` (ids are
    /// random UUIDs, so a collision means a bug).
    async fn insert(&self, app: &App) -> Result<(), StoreError>;

    /// The app with this id, or `Ok(None)`.
    async fn get(&self, id: AppId) -> Result<Option<App>, StoreError>;

    /// Apps oldest first (by `created_at`, then id), strictly after `after` when given.
    async fn list(&self, limit: PageLimit, after: Option<AppCursor>) -> Result<Page<App>, StoreError>;

    /// Applies `patch` atomically with [`App::apply`] and returns the app as stored after
    /// it, or `Ok(None)` when no app has this id.
    async fn update(&self, id: AppId, patch: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>, StoreError>;
}
