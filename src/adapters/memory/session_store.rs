//! SessionStore in one process: a map of values with their deadlines. Expired values are
//! never returned, and are swept as the map grows, so it cannot fill up with them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::ports::{SessionStore, StoreError};

/// Above this many entries, each put first drops the expired ones.
const SWEEP_ABOVE: usize = 1024;

#[derive(Default)]
pub struct MemorySessionStore {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl MemorySessionStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("sessions poisoned");
        if entries.len() >= SWEEP_ABOVE {
            entries.retain(|_, (_, deadline)| *deadline > now);
        }
        entries.insert(key.to_owned(), (value.to_owned(), now + ttl));
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("sessions poisoned");
        if entries.get(key).is_some_and(|(_, deadline)| *deadline > now) {
            return Ok(false);
        }
        entries.insert(key.to_owned(), (value.to_owned(), now + ttl));
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let entries = self.entries.lock().expect("sessions poisoned");
        Ok(entries.get(key).filter(|(_, deadline)| *deadline > Instant::now()).map(|(value, _)| value.clone()))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let taken = self.entries.lock().expect("sessions poisoned").remove(key);
        Ok(taken.filter(|(_, deadline)| *deadline > Instant::now()).map(|(value, _)| value))
    }
}
