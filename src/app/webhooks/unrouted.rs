//! Events no app claimed, newest first, for an admin to inspect (and map the user).

use super::Webhooks;
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{StoreError, UnroutedEvent};

impl Webhooks {
    pub async fn unrouted(&self, limit: PageLimit, before: Option<i64>) -> Result<Page<UnroutedEvent>, StoreError> {
        self.store.unrouted(limit, before).await
    }
}
