//! List, read, update and delete mappings.

use tracing::instrument;

use super::{MappingError, UserMappings};
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::{DialpadUserId, UserMapping, UserMappingPatch};

impl UserMappings {
    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn list(
        &self,
        app_id: AppId,
        limit: PageLimit,
        after: Option<DialpadUserId>,
    ) -> Result<Page<UserMapping>, MappingError> {
        self.require_app(app_id).await?;
        Ok(self.repo.list(app_id, limit, after).await?)
    }

    pub async fn get(&self, app_id: AppId, user: DialpadUserId) -> Result<UserMapping, MappingError> {
        self.require_app(app_id).await?;
        self.repo.get(app_id, user).await?.ok_or(MappingError::NotFound)
    }

    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn update(
        &self,
        app_id: AppId,
        user: DialpadUserId,
        patch: UserMappingPatch,
    ) -> Result<UserMapping, MappingError> {
        self.require_app(app_id).await?;
        self.repo.update(app_id, user, &patch, self.clock.now()).await?.ok_or(MappingError::NotFound)
    }

    #[instrument(skip_all, fields(app_id = %app_id))]
    pub async fn delete(&self, app_id: AppId, user: DialpadUserId) -> Result<(), MappingError> {
        self.require_app(app_id).await?;
        if self.repo.delete(app_id, user).await? { Ok(()) } else { Err(MappingError::NotFound) }
    }
}
