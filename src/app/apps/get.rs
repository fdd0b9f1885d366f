//! Read one app, and the guard every app-scoped capability uses: unknown is 404, inactive
//! is 403, whatever the route.

use tracing::instrument;

use super::Apps;
use crate::domain::app::{App, AppId};
use crate::ports::StoreError;

/// Why an app cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AppLookupError {
    #[error("app not found")]
    NotFound,
    #[error("app is inactive")]
    Inactive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppLookupError {
    /// An id that names no app, or an inactive one: the caller's mistake, not the store's.
    pub fn is_callers_mistake(&self) -> bool {
        matches!(self, Self::NotFound | Self::Inactive)
    }
}

impl Apps {
    /// The app with this id, active or not. Only `NotFound` and `Store` are produced.
    #[instrument(skip_all, fields(app_id = %id))]
    pub async fn get(&self, id: AppId) -> Result<App, AppLookupError> {
        self.repo.get(id).await?.ok_or(AppLookupError::NotFound)
    }
}
