//! List apps, oldest first, one bounded page at a time.

use tracing::instrument;

use super::Apps;
use crate::domain::app::App;
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{AppCursor, StoreError};

impl Apps {
    /// One page of apps after `after` (the last app of the previous page).
    #[instrument(skip_all)]
    pub async fn list(&self, limit: PageLimit, after: Option<AppCursor>) -> Result<Page<App>, StoreError> {
        self.repo.list(limit, after).await
    }
}
