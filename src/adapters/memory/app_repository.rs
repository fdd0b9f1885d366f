//! AppRepository in memory: a map behind a mutex, ordered on listing like Postgres.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::app::{App, AppId, AppPatch};
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{AppCursor, AppRepository, StoreError};

#[derive(Default)]
pub struct MemoryAppRepository {
    apps: Mutex<HashMap<AppId, App>>,
}

impl MemoryAppRepository {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl AppRepository for MemoryAppRepository {
    async fn insert(&self, app: &App) -> Result<(), StoreError> {
        let mut apps = self.apps.lock().expect("app map poisoned");
        if apps.contains_key(&app.id) {
            return Err(StoreError::unexpected(anyhow::anyhow!("app id {} already exists", app.id)));
        }
        apps.insert(app.id, app.clone());
        Ok(())
    }

    async fn get(&self, id: AppId) -> Result<Option<App>, StoreError> {
        Ok(self.apps.lock().expect("app map poisoned").get(&id).cloned())
    }

    async fn list(&self, limit: PageLimit, after: Option<AppCursor>) -> Result<Page<App>, StoreError> {
        let apps = self.apps.lock().expect("app map poisoned");
        let mut rows: Vec<App> = apps
            .values()
            .filter(|app| after.is_none_or(|c| (app.created_at, app.id) > (c.created_at, c.id)))
            .cloned()
            .collect();
        rows.sort_by_key(|app| (app.created_at, app.id));
        rows.truncate(limit.probe() as usize);
        Ok(Page::from_probe(rows, limit))
    }

    async fn update(&self, id: AppId, patch: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>, StoreError> {
        let mut apps = self.apps.lock().expect("app map poisoned");
        Ok(apps.get_mut(&id).map(|app| {
            app.apply(patch, now);
            app.clone()
        }))
    }
}
