//! Create a mapping; a second mapping of the same Dialpad user in one app is a conflict.

use tracing::instrument;

use super::{MappingError, UserMappings};
use crate::domain::app::AppId;
use crate::domain::user_mapping::{AppUserId, DialpadUserId, UserMapping};
use crate::ports::InsertMappingError;

/// A mapping to create, already validated.
#[derive(Debug, Clone)]
pub struct NewMapping {
    pub dialpad_user_id: DialpadUserId,
    pub app_user_id: AppUserId,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

impl UserMappings {
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn create(&self, app_id: AppId, new: NewMapping) -> Result<UserMapping, MappingError> {
        self.require_app(app_id).await?;
        let now = self.clock.now();
        let mapping = UserMapping {
            app_id,
            dialpad_user_id: new.dialpad_user_id,
            app_user_id: new.app_user_id,
            email: new.email,
            display_name: new.display_name,
            created_at: now,
            updated_at: now,
        };
        self.repo.insert(&mapping).await.map_err(|e| match e {
            InsertMappingError::Conflict => MappingError::Conflict,
            InsertMappingError::Store(e) => MappingError::Store(e),
        })?;
        Ok(mapping)
    }
}
