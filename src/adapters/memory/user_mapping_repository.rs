//! UserMappingRepository in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::domain::user_mapping::{AppUserId, DialpadUserId, UserMapping, UserMappingPatch};
use crate::ports::{InsertMappingError, StoreError, UserMappingRepository};

#[derive(Default)]
pub struct MemoryUserMappingRepository {
    mappings: Mutex<BTreeMap<(AppId, DialpadUserId), UserMapping>>,
}

impl MemoryUserMappingRepository {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl UserMappingRepository for MemoryUserMappingRepository {
    async fn insert(&self, mapping: &UserMapping) -> Result<(), InsertMappingError> {
        let mut mappings = self.mappings.lock().expect("mappings poisoned");
        let key = (mapping.app_id, mapping.dialpad_user_id);
        if mappings.contains_key(&key) {
            return Err(InsertMappingError::Conflict);
        }
        mappings.insert(key, mapping.clone());
        Ok(())
    }

    async fn get(&self, app_id: AppId, user: DialpadUserId) -> Result<Option<UserMapping>, StoreError> {
        Ok(self.mappings.lock().expect("mappings poisoned").get(&(app_id, user)).cloned())
    }

    async fn list(
        &self,
        app_id: AppId,
        limit: PageLimit,
        after: Option<DialpadUserId>,
    ) -> Result<Page<UserMapping>, StoreError> {
        let mappings = self.mappings.lock().expect("mappings poisoned");
        let rows = mappings
            .values()
            .filter(|m| m.app_id == app_id && after.is_none_or(|a| m.dialpad_user_id > a))
            .take(limit.probe() as usize)
            .cloned()
            .collect();
        Ok(Page::from_probe(rows, limit))
    }

    async fn update(
        &self,
        app_id: AppId,
        user: DialpadUserId,
        patch: &UserMappingPatch,
        now: DateTime<Utc>,
    ) -> Result<Option<UserMapping>, StoreError> {
        let mut mappings = self.mappings.lock().expect("mappings poisoned");
        Ok(mappings.get_mut(&(app_id, user)).map(|m| {
            m.apply(patch, now);
            m.clone()
        }))
    }

    async fn delete(&self, app_id: AppId, user: DialpadUserId) -> Result<bool, StoreError> {
        Ok(self.mappings.lock().expect("mappings poisoned").remove(&(app_id, user)).is_some())
    }

    async fn apps_for(&self, user: DialpadUserId) -> Result<Vec<AppId>, StoreError> {
        let mappings = self.mappings.lock().expect("mappings poisoned");
        Ok(mappings.values().filter(|m| m.dialpad_user_id == user).map(|m| m.app_id).collect())
    }

    async fn dialpad_users_of(&self, app_id: AppId, app_user: &AppUserId) -> Result<Vec<DialpadUserId>, StoreError> {
        let mappings = self.mappings.lock().expect("mappings poisoned");
        Ok(mappings
            .values()
            .filter(|m| m.app_id == app_id && m.app_user_id == *app_user)
            .map(|m| m.dialpad_user_id)
            .collect())
    }
}
