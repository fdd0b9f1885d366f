//! ConnectionRepository in memory: connections with their claims, behind one lock, so a
//! claim is checked and taken in one step.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::app::AppId;
use crate::domain::dialpad::{Connection, Provisioning};
use crate::ports::{Claim, ConnectionRepository, StoreError};

struct Row {
    connection: Connection,
    /// Holder and end of the running claim, if any.
    claim: Option<(String, DateTime<Utc>)>,
}

impl Row {
    fn claimed_by(&self, holder: &str) -> bool {
        self.claim.as_ref().is_some_and(|(h, _)| h == holder)
    }

    /// The end of another claim still running at `now`.
    fn busy_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.claim.as_ref().map(|(_, until)| *until).filter(|until| *until > now)
    }
}

#[derive(Default)]
pub struct MemoryConnectionRepository {
    rows: Mutex<HashMap<AppId, Row>>,
}

impl MemoryConnectionRepository {
    pub fn new() -> Self {
        Self::default()
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<AppId, Row>> {
        self.rows.lock().expect("connections poisoned")
    }
}

#[async_trait]
impl ConnectionRepository for MemoryConnectionRepository {
    async fn get(&self, app_id: AppId) -> Result<Option<Connection>, StoreError> {
        Ok(self.rows().get(&app_id).map(|row| row.connection.clone()))
    }

    async fn replace(&self, connection: &Connection) -> Result<Option<Connection>, StoreError> {
        let fresh = Connection { provisioning: Provisioning::default(), ..connection.clone() };
        let row = Row { connection: fresh, claim: None };
        Ok(self.rows().insert(connection.app_id, row).map(|old| old.connection))
    }

    async fn claim(
        &self,
        app_id: AppId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let mut rows = self.rows();
        let Some(row) = rows.get_mut(&app_id) else { return Ok(Claim::Absent) };
        if row.busy_until(now).is_some() {
            return Ok(Claim::Busy);
        }
        row.claim = Some((holder.to_owned(), until));
        Ok(Claim::Taken(Box::new(row.connection.clone())))
    }

    async fn save_claimed(&self, connection: &Connection, holder: &str) -> Result<bool, StoreError> {
        let mut rows = self.rows();
        match rows.get_mut(&connection.app_id) {
            Some(row) if row.claimed_by(holder) => {
                let provisioning = row.connection.provisioning.clone();
                *row = Row { connection: Connection { provisioning, ..connection.clone() }, claim: None };
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, app_id: AppId, holder: &str) -> Result<(), StoreError> {
        if let Some(row) = self.rows().get_mut(&app_id).filter(|row| row.claimed_by(holder)) {
            row.claim = None;
        }
        Ok(())
    }

    async fn delete_claimed(&self, app_id: AppId, holder: &str) -> Result<bool, StoreError> {
        let mut rows = self.rows();
        if rows.get(&app_id).is_some_and(|row| row.claimed_by(holder)) {
            rows.remove(&app_id);
            return Ok(true);
        }
        Ok(false)
    }

    async fn record_provisioning(&self, app_id: AppId, provisioning: &Provisioning) -> Result<bool, StoreError> {
        Ok(self.rows().get_mut(&app_id).map(|row| row.connection.provisioning = provisioning.clone()).is_some())
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<AppId>, StoreError> {
        let rows = self.rows();
        let mut due: Vec<(DateTime<Utc>, AppId)> = rows
            .values()
            .filter(|row| row.busy_until(now).is_none())
            .filter_map(|row| {
                row.connection.next_refresh_at.filter(|at| *at <= now).map(|at| (at, row.connection.app_id))
            })
            .collect();
        due.sort();
        Ok(due.into_iter().take(limit as usize).map(|(_, app)| app).collect())
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.rows().values().filter_map(|row| row.connection.next_refresh_at).min())
    }
}
