//! An app's key status: the active key and the one in grace, never a key or a hash.

use tracing::instrument;

use super::{ApiKeys, KeyAdminError};
use crate::domain::app::AppId;
use crate::ports::CurrentKeys;

impl ApiKeys {
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn status(&self, app_id: AppId) -> Result<CurrentKeys, KeyAdminError> {
        self.app(app_id, false).await?;
        Ok(self.keys.current(app_id).await?)
    }
}
