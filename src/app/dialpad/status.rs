//! The connection as the admin API shows it: everything but the tokens.

use tracing::instrument;

use super::DialpadConnections;
use crate::domain::app::AppId;
use crate::domain::dialpad::Connection;
use crate::ports::StoreError;

impl DialpadConnections {
    /// The app's connection, if it has one. Callers show its fields, never its tokens.
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn connection(&self, app_id: AppId) -> Result<Option<Connection>, StoreError> {
        self.inner.repo.get(app_id).await
    }
}
