//! This instance's directory of apps for the hot paths (every webhook needs its app): a
//! [`FreshCache`] by app id, so an app changed on any instance is read again at once.
//! Unknown ids are remembered briefly (ids are random: none becomes known later), so a
//! flood of webhooks to made-up ids costs few reads.

use std::time::Duration;

use super::{AppLookupError, Apps};
use crate::app::freshness::{FreshCache, Freshness};
use crate::domain::app::{App, AppId};
use crate::ports::StoreError;

/// How long an entry is trusted without an announcement (bounds staleness if the
/// announcement channel is down).
const TTL: Duration = Duration::from_secs(30);
/// How long an unknown id is remembered.
const UNKNOWN_TTL: Duration = Duration::from_secs(5);
/// Apps kept at once.
const CAPACITY: u64 = 100_000;

pub(super) fn cache(freshness: &Freshness) -> FreshCache<AppId, Option<App>> {
    FreshCache::new(
        freshness,
        CAPACITY,
        |app: &Option<App>| if app.is_some() { TTL } else { UNKNOWN_TTL },
        |id, _| Some(*id),
    )
}

impl Apps {
    /// The app, from this instance's directory while fresh. For paths every request takes;
    /// admin reads use [`Apps::get`].
    pub async fn cached(&self, id: AppId) -> Result<App, AppLookupError> {
        let fetched = self.directory.get(&id, None, |_| self.repo.get(id)).await.map_err(StoreError::shared)?;
        fetched.value.ok_or(AppLookupError::NotFound)
    }

    /// The guard of every app-scoped path: the app, from the directory while fresh, if it
    /// exists and is active (`NotFound`, `Inactive` otherwise).
    pub async fn cached_active(&self, id: AppId) -> Result<App, AppLookupError> {
        let app = self.cached(id).await?;
        if app.is_active { Ok(app) } else { Err(AppLookupError::Inactive) }
    }
}
