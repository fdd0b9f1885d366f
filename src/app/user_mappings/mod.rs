//! User mappings: create, list, read, update, delete; and resolving an app user to the
//! Dialpad users it stands for (the `user` filter of calls, voicemails and streams).

mod create;
mod manage;

use std::sync::Arc;

pub use create::NewMapping;

use crate::domain::app::AppId;
use crate::domain::user_mapping::{AppUserId, DialpadUserId};
use crate::ports::{AppRepository, Clock, StoreError, UserMappingRepository};

/// Why a mapping operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("app not found")]
    AppNotFound,
    #[error("mapping not found")]
    NotFound,
    #[error("this Dialpad user is already mapped for the app")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct UserMappings {
    repo: Arc<dyn UserMappingRepository>,
    apps: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
}

impl UserMappings {
    pub fn new(repo: Arc<dyn UserMappingRepository>, apps: Arc<dyn AppRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, apps, clock }
    }

    async fn require_app(&self, app_id: AppId) -> Result<(), MappingError> {
        self.apps.get(app_id).await?.map(|_| ()).ok_or(MappingError::AppNotFound)
    }

    /// The Dialpad users an app user stands for (empty when unmapped).
    pub async fn resolve(&self, app_id: AppId, user: &AppUserId) -> Result<Vec<DialpadUserId>, StoreError> {
        self.repo.dialpad_users_of(app_id, user).await
    }
}
