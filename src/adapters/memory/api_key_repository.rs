//! ApiKeyRepository in memory: keys and audit trail behind one mutex, so every operation is
//! atomic like the Postgres transactions.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::domain::api_key::{AuditAction, AuditEvent, KeyId, KeyState, StoredApiKey};
use crate::domain::app::AppId;
use crate::domain::pagination::{Page, PageLimit};
use crate::ports::{ApiKeyRepository, CurrentKeys, Issued, StoreError};

#[derive(Default)]
pub struct MemoryApiKeyRepository {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: HashMap<KeyId, StoredApiKey>,
    audit: Vec<AuditEvent>,
}

impl State {
    fn record(&mut self, key: &StoredApiKey, action: AuditAction, at: DateTime<Utc>) {
        let id = self.audit.len() as i64 + 1;
        self.audit.push(AuditEvent {
            id,
            app_id: key.app_id,
            key_id: key.key_id.clone(),
            hint: key.hint.clone(),
            action,
            occurred_at: at,
        });
    }

    fn in_state(&self, app_id: AppId, state: KeyState) -> Vec<KeyId> {
        self.keys.values().filter(|k| k.app_id == app_id && k.state == state).map(|k| k.key_id.clone()).collect()
    }

    /// Moves keys to Revoked with an audit line each, returning them as they are now.
    fn revoke(&mut self, ids: Vec<KeyId>, now: DateTime<Utc>) -> Vec<StoredApiKey> {
        let mut revoked = Vec::new();
        for id in ids {
            let key = self.keys.get_mut(&id).expect("listed key exists");
            key.state = KeyState::Revoked;
            key.revoked_at = Some(now);
            let key = key.clone();
            self.record(&key, AuditAction::Revoked, now);
            revoked.push(key);
        }
        revoked
    }
}

impl MemoryApiKeyRepository {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("api key store poisoned")
    }
}

#[async_trait]
impl ApiKeyRepository for MemoryApiKeyRepository {
    async fn issue(
        &self,
        new: &StoredApiKey,
        grace_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Issued, StoreError> {
        let mut state = self.lock();
        let in_grace = state.in_state(new.app_id, KeyState::Grace);
        let mut retired = state.revoke(in_grace, now);
        let active = state.in_state(new.app_id, KeyState::Active);
        let had_active = !active.is_empty();
        let previous = match grace_until {
            Some(until) => active.into_iter().next().map(|id| {
                let key = state.keys.get_mut(&id).expect("listed key exists");
                key.state = KeyState::Grace;
                key.expires_at = Some(until);
                key.clone()
            }),
            None => {
                retired.extend(state.revoke(active, now));
                None
            }
        };
        state.keys.insert(new.key_id.clone(), new.clone());
        state.record(new, if had_active { AuditAction::Rotated } else { AuditAction::Generated }, now);
        Ok(Issued { key: new.clone(), previous, retired })
    }

    async fn find(&self, key_id: &KeyId) -> Result<Option<StoredApiKey>, StoreError> {
        Ok(self.lock().keys.get(key_id).cloned())
    }

    async fn current(&self, app_id: AppId) -> Result<CurrentKeys, StoreError> {
        let state = self.lock();
        let find = |wanted: KeyState| {
            state
                .keys
                .values()
                .filter(|k| k.app_id == app_id && k.state == wanted)
                .max_by_key(|k| k.created_at)
                .cloned()
        };
        Ok(CurrentKeys { active: find(KeyState::Active), grace: find(KeyState::Grace) })
    }

    async fn revoke_all(&self, app_id: AppId, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError> {
        let mut state = self.lock();
        let mut ids = state.in_state(app_id, KeyState::Active);
        ids.extend(state.in_state(app_id, KeyState::Grace));
        Ok(state.revoke(ids, now))
    }

    async fn expire_due(&self, now: DateTime<Utc>) -> Result<Vec<StoredApiKey>, StoreError> {
        let mut state = self.lock();
        let due: Vec<KeyId> = state
            .keys
            .values()
            .filter(|k| k.state == KeyState::Grace && k.expires_at.is_some_and(|end| end <= now))
            .map(|k| k.key_id.clone())
            .collect();
        let mut expired = Vec::new();
        for id in due {
            let key = state.keys.get_mut(&id).expect("listed key exists");
            key.state = KeyState::Expired;
            let key = key.clone();
            state.record(&key, AuditAction::Expired, now);
            expired.push(key);
        }
        Ok(expired)
    }

    async fn audit(
        &self,
        app_id: AppId,
        limit: PageLimit,
        before: Option<i64>,
    ) -> Result<Page<AuditEvent>, StoreError> {
        let state = self.lock();
        let rows: Vec<AuditEvent> = state
            .audit
            .iter()
            .rev()
            .filter(|e| e.app_id == app_id && before.is_none_or(|b| e.id < b))
            .take(limit.probe() as usize)
            .cloned()
            .collect();
        Ok(Page::from_probe(rows, limit))
    }

    async fn record_last_used(&self, key_id: &KeyId, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(key) = self.lock().keys.get_mut(key_id)
            && key.last_used_at.is_none_or(|last| last < at - Duration::seconds(60))
        {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}
