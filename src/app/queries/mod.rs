//! The app API's reads: calls and voicemails of the key's own app. Another app's ids are
//! simply not found (404), never forbidden, so ids of other tenants cannot be probed.

mod calls;
mod voicemails;

use std::sync::Arc;

pub use calls::CallQuery;
pub use voicemails::VoicemailQuery;

use crate::app::user_mappings::UserMappings;
use crate::domain::app::AppId;
use crate::domain::user_mapping::{AppUserId, DialpadUserId};
use crate::ports::{EventStore, StoreError};

/// Why a read found nothing.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Queries {
    store: Arc<dyn EventStore>,
    mappings: UserMappings,
}

impl Queries {
    pub fn new(store: Arc<dyn EventStore>, mappings: UserMappings) -> Self {
        Self { store, mappings }
    }

    /// The Dialpad user ids an app user filter stands for (`None`: no filter).
    async fn targets(&self, app_id: AppId, user: Option<&AppUserId>) -> Result<Option<Vec<DialpadUserId>>, StoreError> {
        match user {
            None => Ok(None),
            Some(user) => Ok(Some(self.mappings.resolve(app_id, user).await?)),
        }
    }
}
