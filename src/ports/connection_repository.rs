//! ConnectionRepository: each app's Dialpad connection (one per app), tokens sealed. Also
//! the lock that makes every token rotation happen on exactly one instance: a *claim* on
//! the connection, held by one holder until it is saved, released, or runs out. The claim
//! lives with the row it guards, so it is shared by exactly the instances that share the
//! connection (PostgreSQL), or by the one process that holds it (memory).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::app::AppId;
use crate::domain::dialpad::{Connection, Provisioning};

/// What claiming a connection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Claimed for the caller; the connection as it is now (read after taking the claim).
    Taken(Box<Connection>),
    /// Another holder's claim has not run out.
    Busy,
    /// The app has no connection.
    Absent,
}

#[async_trait]
pub trait ConnectionRepository: Send + Sync {
    /// The app's connection, claimed or not.
    async fn get(&self, app_id: AppId) -> Result<Option<Connection>, StoreError>;

    /// Makes `connection` its app's connection and returns the one it replaced, if any. A
    /// claim on the replaced one ends with it (its holder's save then writes nothing), and
    /// its provisioning is forgotten.
    async fn replace(&self, connection: &Connection) -> Result<Option<Connection>, StoreError>;

    /// Claims the app's connection for `holder` until `until`, unless another holder's
    /// claim is still running at `now`. Atomic across every instance.
    async fn claim(
        &self,
        app_id: AppId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;

    /// Writes `connection` (but not its provisioning) and ends the claim, if `holder` still
    /// holds it; `false` (nothing written) when the claim ran out and was taken, or the
    /// connection was replaced or deleted.
    async fn save_claimed(&self, connection: &Connection, holder: &str) -> Result<bool, StoreError>;

    /// Ends `holder`'s claim without writing (nothing happens if it no longer holds it).
    async fn release(&self, app_id: AppId, holder: &str) -> Result<(), StoreError>;

    /// Deletes the app's connection if `holder` holds its claim; `false` otherwise.
    async fn delete_claimed(&self, app_id: AppId, holder: &str) -> Result<bool, StoreError>;

    /// Records what provisioning set up at Dialpad (and nothing else, claim or not); `false`
    /// when the app has no connection.
    async fn record_provisioning(&self, app_id: AppId, provisioning: &Provisioning) -> Result<bool, StoreError>;

    /// Apps whose connection is due for a refresh at `now` and not claimed, soonest due
    /// first, at most `limit`.
    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<AppId>, StoreError>;

    /// The earliest due time of any connection, claimed or not (it may be past: a
    /// connection being refreshed elsewhere). `None` when no connection will ever be due
    /// (none, or all need a new connect).
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}
