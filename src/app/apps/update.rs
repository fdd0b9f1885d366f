//! Update an app's name or active flag. Deactivation reaches every instance's key cache at
//! once: the app's keys answer 403 from the next request on.

use tracing::instrument;

use super::Apps;
use crate::domain::app::{App, AppId, AppPatch};
use crate::ports::StoreError;

/// Why an update did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UpdateAppError {
    #[error("app not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Apps {
    /// Applies `patch` and returns the app as stored afterwards.
    #[instrument(skip_all, fields(app_id = %id))]
    pub async fn update(&self, id: AppId, patch: AppPatch) -> Result<App, UpdateAppError> {
        let app = self.repo.update(id, &patch, self.clock.now()).await?.ok_or(UpdateAppError::NotFound)?;
        self.freshness.app_changed(id).await;
        tracing::info!(is_active = app.is_active, "app updated");
        Ok(app)
    }
}
