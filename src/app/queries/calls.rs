//! GET /api/calls and /api/calls/{call_id}.

use chrono::{DateTime, Utc};

use super::{Queries, QueryError};
use crate::domain::app::AppId;
use crate::domain::call::{CallId, CallRecord};
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::AppUserId;
use crate::domain::webhook::{CallState, Direction};
use crate::ports::{CallCursor, CallDetail, CallFilter, StoreError};

/// Filters of a call listing, already parsed.
#[derive(Debug, Clone, Default)]
pub struct CallQuery {
    pub state: Option<CallState>,
    pub direction: Option<Direction>,
    /// Only calls whose Dialpad side is this app user (through user mappings).
    pub user: Option<AppUserId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Queries {
    pub async fn calls(
        &self,
        app_id: AppId,
        query: CallQuery,
        limit: PageLimit,
        after: Option<CallCursor>,
    ) -> Result<Page<CallRecord>, StoreError> {
        let filter = CallFilter {
            state: query.state,
            direction: query.direction,
            target_users: self.targets(app_id, query.user.as_ref()).await?,
            since: query.since,
            until: query.until,
        };
        self.store.calls(app_id, &filter, limit, after).await
    }

    pub async fn call(&self, app_id: AppId, call_id: CallId) -> Result<CallDetail, QueryError> {
        self.store.call(app_id, call_id).await?.ok_or(QueryError::NotFound)
    }
}
