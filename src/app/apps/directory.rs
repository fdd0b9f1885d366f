//! A per-instance cache of apps for the hot paths (every webhook needs its app). An entry is
//! reused until its TTL ends or its app is announced as changed, on any instance: the same
//! invalidation generations as the key cache tell. Unknown ids are not cached, so the map
//! holds at most the apps that exist.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use tokio::time::Instant;

use super::{AppLookupError, Apps};
use crate::app::api_keys::Generations;
use crate::domain::app::{App, AppId};

/// How long an entry is trusted without an announcement (bounds staleness if the
/// announcement channel is down).
const TTL: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(super) struct Directory {
    entries: RwLock<HashMap<AppId, Entry>>,
}

struct Entry {
    app: App,
    generation: u64,
    loaded: Instant,
}

impl Directory {
    fn fresh(&self, id: AppId, generations: &Generations) -> Option<App> {
        let entries = self.entries.read().expect("app directory poisoned");
        let entry = entries.get(&id)?;
        (entry.loaded.elapsed() < TTL && !generations.changed_since(id, entry.generation)).then(|| entry.app.clone())
    }

    fn store(&self, app: App, generation: u64) {
        let entry = Entry { app, generation, loaded: Instant::now() };
        self.entries.write().expect("app directory poisoned").insert(entry.app.id, entry);
    }
}

impl Apps {
    /// The app, from this instance's cache while fresh. For paths every request takes;
    /// admin reads use [`Apps::get`].
    pub async fn cached(&self, id: AppId) -> Result<App, AppLookupError> {
        let generations = self.announcer.generations();
        if let Some(app) = self.directory.fresh(id, generations) {
            return Ok(app);
        }
        // Recorded before reading: a change announced meanwhile makes this entry stale.
        let generation = generations.current();
        let app = self.repo.get(id).await?.ok_or(AppLookupError::NotFound)?;
        self.directory.store(app.clone(), generation);
        Ok(app)
    }

    /// The guard of every app-scoped path: the app, from the cache while fresh, if it exists
    /// and is active (`NotFound`, `Inactive` otherwise).
    pub async fn cached_active(&self, id: AppId) -> Result<App, AppLookupError> {
        let app = self.cached(id).await?;
        if app.is_active { Ok(app) } else { Err(AppLookupError::Inactive) }
    }
}
