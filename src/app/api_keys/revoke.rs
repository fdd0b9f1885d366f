//! Revoke an app's keys (the active one and any in grace), effective on every instance.
//! Allowed for inactive apps too: revoking is always safe.

use tracing::instrument;

use super::{ApiKeys, KeyAdminError};
use crate::domain::api_key::StoredApiKey;
use crate::domain::app::AppId;

impl ApiKeys {
    /// The revoked keys; `NoKey` when the app had none usable.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn revoke(&self, app_id: AppId) -> Result<Vec<StoredApiKey>, KeyAdminError> {
        self.app(app_id, false).await?;
        let revoked = self.keys.revoke_all(app_id, self.clock.now()).await?;
        if revoked.is_empty() {
            return Err(KeyAdminError::NoKey);
        }
        self.freshness.app_changed(app_id).await;
        tracing::info!(revoked = revoked.len(), "api keys revoked");
        Ok(revoked)
    }
}
