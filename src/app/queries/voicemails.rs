//! GET /api/voicemails and /api/voicemails/{id}.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Queries, QueryError};
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::AppUserId;
use crate::domain::voicemail::Voicemail;
use crate::ports::{StoreError, VoicemailCursor, VoicemailFilter};

/// Filters of a voicemail listing, already parsed.
#[derive(Debug, Clone, Default)]
pub struct VoicemailQuery {
    pub user: Option<AppUserId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Queries {
    pub async fn voicemails(
        &self,
        app_id: AppId,
        query: VoicemailQuery,
        limit: PageLimit,
        after: Option<VoicemailCursor>,
    ) -> Result<Page<Voicemail>, StoreError> {
        let filter = VoicemailFilter {
            target_users: self.targets(app_id, query.user.as_ref()).await?,
            since: query.since,
            until: query.until,
        };
        self.store.voicemails(app_id, &filter, limit, after).await
    }

    pub async fn voicemail(&self, app_id: AppId, id: Uuid) -> Result<Voicemail, QueryError> {
        self.store.voicemail(app_id, id).await?.ok_or(QueryError::NotFound)
    }
}
