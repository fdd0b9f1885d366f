//! An app's key audit trail, newest first.

use tracing::instrument;

use super::{ApiKeys, KeyAdminError};
use crate::domain::api_key::AuditEvent;
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};

impl ApiKeys {
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn audit(
        &self,
        app_id: AppId,
        limit: PageLimit,
        before: Option<i64>,
    ) -> Result<Page<AuditEvent>, KeyAdminError> {
        self.app(app_id, false).await?;
        Ok(self.keys.audit(app_id, limit, before).await?)
    }
}
